//! Records of the series' `tipc_crossover_peer` tracepoint, as the guest
//! read them from `/sys/kernel/tracing/trace`, and the namespace inode
//! numbers that name the namespaces in them.
//!
//! A record line looks like
//! `<idle>-0 [000] ..s2. 3.141592: tipc_crossover_peer: netns=4026532288 peer=1001 peer_netns=4026532353 assigned`.

use anyhow::{bail, Context, Result};
use serde::Serialize;

/// One `tipc_crossover_peer` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossoverEvent {
    /// Inode of the namespace whose node changed.
    pub netns: u64,
    /// The peer node's TIPC address.
    pub peer: u32,
    /// Inode of the peer namespace.
    pub peer_netns: u64,
    /// "assigned", "lost contact" or "peer exit".
    pub event: String,
}

const MARKER: &str = "tipc_crossover_peer: ";

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
    let mut words = rest.splitn(4, ' ');
    let mut field = |key: &str| -> Result<&str> {
        let word = words.next().with_context(|| format!("missing {key}="))?;
        word.strip_prefix(key)
            .and_then(|w| w.strip_prefix('='))
            .with_context(|| format!("expected {key}=, found {word:?}"))
    };
    let netns = field("netns")?.parse().context("netns")?;
    let peer = u32::from_str_radix(field("peer")?, 16).context("peer")?;
    let peer_netns = field("peer_netns")?.parse().context("peer_netns")?;
    let event = words.next().unwrap_or_default().trim().to_string();
    if event.is_empty() {
        bail!("missing event name");
    }
    Ok(CrossoverEvent {
        netns,
        peer,
        peer_netns,
        event,
    })
}

/// Parses `NAME INODE` lines (`netns_inodes` in `vm/guest/lib.sh`).
pub fn parse_inodes(text: &str) -> Result<Vec<(String, u64)>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, ino) = l
                .split_once(' ')
                .with_context(|| format!("expected \"NAME INODE\", found {l:?}"))?;
            let ino = ino
                .trim()
                .parse()
                .with_context(|| format!("inode of {name}: {ino:?}"))?;
            Ok((name.to_string(), ino))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_parsed_and_other_lines_skipped() {
        let text = "# tracer: nop\n#\n\
            tipc-agent-57 [000] ..s1. 3.5: tipc_crossover_peer: netns=4026532288 peer=1001 peer_netns=4026532353 assigned\n\
            <idle>-0 [000] ..s2. 9.25: tipc_crossover_peer: netns=4026532353 peer=2002 peer_netns=4026532288 lost contact\n\
            <idle>-0 [000] ..s2. 9.5: tipc_node_timeout: something else\n";
        let events = parse_trace(text).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[0],
            CrossoverEvent {
                netns: 4026532288,
                peer: 0x1001,
                peer_netns: 4026532353,
                event: "assigned".into()
            }
        );
        assert_eq!(events[1].event, "lost contact");
    }

    #[test]
    fn a_broken_record_names_its_line() {
        let err =
            parse_trace("x\ny: tipc_crossover_peer: netns=abc peer=1 peer_netns=2 assigned\n")
                .unwrap_err();
        assert!(format!("{err:#}").contains("trace line 2"), "{err:#}");
    }

    #[test]
    fn the_stock_kernel_file_has_no_records() {
        let events = parse_trace("# no tipc_crossover_peer tracepoint in this kernel\n").unwrap();
        assert!(events.is_empty());
    }

    #[test]
    fn inodes() {
        let v = parse_inodes("ns1 4026532288\nns2 4026532353\n").unwrap();
        assert_eq!(
            v,
            vec![("ns1".into(), 4026532288), ("ns2".into(), 4026532353)]
        );
        assert!(parse_inodes("ns1\n").is_err());
    }
}
