//! Kernel trees and builds: the one place that knows how to turn a base's
//! Debian source tarball (fetched by `kernel_source`) and that base's series
//! (`patches/` for 7.3, `patches-6.12/` for 6.12) into a bootable `bzImage`.
//!
//! Layout under the cache root (`<version>` is the base package's exact
//! Debian version, so each base and each point release has its own trees):
//! - `trees/linux-<version>/stock`: a git repository whose first commit
//!   (tag `base`) is the pristine tree; the stock kernel is built here.
//! - `trees/linux-<version>/patched`: a worktree on branch `patched` = base
//!   + series (`git am`), plus the base's `kernel-rust/` overlay laid over it.
//! - `trees/linux-<version>/debug`: a worktree on branch `debug`, the same
//!   series, built with `vm/kconfig/debug.config` (KASAN, lockdep, fault injection) on top
//!   (and KUnit on 7.3, `debug-7.3.config`).
//! - `kernels/<base>-<flavour>-<key>/`: published builds (bzImage, config,
//!   manifest). The key hashes every input (base, exact version, fragments,
//!   series, overlay, toolchain), so unchanged inputs never rebuild; a
//!   changed input rebuilds incrementally in the same tree.
//! - `ccache/`: every kernel's C compiler runs behind ccache
//!   ([`make_command`]), with `trees/` as its base directory, so the
//!   worktrees of one base share objects.

use crate::base::Base;
use crate::cache::{self, KeyBuilder, PendingDir};
use crate::git;
use crate::kernel_source::{self, Source, VersionPolicy};
use crate::progress::{self, Phase};
use crate::setup;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::cell::OnceCell;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Bumped whenever the build recipe changes in a way the inputs don't show.
const RECIPE_VERSION: &str = "3";
const SERIES_STAMP: &str = ".tipc-verifier-series";
const CONFIG_STAMP: &str = ".tipc-verifier-config";

/// Parallel make jobs when none are named: the number of CPUs.
pub fn jobs_default() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Which kernel to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// The pristine tree: the upstream C crossover, our reference.
    Stock,
    /// The pristine tree with the base's series applied: the Rust crossover.
    Patched,
    /// The series with its Rust option off (`vm/kconfig/patched-c.config`):
    /// the series' C crossover, which must deliver every message class as
    /// the Rust one does (the differential's third column).
    #[value(name = "patched-c")]
    #[serde(rename = "patched-c")]
    PatchedC,
    /// The patched series with KASAN, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP
    /// and fault injection (`vm/kconfig/debug.config`, `faults.config`), for
    /// `stress`; on 7.3 also KUnit (`debug-7.3.config`).
    Debug,
    /// The patched series with KCSAN and fault injection
    /// (`vm/kconfig/kcsan.config`, `faults.config`), for `stress --kernel kcsan` and `check
    /// --kernel kcsan`; 7.3 only.
    Kcsan,
    /// The patched series built as distributions ship TIPC
    /// (`vm/kconfig/modules.config`): `tipc.ko`, loaded with modprobe in
    /// the guest; on 7.3 with MODVERSIONS through gendwarfksyms
    /// (`modules-7.3.config`), on 6.12 without (its Rust excludes it).
    Modules,
}

impl Flavour {
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Stock => "stock",
            Flavour::Patched => "patched",
            Flavour::PatchedC => "patched-c",
            Flavour::Debug => "debug",
            Flavour::Kcsan => "kcsan",
            Flavour::Modules => "modules",
        }
    }

    /// True for the kernels built from the series (all but stock).
    pub fn has_series(self) -> bool {
        self != Flavour::Stock
    }

    /// True for the kernel whose TIPC is a module (`tipc.ko`).
    pub fn builds_modules(self) -> bool {
        self == Flavour::Modules
    }

    /// True for the sanitizer kernels (debug on both bases, kcsan on the
    /// primary one only; see [`Base::builds`]).
    pub fn is_sanitizer(self) -> bool {
        matches!(self, Flavour::Debug | Flavour::Kcsan)
    }

    /// Kernel command-line words this flavour's guests boot with: the
    /// debug kernel stops at the first KASAN report, so a run can never
    /// go on past memory corruption.
    pub fn boot_args(self) -> &'static str {
        match self {
            Flavour::Debug => "kasan.fault=panic",
            Flavour::Stock
            | Flavour::Patched
            | Flavour::PatchedC
            | Flavour::Kcsan
            | Flavour::Modules => "",
        }
    }

    /// Config fragments on top of tinyconfig, in merge order: `base.config`,
    /// the base's own (`base-7.3.config`), then the flavour's.
    pub fn fragments(self, project: &Path, base: Base) -> Vec<PathBuf> {
        let dir = project.join("vm").join("kconfig");
        let mut v = vec![dir.join("base.config"), base.fragment(project)];
        if self.has_series() {
            v.push(dir.join("patched.config"));
        }
        if self.is_sanitizer() {
            v.push(dir.join("faults.config"));
        }
        match self {
            Flavour::Debug => {
                v.push(dir.join("debug.config"));
                let own = dir.join(format!("debug-{}.config", base.name()));
                if own.exists() {
                    v.push(own);
                }
            }
            Flavour::Kcsan => v.push(dir.join("kcsan.config")),
            Flavour::PatchedC => v.push(dir.join("patched-c.config")),
            Flavour::Modules => {
                v.push(dir.join("modules.config"));
                let own = dir.join(format!("modules-{}.config", base.name()));
                if own.exists() {
                    v.push(own);
                }
            }
            Flavour::Stock | Flavour::Patched => {}
        }
        v
    }
}

/// The make variables that select the Debian toolchain explicitly (rustup's
/// rustc on PATH has no matching core source; see the toolchain notes), with
/// the C compiler behind ccache.
pub fn make_vars(cache: &Path) -> Vec<String> {
    vec![
        "LLVM=-19".into(),
        "CC=ccache clang-19".into(),
        // Every kernel is built with the review's extra warnings: the
        // flags are then the same in every tree of a base, so the
        // review's W=1 builds take the stock and patched objects from
        // ccache instead of compiling the kernel a second time.
        "W=1".into(),
        "RUSTC=/usr/bin/rustc".into(),
        "HOSTRUSTC=/usr/bin/rustc".into(),
        "RUSTDOC=/usr/bin/rustdoc".into(),
        format!("BINDGEN={}", setup::bindgen_path(cache).display()),
    ]
}

/// ccache's settings for every kernel build: one cache directory, `trees/`
/// as the base directory (paths below it are hashed relative, so the
/// worktrees of one base share objects), and the sloppiness a kernel tree
/// needs (headers generated or checked out just before the compile).
pub fn ccache_env(cache: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("CCACHE_DIR", cache.join("ccache").display().to_string()),
        ("CCACHE_BASEDIR", cache.join("trees").display().to_string()),
        ("CCACHE_MAXSIZE", "20G".into()),
        (
            "CCACHE_SLOPPINESS",
            "time_macros,include_file_mtime,include_file_ctime".into(),
        ),
    ]
}

/// `make` in `tree` with the Debian toolchain and ccache: every kernel
/// build (guest kernels, the review tree) goes through here.
pub fn make_command(tree: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new("make");
    cmd.current_dir(tree)
        .env("LIBCLANG_PATH", "/usr/lib/llvm-19/lib")
        .envs(ccache_env(cache))
        .args(make_vars(cache));
    cmd
}

/// Where things are, for one run on one base. The base's source is
/// resolved (and fetched) on first use, so commands that never touch a
/// kernel tree never touch the network.
pub struct BuildContext {
    pub project: PathBuf,
    pub cache: PathBuf,
    pub jobs: usize,
    pub base: Base,
    pub policy: VersionPolicy,
    /// A series directory that replaces the base's (`--series`), for
    /// another version of the series, v1 for example; without the
    /// `kernel-rust/` overlay, which belongs to the project's own series.
    series_dir: Option<PathBuf>,
    source: OnceCell<Source>,
}

impl BuildContext {
    pub fn new(
        project: PathBuf,
        cache: PathBuf,
        jobs: usize,
        base: Base,
        policy: VersionPolicy,
    ) -> Self {
        Self {
            project,
            cache,
            jobs,
            base,
            policy,
            series_dir: None,
            source: OnceCell::new(),
        }
    }

    /// The same context building the series in `dir` instead of the
    /// base's own (see [`Series::from_dir`]).
    pub fn with_series_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.series_dir = dir;
        self
    }

    /// The base's source tarball: from the cache, or fetched from the
    /// Debian archive (see `kernel_source`).
    pub fn source(&self) -> Result<&Source> {
        if let Some(s) = self.source.get() {
            return Ok(s);
        }
        let archive = kernel_source::AptArchive::new(&self.cache, self.base);
        let s = kernel_source::resolve(&self.cache, self.base, &self.policy, &archive)?;
        Ok(self.source.get_or_init(|| s))
    }

    /// The series that goes onto this base: the base's own, or the one
    /// given with [`BuildContext::with_series_dir`].
    pub fn series(&self) -> Result<Series> {
        match &self.series_dir {
            Some(dir) => Series::from_dir(dir),
            None => Series::of_project(&self.project, self.base),
        }
    }
}

/// A kernel ready to boot.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltKernel {
    pub base: Base,
    pub package: String,
    /// The base package's exact Debian version.
    pub base_version: String,
    pub flavour: Flavour,
    pub key: String,
    pub bzimage: PathBuf,
    pub config: PathBuf,
    /// The installed modules (`lib/modules/<release>/` below it), for a
    /// kernel that builds them.
    pub modules: Option<PathBuf>,
    /// True when taken from the cache without running make.
    pub cached: bool,
}

#[derive(Serialize, serde::Deserialize)]
struct Manifest {
    flavour: String,
    key: String,
    inputs: Vec<(String, String)>,
    build_seconds: f64,
}

/// The patches of a base's series in order (the cover letter is not a
/// patch).
pub fn series_patches(project: &Path, base: Base) -> Result<Vec<PathBuf>> {
    patches_in(&base.series_dir(project))
}

/// The `*.patch` files of `dir` in name order, but a cover letter.
fn patches_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.ends_with(".patch") && !name.contains("0000-cover-letter")
        })
        .collect();
    v.sort();
    Ok(v)
}

/// Kernel sources kept in `kernel-rust/` at their tree paths (`net/...`,
/// `include/...`): the editable copy of the series' Rust, laid over the
/// patched tree, as (tree path, source file). For a base with a backport
/// directory (6.12: `kernel-rust/backport-6.12/`), a file there replaces
/// the one at the same tree path; the other files (the pure modules) are
/// one source shared by both series.
pub fn overlay_files(project: &Path, base: Base) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut map = std::collections::BTreeMap::new();
    let mut roots = vec![project.join("kernel-rust")];
    if let Some(dir) = base.backport_dir_name() {
        roots.push(project.join(dir));
    }
    for root in roots {
        let mut files = Vec::new();
        for top in ["net", "include"] {
            collect_files(&root.join(top), &mut files)?;
        }
        for p in files {
            if let Ok(rel) = p.strip_prefix(&root) {
                map.insert(rel.to_path_buf(), p.clone());
            }
        }
    }
    for rel in base.overlay_excludes() {
        map.remove(Path::new(rel));
    }
    Ok(map.into_iter().collect())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries {
        let p = e?.path();
        if p.is_dir() {
            collect_files(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn tool_version(program: &str, arg: &str) -> String {
    Command::new(program)
        .arg(arg)
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_else(|| "absent".into())
}

/// The cache key of one flavour's kernel on one base at one exact version,
/// over every input of its build; `series` is what goes onto the base
/// (none for the stock kernel).
pub fn kernel_key(
    project: &Path,
    cache: &Path,
    base: Base,
    version: &str,
    flavour: Flavour,
    series: Option<&Series>,
) -> Result<KeyBuilder> {
    let mut k = KeyBuilder::new("kernel");
    k.add("recipe", RECIPE_VERSION.as_bytes());
    k.add("flavour", flavour.name().as_bytes());
    k.add("base", base.name().as_bytes());
    k.add("base package", base.package().as_bytes());
    k.add("base version", version.as_bytes());
    for frag in flavour.fragments(project, base) {
        let name = format!(
            "fragment {}",
            frag.file_name().unwrap_or_default().to_string_lossy()
        );
        k.add_file(&name, &frag)?;
    }
    if flavour.has_series() {
        let series = series.context("a patched kernel's key needs its series")?;
        for p in &series.patches {
            k.add_file(
                &format!(
                    "patch {}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                ),
                p,
            )?;
        }
        for (rel, p) in &series.overlay {
            k.add_file(&format!("overlay {}", rel.display()), p)?;
        }
    }
    k.add(
        "rustc",
        tool_version("/usr/bin/rustc", "--version").as_bytes(),
    );
    k.add("clang", tool_version("clang-19", "--version").as_bytes());
    k.add(
        "bindgen",
        tool_version(&setup::bindgen_path(cache).to_string_lossy(), "--version").as_bytes(),
    );
    k.add("make vars", make_vars(cache).join(" ").as_bytes());
    Ok(k)
}

/// `kernels/<base>-<flavour>-<key>/`.
pub fn kernel_entry(cache: &Path, base: Base, flavour: Flavour, key: &str) -> PathBuf {
    kernels_dir(cache).join(format!("{}-{}-{key}", base.name(), flavour.name()))
}

fn kernels_dir(cache: &Path) -> PathBuf {
    cache.join("kernels")
}

/// The lock name for one base's trees (the flavours are worktrees of one
/// repository: one change at a time).
pub fn trees_lock(base: Base) -> String {
    format!("kernel-trees-{base}")
}

/// Returns the published kernel for these inputs, building it if needed.
pub fn ensure_kernel(ctx: &BuildContext, flavour: Flavour) -> Result<BuiltKernel> {
    let base = ctx.base;
    if !base.builds(flavour) {
        bail!(
            "the {} kernel is built on base {} only, not on {base}",
            flavour.name(),
            Base::PRIMARY
        );
    }
    let source = ctx.source()?;
    let series = if flavour.has_series() {
        Some(ctx.series()?)
    } else {
        None
    };
    let keyb = kernel_key(
        &ctx.project,
        &ctx.cache,
        base,
        &source.version,
        flavour,
        series.as_ref(),
    )?;
    let key = keyb.key();
    let entry = kernel_entry(&ctx.cache, base, flavour, &key);
    let what = format!("kernel {base} {}", flavour.name());
    let built = |cached| BuiltKernel {
        base,
        package: source.package.clone(),
        base_version: source.version.clone(),
        flavour,
        key: key.clone(),
        bzimage: entry.join("bzImage"),
        config: entry.join("config"),
        modules: flavour.builds_modules().then(|| entry.join(MODULES_DIR)),
        cached,
    };
    if cache::is_complete(&entry) {
        eprintln!("==> {what}: cached ({key})");
        return Ok(built(true));
    }
    let _lock = cache::Lock::acquire(&ctx.cache, &trees_lock(base))?;
    if cache::is_complete(&entry) {
        eprintln!("==> {what}: built by the run we waited for ({key})");
        return Ok(built(true));
    }
    cache::sweep_temporaries(&kernels_dir(&ctx.cache))?;
    let phase = Phase::start(&format!("{what}: building on {} ({key})", source.label()));
    let tree = ensure_tree(ctx, flavour)?;
    if let Some(series) = &series {
        let applied = apply_series(&tree, flavour.name(), series);
        if let (Err(e), Some(dir)) = (&applied, &ctx.series_dir) {
            // The user's own series: their input, not the tool's.
            return Err(
                crate::exit::UsageError(format!("--series {}: {e:#}", dir.display())).into(),
            );
        }
        applied?;
    }
    configure(ctx, flavour, &tree, series.as_ref())?;
    let log = ctx
        .cache
        .join("logs")
        .join(format!("build-{base}-{}.log", flavour.name()));
    // The log is appended to: this build's lines start here.
    let log_start = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    let mut make = make_command(&tree, &ctx.cache);
    make.arg(format!("-j{}", ctx.jobs)).arg("bzImage");
    let target = if flavour.builds_modules() {
        make.arg("modules");
        "bzImage modules"
    } else {
        "bzImage"
    };
    eprintln!("    make log: {}", log.display());
    progress::run_logged(
        &format!("make {target} ({base} {})", flavour.name()),
        make,
        &log,
        Duration::from_secs(20),
        progress::describe_kbuild_line,
    )
    .with_context(|| format!("{what} did not build: fix the error above (nothing was cached)"))?;
    if flavour == Flavour::Stock {
        keep_build_log(&tree, &log, log_start)?;
    }
    let pending = PendingDir::new(&entry)?;
    fs::copy(
        tree.join("arch/x86/boot/bzImage"),
        pending.path().join("bzImage"),
    )
    .context("copying bzImage")?;
    fs::copy(tree.join(".config"), pending.path().join("config")).context("copying .config")?;
    if flavour.builds_modules() {
        install_modules(ctx, &tree, &pending.path().join(MODULES_DIR), &log)?;
    }
    let manifest = Manifest {
        flavour: flavour.name().into(),
        key: key.clone(),
        inputs: keyb.inputs().to_vec(),
        build_seconds: phase.elapsed().as_secs_f64(),
    };
    cache::write_atomic(
        &pending.path().join(cache::MANIFEST),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    pending.publish()?;
    phase.done("built");
    Ok(built(false))
}

/// Where a published kernel keeps its installed modules.
pub const MODULES_DIR: &str = "modroot";

/// `make modules_install` into `dest` (stripped, `depmod` run), and a
/// check that `tipc.ko` is there.
fn install_modules(ctx: &BuildContext, tree: &Path, dest: &Path, log: &Path) -> Result<()> {
    let mut make = make_command(tree, &ctx.cache);
    make.arg(format!("INSTALL_MOD_PATH={}", dest.display()))
        .arg("INSTALL_MOD_STRIP=1")
        .arg("DEPMOD=/sbin/depmod")
        .arg("modules_install");
    progress::run_logged(
        &format!("make modules_install ({} modules)", ctx.base),
        make,
        log,
        Duration::from_secs(20),
        progress::describe_kbuild_line,
    )
    .context("installing the modules")?;
    let release = fs::read_to_string(tree.join("include/config/kernel.release"))
        .context("reading include/config/kernel.release")?;
    let dir = dest.join("lib/modules").join(release.trim());
    let tipc = dir.join("kernel/net/tipc/tipc.ko");
    if !tipc.is_file() {
        bail!(
            "the modules kernel installed no {} (is CONFIG_TIPC=m?)",
            tipc.display()
        );
    }
    // depmod.sh only warns when depmod or System.map is missing; the
    // guest's modprobe needs the dependency list.
    let dep = fs::read_to_string(dir.join("modules.dep")).unwrap_or_default();
    if !dep
        .lines()
        .any(|l| l.starts_with("kernel/net/tipc/tipc.ko:"))
    {
        bail!(
            "{}: no entry for tipc.ko (did depmod run? see {})",
            dir.join("modules.dep").display(),
            log.display()
        );
    }
    Ok(())
}

/// The series' selftest in the kernel tree.
pub const KSELFTEST_DIR: &str = "tools/testing/selftests/net/tipc";

/// The series' selftest installed with the kselftest runner
/// (`run_kselftest.sh`): `make -C tools/testing/selftests TARGETS=net/tipc
/// install` in the base's patched tree, with the host's C compiler. Cached
/// under `kselftests/<base>-<key>/`, keyed by the series and the compiler.
pub fn ensure_kselftest(ctx: &BuildContext) -> Result<PathBuf> {
    let base = ctx.base;
    let source = ctx.source()?;
    let series = ctx.series()?;
    let mut k = KeyBuilder::new("kselftest");
    k.add("recipe", b"1");
    k.add("base", base.name().as_bytes());
    k.add("base version", source.version.as_bytes());
    k.add("series", series.key()?.as_bytes());
    k.add("cc", tool_version("cc", "--version").as_bytes());
    let key = k.key();
    let entry = ctx.cache.join("kselftests").join(format!("{base}-{key}"));
    if cache::is_complete(&entry) {
        return Ok(entry);
    }
    let _lock = cache::Lock::acquire(&ctx.cache, &trees_lock(base))?;
    if cache::is_complete(&entry) {
        return Ok(entry);
    }
    let phase = Phase::start(&format!(
        "kselftest {base}: installing net/tipc from the series"
    ));
    let tree = ensure_worktree(ctx, Flavour::Patched.name(), Seed::StockBuild)?;
    apply_series(&tree, Flavour::Patched.name(), &series)?;
    if !tree.join(KSELFTEST_DIR).is_dir() {
        bail!(
            "the {base} series adds no {KSELFTEST_DIR}: the kselftest scenario has nothing to run"
        );
    }
    if let Some(parent) = entry.parent() {
        fs::create_dir_all(parent)?;
        cache::sweep_temporaries(parent)?;
    }
    let pending = PendingDir::new(&entry)?;
    let log = ctx.cache.join("logs").join(format!("kselftest-{base}.log"));
    let mut make = Command::new("make");
    make.current_dir(tree.join("tools/testing/selftests"))
        .arg(format!("-j{}", ctx.jobs))
        .arg("TARGETS=net/tipc")
        .arg(format!("INSTALL_PATH={}", pending.path().display()))
        .arg("install");
    progress::run_logged(
        &format!("make install (kselftest net/tipc, {base})"),
        make,
        &log,
        Duration::from_secs(15),
        |_| None,
    )
    .with_context(|| {
        format!(
            "kselftest {base}: make install failed; see {}",
            log.display()
        )
    })?;
    if !pending.path().join("run_kselftest.sh").is_file() {
        bail!(
            "kselftest {base}: make install left no run_kselftest.sh; see {}",
            log.display()
        );
    }
    let path = pending.publish()?;
    phase.done("installed");
    Ok(path)
}

/// Every build log of the stock tree, appended in order
/// ([`stock_build_logs`]).
const STOCK_LOGS: &str = ".tipc-verifier-build-logs";

/// Appends a build's lines (those of `log` from byte `start` on) to the
/// tree's [`STOCK_LOGS`]: what the compiler said about each object when it
/// was last compiled in this tree, which a tree seeded from it
/// ([`Seed::StockBuild`]) no longer prints.
fn keep_build_log(tree: &Path, log: &Path, start: u64) -> Result<()> {
    use std::io::Write;
    let all = fs::read(log).with_context(|| format!("reading {}", log.display()))?;
    let text = all.get(start as usize..).unwrap_or_default();
    let path = tree.join(STOCK_LOGS);
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(text)
        .with_context(|| format!("appending to {}", path.display()))
}

/// The build logs of the stock tree of `ctx`'s base, every build appended
/// in order (empty when it was never built): for the review, whose tree is
/// seeded from the stock tree and must know the warnings of the objects it
/// did not compile again.
pub fn stock_build_logs(ctx: &BuildContext) -> Result<String> {
    let dir = trees_dir(&ctx.cache, &ctx.source()?.version).join("stock");
    Ok(fs::read_to_string(dir.join(STOCK_LOGS)).unwrap_or_default())
}

/// `trees/linux-<version>`: the trees of one base package version.
pub fn trees_dir(cache: &Path, version: &str) -> PathBuf {
    let safe: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache.join("trees").join(format!("linux-{safe}"))
}

/// Returns the tree for a flavour, creating the repository or worktree first.
fn ensure_tree(ctx: &BuildContext, flavour: Flavour) -> Result<PathBuf> {
    match flavour {
        Flavour::Stock => ensure_base_repo(ctx),
        // Same flags, one option more: the stock build's objects are
        // the patched build's, but for the files the series touches.
        Flavour::Patched | Flavour::PatchedC => {
            ensure_worktree(ctx, flavour.name(), Seed::StockBuild)
        }
        // KASAN and KCSAN instrument every object, and the modules kernel
        // builds every object with DWARF (7.3) or CONFIG_MODULES (6.12):
        // nothing to keep.
        Flavour::Debug | Flavour::Kcsan | Flavour::Modules => {
            ensure_worktree(ctx, flavour.name(), Seed::Nothing)
        }
    }
}

/// What a new worktree starts with besides the base's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// The sources only: the first build compiles everything (ccache
    /// answers for what another tree of the base compiled the same way).
    Nothing,
    /// When the stock tree has been built: its sources with their times
    /// and its build products, so that the first build in the new tree is
    /// incremental. Sources checked out afresh are newer than every
    /// object, and make would rebuild all of them; ccache would still have
    /// to preprocess each file, since `autoconf.h` changes with one option
    /// (several minutes on 2 cores against about one).
    StockBuild,
}

/// Entries of the stock tree that a seeded worktree does not take: the
/// repository itself and the verifier's stamps (each tree keeps its own).
fn seed_skips(name: &str) -> bool {
    name == ".git" || name.starts_with(".tipc-verifier")
}

/// Fills the empty worktree `wt` (added with `--no-checkout`) with a copy
/// of the built stock tree, times kept, then records the base in its index
/// without touching a file: git compares the copied files with the base's
/// content and finds them the same.
fn seed_from_stock(stock: &Path, wt: &Path) -> Result<()> {
    let mut entries: Vec<PathBuf> = Vec::new();
    for e in fs::read_dir(stock).with_context(|| format!("reading {}", stock.display()))? {
        let e = e?;
        if !seed_skips(&e.file_name().to_string_lossy()) {
            entries.push(e.path());
        }
    }
    entries.sort();
    crate::copy::into(wt, &entries, "the stock tree into the new worktree")?;
    let tree = git::Tree::at(wt)?;
    tree.run(&["reset", "-q"])?;
    tree.run(&["update-index", "-q", "--refresh"])?;
    Ok(())
}

/// The base repository (`trees/linux-<version>/stock`), unpacked from the
/// base's tarball and committed on first use.
pub fn ensure_base_repo(ctx: &BuildContext) -> Result<PathBuf> {
    let source = ctx.source()?;
    let dir = trees_dir(&ctx.cache, &source.version);
    if !cache::is_complete(&dir) {
        create_base_repo(ctx, &dir, source)?;
    }
    Ok(dir.join("stock"))
}

/// Whether `wt` is a usable worktree (its `.git` file resolves to a commit).
pub fn is_worktree(wt: &Path) -> bool {
    wt.join(".git").is_file()
        && git::Tree::at(wt).is_ok_and(|t| t.succeeds(&["rev-parse", "--verify", "HEAD"]))
}

/// A worktree `trees/linux-<version>/<name>` of the base repository on
/// branch `<name>`, created at tag `base` when missing or broken, from
/// `seed` ([`Seed`]). Callers hold the base's trees lock ([`trees_lock`]).
pub fn ensure_worktree(ctx: &BuildContext, name: &str, seed: Seed) -> Result<PathBuf> {
    let stock = ensure_base_repo(ctx)?;
    let wt = trees_dir(&ctx.cache, &ctx.source()?.version).join(name);
    if !is_worktree(&wt) {
        // Only a stock tree built since its logs are kept: the review
        // needs the warnings of the objects the new tree will not compile.
        let seeded = seed == Seed::StockBuild
            && stock.join("vmlinux").is_file()
            && stock.join(STOCK_LOGS).is_file();
        let phase = Phase::start(&format!(
            "kernel tree: creating the {name} worktree{}",
            if seeded {
                " from the built stock tree (its objects kept)"
            } else {
                ""
            }
        ));
        if wt.exists() {
            fs::remove_dir_all(&wt).with_context(|| format!("removing broken {}", wt.display()))?;
        }
        let repo = git::Tree::at(&stock)?;
        repo.run(&["worktree", "prune"])?;
        let path = wt.to_string_lossy();
        let mut add = vec!["worktree", "add", "--force", "-B", name];
        if seeded {
            add.push("--no-checkout");
        }
        add.extend([path.as_ref(), "base"]);
        repo.run(&add)?;
        if seeded {
            if let Err(e) = seed_from_stock(&stock, &wt) {
                // Not a worktree a later run may take for a seeded one.
                let _ = fs::remove_dir_all(&wt);
                return Err(e.context(format!(
                    "seeding {} from {}",
                    wt.display(),
                    stock.display()
                )));
            }
        }
        phase.done("created");
    }
    Ok(wt)
}

/// The base repository's first commit message: names the package and the
/// exact version.
pub fn base_commit_message(source: &Source) -> String {
    format!(
        "Linux {} base (Debian {} {})",
        source.base, source.package, source.version
    )
}

/// Unpacks the tarball and commits it as the repository's first commit.
fn create_base_repo(ctx: &BuildContext, dir: &Path, source: &Source) -> Result<()> {
    let tarball = &source.tarball;
    if !tarball.is_file() {
        bail!(
            "{} is missing: the cache entry of {} was removed; run again to fetch it",
            tarball.display(),
            source.label()
        );
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)?;
        cache::sweep_temporaries(parent)?;
    }
    let phase = Phase::start(&format!(
        "kernel tree: unpacking {} ({})",
        tarball.display(),
        source.label()
    ));
    let pending = PendingDir::new(dir)?;
    let log = ctx
        .cache
        .join("logs")
        .join(format!("tree-{}.log", source.base));
    let mut tar = Command::new("tar");
    tar.arg("-xJf").arg(tarball).arg("-C").arg(pending.path());
    progress::run_logged("unpack", tar, &log, Duration::from_secs(15), |_| None)?;
    let top = source.base.top_dir();
    let unpacked = pending.path().join(top);
    if !unpacked.is_dir() {
        let found: Vec<String> = fs::read_dir(pending.path())?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        bail!(
            "{}: the tarball has no top directory {top}/ (found: {})",
            tarball.display(),
            if found.is_empty() {
                "nothing".to_string()
            } else {
                found.join(", ")
            }
        );
    }
    let stock = pending.path().join("stock");
    fs::rename(&unpacked, &stock).with_context(|| format!("moving {top}/ to stock/"))?;
    let message = base_commit_message(source);
    for args in [
        vec!["init", "-q", "-b", "stock"],
        vec!["add", "-A", "-f", "."],
        vec!["commit", "-q", "--no-verify", "-m", message.as_str()],
        vec!["tag", "base"],
    ] {
        let mut cmd = git::command(&stock);
        cmd.args(&args);
        progress::run_logged(
            &format!("git {}", args[0]),
            cmd,
            &log,
            Duration::from_secs(15),
            |_| None,
        )?;
    }
    cache::write_atomic(
        &pending.path().join(cache::MANIFEST),
        &serde_json::to_vec_pretty(&serde_json::json!({
            "base": source.base.name(),
            "package": source.package,
            "version": source.version,
        }))?,
    )?;
    pending.publish()?;
    phase.done("committed as the base");
    Ok(())
}

/// What goes onto the base in the patched tree: the patches in order and
/// the `kernel-rust/` files laid over them (tree path, source file).
pub struct Series {
    pub patches: Vec<PathBuf>,
    pub overlay: Vec<(PathBuf, PathBuf)>,
}

impl Series {
    /// A base's series: its series directory and its overlay.
    pub fn of_project(project: &Path, base: Base) -> Result<Self> {
        Ok(Self {
            patches: series_patches(project, base)?,
            overlay: overlay_files(project, base)?,
        })
    }

    /// The patches in `dir` (`git format-patch` output; a cover letter is
    /// skipped) and no overlay: the project's `kernel-rust/` files belong
    /// to its own series, not to an earlier or a foreign one.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        // Absolute: `git am` runs in the kernel tree, and the key names
        // each patch by its path.
        let unreadable = || format!("--series {}: not a readable directory", dir.display());
        let canonical = dir.canonicalize().with_context(unreadable)?;
        let patches = patches_in(&canonical).with_context(unreadable)?;
        if patches.is_empty() {
            bail!(
                "--series {}: no *.patch file there (give a directory of git format-patch output)",
                dir.display()
            );
        }
        Ok(Self {
            patches,
            overlay: Vec::new(),
        })
    }

    fn key(&self) -> Result<String> {
        let mut k = KeyBuilder::new("series");
        for p in &self.patches {
            k.add_file(&p.to_string_lossy(), p)?;
        }
        for (rel, p) in &self.overlay {
            k.add_file(&rel.to_string_lossy(), p)?;
        }
        Ok(k.key())
    }
}

/// Resets branch `branch` (`patched` or `debug`) of the git tree to tag `base`, applies the
/// series with `git am`, then lays the overlay over it. Skipped when the
/// same series is already applied. On failure the tree is left at the base
/// with no stamp, so nothing half-applied is ever built as the series.
pub fn apply_series(tree: &Path, branch: &str, series: &Series) -> Result<()> {
    let key = series.key()?;
    let stamp = tree.join(SERIES_STAMP);
    if fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str()) {
        return Ok(());
    }
    let _ = fs::remove_file(&stamp);
    let phase = Phase::start(&format!(
        "series: applying {} patch(es) with git am",
        series.patches.len()
    ));
    let repo = git::Tree::at(tree)?;
    repo.checkout_fresh(branch, "base")?;
    for p in &series.patches {
        if let Err(failure) = repo.am(p)? {
            let text = failure.output;
            let detail: Vec<&str> = text
                .lines()
                .filter(|l| {
                    l.starts_with("error:")
                        || l.contains("patch failed")
                        || l.starts_with("Patch failed")
                })
                .collect();
            bail!(
                "series: {} does not apply to the base tree:\n    {}\n  fix the patch (or regenerate it) and run again",
                p.file_name().unwrap_or_default().to_string_lossy(),
                if detail.is_empty() { text.trim().to_string() } else { detail.join("\n    ") }
            );
        }
    }
    for (rel, src) in &series.overlay {
        let dst = tree.join(rel);
        let new = fs::read(src).with_context(|| format!("reading {}", src.display()))?;
        if fs::read(&dst).ok().as_deref() != Some(new.as_slice()) {
            eprintln!(
                "    {} differs from the series' {}: building the overlay copy",
                src.display(),
                rel.display()
            );
            if let Some(parent) = dst.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&dst, new).with_context(|| format!("writing {}", dst.display()))?;
        }
    }
    cache::write_atomic(&stamp, key.as_bytes())?;
    phase.done("applied");
    Ok(())
}

/// Every `CONFIG_X=...` line of the fragments that the final `.config`
/// lacks, and every `# CONFIG_X is not set` whose option ended up set (an
/// option that vanished because its dependency is off is fine when unset).
pub fn missing_options(fragments: &[String], config: &str) -> Vec<String> {
    let have: std::collections::HashSet<&str> = config.lines().map(str::trim).collect();
    let is_set = |opt: &str| {
        config.lines().any(|l| {
            l.trim()
                .strip_prefix(opt)
                .is_some_and(|r| r.starts_with('='))
        })
    };
    // The option each line sets, and whether it unsets it.
    let option = |l: &str| -> Option<(String, bool)> {
        match l
            .strip_prefix("# ")
            .and_then(|r| r.strip_suffix(" is not set"))
        {
            Some(opt) => opt.starts_with("CONFIG_").then(|| (opt.to_string(), true)),
            None => l
                .starts_with("CONFIG_")
                .then(|| l.split_once('=').map(|(o, _)| (o.to_string(), false)))
                .flatten(),
        }
    };
    // As merge_config.sh merges them: a later fragment's line for an
    // option replaces an earlier one's (patched-c unsets what patched sets).
    let mut wanted: Vec<(String, bool, &str)> = Vec::new();
    for l in fragments.iter().flat_map(|f| f.lines()).map(str::trim) {
        if let Some((opt, unset)) = option(l) {
            wanted.retain(|(o, _, _)| *o != opt);
            wanted.push((opt, unset, l));
        }
    }
    wanted
        .into_iter()
        .filter(|(opt, unset, l)| {
            if *unset {
                is_set(opt)
            } else {
                !have.contains(l)
            }
        })
        .map(|(_, _, l)| l.to_string())
        .collect()
}

/// `make tinyconfig`, `merge_config.sh` of the fragments, `make
/// olddefconfig` in `tree`, logged to `log`; `make` gives the make command
/// with the caller's variables.
pub fn tinyconfig_with(
    tree: &Path,
    fragments: &[PathBuf],
    log: &Path,
    make: &dyn Fn() -> Command,
) -> Result<()> {
    let quiet = Duration::from_secs(15);
    let mut tiny = make();
    tiny.arg("tinyconfig");
    progress::run_logged("make tinyconfig", tiny, log, quiet, |_| None)?;
    let mut merge = Command::new(tree.join("scripts/kconfig/merge_config.sh"));
    merge
        .current_dir(tree)
        .args(["-m", ".config"])
        .args(fragments);
    progress::run_logged("merge_config.sh", merge, log, quiet, |_| None)?;
    let mut old = make();
    old.arg("olddefconfig");
    progress::run_logged("make olddefconfig", old, log, quiet, |_| None)
}

/// tinyconfig + fragments + olddefconfig, skipped when unchanged.
fn configure(
    ctx: &BuildContext,
    flavour: Flavour,
    tree: &Path,
    series: Option<&Series>,
) -> Result<()> {
    let fragments = flavour.fragments(&ctx.project, ctx.base);
    let mut k = KeyBuilder::new("config");
    for f in &fragments {
        k.add_file(&f.to_string_lossy(), f)?;
    }
    k.add("make vars", make_vars(&ctx.cache).join(" ").as_bytes());
    // A series brings Kconfig symbols of its own: configure again, and
    // check every option again, whenever another series is applied.
    if let Some(series) = series {
        k.add("series", series.key()?.as_bytes());
    }
    let key = k.key();
    let stamp = tree.join(CONFIG_STAMP);
    if tree.join(".config").is_file()
        && fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str())
    {
        return Ok(());
    }
    let _ = fs::remove_file(&stamp);
    let phase = Phase::start(&format!(
        "config ({} {}): tinyconfig + {} fragment(s)",
        ctx.base,
        flavour.name(),
        fragments.len()
    ));
    let log = ctx
        .cache
        .join("logs")
        .join(format!("config-{}-{}.log", ctx.base, flavour.name()));
    tinyconfig_with(tree, &fragments, &log, &|| make_command(tree, &ctx.cache))?;
    let texts = fragments
        .iter()
        .map(fs::read_to_string)
        .collect::<std::io::Result<Vec<_>>>()?;
    let config = fs::read_to_string(tree.join(".config"))?;
    let missing = missing_options(&texts, &config);
    if !missing.is_empty() {
        bail!(
            "config ({}): {} option(s) did not survive olddefconfig (a dependency is missing or the \
             toolchain was not accepted; see {}):\n    {}",
            flavour.name(),
            missing.len(),
            log.display(),
            missing.join("\n    ")
        );
    }
    cache::write_atomic(&stamp, key.as_bytes())?;
    phase.done("config checked");
    Ok(())
}
