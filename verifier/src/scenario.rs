//! Scenarios: a topology and traffic cases, turned into a guest script, then
//! judged from the agent's results and the captures the guest brought back.
//!
//! The guest script is plain shell (vm/guest/lib.sh + steps), written to the
//! 9p share as `run.sh`, so a user can read exactly what ran and rerun it.

use crate::decode;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Which path a message class must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MsgPath {
    /// Socket to socket inside the kernel: a trace clone on the receiver's lo only.
    Crossover,
    /// Over the bearer (veth, bridge or eth0).
    Bearer,
}

/// One kind of traffic between two namespaces.
#[derive(Debug, Clone, Serialize)]
pub struct TrafficCase {
    pub id: &'static str,
    /// Agent socket kind: rdm, seqpacket, stream, mcast, group.
    pub sock: &'static str,
    /// What the receiver binds or joins (`TYPE:INSTANCE` or `TYPE:LOWER:UPPER`).
    pub recv_service: &'static str,
    /// What the sender addresses by name (None: by port id only).
    pub send_service: Option<&'static str>,
    /// The sender addresses the receiver's port id (from a port file).
    pub by_port: bool,
    pub group_mode: Option<&'static str>,
    pub count: u32,
    pub size: u32,
    pub from_ns: &'static str,
    pub to_ns: &'static str,
    pub expect: MsgPath,
    /// Why this class takes this path.
    pub why: &'static str,
}

impl TrafficCase {
    /// A crossover case from ns1 to ns2 addressed by name.
    const fn named(
        id: &'static str,
        sock: &'static str,
        svc: &'static str,
        count: u32,
        size: u32,
    ) -> Self {
        Self {
            id,
            sock,
            recv_service: svc,
            send_service: Some(svc),
            by_port: false,
            group_mode: None,
            count,
            size,
            from_ns: "ns1",
            to_ns: "ns2",
            expect: MsgPath::Crossover,
            why: "user data between namespaces of one kernel",
        }
    }

    /// TIPC keeps order on connections.
    fn ordered(&self) -> bool {
        matches!(self.sock, "seqpacket" | "stream")
    }
}

/// A capture the guest takes: file stem, namespace, interface.
#[derive(Debug, Clone, Serialize)]
pub struct CapturePoint {
    pub name: &'static str,
    pub ns: &'static str,
    pub iface: &'static str,
    /// True for a bearer interface, false for a loopback.
    pub bearer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: &'static str,
    pub description: &'static str,
    pub topology: Topology,
    pub captures: Vec<CapturePoint>,
    pub cases: Vec<TrafficCase>,
}

/// The scenario `make check` runs on every kernel.
pub fn veth_rdm() -> Scenario {
    Scenario {
        name: "veth_rdm",
        topology: Topology::VethPair,
        description: "two namespaces on a veth, RDM messages to a service name from ns1 to ns2",
        captures: veth_captures(),
        cases: vec![TrafficCase::named(
            "rdm_named",
            "rdm",
            "18888:17",
            200,
            1024,
        )],
    }
}

fn veth_captures() -> Vec<CapturePoint> {
    vec![
        CapturePoint {
            name: "ns1-lo",
            ns: "ns1",
            iface: "lo",
            bearer: false,
        },
        CapturePoint {
            name: "ns2-lo",
            ns: "ns2",
            iface: "lo",
            bearer: false,
        },
        CapturePoint {
            name: "ns1-veth1",
            ns: "ns1",
            iface: "veth1",
            bearer: true,
        },
    ]
}

/// Every message class between two namespaces on a veth.
pub fn veth_classes() -> Scenario {
    let group = |id, mode, expect, why| TrafficCase {
        group_mode: Some(mode),
        by_port: mode == "unicast",
        expect,
        why,
        ..TrafficCase::named(id, "group", "18895:1", 40, 1024)
    };
    Scenario {
        name: "veth_classes",
        topology: Topology::VethPair,
        description: "two namespaces on a veth, every message class: RDM by name and port id, 1 B and 66,000 B, \
                      SEQPACKET, STREAM, multicast, group broadcast/multicast/anycast/unicast",
        captures: veth_captures(),
        cases: vec![
            TrafficCase::named("rdm_1byte", "rdm", "18890:1", 50, 1),
            TrafficCase::named("rdm_66000", "rdm", "18890:2", 10, 66000),
            TrafficCase { by_port: true, send_service: None, ..TrafficCase::named("rdm_port", "rdm", "18890:3", 50, 1024) },
            TrafficCase::named("seqpacket", "seqpacket", "18891:1", 50, 1024),
            TrafficCase::named("stream_66000", "stream", "18892:1", 10, 66000),
            TrafficCase { send_service: Some("18893:10:20"), ..TrafficCase::named("mcast", "mcast", "18893:0:99", 50, 1024) },
            group("group_bcast", "bcast", MsgPath::Crossover, "group broadcast is user data"),
            group(
                "group_mcast",
                "mcast",
                MsgPath::Bearer,
                "a group multicast to one member is sent as GRP_UCAST, which the upstream switch leaves on the bearer",
            ),
            group("group_anycast", "anycast", MsgPath::Bearer, "GRP_UCAST is not in the upstream crossover switch (kept by patch 1)"),
            group("group_unicast", "unicast", MsgPath::Bearer, "GRP_UCAST is not in the upstream crossover switch (kept by patch 1)"),
        ],
    }
}

/// The same traffic between two kernels: it must cross eth0 (large
/// messages fragmented) and never show up as a crossover on a loopback.
pub fn two_guests() -> Scenario {
    let bearer = |case: TrafficCase| TrafficCase {
        expect: MsgPath::Bearer,
        why: "the peer is another kernel",
        ..case
    };
    Scenario {
        name: "two_guests",
        topology: Topology::TwoGuests,
        description: "two guests (two kernels) joined by -netdev dgram: RDM, 66,000 B RDM, SEQPACKET, STREAM, multicast, \
                      group broadcast over eth0",
        captures: vec![
            CapturePoint { name: "ns1-lo", ns: "ns1", iface: "lo", bearer: false },
            CapturePoint { name: "ns1-eth0", ns: "ns1", iface: "eth0", bearer: true },
            CapturePoint { name: "ns2-lo", ns: "ns2", iface: "lo", bearer: false },
        ],
        cases: vec![
            bearer(TrafficCase::named("rdm_named", "rdm", "18888:17", 50, 1024)),
            bearer(TrafficCase::named("rdm_66000", "rdm", "18890:2", 5, 66000)),
            bearer(TrafficCase::named("seqpacket", "seqpacket", "18891:1", 30, 1024)),
            bearer(TrafficCase::named("stream_66000", "stream", "18892:1", 5, 66000)),
            bearer(TrafficCase { send_service: Some("18893:10:20"), ..TrafficCase::named("mcast", "mcast", "18893:0:99", 30, 1024) }),
            bearer(TrafficCase { group_mode: Some("bcast"), ..TrafficCase::named("group_bcast", "group", "18895:1", 30, 1024) }),
        ],
    }
}

/// Every scenario by name.
pub fn catalogue() -> Vec<Scenario> {
    vec![veth_rdm(), veth_classes(), two_guests()]
}

/// Looks a scenario up by name.
pub fn by_name(name: &str) -> Option<Scenario> {
    catalogue().into_iter().find(|s| s.name == name)
}

const GUEST_LIB: &str = include_str!("../../vm/guest/lib.sh");
/// Seconds an agent waits for its peer before giving up.
const AGENT_TIMEOUT: u32 = 60;

/// How the namespaces are placed and joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// One guest: ns1 and ns2 joined by a veth (veth1, veth2).
    VethPair,
    /// Two guests joined by `-netdev dgram`: guest `a` holds ns1 with eth0,
    /// guest `b` holds ns2 with eth0. Two kernels: never a crossover.
    TwoGuests,
}

/// The guest roles of a topology (`None`: a single guest).
pub fn roles(t: Topology) -> Vec<Option<&'static str>> {
    match t {
        Topology::VethPair => vec![None],
        Topology::TwoGuests => vec![Some("a"), Some("b")],
    }
}

/// The namespace a role holds in a two-guest topology.
fn role_ns(role: &str) -> &'static str {
    if role == "a" {
        "ns1"
    } else {
        "ns2"
    }
}

impl TrafficCase {
    fn recv_command(&self, timeout: u32) -> String {
        let mut recv = format!(
            "$IP netns exec {} tipc-agent recv --sock {} --service {} --count {} --size {} --out $RES/{}.recv.json \
             --ready-file /tmp/{}.ready --timeout {timeout}",
            self.to_ns, self.sock, self.recv_service, self.count, self.size, self.id, self.id
        );
        if self.by_port {
            let _ = write!(recv, " --port-file /tmp/{}.port", self.id);
        }
        recv
    }

    fn send_command(&self, timeout: u32) -> String {
        let mut send = format!(
            "$IP netns exec {} tipc-agent send --sock {}",
            self.from_ns, self.sock
        );
        if let Some(svc) = self.send_service {
            let _ = write!(send, " --service {svc}");
        }
        if self.by_port {
            let _ = write!(send, " --port-file /tmp/{}.port", self.id);
        }
        if let Some(m) = self.group_mode {
            let _ = write!(send, " --group-mode {m}");
        }
        let _ = write!(
            send,
            " --count {} --size {} --out $RES/{}.send.json --timeout {timeout}",
            self.count, self.size, self.id
        );
        send
    }
}

impl Scenario {
    fn script_head(&self, role: Option<&str>) -> String {
        let mut s = format!(
            "#!/bin/sh\n# generated by tipc-verifier for scenario {}{}: {}\n",
            self.name,
            role.map(|r| format!(" (guest {r})")).unwrap_or_default(),
            self.description
        );
        s.push_str(GUEST_LIB);
        let _ = writeln!(s, "\nrc=0\nlog \"scenario {}\"", self.name);
        s
    }

    fn script_tail(s: &mut String, namespaces: &[&str]) {
        s.push_str("capture_stop_all\n");
        for ns in namespaces {
            let _ = writeln!(
                s,
                "$IP netns exec {ns} $TIPC link stat show > $RES/link-stat-{ns}.txt 2>&1 || true"
            );
        }
        s.push_str("log \"done rc=$rc\"\nexit $rc\n");
    }

    /// The guest scripts: one per role, named `run.sh` or `run-<role>.sh`.
    pub fn guest_scripts(&self) -> Vec<(Option<&'static str>, String)> {
        match self.topology {
            Topology::VethPair => vec![(None, self.veth_pair_script())],
            Topology::TwoGuests => ["a", "b"]
                .into_iter()
                .map(|r| (Some(r), self.two_guest_script(r)))
                .collect(),
        }
    }

    fn veth_pair_script(&self) -> String {
        let mut s = self.script_head(None);
        s.push_str("ns_add ns1\nns_add ns2\nveth ns1 veth1 ns2 veth2\n");
        for c in &self.captures {
            let _ = writeln!(s, "capture_start {} {} {}", c.name, c.ns, c.iface);
        }
        s.push_str(
            "bearer ns1 veth1\nbearer ns2 veth2\nwait_links ns1 1 20\nwait_links ns2 1 20\n",
        );
        for c in &self.cases {
            let _ = writeln!(
                s,
                "log \"case {id}\"\n{recv} &\nrpid=$!\nwait_file /tmp/{id}.ready 30 || rc=1\n{send} || rc=1\nwait $rpid || rc=1",
                id = c.id,
                recv = c.recv_command(AGENT_TIMEOUT),
                send = c.send_command(AGENT_TIMEOUT),
            );
        }
        Self::script_tail(&mut s, &["ns1", "ns2"]);
        s
    }

    /// Guest `a` sends from ns1, guest `b` receives in ns2; the sender waits
    /// for each publication through the topology server, so the guests need
    /// no other synchronisation.
    fn two_guest_script(&self, role: &str) -> String {
        let ns = role_ns(role);
        let mut s = self.script_head(Some(role));
        let _ = writeln!(
            s,
            "ns_add {ns}\n$IP link set eth0 netns {ns}\n$IP -n {ns} link set eth0 up"
        );
        for c in self.captures.iter().filter(|c| c.ns == ns) {
            let _ = writeln!(s, "capture_start {} {} {}", c.name, c.ns, c.iface);
        }
        let _ = writeln!(s, "bearer {ns} eth0\nwait_links {ns} 1 60");
        // Every case runs one after the other on the sender: receivers wait longer.
        let recv_timeout = AGENT_TIMEOUT * (self.cases.len() as u32 + 1);
        if role == "b" {
            for c in &self.cases {
                let _ = writeln!(
                    s,
                    "{} &\necho $! >> /tmp/receivers",
                    c.recv_command(recv_timeout)
                );
            }
            s.push_str("for p in $(cat /tmp/receivers); do wait $p || rc=1; done\n");
        } else {
            for c in &self.cases {
                let _ = writeln!(
                    s,
                    "log \"case {}\"\n{} || rc=1",
                    c.id,
                    c.send_command(AGENT_TIMEOUT)
                );
            }
        }
        Self::script_tail(&mut s, &[ns]);
        s
    }
}

/// What the agent wrote (the subset the judge reads).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AgentResult {
    pub messages: u64,
    pub bytes: u64,
    pub digest_ordered: String,
    pub digest_set: String,
    pub first_error: Option<String>,
    pub own_node: Option<u32>,
    pub own_ref: Option<u32>,
}

/// One check of a scenario run.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    fn new(name: impl Into<String>, ok: bool, detail: impl Into<String>) -> Self {
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

/// Reads a capture through the project's one decoder.
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
                let inner = h.endpoint_header();
                // Without payload a data header is connection or multicast
                // control (SYN, shutdown, sync), not the application's data;
                // with an error code it is a rejection coming back.
                let carries_data = inner.size > inner.hdr_size && inner.error == 0;
                if inner.is_user_data() && carries_data {
                    if let Some(t) = inner.name_type {
                        *counts.data_by_service.entry(t).or_default() += 1;
                    }
                    if let (Some(node), Some(port)) = (inner.orig_node, inner.orig_port) {
                        *counts
                            .data_by_origin
                            .entry(origin_key(node, port))
                            .or_default() += 1;
                    }
                }
            }
            Err(e) if e.unreadable() => return Err(anyhow::anyhow!("{e}")),
            Err(_) => counts.decode_errors += 1,
        }
    }
    counts.non_tipc = msgs.skipped_non_tipc();
    Ok(counts)
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
/// supervision never pauses): the kernel counts them as passing the filter
/// after tcpdump's last read. All traffic under test ended before the stop
/// (senders wait for the receiver's ack), so these are never test data.
pub const IN_FLIGHT_AT_STOP: u64 = 2;

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

/// Judges the traffic and the captures of a finished run in `share`.
pub fn judge(scn: &Scenario, share: &Path) -> (Vec<Check>, BTreeMap<String, CaptureCounts>) {
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
        checks.extend(judge_case(scn, case, share, &captures));
    }
    (checks, captures)
}

fn judge_case(
    scn: &Scenario,
    case: &TrafficCase,
    share: &Path,
    captures: &BTreeMap<String, CaptureCounts>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let results = share.join("results");
    let sent = read_agent(&results.join(format!("{}.send.json", case.id)));
    let recv = read_agent(&results.join(format!("{}.recv.json", case.id)));
    let n = u64::from(case.count);
    let name = |what: &str| format!("{}_{what}", case.id);
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
    for cap in &scn.captures {
        let Some(counts) = captures.get(cap.name) else {
            continue;
        };
        let seen = counts.data_by_origin.get(&origin).copied().unwrap_or(0);
        let receiver_lo = !cap.bearer && cap.ns == case.to_ns;
        let exact = if case.sock == "stream" {
            seen >= n
        } else {
            seen == n
        };
        let (what, ok, want) = match (case.expect, cap.bearer, receiver_lo) {
            (MsgPath::Crossover, false, true) => (
                "traced_on",
                exact,
                if case.sock == "stream" {
                    format!(">= {n}")
                } else {
                    n.to_string()
                },
            ),
            (MsgPath::Bearer, true, _) => ("on", seen > 0, "> 0".to_string()),
            _ => ("absent_from", seen == 0, "0".to_string()),
        };
        checks.push(Check::new(
            name(&format!("{what}_{}", cap.name.replace('-', "_"))),
            ok,
            format!(
                "{seen} data messages from socket {origin} on {} {} (want {want}; {})",
                cap.ns, cap.iface, case.why
            ),
        ));
    }
    checks
}
