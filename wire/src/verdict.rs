//! Path verdicts: which path a captured message must have taken, and whether it did
//! (what `tipc-verifier trace review` prints per message).

use serde::Serialize;

use crate::tipc::{TipcHeader, TrafficClass};
use crate::{ObservedPath, TipcFrame};

/// The path `--expect` demands for socket traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum ExpectedPath {
    /// Between namespaces of one kernel: only a loopback trace clone, never a bearer.
    Crossover,
    /// Over the bearer (veth/eth): never a loopback trace clone.
    Bearer,
}

/// The judgement on one message's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// On the expected path.
    Ok,
    /// On the wrong path.
    WrongPath,
    /// Delivered inside one node; neither crossover nor bearer.
    Local,
    /// Socket traffic without `--expect`.
    Unchecked,
}

/// Judges the path of one message; returns the verdict and, unless it is `Ok`/`Unchecked`,
/// why. `local_nodes` are node addresses of the capturing namespace(s).
pub fn judge(
    frame: &TipcFrame,
    expect: Option<ExpectedPath>,
    local_nodes: &[u32],
) -> (Verdict, Option<&'static str>) {
    let path = frame.observed_path();
    match (frame.header.traffic_class(), path) {
        (TrafficClass::NodeLocal, ObservedPath::Loopback) => {
            (Verdict::Local, Some("node-local delivery"))
        }
        (TrafficClass::NodeLocal, ObservedPath::Bearer) => (
            Verdict::WrongPath,
            Some("node-local message seen on a bearer"),
        ),
        (TrafficClass::Internal, ObservedPath::Bearer) => (Verdict::Ok, None),
        (TrafficClass::Internal, ObservedPath::Loopback) => (
            Verdict::WrongPath,
            Some("internal traffic must use the bearer, seen as a loopback clone"),
        ),
        (TrafficClass::User, ObservedPath::Loopback)
            if is_intra_node(&frame.header, local_nodes) =>
        {
            (Verdict::Local, Some("intra-node delivery"))
        }
        (TrafficClass::User, path) => match (expect, path) {
            (None, _) => (Verdict::Unchecked, None),
            (Some(ExpectedPath::Crossover), ObservedPath::Loopback)
            | (Some(ExpectedPath::Bearer), ObservedPath::Bearer) => (Verdict::Ok, None),
            (Some(ExpectedPath::Crossover), ObservedPath::Bearer) => (
                Verdict::WrongPath,
                Some("expected crossover, seen on a bearer"),
            ),
            (Some(ExpectedPath::Bearer), ObservedPath::Loopback) => (
                Verdict::WrongPath,
                Some("expected bearer, seen as a loopback clone (crossover)"),
            ),
        },
    }
}

/// A loopback clone of a message a node sent to itself.
fn is_intra_node(header: &TipcHeader, local_nodes: &[u32]) -> bool {
    let h = header.endpoint_header();
    match (h.orig_node, h.dest_node) {
        // Address 0 is no node: an unset header, not a self-addressed message.
        (Some(o), Some(d)) if o == d && o != 0 => true,
        (Some(o), dest) => {
            local_nodes.contains(&o) && dest.into_iter().all(|d| local_nodes.contains(&d))
        }
        _ => false,
    }
}
