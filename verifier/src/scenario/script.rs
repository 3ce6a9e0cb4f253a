//! The guest scripts of a scenario: `vm/guest/lib.sh` followed by the
//! scenario's steps, one script per guest role.

use super::step::{render_all, Step};
use super::{Scenario, Topology, TrafficCase};
use std::fmt::Write as _;
use tipc_agent_protocol as agent;

pub(crate) const GUEST_LIB: &str = include_str!("../../../vm/guest/lib.sh");
/// Seconds an agent waits for its peer before giving up.
const AGENT_TIMEOUT: u32 = 60;
/// Seconds a guest waits for its links to come up.
pub(crate) const LINK_TIMEOUT: u32 = 60;
/// Seconds the guest waits, after deleting its namespaces, for every
/// crossover that opened to close in the tracepoint's records.
const TRACE_CLOSE_TIMEOUT: u32 = 30;
/// Seconds a paused connection case waits for its sender to pause.
const PAUSE_WAIT: u32 = 30;
/// The most a pause step may take: it may wait for the next discovery
/// (`wait_crossover_events open N 90`). The agents of a paused case get
/// this and `PAUSE_WAIT` on top of their usual time.
pub const PAUSE_STEP_MAX: u32 = 90;
const PAUSE_TIMEOUT: u32 = PAUSE_WAIT + PAUSE_STEP_MAX;

/// The veth of the k-th namespace of a guest.
const VETHS: [&str; 8] = [
    "veth1", "veth2", "veth3", "veth4", "veth5", "veth6", "veth7", "veth8",
];
/// Its peer's name on the bridge.
const BRIDGE_PORTS: [&str; 8] = [
    "brp1", "brp2", "brp3", "brp4", "brp5", "brp6", "brp7", "brp8",
];

/// The file name suffix of a role: `""` or `"-a"`.
pub fn role_suffix(role: Option<&str>) -> String {
    role.map(|r| format!("-{r}")).unwrap_or_default()
}

impl Topology {
    /// The steps that create the guest's namespaces and links.
    pub(crate) fn setup(self, role: Option<&str>) -> Vec<Step> {
        let here = self.namespaces(role);
        let mut steps = Vec::new();
        match (self, role) {
            (Topology::VethPair, _) => steps.extend([
                Step::NsAdd("ns1"),
                Step::NsAdd("ns2"),
                Step::Veth {
                    a: ("ns1", "veth1"),
                    b: ("ns2", "veth2"),
                },
            ]),
            (Topology::Bridge(_), _) | (Topology::Mixed, Some("a")) => {
                steps.push(Step::BridgeAdd("br0"));
                if self == Topology::Mixed {
                    steps.push(Step::RootPort {
                        dev: "eth0",
                        bridge: "br0",
                    });
                }
                for (k, ns) in here.iter().enumerate() {
                    steps.extend([
                        Step::NsAdd(ns),
                        Step::BridgePort {
                            ns,
                            dev: VETHS[k],
                            bridge: "br0",
                            port: BRIDGE_PORTS[k],
                        },
                    ]);
                }
            }
            (Topology::Standalone | Topology::Kselftest | Topology::Kunit, _) => {}
            (Topology::TwoGuests | Topology::Mixed, _) => {
                steps.extend([
                    Step::NsAdd(here[0]),
                    Step::MoveLink {
                        dev: "eth0",
                        ns: here[0],
                    },
                ]);
            }
        }
        steps
    }

    /// The steps that enable the guest's bearers and then wait for every
    /// namespace's links (a failed wait fails the run).
    pub(crate) fn bring_up(self, role: Option<&str>) -> Vec<Step> {
        let mut steps: Vec<Step> = self
            .bearers(role)
            .into_iter()
            .map(|(ns, dev)| Step::Bearer { ns, dev })
            .collect();
        steps.extend(self.namespaces(role).into_iter().map(|ns| {
            Step::WaitLinks {
                ns,
                count: self.links_per_ns(),
                secs: LINK_TIMEOUT,
            }
            .checked()
        }));
        steps
    }

    /// The bearers of the guest: (namespace, device).
    pub(crate) fn bearers(self, role: Option<&str>) -> Vec<(&'static str, &'static str)> {
        match (self, role) {
            (Topology::TwoGuests, _) | (Topology::Mixed, Some("b")) => {
                vec![(self.namespaces(role)[0], "eth0")]
            }
            _ => self.namespaces(role).into_iter().zip(VETHS).collect(),
        }
    }
}

impl TrafficCase {
    /// The receiver, as the agent is asked to run it.
    pub fn recv_agent(&self, timeout_s: u32) -> agent::Recv {
        agent::Recv {
            size: Some(self.size as usize),
            ready_file: Some(format!("/tmp/{}.ready", self.id)),
            port_file: self.by_port.then(|| format!("/tmp/{}.port", self.id)),
            timeout_s: Some(u64::from(timeout_s)),
            ..agent::Recv::new(
                self.sock,
                self.recv_service,
                u64::from(self.count),
                format!("$RES/{}.recv.json", self.id),
            )
        }
    }

    /// The sender, as the agent is asked to run it.
    pub fn send_agent(&self, timeout_s: u32) -> agent::Send {
        agent::Send {
            service: self.send_service,
            port_file: self.by_port.then(|| format!("/tmp/{}.port", self.id)),
            group_mode: self.group_mode,
            // Nobody will be there to ack.
            acks: self.interrupt.is_some().then_some(0),
            pause: self.pause.as_ref().map(|p| agent::Pause {
                after: u64::from(p.after),
                paused_file: format!("/tmp/{}.paused", self.id),
                resume_file: format!("/tmp/{}.resume", self.id),
            }),
            timeout_s: Some(u64::from(timeout_s)),
            ..agent::Send::new(
                self.sock,
                u64::from(self.count),
                self.size as usize,
                format!("$RES/{}.send.json", self.id),
            )
        }
    }

    fn recv_command(&self, timeout: u32) -> String {
        format!(
            "$IP netns exec {} {}",
            self.to_ns,
            agent::Command::Recv(self.recv_agent(timeout)).shell()
        )
    }

    fn send_command(&self, timeout: u32) -> String {
        format!(
            "$IP netns exec {} {}",
            self.from_ns,
            agent::Command::Send(self.send_agent(timeout)).shell()
        )
    }
}

impl Scenario {
    /// The guest scripts: one per role, named `run.sh` or `run-<role>.sh`.
    pub fn guest_scripts(&self) -> Vec<(Option<&'static str>, String)> {
        if self.topology == Topology::Kselftest {
            return vec![(
                None,
                super::kselftest::guest_script(self.name, self.description),
            )];
        }
        if self.topology == Topology::Kunit {
            return vec![(
                None,
                super::kunit::guest_script(self.name, self.description),
            )];
        }
        self.topology
            .roles()
            .into_iter()
            .map(|r| (r, self.guest_script(r)))
            .collect()
    }

    fn guest_script(&self, role: Option<&'static str>) -> String {
        let here = self.topology.namespaces(role);
        // One guest holds every namespace, also those a step makes later.
        let single = role.is_none();
        let is_here = |ns: &str| single || here.contains(&ns);
        let mut s = format!(
            "#!/bin/sh\n# generated by tipc-verifier for scenario {}{}: {}\n",
            self.name,
            role.map(|r| format!(" (guest {r})")).unwrap_or_default(),
            self.description
        );
        s.push_str(GUEST_LIB);
        let _ = writeln!(s, "\nrc=0\nlog \"scenario {}\"", self.name);
        for step in self.topology.setup(role) {
            let _ = writeln!(s, "{}", step.render());
        }
        let suffix = role_suffix(role);
        // Cookies now and at the end: a namespace deleted on the way keeps
        // its name in the tracepoint's records.
        let _ = writeln!(
            s,
            "crossover_trace_start\ncleanup_on_exit $RES/crossover-trace{suffix}.txt\n\
             netns_cookies > $RES/netns{suffix}.txt"
        );
        for c in self.captures.iter().filter(|c| is_here(c.ns) && !c.late) {
            let _ = writeln!(s, "capture_start {} {} {}", c.name, c.ns, c.iface);
        }
        for step in &self.before_bearers {
            let _ = writeln!(s, "{}", step.render());
        }
        for step in self.topology.bring_up(role) {
            let _ = writeln!(s, "{}", step.render());
        }
        for step in &self.after_links {
            let _ = writeln!(s, "{}", step.render());
        }
        // Receivers for senders in another guest start first and wait for
        // every case of that guest to go by.
        let remote_timeout = AGENT_TIMEOUT * (self.cases.len() as u32 + 1);
        for c in self
            .cases
            .iter()
            .filter(|c| is_here(c.to_ns) && !is_here(c.from_ns))
        {
            let _ = writeln!(
                s,
                "{} &\necho $! >> /tmp/receivers",
                c.recv_command(remote_timeout)
            );
        }
        for c in self.cases.iter().filter(|c| is_here(c.from_ns)) {
            let _ = writeln!(s, "log \"case {}\"", c.id);
            for step in &c.before {
                let _ = writeln!(s, "{}", step.render());
            }
            if let (Some(interrupt), true) = (&c.interrupt, is_here(c.to_ns)) {
                let interrupt = render_all(interrupt);
                let _ = writeln!(
                    s,
                    "{recv} &\nwait_file /tmp/{id}.ready 30 || rc=1\n{send} &\nspid=$!\nsleep 2\n{interrupt}\n\
                     wait $spid || log \"case {id}: the sender ended with an error\"",
                    id = c.id,
                    recv = c.recv_command(AGENT_TIMEOUT),
                    send = c.send_command(AGENT_TIMEOUT),
                );
            } else if let (Some(pause), true) = (&c.pause, is_here(c.to_ns)) {
                let _ = writeln!(
                    s,
                    "{recv} &\nrpid=$!\nwait_file /tmp/{id}.ready 30 || rc=1\n{send} &\nspid=$!\n\
                     if wait_paused /tmp/{id}.paused $spid {PAUSE_WAIT}; then\n\
                     log \"case {id}: sender paused\"\n{step}\nelse\nrc=1\nfi\n\
                     touch /tmp/{id}.resume\nwait $spid || rc=1\nwait $rpid || rc=1",
                    id = c.id,
                    step = render_all(&pause.step),
                    recv = c.recv_command(AGENT_TIMEOUT + PAUSE_TIMEOUT),
                    send = c.send_command(AGENT_TIMEOUT + PAUSE_TIMEOUT),
                );
            } else if is_here(c.to_ns) {
                let _ = writeln!(
                    s,
                    "{recv} &\nrpid=$!\nwait_file /tmp/{id}.ready 30 || rc=1\n{send} || rc=1\nwait $rpid || rc=1",
                    id = c.id,
                    recv = c.recv_command(AGENT_TIMEOUT),
                    send = c.send_command(AGENT_TIMEOUT),
                );
            } else {
                let _ = writeln!(s, "{} || rc=1", c.send_command(AGENT_TIMEOUT));
            }
        }
        s.push_str(
            "[ -e /tmp/receivers ] && for p in $(cat /tmp/receivers); do wait $p || rc=1; done\n",
        );
        let _ = writeln!(s, "netns_cookies >> $RES/netns{suffix}.txt");
        s.push_str("capture_stop_all\n");
        for ns in &here {
            let _ = writeln!(
                s,
                "$IP netns exec {ns} $TIPC link stat show > $RES/link-stat-{ns}.txt 2>&1 || true"
            );
        }
        // Guest b keeps its namespaces until guest a has begun its own
        // teardown: once guest b's node is gone, a namespace of guest a
        // holding its identity may rightly become the peer (impersonation),
        // and only what opens before guest a's teardown is judged so.
        if role == Some("b") {
            s.push_str("sleep 3\n");
        }
        // Last: the namespaces go, so that every crossover that opened
        // must close in the records.
        let _ = writeln!(
            s,
            "crossover_trace_close $RES/crossover-trace{suffix}.txt {TRACE_CLOSE_TIMEOUT}\ntrap - EXIT"
        );
        s.push_str("log \"done rc=$rc\"\nexit $rc\n");
        s
    }
}
