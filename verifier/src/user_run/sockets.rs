//! Which path each sending socket's data took, from the captures of a run:
//! a trace clone on another namespace's `lo` is a crossover, one on the
//! sender's own `lo` a node-local delivery, a frame on a bearer device the
//! bearer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use tipc_wire::verdict::ExpectedPath;

use crate::scenario::CaptureCounts;

/// A path one message was seen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeenPath {
    /// A trace clone on the `lo` of a namespace other than the sender's.
    Crossover,
    /// On a bearer device (veth, bridge port, eth0).
    Bearer,
    /// A trace clone on the sender's own `lo`: delivered inside its node.
    NodeLocal,
    /// A trace clone on a `lo` from a node no namespace of the run has (or
    /// whose namespace's address could not be read): not judged a
    /// crossover.
    Unknown,
}

impl fmt::Display for SeenPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SeenPath::Crossover => "crossover",
            SeenPath::Bearer => "bearer",
            SeenPath::NodeLocal => "node-local",
            SeenPath::Unknown => "unknown",
        })
    }
}

/// One capture of the run: its file stem, namespace and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSite {
    pub name: String,
    pub ns: String,
    pub bearer: bool,
}

/// A sending socket and where its data messages were seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketPaths {
    /// `node:port`, the node address in hex (as `tipc node get address`).
    pub socket: String,
    /// The namespace whose node address the socket has, when known.
    pub ns: Option<String>,
    /// The paths its messages took (one, unless it changed on the way).
    pub paths: BTreeSet<SeenPath>,
    /// Messages per capture.
    pub seen: BTreeMap<String, u64>,
}

impl SocketPaths {
    /// `crossover`, `bearer`, `node-local`, or `mixed (a, b)`.
    pub fn verdict(&self) -> String {
        let names: Vec<String> = self.paths.iter().map(|p| p.to_string()).collect();
        match names.as_slice() {
            [one] => one.clone(),
            _ => format!("mixed ({})", names.join(", ")),
        }
    }

    /// Whether the socket kept to `expect`. A socket whose data stayed in
    /// its own node is not between namespaces and passes either way.
    pub fn keeps_to(&self, expect: ExpectedPath) -> bool {
        let want = wanted(expect);
        self.paths
            .iter()
            .all(|p| *p == want || *p == SeenPath::NodeLocal)
    }

    /// Whether some of the socket's data took `expect`'s path.
    pub fn took(&self, expect: ExpectedPath) -> bool {
        self.paths.contains(&wanted(expect))
    }

    /// One line: socket, namespace, verdict and counts per capture.
    pub fn detail(&self) -> String {
        let seen: Vec<String> = self
            .seen
            .iter()
            .map(|(c, n)| format!("{n} on {c}"))
            .collect();
        format!(
            "{} from {}: {}",
            self.verdict(),
            self.ns.as_deref().unwrap_or("an unknown namespace"),
            seen.join(", ")
        )
    }
}

fn wanted(expect: ExpectedPath) -> SeenPath {
    match expect {
        ExpectedPath::Crossover => SeenPath::Crossover,
        ExpectedPath::Bearer => SeenPath::Bearer,
    }
}

/// The node address in `tipc node get address`'s output (hex), or `None`.
pub fn parse_address(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim().trim_start_matches("0x"), 16)
        .ok()
        .filter(|a| *a != 0)
}

/// Every sending socket seen in `captures`, in `node:port` order.
/// `addresses`: each namespace's node address.
pub fn socket_paths(
    captures: &[(CaptureSite, CaptureCounts)],
    addresses: &BTreeMap<String, u32>,
) -> Vec<SocketPaths> {
    let ns_of = |node: &str| {
        let node = u32::from_str_radix(node, 16).ok()?;
        addresses
            .iter()
            .find(|(_, a)| **a == node)
            .map(|(ns, _)| ns.clone())
    };
    let mut sockets: BTreeMap<String, SocketPaths> = BTreeMap::new();
    for (site, counts) in captures {
        for (origin, n) in &counts.data_by_origin {
            let node = origin.split(':').next().unwrap_or_default();
            let sender_ns = ns_of(node);
            let path = match (&sender_ns, site.bearer) {
                (_, true) => SeenPath::Bearer,
                (None, false) => SeenPath::Unknown,
                (Some(ns), false) if *ns == site.ns => SeenPath::NodeLocal,
                (Some(_), false) => SeenPath::Crossover,
            };
            let entry = sockets
                .entry(origin.clone())
                .or_insert_with(|| SocketPaths {
                    socket: origin.clone(),
                    ns: sender_ns,
                    paths: BTreeSet::new(),
                    seen: BTreeMap::new(),
                });
            entry.paths.insert(path);
            *entry.seen.entry(site.name.clone()).or_default() += n;
        }
    }
    sockets.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, ns: &str, bearer: bool) -> CaptureSite {
        CaptureSite {
            name: name.into(),
            ns: ns.into(),
            bearer,
        }
    }

    fn counts(origins: &[(&str, u64)]) -> CaptureCounts {
        CaptureCounts {
            data_by_origin: origins.iter().map(|(o, n)| (o.to_string(), *n)).collect(),
            ..CaptureCounts::default()
        }
    }

    #[test]
    fn each_socket_gets_the_paths_its_data_was_seen_on() {
        let addresses = BTreeMap::from([("ns1".to_string(), 0x1001), ("ns2".to_string(), 0x1002)]);
        let captures = vec![
            // ns1's client crossed into ns2; ns2's server answered over the veth.
            (site("ns2-lo", "ns2", false), counts(&[("00001001:7", 20)])),
            (site("ns1-lo", "ns1", false), counts(&[("00001001:9", 3)])),
            (
                site("ns1-veth1", "ns1", true),
                counts(&[("00001002:8", 20)]),
            ),
            (
                site("ns2-veth2", "ns2", true),
                counts(&[("00001002:8", 20)]),
            ),
            // A socket of a node nobody here has, seen both ways.
            (site("ns2-veth2", "ns2", true), counts(&[("0000beef:1", 1)])),
            (site("ns2-lo", "ns2", false), counts(&[("0000beef:1", 1)])),
        ];
        let s = socket_paths(&captures, &addresses);
        let by: BTreeMap<&str, &SocketPaths> = s.iter().map(|p| (p.socket.as_str(), p)).collect();
        assert_eq!(by["00001001:7"].verdict(), "crossover");
        assert_eq!(by["00001001:7"].ns.as_deref(), Some("ns1"));
        assert_eq!(by["00001001:9"].verdict(), "node-local");
        assert_eq!(by["00001002:8"].verdict(), "bearer");
        assert_eq!(by["00001002:8"].seen.values().sum::<u64>(), 40);
        assert_eq!(by["0000beef:1"].verdict(), "mixed (bearer, unknown)");
        assert!(!by["0000beef:1"].keeps_to(ExpectedPath::Crossover));
        assert!(by["00001001:7"].took(ExpectedPath::Crossover));
        assert!(!by["00001001:9"].took(ExpectedPath::Crossover));
        assert_eq!(by["0000beef:1"].ns, None);
        assert!(by["00001001:7"].keeps_to(ExpectedPath::Crossover));
        assert!(by["00001001:9"].keeps_to(ExpectedPath::Crossover));
        assert!(!by["00001002:8"].keeps_to(ExpectedPath::Crossover));
        assert!(by["00001002:8"].keeps_to(ExpectedPath::Bearer));
        assert!(!by["0000beef:1"].keeps_to(ExpectedPath::Bearer));
        assert!(by["00001002:8"]
            .detail()
            .starts_with("bearer from ns2: 20 on ns1-veth1"));
    }

    #[test]
    fn addresses_are_read_as_tipc_prints_them() {
        assert_eq!(parse_address("01001001\n"), Some(0x0100_1001));
        assert_eq!(
            parse_address("00000000\n"),
            None,
            "still in its address trial"
        );
        assert_eq!(parse_address("error: no such namespace"), None);
    }
}
