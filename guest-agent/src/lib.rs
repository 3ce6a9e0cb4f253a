//! tipc-agent: drives real AF_TIPC sockets inside a guest and writes a JSON
//! result the host compares (see README.md for the contract). A library
//! for its binary and for the verifier's tests, which parse every command
//! line the verifier generates with [`cli::Cli`].

mod bench;
pub mod cli;
mod faults;
mod inject;
mod model;
mod payload;
mod recv;
mod report;
mod send;
mod socket;
mod storm;
mod uapi;
mod wait;
mod xfer;
