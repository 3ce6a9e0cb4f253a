//! `tipc-verifier check`: the main job. Setup, each base's source and
//! kernels, guest image, every scenario of each base on every kernel in
//! QEMU, the verdicts, KTAP and a JSON report.
//!
//! On 7.3 every scenario runs; on 6.12 the backport's subset
//! ([`crate::base::BACKPORT_SCENARIOS`]); each base has its own
//! differential table.

use crate::base::Base;
use crate::exit::UsageError;
use crate::kbuild::{self, BuildContext, BuiltKernel, Flavour};
use crate::kernel_source::{self, Preview, VersionPolicy};
use crate::progress::{self, Phase};
use crate::qemu::{self, RunOptions, VmSpec};
use crate::report::{self, BaseId, BaseReport, Report, ScenarioRun};
use crate::scenario::{self, Scenario, Topology};
use crate::{cache, differential, session};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to check.
pub struct CheckOptions {
    /// Bases in run order.
    pub bases: Vec<Base>,
    /// Whether the bases were named (`--base`): a base then may not end up
    /// with nothing to run.
    pub bases_named: bool,
    /// The version policy (a pin only with exactly one base).
    pub policy: VersionPolicy,
    pub kernels: Vec<Flavour>,
    /// Whether the kernels were named (`--kernel`): see [`plan`].
    pub kernels_named: bool,
    pub scenarios: Vec<String>,
    /// `make test`'s subset: the backport base runs its patched kernel
    /// only (no stock kernel, no differential); 7.3 runs in full.
    pub quick: bool,
    pub out: Option<PathBuf>,
    pub run: RunOptions,
    pub dry_run: bool,
    pub jobs: usize,
    pub vm_timeout: Duration,
}

#[derive(clap::Args)]
/// `tipc-verifier check`'s arguments (see `--help`).
pub struct Args {
    /// Kernel bases (repeatable; default: 7.3 and 6.12). 7.3 runs every
    /// scenario; 6.12 runs veth_classes, crossover_toggle, forged_discovery,
    /// netns_recreate and kselftest.
    #[arg(long = "base", value_enum)]
    pub bases: Vec<Base>,
    /// Version of the base's source package, exact (7.3.4-1~bpo13+1) or a
    /// prefix (7.3.4 for 7.3.4-*); only with exactly one --base. Default:
    /// the newest the Debian archive serves. A pinned version already in
    /// the cache is used without network.
    #[arg(long, value_name = "V")]
    pub base_version: Option<String>,
    /// Kernels to check (repeatable; default: stock, patched and patched-c,
    /// and on 7.3 the debug kernel for the kunit scenario only; with
    /// --quick, patched-c runs veth_classes only). A kernel named here runs
    /// every scenario it can: --kernel debug runs the patched scenarios on
    /// the debug kernel too; --kernel modules (not in the default) builds
    /// the distribution-style kernel with tipc.ko.
    #[arg(long = "kernel", value_enum)]
    pub kernels: Vec<Flavour>,
    /// Scenarios to run (repeatable; default: all). See --list.
    #[arg(long = "scenario")]
    pub scenarios: Vec<String>,
    /// List the scenarios of each base and exit.
    #[arg(long)]
    pub list: bool,
    /// The subset `make test` runs: 7.3 in full (stock, patched, the
    /// differential); 6.12 builds and runs its patched kernel only. It
    /// saves the 6.12 stock kernel's build (about 6 minutes with ccache,
    /// more on an empty cache); `make check` runs everything.
    #[arg(long)]
    pub quick: bool,
    /// Output directory (default: out/check-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Accelerator: tcg (default) or kvm (falls back to TCG, saying why).
    #[arg(long, value_enum, default_value = "tcg")]
    pub accel: qemu::Accel,
    /// Print what would be fetched, the kernel build and the QEMU commands,
    /// without running anything (no network).
    #[arg(long)]
    pub dry_run: bool,
    /// Seconds one guest may run before it counts as hung.
    #[arg(long, default_value_t = 240, value_name = "SECS")]
    pub timeout: u64,
    /// Parallel make jobs (default: the number of CPUs).
    #[arg(short, long)]
    pub jobs: Option<usize>,
}

impl Args {
    /// Usage rules clap cannot state: `--base-version` names one base's
    /// version, so it needs exactly one `--base`.
    fn validate(&self) -> std::result::Result<(), UsageError> {
        let bases = unique(&self.bases);
        if self.base_version.is_some() && bases.len() != 1 {
            return Err(UsageError(format!(
                "--base-version names the version of one base's package: give exactly one \
                 --base with it (got {})",
                names_or(
                    bases.iter().map(|b| b.name()),
                    "none: the default is both bases"
                )
            )));
        }
        Ok(())
    }
}

/// `names` joined with commas, or `none` when there are none.
fn names_or<'a>(names: impl Iterator<Item = &'a str>, none: &str) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        none.to_string()
    } else {
        names.join(", ")
    }
}

/// The bases in the order first named, each once.
fn unique(bases: &[Base]) -> Vec<Base> {
    let mut out: Vec<Base> = Vec::new();
    for b in bases {
        if !out.contains(b) {
            out.push(*b);
        }
    }
    out
}

/// Runs `tipc-verifier check`: KTAP on stdout; an error when a check
/// failed ([`crate::exit::ChecksFailed`]) or the usage is wrong.
pub fn command(project: Option<&Path>, args: Args, verbose: bool) -> Result<()> {
    args.validate()?;
    let bases_named = !args.bases.is_empty();
    let bases = if bases_named {
        unique(&args.bases)
    } else {
        Base::ALL.to_vec()
    };
    if args.list {
        for base in &bases {
            println!("base {base} ({}):", base.series_dir_name());
            for s in base.scenarios() {
                println!("  {:<16} {}", s.name, s.description);
            }
        }
        return Ok(());
    }
    let project = crate::project::locate(project)?;
    let opts = CheckOptions {
        bases,
        bases_named,
        policy: VersionPolicy::from_arg(args.base_version.as_deref()),
        kernels_named: !args.kernels.is_empty(),
        kernels: if args.kernels.is_empty() {
            vec![
                Flavour::Stock,
                Flavour::Patched,
                Flavour::PatchedC,
                Flavour::Debug,
            ]
        } else {
            args.kernels
        },
        scenarios: args.scenarios,
        quick: args.quick,
        out: args.out,
        run: RunOptions {
            accel: args.accel,
            verbose,
        },
        dry_run: args.dry_run,
        jobs: args.jobs.unwrap_or_else(kbuild::jobs_default),
        vm_timeout: Duration::from_secs(args.timeout),
    };
    if let Some((rep, json)) = run(&project, &opts)? {
        finish(&rep, &json)?;
    }
    Ok(())
}

/// A UTC time stamp usable in a directory name.
pub fn stamp() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "")
        .trim_end_matches('Z')
        .replace('T', "-")
}

/// What runs on one base.
#[derive(Debug, Clone)]
pub struct BasePlan {
    pub base: Base,
    pub kernels: Vec<Flavour>,
    pub scenarios: Vec<Scenario>,
    /// Kernels that run only the named scenarios (`--quick`: patched-c
    /// runs `veth_classes`, every message class, and nothing else; the
    /// debug kernel of the default set runs [`DEBUG_DEFAULT`]).
    pub only: Only,
}

/// What `--quick` keeps of the patched-c kernel on the primary base: the
/// scenario with every message class, where the C and Rust crossovers
/// could differ.
pub const QUICK_PATCHED_C: &[&str] = &["veth_classes"];

/// What the debug kernel runs when the kernels are not named: the KUnit
/// suite its config builds (`--kernel debug` runs every patched scenario
/// on it too).
pub const DEBUG_DEFAULT: &[&str] = &["kunit"];

/// Kernels restricted to the named scenarios.
pub type Only = Vec<(Flavour, &'static [&'static str])>;

/// Whether `scn` runs on `kernel` under the restrictions `only`.
fn runs_under(only: &Only, scn: &Scenario, kernel: Flavour) -> bool {
    scn.runs_on(kernel)
        && only
            .iter()
            .filter(|(f, _)| *f == kernel)
            .all(|(_, names)| names.contains(&scn.name))
}

impl BasePlan {
    /// Whether `scn` runs on `kernel` in this plan.
    pub fn runs(&self, scn: &Scenario, kernel: Flavour) -> bool {
        runs_under(&self.only, scn, kernel)
    }
}

/// Chooses, per base, the kernels and scenarios to run. `names` empty:
/// the base's own list. Returns the plans and notes about what was left
/// out (a scenario outside the 6.12 subset, on a base not named).
/// `quick`: bases other than [`Base::PRIMARY`] keep the patched kernel
/// only; on the primary base the patched-c kernel runs
/// [`QUICK_PATCHED_C`] only. `kernels_named`: the kernels are the user's
/// choice; otherwise (the default set) the debug kernel runs only the
/// scenarios made for it ([`DEBUG_DEFAULT`]).
pub fn plan(
    bases: &[Base],
    bases_named: bool,
    kernels: &[Flavour],
    names: &[String],
    quick: bool,
    kernels_named: bool,
) -> Result<(Vec<BasePlan>, Vec<String>)> {
    for n in names {
        if scenario::by_name(n).is_none() {
            let known: Vec<&str> = scenario::catalogue().iter().map(|s| s.name).collect();
            return Err(crate::exit::UsageError(format!(
                "unknown scenario {n:?}; known: {}",
                known.join(", ")
            ))
            .into());
        }
    }
    let mut plans = Vec::new();
    let mut notes = Vec::new();
    for &base in bases {
        let flavours: Vec<Flavour> = kernels
            .iter()
            .copied()
            .filter(|f| base.builds(*f))
            // The sanitizer kernels of other bases run when named only,
            // kernel and base both.
            .filter(|f| {
                !f.is_sanitizer() || base == Base::PRIMARY || (kernels_named && bases_named)
            })
            .filter(|f| !quick || base == Base::PRIMARY || *f == Flavour::Patched)
            .collect();
        if quick && base != Base::PRIMARY {
            notes.push(format!(
                "--quick: base {base} runs its patched kernel only (no stock kernel, no differential)"
            ));
        }
        for f in kernels.iter().filter(|f| !base.builds(**f)) {
            let msg = format!(
                "the {} kernel is built on base {} only, not on {base}",
                f.name(),
                Base::PRIMARY
            );
            if bases_named && flavours.is_empty() {
                return Err(crate::exit::UsageError(msg).into());
            }
            if kernels_named {
                notes.push(msg);
            }
        }
        let mut only: Only = Vec::new();
        if !kernels_named && flavours.contains(&Flavour::Debug) {
            only.push((Flavour::Debug, DEBUG_DEFAULT));
        }
        let scenarios: Vec<Scenario> = base
            .scenarios()
            .into_iter()
            .filter(|s| names.is_empty() || names.iter().any(|n| n == s.name))
            .filter(|s| flavours.iter().any(|f| runs_under(&only, s, *f)))
            .collect();
        if scenarios.is_empty() {
            let msg = format!(
                "nothing selected runs on base {base} (its scenarios: {}; kernels: {})",
                base.scenario_names().join(", "),
                names_or(flavours.iter().map(|f| f.name()), "none selected")
            );
            if bases_named {
                return Err(crate::exit::UsageError(msg).into());
            }
            notes.push(format!("{msg}: base {base} skipped"));
            continue;
        }
        for n in names {
            if !scenarios.iter().any(|s| s.name == n) {
                notes.push(format!("scenario {n} does not run on base {base}"));
            }
        }
        if quick && flavours.contains(&Flavour::PatchedC) {
            notes.push(format!(
                "--quick: the patched-c kernel runs {} only",
                QUICK_PATCHED_C.join(", ")
            ));
            only.push((Flavour::PatchedC, QUICK_PATCHED_C));
        }
        plans.push(BasePlan {
            base,
            kernels: flavours,
            scenarios,
            only,
        });
    }
    if plans.is_empty() {
        return Err(
            crate::exit::UsageError(format!("nothing to run: {}", notes.join("; "))).into(),
        );
    }
    Ok((plans, notes))
}

pub(crate) fn vm_spec(
    name: &str,
    kernel: &Path,
    initrd: &Path,
    share: &Path,
    timeout: Duration,
) -> VmSpec {
    VmSpec {
        name: name.to_string(),
        kernel: kernel.to_path_buf(),
        initrd: initrd.to_path_buf(),
        share: share.to_path_buf(),
        memory_mb: 1024,
        net: None,
        extra_append: String::new(),
        timeout,
        icount: false,
        single_thread: false,
    }
}

/// A run's directory: `<out>/<base>.<kernel>.<scenario>`.
pub fn share_dir(out: &Path, base: Base, kernel: Flavour, scenario: &str) -> PathBuf {
    out.join(format!("{base}.{}.{scenario}", kernel.name()))
}

/// Runs the check; returns the report (the caller prints and exits).
pub fn run(project: &Path, opts: &CheckOptions) -> Result<Option<(Report, PathBuf)>> {
    let cache_root = cache::cache_root()?;
    let (plans, notes) = plan(
        &opts.bases,
        opts.bases_named,
        &opts.kernels,
        &opts.scenarios,
        opts.quick,
        opts.kernels_named,
    )?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    let contexts: Vec<BuildContext> = plans
        .iter()
        .map(|p| {
            BuildContext::new(
                project.to_path_buf(),
                cache_root.clone(),
                opts.jobs,
                p.base,
                opts.policy.clone(),
            )
        })
        .collect();
    let out = match &opts.out {
        Some(o) => o.clone(),
        None => project.join("out").join(format!("check-{}", stamp())),
    };
    if opts.dry_run {
        return dry_run(&contexts, &plans, &out, opts.vm_timeout).map(|()| None);
    }
    let initrd =
        session::prepare(project, &cache_root, &contexts.iter().collect::<Vec<_>>())?.initrd;
    let mut built: Vec<Vec<BuiltKernel>> = Vec::new();
    for (ctx, p) in contexts.iter().zip(&plans) {
        let mut kernels = Vec::new();
        // Only kernels that run something: `--scenario veth_rdm` builds no
        // debug kernel.
        for f in p
            .kernels
            .iter()
            .filter(|f| p.scenarios.iter().any(|s| p.runs(s, **f)))
        {
            kernels.push(kbuild::ensure_kernel(ctx, *f)?);
        }
        built.push(kernels);
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut runs = Vec::new();
    let mut bases = Vec::new();
    for ((ctx, p), kernels) in contexts.iter().zip(&plans).zip(built) {
        let id = BaseId::from(ctx.source()?);
        let kselftest = if p
            .scenarios
            .iter()
            .any(|s| s.topology == Topology::Kselftest)
        {
            Some(kbuild::ensure_kselftest(ctx)?)
        } else {
            None
        };
        for scn in &p.scenarios {
            let kernels: Vec<BuiltKernel> = kernels
                .iter()
                .filter(|k| p.runs(scn, k.flavour))
                .cloned()
                .collect();
            runs.extend(run_scenario(
                &id,
                scn,
                &kernels,
                &initrd,
                kselftest.as_deref(),
                &out,
                opts,
                project,
            )?);
        }
        let base_runs: Vec<ScenarioRun> =
            runs.iter().filter(|r| r.base == p.base).cloned().collect();
        bases.push(BaseReport {
            differential: differential::table(p.base, &base_runs),
            id,
            kernels,
        });
    }
    let ok = runs.iter().all(|r| r.ok) && bases.iter().all(|b| b.differential.iter().all(|r| r.ok));
    let rep = Report {
        tool: "tipc-verifier",
        version: env!("CARGO_PKG_VERSION"),
        started,
        accelerator_note: report::TCG_NOTE,
        bases,
        runs,
        ok,
    };
    let json = out.join("report.json");
    cache::write_atomic(&json, &serde_json::to_vec_pretty(&rep)?)?;
    Ok(Some((rep, json)))
}

/// One scenario on every kernel of one base that it applies to.
#[allow(clippy::too_many_arguments)]
fn run_scenario(
    id: &BaseId,
    scn: &Scenario,
    kernels: &[BuiltKernel],
    initrd: &Path,
    kselftest: Option<&Path>,
    out: &Path,
    opts: &CheckOptions,
    project: &Path,
) -> Result<Vec<ScenarioRun>> {
    let phase = Phase::start(&format!(
        "scenario {} {}: {} kernel(s) under {:?}",
        id.base,
        scn.name,
        kernels.iter().filter(|k| scn.runs_on(k.flavour)).count(),
        opts.run.accel
    ));
    let mut specs = Vec::new();
    let mut groups = Vec::new();
    for k in kernels.iter().filter(|k| scn.runs_on(k.flavour)) {
        let share = share_dir(out, id.base, k.flavour, scn.name);
        prepare_share(&share, scn, kselftest, k.modules.as_deref())?;
        let first = specs.len();
        specs.extend(guest_specs(
            scn,
            k.flavour,
            &k.bzimage,
            initrd,
            &share,
            opts.vm_timeout,
        )?);
        groups.push((k, share, first..specs.len()));
    }
    // A timing scenario runs its kernels one after the other, so that
    // one guest's load does not distort the other's figures.
    let outcomes = if scn.cost.timed() {
        let mut all = Vec::new();
        for (_, _, range) in &groups {
            all.extend(qemu::run_all(&specs[range.clone()], opts.run)?);
        }
        all
    } else {
        qemu::run_all(&specs, opts.run)?
    };
    let mut runs = Vec::new();
    for (k, share, range) in groups {
        let vms: Vec<_> = outcomes[range].to_vec();
        let (checks, captures) = if vms.iter().all(|v| v.end_status.is_some()) {
            scenario::judge(scn, &share, k.flavour, project)
        } else {
            (Vec::new(), Default::default())
        };
        let paths = scenario::observed_paths(scn, &share, &captures);
        runs.push(ScenarioRun::new(
            id,
            k.flavour.name(),
            scn.name,
            share,
            vms,
            checks,
            captures,
            paths,
        ));
    }
    phase.done("judged");
    Ok(runs)
}

/// Writes the guest scripts into a fresh share directory, with the
/// installed selftest for the kselftest scenario and the kernel's modules
/// (`modules/`, which the guest's /init loads TIPC from) for a modules
/// kernel.
fn prepare_share(
    share: &Path,
    scn: &Scenario,
    kselftest: Option<&Path>,
    modules: Option<&Path>,
) -> Result<()> {
    if share.exists() {
        std::fs::remove_dir_all(share).with_context(|| format!("clearing {}", share.display()))?;
    }
    std::fs::create_dir_all(share.join("results"))?;
    std::fs::create_dir_all(share.join("captures"))?;
    if scn.topology == Topology::Kselftest {
        let installed = kselftest.context("the kselftest scenario needs the installed selftest")?;
        crate::copy::tree(
            installed,
            &share.join(scenario::kselftest::SHARE_DIR),
            "the installed selftest",
        )?;
    }
    if let Some(installed) = modules {
        crate::copy::tree(installed, &share.join("modules"), "the kernel's modules")?;
    }
    for (role, script) in scn.guest_scripts() {
        let name = match role {
            Some(r) => format!("run-{r}.sh"),
            None => "run.sh".to_string(),
        };
        std::fs::write(share.join(&name), script)
            .with_context(|| format!("writing {}/{name}", share.display()))?;
    }
    Ok(())
}

/// The guests of one scenario on one kernel, sharing one directory.
fn guest_specs(
    scn: &Scenario,
    flavour: Flavour,
    kernel: &Path,
    initrd: &Path,
    share: &Path,
    timeout: Duration,
) -> Result<Vec<VmSpec>> {
    let mut specs = topology_specs(scn.topology, flavour, kernel, initrd, share, timeout)?;
    for spec in &mut specs {
        spec.icount = scn.cost.timed();
        spec.single_thread = scn.patches_kernel_text();
    }
    Ok(specs)
}

/// The guests of a topology on one kernel, sharing one directory (two
/// guests joined by a dgram link). A sanitizer kernel boots with its own
/// words (`kasan.fault=panic`) and twice the memory, as in `stress`.
pub(crate) fn topology_specs(
    topology: Topology,
    flavour: Flavour,
    kernel: &Path,
    initrd: &Path,
    share: &Path,
    timeout: Duration,
) -> Result<Vec<VmSpec>> {
    let specs: Vec<VmSpec> = topology
        .roles()
        .into_iter()
        .map(|role| {
            let name = format!("guest{}", role.map(|r| format!("-{r}")).unwrap_or_default());
            let mut spec = vm_spec(&name, kernel, initrd, share, timeout);
            let role_arg = role.map(|r| format!("tipc_verifier.role={r}"));
            spec.extra_append = [Some(flavour.boot_args().to_string()), role_arg]
                .into_iter()
                .flatten()
                .filter(|a| !a.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            if flavour.is_sanitizer() {
                spec.memory_mb = 2048;
            }
            spec
        })
        .collect();
    match <[VmSpec; 2]>::try_from(specs) {
        Ok([a, b]) => {
            let (a, b) = qemu::linked_pair(a, b)?;
            Ok(vec![a, b])
        }
        Err(specs) => Ok(specs),
    }
}

fn dry_run(
    contexts: &[BuildContext],
    plans: &[BasePlan],
    out: &Path,
    vm_timeout: Duration,
) -> Result<()> {
    let initrd = contexts
        .first()
        .map(|c| c.cache.join("images").join("initramfs-<key>.cpio.gz"))
        .unwrap_or_default();
    for (ctx, p) in contexts.iter().zip(plans) {
        let base = p.base;
        let archive = kernel_source::AptArchive::new(&ctx.cache, base);
        let apt_get = || {
            let mut c = std::process::Command::new("apt-get");
            c.args(archive.options());
            c
        };
        println!(
            "# base {base}: {} (cache: {})",
            base.package(),
            ctx.cache.display()
        );
        let version = match kernel_source::preview(&ctx.cache, base, &ctx.policy, &archive) {
            Preview::Cached(s) => {
                println!(
                    "# base {base}: {} cached at {}, {}",
                    s.label(),
                    s.tarball.display(),
                    match ctx.policy {
                        VersionPolicy::Pin(_) => "no network needed".to_string(),
                        VersionPolicy::Latest => format!(
                            "the newest in the last lists; the run updates the private lists \
                             first (--base {base} --base-version {} to stay offline)",
                            s.version
                        ),
                    }
                );
                Some(s.version)
            }
            other => {
                let known = match &other {
                    Preview::WouldFetch(v) => Some(v.clone()),
                    _ => None,
                };
                println!(
                    "# base {base}: would fetch {} {} from the machine's Debian entries{} \
                     (private lists, nothing installed; last lists say: {})",
                    base.package(),
                    ctx.policy.describe(),
                    base.extra_suites()
                        .iter()
                        .map(|s| format!(" + {s}"))
                        .collect::<String>(),
                    known.as_deref().unwrap_or("no lists yet")
                );
                let mut update = apt_get();
                update.args(["--error-on=any", "update"]);
                println!("{}", progress::display_command(&update));
                let mut download = apt_get();
                download.arg("download").arg(format!(
                    "{}={}",
                    base.package(),
                    known.as_deref().unwrap_or("<version>")
                ));
                println!("{}", progress::display_command(&download));
                println!(
                    "dpkg-deb -x {}_<version>_all.deb x && mv x/{} {}",
                    base.package(),
                    base.tarball_member(),
                    kernel_source::sources_dir(&ctx.cache)
                        .join(format!("{}_<version>", base.package()))
                        .join(base.tarball_name())
                        .display()
                );
                known
            }
        };
        let mut kernel_paths = Vec::new();
        for f in &p.kernels {
            let entry = match &version {
                Some(v) => {
                    let series = if f.has_series() {
                        Some(ctx.series()?)
                    } else {
                        None
                    };
                    let key =
                        kbuild::kernel_key(&ctx.project, &ctx.cache, base, v, *f, series.as_ref())?
                            .key();
                    kbuild::kernel_entry(&ctx.cache, base, *f, &key)
                }
                None => kbuild::kernel_entry(&ctx.cache, base, *f, "<key>"),
            };
            let state = if cache::is_complete(&entry) {
                "cached"
            } else {
                "would build"
            };
            println!(
                "# {base} {} {state}: {}",
                f.name(),
                entry.join("bzImage").display()
            );
            if !cache::is_complete(&entry) {
                let vars = kbuild::make_vars(&ctx.cache)
                    .iter()
                    .map(|v| progress::shell_quote(v))
                    .collect::<Vec<_>>()
                    .join(" ");
                let env: Vec<String> = kbuild::ccache_env(&ctx.cache)
                    .into_iter()
                    .map(|(k, v)| format!("{k}={}", progress::shell_quote(&v)))
                    .collect();
                println!("{} make {vars} tinyconfig && scripts/kconfig/merge_config.sh -m .config {} && make {vars} olddefconfig && make {vars} -j{} bzImage",
                    env.join(" "),
                    f.fragments(&ctx.project, base).iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "), ctx.jobs);
            }
            kernel_paths.push((*f, entry.join("bzImage")));
        }
        for scn in &p.scenarios {
            for (f, kernel) in kernel_paths.iter().filter(|(f, _)| p.runs(scn, *f)) {
                let share = share_dir(out, base, *f, scn.name);
                for spec in guest_specs(scn, *f, kernel, &initrd, &share, vm_timeout)? {
                    println!(
                        "# scenario {} on {base} {} ({}): guest scripts in {}",
                        scn.name,
                        f.name(),
                        spec.name,
                        share.display()
                    );
                    println!(
                        "{}",
                        progress::display_command(&qemu::command(&spec, qemu::Accel::Tcg))
                    );
                }
            }
        }
    }
    Ok(())
}

/// Prints KTAP to stdout and the report path to stderr; fails on any failure.
pub fn finish(rep: &Report, json: &Path) -> Result<()> {
    print!("{}", report::ktap(&rep.bases, &rep.runs));
    for run in rep.runs.iter().filter(|r| !r.ok) {
        for c in run.checks.iter().filter(|c| !c.ok) {
            eprintln!("FAIL {} {}: {}", run.name, c.name, c.detail);
        }
    }
    let rows: Vec<(Base, &differential::Row)> = rep
        .bases
        .iter()
        .flat_map(|b| b.differential.iter().map(move |r| (b.id.base, r)))
        .collect();
    for (base, row) in rows.iter().filter(|(_, r)| !r.ok) {
        eprintln!("FAIL {base}.differential {}: {}", row.name(), row.detail());
    }
    eprintln!("report: {}", json.display());
    if let Some(dir) = json.parent() {
        eprintln!("captures and console logs: {}", dir.display());
    }
    if !rep.ok {
        return Err(crate::exit::ChecksFailed(format!(
            "{} of {} scenario run(s) and {} of {} differential row(s) failed",
            rep.runs.iter().filter(|r| !r.ok).count(),
            rep.runs.len(),
            rows.iter().filter(|(_, r)| !r.ok).count(),
            rows.len()
        ))
        .into());
    }
    Ok(())
}
