//! `tipc-verifier stress`: a sanitizer kernel (debug: KASAN, lockdep,
//! PROVE_RCU, DEBUG_ATOMIC_SLEEP, fault injection; or kcsan: KCSAN, fault
//! injection) under failed namespace set-ups,
//! namespace churn, bearer and link churn, connection storms, peers with
//! nothing to distribute and forged discovery frames, with traffic of every
//! class over the crossover.
//!
//! - `plan`: how much each phase does, its watchdog, the guest script;
//! - `facts`: the guest's fact file (phase ends, counters, failures,
//!   namespaces);
//! - `tally`: the agents' results, paired and counted;
//! - `judge`: the checks and the counts;
//! - this file: build, boot, collect, print, write `stress.json`.

pub mod facts;
pub mod judge;
pub mod phases;
pub mod plan;
pub mod tally;

use crate::base::{Base, BaseArgs};
use crate::check::{stamp, vm_spec};
use crate::exit::ChecksFailed;
use crate::kbuild::{self, BuildContext, Flavour};
use crate::kernel_source::VersionPolicy;
use crate::progress::Phase;
use crate::qemu::{self, RunOptions, VmOutcome};
use crate::scenario::crossover_events::{self, CrossoverEvent};
use crate::scenario::Check;
use crate::{cache, session};
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use judge::{GuestEnd, Summary};
use plan::Plan;

/// What to run.
pub struct StressOptions {
    /// The base: kcsan is built on 7.3 only.
    pub base: Base,
    /// The kernel: [`Flavour::Debug`] or [`Flavour::Kcsan`].
    pub kernel: Flavour,
    pub policy: VersionPolicy,
    /// A series directory instead of the base's (`--series`).
    pub series: Option<PathBuf>,
    pub plan: Plan,
    pub out: Option<PathBuf>,
    pub run: RunOptions,
    pub jobs: usize,
    pub memory_mb: u32,
}

/// The JSON record of a run (`stress.json`).
#[derive(Debug, Serialize)]
pub struct StressReport {
    pub tool: &'static str,
    pub kernel: kbuild::BuiltKernel,
    /// The series directory given with `--series`; none for the base's
    /// own series.
    pub series: Option<PathBuf>,
    pub plan: Plan,
    pub ok: bool,
    pub summary: Summary,
    pub checks: Vec<Check>,
    pub failures: Vec<(String, String)>,
    pub vm: VmOutcome,
    pub wall_seconds: f64,
}

#[derive(clap::Args)]
/// `tipc-verifier stress`'s arguments (see `--help`).
pub struct Args {
    #[command(flatten)]
    pub base: BaseArgs,
    /// Namespace create/link/delete cycles (default: 500, or 6 with --short).
    #[arg(long, value_name = "N")]
    pub cycles: Option<u32>,
    /// The short form (`make test`): every phase, a few rounds of each.
    #[arg(long)]
    pub short: bool,
    /// Sweeps of failed namespace set-ups in each fault phase (default: 3,
    /// or 1 with --short); 0 leaves them out, for a kernel that oopses at
    /// the first one (v1) and still has the other phases to show.
    #[arg(long, value_name = "N")]
    pub fault_rounds: Option<u32>,
    /// Output directory (default: out/stress-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Guest memory in MiB (KASAN's shadow and quarantine need room).
    #[arg(long, default_value_t = 2048, value_name = "MIB")]
    pub memory: u32,
    /// The kernel: debug (KASAN, lockdep, fault injection) or kcsan (KCSAN
    /// and fault injection; data-race reports that name a TIPC function
    /// fail the run, others are counted).
    #[arg(long, value_enum, default_value = "debug")]
    pub kernel: Flavour,
    /// Parallel make jobs for the kernel build (default: the number of CPUs).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Build the kernel from the patches in DIR (git format-patch output;
    /// a cover letter is skipped) instead of the base's series, without
    /// the kernel-rust/ overlay: to stress an earlier version of the
    /// series (v1 on 6.12, for example) on the same kernel configuration.
    /// On 7.3 the debug kernel's KUnit option needs the series' KUnit
    /// patch.
    #[arg(long, value_name = "DIR")]
    pub series: Option<PathBuf>,
}

/// Runs `tipc-verifier stress`: the table on stderr, KTAP on stdout; an
/// error when a check failed.
pub fn command(project: Option<&Path>, args: Args, verbose: bool) -> Result<()> {
    let project = crate::project::locate(project)?;
    let mut plan = if args.short {
        plan::Plan::short()
    } else {
        plan::Plan::long(500)
    };
    if let Some(n) = args.cycles {
        plan.cycles = n;
    }
    if let Some(n) = args.fault_rounds {
        plan.fault_rounds = n;
    }
    let opts = StressOptions {
        base: args.base.base,
        kernel: args.kernel,
        policy: args.base.policy(),
        series: match args.series {
            Some(dir) => Some(dir.canonicalize().map_err(|e| {
                crate::exit::UsageError(format!("--series {}: {e}", dir.display()))
            })?),
            None => None,
        },
        plan,
        out: args.out,
        run: qemu::RunOptions {
            accel: qemu::Accel::Tcg,
            verbose,
        },
        jobs: args.jobs.unwrap_or_else(kbuild::jobs_default),
        memory_mb: args.memory,
    };
    let (rep, json) = run(&project, &opts)?;
    eprint!("{}", table(&rep));
    print!("{}", ktap(&rep));
    for c in rep.checks.iter().filter(|c| !c.ok) {
        eprintln!("FAIL stress {}: {}", c.name, c.detail);
    }
    if let Some(s) = rep.vm.failing_splats().next() {
        eprintln!("first splat ({}):\n{}", s.kind, s.excerpt);
    }
    eprintln!("report: {}", json.display());
    if !rep.ok {
        let failed = rep.checks.iter().filter(|c| !c.ok).count();
        return Err(ChecksFailed(format!("{failed} stress check(s) failed")).into());
    }
    Ok(())
}

/// Runs the stress test; returns the report and where it was written.
pub fn run(project: &Path, opts: &StressOptions) -> Result<(StressReport, PathBuf)> {
    let started = std::time::Instant::now();
    if !opts.kernel.is_sanitizer() {
        return Err(crate::exit::UsageError(format!(
            "stress runs a sanitizer kernel (debug or kcsan), not {}",
            opts.kernel.name()
        ))
        .into());
    }
    if !opts.base.builds(opts.kernel) {
        return Err(crate::exit::UsageError(format!(
            "stress runs the {} kernel, which is built on base {} only (not {})",
            opts.kernel.name(),
            Base::PRIMARY,
            opts.base
        ))
        .into());
    }
    let cache_root = cache::cache_root()?;
    let ctx = BuildContext::new(
        project.to_path_buf(),
        cache_root.clone(),
        opts.jobs,
        opts.base,
        opts.policy.clone(),
    )
    .with_series_dir(opts.series.clone());
    // A bad --series is the user's mistake: say so before anything runs.
    ctx.series()
        .map_err(|e| crate::exit::UsageError(format!("{e:#}")))?;
    let initrd = session::prepare(project, &cache_root, &[&ctx])?.initrd;
    let kernel = kbuild::ensure_kernel(&ctx, opts.kernel)?;
    let out = match &opts.out {
        Some(o) => o.clone(),
        None => project.join("out").join(format!("stress-{}", stamp())),
    };
    let share = out.join("guest");
    std::fs::create_dir_all(share.join("results"))
        .with_context(|| format!("creating {}", share.display()))?;
    std::fs::write(share.join("run.sh"), opts.plan.script())
        .with_context(|| format!("writing {}/run.sh", share.display()))?;
    let mut spec = vm_spec(
        "stress",
        &kernel.bzimage,
        &initrd,
        &share,
        opts.plan.vm_timeout(),
    );
    spec.memory_mb = opts.memory_mb;
    spec.extra_append = opts.kernel.boot_args().to_string();
    let phase = Phase::start(&format!(
        "stress: {} kernel ({} {}) under TCG, {} namespace cycles (QEMU timeout {} s)",
        opts.kernel.name(),
        kernel.package,
        kernel.base_version,
        opts.plan.cycles,
        opts.plan.vm_timeout().as_secs()
    ));
    let vm = qemu::run_one(&spec, opts.run)?;
    phase.done("guest ended");
    let results = share.join("results");
    let facts = read_facts(&results.join("stress.txt"))?;
    let tally = tally::read(&results)?;
    let (events, unreadable) = read_trace(&results.join("crossover-trace.txt"));
    let guest = GuestEnd {
        end_status: vm.end_status,
        timed_out: vm.timed_out,
        splats: vm
            .failing_splats()
            .map(|s| (s.kind.to_string(), s.line_number))
            .collect(),
        races_elsewhere: vm.races_elsewhere() as u64,
    };
    let (mut checks, summary) = judge::judge(&opts.plan, &guest, &facts, &tally, &events);
    checks.extend(unreadable);
    let report = StressReport {
        tool: "tipc-verifier stress",
        kernel,
        series: opts.series.clone(),
        plan: opts.plan.clone(),
        ok: checks.iter().all(|c| c.ok),
        summary,
        checks,
        failures: facts.failures.clone(),
        vm,
        wall_seconds: started.elapsed().as_secs_f64(),
    };
    let json = out.join("stress.json");
    cache::write_atomic(&json, &serde_json::to_vec_pretty(&report)?)?;
    Ok((report, json))
}

fn read_facts(path: &Path) -> Result<facts::Facts> {
    match std::fs::read_to_string(path) {
        Ok(text) => facts::parse(&text),
        // The guest died before writing anything: every check says so.
        Err(_) => Ok(facts::Facts::default()),
    }
}

/// The guest's crossover trace. One the judge cannot read (another
/// series' tracepoint format, v1's for one) fails the check this returns
/// instead of the whole run, whose other results are still judged and kept.
pub fn read_trace(path: &Path) -> (Vec<CrossoverEvent>, Option<Check>) {
    match read_events(path) {
        Ok(events) => (events, None),
        Err(e) => (
            Vec::new(),
            Some(Check {
                name: "crossover_trace_readable".into(),
                ok: false,
                detail: format!("{}: {e:#}", path.display()),
            }),
        ),
    }
}

fn read_events(path: &Path) -> Result<Vec<CrossoverEvent>> {
    match std::fs::read_to_string(path) {
        Ok(text) => crossover_events::parse_trace(&text),
        Err(_) => Ok(Vec::new()),
    }
}

/// The counts as a table.
pub fn table(r: &StressReport) -> String {
    let s = &r.summary;
    let t = &s.totals;
    let mut out = String::new();
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "  {k:<48} {v}");
    };
    row(
        "namespace cycles run",
        format!("{} of {}", s.cycles_run, r.plan.cycles),
    );
    row("bearer/link churn rounds", s.churn_rounds.to_string());
    row("empty-name-table rounds", s.empty_rounds.to_string());
    row("verified exchanges", t.exchanges.to_string());
    row(
        "messages sent (send() said so)",
        t.messages_sent.to_string(),
    );
    row(
        "messages received intact",
        t.messages_received_intact.to_string(),
    );
    row("messages lost or corrupted", t.messages_lost.to_string());
    for (class, (sent, ok)) in &t.by_class {
        row(
            &format!("  {class}: sent / intact"),
            format!("{sent} / {ok}"),
        );
    }
    row(
        "floods into dying namespaces (errors expected)",
        format!("{} floods, {} messages", t.floods, t.flood_messages),
    );
    row(
        "storm connections echoed intact",
        format!("{} of {}", t.storm_connections_intact, t.storm_connections),
    );
    row("frames forged", t.frames_forged.to_string());
    row("crossovers opened", s.crossovers.opened.to_string());
    row(
        "crossovers wrongly opened (must be 0)",
        s.crossovers.wrong.to_string(),
    );
    row("splats (must be 0)", s.splats.to_string());
    if s.races_elsewhere > 0 {
        row(
            "KCSAN reports outside net/tipc (not failing)",
            s.races_elsewhere.to_string(),
        );
    }
    for (p, secs) in &s.phase_seconds {
        row(&format!("phase {p} (guest seconds)"), format!("{secs:.0}"));
    }
    row("wall time", format!("{:.0} s", r.wall_seconds));
    out
}

/// KTAP: one test, a subtest per check.
pub fn ktap(r: &StressReport) -> String {
    let series = match &r.series {
        Some(dir) => format!("series {}", dir.display()),
        None => format!("series {}", r.kernel.base.series_dir_name()),
    };
    crate::ktap::Document {
        comments: vec![format!(
            "base {}: {} {}, {} kernel, {series}, {} cycles, {} failed-set-up sweep(s) per fault phase",
            r.kernel.base,
            r.kernel.package,
            r.kernel.base_version,
            r.kernel.flavour.name(),
            r.plan.cycles,
            r.plan.fault_rounds
        )],
        tests: vec![crate::ktap::Test {
            name: format!("{}.stress", r.kernel.flavour.name()),
            ok: r.ok,
            subtests: r
                .checks
                .iter()
                .map(|c| crate::ktap::Subtest::new(&c.name, c.ok, &c.detail))
                .collect(),
        }],
        summary: false,
    }
    .render()
}
