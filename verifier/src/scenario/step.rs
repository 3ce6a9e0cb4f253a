//! The steps of a guest script, as typed data rendered to shell in one
//! place: scenario data, bench and stress plans hold no shell text. Each
//! step calls a helper of `vm/guest/lib.sh` (the stress steps, at the end
//! of [`Step`], one of `vm/guest/stress.sh`) or a tool the guest image has,
//! on one line or a few, with every value quoted by [`agent::shell_word`].

use serde::Serialize;
use tipc_agent_protocol::{self as agent, shell_word};

/// One step of a guest script.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// A namespace with `lo` up (`ns_add`).
    NsAdd(&'static str),
    /// A veth pair between two namespaces (`veth NS1 DEV1 NS2 DEV2`).
    Veth {
        a: (&'static str, &'static str),
        b: (&'static str, &'static str),
    },
    /// A bridge in the root namespace, up (`bridge_add`).
    BridgeAdd(&'static str),
    /// The root namespace's `dev` made a port of `bridge`, up.
    RootPort {
        dev: &'static str,
        bridge: &'static str,
    },
    /// The root namespace's `dev` moved into `ns`, up there.
    MoveLink { dev: &'static str, ns: &'static str },
    /// A veth `dev` in `ns` whose peer `peer` stays in the root namespace,
    /// up on both ends.
    VethToRoot {
        ns: &'static str,
        dev: &'static str,
        peer: &'static str,
    },
    /// A veth `dev` in `ns` whose peer `port` is a port of `bridge`.
    BridgePort {
        ns: &'static str,
        dev: &'static str,
        bridge: &'static str,
        port: &'static str,
    },
    /// The bridge floods no broadcast to `port`.
    NoBroadcastFlood { port: &'static str },
    /// An IP address on `dev` in `ns` (for the TCP yardstick of `bench`).
    IpAddr {
        ns: &'static str,
        addr: &'static str,
        dev: &'static str,
    },
    /// A fixed MAC address on `dev` in `ns` (`set_mac`).
    SetMac {
        ns: &'static str,
        dev: &'static str,
        mac: &'static str,
    },
    /// A capture of TIPC frames on `iface` in `ns` (`capture_start`).
    Capture {
        name: &'static str,
        ns: &'static str,
        iface: &'static str,
    },
    /// A TIPC bearer on `dev` in `ns` (`bearer`).
    Bearer { ns: &'static str, dev: &'static str },
    /// The TIPC bearer on `dev` in `ns` disabled.
    BearerDisable { ns: &'static str, dev: &'static str },
    /// A configured TIPC address (and the node identity TIPC derives from
    /// it) for `ns`; with `if_present`, only when `ns` exists in this guest.
    NodeAddress {
        ns: &'static str,
        addr: &'static str,
        if_present: bool,
    },
    /// Until `ns` has `count` unicast links up, at most `secs`.
    WaitLinks {
        ns: &'static str,
        count: usize,
        secs: u32,
    },
    /// Until `ns` has no unicast link up, at most `secs`.
    WaitLinksDown { ns: &'static str, secs: u32 },
    /// Until `dev` has left `ns`, at most `secs`.
    WaitLinkGone {
        ns: &'static str,
        dev: &'static str,
        secs: u32,
    },
    /// Until `ns`'s TIPC address is final, at most `secs`.
    WaitAddr { ns: &'static str, secs: u32 },
    /// `net.tipc.crossover` of `ns` written directly, with no trace marker
    /// (before the bearers exist).
    CrossoverSysctl { ns: &'static str, on: bool },
    /// `net.tipc.crossover` of `ns` switched, with a trace marker that
    /// [`Step::WaitCrossoverEvents`] counts from (`crossover_set`).
    CrossoverSet { ns: &'static str, on: bool },
    /// Until the tracepoint shows `count` events of `kind` since the last
    /// switch, at most `secs`.
    WaitCrossoverEvents {
        kind: &'static str,
        count: u32,
        secs: u32,
    },
    /// The tracepoint shows no event of `kind` since the last switch.
    NoCrossoverEvents { kind: &'static str },
    /// The processes of `ns` killed.
    KillProcesses { ns: &'static str },
    /// `ns` deleted.
    NsDel(&'static str),
    /// A line in the guest's log.
    Log(String),
    /// A pause, in milliseconds.
    Sleep { ms: u32 },
    /// The function profiler on `function` (`profile_start`).
    ProfileStart(&'static str),
    /// The function profiler on those of these functions the kernel has
    /// (`profile_some`).
    ProfileSome(Vec<&'static str>),
    /// The function profiler's figures into `out` (`profile_stop`).
    ProfileStop(String),
    /// The agent, in the root namespace.
    Agent(#[serde(serialize_with = "command_line")] agent::Command),
    /// First-contact discovery timed into fresh probe namespaces
    /// (`discovery_profile NAME COUNT FIRST`).
    DiscoveryProfile {
        name: String,
        count: u32,
        first: u32,
    },
    /// Namespaces `c<first>..=c<last>`, each a TIPC node with the
    /// configured address `addr`, and so one node identity (`claimants`).
    Claimants {
        first: u32,
        last: u32,
        addr: &'static str,
    },
    /// TIPC namespaces `first..=last` on the bridge (`bystanders`).
    Bystanders { first: u32, last: u32 },
    /// Bystanders until `namespaces - 1` named namespaces exist, the time
    /// and memory it took appended to `out` (`grow_to`).
    GrowTo { namespaces: u32, out: String },
    /// A peer's discovery message, taken as it arrives on `sniff`, sent
    /// `count` times again on `dev` under the function profiler
    /// (`periodic_profile NAME COUNT SNIFF DEV`).
    PeriodicProfile {
        name: String,
        count: u32,
        sniff: &'static str,
        dev: &'static str,
    },
    /// `tipc.ko` removed and loaded again `n` times under traffic
    /// (`module_cycles`).
    ModuleCycles(u32),
    /// A step whose failure fails the run (`|| rc=1`) without stopping it.
    Checked(Box<Step>),
    /// Until `path` exists, at most `secs`.
    WaitFile { path: String, secs: u32 },
    /// A directory, with its parents (`mkdir -p`).
    MkDir(String),
    /// `dev` of `ns` set up or down (a carrier change).
    LinkSet {
        ns: &'static str,
        dev: &'static str,
        up: bool,
    },
    /// Every process of `ns` killed with SIGKILL (`kill_ns`), where
    /// [`Step::KillProcesses`] asks them to end (SIGTERM).
    KillNs(&'static str),
    /// The agent in `ns`, in the background (`spawn`); [`Step::SpawnedWait`]
    /// waits for it.
    Spawn {
        ns: &'static str,
        #[serde(serialize_with = "command_line")]
        command: agent::Command,
    },
    /// Every agent [`Step::Spawn`] started has ended; fails if one failed
    /// (`spawned_wait`).
    SpawnedWait,
    /// A file removed, if it is there (`rm -f`).
    Remove(String),
    // The steps below call the helpers of `vm/guest/stress.sh`: only the
    // stress script has them (a test keeps them out of the others).
    /// A step whose failure is a failed check of `phase`, the phase going
    /// on (`|| fail PHASE WHY`).
    OrFail {
        step: Box<Step>,
        phase: &'static str,
        why: String,
    },
    /// A step `phase` cannot go on without: its failure is a failed check
    /// and ends the phase (`return 1`: a step of a phase's function only).
    Require {
        step: Box<Step>,
        phase: &'static str,
        why: String,
    },
    /// A count the host adds up (`fact count PHASE KEY VALUE`).
    Count {
        phase: &'static str,
        key: &'static str,
        value: u64,
    },
    /// A line on the console, which the host shows while it waits
    /// (`progress`).
    Progress(String),
    /// Namespace `ns` with a veth `tv` that is port `port` of `bridge`, the
    /// TIPC address 1.1.`node` (`None`: TIPC picks one), recorded among the
    /// run's namespaces, a bearer on `tv` (`tipc_ns`).
    TipcNs {
        ns: &'static str,
        node: Option<u32>,
        bridge: &'static str,
        port: String,
    },
    /// `ns` recorded among the run's namespaces (`record_ns`).
    RecordNs { ns: &'static str, node: Option<u32> },
    /// `msgs` messages of each class from `a` to `b` and from `b` to `a`, all
    /// at once, on services of instance `instance` (`xchg`).
    Exchange {
        phase: &'static str,
        tag: String,
        a: &'static str,
        b: &'static str,
        instance: u32,
        classes: Vec<agent::SockMode>,
    },
    /// RDM exchanges between `a` and `b`, one after the other in the
    /// background from instance `base + 1` on, until [`Step::ExchangesStop`]
    /// (`exchanges_start`).
    ExchangesStart {
        phase: &'static str,
        tag: &'static str,
        a: &'static str,
        b: &'static str,
        base: u32,
    },
    /// The background exchanges of `phase` end after the one under way.
    ExchangesStop { phase: &'static str },
    /// The receiver of a flood into `ns` (`flood_recv`).
    FloodRecv {
        phase: &'static str,
        tag: String,
        ns: &'static str,
        instance: u32,
    },
    /// RDM from `ns` to the flood's receiver as fast as it goes, in the
    /// background, until the receiver's namespace goes (`flood_send`).
    FloodSend {
        phase: &'static str,
        tag: String,
        ns: &'static str,
        instance: u32,
    },
    /// The flood's sender has ended by itself, at most 40 s on
    /// (`flood_end`).
    FloodEnd { phase: &'static str, tag: String },
    /// The flood's receiver ended (`flood_recv_stop`).
    FloodRecvStop { phase: &'static str, tag: String },
    /// Fault injection set for `fail-nth` alone (`fault_setup`).
    FaultSetup,
    /// Before the first phase: the facts file emptied, the crossover
    /// tracepoint recorded, captures and tracing stopped on every exit
    /// (`stress_begin`).
    StressBegin,
    /// A phase run in a process of its own under a watchdog (`run_phase`).
    RunPhase { phase: &'static str, secs: u64 },
    /// After the last phase: the crossover records kept (`stress_end`).
    StressEnd,
}

impl Step {
    /// This step, its failure failing the run.
    pub fn checked(self) -> Step {
        Step::Checked(Box::new(self))
    }

    /// The step itself, without [`Step::Checked`].
    pub fn base(&self) -> &Step {
        match self {
            Step::Checked(inner) => inner.base(),
            other => other,
        }
    }

    /// The shell line.
    pub fn render(&self) -> String {
        let w = shell_word;
        let onoff = |on: bool| if on { "1" } else { "0" };
        match self {
            Step::NsAdd(ns) => format!("ns_add {}", w(ns)),
            Step::Veth { a, b } => format!("veth {} {} {} {}", w(a.0), w(a.1), w(b.0), w(b.1)),
            Step::BridgeAdd(bridge) => format!("bridge_add {}", w(bridge)),
            Step::RootPort { dev, bridge } => {
                format!("$IP link set {} master {} up", w(dev), w(bridge))
            }
            Step::MoveLink { dev, ns } => format!(
                "$IP link set {dev} netns {ns}\n$IP -n {ns} link set {dev} up",
                dev = w(dev),
                ns = w(ns)
            ),
            Step::VethToRoot { ns, dev, peer } => format!(
                "$IP link add {dev} netns {ns} type veth peer name {peer}\n\
                 $IP -n {ns} link set {dev} up\n$IP link set {peer} up",
                dev = w(dev),
                ns = w(ns),
                peer = w(peer)
            ),
            Step::BridgePort {
                ns,
                dev,
                bridge,
                port,
            } => format!("bridge_port {} {} {} {}", w(ns), w(dev), w(bridge), w(port)),
            Step::NoBroadcastFlood { port } => {
                format!("$IP link set {} type bridge_slave bcast_flood off", w(port))
            }
            Step::IpAddr { ns, addr, dev } => {
                format!("$IP -n {} addr add {} dev {}", w(ns), w(addr), w(dev))
            }
            Step::SetMac { ns, dev, mac } => format!("set_mac {} {} {}", w(ns), w(dev), w(mac)),
            Step::Capture { name, ns, iface } => {
                format!("capture_start {} {} {}", w(name), w(ns), w(iface))
            }
            Step::Bearer { ns, dev } => format!("bearer {} {}", w(ns), w(dev)),
            Step::BearerDisable { ns, dev } => format!(
                "$IP netns exec {} $TIPC bearer disable media eth device {}",
                w(ns),
                w(dev)
            ),
            Step::NodeAddress {
                ns,
                addr,
                if_present,
            } => {
                let set = format!(
                    "$IP netns exec {} $TIPC node set address {}",
                    w(ns),
                    w(addr)
                );
                if *if_present {
                    format!("[ ! -e /run/netns/{} ] || {set}", w(ns))
                } else {
                    set
                }
            }
            Step::WaitLinks { ns, count, secs } => format!("wait_links {} {count} {secs}", w(ns)),
            Step::WaitLinksDown { ns, secs } => format!("wait_links_down {} {secs}", w(ns)),
            Step::WaitLinkGone { ns, dev, secs } => {
                format!("wait_link_gone {} {} {secs}", w(ns), w(dev))
            }
            Step::WaitAddr { ns, secs } => format!("wait_addr {} {secs}", w(ns)),
            Step::CrossoverSysctl { ns, on } => format!(
                "$IP netns exec {} sh -c 'echo {} > /proc/sys/net/tipc/crossover'",
                w(ns),
                onoff(*on)
            ),
            Step::CrossoverSet { ns, on } => format!("crossover_set {} {}", w(ns), onoff(*on)),
            Step::WaitCrossoverEvents { kind, count, secs } => {
                format!("wait_crossover_events {} {count} {secs}", w(kind))
            }
            Step::NoCrossoverEvents { kind } => format!("no_crossover_events {}", w(kind)),
            Step::KillProcesses { ns } => format!("$IP netns pids {} | xargs -r kill", w(ns)),
            Step::NsDel(ns) => format!("$IP netns del {}", w(ns)),
            Step::Log(text) => format!("log {}", w(text)),
            Step::Sleep { ms } => match (ms / 1000, ms % 1000) {
                (s, 0) => format!("sleep {s}"),
                (s, frac) => format!("sleep {s}.{}", format!("{frac:03}").trim_end_matches('0')),
            },
            Step::ProfileStart(function) => format!("profile_start {}", w(function)),
            Step::ProfileSome(functions) => {
                let words: Vec<String> = functions.iter().map(|f| w(f)).collect();
                format!("profile_some {}", words.join(" "))
            }
            Step::ProfileStop(out) => format!("profile_stop {}", w(out)),
            Step::Agent(command) => command.shell(),
            Step::DiscoveryProfile { name, count, first } => {
                format!("discovery_profile {} {count} {first}", w(name))
            }
            Step::Claimants { first, last, addr } => {
                format!("claimants {first} {last} {}", w(addr))
            }
            Step::Bystanders { first, last } => format!("bystanders {first} {last}"),
            Step::GrowTo { namespaces, out } => format!("grow_to {namespaces} {}", w(out)),
            Step::PeriodicProfile {
                name,
                count,
                sniff,
                dev,
            } => format!(
                "periodic_profile {} {count} {} {}",
                w(name),
                w(sniff),
                w(dev)
            ),
            Step::ModuleCycles(n) => format!("module_cycles {n}"),
            Step::Checked(step) => {
                let inner = step.render();
                if inner.contains('\n') {
                    // Every line of the group may fail without ending the
                    // script under set -e: the group's status is its last
                    // command's, so each line is checked on its own.
                    inner
                        .lines()
                        .map(|l| format!("{l} || rc=1"))
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    format!("{inner} || rc=1")
                }
            }
            Step::WaitFile { path, secs } => format!("wait_file {} {secs}", w(path)),
            Step::MkDir(path) => format!("mkdir -p {}", w(path)),
            Step::LinkSet { ns, dev, up } => format!(
                "$IP -n {} link set {} {}",
                w(ns),
                w(dev),
                if *up { "up" } else { "down" }
            ),
            Step::KillNs(ns) => format!("kill_ns {}", w(ns)),
            Step::Spawn { ns, command } => {
                let words: Vec<String> = command.args().iter().map(|a| w(a)).collect();
                format!("spawn {} {}", w(ns), words.join(" "))
            }
            Step::SpawnedWait => "spawned_wait".to_string(),
            Step::Remove(path) => format!("rm -f {}", w(path)),
            Step::OrFail { step, phase, why } => {
                or_else(&step.render(), &format!("fail {} {}", w(phase), w(why)))
            }
            Step::Require { step, phase, why } => or_else(
                &step.render(),
                &format!("{{ fail {} {}; return 1; }}", w(phase), w(why)),
            ),
            Step::Count { phase, key, value } => {
                format!("fact count {} {} {value}", w(phase), w(key))
            }
            Step::Progress(text) => format!("progress {}", w(text)),
            Step::TipcNs {
                ns,
                node,
                bridge,
                port,
            } => format!(
                "tipc_ns {} {} {} {}",
                w(ns),
                node_word(*node),
                w(bridge),
                w(port)
            ),
            Step::RecordNs { ns, node } => format!("record_ns {} {}", w(ns), node_word(*node)),
            Step::Exchange {
                phase,
                tag,
                a,
                b,
                instance,
                classes,
            } => {
                let classes: Vec<String> = classes.iter().map(|c| w(&c.to_string())).collect();
                format!(
                    "xchg {} {} {} {} {instance} {}",
                    w(phase),
                    w(tag),
                    w(a),
                    w(b),
                    classes.join(" ")
                )
            }
            Step::ExchangesStart {
                phase,
                tag,
                a,
                b,
                base,
            } => format!(
                "exchanges_start {} {} {} {} {base}",
                w(phase),
                w(tag),
                w(a),
                w(b)
            ),
            Step::ExchangesStop { phase } => format!("exchanges_stop {}", w(phase)),
            Step::FloodRecv {
                phase,
                tag,
                ns,
                instance,
            } => format!("flood_recv {} {} {} {instance}", w(phase), w(tag), w(ns)),
            Step::FloodSend {
                phase,
                tag,
                ns,
                instance,
            } => format!("flood_send {} {} {} {instance}", w(phase), w(tag), w(ns)),
            Step::FloodEnd { phase, tag } => format!("flood_end {} {}", w(phase), w(tag)),
            Step::FloodRecvStop { phase, tag } => {
                format!("flood_recv_stop {} {}", w(phase), w(tag))
            }
            Step::FaultSetup => "fault_setup".to_string(),
            Step::StressBegin => "stress_begin".to_string(),
            Step::RunPhase { phase, secs } => format!("run_phase {} {secs}", w(phase)),
            Step::StressEnd => "stress_end".to_string(),
        }
    }
}

/// `line || alternative`, for every line of a step of several lines (each
/// may fail on its own).
fn or_else(lines: &str, alternative: &str) -> String {
    lines
        .lines()
        .map(|l| format!("{l} || {alternative}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A node number of 1.1.N, or an empty word when TIPC picks the address.
fn node_word(node: Option<u32>) -> String {
    node.map_or_else(|| shell_word(""), |n| n.to_string())
}

/// An agent command in a report: its shell line.
fn command_line<S: serde::Serializer>(command: &agent::Command, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&command.shell())
}

/// The lines of `steps`, one after the other.
pub fn render_all(steps: &[Step]) -> String {
    steps
        .iter()
        .map(Step::render)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_render_to_the_helpers_of_lib_sh() {
        assert_eq!(
            Step::WaitLinks {
                ns: "ns1",
                count: 1,
                secs: 20
            }
            .checked()
            .render(),
            "wait_links ns1 1 20 || rc=1"
        );
        assert_eq!(
            Step::MoveLink {
                dev: "eth0",
                ns: "ns1"
            }
            .checked()
            .render(),
            "$IP link set eth0 netns ns1 || rc=1\n$IP -n ns1 link set eth0 up || rc=1"
        );
        assert_eq!(
            Step::ProfileStart("f").checked().checked().base(),
            &Step::ProfileStart("f")
        );
        assert_eq!(Step::Sleep { ms: 500 }.render(), "sleep 0.5");
        assert_eq!(Step::Sleep { ms: 6000 }.render(), "sleep 6");
        assert_eq!(Step::Sleep { ms: 1250 }.render(), "sleep 1.25");
        assert_eq!(
            Step::Log("ns2 deleted".into()).render(),
            "log \"ns2 deleted\""
        );
        assert_eq!(
            Step::NodeAddress {
                ns: "ns3",
                addr: "1.1.3",
                if_present: true
            }
            .render(),
            "[ ! -e /run/netns/ns3 ] || $IP netns exec ns3 $TIPC node set address 1.1.3"
        );
    }
}
