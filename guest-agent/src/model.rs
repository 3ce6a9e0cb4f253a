//! Small value types shared by the CLI, the send/recv drivers and the report.

use std::fmt;

use clap::ValueEnum;

use crate::payload::DigestAcc;
use crate::socket::SockKind;
use crate::uapi::{TipcServiceRange, TipcSocketAddr, TIPC_MAX_USER_MSG_SIZE};

/// `--sock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SockMode {
    /// SOCK_RDM datagrams to a service name (anycast) or a port.
    Rdm,
    /// SOCK_SEQPACKET connection, one message per send.
    Seqpacket,
    /// SOCK_STREAM connection, byte stream cut into --size messages.
    Stream,
    /// SOCK_RDM multicast to a service range.
    Mcast,
    /// SOCK_RDM communication group (TIPC_GROUP_JOIN).
    Group,
}

impl SockMode {
    pub fn name(self) -> &'static str {
        match self {
            SockMode::Rdm => "rdm",
            SockMode::Seqpacket => "seqpacket",
            SockMode::Stream => "stream",
            SockMode::Mcast => "mcast",
            SockMode::Group => "group",
        }
    }

    pub fn kind(self) -> SockKind {
        match self {
            SockMode::Rdm | SockMode::Mcast | SockMode::Group => SockKind::Rdm,
            SockMode::Seqpacket => SockKind::SeqPacket,
            SockMode::Stream => SockKind::Stream,
        }
    }
}

/// `--group-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GroupMode {
    /// send() without address: every other member.
    Bcast,
    /// sendto(TIPC_SERVICE_RANGE {TYPE, INSTANCE, INSTANCE}).
    Mcast,
    /// sendto(TIPC_SERVICE_ADDR {TYPE, INSTANCE}).
    Anycast,
    /// sendto(TIPC_SOCKET_ADDR) of the receiver's port (--port-file).
    Unicast,
}

impl GroupMode {
    pub fn name(self) -> &'static str {
        match self {
            GroupMode::Bcast => "bcast",
            GroupMode::Mcast => "mcast",
            GroupMode::Anycast => "anycast",
            GroupMode::Unicast => "unicast",
        }
    }
}

/// `--service TYPE:INSTANCE` or `TYPE:LOWER:UPPER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    pub type_: u32,
    pub lower: u32,
    pub upper: u32,
    /// Given in the three-part range form.
    pub ranged: bool,
}

impl Service {
    pub fn range(&self) -> TipcServiceRange {
        TipcServiceRange {
            type_: self.type_,
            lower: self.lower,
            upper: self.upper,
        }
    }

    pub fn is_single(&self) -> bool {
        self.lower == self.upper
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ranged {
            write!(f, "{}:{}:{}", self.type_, self.lower, self.upper)
        } else {
            write!(f, "{}:{}", self.type_, self.lower)
        }
    }
}

/// clap value parser for `--service`.
pub fn parse_service(s: &str) -> Result<Service, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |p: &str, what: &str| -> Result<u32, String> {
        p.trim()
            .parse::<u32>()
            .map_err(|_| format!("{what} {p:?} is not a decimal u32"))
    };
    match parts.as_slice() {
        [t, i] => {
            let (type_, inst) = (num(t, "TYPE")?, num(i, "INSTANCE")?);
            Ok(Service {
                type_,
                lower: inst,
                upper: inst,
                ranged: false,
            })
        }
        [t, l, u] => {
            let (type_, lower, upper) = (num(t, "TYPE")?, num(l, "LOWER")?, num(u, "UPPER")?);
            if lower > upper {
                return Err(format!("LOWER {lower} is greater than UPPER {upper}"));
            }
            Ok(Service {
                type_,
                lower,
                upper,
                ranged: true,
            })
        }
        _ => Err("expected TYPE:INSTANCE or TYPE:LOWER:UPPER (decimal u32s)".into()),
    }
}

/// clap value parser for `--size` (1 ..= TIPC_MAX_USER_MSG_SIZE).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let v: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a decimal number"))?;
    if !(1..=TIPC_MAX_USER_MSG_SIZE).contains(&v) {
        return Err(format!(
            "{v} is out of range 1..={TIPC_MAX_USER_MSG_SIZE} (TIPC_MAX_USER_MSG_SIZE)"
        ));
    }
    Ok(v)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_parsing() {
        let s = parse_service("18888:17").unwrap();
        assert_eq!(
            (s.type_, s.lower, s.upper, s.ranged),
            (18888, 17, 17, false)
        );
        assert_eq!(s.to_string(), "18888:17");
        let r = parse_service("18888:1:9").unwrap();
        assert_eq!((r.type_, r.lower, r.upper, r.ranged), (18888, 1, 9, true));
        assert_eq!(r.to_string(), "18888:1:9");
        assert!(parse_service("18888").is_err());
        assert!(parse_service("18888:9:1").is_err());
        assert!(parse_service("a:1").is_err());
        assert!(parse_service("1:2:3:4").is_err());
        assert!(parse_service("1:-2").is_err());
        assert!(parse_service("1:4294967296").is_err());
    }

    #[test]
    fn size_parsing() {
        assert_eq!(parse_size("1"), Ok(1));
        assert_eq!(parse_size("66000"), Ok(66_000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("66001").is_err());
        assert!(parse_size("x").is_err());
    }
}
