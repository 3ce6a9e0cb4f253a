//! The `tipc-verifier` command line: parses arguments and calls the library.

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tipc_verifier::base::Base;
use tipc_verifier::kbuild::jobs_default;
use tipc_verifier::kernel_source::VersionPolicy;
use tipc_verifier::{cache, check, kbuild, project, qemu, review, series, setup, stress};

/// Build, boot and check the TIPC Rust crossover series.
///
/// The main job is `tipc-verifier check` (what `make check` runs): it
/// installs what is missing, fetches each kernel base's Debian source
/// package into the cache (7.3: linux-source-7.3 from trixie-backports;
/// 6.12: linux-source-6.12; the newest version the archive serves unless
/// --base-version pins one), builds the stock and patched kernels (cached
/// outside the checkout, keyed by their inputs), boots them in QEMU, drives
/// real TIPC traffic between network namespaces, captures the loopbacks and
/// the bearer, and proves from the captures which path every message took.
/// KTAP goes to stdout.
#[derive(Parser)]
#[command(name = "tipc-verifier", version, about, long_about, after_long_help = tipc_verifier::exit::HELP)]
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
    /// Debian packages (Debian's Rust 1.96 and LLVM 19, ccache, QEMU, guest
    /// tools) and a pinned bindgen-cli from crates.io into the cache's tools
    /// directory. Nothing present is reinstalled. The kernel source is not
    /// installed: each run fetches it into the cache.
    Setup {
        /// Only report; exit 1 if anything is missing or wrong.
        #[arg(long)]
        check: bool,
    },
    /// Build (or take from the cache) the kernels of one base.
    Build {
        /// Which kernels: stock, patched, debug, kcsan (default: stock and
        /// patched; debug and kcsan on 7.3 only).
        #[arg(value_enum)]
        flavours: Vec<kbuild::Flavour>,
        #[command(flatten)]
        base: BaseArgs,
        /// Parallel make jobs (default: the number of CPUs).
        #[arg(short, long)]
        jobs: Option<usize>,
    },
    /// The main job: build, boot, drive TIPC traffic, prove every path.
    ///
    /// Runs on both kernel bases by default. On 7.3 (the net-next series,
    /// patches/): every scenario on the stock and patched kernels, and the
    /// differential, and the series' KUnit suite on the debug kernel
    /// (scenario kunit). On 6.12 (the backport, patches-6.12/): veth_classes,
    /// crossover_toggle (patched kernels), forged_discovery, netns_recreate
    /// and kselftest on the stock and patched kernels, and the differential.
    /// On request (--kernel modules), on both bases: veth_classes,
    /// netns_recreate and module_cycle (50 x rmmod/modprobe under traffic)
    /// on the distribution build, TIPC as tipc.ko (7.3 with MODVERSIONS).
    ///
    /// Prints KTAP on stdout (a header comment per base with the package
    /// and exact version; one test per base, kernel and scenario, e.g.
    /// 7.3.patched.veth_rdm, one subtest per check; one differential per
    /// base), writes a JSON report and keeps guest scripts, consoles, agent
    /// results and captures in the output directory
    /// (<base>.<kernel>.<scenario>/); both paths are printed at the end.
    /// Exits non-zero if any check fails.
    Check(CheckArgs),
    /// Your own programs in TIPC namespaces, with a path verdict per socket.
    ///
    /// Boots a kernel (default: 7.3 patched), builds a topology of
    /// namespaces with TIPC bearers (veth, bridge:N, two-guests), runs each
    /// `--ns NS -- CMD [ARGS...]` in its namespace (receivers first),
    /// captures every lo and bearer, and says for every sending socket
    /// whether its data crossed over, used the bearer or stayed in its
    /// node. `--shell` gives an interactive shell in the topology instead.
    Run(tipc_verifier::user_run::RunArgs),
    /// Read TIPC messages from pcap/pcapng captures.
    #[command(subcommand)]
    Trace(TraceCmd),
    /// Lifetime, locking and degenerate-input bugs: the debug kernel under load.
    ///
    /// Builds (or takes from the cache) the `debug` kernel: the series with
    /// KASAN, lockdep (PROVE_LOCKING), PROVE_RCU, DEBUG_ATOMIC_SLEEP and
    /// fault injection, and boots it with kasan.fault=panic. In one guest,
    /// with TIPC traffic of every class over the crossover: namespaces whose
    /// set-up fails at each allocation in turn (fail-nth), before any TIPC
    /// namespace exists and under traffic; namespaces created, linked and
    /// deleted while a flood runs into them (the same node identity every
    /// cycle); bearers disabled and re-enabled and links reset by carrier
    /// loss; SEQPACKET and STREAM accept/connect storms; peers coming up
    /// while name distribution has nothing to send; forged discovery frames
    /// of four classes plus forged first contacts. Each phase has a
    /// watchdog. With --kernel kcsan the same phases run on the KCSAN kernel,
    /// where a data-race report fails the run only when it names TIPC code
    /// (others are counted). Passes when the console has no splat, no phase
    /// hung, every
    /// message the sender's send() accepted arrived intact (floods into a
    /// dying namespace are counted apart: errors expected), and every
    /// crossover the tipc_crossover_peer tracepoint reports is between two
    /// stress namespaces. Prints the counts, KTAP on stdout, and writes
    /// out/stress-<UTC time>/stress.json. The long form (default, `make
    /// stress`) takes about an hour under TCG on 2 cores; --short is the form
    /// `make test` runs (a few minutes). The debug kernel is built on base
    /// 7.3 only.
    Stress(StressArgs),
    /// Throughput and latency: Rust crossover, C crossover, bearer, TCP, two guests, node-internal, AF_UNIX.
    ///
    /// Boots the stock and the patched kernel side by side, once per
    /// repetition, and runs in each the same sequence of measurements with
    /// `tipc-agent sink`/`blast` (SOCK_STREAM, or TCP over the veth): every
    /// size, connection count and path (with two sockets of one namespace,
    /// TIPC's node-internal best, and AF_UNIX streams through a socket file
    /// as further yardsticks); then two patched guests joined by
    /// `-netdev dgram`. Then the scale phase: N namespaces on one bridge and
    /// the time until every pair is linked (and, with the series, has its
    /// crossover). The guests run under TCG with `-icount shift=0`, so their
    /// clocks count instructions: the figures repeat and do not depend on
    /// the host's load. Prints medians with min and max, round-trip times,
    /// the ratios (bench.json names: rust_vs_c, crossover_vs_bearer,
    /// crossover_vs_tcp, crossover_vs_two_guests, crossover_vs_node_internal,
    /// crossover_vs_unix), and the scale times; writes bench.json and
    /// throughput.svg.
    /// Quote ratios. Timed guests run with one vCPU under single-threaded
    /// TCG (-icount requires it), although the kernels are SMP.
    Bench(BenchArgs),
    /// Review the series the way netdev's CI does, patch by patch.
    ///
    /// On a fresh branch `review` of the cached base tree, applies each
    /// patch with `git am` and runs: checkpatch --strict --codespell with
    /// netdev's flags and ignore list; Signed-off-by from the author;
    /// Fixes: tags (form, commit, subject); NIPA's deprecated_api
    /// (get_net/put_net, dev_hold/dev_put, module_param), source_inline,
    /// header_inline and check_selftest, and a MAINTAINERS entry for every
    /// new file (get_maintainer.pl); scripts/kernel-doc -none on the
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
    /// Fetch (or find in the cache) a base's kernel source tarball; print its version and path.
    ///
    /// The Debian source package (linux-source-7.3 from trixie-backports,
    /// or linux-source-6.12) is fetched with private apt lists into the
    /// cache (sources/<package>_<version>/), never installed on the host.
    /// Prints `<package> <version> <tarball>`.
    Source(BaseArgs),
    /// Move a base's series between its directory (patches/, patches-6.12/) and a kernel git tree.
    #[command(subcommand)]
    Series(SeriesCmd),
}

/// One kernel base, and which version of its Debian source package.
#[derive(clap::Args, Clone)]
struct BaseArgs {
    /// Kernel base: 7.3 (the net-next series in patches/) or 6.12 (the
    /// backport in patches-6.12/).
    #[arg(long, value_enum, default_value = "7.3")]
    base: Base,
    /// Version of the base's source package: exact (6.12.117-1~deb12u1)
    /// or a prefix (6.12.117 for 6.12.117-*). Default: the newest the
    /// Debian archive serves. A pinned version already in the cache is used
    /// without network.
    #[arg(long, value_name = "V")]
    base_version: Option<String>,
}

impl BaseArgs {
    fn policy(&self) -> VersionPolicy {
        VersionPolicy::from_arg(self.base_version.as_deref())
    }

    fn context(&self, project: PathBuf, cache: PathBuf, jobs: usize) -> kbuild::BuildContext {
        kbuild::BuildContext::new(project, cache, jobs, self.base, self.policy())
    }
}

#[derive(clap::Args)]
struct ReviewArgs {
    /// Patch files or directories of *.patch (default: the base's series
    /// directory, patches/ or patches-6.12/).
    #[arg(value_name = "PATCH")]
    patches: Vec<PathBuf>,
    #[command(flatten)]
    base: BaseArgs,
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

/// Where the series is: a base, a tree, its branch, the commit it starts after.
#[derive(clap::Args)]
struct BranchArgs {
    #[command(flatten)]
    base: BaseArgs,
    /// Kernel git tree (default: the cached work tree of the base).
    #[arg(long, value_name = "DIR")]
    tree: Option<PathBuf>,
    /// Branch holding the series (default: BRANCH of the base's series.conf).
    #[arg(long)]
    branch: Option<String>,
    /// The commit the series starts after (default: tag `base`).
    #[arg(long, value_name = "COMMIT")]
    base_commit: Option<String>,
}

#[derive(Subcommand)]
enum SeriesCmd {
    /// Apply the base's series with git am on a new branch, naming the patch and hunk that fails.
    ///
    /// Without --tree: our cached kernel work tree of the base
    /// (trees/linux-<version>/<branch> in the cache), branch from the
    /// series' series.conf at the base; it is where you edit the series.
    /// With --tree: your own git kernel tree, branch created at its HEAD.
    /// Refuses a dirty tree, and a branch that already has commits unless
    /// --force.
    Apply {
        #[command(flatten)]
        base: BaseArgs,
        /// Your kernel git tree (default: the cached work tree).
        #[arg(long, value_name = "DIR")]
        tree: Option<PathBuf>,
        /// Branch to create (default: BRANCH of the base's series.conf).
        #[arg(long)]
        branch: Option<String>,
        /// Replace the branch even if it has commits.
        #[arg(long)]
        force: bool,
    },
    /// Copy the base's kernel-rust/ overlay into the tree, to commit it into a patch.
    Sync {
        #[command(flatten)]
        base: BaseArgs,
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
    /// Regenerate the base's series directory from the branch (git format-patch --cover-letter --signoff).
    ///
    /// Subject prefix and version from the series' series.conf (or
    /// --reroll-count), the cover letter's subject and text from its
    /// cover-letter.in, a Signed-off-by from your git identity. Then the
    /// base's kernel-rust/ overlay takes the branch's version of its files;
    /// if you edited one there and the branch does not have the edit,
    /// nothing is written and you are told to sync and commit it first.
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
    #[command(flatten)]
    base: BaseArgs,
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
    /// Kernel bases (repeatable; default: 7.3 and 6.12). 7.3 runs every
    /// scenario; 6.12 runs veth_classes, crossover_toggle, forged_discovery,
    /// netns_recreate and kselftest.
    #[arg(long = "base", value_enum)]
    bases: Vec<Base>,
    /// Version of the base's source package, exact (7.3.4-1~bpo13+1) or a
    /// prefix (7.3.4 for 7.3.4-*); only with exactly one --base. Default:
    /// the newest the Debian archive serves. A pinned version already in
    /// the cache is used without network.
    #[arg(long, value_name = "V")]
    base_version: Option<String>,
    /// Kernels to check (repeatable; default: stock, patched and patched-c,
    /// and on 7.3 the debug kernel for the kunit scenario only; with
    /// --quick, patched-c runs veth_classes only). A kernel named here runs
    /// every scenario it can: --kernel debug runs the patched scenarios on
    /// the debug kernel too; --kernel modules (not in the default) builds
    /// the distribution-style kernel with tipc.ko.
    #[arg(long = "kernel", value_enum)]
    kernels: Vec<kbuild::Flavour>,
    /// Scenarios to run (repeatable; default: all). See --list.
    #[arg(long = "scenario")]
    scenarios: Vec<String>,
    /// List the scenarios of each base and exit.
    #[arg(long)]
    list: bool,
    /// The subset `make test` runs: 7.3 in full (stock, patched, the
    /// differential); 6.12 builds and runs its patched kernel only. It
    /// saves the 6.12 stock kernel's build (about 6 minutes with ccache,
    /// more on an empty cache); `make check` runs everything.
    #[arg(long)]
    quick: bool,
    /// Output directory (default: out/check-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Accelerator: tcg (default) or kvm (falls back to TCG, saying why).
    #[arg(long, value_enum, default_value = "tcg")]
    accel: qemu::Accel,
    /// Print what would be fetched, the kernel build and the QEMU commands,
    /// without running anything (no network).
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
    #[command(flatten)]
    base: BaseArgs,
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
    /// The kernel: debug (KASAN, lockdep, fault injection) or kcsan (KCSAN
    /// and fault injection; data-race reports that name a TIPC function
    /// fail the run, others are counted).
    #[arg(long, value_enum, default_value = "debug")]
    kernel: kbuild::Flavour,
    /// Parallel make jobs for the kernel build (default: the number of CPUs).
    #[arg(short, long)]
    jobs: Option<usize>,
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Cmd::Setup { check } => {
            setup::ensure(&cache::cache_root()?, check, cli.verbose)?;
        }
        Cmd::Build {
            flavours,
            base,
            jobs,
        } => {
            let cache = cache::cache_root()?;
            let ctx = base.context(
                project::locate(cli.project.as_deref())?,
                cache.clone(),
                jobs.unwrap_or_else(jobs_default),
            );
            setup::ensure(&cache, false, cli.verbose)?;
            let flavours = if flavours.is_empty() {
                vec![kbuild::Flavour::Stock, kbuild::Flavour::Patched]
            } else {
                flavours
            };
            for f in flavours {
                let k = kbuild::ensure_kernel(&ctx, f)?;
                println!("{} {} {}", ctx.base, f.name(), k.bzimage.display());
            }
        }
        Cmd::Check(args) => {
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
                return Ok(ExitCode::SUCCESS);
            }
            let project = project::locate(cli.project.as_deref())?;
            let opts = check::CheckOptions {
                bases,
                bases_named,
                policy: VersionPolicy::from_arg(args.base_version.as_deref()),
                kernels_named: !args.kernels.is_empty(),
                kernels: if args.kernels.is_empty() {
                    vec![
                        kbuild::Flavour::Stock,
                        kbuild::Flavour::Patched,
                        kbuild::Flavour::PatchedC,
                        kbuild::Flavour::Debug,
                    ]
                } else {
                    args.kernels
                },
                scenarios: args.scenarios,
                quick: args.quick,
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
        Cmd::Run(args) => {
            let project = project::locate(cli.project.as_deref())?;
            tipc_verifier::user_run::run(&project, &args, cli.verbose)?;
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
                base: args.base.base,
                kernel: args.kernel,
                policy: args.base.policy(),
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
            if let Some(s) = rep.vm.failing_splats().next() {
                eprintln!("first splat ({}):\n{}", s.kind, s.excerpt);
            }
            eprintln!("report: {}", json.display());
            if !rep.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Cmd::Source(base) => {
            let ctx = base.context(PathBuf::new(), cache::cache_root()?, jobs_default());
            let src = ctx.source()?;
            println!("{} {}", src.label(), src.tarball.display());
        }
        Cmd::Trace(TraceCmd::Review(args)) => return Ok(tipc_verifier::trace_review::run(args)),
        Cmd::Bench(args) => {
            let project = project::locate(cli.project.as_deref())?;
            let opts = tipc_verifier::bench::BenchOptions {
                base: args.base.base,
                policy: args.base.policy(),
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
            let inputs = if args.patches.is_empty() {
                vec![args.base.base.series_dir(&project)]
            } else {
                args.patches
            };
            // The patches first: a wrong path fails before anything else.
            let patches = review::collect_patch_files(&inputs)?;
            setup::ensure(&cache, false, cli.verbose)?;
            let ctx = args.base.context(
                project.clone(),
                cache,
                args.jobs.unwrap_or_else(jobs_default),
            );
            let opts = review::ReviewOptions {
                patches,
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
            let project = project::locate(cli.project.as_deref())?;
            let base = match &cmd {
                SeriesCmd::Apply { base, .. } | SeriesCmd::Sync { base, .. } => base,
                SeriesCmd::Resign(at) | SeriesCmd::Export { at, .. } => &at.base,
            };
            let ctx = base.context(project, cache, jobs_default());
            match cmd {
                SeriesCmd::Apply {
                    base: _,
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
                SeriesCmd::Sync { base: _, tree } => {
                    let conf = series::read_conf(&ctx.project, ctx.base)?;
                    let t = series::resolve_tree(&ctx, tree.as_deref(), &conf.branch)?;
                    for f in series::sync(&ctx, &t)? {
                        println!("{}", f.display());
                    }
                }
                SeriesCmd::Resign(BranchArgs {
                    base: _,
                    tree,
                    branch,
                    base_commit,
                }) => {
                    let conf = series::read_conf(&ctx.project, ctx.base)?;
                    let branch = branch.unwrap_or(conf.branch);
                    let t = series::resolve_tree(&ctx, tree.as_deref(), &branch)?;
                    let since = base_commit.unwrap_or_else(|| "base".into());
                    println!("{}", series::resign(&t, &since, &branch)?);
                }
                SeriesCmd::Export {
                    at:
                        BranchArgs {
                            base: _,
                            tree,
                            branch,
                            base_commit,
                        },
                    version,
                } => {
                    let opts = series::ExportOptions {
                        tree,
                        branch,
                        base: base_commit,
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

/// Usage rules clap cannot state: `--base-version` names one base's
/// version, so `check` takes it only with exactly one `--base`.
fn validate(cli: &Cli) -> Result<(), clap::Error> {
    if let Cmd::Check(args) = &cli.command {
        let bases = unique(&args.bases);
        if args.base_version.is_some() && bases.len() != 1 {
            return Err(Cli::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "--base-version names the version of one base's package: give exactly one \
                     --base with it (got {})",
                    if bases.is_empty() {
                        "none: the default is both bases".to_string()
                    } else {
                        bases
                            .iter()
                            .map(|b| b.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            ));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = validate(&cli) {
        e.exit();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(tipc_verifier::exit::status_of(&e))
        }
    }
}
