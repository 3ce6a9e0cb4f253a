//! The host side of `tipc-verifier stress`: the guest's fact file, the
//! agents' results paired and counted, and the verdict.

use std::fs;
use std::path::Path;
use tipc_agent_protocol::results::NetnsFaults;
use tipc_verifier::scenario::crossover_events::{parse_trace, CrossoverEvent, EventKind};
use tipc_verifier::stress::facts::{self, Facts};
use tipc_verifier::stress::judge::{self, GuestEnd};
use tipc_verifier::stress::plan::{Plan, PHASES};
use tipc_verifier::stress::tally::{self, AgentResult, Exchange};

const SA: u32 = 0x0100_1001;
const SB: u32 = 0x0100_1002;
const SC: u32 = 0x0100_1003;

fn facts_text(cycles: u32) -> String {
    let mut s = String::from("ns victim 4026532100 -\nns sa 4026532200 1001001\n");
    for c in 1..=cycles {
        s.push_str(&format!("ns sb {} 1001002\n", 4026532300 + u64::from(c)));
        s.push_str(&format!("count netns_cycle cycles {c}\n"));
    }
    s.push_str("ns sc 4026532400 1001003\n");
    for p in PHASES {
        s.push_str(&format!("phase {p} 0 12.5\n"));
    }
    s
}

#[test]
fn the_fact_file_is_parsed_and_the_last_counter_wins() {
    let f = facts::parse(&format!(
        "{}fail bearer_churn round 2: link not back\ncount forged exchanges 3\n",
        facts_text(3)
    ))
    .unwrap();
    assert_eq!(f.count("netns_cycle", "cycles"), 3);
    assert_eq!(f.count("forged", "exchanges"), 3);
    assert_eq!(f.count("empty_names", "rounds"), 0);
    assert_eq!(f.phases["conn_storm"].rc, 0);
    assert_eq!(f.phases["conn_storm"].seconds, 12.5);
    assert_eq!(
        f.failures,
        vec![(
            "bearer_churn".to_string(),
            "round 2: link not back".to_string()
        )]
    );
    let victim = &f.namespaces[0];
    assert_eq!((victim.name.as_str(), victim.addr), ("victim", None));
    assert_eq!(f.namespaces[1].addr, Some(SA));
}

#[test]
fn a_broken_fact_names_its_line() {
    let err = facts::parse("phase netns_cycle 0 1.0\ncount netns_cycle cycles many\n").unwrap_err();
    assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    assert!(facts::parse("hello world\n").is_err());
    assert!(facts::parse("ns sa 12 zz\n").is_err());
}

/// A result as the agent writes it (every field of the contract).
fn agent_value(
    sock: &str,
    messages: u64,
    set: &str,
    ordered: &str,
    err: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({
        "role": "send", "sock": sock, "service": "21000:1", "peer": null, "count": messages,
        "size": 1024, "messages": messages, "bytes": messages * 1024,
        "digest_ordered": ordered, "digest_set": set, "first_error": err, "retries": 0,
        "elapsed_ms": 10, "netns_inode": 4026532200u64, "netns_cookie": 4096u64, "own_node": null, "own_ref": null,
        "ok": err.is_none(), "errno": null, "rejected": 0, "acks": 1, "acked_messages": messages,
        "member_events": 0, "drops": null, "rcvbuf": null, "timeout_s": 30
    })
}

fn agent(sock: &str, messages: u64, set: &str, ordered: &str) -> AgentResult {
    serde_json::from_value(agent_value(sock, messages, set, ordered, None)).unwrap()
}

#[test]
fn an_exchange_is_intact_only_with_every_message_and_the_right_digest() {
    let s = agent("rdm", 20, "S", "O");
    assert!(Exchange::judge("x".into(), &s, Some(&agent("rdm", 20, "S", "other order"))).intact);
    let short = Exchange::judge("x".into(), &s, Some(&agent("rdm", 19, "S2", "O2")));
    assert!(!short.intact);
    assert_eq!(short.lost(), 1);
    // Same count, different bytes: corrupted, counted as lost.
    let bad = Exchange::judge("x".into(), &s, Some(&agent("rdm", 20, "X", "O")));
    assert!(!bad.intact);
    assert!(bad.lost() >= 1);
    // Connections are judged by the ordered digest.
    let c = agent("stream", 4, "S", "O");
    assert!(!Exchange::judge("x".into(), &c, Some(&agent("stream", 4, "S", "reordered"))).intact);
    // No receiver result: everything sent is lost.
    let gone = Exchange::judge("x".into(), &s, None);
    assert_eq!((gone.intact, gone.lost()), (false, 20));
    assert!(gone.error.unwrap().contains("no result"));
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn agent_json(sock: &str, messages: u64, digest: &str, err: Option<&str>) -> String {
    agent_value(sock, messages, digest, digest, err).to_string()
}

#[test]
fn results_are_paired_counted_and_floods_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        &r.join("netns_cycle/c1-rdm-ab.send.json"),
        &agent_json("rdm", 20, "A", None),
    );
    write(
        &r.join("netns_cycle/c1-rdm-ab.recv.json"),
        &agent_json("rdm", 20, "A", None),
    );
    write(
        &r.join("netns_cycle/c1-stream-ba.send.json"),
        &agent_json("stream", 20, "B", None),
    );
    write(
        &r.join("netns_cycle/c1-stream-ba.recv.json"),
        &agent_json("stream", 18, "C", Some("timeout after 60s")),
    );
    write(
        &r.join("netns_cycle/c1.flood.send.json"),
        &agent_json("rdm", 5000, "F", Some("sendto: Host is unreachable")),
    );
    write(
        &r.join("netns_cycle/c1.flood.recv.json"),
        "not even json: never read",
    );
    write(
        &r.join("netns_cycle/c2-rdm-ab.recv.json"),
        &agent_json("rdm", 0, "", None),
    );
    write(
        &r.join("storm/storm-stream-connect.json"),
        r#"{"role":"connect","sock":"stream","service":"1:1","conns":50,"connected":50,"intact":50,"size":4096,"elapsed_ms":1,"first_error":null}"#,
    );
    write(
        &r.join("forged/inject-raw-hash.json"),
        r#"{"role":"inject","mode":"raw-hash","victim":null,"frames_sent":250,"first_error":null}"#,
    );
    write(
        &r.join("faults/sweep-faults_idle-1.json"),
        r#"{"role":"netns-faults","steps":431,"injected":430,"refused":402,"survived":28,"killed":0,"exhausted_at":431,"errnos":{"ENOMEM":402},"elapsed_ms":51234,"first_error":null}"#,
    );
    write(&r.join("stress.txt"), "phase netns_cycle 0 1\n");
    let t = tally::read(r).unwrap();
    assert_eq!(t.fault_sweeps.len(), 1);
    assert_eq!(t.fault_sweeps[0].id, "faults_idle-1");
    assert_eq!(
        (
            t.fault_sweeps[0].sweep.injected,
            t.fault_sweeps[0].sweep.exhausted_at
        ),
        (430, Some(431))
    );
    assert_eq!(t.exchanges.len(), 2);
    assert_eq!(t.orphans, vec!["netns_cycle/c2-rdm-ab".to_string()]);
    let totals = t.totals();
    assert_eq!(totals.messages_sent, 40);
    assert_eq!(totals.messages_received_intact, 20);
    assert_eq!(totals.messages_lost, 2);
    assert_eq!(totals.by_class["stream"], (20, 0));
    assert_eq!(
        (totals.floods, totals.flood_messages, totals.floods_hung),
        (1, 5000, 0)
    );
    assert_eq!(totals.storm_connections_intact, 50);
    assert_eq!(totals.frames_forged, 250);
}

fn assigned(netns: u64, peer: u32, peer_netns: u64) -> CrossoverEvent {
    CrossoverEvent {
        netns,
        peer,
        peer_netns,
        event: EventKind::Open,
    }
}

#[test]
fn a_crossover_to_the_victim_or_an_unknown_namespace_is_wrong() {
    let f: Facts = facts::parse(&facts_text(2)).unwrap();
    let ok = [
        assigned(4026532200, SB, 4026532301),
        assigned(4026532301, SA, 4026532200),
        assigned(4026532200, SB, 4026532302),
        assigned(4026532302, SA, 4026532200),
        assigned(4026532400, SA, 4026532200),
    ];
    let c = judge::judge_crossovers(&f, &ok);
    assert_eq!((c.opened, c.wrong), (5, 0));
    assert_eq!(
        (c.cycle_assignments_to_sb, c.cycle_assignments_from_sb),
        (2, 2)
    );
    for bad in [
        assigned(4026532200, 0x5b30_e16d, 4026532100), // the victim
        assigned(4026532200, SB, 4026531840),          // the root namespace
        assigned(4026532200, SC, 4026532301),          // sb's cookie under sc's address
    ] {
        let c = judge::judge_crossovers(&f, std::slice::from_ref(&bad));
        assert_eq!(c.wrong, 1, "{bad:?}");
        assert_eq!(c.wrong_examples.len(), 1);
    }
}

#[test]
fn tracepoint_lines_feed_the_crossover_judgement() {
    let f = facts::parse(&facts_text(1)).unwrap();
    let trace = "# tracer: nop\n\
        ip-90 [000] ..s1. 5.1: tipc_crossover_peer: netns_cookie=4026532200 addr=1001002 peer_cookie=4026532301 event=open\n\
        <idle>-0 [000] ..s2. 9.2: tipc_crossover_peer: netns_cookie=4026532200 addr=1001002 peer_cookie=4026532301 event=peer_exit\n";
    let events = parse_trace(trace).unwrap();
    let c = judge::judge_crossovers(&f, &events);
    assert_eq!((c.opened, c.closed, c.wrong), (1, 1, 0));
    assert!(c.pairing.ok(), "{}", c.pairing.summary());
    // The close missing: the open is reported as never closed.
    let c = judge::judge_crossovers(&f, &events[..1]);
    assert!(!c.pairing.ok());
    assert_eq!(c.pairing.unclosed.len(), 1);
}

fn clean_guest() -> GuestEnd {
    GuestEnd {
        end_status: Some(0),
        timed_out: false,
        splats: vec![],
        races_elsewhere: 0,
    }
}

fn tally_for(cycles: u64) -> tally::Tally {
    let mut t = tally::Tally::default();
    for i in 0..2 * cycles {
        let a = agent("rdm", 10, "D", "D");
        t.exchanges
            .push(Exchange::judge(format!("netns_cycle/{i}"), &a, Some(&a)));
    }
    for phase in ["faults_idle", "faults_busy"] {
        t.fault_sweeps.push(sweep(&format!("{phase}-1"), 0));
    }
    t
}

/// A sweep of 420 namespace set-ups that covered every step; `killed` of
/// them died in the kernel.
fn sweep(id: &str, killed: u32) -> tally::FaultSweep {
    tally::FaultSweep {
        id: id.into(),
        sweep: NetnsFaults {
            steps: 420,
            injected: 419 - killed,
            refused: 400 - killed,
            survived: 19,
            killed,
            exhausted_at: Some(420),
            ..NetnsFaults::default()
        },
    }
}

fn names_of_failures(checks: &[tipc_verifier::scenario::Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.clone())
        .collect()
}

#[test]
fn the_verdict_names_each_failure() {
    let plan = Plan {
        cycles: 2,
        churn: 0,
        storm_conns: 0,
        empty_rounds: 0,
        forge_frames: 0,
        forge_distinct: 0,
        msgs: 10,
        fault_rounds: 1,
    };
    let f = facts::parse(&facts_text(2)).unwrap();
    let closed = |mut e: CrossoverEvent, why: EventKind| {
        e.event = why;
        e
    };
    let mut events = vec![
        assigned(4026532200, SB, 4026532301),
        assigned(4026532301, SA, 4026532200),
        closed(assigned(4026532200, SB, 4026532301), EventKind::PeerExit),
        closed(assigned(4026532301, SA, 4026532200), EventKind::NodeDelete),
        assigned(4026532200, SB, 4026532302),
        assigned(4026532302, SA, 4026532200),
        closed(assigned(4026532200, SB, 4026532302), EventKind::LostContact),
        closed(assigned(4026532302, SA, 4026532200), EventKind::NodeDelete),
    ];
    let (checks, summary) = judge::judge(&plan, &clean_guest(), &f, &tally_for(2), &events);
    assert!(names_of_failures(&checks).is_empty(), "{checks:#?}");
    // A crossover left open once the namespaces are gone fails the run.
    let unclosed = events.pop().unwrap();
    let (checks, _) = judge::judge(&plan, &clean_guest(), &f, &tally_for(2), &events);
    assert_eq!(names_of_failures(&checks), vec!["every_crossover_closed"]);
    events.push(unclosed);
    assert_eq!(summary.cycles_run, 2);
    assert_eq!(summary.totals.messages_sent, 40);

    // A splat fails the run whatever else went well.
    let mut g = clean_guest();
    g.splats.push(("lockdep".into(), 812));
    let (checks, _) = judge::judge(&plan, &g, &f, &tally_for(2), &events);
    assert_eq!(names_of_failures(&checks), vec!["console_clean"]);

    // KCSAN reports outside net/tipc are recorded, and fail nothing.
    let mut g = clean_guest();
    g.races_elsewhere = 3;
    let (checks, summary) = judge::judge(&plan, &g, &f, &tally_for(2), &events);
    assert!(names_of_failures(&checks).is_empty(), "{checks:#?}");
    assert_eq!(summary.races_elsewhere, 3);
    assert_eq!(summary.splats, 0);

    // A phase its watchdog killed.
    let killed =
        facts::parse(&facts_text(2).replace("phase forged 0 12.5", "phase forged 137 300"))
            .unwrap();
    let (checks, _) = judge::judge(&plan, &clean_guest(), &killed, &tally_for(2), &events);
    let bad = checks.iter().find(|c| c.name == "phase_forged").unwrap();
    assert!(!bad.ok && bad.detail.contains("watchdog"), "{bad:?}");

    // One exchange missing: a cycle that left fewer results than it should.
    let mut t = tally_for(2);
    t.exchanges.pop();
    let (checks, _) = judge::judge(&plan, &clean_guest(), &f, &t, &events);
    assert_eq!(names_of_failures(&checks), vec!["messages_intact"]);

    // A wrong crossover, and a cycle without its crossover.
    let mut ev = events.clone();
    ev.retain(|e| e.netns != 4026532302);
    ev.push(assigned(4026532200, 0x1234, 4026532100));
    ev.push(closed(
        assigned(4026532200, 0x1234, 4026532100),
        EventKind::PeerExit,
    ));
    let (checks, summary) = judge::judge(&plan, &clean_guest(), &f, &tally_for(2), &ev);
    assert_eq!(
        names_of_failures(&checks),
        vec!["no_wrong_crossover", "crossover_every_cycle"]
    );
    assert_eq!(summary.crossovers.wrong, 1);

    // The guest hung: QEMU's timeout.
    let hung = GuestEnd {
        end_status: None,
        timed_out: true,
        splats: vec![],
        races_elsewhere: 0,
    };
    let (checks, _) = judge::judge(
        &plan,
        &hung,
        &Facts::default(),
        &tally::Tally::default(),
        &[],
    );
    let failed = names_of_failures(&checks);
    assert!(failed.contains(&"guest_completed".to_string()));
    assert!(failed.contains(&"phase_netns_cycle".to_string()));
    assert!(failed.contains(&"cycles_run".to_string()));
}

#[test]
fn the_plans_fit_their_budgets() {
    let short = Plan::short();
    assert!(short.vm_timeout().as_secs() < 3600);
    let long = Plan::long(500);
    let long_script = long.script();
    assert!(
        long_script.contains("\tfact count netns_cycle cycles 500\n")
            && !long_script.contains("cycles 501\n"),
        "--cycles reaches the guest"
    );
    assert!(
        long_script.contains(&format!("\nrun_phase netns_cycle {}\n", 60 + 15 * 500)),
        "the cycle phase's watchdog grows with the cycles"
    );
    let watchdogs: u64 = PHASES.iter().map(|p| long.watchdog(p).as_secs()).sum();
    assert!(
        long.vm_timeout().as_secs() > watchdogs,
        "QEMU outlasts every guest watchdog, so a hang is named by its phase"
    );
    assert!(long.forge_frames * 4 >= 1000, "thousands of forged frames");
    let script = short.script();
    assert!(script.contains("\tfact count netns_cycle cycles 6\n"));
    assert!(script.contains("\nrun_phase netns_cycle "));
    assert!(script.contains("\nstress_begin\n") && script.ends_with("\nstress_end\n"));
    assert!(
        script.starts_with("# shellcheck disable=SC2034\n# Shell helpers"),
        "lib.sh comes first"
    );
    assert_eq!(Plan::expected_exchanges(500, 20, 7, 3), 1000 + 80 + 14 + 6);
    assert!(
        script.contains("progress \"faults_busy sweep 1/1\"") && !script.contains("sweep 2/"),
        "one sweep per fault phase in the short form"
    );
    assert_eq!(
        PHASES.first(),
        Some(&"faults_idle"),
        "before any TIPC namespace"
    );
}

#[test]
fn a_failed_set_up_the_kernel_killed_or_a_sweep_cut_short_fails_the_run() {
    let plan = Plan {
        fault_rounds: 1,
        ..Plan::short()
    };
    let judge_with = |sweeps: Vec<tally::FaultSweep>| {
        let t = tally::Tally {
            fault_sweeps: sweeps,
            ..Default::default()
        };
        let f = facts::parse(&facts_text(0)).unwrap();
        let (checks, _) = judge::judge(&plan, &clean_guest(), &f, &t, &[]);
        checks
            .into_iter()
            .find(|c| c.name == "failed_setups")
            .expect("the check exists")
    };
    let c = judge_with(vec![sweep("faults_idle-1", 0), sweep("faults_busy-1", 0)]);
    assert!(c.ok, "{c:?}");
    assert!(c.detail.contains("840 namespaces tried"), "{}", c.detail);

    // v1: the kernel oopsed in pre_exit and killed the task.
    let c = judge_with(vec![sweep("faults_idle-1", 206), sweep("faults_busy-1", 0)]);
    assert!(!c.ok);
    assert!(c.detail.contains("206 set-up(s) killed"), "{}", c.detail);

    // A sweep that never reached the end of the set-up proves nothing.
    let mut short = sweep("faults_busy-1", 0);
    short.sweep.exhausted_at = None;
    short.sweep.first_error = Some("5000 steps and the set-up still allocates".into());
    let c = judge_with(vec![sweep("faults_idle-1", 0), short]);
    assert!(!c.ok);
    assert!(c.detail.contains("faults_busy-1"), "{}", c.detail);

    // Nothing injected: fault injection was not working, the check could not fail.
    let mut idle = sweep("faults_idle-1", 0);
    idle.sweep.injected = 0;
    idle.sweep.refused = 0;
    idle.sweep.survived = 0;
    assert!(!judge_with(vec![idle, sweep("faults_busy-1", 0)]).ok);

    // A phase that left no sweep.
    let c = judge_with(vec![sweep("faults_idle-1", 0)]);
    assert!(!c.ok);
    assert!(c.detail.contains("1 of 2 sweeps"), "{}", c.detail);

    // --fault-rounds 0 leaves the sweeps out: no check rather than one
    // that passes on nothing.
    let none = Plan {
        fault_rounds: 0,
        ..Plan::short()
    };
    let f = facts::parse(&facts_text(0)).unwrap();
    let (checks, _) = judge::judge(&none, &clean_guest(), &f, &Default::default(), &[]);
    assert!(!checks.iter().any(|c| c.name == "failed_setups"));
    let script = none.script();
    assert!(script.contains("\tfault_setup ||") && !script.contains("\ttipc-agent netns-faults"));
}

#[test]
fn a_trace_in_another_format_fails_one_check_not_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crossover-trace.txt");
    // v1's tracepoint line: inode numbers, no cookies.
    std::fs::write(
        &path,
        "tipc-agent-1 [000] ..... 1.0: tipc_crossover_peer: netns=4026532131 peer=1001002 peer_netns=4026532174 assigned\n",
    )
    .unwrap();
    let (events, check) = tipc_verifier::stress::read_trace(&path);
    assert!(events.is_empty());
    let check = check.expect("a failing check");
    assert!(!check.ok);
    assert_eq!(check.name, "crossover_trace_readable");
    assert!(check.detail.contains("netns_cookie="), "{}", check.detail);
    // No trace at all (the guest died first): nothing to fail here.
    let (events, check) = tipc_verifier::stress::read_trace(&dir.path().join("none"));
    assert!(events.is_empty() && check.is_none());
}
