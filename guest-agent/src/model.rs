//! Small value types shared by the CLI, the send/recv drivers and the report.

pub use tipc_agent_protocol::{parse_service, parse_size, GroupMode, Service, SockMode};

use crate::payload::DigestAcc;
use crate::socket::SockKind;
use crate::uapi::{TipcServiceRange, TipcSocketAddr};

/// The socket type a `--sock` kind opens.
pub fn sock_kind(mode: SockMode) -> SockKind {
    match mode {
        SockMode::Rdm | SockMode::Mcast | SockMode::Group => SockKind::Rdm,
        SockMode::Seqpacket => SockKind::SeqPacket,
        SockMode::Stream => SockKind::Stream,
    }
}

/// The service as the kernel's `struct tipc_service_range`.
pub fn uapi_range(s: &Service) -> TipcServiceRange {
    TipcServiceRange {
        type_: s.type_,
        lower: s.lower,
        upper: s.upper,
    }
}

/// What a send/recv run accumulated; turned into the JSON report even when
/// the run failed half-way.
#[derive(Default)]
pub struct Run {
    pub acc: DigestAcc,
    pub retries: u64,
    pub rejected: u64,
    pub acks: u64,
    pub member_events: u64,
    pub drops: Option<u32>,
    /// Effective SO_RCVBUF if the receiver changed it.
    pub rcvbuf: Option<u32>,
    /// Message count reported by the last receiver ack.
    pub acked_messages: Option<u64>,
    pub peer: Option<TipcSocketAddr>,
    pub own: Option<TipcSocketAddr>,
}

impl Run {
    /// Records one receiver ack.
    pub fn ack(&mut self, messages: u64) {
        self.acks += 1;
        self.acked_messages = Some(messages);
    }
}
