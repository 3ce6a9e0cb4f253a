//! The `tipc-verifier` command line: parses arguments and calls the library.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tipc_verifier::base::BaseArgs;
use tipc_verifier::kbuild::jobs_default;
use tipc_verifier::{cache, check, kbuild, project, review, series, setup, stress};

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
        /// patched; kcsan on 7.3 only; 6.12's debug kernel has no KUnit).
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
    Check(check::Args),
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
    /// stress`) takes one to one and a half hours under TCG on 2 cores; --short is the form
    /// `make test` runs (a few minutes). The kcsan kernel is built on base
    /// 7.3 only; the debug kernel on both (--base 6.12 for the backport).
    /// --series DIR stresses another version of the series (v1, say) on the
    /// same kernel configuration; --fault-rounds 0 leaves the failed
    /// namespace set-ups out.
    Stress(stress::Args),
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
    Bench(tipc_verifier::bench::Args),
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
    Review(review::Args),
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
        Cmd::Check(args) => check::command(cli.project.as_deref(), args, cli.verbose)?,
        Cmd::Run(args) => {
            let project = project::locate(cli.project.as_deref())?;
            tipc_verifier::user_run::run(&project, &args, cli.verbose)?;
        }
        Cmd::Stress(args) => stress::command(cli.project.as_deref(), args, cli.verbose)?,
        Cmd::Source(base) => {
            let ctx = base.context(PathBuf::new(), cache::cache_root()?, jobs_default());
            let src = ctx.source()?;
            println!("{} {}", src.label(), src.tarball.display());
        }
        Cmd::Trace(TraceCmd::Review(args)) => return Ok(tipc_verifier::trace_review::run(args)),
        Cmd::Bench(args) => {
            tipc_verifier::bench::command(cli.project.as_deref(), args, cli.verbose)?
        }
        Cmd::Review(args) => review::command(cli.project.as_deref(), args, cli.verbose)?,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(tipc_verifier::exit::status_of(&e))
        }
    }
}
