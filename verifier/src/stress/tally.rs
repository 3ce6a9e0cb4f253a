//! The agents' JSON results of a stress run, read back and counted:
//! verified exchanges (every message the sender's send() accepted must
//! arrive intact), floods into namespaces being torn down (errors
//! expected, counted apart), connection storms and forged frames.
//!
//! Layout under `results/` (see `vm/guest/stress.sh`):
//! `PHASE/TAG.send.json` + `PHASE/TAG.recv.json`, `PHASE/TAG.flood.send.json`,
//! `storm/storm-SOCK-{accept,connect}.json`, `forged/inject-MODE.json`,
//! `faults/sweep-PHASE-ROUND.json`.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use tipc_agent_protocol::results;
use tipc_agent_protocol::{SockMode, StormRole};

/// A `tipc-agent send`/`recv` result.
pub type AgentResult = results::Exchange;
/// A `tipc-agent storm` result.
pub type StormResult = results::Storm;
/// A `tipc-agent inject` result.
pub type InjectResult = results::Inject;

/// One sweep of failed namespace set-ups (`tipc-agent netns-faults`), named
/// by the phase and round it ran in.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FaultSweep {
    /// `PHASE-ROUND`, from the file name.
    pub id: String,
    #[serde(flatten)]
    pub sweep: results::NetnsFaults,
}

/// One verified exchange: what its sender sent and what arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// `PHASE/TAG`.
    pub id: String,
    pub sock: String,
    /// Messages the sender's send() reported as sent.
    pub sent: u64,
    /// Messages received (0 when the receiver left no result).
    pub received: u64,
    /// Received count equals sent and the digests agree (ordered digest
    /// for connections, the order-free one for datagrams).
    pub intact: bool,
    /// The first agent error, if either end reported one.
    pub error: Option<String>,
}

impl Exchange {
    /// Judges one send/recv pair.
    pub fn judge(id: String, send: &AgentResult, recv: Option<&AgentResult>) -> Self {
        let (received, intact) = match recv {
            None => (0, send.messages == 0),
            Some(r) => {
                let ordered = matches!(send.sock, SockMode::Seqpacket | SockMode::Stream);
                let same = if ordered {
                    r.digest_ordered == send.digest_ordered
                } else {
                    r.digest_set == send.digest_set
                };
                (r.messages, r.messages == send.messages && same)
            }
        };
        let error = send
            .first_error
            .clone()
            .map(|e| format!("sender: {e}"))
            .or_else(|| {
                recv.and_then(|r| r.first_error.clone())
                    .map(|e| format!("receiver: {e}"))
            })
            .or_else(|| {
                recv.is_none()
                    .then(|| "the receiver left no result".to_string())
            });
        Exchange {
            id,
            sock: send.sock.as_arg().to_string(),
            sent: send.messages,
            received,
            intact,
            error,
        }
    }

    /// Messages the sender was told were sent that did not arrive intact.
    pub fn lost(&self) -> u64 {
        if self.intact {
            0
        } else {
            self.sent.saturating_sub(self.received).max(1)
        }
    }
}

/// One flood into a namespace that was being deleted or cut off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flood {
    pub id: String,
    /// Messages send() accepted before the destination went away.
    pub sent: u64,
    /// How the sender ended (an error is expected).
    pub error: Option<String>,
}

impl Flood {
    /// The sender gave up on its own time limit instead of getting an error:
    /// it blocked on a destination that no longer exists.
    pub fn hung(&self) -> bool {
        self.error
            .as_deref()
            .is_some_and(|e| e.starts_with("timeout after"))
    }
}

/// Everything the agents reported.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub exchanges: Vec<Exchange>,
    pub floods: Vec<Flood>,
    /// Receivers whose sender left no result (`PHASE/TAG`).
    pub orphans: Vec<String>,
    #[serde(skip)]
    pub storms: Vec<StormResult>,
    #[serde(skip)]
    pub injections: Vec<InjectResult>,
    pub fault_sweeps: Vec<FaultSweep>,
}

/// Totals over a tally, per class and overall.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub exchanges: u64,
    pub messages_sent: u64,
    pub messages_received_intact: u64,
    pub messages_lost: u64,
    /// Sent/received-intact per socket class.
    pub by_class: BTreeMap<String, (u64, u64)>,
    pub floods: u64,
    pub flood_messages: u64,
    pub floods_hung: u64,
    pub storm_connections: u64,
    pub storm_connections_intact: u64,
    pub frames_forged: u64,
}

impl Tally {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for e in &self.exchanges {
            t.exchanges += 1;
            t.messages_sent += e.sent;
            let ok = if e.intact { e.sent } else { 0 };
            t.messages_received_intact += ok;
            t.messages_lost += e.lost();
            let c = t.by_class.entry(e.sock.clone()).or_default();
            c.0 += e.sent;
            c.1 += ok;
        }
        t.floods = self.floods.len() as u64;
        t.flood_messages = self.floods.iter().map(|f| f.sent).sum();
        t.floods_hung = self.floods.iter().filter(|f| f.hung()).count() as u64;
        for s in self.storms.iter().filter(|s| s.role == StormRole::Connect) {
            t.storm_connections += s.conns;
            t.storm_connections_intact += s.intact;
        }
        t.frames_forged = self.injections.iter().map(|i| i.frames_sent).sum();
        t
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Reads every agent result under `results` (one directory per phase).
pub fn read(results: &Path) -> Result<Tally> {
    let mut t = Tally::default();
    let Ok(phases) = fs::read_dir(results) else {
        return Ok(t);
    };
    let mut dirs: Vec<_> = phases
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let phase = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut names: Vec<String> = fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        names.sort();
        for name in &names {
            let path = dir.join(name);
            if let Some(tag) = name.strip_suffix(".flood.send.json") {
                let r: AgentResult = read_json(&path)?;
                t.floods.push(Flood {
                    id: format!("{phase}/{tag}"),
                    sent: r.messages,
                    error: r.first_error,
                });
            } else if name.ends_with(".flood.recv.json") {
                // The flood's receiver dies with its namespace: nothing to judge.
            } else if let Some(tag) = name.strip_suffix(".send.json") {
                let send: AgentResult = read_json(&path)?;
                let recv_path = dir.join(format!("{tag}.recv.json"));
                let recv: Option<AgentResult> = if recv_path.is_file() {
                    Some(read_json(&recv_path)?)
                } else {
                    None
                };
                t.exchanges.push(Exchange::judge(
                    format!("{phase}/{tag}"),
                    &send,
                    recv.as_ref(),
                ));
            } else if let Some(tag) = name.strip_suffix(".recv.json") {
                if !dir.join(format!("{tag}.send.json")).is_file() {
                    t.orphans.push(format!("{phase}/{tag}"));
                }
            } else if name.starts_with("storm-") {
                t.storms.push(read_json(&path)?);
            } else if name.starts_with("inject-") {
                t.injections.push(read_json(&path)?);
            } else if let Some(tag) = name.strip_prefix("sweep-") {
                t.fault_sweeps.push(FaultSweep {
                    id: tag.trim_end_matches(".json").to_string(),
                    sweep: read_json(&path)?,
                });
            }
        }
    }
    Ok(t)
}
