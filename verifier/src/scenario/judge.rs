//! The verdicts of a scenario run: from the agent's results, the captures
//! (through the project's one decoder) and the crossover tracepoint.

use super::crossover_events::{self, CrossoverEvent, EventKind};
use super::discovery_cost;
use super::script::role_suffix;
use super::{MsgPath, Scenario, Topology, TrafficCase};
use crate::kbuild::Flavour;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use tipc_agent_protocol::SockMode;
use tipc_wire as decode;

/// What `tipc-agent send`/`recv` wrote.
pub type AgentResult = tipc_agent_protocol::results::Exchange;

/// One check of a scenario run.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub(crate) fn new(name: impl Into<String>, ok: bool, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok,
            detail: detail.into(),
        }
    }
}

/// Counts of TIPC messages in one capture, by "USER/TYPE" label.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaptureCounts {
    pub by_class: BTreeMap<String, u64>,
    pub non_tipc: u64,
    pub decode_errors: u64,
    pub tcpdump: Option<TcpdumpStats>,
    /// User-data messages per service type (name type of NAMED/MCAST headers).
    pub data_by_service: BTreeMap<u32, u64>,
    /// User-data messages per originating socket, `node:port` (a fragmented
    /// message counts once, by its FIRST fragment's inner header).
    pub data_by_origin: BTreeMap<String, u64>,
}

/// The key of `CaptureCounts::data_by_origin`.
pub fn origin_key(node: u32, port: u32) -> String {
    format!("{node:08x}:{port}")
}

/// Reads a capture through the project's one decoder. The data of a bundle
/// counts per inner message, as if it had been sent alone.
pub fn count_capture(pcap: &Path) -> Result<CaptureCounts> {
    let mut counts = CaptureCounts::default();
    let mut msgs = decode::tipc_messages(pcap)?;
    for item in msgs.by_ref() {
        match item {
            Ok(m) => {
                let h = &m.header;
                *counts
                    .by_class
                    .entry(format!("{}/{}", h.user_name(), h.type_name()))
                    .or_default() += 1;
                if h.bundle.is_some() {
                    for inner in decode::tipc::bundle_messages(m.payload()) {
                        counts.count_data(&inner);
                    }
                } else {
                    counts.count_data(h);
                }
            }
            Err(e) if e.unreadable() => return Err(anyhow::anyhow!("{e}")),
            Err(_) => counts.decode_errors += 1,
        }
    }
    counts.non_tipc = msgs.skipped_non_tipc();
    Ok(counts)
}

impl CaptureCounts {
    /// Counts one message if it carries the application's data: without
    /// payload a data header is connection or multicast control (SYN,
    /// shutdown, sync), not the application's data; with an error code it
    /// is a rejection coming back. A fragmented message counts once, by its
    /// FIRST fragment's inner header.
    fn count_data(&mut self, h: &decode::TipcHeader) {
        let inner = h.endpoint_header();
        let carries_data = inner.size > inner.hdr_size && inner.error == 0;
        if inner.is_user_data() && carries_data {
            if let Some(t) = inner.name_type {
                *self.data_by_service.entry(t).or_default() += 1;
            }
            if let (Some(node), Some(port)) = (inner.orig_node, inner.orig_port) {
                *self
                    .data_by_origin
                    .entry(origin_key(node, port))
                    .or_default() += 1;
            }
        }
    }
}

/// What tcpdump says when it stops: packets written, passed by the filter,
/// dropped by the kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TcpdumpStats {
    pub captured: u64,
    pub received_by_filter: u64,
    pub dropped_by_kernel: u64,
}

/// Frames a bearer may still receive while tcpdump is stopping (link
/// supervision and discovery never pause): the kernel counts them as passing
/// the filter after tcpdump's last read. All traffic under test ended before
/// the stop (senders wait for the receiver's ack), so these are never test
/// data. Under TCG a guest stopping eight captures takes about a second, in
/// which a bridge port with three peers sees up to about ten link state and
/// discovery frames; 3 were seen on a veth.
pub const IN_FLIGHT_AT_STOP: u64 = 16;

impl TcpdumpStats {
    /// Nothing dropped, and every packet that passed the filter reached the
    /// file but for frames in flight at the stop.
    pub fn complete(&self) -> bool {
        self.dropped_by_kernel == 0
            && self.captured <= self.received_by_filter
            && self.received_by_filter - self.captured <= IN_FLIGHT_AT_STOP
    }
}

/// Parses tcpdump's closing statistics (None if it never printed them).
pub fn parse_tcpdump_stats(stderr: &str) -> Option<TcpdumpStats> {
    let count = |suffix: &str| {
        stderr
            .lines()
            .find_map(|l| l.strip_suffix(suffix)?.trim().parse::<u64>().ok())
    };
    Some(TcpdumpStats {
        captured: count(" packets captured")?,
        received_by_filter: count(" packets received by filter")?,
        dropped_by_kernel: count(" packets dropped by kernel")?,
    })
}

fn read_agent(path: &Path) -> Result<AgentResult> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Judges the traffic, the captures and the crossover tracepoint of a
/// finished run of `scn` on `kernel` in `share` (the KUnit suite against
/// the test file of `project`).
pub fn judge(
    scn: &Scenario,
    share: &Path,
    kernel: Flavour,
    project: &Path,
) -> (Vec<Check>, BTreeMap<String, CaptureCounts>) {
    if scn.topology == Topology::Kselftest {
        return (super::kselftest::judge(share, kernel), BTreeMap::new());
    }
    if scn.topology == Topology::Kunit {
        return (super::kunit::judge(share, project), BTreeMap::new());
    }
    if scn.name == super::module_cycle::NAME {
        return (super::module_cycle::judge(share), BTreeMap::new());
    }
    let mut checks = Vec::new();
    let mut captures = BTreeMap::new();
    for c in &scn.captures {
        let pcap = share.join("captures").join(format!("{}.pcap", c.name));
        match count_capture(&pcap) {
            Ok(mut counts) => {
                counts.tcpdump = std::fs::read_to_string(
                    share.join("captures").join(format!("{}.stderr", c.name)),
                )
                .ok()
                .and_then(|s| parse_tcpdump_stats(&s));
                let stats = counts.tcpdump;
                checks.push(Check::new(
                    format!("capture_{}_complete", c.name.replace('-', "_")),
                    stats.is_some_and(|s| s.complete()) && counts.decode_errors == 0,
                    match stats {
                        Some(s) => format!(
                            "tcpdump: {} captured, {} passed the filter, {} dropped; decode errors: {}",
                            s.captured, s.received_by_filter, s.dropped_by_kernel, counts.decode_errors
                        ),
                        None => "tcpdump printed no statistics (killed?)".to_string(),
                    },
                ));
                captures.insert(c.name.to_string(), counts);
            }
            Err(e) => checks.push(Check::new(
                format!("capture_{}_readable", c.name.replace('-', "_")),
                false,
                format!("{e:#}"),
            )),
        }
    }
    for bearer in scn.captures.iter().filter(|c| c.bearer) {
        if let Some(counts) = captures.get(bearer.name) {
            let control = |label: &str| {
                counts
                    .by_class
                    .iter()
                    .filter(|(k, _)| k.starts_with(label))
                    .map(|(_, v)| v)
                    .sum::<u64>()
            };
            let (disc, link, names) = (
                control("LINK_CONFIG"),
                control("LINK_PROTOCOL"),
                control("NAME_DISTRIBUTOR"),
            );
            checks.push(Check::new(
                format!("{}_carries_discovery_link_and_names", bearer.name.replace('-', "_")),
                disc > 0 && link > 0 && names > 0,
                format!("LINK_CONFIG {disc}, LINK_PROTOCOL {link}, NAME_DISTRIBUTOR {names} messages on {}", bearer.iface),
            ));
        }
    }
    for case in &scn.cases {
        checks.extend(judge_case(scn, case, share, &captures, kernel));
    }
    checks.extend(judge_injections(share));
    if scn.cost == super::Cost::DiscoveryScale {
        checks.extend(judge_discovery_cost(share, kernel));
    }
    if scn.cost == super::Cost::Claimants {
        checks.extend(judge_claimant_cost(share, kernel));
    }
    if kernel.has_series() {
        checks.extend(judge_crossover_events(scn, share));
    }
    (checks, captures)
}

fn judge_case(
    scn: &Scenario,
    case: &TrafficCase,
    share: &Path,
    captures: &BTreeMap<String, CaptureCounts>,
    kernel: Flavour,
) -> Vec<Check> {
    let (expect, why) = case.expect_on(kernel);
    let mut checks = Vec::new();
    let results = share.join("results");
    let sent = read_agent(&results.join(format!("{}.send.json", case.id)));
    let recv = read_agent(&results.join(format!("{}.recv.json", case.id)));
    let n = u64::from(case.count);
    let name = |what: &str| format!("{}_{what}", case.id);
    if case.interrupt.is_some() {
        // The receiver was taken away mid-flow: the sender must have ended
        // on its own, with every message sent or an error it reported.
        let (ok, detail) = match &sent {
            Ok(s) => (
                s.messages == n || s.first_error.is_some(),
                format!(
                    "sent {} of {n} msgs before the receiver went away{}",
                    s.messages,
                    s.first_error
                        .as_deref()
                        .map(|e| format!(", then: {e}"))
                        .unwrap_or_default()
                ),
            ),
            Err(e) => (false, format!("{e:#}")),
        };
        checks.push(Check::new(name("sender_ended_cleanly"), ok, detail));
        return checks;
    }
    let (s, r) = match (&sent, &recv) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => {
            checks.push(Check::new(
                name("delivered_intact"),
                false,
                format!("{e:#}"),
            ));
            return checks;
        }
    };
    let order_ok = !case.ordered() || s.digest_ordered == r.digest_ordered;
    checks.push(Check::new(
        name("delivered_intact"),
        s.messages == n
            && r.messages == n
            && s.digest_set == r.digest_set
            && order_ok
            && s.bytes == r.bytes,
        format!(
            "sent {} msgs/{} B, received {} msgs/{} B, checksums {}{}{}",
            s.messages,
            s.bytes,
            r.messages,
            r.bytes,
            if s.digest_set == r.digest_set {
                "match"
            } else {
                "DIFFER"
            },
            if case.ordered() {
                if order_ok {
                    ", in order"
                } else {
                    ", OUT OF ORDER"
                }
            } else {
                ""
            },
            r.first_error
                .as_deref()
                .or(s.first_error.as_deref())
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default()
        ),
    ));
    let Some(origin) = s
        .own_node
        .zip(s.own_ref)
        .map(|(node, port)| origin_key(node, port))
    else {
        checks.push(Check::new(
            name("path"),
            false,
            "the sender did not report its socket address",
        ));
        return checks;
    };
    let (crossed, beared) = messages_per_path(case, expect);
    let why = match &case.pause {
        Some(p) => format!("{why}; then {}", p.why),
        None => why.to_string(),
    };
    for cap in &scn.captures {
        let Some(counts) = captures.get(cap.name) else {
            continue;
        };
        let seen = counts.data_by_origin.get(&origin).copied().unwrap_or(0);
        let receiver_lo = !cap.bearer && cap.ns == case.to_ns;
        let (what, ok, want) = if !cap.bearer {
            match (receiver_lo, crossed) {
                // A stream may cut messages differently on the wire, so its
                // count is a floor; with part of a stream on the bearer,
                // the bearer's check below is what tells the two apart.
                (true, c) if c > 0 && case.sock == SockMode::Stream => {
                    ("traced_on", seen >= c, format!(">= {c}"))
                }
                (true, c) if c > 0 => ("traced_on", seen == c, c.to_string()),
                _ => ("absent_from", seen == 0, "0".to_string()),
            }
        } else if beared > 0 {
            // The bearer of the sender or the receiver; another
            // namespace's port of a bridge may or may not see the frames
            // (flooding).
            if cap.ns != case.from_ns && cap.ns != case.to_ns {
                continue;
            }
            ("on", seen > 0, "> 0".to_string())
        } else {
            ("absent_from", seen == 0, "0".to_string())
        };
        checks.push(Check::new(
            name(&format!("{what}_{}", cap.name.replace('-', "_"))),
            ok,
            format!(
                "{seen} data messages from socket {origin} on {} {} (want {want}; {why})",
                cap.ns, cap.iface
            ),
        ));
    }
    checks
}

/// How many of `case`'s messages take the crossover and the bearer when
/// its path is `expect`: a paused case changes its path after its first
/// `after` messages (at most all of them).
pub fn messages_per_path(case: &TrafficCase, expect: MsgPath) -> (u64, u64) {
    let n = u64::from(case.count);
    let (first, then) = match &case.pause {
        Some(p) => (u64::from(p.after).min(n), p.then),
        None => (n, expect),
    };
    let on =
        |path: MsgPath| u64::from(expect == path) * first + u64::from(then == path) * (n - first);
    (on(MsgPath::Crossover), on(MsgPath::Bearer))
}

/// The tracepoint against the scenario's expected crossovers: every
/// expected pair assigned often enough, no other pair until the guest
/// deletes its namespaces, the expected clearing events before that, and
/// every open closed once in the whole trace.
fn judge_crossover_events(scn: &Scenario, share: &Path) -> Vec<Check> {
    let mut events: Vec<(Option<&str>, CrossoverEvent)> = Vec::new();
    let mut names: BTreeMap<(Option<&str>, u64), String> = BTreeMap::new();
    let mut pairings = Vec::new();
    for role in scn.topology.roles() {
        let suffix = role_suffix(role);
        let results = share.join("results");
        let read = |file: String| {
            let path = results.join(&file);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        let loaded = read(format!("crossover-trace{suffix}.txt")).and_then(|trace| {
            let cookies = read(format!("netns{suffix}.txt"))?;
            Ok((
                crossover_events::parse_trace(&trace)?,
                crossover_events::parse_trace(crossover_events::before_teardown(&trace))?,
                crossover_events::parse_cookies(&cookies)?,
            ))
        });
        match loaded {
            Ok((evs, before, cookies)) => {
                pairings.push((role, crossover_events::pair(&evs)));
                events.extend(before.into_iter().map(|e| (role, e)));
                names.extend(cookies.into_iter().map(|(ns, c)| ((role, c), ns)));
            }
            Err(e) => {
                return vec![Check::new("tracepoint_readable", false, format!("{e:#}"))];
            }
        }
    }
    let name = |role: Option<&str>, cookie: u64| {
        names
            .get(&(role, cookie))
            .cloned()
            .unwrap_or_else(|| format!("netns cookie {cookie}"))
    };
    let mut assigned: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (role, e) in events.iter().filter(|(_, e)| e.event == EventKind::Open) {
        *assigned
            .entry((name(*role, e.netns), name(*role, e.peer_netns)))
            .or_default() += 1;
    }
    let expect = &scn.crossovers;
    let mut checks = Vec::new();
    for (holder, peer) in &expect.pairs {
        let n = assigned
            .get(&(holder.to_string(), peer.to_string()))
            .copied()
            .unwrap_or(0);
        checks.push(Check::new(
            format!("tracepoint_{holder}_opened_{peer}"),
            n >= expect.min_assigned,
            format!(
                "{n} \"open\" event(s) for {holder}'s node of {peer} (want >= {})",
                expect.min_assigned
            ),
        ));
    }
    let unexpected: Vec<String> = assigned
        .keys()
        .filter(|(h, p)| !expect.pairs.iter().any(|(eh, ep)| eh == h && ep == p))
        .map(|(h, p)| format!("{h} -> {p}"))
        .collect();
    checks.push(Check::new(
        "tracepoint_no_other_crossover",
        unexpected.is_empty(),
        if unexpected.is_empty() {
            format!(
                "{} event(s); crossovers opened only between the expected pairs ({})",
                events.len(),
                expect.pairs.len()
            )
        } else {
            format!("crossover opened where none may: {}", unexpected.join(", "))
        },
    ));
    for what in &expect.cleared {
        let n = events.iter().filter(|(_, e)| e.event == *what).count();
        checks.push(Check::new(
            format!("tracepoint_{}", what.name()),
            n > 0,
            format!("{n} \"{}\" event(s)", what.name()),
        ));
    }
    // Each guest is its own kernel: its cookies, its pairs.
    for (role, p) in &pairings {
        let guest = role.map(|r| format!(" (guest {r})")).unwrap_or_default();
        checks.push(Check::new(
            format!(
                "tracepoint_every_open_closed{}",
                role_suffix(*role).replace('-', "_")
            ),
            p.ok(),
            format!("{}{guest}, after the namespaces were deleted", p.summary()),
        ));
    }
    checks
}

/// What `tipc-agent inject` reported.
type InjectResult = tipc_agent_protocol::results::Inject;

/// Every forged-discovery run the guest made (`results/inject-*.json`)
/// must have sent its frames: otherwise the scenario proved nothing.
fn judge_injections(share: &Path) -> Vec<Check> {
    let Ok(dir) = std::fs::read_dir(share.join("results")) else {
        return Vec::new();
    };
    let mut files: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("inject-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let mode = path
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("inject")
                .replace('-', "_");
            let result = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))
                .and_then(|t| {
                    serde_json::from_str::<InjectResult>(&t)
                        .with_context(|| format!("parsing {}", path.display()))
                });
            // The function profiler's count of discovery messages received
            // while the frames went out: the proof that they reached
            // discovery at all (each reaches every namespace on the bridge).
            let received = std::fs::read_to_string(path.with_extension("profile"))
                .ok()
                .and_then(|t| discovery_cost::parse_profile(&t).ok())
                .map(|p| {
                    p.iter()
                        .filter(|f| f.function == "tipc_disc_rcv")
                        .map(|f| f.hits)
                        .sum::<u64>()
                });
            match result {
                Ok(r) => Check::new(
                    format!("{mode}_frames_sent"),
                    r.frames_sent > 0
                        && r.first_error.is_none()
                        && received.is_none_or(|n| n >= r.frames_sent),
                    format!(
                        "{} forged discovery frame(s) claiming node {}{}{}",
                        r.frames_sent,
                        r.claimed_node_id.as_deref().unwrap_or("?"),
                        received
                            .map(|n| format!(", tipc_disc_rcv ran {n} times meanwhile"))
                            .unwrap_or_default(),
                        r.first_error
                            .map(|e| format!(", error: {e}"))
                            .unwrap_or_default()
                    ),
                ),
                Err(e) => Check::new(format!("{mode}_frames_sent"), false, format!("{e:#}")),
            }
        })
        .collect()
}

/// The path a case's data was seen taking in the captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CasePath {
    /// Only as trace clones on a loopback.
    Crossover,
    /// Only on a bearer.
    Bearer,
    /// On a loopback and on a bearer.
    Both,
    /// Nowhere (no capture saw it, or the sender did not report its socket).
    Unseen,
}

impl CasePath {
    /// Whether this is what `expect` means.
    pub fn is(self, expect: MsgPath) -> bool {
        matches!(
            (self, expect),
            (CasePath::Crossover, MsgPath::Crossover) | (CasePath::Bearer, MsgPath::Bearer)
        )
    }
}

/// Where each case's data was seen, by case id.
pub fn observed_paths(
    scn: &Scenario,
    share: &Path,
    captures: &BTreeMap<String, CaptureCounts>,
) -> BTreeMap<String, CasePath> {
    scn.cases
        .iter()
        .map(|case| {
            let sent = read_agent(&share.join("results").join(format!("{}.send.json", case.id)));
            let origin = sent
                .ok()
                .and_then(|s| s.own_node.zip(s.own_ref))
                .map(|(node, port)| origin_key(node, port));
            let seen = |bearer: bool| -> u64 {
                let Some(origin) = &origin else { return 0 };
                scn.captures
                    .iter()
                    .filter(|c| c.bearer == bearer)
                    .filter_map(|c| captures.get(c.name))
                    .map(|counts| counts.data_by_origin.get(origin).copied().unwrap_or(0))
                    .sum()
            };
            let path = match (seen(false) > 0, seen(true) > 0) {
                (true, false) => CasePath::Crossover,
                (false, true) => CasePath::Bearer,
                (true, true) => CasePath::Both,
                (false, false) => CasePath::Unseen,
            };
            (case.id.to_string(), path)
        })
        .collect()
}

/// The labels `discovery_scale` measures at, fewest namespaces first.
const SCALE_LABELS: [&str; 4] = ["n0", "n8", "n32", "n64"];

/// One check per measurement, then the verdict: on the patched kernel the
/// cost must stay flat; on the stock kernel its growth is reported.
fn judge_discovery_cost(share: &Path, kernel: Flavour) -> Vec<Check> {
    let points = match discovery_cost::points(&share.join("results"), &SCALE_LABELS) {
        Ok(p) => p,
        Err(e) => {
            return vec![Check::new(
                "discovery_cost_measured",
                false,
                format!("{e:#}"),
            )]
        }
    };
    let mut checks: Vec<Check> = points
        .iter()
        .map(|p| {
            Check::new(
                format!("discovery_cost_{}", p.label),
                p.hits > 0,
                format!(
                    "{} namespaces: {} {} call(s), {:.2} us each (TCG)",
                    p.namespaces,
                    p.hits,
                    discovery_cost::MEASURED,
                    p.avg_us
                ),
            )
        })
        .collect();
    // Each measurement names the namespaces that existed: more at each
    // step, or the figures are not what they claim to be.
    let counts: Vec<u32> = points.iter().map(|p| p.namespaces).collect();
    checks.push(Check::new(
        "discovery_cost_namespaces_counted",
        counts.windows(2).all(|w| w[0] < w[1]),
        format!("namespaces at each measurement: {counts:?}"),
    ));
    let growth = discovery_cost::growth(&points);
    let detail = |g: f64| {
        let (first, last) = (&points[0], &points[points.len() - 1]);
        format!(
            "{:.2} us at {} namespaces, {:.2} us at {}: x{g:.2}",
            first.avg_us, first.namespaces, last.avg_us, last.namespaces
        )
    };
    checks.push(match (kernel, growth) {
        (_, None) => Check::new(
            "discovery_cost_growth",
            false,
            "no cost at the fewest namespaces",
        ),
        (Flavour::Patched | Flavour::Debug | Flavour::Kcsan | Flavour::Modules, Some(g)) => {
            Check::new(
                "discovery_cost_flat",
                g <= discovery_cost::FLAT_LIMIT,
                format!("{} (limit x{})", detail(g), discovery_cost::FLAT_LIMIT),
            )
        }
        (Flavour::Stock | Flavour::PatchedC, Some(g)) => Check::new(
            "discovery_cost_growth",
            true,
            format!(
                "{} (the C walk visits every namespace; reported, not judged)",
                detail(g)
            ),
        ),
    });
    checks
}

/// The claimant counts of `claimants`, as its files name them.
const CLAIMANT_LABELS: [&str; 2] = ["1", "65"];

/// The cost of a forged frame with 1 and with 65 claimants of its node id
/// (`claimants`): flat on the series' Rust registry, reported elsewhere.
fn judge_claimant_cost(share: &Path, kernel: Flavour) -> Vec<Check> {
    let results = share.join("results");
    let mut costs = Vec::new();
    let mut checks = Vec::new();
    for label in CLAIMANT_LABELS {
        let path = results.join(format!("claimants-{label}.profile"));
        let measured = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))
            .and_then(|t| discovery_cost::parse_profile(&t))
            .map(|p| {
                p.into_iter()
                    .find(|f| f.function == discovery_cost::MEASURED)
            });
        let (ok, detail) = match measured {
            Ok(Some(p)) if p.hits > 0 => {
                costs.push(p.avg_us);
                (
                    true,
                    format!(
                        "{label} claimant(s): {} {} call(s), {:.2} us each (TCG -icount)",
                        p.hits,
                        discovery_cost::MEASURED,
                        p.avg_us
                    ),
                )
            }
            Ok(_) => (
                false,
                format!("no {} call in {}", discovery_cost::MEASURED, path.display()),
            ),
            Err(e) => (false, format!("{e:#}")),
        };
        checks.push(Check::new(format!("claimant_cost_{label}"), ok, detail));
    }
    if let [one, many] = costs[..] {
        let ratio = many / one;
        let detail = format!("{one:.2} us with 1 claimant, {many:.2} us with 65: x{ratio:.2}");
        checks.push(if kernel == Flavour::Stock || kernel == Flavour::PatchedC {
            Check::new(
                "claimant_cost_growth",
                true,
                format!("{detail} (the C walk hashes every claimant; reported, not judged)"),
            )
        } else {
            Check::new(
                "claimant_cost_flat",
                ratio <= discovery_cost::FLAT_LIMIT,
                format!("{detail} (limit x{})", discovery_cost::FLAT_LIMIT),
            )
        });
    }
    checks
}
