//! The figures of a bench run: medians with min and max per path, size and
//! connection count, and the ratios the project quotes.

use super::plan::Path as BenchPath;
use crate::kbuild::Flavour;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What `tipc-agent blast` wrote.
type Blast = tipc_agent_protocol::results::Blast;

/// Median, minimum and maximum of the repetitions.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        Some(Spread {
            median: v[v.len() / 2],
            min: v[0],
            max: v[v.len() - 1],
            n: v.len(),
        })
    }
}

/// Throughput of one path on one kernel at one size and connection count.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub kernel: Flavour,
    pub path: BenchPath,
    pub size: usize,
    pub conns: u32,
    pub mbit_per_s: Spread,
    pub msgs_per_s: Spread,
}

/// Round-trip time of one path on one kernel (64 B, one connection).
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub kernel: Flavour,
    pub path: BenchPath,
    pub rtt_us: Spread,
}

/// One ratio of medians at a size and connection count.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub name: &'static str,
    pub size: usize,
    pub conns: u32,
    pub value: f64,
}

/// How long N namespaces on one bridge took until every pair was linked.
#[derive(Debug, Clone, Serialize)]
pub struct ScalePoint {
    pub kernel: Flavour,
    pub namespaces: u32,
    /// Guest seconds (instructions / 10^9 under -icount) from the first
    /// bearer enable until every pair's link was up.
    pub seconds: f64,
    pub links_up: u64,
    pub links_expected: u64,
    /// `tipc_crossover_peer` "open" records meanwhile (patched only).
    pub assigned: Option<u64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Figures {
    pub throughput: Vec<Throughput>,
    pub latency: Vec<Latency>,
    pub ratios: Vec<Ratio>,
    /// Measurements that failed, with the agent's error.
    pub errors: Vec<String>,
    pub scale: Vec<ScalePoint>,
    /// The discovery phase (`super::discovery`), when it ran.
    pub discovery: Option<super::discovery::Figures>,
    /// The sendpath phase (`super::sendpath`), when it ran.
    pub sendpath: Option<super::sendpath::Figures>,
}

/// Reads `scale.txt` ("N SECONDS LINKS ASSIGNED" lines) of each kernel.
pub fn collect_scale(dirs: &[(Flavour, std::path::PathBuf)]) -> Result<Vec<ScalePoint>> {
    let mut out = Vec::new();
    for (kernel, dir) in dirs {
        let path = dir.join("scale.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let w: Vec<&str> = line.split_whitespace().collect();
            let parsed = (|| -> Option<ScalePoint> {
                let n: u32 = w.first()?.parse().ok()?;
                Some(ScalePoint {
                    kernel: *kernel,
                    namespaces: n,
                    seconds: w.get(1)?.parse().ok()?,
                    links_up: w.get(2)?.parse().ok()?,
                    links_expected: u64::from(n) * u64::from(n.saturating_sub(1)),
                    assigned: w.get(3).and_then(|a| a.parse().ok()),
                })
            })();
            out.push(parsed.with_context(|| format!("{}: bad line {line:?}", path.display()))?);
        }
    }
    Ok(out)
}

fn path_named(name: &str) -> Option<BenchPath> {
    [
        BenchPath::RustCrossover,
        BenchPath::CCrossover,
        BenchPath::Bearer,
        BenchPath::Tcp,
        BenchPath::TwoGuests,
        BenchPath::NodeInternal,
        BenchPath::Unix,
    ]
    .into_iter()
    .find(|p| p.name() == name)
}

/// Reads every `bench-*.json` in each kernel's result directory.
pub fn collect(result_dirs: &[(Flavour, std::path::PathBuf)]) -> Result<Figures> {
    let mut tput: TputMap = BTreeMap::new();
    let mut rtt: RttMap = BTreeMap::new();
    let mut figures = Figures::default();
    for (kernel, dir) in result_dirs {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let Some(label) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("bench-"))
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            let blast: Blast = read(&path)?;
            if let Some(e) = blast.first_error {
                figures
                    .errors
                    .push(format!("{} {label}: {e}", kernel.name()));
                continue;
            }
            record(*kernel, label, &blast, &mut tput, &mut rtt);
        }
    }
    for ((kernel, path, size, conns), (mbit, msgs)) in tput {
        if let (Some(m), Some(n)) = (Spread::of(&mbit), Spread::of(&msgs)) {
            figures.throughput.push(Throughput {
                kernel,
                path,
                size,
                conns,
                mbit_per_s: m,
                msgs_per_s: n,
            });
        }
    }
    for ((kernel, path), v) in rtt {
        if let Some(s) = Spread::of(&v) {
            figures.latency.push(Latency {
                kernel,
                path,
                rtt_us: s,
            });
        }
    }
    figures.ratios = ratios(&figures.throughput);
    Ok(figures)
}

type TputMap = BTreeMap<(Flavour, BenchPath, usize, u32), (Vec<f64>, Vec<f64>)>;
type RttMap = BTreeMap<(Flavour, BenchPath), Vec<f64>>;

/// Files are `bench-PATH-SIZE-CONNS-REP.json` or `bench-rtt-PATH-REP.json`.
fn record(kernel: Flavour, label: &str, blast: &Blast, tput: &mut TputMap, rtt: &mut RttMap) {
    let parts: Vec<&str> = label.split('-').collect();
    match parts.as_slice() {
        ["rtt", path, _rep] => {
            if let (Some(p), Some(us)) = (path_named(path), blast.rtt_us) {
                rtt.entry((kernel, p)).or_default().push(us);
            }
        }
        [path, size, conns, _rep] => {
            if let (Some(p), Ok(size), Ok(conns)) = (path_named(path), size.parse(), conns.parse())
            {
                let e = tput.entry((kernel, p, size, conns)).or_default();
                e.0.push(blast.mbit_per_s);
                e.1.push(blast.msgs_per_s);
            }
        }
        _ => {}
    }
}

fn read(path: &Path) -> Result<Blast> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Rust/C, and the crossover over the bearer, TCP, two guests, two sockets
/// of one namespace and AF_UNIX (each against the path in the same guest),
/// at every size and connection count where both sides were measured.
fn ratios(tput: &[Throughput]) -> Vec<Ratio> {
    use BenchPath::{Bearer, CCrossover, NodeInternal, RustCrossover, Tcp, TwoGuests, Unix};
    use Flavour::{Patched, Stock};
    let median = |(k, p): (Flavour, BenchPath), size: usize, conns: u32| {
        tput.iter()
            .find(|t| t.kernel == k && t.path == p && t.size == size && t.conns == conns)
            .map(|t| t.mbit_per_s.median)
    };
    let mut keys: Vec<(usize, u32)> = tput.iter().map(|t| (t.size, t.conns)).collect();
    keys.sort();
    keys.dedup();
    // Stable names, as bench.json carries them.
    let pairs = [
        ("rust_vs_c", (Patched, RustCrossover), (Stock, CCrossover)),
        (
            "crossover_vs_bearer",
            (Patched, RustCrossover),
            (Patched, Bearer),
        ),
        ("crossover_vs_tcp", (Patched, RustCrossover), (Patched, Tcp)),
        ("c_crossover_vs_tcp", (Stock, CCrossover), (Stock, Tcp)),
        (
            "crossover_vs_two_guests",
            (Patched, RustCrossover),
            (Patched, TwoGuests),
        ),
        (
            "crossover_vs_node_internal",
            (Patched, RustCrossover),
            (Patched, NodeInternal),
        ),
        (
            "c_crossover_vs_node_internal",
            (Stock, CCrossover),
            (Stock, NodeInternal),
        ),
        (
            "crossover_vs_unix",
            (Patched, RustCrossover),
            (Patched, Unix),
        ),
    ];
    let mut out = Vec::new();
    for (size, conns) in keys {
        for (name, a, b) in pairs {
            if let (Some(x), Some(y)) = (median(a, size, conns), median(b, size, conns)) {
                if y > 0.0 {
                    out.push(Ratio {
                        name,
                        size,
                        conns,
                        value: x / y,
                    });
                }
            }
        }
    }
    out
}

/// The table printed on stdout.
pub fn table(f: &Figures, accel_note: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# {accel_note}");
    let _ = writeln!(
        s,
        "{:<8} {:<16} {:>6} {:>5} {:>12} {:>12} {:>12} {:>12}",
        "kernel", "path", "size", "conns", "Mb/s median", "min", "max", "msgs/s"
    );
    for t in &f.throughput {
        let _ = writeln!(
            s,
            "{:<8} {:<16} {:>6} {:>5} {:>12.1} {:>12.1} {:>12.1} {:>12.0}",
            t.kernel.name(),
            t.path.name(),
            t.size,
            t.conns,
            t.mbit_per_s.median,
            t.mbit_per_s.min,
            t.mbit_per_s.max,
            t.msgs_per_s.median
        );
    }
    let _ = writeln!(
        s,
        "\n{:<8} {:<16} {:>13} {:>12} {:>12}",
        "kernel", "path", "rtt us (64 B)", "min", "max"
    );
    for l in &f.latency {
        let _ = writeln!(
            s,
            "{:<8} {:<16} {:>13.1} {:>12.1} {:>12.1}",
            l.kernel.name(),
            l.path.name(),
            l.rtt_us.median,
            l.rtt_us.min,
            l.rtt_us.max
        );
    }
    let _ = writeln!(
        s,
        "\n{:<30} {:>6} {:>5} {:>8}",
        "ratio (medians)", "size", "conns", "value"
    );
    for r in &f.ratios {
        let _ = writeln!(
            s,
            "{:<30} {:>6} {:>5} {:>8.3}",
            r.name, r.size, r.conns, r.value
        );
    }
    if !f.scale.is_empty() {
        let _ = writeln!(
            s,
            "\n{:<8} {:>10} {:>14} {:>12} {:>10}",
            "kernel", "namespaces", "until all up", "links up", "assigned"
        );
        for p in &f.scale {
            let _ = writeln!(
                s,
                "{:<8} {:>10} {:>12.2} s {:>5}/{:<6} {:>10}",
                p.kernel.name(),
                p.namespaces,
                p.seconds,
                p.links_up,
                p.links_expected,
                p.assigned.map_or("-".to_string(), |a| a.to_string())
            );
        }
    }
    for e in &f.errors {
        let _ = writeln!(s, "error: {e}");
    }
    s
}
