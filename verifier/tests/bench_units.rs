//! `bench`: the guest sequence interleaves paths, the figures come out of
//! the agent's JSON as medians with ratios, and the plot is an SVG.

use std::fs;
use tipc_verifier::bench::plan::{Path as BenchPath, Plan};
use tipc_verifier::bench::{results, svg};
use tipc_verifier::kbuild::Flavour;

#[test]
fn a_repetition_covers_every_size_count_and_path() {
    let plan = Plan {
        sizes: vec![64, 65536],
        conns: vec![1, 8],
        reps: 2,
        rtt_count: 10,
        scale: vec![8],
        ..Plan::default()
    };
    let s = plan.script(Flavour::Patched, 2);
    let runs: Vec<&str> = s
        .lines()
        .filter(|l| l.starts_with("bench_blast "))
        .collect();
    // 2 sizes x 2 conns x 5 paths + 5 latency runs, all of repetition 2.
    assert_eq!(runs.len(), 2 * 2 * 5 + 5);
    // Node-internal: both ends in ns1; AF_UNIX through a socket file.
    assert!(s.contains("$IP netns exec ns1 tipc-agent sink --service 21000:"));
    assert!(runs
        .iter()
        .any(|l| l.contains("bench-node_internal-65536-8-2.json")));
    assert!(s.contains("--unix /tmp/bench-"));
    assert!(
        runs.iter().all(|l| l.ends_with("-2.json\" || rc=1")),
        "{runs:#?}"
    );
    let sinks = s
        .lines()
        .filter(|l| l.contains(" tipc-agent sink "))
        .count();
    assert_eq!(sinks, runs.len(), "a sink for every blaster");
    assert!(
        s.contains("echo 0 > /proc/sys/net/tipc/crossover"),
        "the bearer pair"
    );
    assert!(s.contains("--tcp 10.77.0.2:"));
    assert!(s.contains("--conns 8 --size 65536 --bytes"));
    let stock = plan.script(Flavour::Stock, 1);
    assert!(
        !stock.contains("echo 0 > /proc/sys/net/tipc/crossover"),
        "the stock kernel has no switch"
    );
    assert!(stock.contains("/bench-c_crossover-64-1-1.json"));
}

fn blast(dir: &std::path::Path, label: &str, mbit: f64, rtt: Option<f64>) {
    let json = serde_json::json!({
        "mode": "tipc", "conns": 1, "size": 1024, "bytes_per_conn": 1_000_000, "messages": 977,
        "seconds": 0.1, "mbit_per_s": mbit, "msgs_per_s": mbit * 10.0, "rtt_us": rtt, "first_error": null
    });
    fs::write(dir.join(format!("bench-{label}.json")), json.to_string()).unwrap();
}

#[test]
fn figures_are_medians_and_ratios_of_medians() {
    let stock = tempfile::tempdir().unwrap();
    let patched = tempfile::tempdir().unwrap();
    for (rep, (c, r, b)) in [
        (100.0, 98.0, 30.0),
        (110.0, 111.0, 31.0),
        (90.0, 104.0, 29.0),
    ]
    .into_iter()
    .enumerate()
    {
        blast(stock.path(), &format!("c_crossover-1024-1-{rep}"), c, None);
        blast(
            patched.path(),
            &format!("rust_crossover-1024-1-{rep}"),
            r,
            None,
        );
        blast(patched.path(), &format!("bearer-1024-1-{rep}"), b, None);
        blast(
            patched.path(),
            &format!("node_internal-1024-1-{rep}"),
            2.0 * b,
            None,
        );
        blast(patched.path(), &format!("unix-1024-1-{rep}"), 4.0 * b, None);
        blast(
            patched.path(),
            &format!("rtt-rust_crossover-{rep}"),
            0.0,
            Some(20.0 + rep as f64),
        );
    }
    fs::write(
        patched.path().join("bench-tcp-1024-1-9.json"),
        r#"{"mode":"tipc","conns":1,"size":1024,"bytes_per_conn":1000000,"messages":0,"seconds":0.0,"mbit_per_s":0,"msgs_per_s":0,"rtt_us":null,"first_error":"connect: refused"}"#,
    )
    .unwrap();
    let f = results::collect(&[
        (Flavour::Stock, stock.path().into()),
        (Flavour::Patched, patched.path().into()),
    ])
    .unwrap();
    let rust = f
        .throughput
        .iter()
        .find(|t| t.path == BenchPath::RustCrossover)
        .unwrap();
    assert_eq!(rust.mbit_per_s.median, 104.0);
    assert_eq!(
        (rust.mbit_per_s.min, rust.mbit_per_s.max, rust.mbit_per_s.n),
        (98.0, 111.0, 3)
    );
    let ratio = |name: &str| f.ratios.iter().find(|r| r.name == name).unwrap().value;
    assert!((ratio("rust_vs_c") - 104.0 / 100.0).abs() < 1e-9);
    assert!((ratio("crossover_vs_bearer") - 104.0 / 30.0).abs() < 1e-9);
    assert!((ratio("crossover_vs_node_internal") - 104.0 / 60.0).abs() < 1e-9);
    assert!((ratio("crossover_vs_unix") - 104.0 / 120.0).abs() < 1e-9);
    assert_eq!(f.latency[0].rtt_us.median, 21.0);
    assert_eq!(
        f.errors,
        vec!["patched tcp-1024-1-9: connect: refused".to_string()]
    );
    let table = results::table(&f, "TCG");
    assert!(table.contains("rust_vs_c"), "{table}");
    let plot = svg::plot(&f, "TCG");
    assert!(plot.starts_with("<svg") && plot.trim_end().ends_with("</svg>"));
    assert_eq!(plot.matches("<polyline").count(), 5);
}

#[test]
fn two_guests_pair_each_blast_with_a_sink_in_order() {
    let plan = Plan {
        sizes: vec![64, 1024],
        conns: vec![1, 8],
        reps: 1,
        rtt_count: 10,
        scale: vec![8],
        ..Plan::default()
    };
    let (a, b) = plan.two_guest_scripts(3);
    let blasts: Vec<&str> = a
        .lines()
        .filter(|l| l.starts_with("$IP netns exec ns1 tipc-agent blast"))
        .collect();
    let sinks: Vec<&str> = b
        .lines()
        .filter(|l| l.starts_with("$IP netns exec ns2 tipc-agent sink"))
        .collect();
    assert_eq!(blasts.len(), 2 * 2 + 1);
    assert_eq!(sinks.len(), blasts.len());
    for (blast, sink) in blasts.iter().zip(&sinks) {
        let service = |l: &str| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words
                .windows(2)
                .find(|w| w[0] == "--service")
                .map(|w| w[1].to_string())
        };
        assert!(service(blast).is_some(), "{blast}");
        assert_eq!(service(blast), service(sink), "same service, same order");
    }
    assert!(a.contains("$IP link set eth0 netns ns1") && b.contains("$IP link set eth0 netns ns2"));
    assert!(blasts[0].contains("bench-two_guests-64-1-3.json"));
    assert!(blasts[4].contains("bench-rtt-two_guests-3.json"));
}

#[test]
fn the_scale_phase_brings_up_each_count_and_reads_back() {
    let plan = Plan {
        scale: vec![8, 32],
        ..Plan::default()
    };
    let s = plan.scale_script(Flavour::Patched);
    assert!(s.contains("\nbridge_add br0\ncrossover_trace_start\n"));
    assert!(s.contains("scale_up 8 $RES/scale.txt") && s.contains("scale_up 32 $RES/scale.txt"));
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("scale.txt"),
        "8 3.5 56 56\n32 20.25 992 992\n",
    )
    .unwrap();
    let stock = tempfile::tempdir().unwrap();
    fs::write(stock.path().join("scale.txt"), "8 3.4 56 -\n").unwrap();
    let pts = results::collect_scale(&[
        (Flavour::Stock, stock.path().into()),
        (Flavour::Patched, dir.path().into()),
    ])
    .unwrap();
    assert_eq!(pts.len(), 3);
    assert_eq!(pts[0].assigned, None);
    assert_eq!(
        (pts[2].namespaces, pts[2].links_expected, pts[2].assigned),
        (32, 992, Some(992))
    );
    fs::write(dir.path().join("scale.txt"), "8 x\n").unwrap();
    assert!(results::collect_scale(&[(Flavour::Patched, dir.path().into())]).is_err());
}

#[test]
fn discovery_levels_are_checked_only_where_the_phase_runs() {
    use tipc_verifier::bench::plan::Phase;
    let bad_levels = Plan {
        discovery: vec![5000],
        ..Plan::default()
    };
    assert!(bad_levels.check().is_err());
    let elsewhere = Plan {
        phases: vec![Phase::Sendpath],
        ..bad_levels
    };
    assert!(elsewhere.check().is_ok());
    assert!(!elsewhere.runs(Phase::Discovery) && elsewhere.runs(Phase::Sendpath));
}
