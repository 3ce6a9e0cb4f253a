//! The differential table (one per base): for every traffic case run on both kernels
//! whose path the captures can tell, the path its data was seen taking on the stock kernel (the upstream C
//! crossover) and on the patched kernel. They must be the same, except
//! where the case names a path the series changes on purpose, with the
//! reason. Where the patched-c kernel (the series with its Rust option
//! off) ran the case too, its path must be the patched kernel's: the
//! series' C and Rust crossovers deliver every class the same way.

use crate::base::Base;
use crate::kbuild::Flavour;
use crate::run::ScenarioRun;
use crate::scenario::{self, CasePath, MsgPath};
use serde::Serialize;

/// One message class of one scenario on both kernels.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub case: String,
    pub stock: CasePath,
    pub patched: CasePath,
    /// The series' C crossover, where the patched-c kernel ran the case.
    pub patched_c: Option<CasePath>,
    /// The path the series takes this class on, where it changed it.
    pub changed_to: Option<MsgPath>,
    /// Why it changed (empty when it did not).
    pub reason: String,
    pub ok: bool,
}

impl Row {
    /// The KTAP name of the row.
    pub fn name(&self) -> String {
        format!("{}_{}", self.scenario, self.case)
    }

    /// One line for humans.
    pub fn detail(&self) -> String {
        let same = if self.stock == self.patched {
            "same path"
        } else {
            "paths differ"
        };
        let path = |p: CasePath| serde_json::to_string(&p).unwrap_or_default();
        let mut s = format!(
            "stock {}, patched {}: {same}",
            path(self.stock).trim_matches('"'),
            path(self.patched).trim_matches('"')
        );
        if let Some(c) = self.patched_c {
            let agree = if c == self.patched {
                "as patched"
            } else {
                "NOT as patched"
            };
            s.push_str(&format!(
                "; patched-c {}: {agree}",
                path(c).trim_matches('"')
            ));
        }
        if !self.reason.is_empty() {
            s.push_str(&format!(" (changed on purpose: {})", self.reason));
        }
        s
    }
}

/// The rows for every scenario that ran on both kernels of `base`.
pub fn table(base: Base, runs: &[ScenarioRun]) -> Vec<Row> {
    let mut rows = Vec::new();
    for scn in scenario::catalogue() {
        let run_on = |k: Flavour| {
            runs.iter()
                .find(|r| r.base == base && r.scenario == scn.name && r.kernel == k.name())
        };
        let (Some(stock), Some(patched)) = (run_on(Flavour::Stock), run_on(Flavour::Patched))
        else {
            continue;
        };
        for case in scn.cases.iter().filter(|c| scn.path_observable(c)) {
            let seen =
                |run: &ScenarioRun| run.paths.get(case.id).copied().unwrap_or(CasePath::Unseen);
            let (s, p) = (seen(stock), seen(patched));
            let c = run_on(Flavour::PatchedC).map(seen);
            let ok = s.is(case.expect_on(Flavour::Stock).0)
                && p.is(case.expect_on(Flavour::Patched).0)
                && c.is_none_or(|c| c == p);
            rows.push(Row {
                scenario: scn.name.to_string(),
                case: case.id.to_string(),
                stock: s,
                patched: p,
                patched_c: c,
                changed_to: case.patched.map(|c| c.path),
                reason: case.patched.map(|c| c.why.to_string()).unwrap_or_default(),
                ok,
            });
        }
    }
    rows
}
