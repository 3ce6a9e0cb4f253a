//! Records of the series' `tipc_crossover_peer` tracepoint, as the guest
//! read them from `/sys/kernel/tracing/trace`, the namespace cookies that
//! name the namespaces in them, and the pairing of opens and closes.
//!
//! A record line looks like
//! `<idle>-0 [000] ..s2. 3.141592: tipc_crossover_peer: netns_cookie=4101 addr=1001 peer_cookie=4102 event=open`.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a record says happened: the crossover opened, or why it closed
/// (`enum tipc_crossover_event` of the series' `net/tipc/trace.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Open,
    LostContact,
    PeerExit,
    NewEndpoint,
    NodeDelete,
    SwitchOff,
}

impl EventKind {
    /// Every kind, in the kernel's order.
    pub const ALL: [EventKind; 6] = [
        EventKind::Open,
        EventKind::LostContact,
        EventKind::PeerExit,
        EventKind::NewEndpoint,
        EventKind::NodeDelete,
        EventKind::SwitchOff,
    ];

    /// The word `__print_symbolic()` prints for it.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Open => "open",
            EventKind::LostContact => "lost_contact",
            EventKind::PeerExit => "peer_exit",
            EventKind::NewEndpoint => "new_endpoint",
            EventKind::NodeDelete => "node_delete",
            EventKind::SwitchOff => "switch_off",
        }
    }

    fn parse(word: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == word)
    }
}

/// One `tipc_crossover_peer` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossoverEvent {
    /// Cookie of the namespace whose node changed.
    pub netns: u64,
    /// The peer node's TIPC address (`addr=`).
    pub peer: u32,
    /// Cookie of the peer namespace.
    pub peer_netns: u64,
    pub event: EventKind,
}

const MARKER: &str = "tipc_crossover_peer: ";

/// The line `crossover_trace_close` (`vm/guest/lib.sh`) writes to the trace
/// before it deletes the guest's namespaces.
const TEARDOWN: &str = "tracing_mark_write: crossover_teardown";

/// The part of a trace before the guest began to delete its namespaces.
/// While they go one by one, and those of another guest go at their own
/// time, a namespace may lose its peer and take, at its next discovery, a
/// namespace that holds the same identity and is still there, as TIPC lets
/// it: such an opening says nothing of the scenario's traffic, so the
/// expected pairs are judged on this part, the pairing on the whole.
pub fn before_teardown(text: &str) -> &str {
    text.find(TEARDOWN).map_or(text, |at| &text[..at])
}

/// Parses the records of a trace file; other lines (the header, comments,
/// other events) are skipped. A record that does not parse is an error
/// naming its line.
pub fn parse_trace(text: &str) -> Result<Vec<CrossoverEvent>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| line.split_once(MARKER).map(|(_, rest)| (i + 1, rest)))
        .map(|(line_no, rest)| {
            parse_record(rest).with_context(|| format!("trace line {line_no}: {rest:?}"))
        })
        .collect()
}

fn parse_record(rest: &str) -> Result<CrossoverEvent> {
    let mut words = rest.split_ascii_whitespace();
    let mut field = |key: &str| -> Result<&str> {
        let word = words.next().with_context(|| format!("missing {key}="))?;
        word.strip_prefix(key)
            .and_then(|w| w.strip_prefix('='))
            .with_context(|| format!("expected {key}=, found {word:?}"))
    };
    let netns = field("netns_cookie")?.parse().context("netns_cookie")?;
    let peer = u32::from_str_radix(field("addr")?, 16).context("addr")?;
    let peer_netns = field("peer_cookie")?.parse().context("peer_cookie")?;
    let word = field("event")?;
    let event = EventKind::parse(word).with_context(|| format!("unknown event {word:?}"))?;
    if let Some(extra) = words.next() {
        bail!("unexpected {extra:?} after the event name");
    }
    Ok(CrossoverEvent {
        netns,
        peer,
        peer_netns,
        event,
    })
}

/// Parses `NAME COOKIE` lines (`netns_cookies` in `vm/guest/lib.sh`).
pub fn parse_cookies(text: &str) -> Result<Vec<(String, u64)>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, cookie) = l
                .split_once(' ')
                .with_context(|| format!("expected \"NAME COOKIE\", found {l:?}"))?;
            let cookie = cookie
                .trim()
                .parse()
                .with_context(|| format!("cookie of {name}: {cookie:?}"))?;
            Ok((name.to_string(), cookie))
        })
        .collect()
}

/// A node's crossover as the records follow it: the namespace that holds
/// the node and the node's address.
pub type NodeKey = (u64, u32);

/// How the opens and closes of a trace pair up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pairing {
    pub opens: usize,
    pub closes: usize,
    /// Opens never closed by the end of the trace.
    pub unclosed: Vec<CrossoverEvent>,
    /// Closes with no open before them.
    pub close_without_open: Vec<CrossoverEvent>,
    /// Opens while the node's crossover was open already.
    pub open_while_open: Vec<CrossoverEvent>,
    /// Closes naming another peer namespace than the open they close.
    pub wrong_peer: Vec<CrossoverEvent>,
}

impl Pairing {
    /// Every open was closed once, in order.
    pub fn ok(&self) -> bool {
        self.unclosed.is_empty()
            && self.close_without_open.is_empty()
            && self.open_while_open.is_empty()
            && self.wrong_peer.is_empty()
    }

    /// One line for a report.
    pub fn summary(&self) -> String {
        let mut s = format!("{} open(s), {} close(s)", self.opens, self.closes);
        for (what, list) in [
            ("never closed", &self.unclosed),
            ("closed without an open", &self.close_without_open),
            ("opened twice", &self.open_while_open),
            ("closed for another peer namespace", &self.wrong_peer),
        ] {
            if let Some(first) = list.first() {
                s.push_str(&format!(
                    "; {} {what}, the first: netns_cookie={} addr={:x} peer_cookie={} event={}",
                    list.len(),
                    first.netns,
                    first.peer,
                    first.peer_netns,
                    first.event.name()
                ));
            }
        }
        s
    }
}

/// Pairs the opens and closes of one kernel's trace, in trace order: each
/// node's crossover must alternate open, close, open, ... and end closed.
pub fn pair(events: &[CrossoverEvent]) -> Pairing {
    let mut open: BTreeMap<NodeKey, &CrossoverEvent> = BTreeMap::new();
    let mut p = Pairing::default();
    for e in events {
        let key = (e.netns, e.peer);
        if e.event == EventKind::Open {
            p.opens += 1;
            if open.insert(key, e).is_some() {
                p.open_while_open.push(e.clone());
            }
            continue;
        }
        p.closes += 1;
        match open.remove(&key) {
            None => p.close_without_open.push(e.clone()),
            Some(o) if o.peer_netns != e.peer_netns => p.wrong_peer.push(e.clone()),
            Some(_) => {}
        }
    }
    p.unclosed = open.into_values().cloned().collect();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(netns: u64, peer: u32, peer_netns: u64, event: EventKind) -> CrossoverEvent {
        CrossoverEvent {
            netns,
            peer,
            peer_netns,
            event,
        }
    }

    #[test]
    fn records_are_parsed_and_other_lines_skipped() {
        let text = "# tracer: nop\n#\n\
            tipc-agent-57 [000] ..s1. 3.5: tipc_crossover_peer: netns_cookie=4101 addr=1001 peer_cookie=4102 event=open\n\
            <idle>-0 [000] ..s2. 9.25: tipc_crossover_peer: netns_cookie=4102 addr=2002 peer_cookie=4101 event=lost_contact\n\
            <idle>-0 [000] ..s2. 9.5: tipc_node_timeout: something else\n";
        let events = parse_trace(text).unwrap();
        assert_eq!(
            events,
            vec![
                ev(4101, 0x1001, 4102, EventKind::Open),
                ev(4102, 0x2002, 4101, EventKind::LostContact)
            ]
        );
    }

    #[test]
    fn every_kind_the_kernel_prints_is_known() {
        for k in EventKind::ALL {
            let line = format!(
                "x: tipc_crossover_peer: netns_cookie=1 addr=2 peer_cookie=3 event={}",
                k.name()
            );
            assert_eq!(parse_trace(&line).unwrap()[0].event, k);
        }
    }

    #[test]
    fn broken_records_name_their_line() {
        for bad in [
            "x\ny: tipc_crossover_peer: netns_cookie=abc addr=1 peer_cookie=2 event=open\n",
            "x\ny: tipc_crossover_peer: netns_cookie=1 addr=1 peer_cookie=2 event=assigned\n",
            "x\ny: tipc_crossover_peer: netns=1 peer=1 peer_netns=2 assigned\n",
            "x\ny: tipc_crossover_peer: netns_cookie=1 addr=1 peer_cookie=2\n",
            "x\ny: tipc_crossover_peer: netns_cookie=1 addr=1 peer_cookie=2 open\n",
            "x\ny: tipc_crossover_peer: netns_cookie=1 addr=1 peer_cookie=2 event=lost contact\n",
        ] {
            let err = parse_trace(bad).unwrap_err();
            assert!(format!("{err:#}").contains("trace line 2"), "{err:#}");
        }
    }

    #[test]
    fn the_expected_pairs_are_judged_before_the_teardown() {
        let trace = "\
            a [000] ..s1. 3.5: tipc_crossover_peer: netns_cookie=11 addr=1 peer_cookie=14 event=open\n\
            sh-9 [001] ..... 19.7: tracing_mark_write: crossover_teardown\n\
            b [000] ..s1. 19.8: tipc_crossover_peer: netns_cookie=14 addr=3 peer_cookie=30 event=open\n";
        let before = parse_trace(before_teardown(trace)).expect("parses");
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].peer_netns, 14);
        assert_eq!(parse_trace(trace).expect("parses").len(), 2);
        let untouched = "x: tipc_crossover_peer: netns_cookie=1 addr=2 peer_cookie=3 event=open\n";
        assert_eq!(before_teardown(untouched), untouched);
    }

    #[test]
    fn the_stock_kernel_file_has_no_records() {
        let events = parse_trace("# no tipc_crossover_peer tracepoint in this kernel\n").unwrap();
        assert!(events.is_empty());
    }

    #[test]
    fn cookies() {
        let v = parse_cookies("ns1 4101\nns2 4102\n").unwrap();
        assert_eq!(v, vec![("ns1".into(), 4101), ("ns2".into(), 4102)]);
        assert!(parse_cookies("ns1\n").is_err());
        assert!(parse_cookies("ns1 x\n").is_err());
    }

    #[test]
    fn opens_and_closes_that_alternate_pair() {
        use EventKind::*;
        let p = pair(&[
            ev(1, 0x10, 2, Open),
            ev(2, 0x20, 1, Open),
            ev(1, 0x10, 2, LostContact),
            ev(1, 0x10, 2, Open),
            ev(2, 0x20, 1, PeerExit),
            ev(1, 0x10, 2, NodeDelete),
        ]);
        assert!(p.ok(), "{}", p.summary());
        assert_eq!((p.opens, p.closes), (3, 3));
    }

    #[test]
    fn every_way_of_not_pairing_is_caught() {
        use EventKind::*;
        let unclosed = pair(&[ev(1, 0x10, 2, Open)]);
        assert_eq!(unclosed.unclosed.len(), 1);
        assert!(!unclosed.ok());
        assert!(
            unclosed.summary().contains("1 never closed"),
            "{}",
            unclosed.summary()
        );

        let orphan = pair(&[ev(1, 0x10, 2, NodeDelete)]);
        assert_eq!(orphan.close_without_open.len(), 1);
        assert!(!orphan.ok());

        let twice = pair(&[
            ev(1, 0x10, 2, Open),
            ev(1, 0x10, 2, Open),
            ev(1, 0x10, 2, NodeDelete),
        ]);
        assert_eq!(twice.open_while_open.len(), 1);
        assert!(!twice.ok());

        let closed_twice = pair(&[
            ev(1, 0x10, 2, Open),
            ev(1, 0x10, 2, LostContact),
            ev(1, 0x10, 2, NodeDelete),
        ]);
        assert_eq!(closed_twice.close_without_open.len(), 1);

        let other = pair(&[ev(1, 0x10, 2, Open), ev(1, 0x10, 3, PeerExit)]);
        assert_eq!(other.wrong_peer.len(), 1);
        assert!(!other.ok());
    }
}
