//! The guest's fact file (`results/stress.txt`, written by
//! `vm/guest/stress.sh`): how each phase ended, its counters, the steps
//! that failed and the namespaces it made.
//!
//! One fact per line:
//! - `phase NAME RC SECONDS`: the phase's exit status (137: its watchdog
//!   killed it) and guest seconds;
//! - `count NAME KEY VALUE`: a counter; the last value of a key wins (the
//!   cycle loop writes its progress after every cycle);
//! - `fail NAME TEXT...`: a step that went wrong;
//! - `ns NAME COOKIE ADDR`: a namespace the run created, its cookie (the
//!   tracepoint's name for it) and TIPC address in hex, `-` when TIPC chose
//!   it.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// How one phase ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseEnd {
    pub rc: i32,
    pub seconds: f64,
}

/// A namespace the run created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Namespace {
    pub name: String,
    pub cookie: u64,
    /// None when TIPC chose the address (auto-configured node id).
    pub addr: Option<u32>,
}

/// Everything the fact file says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    pub phases: BTreeMap<String, PhaseEnd>,
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
    pub failures: Vec<(String, String)>,
    pub namespaces: Vec<Namespace>,
}

impl Facts {
    /// A counter, 0 when the phase never wrote it.
    pub fn count(&self, phase: &str, key: &str) -> u64 {
        self.counts
            .get(phase)
            .and_then(|c| c.get(key))
            .copied()
            .unwrap_or(0)
    }
}

/// Parses the fact file; a line that does not parse is an error naming it.
pub fn parse(text: &str) -> Result<Facts> {
    let mut f = Facts::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        parse_line(&mut f, line).with_context(|| format!("stress.txt line {}: {line:?}", i + 1))?;
    }
    Ok(f)
}

fn parse_line(f: &mut Facts, line: &str) -> Result<()> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["phase", name, rc, secs] => {
            f.phases.insert(
                name.to_string(),
                PhaseEnd {
                    rc: rc.parse().context("exit status")?,
                    seconds: secs.parse().context("seconds")?,
                },
            );
        }
        ["count", phase, key, value] => {
            f.counts
                .entry(phase.to_string())
                .or_default()
                .insert(key.to_string(), value.parse().context("counter value")?);
        }
        ["fail", phase, rest @ ..] => f.failures.push((phase.to_string(), rest.join(" "))),
        ["ns", name, cookie, addr] => f.namespaces.push(Namespace {
            name: name.to_string(),
            cookie: cookie.parse().context("cookie")?,
            addr: match *addr {
                "-" => None,
                a => Some(u32::from_str_radix(a, 16).context("address (hex)")?),
            },
        }),
        _ => bail!("not a phase, count, fail or ns fact"),
    }
    Ok(())
}
