//! The review tree: a worktree of the cached base repository on branch
//! `review`, configured like the guests' kernels and built in place with
//! `W=1`, so that each patch is an incremental build. The options the series
//! adds (`vm/kconfig/patched.config`) are switched on for the "on" build and
//! off for the "off" build of every patch.
//!
//! Warnings are compared, not counted: a warning is new when no build of
//! the base (the first full one, kept in the tree, and this run's) and no
//! earlier patch of the run printed the same file and message.

use super::rules::{self, Diagnostic};
use crate::base::Base;
use crate::cache::{self, KeyBuilder};
use crate::git;
use crate::kbuild::{self, BuildContext};
use crate::progress;
use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BRANCH: &str = "review";
const CONFIG_STAMP: &str = ".tipc-verifier-review-config";
const BASELINE: &str = ".tipc-verifier-review-warnings.json";
pub const CLIPPY_DRIVER: &str = "/usr/bin/clippy-driver";

pub struct ReviewTree {
    pub path: PathBuf,
    cache: PathBuf,
    jobs: usize,
    /// `CONFIG_X` names the series adds, switched on and off.
    pub options: Vec<String>,
    /// Warnings that are not the patch's doing.
    known: BTreeSet<(String, String)>,
    /// Whether the options are on in `.config` now (`None`: unknown).
    state: Option<bool>,
    /// The options Kconfig knew at the last switch.
    present: Vec<String>,
}

/// What one `make` run said.
pub struct BuildResult {
    pub ok: bool,
    pub seconds: f64,
    pub new_warnings: Vec<Diagnostic>,
    pub first_error: Option<String>,
    pub log: PathBuf,
}

/// The options the series adds: every `CONFIG_X=y` of `patched.config`.
pub fn series_options(project: &Path) -> Result<Vec<String>> {
    let path = project.join("vm/kconfig/patched.config");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.trim().strip_suffix("=y"))
        .filter_map(|l| l.strip_prefix("CONFIG_"))
        .map(str::to_string)
        .collect())
}

impl ReviewTree {
    /// Creates (or resets) the tree at the base, configured. Hold the
    /// `review-tree` lock while calling.
    pub fn at_base(ctx: &BuildContext) -> Result<Self> {
        let version = &ctx.source()?.version;
        let mut path = kbuild::trees_dir(&ctx.cache, version).join(BRANCH);
        if !kbuild::is_worktree(&path) {
            let _trees = cache::Lock::acquire(&ctx.cache, &kbuild::trees_lock(ctx.base))?;
            // Built like the stock kernel (same fragments, same W=1): its
            // C objects are the review base build's.
            path = kbuild::ensure_worktree(ctx, BRANCH, kbuild::Seed::StockBuild)?;
        }
        let repo = git::Tree::at(&path)?;
        repo.checkout_fresh(BRANCH, "base")?;
        // Files a previous review created and never committed; build
        // products are ignored by the kernel's .gitignore and stay.
        repo.run(&["clean", "-q", "-f", "-d"])?;
        let mut tree = Self {
            path,
            cache: ctx.cache.clone(),
            jobs: ctx.jobs,
            options: series_options(&ctx.project)?,
            known: BTreeSet::new(),
            state: None,
            present: Vec::new(),
        };
        tree.configure(&ctx.project, ctx.base)?;
        tree.known = tree.load_baseline();
        if !tree.path.join(BASELINE).is_file() {
            // A tree seeded from the built stock tree compiles only what
            // differs from it: the warnings of the objects it keeps are in
            // the stock tree's logs (same fragments, same W=1).
            let logs = kbuild::stock_build_logs(ctx)?;
            tree.known.extend(
                rules::diagnostics(&logs)
                    .into_iter()
                    .map(|d| (d.file, d.message)),
            );
        }
        Ok(tree)
    }

    /// `make` in the review tree: the kernels' own make command, with the
    /// C compiler behind ccache (each patch switches the series' options
    /// once, and every file that tests one, all of net/tipc through
    /// core.h, is compiled again; ccache turns the second and later
    /// compilations of the same source in the same state into lookups).
    fn make_base(&self) -> Command {
        kbuild::make_command(&self.path, &self.cache)
    }

    /// Every build of the review tree: `W=1` (from the kernels' make
    /// variables), and Rust compiled by clippy-driver (it emits the same objects), so that clippy needs no
    /// build of its own and no object is rebuilt only because the command
    /// changed.
    fn make(&self) -> Command {
        let mut c = self.make_base();
        c.arg(format!("-j{}", self.jobs))
            .arg("CLIPPY=1")
            .arg(format!("CLIPPY_DRIVER={CLIPPY_DRIVER}"));
        c
    }

    /// tinyconfig + `base.config` + the base's fragment + olddefconfig,
    /// skipped when unchanged.
    fn configure(&self, project: &Path, base: Base) -> Result<()> {
        let fragments = [
            project.join("vm/kconfig/base.config"),
            base.fragment(project),
        ];
        let mut k = KeyBuilder::new("review-config");
        for f in &fragments {
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            k.add_file(&name, f)?;
        }
        k.add(
            "make vars",
            kbuild::make_vars(&self.cache).join(" ").as_bytes(),
        );
        let key = k.key();
        let stamp = self.path.join(CONFIG_STAMP);
        if self.path.join(".config").is_file()
            && fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str())
        {
            return Ok(());
        }
        let _ = fs::remove_file(&stamp);
        let _ = fs::remove_file(self.path.join(BASELINE));
        let log = self
            .cache
            .join("logs")
            .join(format!("review-config-{base}.log"));
        kbuild::tinyconfig_with(&self.path, &fragments, &log, &|| self.make_base())?;
        cache::write_atomic(&stamp, key.as_bytes())
    }

    fn load_baseline(&self) -> BTreeSet<(String, String)> {
        fs::read(self.path.join(BASELINE))
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<(String, String)>>(&b).ok())
            .map(|v| v.into_iter().collect())
            .unwrap_or_default()
    }

    /// Builds the base: the reference every patch's warnings are compared
    /// with. The first time this is a full kernel build.
    pub fn build_base(&mut self, logs: &Path) -> Result<BuildResult> {
        self.set_options(true)?;
        let first = !self.path.join(BASELINE).is_file();
        let mut make = self.make();
        make.arg("vmlinux");
        let label = if first {
            "review tree: first W=1 build of the base (once; about 10 minutes on 2 cores, 2 when the stock kernel was built)"
        } else {
            "review tree: base, W=1 (incremental)"
        };
        let result = self.run_build(label, make, &logs.join("base-build.log"), false)?;
        if !result.ok {
            bail!(
                "the base tree does not build ({}); see {}",
                result.first_error.as_deref().unwrap_or("no error line"),
                result.log.display()
            );
        }
        let text = fs::read_to_string(&result.log).unwrap_or_default();
        // `known` holds the saved baseline (and, in a seeded tree, the
        // stock tree's warnings) since `at_base`.
        let mut all: BTreeSet<(String, String)> = self.known.clone();
        all.extend(
            rules::diagnostics(&text)
                .into_iter()
                .map(|d| (d.file, d.message)),
        );
        cache::write_atomic(
            &self.path.join(BASELINE),
            &serde_json::to_vec(&all.iter().collect::<Vec<_>>())?,
        )?;
        self.known = all;
        Ok(result)
    }

    /// Switches the series' options on or off; returns those that Kconfig
    /// knows at this point of the series (an option not yet added vanishes
    /// in olddefconfig).
    pub fn set_options(&mut self, on: bool) -> Result<Vec<String>> {
        let script = self.path.join("scripts/config");
        for opt in &self.options {
            let mut c = Command::new(&script);
            c.current_dir(&self.path)
                .args([
                    "--file",
                    ".config",
                    if on { "--enable" } else { "--disable" },
                ])
                .arg(opt);
            progress::capture("scripts/config", c)?;
        }
        let mut old = self.make_base();
        old.arg("olddefconfig");
        progress::capture("make olddefconfig", old)?;
        let config = fs::read_to_string(self.path.join(".config")).context("reading .config")?;
        let present: Vec<String> = self
            .options
            .iter()
            .filter(|o| {
                config.lines().any(|l| {
                    l.starts_with(&format!("CONFIG_{o}="))
                        || l == format!("# CONFIG_{o} is not set")
                })
            })
            .cloned()
            .collect();
        self.state = Some(on);
        self.present = present.clone();
        Ok(present)
    }

    /// The state to build first for the next patch: the one `.config` is
    /// in, so that each patch switches the options once, not twice (every
    /// file that tests an option is rebuilt at each switch).
    pub fn current_state(&self) -> bool {
        self.state.unwrap_or(true)
    }

    /// Switches to `on` unless already there and Kconfig did not change.
    /// Returns the options Kconfig knows.
    pub fn ensure_state(&mut self, on: bool, kconfig_changed: bool) -> Result<Vec<String>> {
        if self.state == Some(on) && !kconfig_changed {
            return Ok(self.present.clone());
        }
        self.set_options(on)
    }

    /// `make W=1 vmlinux` (or the given targets) and the warnings no
    /// earlier build printed; those become known for the next patch.
    pub fn build(&mut self, label: &str, targets: &[String], log: &Path) -> Result<BuildResult> {
        let mut make = self.make();
        make.args(targets);
        let result = self.run_build(label, make, log, true)?;
        Ok(result)
    }

    fn run_build(
        &mut self,
        label: &str,
        make: Command,
        log: &Path,
        learn: bool,
    ) -> Result<BuildResult> {
        let _ = fs::remove_file(log);
        let start = Instant::now();
        let ok = progress::run_logged(
            label,
            make,
            log,
            Duration::from_secs(20),
            progress::describe_kbuild_line,
        )
        .is_ok();
        let seconds = start.elapsed().as_secs_f64();
        let text = fs::read_to_string(log).unwrap_or_default();
        let found = rules::diagnostics(&text);
        let first_error = found
            .iter()
            .find(|d| d.severity == "error")
            .map(|d| d.text.clone())
            .or_else(|| {
                (!ok).then(|| {
                    text.lines()
                        .find(|l| {
                            l.contains("Error ") || l.contains("error:") || l.contains("undefined")
                        })
                        .unwrap_or("make failed")
                        .trim()
                        .to_string()
                })
            });
        let new_warnings: Vec<Diagnostic> = found
            .into_iter()
            .filter(|d| d.severity == "warning")
            .filter(|d| !self.known.contains(&(d.file.clone(), d.message.clone())))
            .collect();
        if learn {
            self.known.extend(
                new_warnings
                    .iter()
                    .map(|d| (d.file.clone(), d.message.clone())),
            );
        }
        Ok(BuildResult {
            ok,
            seconds,
            new_warnings,
            first_error,
            log: log.to_path_buf(),
        })
    }
}
