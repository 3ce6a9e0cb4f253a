//! Results of a check run: KTAP for kernel CI on stdout, JSON for tools.

use crate::base::Base;
use crate::differential::Row;
use crate::kernel_source::Source;
use crate::qemu::VmOutcome;
use crate::scenario::{CaptureCounts, CasePath, Check};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// A base at its exact version: what every run and the KTAP header name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseId {
    pub base: Base,
    pub package: String,
    /// The exact Debian version of the package.
    pub version: String,
}

impl From<&Source> for BaseId {
    fn from(s: &Source) -> Self {
        Self {
            base: s.base,
            package: s.package.clone(),
            version: s.version.clone(),
        }
    }
}

/// One scenario on one kernel of one base.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRun {
    /// `<base>.<kernel>.<scenario>`, the KTAP test name.
    pub name: String,
    pub base: Base,
    pub package: String,
    /// The exact Debian version of the base package.
    pub base_version: String,
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
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        base: &BaseId,
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
            name: format!("{}.{kernel}.{scenario}", base.base),
            base: base.base,
            package: base.package.clone(),
            base_version: base.version.clone(),
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

/// What one base contributed: its kernels and its differential table.
#[derive(Debug, Clone, Serialize)]
pub struct BaseReport {
    #[serde(flatten)]
    pub id: BaseId,
    pub kernels: Vec<crate::kbuild::BuiltKernel>,
    /// Message class -> path on the stock and on the patched kernel.
    pub differential: Vec<Row>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub started: String,
    pub accelerator_note: &'static str,
    pub bases: Vec<BaseReport>,
    /// Every run, each naming its base, package and exact version.
    pub runs: Vec<ScenarioRun>,
    pub ok: bool,
}

pub const TCG_NOTE: &str = "guests run under QEMU TCG (software emulation), 2 vCPUs on \
multi-threaded TCG (timed -icount guests: 1 vCPU, single-threaded); timings are emulation-bound";

/// KTAP: a header comment per base (package and exact version), then per
/// base one top-level test per scenario run (`7.3.patched.veth_rdm`), one
/// subtest per check, and (when both kernels ran) the base's differential
/// table as one test (`7.3.differential`), a subtest per message class.
pub fn ktap(bases: &[BaseReport], runs: &[ScenarioRun]) -> String {
    let mut s = String::from("KTAP version 1\n");
    for b in bases {
        let _ = writeln!(s, "# base {}: {} {}", b.id.base, b.id.package, b.id.version);
    }
    let mut tests: Vec<(bool, String, String)> = Vec::new();
    for b in bases {
        for run in runs.iter().filter(|r| r.base == b.id.base) {
            let mut body = format!(
                "    KTAP version 1\n    # Subtest: {}\n    1..{}\n",
                run.name,
                run.checks.len()
            );
            for (j, c) in run.checks.iter().enumerate() {
                let _ = writeln!(
                    body,
                    "    {} {} {}{}",
                    if c.ok { "ok" } else { "not ok" },
                    j + 1,
                    c.name,
                    ktap_reason(c)
                );
            }
            tests.push((run.ok, run.name.clone(), body));
        }
        if !b.differential.is_empty() {
            let name = format!("{}.differential", b.id.base);
            let mut body = format!(
                "    KTAP version 1\n    # Subtest: {name}\n    1..{}\n",
                b.differential.len()
            );
            for (j, row) in b.differential.iter().enumerate() {
                let _ = writeln!(
                    body,
                    "    {} {} {} # {}",
                    if row.ok { "ok" } else { "not ok" },
                    j + 1,
                    row.name(),
                    row.detail().replace('#', "no.")
                );
            }
            tests.push((b.differential.iter().all(|r| r.ok), name, body));
        }
    }
    let _ = writeln!(s, "1..{}", tests.len());
    for (i, (ok, name, body)) in tests.iter().enumerate() {
        s.push_str(body);
        let _ = writeln!(s, "{} {} {name}", if *ok { "ok" } else { "not ok" }, i + 1);
    }
    let passed = tests.iter().filter(|t| t.0).count();
    let _ = writeln!(s, "# {} passed, {} failed", passed, tests.len() - passed);
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
