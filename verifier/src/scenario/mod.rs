//! Scenarios: a topology and traffic cases, turned into guest scripts, then
//! judged from the agent's results, the captures and the crossover
//! tracepoint the guests brought back.
//!
//! - `catalogue`: every scenario, what it sends and which path each message
//!   class must take on each kernel, and why;
//! - `script`: the guest scripts (plain shell: `vm/guest/lib.sh` + steps),
//!   written to the 9p share so a user can read exactly what ran and rerun it;
//! - `judge`: the verdicts from what came back;
//! - `crossover_events`: the `tipc_crossover_peer` tracepoint's records.

mod catalogue;
pub mod crossover_events;
pub mod discovery_cost;
mod judge;
pub mod kselftest;
pub mod kunit;
pub mod module_cycle;
mod script;
pub mod step;
pub use script::{role_suffix, PAUSE_STEP_MAX};
pub(crate) use script::{GUEST_LIB, LINK_TIMEOUT};
pub use step::Step;

pub use catalogue::{
    bearer_cycle, bridge_four, by_name, catalogue, claimants, crossover_off, crossover_toggle,
    forged_discovery, impersonation, kselftest, kunit, mixed, module_cycle, netns_recreate,
    two_guests, veth_classes, veth_rdm,
};
pub use judge::{
    count_capture, judge, messages_per_path, observed_paths, origin_key, parse_tcpdump_stats,
    AgentResult, CaptureCounts, CasePath, Check, TcpdumpStats, IN_FLIGHT_AT_STOP,
};

use crate::kbuild::Flavour;
use serde::Serialize;
use tipc_agent_protocol::{GroupMode, Service, SockMode};

/// Which path a message class must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MsgPath {
    /// Socket to socket inside the kernel: a trace clone on the receiver's lo only.
    Crossover,
    /// Over the bearer (veth, bridge or eth0).
    Bearer,
}

/// A path the series changes on purpose, and why.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PathChange {
    pub path: MsgPath,
    pub why: &'static str,
}

/// One kind of traffic between two namespaces.
#[derive(Debug, Clone, Serialize)]
pub struct TrafficCase {
    pub id: &'static str,
    /// Agent socket kind.
    pub sock: SockMode,
    /// What the receiver binds or joins.
    pub recv_service: Service,
    /// What the sender addresses by name (None: by port id only).
    pub send_service: Option<Service>,
    /// The sender addresses the receiver's port id (from a port file).
    pub by_port: bool,
    pub group_mode: Option<GroupMode>,
    pub count: u32,
    pub size: u32,
    pub from_ns: &'static str,
    pub to_ns: &'static str,
    /// The path on the stock kernel (the upstream C crossover).
    pub expect: MsgPath,
    /// Why this class takes this path.
    pub why: &'static str,
    /// Where the series takes this class elsewhere on purpose.
    pub patched: Option<PathChange>,
    /// Steps in the sending guest just before the case.
    pub before: Vec<Step>,
    /// Steps while the sender is still sending (2 s after it started),
    /// which take the receiver away: the sender must then end cleanly,
    /// and what arrived is not counted.
    pub interrupt: Option<Vec<Step>>,
    /// A connection whose sender stops halfway while a step changes
    /// something under it; every message must still arrive.
    pub pause: Option<PauseStep>,
}

/// The sender of a connection case stops after `after` messages, the guest
/// runs `step`, and the sender sends the rest on the same connection: the
/// first `after` messages take the case's path, the rest `then`.
#[derive(Debug, Clone, Serialize)]
pub struct PauseStep {
    pub after: u32,
    pub step: Vec<Step>,
    pub then: MsgPath,
    /// Why the rest takes `then`.
    pub why: &'static str,
}

impl TrafficCase {
    /// A crossover case from ns1 to ns2 addressed by name.
    pub const fn named(
        id: &'static str,
        sock: SockMode,
        svc: Service,
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
            patched: None,
            before: Vec::new(),
            interrupt: None,
            pause: None,
        }
    }

    /// TIPC keeps order on connections.
    pub fn ordered(&self) -> bool {
        matches!(self.sock, SockMode::Seqpacket | SockMode::Stream)
    }

    /// The path this class must take on `kernel`, and why.
    pub fn expect_on(&self, kernel: Flavour) -> (MsgPath, &'static str) {
        match (kernel, self.patched) {
            (k, Some(change)) if k.has_series() => (change.path, change.why),
            _ => (self.expect, self.why),
        }
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
    /// Started by a case's `before` step rather than at the start.
    pub late: bool,
}

impl CapturePoint {
    pub const fn lo(name: &'static str, ns: &'static str) -> Self {
        Self {
            name,
            ns,
            iface: "lo",
            bearer: false,
            late: false,
        }
    }

    pub const fn bearer(name: &'static str, ns: &'static str, iface: &'static str) -> Self {
        Self {
            name,
            ns,
            iface,
            bearer: true,
            late: false,
        }
    }
}

/// What the `tipc_crossover_peer` tracepoint must show on the patched
/// kernel (the stock kernel has no such tracepoint).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CrossoverExpectation {
    /// Ordered pairs (holder, peer): the holder's node for the peer must be
    /// assigned the peer's namespace at least `min_assigned` times.
    pub pairs: Vec<(&'static str, &'static str)>,
    pub min_assigned: usize,
    /// Closing events that must appear at least once (lost contact, peer
    /// exit).
    pub cleared: Vec<crossover_events::EventKind>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: &'static str,
    pub description: &'static str,
    pub topology: Topology,
    pub captures: Vec<CapturePoint>,
    pub cases: Vec<TrafficCase>,
    /// Kernels the scenario applies to.
    pub kernels: &'static [Flavour],
    /// Steps in every guest after the namespaces exist and before the
    /// bearers are enabled.
    pub before_bearers: Vec<Step>,
    /// Crossovers the tracepoint must show; any other pair is a failure.
    pub crossovers: CrossoverExpectation,
    /// Steps once every link is up, before the traffic cases.
    pub after_links: Vec<Step>,
    /// What the run measures, if anything: a timed run boots its guests
    /// with `-icount` and its kernels one after the other.
    pub cost: Cost,
}

impl Scenario {
    /// Whether a guest of this scenario patches kernel text while it runs
    /// (the function profiler, `profile_start` in lib.sh): such guests run
    /// their two vCPUs in one TCG thread (`VmSpec::single_thread`).
    pub fn patches_kernel_text(&self) -> bool {
        let profiles = |steps: &[Step]| {
            steps
                .iter()
                .any(|s| matches!(s.base(), Step::ProfileStart(_)))
        };
        self.cost.timed()
            || profiles(&self.before_bearers)
            || profiles(&self.after_links)
            || self.cases.iter().any(|c| {
                profiles(&c.before)
                    || c.interrupt.as_deref().is_some_and(profiles)
                    || c.pause.as_ref().is_some_and(|p| profiles(&p.step))
            })
    }
    /// Whether this scenario runs on `kernel`: the sanitizer kernels
    /// (debug, kcsan) are the patched series, so they run what it runs,
    /// but for a cost measurement, which their instrumentation distorts
    /// (on kcsan, `discovery_scale` measured x1.28 from 2 to 69
    /// namespaces against x1.2 allowed).
    ///
    /// The patched-c kernel (the series with its Rust option off) runs
    /// what the patched one runs, but for the cost measurement: with the
    /// option off, discovery keeps the C walk over every namespace.
    pub fn runs_on(&self, kernel: Flavour) -> bool {
        self.kernels.contains(&kernel)
            || ((kernel.is_sanitizer() || kernel == Flavour::PatchedC)
                && !self.cost.timed()
                && self.kernels.contains(&Flavour::Patched))
    }

    /// Whether the captures can tell `case`'s path: its receiver's loopback
    /// is captured, the flow was not cut short on purpose and does not
    /// change its path halfway.
    pub fn path_observable(&self, case: &TrafficCase) -> bool {
        case.interrupt.is_none()
            && case.pause.is_none()
            && self
                .captures
                .iter()
                .any(|c| !c.bearer && c.ns == case.to_ns)
    }
}

/// A cost a scenario measures with the function profiler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cost {
    /// Nothing is timed.
    None,
    /// First-contact discovery at several namespace counts
    /// (`discovery_profile` in `vm/guest/lib.sh`).
    DiscoveryScale,
    /// A forged discovery frame with 1 and with 65 namespaces of this kernel
    /// claiming its node id (`claimants` in `vm/guest/lib.sh`).
    Claimants,
}

impl Cost {
    /// Whether the run times something (and so runs under `-icount`).
    pub fn timed(self) -> bool {
        self != Cost::None
    }
}

/// Both kernels.
pub const BOTH: &[Flavour] = &[Flavour::Stock, Flavour::Patched];
/// Only the patched kernel: the scenario needs something the series adds.
pub const PATCHED_ONLY: &[Flavour] = &[Flavour::Patched];
/// Only the debug kernel: the one built with the series' KUnit suite.
pub const DEBUG_ONLY: &[Flavour] = &[Flavour::Debug];
/// Both kernels and the modules kernel: what must pass with `tipc.ko`.
pub const WITH_MODULES: &[Flavour] = &[Flavour::Stock, Flavour::Patched, Flavour::Modules];
/// Only the modules kernel.
pub const MODULES_ONLY: &[Flavour] = &[Flavour::Modules];

/// How the namespaces are placed and joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// One guest: ns1 and ns2 joined by a veth (veth1, veth2).
    VethPair,
    /// One guest: ns1..nsN, each with a veth (vethK) whose peer is a port of
    /// the bridge br0 in the root namespace.
    Bridge(u8),
    /// Two guests joined by `-netdev dgram`: guest `a` holds ns1 with eth0,
    /// guest `b` holds ns2 with eth0. Two kernels: never a crossover.
    TwoGuests,
    /// Two guests: guest `a` holds ns1 and ns2 on the bridge br0, which also
    /// has eth0 as a port; guest `b` holds ns3 with eth0.
    Mixed,
    /// One guest whose namespaces the scenario's own steps make.
    Standalone,
    /// One guest that runs the series' selftest with the kselftest runner;
    /// the test makes its own namespaces.
    Kselftest,
    /// One guest whose kernel ran the series' KUnit suite at boot; the
    /// guest only keeps the kernel log.
    Kunit,
}

impl Topology {
    /// The guest roles (`None`: a single guest).
    pub fn roles(self) -> Vec<Option<&'static str>> {
        match self {
            Topology::VethPair
            | Topology::Bridge(_)
            | Topology::Standalone
            | Topology::Kselftest
            | Topology::Kunit => vec![None],
            Topology::TwoGuests | Topology::Mixed => vec![Some("a"), Some("b")],
        }
    }

    /// The namespaces the guest of `role` holds.
    pub fn namespaces(self, role: Option<&str>) -> Vec<&'static str> {
        const NAMES: [&str; 8] = ["ns1", "ns2", "ns3", "ns4", "ns5", "ns6", "ns7", "ns8"];
        match (self, role) {
            (Topology::VethPair, _) => vec!["ns1", "ns2"],
            (Topology::Bridge(n), _) => NAMES[..usize::from(n).min(NAMES.len())].to_vec(),
            (Topology::TwoGuests, Some("a")) => vec!["ns1"],
            (Topology::TwoGuests, _) => vec!["ns2"],
            (Topology::Mixed, Some("a")) => vec!["ns1", "ns2"],
            (Topology::Mixed, _) => vec!["ns3"],
            (Topology::Standalone | Topology::Kselftest | Topology::Kunit, _) => Vec::new(),
        }
    }

    /// Every namespace of the topology, over all its guests.
    pub fn all_namespaces(self) -> Vec<&'static str> {
        self.roles()
            .into_iter()
            .flat_map(|r| self.namespaces(r))
            .collect()
    }

    /// The guest role that holds `ns`.
    pub fn role_of(self, ns: &str) -> Option<&'static str> {
        self.roles()
            .into_iter()
            .find(|r| self.namespaces(*r).contains(&ns))
            .flatten()
    }

    /// Unicast links each namespace has once every node is up.
    pub fn links_per_ns(self) -> usize {
        match self {
            Topology::VethPair | Topology::TwoGuests => 1,
            Topology::Bridge(n) => usize::from(n).saturating_sub(1),
            Topology::Mixed => 2,
            Topology::Standalone | Topology::Kselftest | Topology::Kunit => 0,
        }
    }
}
