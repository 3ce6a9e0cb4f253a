//! The `tipc-verifier` command line: parses arguments and calls the library.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tipc_verifier::{cache, check, kbuild, project, qemu, review, scenario, series, setup, stress};

/// Build, boot and check the TIPC Rust crossover series.
///
/// The main job is `tipc-verifier check` (what `make check` runs): it
/// installs what is missing, builds the stock and patched kernels from
/// Debian's linux-source-6.12 (cached outside the checkout, keyed by their
/// inputs), boots them in QEMU, drives real TIPC traffic between network
/// namespaces, captures the loopbacks and the bearer, and proves from the
/// captures which path every message took. KTAP goes to stdout.
#[derive(Parser)]
#[command(name = "tipc-verifier", version, about, long_about)]
struct Cli {
    /// Project checkout (default: found from the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Show more: every requirement, the guest console while it runs.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check host requirements and install what is missing (root).
    ///
    /// Debian packages (kernel source, Debian's Rust 1.96 and LLVM 19, QEMU,
    /// guest tools) and a pinned bindgen-cli from crates.io into the cache's
    /// tools directory. Nothing present is reinstalled.
    Setup {
        /// Only report; exit 1 if anything is missing or wrong.
        #[arg(long)]
        check: bool,
    },
    /// Build (or take from the cache) the kernels.
    Build {
        /// Which kernels: stock, patched, debug (default: stock and patched).
        #[arg(value_enum)]
        flavours: Vec<kbuild::Flavour>,
        /// Parallel make jobs (default: the number of CPUs).
        #[arg(short, long)]
        jobs: Option<usize>,
    },
    /// The main job: build, boot, drive TIPC traffic, prove every path.
    ///
    /// Prints KTAP on stdout (one test per kernel and scenario, one subtest
    /// per check), writes a JSON report and keeps guest scripts, consoles,
    /// agent results and captures in the output directory; both paths are
    /// printed at the end. Exits non-zero if any check fails.
    Check(CheckArgs),
    /// Read TIPC messages from pcap/pcapng captures.
    #[command(subcommand)]
    Trace(TraceCmd),
    /// Lifetime, locking and degenerate-input bugs: the debug kernel under load.
    ///
    /// Builds (or takes from the cache) the `debug` kernel: the series with
    /// KASAN, lockdep (PROVE_LOCKING), PROVE_RCU and DEBUG_ATOMIC_SLEEP, and
    /// boots it with kasan.fault=panic. In one guest, with TIPC traffic of
    /// every class over the crossover: namespaces created, linked and
    /// deleted while a flood runs into them (the same node identity every
    /// cycle); bearers disabled and re-enabled and links reset by carrier
    /// loss; SEQPACKET and STREAM accept/connect storms; peers coming up
    /// while name distribution has nothing to send; forged discovery frames
    /// of four classes plus forged first contacts. Each phase has a
    /// watchdog. Passes when the console has no splat, no phase hung, every
    /// message the sender's send() accepted arrived intact (floods into a
    /// dying namespace are counted apart: errors expected), and every
    /// crossover the tipc_crossover_peer tracepoint reports is between two
    /// stress namespaces. Prints the counts, KTAP on stdout, and writes
    /// out/stress-<UTC time>/stress.json. The long form (default, `make
    /// stress`) takes about an hour under TCG on 2 cores; --short is the form
    /// `make test` runs (a few minutes).
    Stress(StressArgs),
    /// Throughput and latency: Rust crossover, C crossover, bearer, TCP, two guests.
    ///
    /// Boots the stock and the patched kernel side by side, once per
    /// repetition, and runs in each the same sequence of measurements with
    /// `tipc-agent sink`/`blast` (SOCK_STREAM, or TCP over the veth): every
    /// size, connection count and path; then two patched guests joined by
    /// `-netdev dgram`. Then the scale phase: N namespaces on one bridge and
    /// the time until every pair is linked (and, with the series, has its
    /// crossover). The guests run under TCG with `-icount shift=0`, so their
    /// clocks count instructions: the figures repeat and do not depend on
    /// the host's load. Prints medians with min and max, round-trip times,
    /// the ratios Rust/C, crossover/bearer, crossover/TCP and crossover/two
    /// guests, and the scale times; writes bench.json and throughput.svg.
    /// Quote ratios.
    Bench(BenchArgs),
    /// Review the series the way netdev's CI does, patch by patch.
    ///
    /// On a fresh branch `review` of the cached base tree, applies each
    /// patch with `git am` and runs: checkpatch --strict --codespell with
    /// netdev's flags and ignore list; Signed-off-by from the author;
    /// Fixes: tags (form, commit, subject); scripts/kernel-doc -none on the
    /// touched C files before and after (warnings must not grow); rustfmt
    /// --check on touched .rs files; an incremental `make W=1 vmlinux` with
    /// the series' options (vm/kconfig/patched.config) on, failing on any
    /// warning the base did not have; clippy (CLIPPY=1) where .rs files
    /// changed; and the build again with the options off. The series: a
    /// cover letter, one `[PATCH net-next vN M/K]` prefix, numbering
    /// without gaps, at most 15 patches, Fixes: on patches for net.
    ///
    /// The first run builds the base once with W=1 (about 8 minutes on 2
    /// cores); then each patch is an incremental build. Prints a table
    /// (patch × check: pass, warn, FAIL, `-` for not applicable) and every
    /// finding with its log; --json prints the same as JSON. Exits 1 if any
    /// check fails.
    Review(ReviewArgs),
    /// Move the series between patches/ and a kernel git tree.
    #[command(subcommand)]
    Series(SeriesCmd),
}

#[derive(clap::Args)]
struct ReviewArgs {
    /// Patch files or directories of *.patch (default: the project's patches/).
    #[arg(value_name = "PATCH")]
    patches: Vec<PathBuf>,
    /// Run only these checks (comma-separated; `apply` always runs).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<tipc_verifier::review::Check>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Directory for the tools' logs (default: out/review-<UTC time>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Parallel make jobs (default: the number of CPUs).
    #[arg(short, long)]
    jobs: Option<usize>,
}

/// Where the series is: a tree, its branch, the commit it starts after.
#[derive(clap::Args)]
struct BranchArgs {
    /// Kernel git tree (default: the cached work tree).
    #[arg(long, value_name = "DIR")]
    tree: Option<PathBuf>,
    /// Branch holding the series (default: BRANCH of patches/series.conf).
    #[arg(long)]
    branch: Option<String>,
    /// The commit the series starts after (default: tag `base`).
    #[arg(long)]
    base: Option<String>,
}

#[derive(Subcommand)]
enum SeriesCmd {
    /// Apply patches/ with git am on a new branch, naming the patch and hunk that fails.
    ///
    /// Without --tree: our cached kernel work tree (trees/<base>/<branch>
    /// in the cache), branch from patches/series.conf at the base; it is
    /// where you edit the series. With --tree: your own git kernel tree,
    /// branch created at its HEAD. Refuses a dirty tree, and a branch that
    /// already has commits unless --force.
    Apply {
        /// Your kernel git tree (default: the cached work tree).
        #[arg(long, value_name = "DIR")]
        tree: Option<PathBuf>,
        /// Branch to create (default: BRANCH of patches/series.conf).
        #[arg(long)]
        branch: Option<String>,
        /// Replace the branch even if it has commits.
        #[arg(long)]
        force: bool,
    },
    /// Copy kernel-rust/'s sources into the tree, to commit them into a patch.
    Sync {
        /// Kernel git tree (default: the cached work tree).
        #[arg(long, value_name = "DIR")]
        tree: Option<PathBuf>,
    },
    /// Make your git identity the author and signer of every patch on the branch.
    ///
    /// Rewrites base..branch with git rebase: author reset to the tree's
    /// git identity, the old author's Signed-off-by dropped, yours added
    /// last. Run export afterwards.
    Resign(BranchArgs),
    /// Regenerate patches/ from the branch (git format-patch --cover-letter --signoff).
    ///
    /// Subject prefix and version from patches/series.conf (or --reroll-count), the
    /// cover letter's subject and text from patches/cover-letter.in, a
    /// Signed-off-by from your git identity. Then kernel-rust/ takes the
    /// branch's version of its files; if you edited one there and the
    /// branch does not have the edit, nothing is written and you are told
    /// to sync and commit it first.
    Export {
        #[command(flatten)]
        at: BranchArgs,
        /// Posting version: [PATCH net-next vN M/K].
        #[arg(long = "reroll-count", value_name = "N")]
        version: Option<u32>,
    },
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Message sizes in bytes.
    #[arg(long, value_delimiter = ',', default_value = "64,1024,16384,65536")]
    sizes: Vec<usize>,
    /// Connection counts.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    conns: Vec<u32>,
    /// Repetitions.
    #[arg(long, default_value_t = 5)]
    reps: u32,
    /// Namespace counts of the scale phase (0: skip it).
    #[arg(long, value_delimiter = ',', default_value = "8,32,64")]
    scale: Vec<u32>,
    /// Output directory (default: out/bench-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Seconds the guests may run.
    #[arg(long, default_value_t = 1800, value_name = "SECS")]
    timeout: u64,
}

#[derive(Subcommand)]
enum TraceCmd {
    Review(tipc_verifier::trace_review::ReviewArgs),
    /// Time `trace review` against tshark on one large capture, side by side.
    ///
    /// Builds a capture of --frames frames by repeating the frames of real
    /// captures, then times rounds of `tipc-verifier trace review FILE` and
    /// `tshark -r FILE -T fields -e tipc.usr` (output discarded), alternating
    /// which goes first, and prints the medians and their ratio.
    Bench(tipc_verifier::trace_bench::BenchArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Kernels to check (repeatable; default: stock and patched).
    #[arg(long = "kernel", value_enum)]
    kernels: Vec<kbuild::Flavour>,
    /// Scenarios to run (repeatable; default: all). See --list.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Output directory (default: out/check-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Accelerator: tcg (default) or kvm (falls back to TCG, saying why).
    #[arg(long, value_enum, default_value = "tcg")]
    accel: qemu::Accel,
    /// Print the kernel build and QEMU commands without running anything.
    #[arg(long)]
    dry_run: bool,
    /// Seconds one guest may run before it counts as hung.
    #[arg(long, default_value_t = 240, value_name = "SECS")]
    timeout: u64,
    /// Parallel make jobs (default: the number of CPUs).
    #[arg(short, long)]
    jobs: Option<usize>,
}

#[derive(clap::Args)]
struct StressArgs {
    /// Namespace create/link/delete cycles (default: 500, or 6 with --short).
    #[arg(long, value_name = "N")]
    cycles: Option<u32>,
    /// The short form (`make test`): every phase, a few rounds of each.
    #[arg(long)]
    short: bool,
    /// Output directory (default: out/stress-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Guest memory in MiB (KASAN's shadow and quarantine need room).
    #[arg(long, default_value_t = 2048, value_name = "MIB")]
    memory: u32,
    /// Parallel make jobs for the kernel build (default: the number of CPUs).
    #[arg(short, long)]
    jobs: Option<usize>,
}

fn jobs_default() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Cmd::Setup { check } => {
            setup::ensure(&cache::cache_root()?, check, cli.verbose)?;
        }
        Cmd::Build { flavours, jobs } => {
            let cache = cache::cache_root()?;
            let ctx = kbuild::BuildContext {
                project: project::locate(cli.project.as_deref())?,
                cache: cache.clone(),
                jobs: jobs.unwrap_or_else(jobs_default),
            };
            setup::ensure(&cache, false, cli.verbose)?;
            let flavours = if flavours.is_empty() {
                vec![kbuild::Flavour::Stock, kbuild::Flavour::Patched]
            } else {
                flavours
            };
            for f in flavours {
                let k = kbuild::ensure_kernel(&ctx, f)?;
                println!("{} {}", f.name(), k.bzimage.display());
            }
        }
        Cmd::Check(args) => {
            if args.list {
                for s in scenario::catalogue() {
                    println!("{:<16} {}", s.name, s.description);
                }
                return Ok(ExitCode::SUCCESS);
            }
            let project = project::locate(cli.project.as_deref())?;
            let opts = check::CheckOptions {
                kernels: if args.kernels.is_empty() {
                    vec![kbuild::Flavour::Stock, kbuild::Flavour::Patched]
                } else {
                    args.kernels
                },
                scenarios: args.scenarios,
                out: args.out,
                run: qemu::RunOptions {
                    accel: args.accel,
                    verbose: cli.verbose,
                },
                dry_run: args.dry_run,
                jobs: args.jobs.unwrap_or_else(jobs_default),
                vm_timeout: Duration::from_secs(args.timeout),
            };
            if let Some((rep, json)) = check::run(&project, &opts)? {
                check::finish(&rep, &json)?;
            }
        }
        Cmd::Stress(args) => {
            let project = project::locate(cli.project.as_deref())?;
            let mut plan = if args.short {
                stress::plan::Plan::short()
            } else {
                stress::plan::Plan::long(500)
            };
            if let Some(n) = args.cycles {
                plan.cycles = n;
            }
            let opts = stress::StressOptions {
                plan,
                out: args.out,
                run: qemu::RunOptions {
                    accel: qemu::Accel::Tcg,
                    verbose: cli.verbose,
                },
                jobs: args.jobs.unwrap_or_else(jobs_default),
                memory_mb: args.memory,
            };
            let (rep, json) = stress::run(&project, &opts)?;
            eprint!("{}", stress::table(&rep));
            print!("{}", stress::ktap(&rep));
            for c in rep.checks.iter().filter(|c| !c.ok) {
                eprintln!("FAIL stress {}: {}", c.name, c.detail);
            }
            if let Some(s) = rep.vm.splats.first() {
                eprintln!("first splat ({}):\n{}", s.kind, s.excerpt);
            }
            eprintln!("report: {}", json.display());
            if !rep.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Cmd::Trace(TraceCmd::Review(args)) => return Ok(tipc_verifier::trace_review::run(args)),
        Cmd::Bench(args) => {
            let project = project::locate(cli.project.as_deref())?;
            let opts = tipc_verifier::bench::BenchOptions {
                plan: tipc_verifier::bench::plan::Plan {
                    sizes: args.sizes,
                    conns: args.conns,
                    reps: args.reps,
                    scale: args.scale.into_iter().filter(|n| *n >= 2).collect(),
                    ..Default::default()
                },
                out: args.out,
                run: qemu::RunOptions {
                    accel: qemu::Accel::Tcg,
                    verbose: cli.verbose,
                },
                jobs: jobs_default(),
                vm_timeout: Duration::from_secs(args.timeout),
            };
            tipc_verifier::bench::run(&project, &opts)?;
        }
        Cmd::Review(args) => {
            let project = project::locate(cli.project.as_deref())?;
            let cache = cache::cache_root()?;
            setup::ensure(&cache, false, cli.verbose)?;
            let ctx = kbuild::BuildContext {
                project: project.clone(),
                cache,
                jobs: args.jobs.unwrap_or_else(jobs_default),
            };
            let inputs = if args.patches.is_empty() {
                vec![project.join("patches")]
            } else {
                args.patches
            };
            let opts = review::ReviewOptions {
                patches: review::collect_patch_files(&inputs)?,
                only: args.only,
                out: args.out.unwrap_or_else(|| {
                    project
                        .join("out")
                        .join(format!("review-{}", check::stamp()))
                }),
            };
            let result = review::run(&ctx, &opts)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else {
                print!("{}", review::report::table(&result));
            }
            std::fs::write(
                opts.out.join("review.json"),
                serde_json::to_vec_pretty(&result)?,
            )?;
            if result.worst() == review::outcome::Status::Fail {
                return Ok(ExitCode::FAILURE);
            }
        }
        Cmd::Series(cmd) => {
            let cache = cache::cache_root()?;
            let ctx = kbuild::BuildContext {
                project: project::locate(cli.project.as_deref())?,
                cache,
                jobs: jobs_default(),
            };
            match cmd {
                SeriesCmd::Apply {
                    tree,
                    branch,
                    force,
                } => {
                    let t = series::apply(
                        &ctx,
                        &series::ApplyOptions {
                            tree,
                            branch,
                            force,
                        },
                    )?;
                    println!("{}", t.display());
                }
                SeriesCmd::Sync { tree } => {
                    let conf = series::read_conf(&ctx.project)?;
                    let t = series::resolve_tree(&ctx, tree.as_deref(), &conf.branch)?;
                    for f in series::sync(&ctx, &t)? {
                        println!("{}", f.display());
                    }
                }
                SeriesCmd::Resign(BranchArgs { tree, branch, base }) => {
                    let conf = series::read_conf(&ctx.project)?;
                    let branch = branch.unwrap_or(conf.branch);
                    let t = series::resolve_tree(&ctx, tree.as_deref(), &branch)?;
                    let base = base.unwrap_or_else(|| "base".into());
                    println!("{}", series::resign(&t, &base, &branch)?);
                }
                SeriesCmd::Export {
                    at: BranchArgs { tree, branch, base },
                    version,
                } => {
                    let opts = series::ExportOptions {
                        tree,
                        branch,
                        base,
                        version,
                    };
                    for f in series::export(&ctx, &opts)? {
                        println!("{}", f.display());
                    }
                }
            }
        }
        Cmd::Trace(TraceCmd::Bench(args)) => {
            let res = tipc_verifier::trace_bench::run(&args, cli.project.as_deref())?;
            tipc_verifier::trace_bench::print(&res, args.json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
