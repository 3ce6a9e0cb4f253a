//! What `bench` measures and the guest scripts that measure it.
//!
//! Each repetition boots the stock and the patched kernel (see `super`), and
//! each goes through every size, connection count and path in turn.

use crate::kbuild::Flavour;
use crate::scenario::step::{render_all, Step};
use std::fmt::Write as _;
use std::net::SocketAddr;
use tipc_agent_protocol::{self as agent, BenchAmount, BenchEndpoint};

const GUEST_LIB: &str = include_str!("../../../vm/guest/lib.sh");

/// A way for traffic to go from one namespace to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// TIPC over the Rust crossover (patched kernel).
    RustCrossover,
    /// TIPC over the C crossover (stock kernel).
    CCrossover,
    /// TIPC over the veth in the same kernel (`net.tipc.crossover=0`).
    Bearer,
    /// TCP over the same kind of veth.
    Tcp,
    /// TIPC between two guests (two patched kernels) over `-netdev dgram`.
    TwoGuests,
    /// TIPC between two sockets of one namespace: the best TIPC can do,
    /// the seed's yardstick for the crossover ("similar to node internal").
    NodeInternal,
    /// AF_UNIX stream sockets between the two namespaces through a socket
    /// file both can reach: what containers sharing a volume use instead.
    Unix,
}

impl Path {
    pub fn name(self) -> &'static str {
        match self {
            Path::RustCrossover => "rust_crossover",
            Path::CCrossover => "c_crossover",
            Path::Bearer => "bearer",
            Path::Tcp => "tcp",
            Path::TwoGuests => "two_guests",
            Path::NodeInternal => "node_internal",
            Path::Unix => "unix",
        }
    }

    /// The paths a kernel's guest measures.
    pub fn on(kernel: Flavour) -> &'static [Path] {
        match kernel {
            // The series' C crossover is the upstream one's, as measured.
            Flavour::Stock | Flavour::PatchedC => {
                &[Path::CCrossover, Path::NodeInternal, Path::Tcp]
            }
            Flavour::Patched | Flavour::Debug | Flavour::Kcsan | Flavour::Modules => &[
                Path::RustCrossover,
                Path::NodeInternal,
                Path::Bearer,
                Path::Tcp,
                Path::Unix,
            ],
        }
    }

    /// Sender and receiver namespaces.
    pub(super) fn namespaces(self) -> (&'static str, &'static str) {
        match self {
            Path::Bearer => ("ns3", "ns4"),
            Path::NodeInternal => ("ns1", "ns1"),
            _ => ("ns1", "ns2"),
        }
    }
}

/// The measurement grid.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    pub sizes: Vec<usize>,
    pub conns: Vec<u32>,
    pub reps: u32,
    /// Round trips per latency measurement (64-byte messages, 1 connection).
    pub rtt_count: u64,
    /// Namespace counts of the scale phase.
    pub scale: Vec<u32>,
    /// TIPC namespace counts of the discovery phase (`super::discovery`).
    pub discovery: Vec<u32>,
    /// The phases that run.
    pub phases: Vec<Phase>,
}

/// A part of a bench run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Throughput and latency of every path, `reps` times, and two guests.
    Throughput,
    /// N namespaces on one bridge until every pair is linked.
    Scale,
    /// The cost of one discovery message at many namespaces.
    Discovery,
    /// Where the send path's instructions go, per function.
    Sendpath,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Throughput,
        Phase::Scale,
        Phase::Discovery,
        Phase::Sendpath,
    ];
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            sizes: vec![64, 1024, 16 * 1024, 64 * 1024],
            conns: vec![1, 8],
            reps: 5,
            rtt_count: 2000,
            scale: vec![8, 32, 64],
            discovery: vec![8, 64, 256, 1000],
            phases: Phase::ALL.to_vec(),
        }
    }
}

impl Plan {
    /// Checks the grid before anything is built or booted: a bad grid is
    /// a usage error (exit status 2).
    pub fn check(&self) -> anyhow::Result<()> {
        let usage = |msg: String| Err(crate::exit::UsageError(msg).into());
        if self.reps == 0 || self.sizes.is_empty() || self.conns.is_empty() {
            return usage("--reps, --sizes and --conns must not be empty or 0".into());
        }
        if let Some(bad) = self.sizes.iter().find(|s| **s == 0 || **s > 66_000) {
            return usage(format!("message size {bad} is outside 1..=66000"));
        }
        if self.conns.contains(&0) {
            return usage("a connection count must be at least 1".into());
        }
        if !Phase::ALL.iter().any(|p| self.runs(*p)) {
            return usage("no phase left to run: nothing to measure".into());
        }
        if self.runs(Phase::Discovery) {
            super::discovery::check_levels(&self.discovery)?;
        }
        Ok(())
    }

    /// Whether `phase` runs: chosen, and for scale and discovery with at
    /// least one namespace count.
    pub fn runs(&self, phase: Phase) -> bool {
        self.phases.contains(&phase)
            && match phase {
                Phase::Scale => !self.scale.is_empty(),
                Phase::Discovery => !self.discovery.is_empty(),
                Phase::Throughput | Phase::Sendpath => true,
            }
    }

    /// Bytes one measurement moves in all (split over its connections).
    /// Under `-icount` the figures repeat closely, so a few tens of
    /// thousands of messages suffice.
    pub fn total_bytes(size: usize) -> u64 {
        match size {
            0..=256 => 1 << 20,
            257..=4096 => 8 << 20,
            _ => 32 << 20,
        }
    }

    /// The guest script for repetition `rep` on `kernel`.
    pub fn script(&self, kernel: Flavour, rep: u32) -> String {
        let paths = Path::on(kernel);
        let mut s = format!(
            "#!/bin/sh\n# generated by tipc-verifier bench for the {} kernel, repetition {rep}\n",
            kernel.name()
        );
        s.push_str(GUEST_LIB);
        s.push_str("\nrc=0\nlog \"bench\"\n");
        let bearer_path = paths.contains(&Path::Bearer);
        let steps = setup(bearer_path);
        let _ = writeln!(s, "{}", render_all(&steps));
        let mut port = 20000;
        {
            for &size in &self.sizes {
                for &conns in &self.conns {
                    for &path in paths {
                        let bytes = Self::total_bytes(size) / u64::from(conns);
                        port += 1;
                        let (from, to) = path.namespaces();
                        s.push_str(&measurement(
                            from,
                            to,
                            bench(path, port, size, conns, BenchAmount::Bytes(bytes)),
                            &format!("{}-{size}-{conns}-{rep}", path.name()),
                        ));
                    }
                }
            }
            for &path in paths {
                port += 1;
                let (from, to) = path.namespaces();
                s.push_str(&measurement(
                    from,
                    to,
                    bench(path, port, 64, 1, BenchAmount::RoundTrips(self.rtt_count)),
                    &format!("rtt-{}-{rep}", path.name()),
                ));
            }
        }
        s.push_str("log \"done rc=$rc\"\nexit $rc\n");
        s
    }
}

impl Plan {
    /// The script of the scale phase on `kernel`: for each namespace count,
    /// the time until every pair of namespaces on one bridge has its link
    /// up (and, with the series, the crossover assigned).
    pub fn scale_script(&self, kernel: Flavour) -> String {
        let mut s = format!(
            "#!/bin/sh\n# generated by tipc-verifier bench: scale on the {} kernel\n",
            kernel.name()
        );
        s.push_str(GUEST_LIB);
        s.push_str(
            "\nrc=0\nbridge_add br0\ncrossover_trace_start\n\
             cleanup_on_exit $RES/crossover-trace-scale.txt\n",
        );
        for n in &self.scale {
            let _ = writeln!(s, "log \"scale {n}\"\nscale_up {n} $RES/scale.txt");
        }
        s.push_str("crossover_trace_stop $RES/crossover-trace-scale.txt\ntrap - EXIT\n");
        s.push_str("log \"done rc=$rc\"\nexit $rc\n");
        s
    }

    /// The scripts of the two guests that measure `Path::TwoGuests` in
    /// repetition `rep`: guest `a` sends from ns1, guest `b` receives in ns2,
    /// one sink after the other in the order guest `a` sends; each blast
    /// waits for its sink's service through the topology server.
    pub fn two_guest_scripts(&self, rep: u32) -> (String, String) {
        let head = |role: &str, ns: &'static str| {
            let mut s = format!(
                "#!/bin/sh\n# generated by tipc-verifier bench: two guests, guest {role}, repetition {rep}\n"
            );
            s.push_str(GUEST_LIB);
            let steps = [
                Step::NsAdd(ns),
                Step::MoveLink { dev: "eth0", ns },
                Step::Bearer { ns, dev: "eth0" },
                Step::WaitLinks {
                    ns,
                    count: 1,
                    secs: 120,
                }
                .checked(),
            ];
            let _ = writeln!(s, "\nrc=0\n{}", render_all(&steps));
            s
        };
        let (mut a, mut b) = (head("a", "ns1"), head("b", "ns2"));
        let mut port = 30000;
        let mut add = |size: usize, conns: u32, amount: BenchAmount, label: String| {
            port += 1;
            let (sink, blast) =
                sink_and_blast(bench(Path::TwoGuests, port, size, conns, amount), &label);
            let _ = writeln!(b, "$IP netns exec ns2 {} || rc=1", sink.shell());
            let _ = writeln!(a, "$IP netns exec ns1 {} || rc=1", blast.shell());
        };
        for &size in &self.sizes {
            for &conns in &self.conns {
                let bytes = Self::total_bytes(size) / u64::from(conns);
                add(
                    size,
                    conns,
                    BenchAmount::Bytes(bytes),
                    format!("two_guests-{size}-{conns}-{rep}"),
                );
            }
        }
        add(
            64,
            1,
            BenchAmount::RoundTrips(self.rtt_count),
            format!("rtt-two_guests-{rep}"),
        );
        for s in [&mut a, &mut b] {
            s.push_str("log \"done rc=$rc\"\nexit $rc\n");
        }
        (a, b)
    }
}

/// The guest's namespaces for the paths in one kernel: ns1 and ns2 on a
/// veth with addresses and bearers, with `bearer_path` also ns3 and ns4 on
/// a veth with the crossover switched off; then the wait for their links.
pub(super) fn setup(bearer_path: bool) -> Vec<Step> {
    let mut steps = vec![
        Step::NsAdd("ns1"),
        Step::NsAdd("ns2"),
        Step::Veth {
            a: ("ns1", "veth1"),
            b: ("ns2", "veth2"),
        },
        Step::IpAddr {
            ns: "ns1",
            addr: "10.77.0.1/24",
            dev: "veth1",
        },
        Step::IpAddr {
            ns: "ns2",
            addr: "10.77.0.2/24",
            dev: "veth2",
        },
    ];
    if bearer_path {
        steps.extend([
            Step::NsAdd("ns3"),
            Step::NsAdd("ns4"),
            Step::Veth {
                a: ("ns3", "veth3"),
                b: ("ns4", "veth4"),
            },
            Step::CrossoverSysctl {
                ns: "ns3",
                on: false,
            },
            Step::CrossoverSysctl {
                ns: "ns4",
                on: false,
            },
            Step::Bearer {
                ns: "ns3",
                dev: "veth3",
            },
            Step::Bearer {
                ns: "ns4",
                dev: "veth4",
            },
        ]);
    }
    steps.extend([
        Step::Bearer {
            ns: "ns1",
            dev: "veth1",
        },
        Step::Bearer {
            ns: "ns2",
            dev: "veth2",
        },
    ]);
    let waited: &[&'static str] = if bearer_path {
        &["ns1", "ns2", "ns3", "ns4"]
    } else {
        &["ns1", "ns2"]
    };
    for ns in waited {
        steps.push(
            Step::WaitLinks {
                ns,
                count: 1,
                secs: 60,
            }
            .checked(),
        );
    }
    steps
}

/// One measurement as the agent is asked to make it. The port number is
/// also the TIPC service instance, so that no two measurements share a name.
pub(super) fn bench(
    path: Path,
    port: u32,
    size: usize,
    conns: u32,
    amount: BenchAmount,
) -> agent::Bench {
    let endpoint = match path {
        Path::Tcp => BenchEndpoint::Tcp(SocketAddr::from(([10, 77, 0, 2], port as u16))),
        // The namespaces share the guest's one mount namespace, so its /tmp.
        Path::Unix => BenchEndpoint::Unix(format!("/tmp/bench-{port}.sock")),
        _ => BenchEndpoint::Tipc(agent::Service::instance(21000, port)),
    };
    agent::Bench {
        endpoint,
        conns,
        size,
        amount,
        timeout_s: None,
    }
}

/// The sink (ready file `/tmp/sink.ready`) and the blaster (result
/// `$RES/bench-LABEL.json`) of one measurement.
fn sink_and_blast(bench: agent::Bench, label: &str) -> (agent::Command, agent::Command) {
    let sink = agent::Command::Sink(agent::Sink {
        bench: bench.clone(),
        ready_file: "/tmp/sink.ready".into(),
    });
    let blast = agent::Command::Blast(agent::Blast {
        bench,
        out: format!("$RES/bench-{label}.json"),
    });
    (sink, blast)
}

/// The lines of one measurement from namespace `from` to `to` in one
/// guest: the sink in the background, then the blaster once the sink
/// listens (`bench_blast` in lib.sh); the result is `$RES/bench-LABEL.json`.
pub(super) fn measurement(from: &str, to: &str, bench: agent::Bench, label: &str) -> String {
    let (sink, blast) = sink_and_blast(bench, label);
    format!(
        "rm -f /tmp/sink.ready\n$IP netns exec {to} {} &\nbench_blast $! $IP netns exec {from} {} || rc=1\n",
        sink.shell(),
        blast.shell()
    )
}
