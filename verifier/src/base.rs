//! The kernel bases the series is built on: which Debian source package,
//! which extra archive suite, which series directory, which overlay and
//! which config fragment. The base is an input (`--base`), and its exact
//! version is resolved at run time (`kernel_source`), never pinned here.

use crate::kbuild::Flavour;
use crate::scenario::{self, Scenario};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A kernel base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
pub enum Base {
    /// Linux 7.3 (Debian `linux-source-7.3` from trixie-backports): the
    /// net-next series in `patches/`, every scenario.
    #[value(name = "7.3")]
    #[serde(rename = "7.3")]
    V7_3,
    /// Linux 6.12 (Debian 12's `linux-source-6.12`): the backport in
    /// `patches-6.12/`; veth_classes, crossover_toggle, forged_discovery,
    /// netns_recreate, kselftest.
    #[value(name = "6.12")]
    #[serde(rename = "6.12")]
    V6_12,
}

/// The scenarios the 6.12 backport runs (on stock and patched, plus the
/// differential): the message classes, the switch at run time (patched
/// kernels), the forged discovery frames, a namespace coming back with the
/// same identity and the selftest. Keep `--help` and the README in step (a
/// test checks `--help`).
pub const BACKPORT_SCENARIOS: [fn() -> Scenario; 6] = [
    scenario::veth_classes,
    scenario::crossover_toggle,
    scenario::forged_discovery,
    scenario::netns_recreate,
    scenario::kselftest,
    scenario::module_cycle,
];

impl Base {
    /// Every base, primary first: the order `check` runs them in.
    pub const ALL: [Base; 2] = [Base::V7_3, Base::V6_12];
    /// The base of the net-next series, the default of single-base commands.
    pub const PRIMARY: Base = Base::V7_3;

    /// `7.3`, `6.12`: the CLI spelling and the KTAP prefix.
    pub fn name(self) -> &'static str {
        match self {
            Base::V7_3 => "7.3",
            Base::V6_12 => "6.12",
        }
    }

    /// The Debian source package holding the tarball.
    pub fn package(self) -> &'static str {
        match self {
            Base::V7_3 => "linux-source-7.3",
            Base::V6_12 => "linux-source-6.12",
        }
    }

    /// Archive suites the package needs beyond the host's own entries;
    /// each is added on the host's main Debian mirror.
    pub fn extra_suites(self) -> &'static [&'static str] {
        match self {
            Base::V7_3 => &["trixie-backports"],
            Base::V6_12 => &[],
        }
    }

    /// The series directory, relative to the project.
    pub fn series_dir_name(self) -> &'static str {
        match self {
            Base::V7_3 => "patches",
            Base::V6_12 => "patches-6.12",
        }
    }

    pub fn series_dir(self, project: &Path) -> PathBuf {
        project.join(self.series_dir_name())
    }

    /// Directory (relative to the project) whose files replace those of
    /// `kernel-rust/` at the same relative path, for this base only.
    pub fn backport_dir_name(self) -> Option<&'static str> {
        match self {
            Base::V7_3 => None,
            Base::V6_12 => Some("kernel-rust/backport-6.12"),
        }
    }

    /// Files of `kernel-rust/net/` this base's series does not add: 6.12
    /// has no `#[kunit_tests]`, so its backport has no KUnit tests (kept
    /// in step with `kernel-rust/tests/support/series.rs`).
    pub fn overlay_excludes(self) -> &'static [&'static str] {
        match self {
            Base::V7_3 => &[],
            Base::V6_12 => &["net/tipc/crossover_kunit.rs"],
        }
    }

    /// The fragment merged right after `vm/kconfig/base.config`.
    pub fn fragment(self, project: &Path) -> PathBuf {
        project
            .join("vm/kconfig")
            .join(format!("base-{}.config", self.name()))
    }

    /// The tarball's file name, e.g. `linux-source-7.3.tar.xz`.
    pub fn tarball_name(self) -> String {
        format!("{}.tar.xz", self.package())
    }

    /// The tarball's path inside the `.deb`.
    pub fn tarball_member(self) -> String {
        format!("usr/src/{}", self.tarball_name())
    }

    /// The one top directory of the tarball.
    pub fn top_dir(self) -> &'static str {
        self.package()
    }

    /// The target tree names a subject prefix of this base's series may
    /// carry (`[PATCH net-next ...]`; the backport may name its stable
    /// branch, `[PATCH 6.12.y ...]`). The review's subject rule.
    pub fn review_trees(self) -> &'static [&'static str] {
        match self {
            Base::V7_3 => &["net", "net-next"],
            Base::V6_12 => &["net", "net-next", "6.12", "6.12.y"],
        }
    }

    /// The kernels this base builds: every flavour but kcsan, which is
    /// built on the primary base only. The 6.12 debug kernel (KASAN,
    /// lockdep, fault injection, no KUnit) is for `stress` of the backport
    /// or of an earlier series (`--series`); `check` runs it only when
    /// asked to (`--kernel debug`), since no backport scenario is made for
    /// it.
    pub fn builds(self, flavour: Flavour) -> bool {
        flavour != Flavour::Kcsan || self == Base::PRIMARY
    }

    /// Names of the scenarios `check` runs on this base.
    pub fn scenario_names(self) -> Vec<&'static str> {
        match self {
            Base::V7_3 => scenario::catalogue().iter().map(|s| s.name).collect(),
            Base::V6_12 => BACKPORT_SCENARIOS.iter().map(|f| f().name).collect(),
        }
    }

    /// The scenarios `check` runs on this base, in catalogue order.
    pub fn scenarios(self) -> Vec<Scenario> {
        let names = self.scenario_names();
        scenario::catalogue()
            .into_iter()
            .filter(|s| names.contains(&s.name))
            .collect()
    }
}

impl std::fmt::Display for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One kernel base, and which version of its Debian source package.
#[derive(clap::Args, Clone)]
pub struct BaseArgs {
    /// Kernel base: 7.3 (the net-next series in patches/) or 6.12 (the
    /// backport in patches-6.12/).
    #[arg(long, value_enum, default_value = "7.3")]
    pub base: Base,
    /// Version of the base's source package: exact (6.12.117-1~deb12u1)
    /// or a prefix (6.12.117 for 6.12.117-*). Default: the newest the
    /// Debian archive serves. A pinned version already in the cache is used
    /// without network.
    #[arg(long, value_name = "V")]
    pub base_version: Option<String>,
}

impl BaseArgs {
    pub fn policy(&self) -> crate::kernel_source::VersionPolicy {
        crate::kernel_source::VersionPolicy::from_arg(self.base_version.as_deref())
    }

    pub fn context(
        &self,
        project: PathBuf,
        cache: PathBuf,
        jobs: usize,
    ) -> crate::kbuild::BuildContext {
        crate::kbuild::BuildContext::new(project, cache, jobs, self.base, self.policy())
    }
}
