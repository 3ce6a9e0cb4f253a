//! The verdict of a stress run: no splat, no hang, every message the
//! application was told was sent received intact, and no crossover opened
//! to a namespace that did not prove itself. Plus the counts to print.

use super::facts::Facts;
use super::plan::{Plan, PHASES};
use super::tally::{Tally, Totals};
use crate::scenario::crossover_events::{pair, CrossoverEvent, EventKind, Pairing};
use crate::scenario::Check;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The namespace the forged frames impersonate; never a legitimate peer.
pub const VICTIM: &str = "victim";

/// How the guest ended, as far as the judgement needs it.
#[derive(Debug, Clone, Default)]
pub struct GuestEnd {
    /// The script's exit status (None: no end marker).
    pub end_status: Option<i32>,
    pub timed_out: bool,
    /// Splat kinds with their console line, in order: those that fail
    /// the run.
    pub splats: Vec<(String, usize)>,
    /// KCSAN data-race reports that name no TIPC function (kcsan kernel).
    pub races_elsewhere: u64,
}

/// What a crossover assignment was judged to be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CrossoverCounts {
    /// `open` records between two stress namespaces.
    pub opened: u64,
    /// `open` records naming any other namespace (the victim, the root
    /// namespace, one never created) or a peer address that is not the
    /// peer namespace's: must be 0.
    pub wrong: u64,
    /// Closing records (lost contact, peer exit, node delete, ...).
    pub closed: u64,
    /// Cycles whose new namespace got its crossover to sa and back, counted
    /// by the records naming sb's address (seen from sa) and sa's address
    /// (seen from an sb).
    pub cycle_assignments_to_sb: u64,
    pub cycle_assignments_from_sb: u64,
    /// The first few wrong records, for the report.
    pub wrong_examples: Vec<String>,
    /// How opens and closes paired up once the namespaces were deleted.
    pub pairing: Pairing,
}

/// Judges the `tipc_crossover_peer` records against the namespaces the run
/// made, named by their cookies (never reused while the kernel runs).
pub fn judge_crossovers(facts: &Facts, events: &[CrossoverEvent]) -> CrossoverCounts {
    let by_cookie: BTreeMap<u64, &super::facts::Namespace> =
        facts.namespaces.iter().map(|ns| (ns.cookie, ns)).collect();
    let legit = |cookie: u64| by_cookie.get(&cookie).is_some_and(|n| n.name != VICTIM);
    let addr_of = |name: &str| {
        facts
            .namespaces
            .iter()
            .find(|n| n.name == name)
            .and_then(|n| n.addr)
    };
    let sa = addr_of("sa");
    let sb = addr_of("sb");
    let sb_cookies: BTreeSet<u64> = facts
        .namespaces
        .iter()
        .filter(|n| n.name == "sb")
        .map(|n| n.cookie)
        .collect();
    let mut c = CrossoverCounts {
        pairing: pair(events),
        ..CrossoverCounts::default()
    };
    for e in events {
        if e.event != EventKind::Open {
            c.closed += 1;
            continue;
        }
        // The peer address must be the one the peer namespace had, unless
        // TIPC chose it.
        let addr_ok = by_cookie
            .get(&e.peer_netns)
            .is_some_and(|n| n.addr.is_none() || n.addr == Some(e.peer));
        if legit(e.netns) && legit(e.peer_netns) && addr_ok {
            c.opened += 1;
            if Some(e.peer) == sb && sb_cookies.contains(&e.peer_netns) {
                c.cycle_assignments_to_sb += 1;
            }
            if Some(e.peer) == sa && sb_cookies.contains(&e.netns) {
                c.cycle_assignments_from_sb += 1;
            }
        } else {
            c.wrong += 1;
            if c.wrong_examples.len() < 5 {
                c.wrong_examples.push(format!(
                    "netns_cookie={} addr={:x} peer_cookie={} event=open",
                    e.netns, e.peer, e.peer_netns
                ));
            }
        }
    }
    c
}

/// The counts a run prints and records.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub cycles_run: u64,
    pub churn_rounds: u64,
    pub empty_rounds: u64,
    pub splats: u64,
    /// KCSAN reports outside net/tipc: recorded, not failing.
    pub races_elsewhere: u64,
    pub totals: Totals,
    pub crossovers: CrossoverCounts,
    pub phase_seconds: BTreeMap<String, f64>,
    /// The sweeps of failed namespace set-ups, as the agent counted them.
    pub fault_sweeps: Vec<super::tally::FaultSweep>,
}

fn check(name: &str, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        name: name.to_string(),
        ok,
        detail: detail.into(),
    }
}

/// Every check of a run, and its counts.
pub fn judge(
    plan: &Plan,
    guest: &GuestEnd,
    facts: &Facts,
    tally: &Tally,
    events: &[CrossoverEvent],
) -> (Vec<Check>, Summary) {
    let totals = tally.totals();
    let crossovers = judge_crossovers(facts, events);
    let summary = Summary {
        cycles_run: facts.count("netns_cycle", "cycles"),
        churn_rounds: facts.count("bearer_churn", "rounds"),
        empty_rounds: facts.count("empty_names", "rounds"),
        splats: guest.splats.len() as u64,
        races_elsewhere: guest.races_elsewhere,
        totals: totals.clone(),
        crossovers: crossovers.clone(),
        phase_seconds: facts
            .phases
            .iter()
            .map(|(k, v)| (k.clone(), v.seconds))
            .collect(),
        fault_sweeps: tally.fault_sweeps.clone(),
    };
    let mut checks = Vec::new();
    checks.push(check(
        "console_clean",
        guest.splats.is_empty(),
        match guest.splats.first() {
            Some((kind, line)) => format!(
                "{} splat(s), the first {kind} at console line {line}",
                guest.splats.len()
            ),
            None => "no splat".into(),
        },
    ));
    checks.push(check(
        "guest_completed",
        guest.end_status.is_some() && !guest.timed_out,
        match (guest.timed_out, guest.end_status) {
            (true, _) => "QEMU timeout: the guest hung".to_string(),
            (false, None) => "no end marker: the guest died".to_string(),
            (false, Some(rc)) => format!("script ended with status {rc}"),
        },
    ));
    for p in PHASES {
        let (ok, detail) = match facts.phases.get(p) {
            None => (false, "never ended (the guest stopped first)".to_string()),
            Some(end) if end.rc == 137 => (
                false,
                format!(
                    "killed by its watchdog after {:.0} s (limit {} s)",
                    end.seconds,
                    plan.watchdog(p).as_secs()
                ),
            ),
            Some(end) => {
                let fails: Vec<&str> = facts
                    .failures
                    .iter()
                    .filter(|(ph, _)| ph == p)
                    .map(|(_, t)| t.as_str())
                    .collect();
                (
                    end.rc == 0 && fails.is_empty(),
                    match fails.first() {
                        Some(first) => format!(
                            "{} step(s) failed, the first: {first} (status {})",
                            fails.len(),
                            end.rc
                        ),
                        None => format!("status {} in {:.0} s", end.rc, end.seconds),
                    },
                )
            }
        };
        checks.push(check(&format!("phase_{p}"), ok, detail));
    }
    checks.push(check(
        "cycles_run",
        summary.cycles_run == u64::from(plan.cycles),
        format!("{} of {} namespace cycles", summary.cycles_run, plan.cycles),
    ));
    let forged_rounds = facts.count("forged", "exchanges");
    let busy_rounds = facts.count("faults_busy", "exchanges");
    let expected = Plan::expected_exchanges(
        summary.cycles_run,
        summary.churn_rounds,
        forged_rounds,
        busy_rounds,
    );
    let broken: Vec<&super::tally::Exchange> =
        tally.exchanges.iter().filter(|e| !e.intact).collect();
    checks.push(check(
        "messages_intact",
        broken.is_empty()
            && tally.orphans.is_empty()
            && totals.exchanges == expected
            && totals.messages_lost == 0,
        if let Some(e) = broken.first() {
            format!(
                "{} exchange(s) lost or corrupted messages, the first {}: {} sent, {} received{}",
                broken.len(),
                e.id,
                e.sent,
                e.received,
                e.error
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            )
        } else if let Some(o) = tally.orphans.first() {
            format!("receiver {o} has no sender result")
        } else if totals.exchanges != expected {
            format!(
                "{} exchanges left results, {expected} expected",
                totals.exchanges
            )
        } else {
            format!(
                "{} exchanges: {} messages sent, {} received intact",
                totals.exchanges, totals.messages_sent, totals.messages_received_intact
            )
        },
    ));
    checks.push(check(
        "floods_ended",
        totals.floods_hung == 0,
        format!(
            "{} floods into namespaces going away, {} messages sent meanwhile, {} blocked until their time limit",
            totals.floods, totals.flood_messages, totals.floods_hung
        ),
    ));
    let storm_expected = 2 * u64::from(plan.storm_conns);
    let storm_errors: Vec<String> = tally
        .storms
        .iter()
        .filter_map(|s| {
            s.first_error
                .as_ref()
                .map(|e| format!("{} {}: {e}", s.sock, s.role))
        })
        .collect();
    checks.push(check(
        "conn_storm",
        totals.storm_connections == storm_expected
            && totals.storm_connections_intact == storm_expected
            && storm_errors.is_empty(),
        match storm_errors.first() {
            Some(e) => e.clone(),
            None => format!(
                "{} of {storm_expected} connections echoed intact",
                totals.storm_connections_intact
            ),
        },
    ));
    let forged_expected = 4 * u64::from(plan.forge_frames) + u64::from(plan.forge_distinct);
    checks.push(check(
        "frames_forged",
        totals.frames_forged == forged_expected
            && tally.injections.iter().all(|i| i.first_error.is_none()),
        format!(
            "{} of {forged_expected} forged discovery frames sent ({} injections)",
            totals.frames_forged,
            tally.injections.len()
        ),
    ));
    checks.push(check(
        "no_wrong_crossover",
        crossovers.wrong == 0,
        match crossovers.wrong_examples.first() {
            Some(e) => format!("{} wrong assignment(s), the first: {e}", crossovers.wrong),
            None => format!(
                "{} crossovers opened, all between stress namespaces",
                crossovers.opened
            ),
        },
    ));
    let per_cycle = crossovers
        .cycle_assignments_to_sb
        .min(crossovers.cycle_assignments_from_sb);
    checks.push(check(
        "crossover_every_cycle",
        per_cycle >= summary.cycles_run,
        format!(
            "sa->sb opened {} times, sb->sa {} times, {} cycles",
            crossovers.cycle_assignments_to_sb,
            crossovers.cycle_assignments_from_sb,
            summary.cycles_run
        ),
    ));
    checks.push(check(
        "every_crossover_closed",
        crossovers.pairing.ok(),
        format!(
            "{}, after the namespaces were deleted",
            crossovers.pairing.summary()
        ),
    ));
    // Left out on request (--fault-rounds 0): no check that cannot fail.
    if plan.fault_rounds > 0 {
        checks.push(judge_fault_sweeps(plan, tally));
    }
    (checks, summary)
}

/// Failed namespace set-ups: every sweep reached its end (each allocation
/// of the set-up failed once), failures were really injected, and the
/// kernel killed no task on the way (the console check has the oops).
fn judge_fault_sweeps(plan: &Plan, tally: &Tally) -> Check {
    let sweeps = &tally.fault_sweeps;
    let want = 2 * plan.fault_rounds as usize;
    let sum = |f: fn(&super::tally::FaultSweep) -> u32| sweeps.iter().map(f).sum::<u32>();
    let (steps, injected, refused, survived, killed) = (
        sum(|s| s.sweep.steps),
        sum(|s| s.sweep.injected),
        sum(|s| s.sweep.refused),
        sum(|s| s.sweep.survived),
        sum(|s| s.sweep.killed),
    );
    let unfinished: Vec<&str> = sweeps
        .iter()
        .filter(|s| s.sweep.exhausted_at.is_none() || s.sweep.first_error.is_some())
        .map(|s| s.id.as_str())
        .collect();
    let ok = sweeps.len() == want
        && unfinished.is_empty()
        && killed == 0
        && sweeps.iter().all(|s| s.sweep.injected > 0);
    let detail = if sweeps.len() != want {
        format!("{} of {want} sweeps left a result", sweeps.len())
    } else if let Some(id) = unfinished.first() {
        let s = sweeps.iter().find(|s| s.id == *id);
        format!(
            "sweep {id} did not reach the end of the set-up: {}",
            s.and_then(|s| s.sweep.first_error.clone())
                .unwrap_or_else(|| "no error given".into())
        )
    } else {
        format!(
            "{} sweeps, {steps} namespaces tried: {injected} with a failure injected \
             ({refused} refused cleanly, {survived} came up anyway), {killed} set-up(s) \
             killed by the kernel",
            sweeps.len()
        )
    };
    check("failed_setups", ok, detail)
}
