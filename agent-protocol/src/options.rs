//! The option values both sides name: how they are spelt on the command
//! line (`as_arg`) is how they are spelt in the JSON results.

use serde::{Deserialize, Serialize};

macro_rules! spelt {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The value as the agent's command line and results spell it.
            pub fn as_arg(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_arg())
            }
        }
    };
}

/// `--sock` of `send`/`recv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
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

spelt!(SockMode { Rdm => "rdm", Seqpacket => "seqpacket", Stream => "stream", Mcast => "mcast", Group => "group" });

/// `--group-mode` of `send --sock group`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
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

spelt!(GroupMode { Bcast => "bcast", Mcast => "mcast", Anycast => "anycast", Unicast => "unicast" });

/// `--role` of `storm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum StormRole {
    /// Bind, listen and accept `--conns` connections, echoing one message each.
    Accept,
    /// Connect `--conns` times in a row, one message and its echo each.
    Connect,
}

spelt!(StormRole { Accept => "accept", Connect => "connect" });

/// `--sock` of `storm`: the connection-oriented kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ConnSock {
    Seqpacket,
    Stream,
}

spelt!(ConnSock { Seqpacket => "seqpacket", Stream => "stream" });

/// `--mode` of `inject`: how the forged discovery frames are wrong, or
/// `replay` to send the sniffed genuine frame itself again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum InjectMode {
    /// The victim's node id and cluster id, a made-up proof.
    ForgedProof,
    /// The victim's node id and real proof, another cluster id.
    WrongCluster,
    /// The victim's real proof under another node id.
    ReplayOtherId,
    /// Another node id, no proof, a raw value in word 9.
    RawHash,
    /// Nothing forged: the sniffed discovery frame itself, byte for byte,
    /// as its node repeats it (a yardstick for the cost of a known peer's
    /// periodic discovery, not an attack).
    Replay,
}

spelt!(InjectMode {
    ForgedProof => "forged-proof",
    WrongCluster => "wrong-cluster",
    ReplayOtherId => "replay-other-id",
    RawHash => "raw-hash",
    Replay => "replay",
});

impl InjectMode {
    /// Every forging mode, in the order scenarios run them (not `Replay`,
    /// which forges nothing).
    pub const ALL: [InjectMode; 4] = [
        InjectMode::ForgedProof,
        InjectMode::WrongCluster,
        InjectMode::ReplayOtherId,
        InjectMode::RawHash,
    ];
}

/// The transport a `blast` measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportMode {
    /// TIPC SOCK_STREAM.
    Tipc,
    /// TCP.
    Tcp,
    /// AF_UNIX stream sockets.
    Unix,
}

spelt!(TransportMode { Tipc => "tipc", Tcp => "tcp", Unix => "unix" });

/// `--rcvbuf` of `recv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RcvBuf {
    /// Raise SO_RCVBUF, if needed, to hold the whole burst (rdm/mcast).
    Auto,
    /// The kernel's default.
    Keep,
    /// This many bytes (SO_RCVBUFFORCE, else SO_RCVBUF).
    Bytes(u32),
}

impl RcvBuf {
    /// Parses `auto`, `keep` or a byte count.
    pub fn parse(s: &str) -> Result<RcvBuf, String> {
        match s {
            "auto" => Ok(RcvBuf::Auto),
            "keep" => Ok(RcvBuf::Keep),
            n => n
                .parse::<u32>()
                .map(RcvBuf::Bytes)
                .map_err(|_| format!("{n:?} is not `auto`, `keep` or a byte count")),
        }
    }
}

impl std::fmt::Display for RcvBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RcvBuf::Auto => f.write_str("auto"),
            RcvBuf::Keep => f.write_str("keep"),
            RcvBuf::Bytes(n) => write!(f, "{n}"),
        }
    }
}
