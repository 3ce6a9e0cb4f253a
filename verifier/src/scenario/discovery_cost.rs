//! The cost of a first-contact discovery message at several namespace
//! counts, from the kernel's function profiler (`trace_stat/function<cpu>`
//! of every CPU, one after the other, as `profile_stop` in
//! `vm/guest/lib.sh` leaves them).
//!
//! Every forged message claims a node the receiver has never seen, so the
//! receiver creates a node and looks for a namespace of this kernel with
//! that node id: the stock kernel walks every namespace, the patched one
//! looks the id up in its registry. The guest runs with `-icount shift=0`,
//! so its microseconds are thousands of guest instructions: repeatable, but
//! only their ratios mean anything.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::Path;

/// The function whose average time is the cost of one discovery message.
pub const MEASURED: &str = "tipc_disc_rcv";
/// The patched kernel's cost at the most namespaces may exceed its cost at
/// none by at most this factor, or it is not flat. The guests run with
/// `-icount`, so times count instructions; both kernels measured about
/// +9% from 2 to 69 namespaces, nearly all of it from 2 to 11.
pub const FLAT_LIMIT: f64 = 1.2;

/// One profiler line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub function: String,
    pub hits: u64,
    pub avg_us: f64,
}

/// One measurement: namespaces present and the profile of `MEASURED`.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub label: String,
    pub namespaces: u32,
    pub hits: u64,
    pub avg_us: f64,
}

fn to_us(value: &str, unit: &str) -> Result<f64> {
    let v: f64 = value.parse().with_context(|| format!("time {value:?}"))?;
    Ok(match unit {
        "ns" => v / 1000.0,
        "us" => v,
        "ms" => v * 1000.0,
        "s" => v * 1_000_000.0,
        other => bail!("unknown time unit {other:?}"),
    })
}

/// Parses the profiler's per-CPU tables, one after the other:
/// `  tipc_disc_rcv   300   12345.67 us   41.152 us   12.3 us`.
///
/// A function profiled on several CPUs appears once per CPU; its lines are
/// merged into one: hits added, the average weighted by each CPU's hits.
/// Functions keep the order of their first appearance.
pub fn parse_profile(text: &str) -> Result<Vec<Profile>> {
    let mut out: Vec<Profile> = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 6 || words[0].starts_with('#') || words[0] == "Function" {
            continue;
        }
        let Ok(hits) = words[1].parse::<u64>() else {
            continue;
        };
        let avg_us = to_us(words[4], words[5]).with_context(|| format!("line {line:?}"))?;
        match out.iter_mut().find(|p| p.function == words[0]) {
            Some(p) => {
                let total = p.hits + hits;
                if total > 0 {
                    p.avg_us = (p.avg_us * p.hits as f64 + avg_us * hits as f64) / total as f64;
                }
                p.hits = total;
            }
            None => out.push(Profile {
                function: words[0].to_string(),
                hits,
                avg_us,
            }),
        }
    }
    Ok(out)
}

/// Reads `# namespaces: N` from the profile file's first line.
fn namespaces(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix("# namespaces: "))
        .and_then(|n| n.trim().parse().ok())
}

/// The measurements of a run, in the order they were taken.
pub fn points(results: &Path, labels: &[&str]) -> Result<Vec<Point>> {
    labels
        .iter()
        .map(|label| {
            let path = results.join(format!("discovery-profile-{label}.txt"));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let profile = parse_profile(&text)?;
            let measured = profile
                .iter()
                .find(|p| p.function == MEASURED)
                .with_context(|| format!("no {MEASURED} in {}", path.display()))?;
            Ok(Point {
                label: label.to_string(),
                namespaces: namespaces(&text)
                    .with_context(|| format!("no \"# namespaces:\" line in {}", path.display()))?,
                hits: measured.hits,
                avg_us: measured.avg_us,
            })
        })
        .collect()
}

/// Cost at the most namespaces over cost at the fewest.
pub fn growth(points: &[Point]) -> Option<f64> {
    let (first, last) = (points.first()?, points.last()?);
    (first.avg_us > 0.0).then(|| last.avg_us / first.avg_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# namespaces: 42\n  Function                               Hit    Time            Avg             s^2\n  --------                               ---    ----            ---             ---\n  tipc_disc_rcv                          300    12345.67 us     41.152 us       12.3 us\n  tipc_node_check_dest                   290    9000.1 us       31.03 us        1.1 us\n";

    #[test]
    fn profiles_and_namespace_counts_are_read() {
        let p = parse_profile(SAMPLE).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].function, "tipc_disc_rcv");
        assert_eq!(p[0].hits, 300);
        assert!((p[0].avg_us - 41.152).abs() < 1e-9);
        assert_eq!(namespaces(SAMPLE), Some(42));
    }

    #[test]
    fn the_tables_of_every_cpu_are_merged() {
        let two_cpus = format!(
            "{SAMPLE}  Function  Hit  Time  Avg  s^2\n  tipc_disc_rcv  100  1000 us  10.000 us  1 us\n"
        );
        let p = parse_profile(&two_cpus).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].hits, 400);
        // (300 * 41.152 + 100 * 10) / 400
        assert!((p[0].avg_us - 33.364).abs() < 1e-9);
        assert_eq!(p[1].hits, 290);
    }

    #[test]
    fn units_are_converted() {
        let p = parse_profile("  f  10  1.5 ms  150.0 ns  0 ns\n").unwrap();
        assert!((p[0].avg_us - 0.15).abs() < 1e-9);
        assert!(parse_profile("  f  10  1 us  3 parsecs  0 us\n").is_err());
    }

    #[test]
    fn growth_is_last_over_first() {
        let pt = |avg| Point {
            label: String::new(),
            namespaces: 0,
            hits: 1,
            avg_us: avg,
        };
        assert_eq!(growth(&[pt(10.0), pt(12.0), pt(15.0)]), Some(1.5));
        assert_eq!(growth(&[]), None);
    }
}
