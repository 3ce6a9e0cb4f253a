//! How much a stress run does, the watchdogs that bound each phase, and
//! the guest script: `vm/guest/lib.sh` + `vm/guest/stress.sh`'s helpers +
//! the phases' typed steps (`phases.rs`).

use super::phases;
use crate::scenario::step::render_all;
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Duration;

const GUEST_LIB: &str = include_str!("../../../vm/guest/lib.sh");
const GUEST_STRESS: &str = include_str!("../../../vm/guest/stress.sh");

/// The phases, in the order the guest runs them.
pub const PHASES: [&str; 7] = [
    "faults_idle",
    "netns_cycle",
    "bearer_churn",
    "conn_storm",
    "empty_names",
    "forged",
    "faults_busy",
];

/// The work of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Namespaces created, linked, exchanged with and deleted under a flood.
    pub cycles: u32,
    /// Bearer disable/enable and carrier-loss link resets.
    pub churn: u32,
    /// Connections per kind (SEQPACKET one way, STREAM the other).
    pub storm_conns: u32,
    /// A namespace with no names published brought up (and its link reset).
    pub empty_rounds: u32,
    /// Forged frames per class (four classes).
    pub forge_frames: u32,
    /// Forged first contacts, each claiming a node of its own.
    pub forge_distinct: u32,
    /// Messages per class and direction in each verified exchange.
    pub msgs: u32,
    /// Sweeps of failed namespace set-ups (every allocation of
    /// `setup_net()` failed once each) per fault phase: `faults_idle` before
    /// any TIPC namespace exists, `faults_busy` under TIPC traffic.
    pub fault_rounds: u32,
}

impl Plan {
    /// The long form (`make stress`): at least 500 namespace cycles.
    pub fn long(cycles: u32) -> Self {
        Plan {
            cycles,
            churn: 20,
            storm_conns: 500,
            empty_rounds: 20,
            forge_frames: 2500,
            forge_distinct: 500,
            msgs: 10,
            fault_rounds: 3,
        }
    }

    /// The short form `make test` runs: every phase, a few rounds each.
    pub fn short() -> Self {
        Plan {
            cycles: 6,
            churn: 2,
            storm_conns: 50,
            empty_rounds: 2,
            forge_frames: 250,
            forge_distinct: 50,
            msgs: 10,
            fault_rounds: 1,
        }
    }

    /// Guest-side watchdog of a phase: generous per unit of work, so it
    /// only fires on a hang.
    pub fn watchdog(&self, phase: &str) -> Duration {
        let secs = match phase {
            "netns_cycle" => 60 + 15 * u64::from(self.cycles),
            "bearer_churn" => 60 + 40 * u64::from(self.churn),
            "conn_storm" => 60 + u64::from(self.storm_conns),
            "empty_names" => 60 + 40 * u64::from(self.empty_rounds),
            "forged" => 120 + u64::from(self.forge_frames * 4 + self.forge_distinct) / 20,
            "faults_idle" | "faults_busy" => 120 + 600 * u64::from(self.fault_rounds),
            _ => 60,
        };
        Duration::from_secs(secs)
    }

    /// The QEMU timeout: every watchdog plus boot and set-up.
    pub fn vm_timeout(&self) -> Duration {
        PHASES.iter().map(|p| self.watchdog(p)).sum::<Duration>() + Duration::from_secs(180)
    }

    /// The guest script (`run.sh` on the share): the helpers, then each
    /// phase as a function of its typed steps, then the driver.
    pub fn script(&self) -> String {
        // lib.sh's failure flag `rc` is set by its helpers but not read
        // here: phases report through their facts and exit statuses.
        let mut s = String::from("# shellcheck disable=SC2034\n");
        s.push_str(GUEST_LIB);
        s.push('\n');
        s.push_str(GUEST_STRESS);
        s.push_str("\n# ---- the phases of this run (tipc-verifier stress) ----\n");
        let _ = writeln!(
            s,
            "# Messages per class and direction of each exchange (xchg).\nMSGS={}\n",
            self.msgs
        );
        for phase in PHASES {
            let _ = writeln!(
                s,
                "phase_{phase}() {{\n{}\n\treturn 0\n}}\n",
                indent(&render_all(&phases::steps(self, phase)))
            );
        }
        let _ = writeln!(
            s,
            "if [ -n \"${{STRESS_PHASE:-}}\" ]; then\n\t\"phase_$STRESS_PHASE\"\n\texit $?\nfi\n{}",
            render_all(&phases::driver(self))
        );
        s
    }

    /// Verified exchanges (send/recv pairs) the run must leave, given the
    /// rounds the guest reports it ran: one class both ways per cycle, two
    /// per churn round, RDM both ways per exchange of the forged phase and
    /// of the busy fault phase.
    pub fn expected_exchanges(
        cycles: u64,
        churn: u64,
        forged_rounds: u64,
        busy_rounds: u64,
    ) -> u64 {
        2 * cycles + 4 * churn + 2 * forged_rounds + 2 * busy_rounds
    }
}

/// Every line one tab in, inside a shell function.
fn indent(lines: &str) -> String {
    lines
        .lines()
        .map(|l| format!("\t{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
