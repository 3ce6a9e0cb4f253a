//! `tipc-verifier bench`: throughput and latency of the Rust crossover, the
//! C crossover, the bearer in the same kernel and TCP, measured side by side
//! in one run.
//!
//! For each repetition, the stock and the patched kernel boot side by side
//! (the same initramfs) and run the same sequence (`plan`). The guests run
//! under TCG with `-icount shift=0`: their clocks advance one nanosecond per
//! guest instruction, so a throughput is bytes per instruction executed,
//! repeatable and independent of the host's load and of the other guest.
//! Absolute figures are still not those of real hardware: quote ratios. Results: a table on stdout, `bench.json`
//! and `throughput.svg` in the output directory.

pub mod discovery;
pub mod plan;
pub mod results;
pub mod sendpath;
pub mod svg;

use crate::base::{Base, BaseArgs};
use crate::check::{stamp, vm_spec};
use crate::kbuild::{self, BuildContext, Flavour};
use crate::kernel_source::VersionPolicy;
use crate::progress::Phase;
use crate::qemu::{self, RunOptions};
use crate::{cache, session};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the figures are, printed and stored with them.
pub const BENCH_NOTE: &str = "guests under QEMU TCG with -icount shift=0, one vCPU, single-threaded TCG \
(-icount requires it; the kernels are SMP): a guest second is 10^9 guest instructions, so the figures \
measure the instruction cost of each path, not hardware speed; quote ratios";

pub struct BenchOptions {
    pub base: Base,
    pub policy: VersionPolicy,
    pub plan: plan::Plan,
    pub out: Option<PathBuf>,
    pub run: RunOptions,
    pub jobs: usize,
    pub vm_timeout: Duration,
}

#[derive(Serialize)]
struct BenchReport<'a> {
    tool: &'static str,
    accelerator_note: &'static str,
    kernels: &'a [kbuild::BuiltKernel],
    plan: &'a plan::Plan,
    figures: &'a results::Figures,
}

/// Writes `script` into `share` as `name`, points the guest's entry script
/// (`run.sh`, or `run-ROLE.sh` for a role) at it, and returns the spec of a
/// guest that runs it under `-icount`.
fn timed_guest(
    (initrd, timeout): (&Path, Duration),
    share: &Path,
    name: &str,
    script: String,
    role: Option<&str>,
    vm_name: &str,
    kernel: &Path,
) -> Result<qemu::VmSpec> {
    std::fs::write(share.join(name), script)
        .with_context(|| format!("writing {}/{name}", share.display()))?;
    let entry = match role {
        Some(r) => format!("run-{r}.sh"),
        None => "run.sh".to_string(),
    };
    std::fs::write(share.join(entry), format!("exec sh /share/{name}\n"))?;
    let mut spec = vm_spec(vm_name, kernel, initrd, share, timeout);
    if let Some(r) = role {
        spec.extra_append = format!("tipc_verifier.role={r}");
    }
    spec.icount = true;
    Ok(spec)
}

/// What a phase after the repetitions needs to boot one guest per kernel.
struct PhaseGuests<'a> {
    initrd: &'a Path,
    timeout: Duration,
    kernels: &'a [kbuild::BuiltKernel],
    shares: &'a [PathBuf],
    run: RunOptions,
}

impl PhaseGuests<'_> {
    /// Runs phase `name` (`run-NAME.sh`, the script of each kernel's
    /// flavour) on every kernel side by side, with `memory_mb` if given.
    fn run(
        &self,
        name: &str,
        memory_mb: Option<u32>,
        script: impl Fn(Flavour) -> String,
        what: String,
    ) -> Result<()> {
        let mut specs = Vec::new();
        for (k, share) in self.kernels.iter().zip(self.shares) {
            let mut spec = timed_guest(
                (self.initrd, self.timeout),
                share,
                &format!("run-{name}.sh"),
                script(k.flavour),
                None,
                &format!("bench-{name}-{}", k.flavour.name()),
                &k.bzimage,
            )?;
            if let Some(mb) = memory_mb {
                spec.memory_mb = mb;
            }
            specs.push(spec);
        }
        let phase = Phase::start(&what);
        warn_unclean(&qemu::run_all(&specs, self.run)?);
        phase.done("done");
        Ok(())
    }
}

/// Says which guests did not finish cleanly: their measurements are missing
/// from the figures, which name the failed ones.
fn warn_unclean(outcomes: &[qemu::VmOutcome]) {
    for o in outcomes {
        if o.end_status != Some(0) || !o.splats.is_empty() {
            eprintln!(
                "bench: guest {} did not finish cleanly: {} (console {})",
                o.name,
                o.problem().unwrap_or_else(|| "splat in the console".into()),
                o.console.display()
            );
        }
    }
}

#[derive(clap::Args)]
/// `tipc-verifier bench`'s arguments (see `--help`).
pub struct Args {
    #[command(flatten)]
    pub base: BaseArgs,
    /// Message sizes in bytes.
    #[arg(long, value_delimiter = ',', default_value = "64,1024,16384,65536")]
    pub sizes: Vec<usize>,
    /// Connection counts.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    pub conns: Vec<u32>,
    /// Repetitions.
    #[arg(long, default_value_t = 5)]
    pub reps: u32,
    /// Namespace counts of the scale phase (0: skip it).
    #[arg(long, value_delimiter = ',', default_value = "8,32,64")]
    pub scale: Vec<u32>,
    /// TIPC namespace counts at which the discovery phase times a first
    /// contact and a known peer's periodic discovery (0: skip it).
    #[arg(long, value_delimiter = ',', default_value = "8,64,256,1000")]
    pub discovery: Vec<u32>,
    /// The phases to run: throughput (and latency, with two guests), scale,
    /// discovery, sendpath (per-function instructions of the send path).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "throughput,scale,discovery,sendpath"
    )]
    pub phases: Vec<plan::Phase>,
    /// Output directory (default: out/bench-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seconds the guests may run.
    #[arg(long, default_value_t = 1800, value_name = "SECS")]
    pub timeout: u64,
}

/// Runs `tipc-verifier bench`: the table and the ratios.
pub fn command(project: Option<&Path>, args: Args, verbose: bool) -> Result<()> {
    let project = crate::project::locate(project)?;
    let opts = BenchOptions {
        base: args.base.base,
        policy: args.base.policy(),
        plan: plan::Plan {
            sizes: args.sizes,
            conns: args.conns,
            reps: args.reps,
            scale: args.scale.into_iter().filter(|n| *n >= 2).collect(),
            discovery: args.discovery.into_iter().filter(|n| *n != 0).collect(),
            phases: args.phases,
            ..Default::default()
        },
        out: args.out,
        run: crate::qemu::RunOptions {
            accel: crate::qemu::Accel::Tcg,
            verbose,
        },
        jobs: crate::kbuild::jobs_default(),
        vm_timeout: Duration::from_secs(args.timeout),
    };
    run(&project, &opts)?;
    Ok(())
}

/// Runs the benchmark and prints the table; returns the output directory.
pub fn run(project: &Path, opts: &BenchOptions) -> Result<PathBuf> {
    opts.plan.check()?;
    let cache_root = cache::cache_root()?;
    let ctx = BuildContext::new(
        project.to_path_buf(),
        cache_root.clone(),
        opts.jobs,
        opts.base,
        opts.policy.clone(),
    );
    let initrd = session::prepare(project, &cache_root, &[&ctx])?.initrd;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| project.join("out").join(format!("bench-{}", stamp())));
    let kernels = [
        kbuild::ensure_kernel(&ctx, Flavour::Stock)?,
        kbuild::ensure_kernel(&ctx, Flavour::Patched)?,
    ];
    let mut shares = Vec::new();
    for k in &kernels {
        let share = out.join(k.flavour.name());
        std::fs::create_dir_all(share.join("results"))
            .with_context(|| format!("creating {}", share.display()))?;
        shares.push(share);
    }
    let pair_share = out.join("two_guests");
    let reps = if opts.plan.runs(plan::Phase::Throughput) {
        std::fs::create_dir_all(pair_share.join("results"))
            .with_context(|| format!("creating {}", pair_share.display()))?;
        opts.plan.reps
    } else {
        0
    };
    for rep in 1..=reps {
        let mut specs = Vec::new();
        for (k, share) in kernels.iter().zip(&shares) {
            specs.push(timed_guest(
                (&initrd, opts.vm_timeout),
                share,
                &format!("run-{rep}.sh"),
                opts.plan.script(k.flavour, rep),
                None,
                &format!("bench-{}-{rep}", k.flavour.name()),
                &k.bzimage,
            )?);
        }
        let phase = Phase::start(&format!(
            "bench: repetition {rep}/{}, stock and patched guests ({} sizes x {} connection counts)",
            opts.plan.reps,
            opts.plan.sizes.len(),
            opts.plan.conns.len()
        ));
        warn_unclean(&qemu::run_all(&specs, opts.run)?);
        phase.done("done");
        // Then TIPC between two patched kernels, the two guests on their own.
        let (script_a, script_b) = opts.plan.two_guest_scripts(rep);
        let mut pair = Vec::new();
        for (role, script) in [("a", script_a), ("b", script_b)] {
            pair.push(timed_guest(
                (&initrd, opts.vm_timeout),
                &pair_share,
                &format!("run-{role}-{rep}.sh"),
                script,
                Some(role),
                &format!("bench-two-guests-{role}-{rep}"),
                &kernels[1].bzimage,
            )?);
        }
        let b = pair.pop().context("guest b")?;
        let a = pair.pop().context("guest a")?;
        let (a, b) = qemu::linked_pair(a, b)?;
        let phase = Phase::start(&format!(
            "bench: repetition {rep}/{}, two patched guests over -netdev dgram",
            opts.plan.reps
        ));
        warn_unclean(&qemu::run_all(&[a, b], opts.run)?);
        phase.done("done");
    }
    let guests = PhaseGuests {
        initrd: &initrd,
        timeout: opts.vm_timeout,
        kernels: &kernels,
        shares: &shares,
        run: opts.run,
    };
    if opts.plan.runs(plan::Phase::Scale) {
        guests.run(
            "scale",
            None,
            |k| opts.plan.scale_script(k),
            format!(
                "bench: scale, {:?} namespaces on one bridge, stock and patched guests",
                opts.plan.scale
            ),
        )?;
    }
    if opts.plan.runs(plan::Phase::Discovery) {
        // A thousand namespaces, each with its loopback, sysctl tables and
        // TIPC state, and the probes' forged nodes.
        guests.run(
            "discovery",
            Some(3072),
            |k| discovery::script(k, &opts.plan.discovery),
            format!(
                "bench: discovery at {:?} TIPC namespaces, first contact and periodic, stock and patched guests",
                opts.plan.discovery
            ),
        )?;
    }
    if opts.plan.runs(plan::Phase::Sendpath) {
        guests.run(
            "sendpath",
            None,
            |k| sendpath::script(k, &opts.plan.sizes),
            format!(
                "bench: sendpath, per-function instructions of a stream at {:?} bytes, stock and patched guests",
                opts.plan.sizes
            ),
        )?;
    }
    let mut dirs: Vec<(Flavour, PathBuf)> = [Flavour::Stock, Flavour::Patched]
        .into_iter()
        .zip(shares.iter().map(|s| s.join("results")))
        .collect();
    if reps > 0 {
        dirs.push((Flavour::Patched, pair_share.join("results")));
    }
    let mut figures = results::collect(&dirs)?;
    figures.scale = results::collect_scale(&dirs)?;
    if opts.plan.runs(plan::Phase::Discovery) {
        figures.discovery = Some(discovery::collect(&dirs[..2], &opts.plan.discovery));
    }
    if opts.plan.runs(plan::Phase::Sendpath) {
        match sendpath::collect(&dirs[..2], &opts.plan.sizes) {
            Ok(p) => figures.sendpath = Some(p),
            Err(e) => figures.errors.push(format!("sendpath: {e:#}")),
        }
    }
    if figures.throughput.is_empty()
        && figures.scale.is_empty()
        && figures.discovery.is_none()
        && figures.sendpath.is_none()
    {
        bail!(
            "no measurement came back; see the guest logs in {}",
            out.display()
        );
    }
    print!("{}", results::table(&figures, BENCH_NOTE));
    if let Some(d) = &figures.discovery {
        print!("{}", discovery::table(d));
    }
    if let Some(p) = &figures.sendpath {
        print!("{}", sendpath::table(p, &opts.plan.sizes));
    }
    let json = out.join("bench.json");
    cache::write_atomic(
        &json,
        &serde_json::to_vec_pretty(&BenchReport {
            tool: "tipc-verifier bench",
            accelerator_note: BENCH_NOTE,
            kernels: &kernels,
            plan: &opts.plan,
            figures: &figures,
        })?,
    )?;
    eprintln!("bench: report {}", json.display());
    if !figures.throughput.is_empty() {
        let svg = out.join("throughput.svg");
        std::fs::write(
            &svg,
            svg::plot(
                &figures,
                "QEMU TCG, -icount shift=0: compare lines, not absolute values",
            ),
        )?;
        eprintln!("bench: plot {}", svg.display());
    }
    if let Some(d) = &figures.discovery {
        let svg = out.join("discovery.svg");
        std::fs::write(
            &svg,
            svg::discovery_plot(
                d,
                "QEMU TCG, -icount shift=0: us are thousands of guest instructions",
            ),
        )?;
        eprintln!("bench: plot {}", svg.display());
    }
    Ok(out)
}
