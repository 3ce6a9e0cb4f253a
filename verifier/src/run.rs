//! One finished scenario run and the base it ran on: what `check` collects,
//! the differential compares and the report prints.

use crate::base::Base;
use crate::kernel_source::Source;
use crate::qemu::VmOutcome;
use crate::scenario::{CaptureCounts, CasePath, Check};
use serde::Serialize;
use std::collections::BTreeMap;
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
                    ok: vm.failing_splats().next().is_none(),
                    detail: match (vm.failing_splats().next(), vm.races_elsewhere()) {
                        (Some(s), _) => format!("{} at console line {}", s.kind, s.line_number),
                        (None, 0) => "no splat".into(),
                        (None, n) => {
                            format!("no splat in TIPC; {n} KCSAN report(s) outside net/tipc")
                        }
                    },
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
