//! The contract between `tipc-verifier` and `tipc-agent`.
//!
//! The verifier builds a [`Command`] and renders it to the agent's argument
//! list (or to one shell word list for a guest script) here, and reads the
//! agent's JSON results into the types of [`results`]; the agent parses its
//! arguments into the same option types and writes the same result types.
//! Nothing else in either program spells an agent option or a result field.

mod command;
mod options;
pub mod results;
mod service;

pub use command::{
    shell_word, Bench, BenchAmount, BenchEndpoint, Blast, Command, Inject, NetnsFaults, Pause,
    Recv, Send, Sink, Storm,
};
pub use options::{ConnSock, GroupMode, InjectMode, RcvBuf, SockMode, StormRole, TransportMode};
pub use service::{parse_service, parse_size, Service, TIPC_MAX_USER_MSG_SIZE};
