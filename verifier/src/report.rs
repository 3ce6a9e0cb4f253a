//! Results of a check run: KTAP for kernel CI on stdout, JSON for tools.

use crate::differential::Row;
use crate::ktap::{self, Subtest, Test};
use serde::Serialize;

pub use crate::run::{BaseId, ScenarioRun};

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
    let mut doc = ktap::Document::default();
    for b in bases {
        doc.comments.push(format!(
            "base {}: {} {}",
            b.id.base, b.id.package, b.id.version
        ));
    }
    for b in bases {
        for run in runs.iter().filter(|r| r.base == b.id.base) {
            doc.tests.push(Test {
                name: run.name.clone(),
                ok: run.ok,
                subtests: run
                    .checks
                    .iter()
                    .map(|c| Subtest::new(&c.name, c.ok, &c.detail))
                    .collect(),
            });
        }
        if !b.differential.is_empty() {
            doc.tests.push(Test {
                name: format!("{}.differential", b.id.base),
                ok: b.differential.iter().all(|r| r.ok),
                subtests: b
                    .differential
                    .iter()
                    .map(|row| Subtest::new(&row.name(), row.ok, &row.detail()))
                    .collect(),
            });
        }
    }
    doc.summary = true;
    doc.render()
}
