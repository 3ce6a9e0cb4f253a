//! `tipc-verifier check`: the main job. Setup, kernels, guest image, every
//! scenario on every kernel in QEMU, the verdicts, KTAP and a JSON report.

use crate::guest_image;
use crate::kbuild::{self, BuildContext, BuiltKernel, Flavour};
use crate::progress::{self, Phase};
use crate::qemu::{self, RunOptions, VmSpec};
use crate::report::{self, Report, ScenarioRun};
use crate::scenario::{self, Scenario};
use crate::{cache, differential, setup};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to check.
pub struct CheckOptions {
    pub kernels: Vec<Flavour>,
    pub scenarios: Vec<String>,
    pub out: Option<PathBuf>,
    pub run: RunOptions,
    pub dry_run: bool,
    pub jobs: usize,
    pub vm_timeout: Duration,
}

/// A UTC time stamp usable in a directory name.
pub fn stamp() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace([':', '-'], "")
        .trim_end_matches('Z')
        .replace('T', "-")
}

fn select_scenarios(names: &[String]) -> Result<Vec<Scenario>> {
    if names.is_empty() {
        return Ok(scenario::catalogue());
    }
    names
        .iter()
        .map(|n| {
            scenario::by_name(n).with_context(|| {
                let known: Vec<&str> = scenario::catalogue().iter().map(|s| s.name).collect();
                format!("unknown scenario {n:?}; known: {}", known.join(", "))
            })
        })
        .collect()
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
    }
}

/// Runs the check; returns the report (the caller prints and exits).
pub fn run(project: &Path, opts: &CheckOptions) -> Result<Option<(Report, PathBuf)>> {
    let cache_root = cache::cache_root()?;
    let scenarios = select_scenarios(&opts.scenarios)?;
    let ctx = BuildContext {
        project: project.to_path_buf(),
        cache: cache_root.clone(),
        jobs: opts.jobs,
    };
    let out = match &opts.out {
        Some(o) => o.clone(),
        None => project.join("out").join(format!("check-{}", stamp())),
    };
    if opts.dry_run {
        return dry_run(&ctx, &scenarios, opts, &out).map(|()| None);
    }
    setup::ensure(&cache_root, false, false)?;
    let agent = {
        let p = Phase::start("guest agent: cargo build --release -p tipc-agent");
        let a = guest_image::build_agent(project)?;
        p.done("ready");
        a
    };
    let initrd = guest_image::ensure_image(project, &cache_root, &agent)?;
    let mut kernels: Vec<BuiltKernel> = Vec::new();
    for f in &opts.kernels {
        kernels.push(kbuild::ensure_kernel(&ctx, *f)?);
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut runs = Vec::new();
    for scn in &scenarios {
        let phase = Phase::start(&format!(
            "scenario {}: {} kernel(s) under {:?}",
            scn.name,
            kernels
                .iter()
                .filter(|k| scn.kernels.contains(&k.flavour))
                .count(),
            opts.run.accel
        ));
        let mut specs = Vec::new();
        let mut groups = Vec::new();
        for k in kernels.iter().filter(|k| scn.kernels.contains(&k.flavour)) {
            let share = out.join(format!("{}.{}", k.flavour.name(), scn.name));
            prepare_share(&share, scn)?;
            let first = specs.len();
            specs.extend(guest_specs(
                scn,
                &k.bzimage,
                &initrd,
                &share,
                opts.vm_timeout,
            )?);
            groups.push((k, share, first..specs.len()));
        }
        // A timing scenario runs its kernels one after the other, so that
        // one guest's load does not distort the other's figures.
        let outcomes = if scn.discovery_cost {
            let mut all = Vec::new();
            for (_, _, range) in &groups {
                all.extend(qemu::run_all(&specs[range.clone()], opts.run)?);
            }
            all
        } else {
            qemu::run_all(&specs, opts.run)?
        };
        for (k, share, range) in groups {
            let vms: Vec<_> = outcomes[range].to_vec();
            let (checks, captures) = if vms.iter().all(|v| v.end_status.is_some()) {
                scenario::judge(scn, &share, k.flavour)
            } else {
                (Vec::new(), Default::default())
            };
            let paths = scenario::observed_paths(scn, &share, &captures);
            runs.push(ScenarioRun::new(
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
    }
    let differential = differential::table(&runs);
    let ok = runs.iter().all(|r| r.ok) && differential.iter().all(|r| r.ok);
    let rep = Report {
        tool: "tipc-verifier",
        version: env!("CARGO_PKG_VERSION"),
        started,
        accelerator_note: report::TCG_NOTE,
        kernels,
        runs,
        differential,
        ok,
    };
    let json = out.join("report.json");
    cache::write_atomic(&json, &serde_json::to_vec_pretty(&rep)?)?;
    Ok(Some((rep, json)))
}

/// Writes the guest scripts into a fresh share directory.
fn prepare_share(share: &Path, scn: &Scenario) -> Result<()> {
    if share.exists() {
        std::fs::remove_dir_all(share).with_context(|| format!("clearing {}", share.display()))?;
    }
    std::fs::create_dir_all(share.join("results"))?;
    std::fs::create_dir_all(share.join("captures"))?;
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
    kernel: &Path,
    initrd: &Path,
    share: &Path,
    timeout: Duration,
) -> Result<Vec<VmSpec>> {
    let specs: Vec<VmSpec> = scn
        .topology
        .roles()
        .into_iter()
        .map(|role| {
            let name = format!("guest{}", role.map(|r| format!("-{r}")).unwrap_or_default());
            let mut spec = vm_spec(&name, kernel, initrd, share, timeout);
            spec.icount = scn.discovery_cost;
            if let Some(r) = role {
                spec.extra_append = format!("tipc_verifier.role={r}");
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
    ctx: &BuildContext,
    scenarios: &[Scenario],
    opts: &CheckOptions,
    out: &Path,
) -> Result<()> {
    let base =
        kbuild::base_version().unwrap_or_else(|_| "(linux-source-6.12 not installed)".into());
    println!("# kernels (cache: {})", ctx.cache.display());
    for f in &opts.kernels {
        let key = kbuild::kernel_key(ctx, *f, &base)?.key();
        let entry = ctx
            .cache
            .join("kernels")
            .join(format!("{}-{key}", f.name()));
        let state = if cache::is_complete(&entry) {
            "cached"
        } else {
            "would build"
        };
        println!(
            "# {} {}: {}",
            f.name(),
            state,
            entry.join("bzImage").display()
        );
        if !cache::is_complete(&entry) {
            let vars = kbuild::make_vars(&ctx.cache).join(" ");
            println!("make {vars} tinyconfig && scripts/kconfig/merge_config.sh -m .config {} && make {vars} olddefconfig && make {vars} -j{} bzImage",
                f.fragments(&ctx.project).iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "), ctx.jobs);
        }
    }
    let initrd = ctx.cache.join("images").join("initramfs-<key>.cpio.gz");
    for scn in scenarios {
        for f in opts.kernels.iter().filter(|f| scn.kernels.contains(f)) {
            let share = out.join(format!("{}.{}", f.name(), scn.name));
            let key = kbuild::kernel_key(ctx, *f, &base)?.key();
            let kernel = ctx
                .cache
                .join("kernels")
                .join(format!("{}-{key}", f.name()))
                .join("bzImage");
            for spec in guest_specs(scn, &kernel, &initrd, &share, opts.vm_timeout)? {
                println!(
                    "# scenario {} on {} ({}): guest scripts in {}",
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
    Ok(())
}

/// Prints KTAP to stdout and the report path to stderr; fails on any failure.
pub fn finish(rep: &Report, json: &Path) -> Result<()> {
    print!("{}", report::ktap(&rep.runs, &rep.differential));
    for run in rep.runs.iter().filter(|r| !r.ok) {
        for c in run.checks.iter().filter(|c| !c.ok) {
            eprintln!("FAIL {} {}: {}", run.name, c.name, c.detail);
        }
    }
    for row in rep.differential.iter().filter(|r| !r.ok) {
        eprintln!("FAIL differential {}: {}", row.name(), row.detail());
    }
    eprintln!("report: {}", json.display());
    if let Some(dir) = json.parent() {
        eprintln!("captures and console logs: {}", dir.display());
    }
    if !rep.ok {
        bail!(
            "{} of {} scenario run(s) and {} of {} differential row(s) failed",
            rep.runs.iter().filter(|r| !r.ok).count(),
            rep.runs.len(),
            rep.differential.iter().filter(|r| !r.ok).count(),
            rep.differential.len()
        );
    }
    Ok(())
}
