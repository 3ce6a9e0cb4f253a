//! The JSON the agent writes to `--out`, one type per subcommand. The agent
//! serialises these; the verifier deserialises them. Fields after `own_ref`
//! in [`Exchange`] are later additions; readers take a missing one as its
//! default, so results of older agents still read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::options::{ConnSock, GroupMode, InjectMode, SockMode, StormRole, TransportMode};
use crate::service::Service;

/// `send` or `recv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeRole {
    Send,
    Recv,
}

/// The result of `send` and `recv`: what went through one socket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub role: ExchangeRole,
    pub sock: SockMode,
    pub service: Option<Service>,
    /// The peer's port, `"NODE REF"` in decimal, when known.
    pub peer: Option<String>,
    /// Messages asked for.
    pub count: u64,
    pub size: Option<usize>,
    /// Messages sent (send() accepted them) or received.
    pub messages: u64,
    pub bytes: u64,
    /// SHA-256 over (u32 BE length || bytes) of every message in order.
    pub digest_ordered: String,
    /// SHA-256 over the sorted SHA-256 digests of the messages.
    pub digest_set: String,
    pub first_error: Option<String>,
    pub retries: u64,
    pub elapsed_ms: u64,
    /// Inode of the network namespace the agent ran in.
    pub netns_inode: Option<u64>,
    /// Cookie of that namespace (`SO_NETNS_COOKIE`), the name the
    /// `tipc_crossover_peer` tracepoint gives it; absent from an older
    /// agent's result.
    #[serde(default)]
    pub netns_cookie: Option<u64>,
    pub own_node: Option<u32>,
    pub own_ref: Option<u32>,
    /// No error (an older agent's result without this field reads false;
    /// use `first_error`).
    #[serde(default)]
    pub ok: bool,
    #[serde(default)]
    pub errno: Option<i32>,
    /// Messages that came back rejected.
    #[serde(default)]
    pub rejected: u64,
    /// Receiver acks the sender got.
    #[serde(default)]
    pub acks: u64,
    #[serde(default)]
    pub acked_messages: Option<u64>,
    #[serde(default)]
    pub member_events: u64,
    /// Drops of the receiving socket (SO_MEMINFO's SK_MEMINFO_DROPS).
    #[serde(default)]
    pub drops: Option<u32>,
    #[serde(default)]
    pub rcvbuf: Option<u32>,
    #[serde(default)]
    pub timeout_s: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_mode: Option<GroupMode>,
}

/// The result of `storm` (either end).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Storm {
    pub role: StormRole,
    pub sock: ConnSock,
    pub service: Service,
    /// Connections asked for.
    pub conns: u64,
    /// Connections accepted (acceptor) or established (connector).
    pub connected: u64,
    /// Connector: echoes that came back identical. Acceptor: messages echoed.
    pub intact: u64,
    pub size: usize,
    pub elapsed_ms: u64,
    pub first_error: Option<String>,
}

/// What a real discovery message told `inject` about its sender.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sniffed {
    pub node_id: String,
    pub addr: u32,
    pub cluster_id: u32,
    pub proof: u32,
    pub capabilities: u32,
}

/// The result of `inject`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inject {
    pub mode: InjectMode,
    pub victim: Option<Sniffed>,
    pub claimed_node_id: Option<String>,
    pub claimed_cluster_id: Option<u32>,
    pub claimed_proof: Option<u32>,
    pub frames_sent: u64,
    pub first_error: Option<String>,
}

/// The result of `netns-faults`: one sweep of failed namespace set-ups.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetnsFaults {
    /// Steps tried (n = 1 ..= steps).
    pub steps: u32,
    /// Steps where the failure was injected.
    pub injected: u32,
    /// Of those, `unshare` failed cleanly ...
    pub refused: u32,
    /// ... or the namespace came up anyway.
    pub survived: u32,
    /// Steps where the kernel killed the task (an oops in the set-up or in
    /// its undo); not counted as injected.
    pub killed: u32,
    /// The first n at which `unshare` made fewer than n allocations: every
    /// allocation of the set-up was failed once before it.
    pub exhausted_at: Option<u32>,
    /// errno name -> steps that failed with it.
    #[serde(default)]
    pub errnos: BTreeMap<String, u32>,
    #[serde(default)]
    pub elapsed_ms: u64,
    pub first_error: Option<String>,
}

/// The result of `blast`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Blast {
    pub mode: TransportMode,
    pub conns: u32,
    pub size: usize,
    pub bytes_per_conn: u64,
    pub messages: u64,
    pub seconds: f64,
    pub mbit_per_s: f64,
    pub msgs_per_s: f64,
    /// Average round trip in microseconds (`--rtt`).
    pub rtt_us: Option<f64>,
    pub first_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_of_an_older_agent_still_reads() {
        let old = r#"{"role":"send","sock":"rdm","service":"1:2","peer":null,"count":2,"size":3,
            "messages":2,"bytes":6,"digest_ordered":"a","digest_set":"b","first_error":null,
            "retries":0,"elapsed_ms":5,"netns_inode":1,"own_node":null,"own_ref":null}"#;
        let e: Exchange = serde_json::from_str(old).unwrap();
        assert_eq!(
            (e.role, e.sock, e.messages),
            (ExchangeRole::Send, SockMode::Rdm, 2)
        );
        assert_eq!(e.group_mode, None);
    }

    #[test]
    fn enums_are_spelt_as_on_the_command_line() {
        for m in InjectMode::ALL.into_iter().chain([InjectMode::Replay]) {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_arg());
        }
        assert_eq!(
            serde_json::to_value(SockMode::Seqpacket).unwrap(),
            "seqpacket"
        );
        assert_eq!(serde_json::to_value(GroupMode::Anycast).unwrap(), "anycast");
        assert_eq!(serde_json::to_value(StormRole::Connect).unwrap(), "connect");
    }
}
