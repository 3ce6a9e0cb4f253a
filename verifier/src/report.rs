//! Results of a check run: KTAP for kernel CI on stdout, JSON for tools.

use crate::differential::Row;
use crate::qemu::VmOutcome;
use crate::scenario::{CaptureCounts, CasePath, Check};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// One scenario on one kernel.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRun {
    /// `<kernel>.<scenario>`, the KTAP test name.
    pub name: String,
    pub kernel: String,
    pub scenario: String,
    pub ok: bool,
    pub checks: Vec<Check>,
    pub captures: BTreeMap<String, CaptureCounts>,
    /// Where each case's data was seen, by case id.
    pub paths: BTreeMap<String, CasePath>,
    pub vms: Vec<VmOutcome>,
    pub share: PathBuf,
}

impl ScenarioRun {
    pub fn new(
        kernel: &str,
        scenario: &str,
        share: PathBuf,
        vms: Vec<VmOutcome>,
        mut checks: Vec<Check>,
        captures: BTreeMap<String, CaptureCounts>,
        paths: BTreeMap<String, CasePath>,
    ) -> Self {
        for vm in &vms {
            checks.insert(
                0,
                Check {
                    name: format!("{}_console_clean", vm.name.replace('-', "_")),
                    ok: vm.splats.is_empty(),
                    detail: vm
                        .splats
                        .first()
                        .map(|s| format!("{} at console line {}", s.kind, s.line_number))
                        .unwrap_or_else(|| "no splat".into()),
                },
            );
            checks.insert(
                0,
                Check {
                    name: format!("{}_completed", vm.name.replace('-', "_")),
                    ok: vm.end_status == Some(0) && !vm.timed_out,
                    detail: vm.problem().unwrap_or_else(|| {
                        format!(
                            "booted to /init in {:.1}s, run took {:.1}s ({})",
                            vm.boot_seconds.unwrap_or(f64::NAN),
                            vm.wall_seconds,
                            vm.accel
                        )
                    }),
                },
            );
        }
        let ok = checks.iter().all(|c| c.ok);
        Self {
            name: format!("{kernel}.{scenario}"),
            kernel: kernel.into(),
            scenario: scenario.into(),
            ok,
            checks,
            captures,
            paths,
            vms,
            share,
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub started: String,
    pub accelerator_note: &'static str,
    pub kernels: Vec<crate::kbuild::BuiltKernel>,
    pub runs: Vec<ScenarioRun>,
    /// Message class -> path on the stock and on the patched kernel.
    pub differential: Vec<Row>,
    pub ok: bool,
}

pub const TCG_NOTE: &str =
    "guests run under QEMU TCG (software emulation); timings are emulation-bound";

/// KTAP: one top-level test per scenario run, one subtest per check, then
/// (when both kernels ran) the differential table as one test, a subtest
/// per message class.
pub fn ktap(runs: &[ScenarioRun], differential: &[Row]) -> String {
    let mut s = String::from("KTAP version 1\n");
    let with_diff = !differential.is_empty();
    let _ = writeln!(s, "1..{}", runs.len() + usize::from(with_diff));
    for (i, run) in runs.iter().enumerate() {
        let _ = writeln!(
            s,
            "    KTAP version 1\n    # Subtest: {}\n    1..{}",
            run.name,
            run.checks.len()
        );
        for (j, c) in run.checks.iter().enumerate() {
            let _ = writeln!(
                s,
                "    {} {} {}{}",
                if c.ok { "ok" } else { "not ok" },
                j + 1,
                c.name,
                ktap_reason(c)
            );
        }
        let _ = writeln!(
            s,
            "{} {} {}",
            if run.ok { "ok" } else { "not ok" },
            i + 1,
            run.name
        );
    }
    let mut passed = runs.iter().filter(|r| r.ok).count();
    let mut total = runs.len();
    if with_diff {
        let _ = writeln!(
            s,
            "    KTAP version 1\n    # Subtest: differential\n    1..{}",
            differential.len()
        );
        for (j, row) in differential.iter().enumerate() {
            let _ = writeln!(
                s,
                "    {} {} {} # {}",
                if row.ok { "ok" } else { "not ok" },
                j + 1,
                row.name(),
                row.detail().replace('#', "no.")
            );
        }
        let ok = differential.iter().all(|r| r.ok);
        let _ = writeln!(
            s,
            "{} {} differential",
            if ok { "ok" } else { "not ok" },
            runs.len() + 1
        );
        passed += usize::from(ok);
        total += 1;
    }
    let _ = writeln!(s, "# {} passed, {} failed", passed, total - passed);
    s
}

fn ktap_reason(c: &Check) -> String {
    let first = c.detail.lines().next().unwrap_or("");
    if first.is_empty() {
        String::new()
    } else {
        format!(" # {}", first.replace('#', "no."))
    }
}
