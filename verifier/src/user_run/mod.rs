//! `tipc-verifier run`: the user's own programs in TIPC namespaces of a
//! kernel the project builds, with a verdict on every sending socket's path.
//!
//! - `args`: the command line and the user's `--ns NS -- CMD` groups;
//! - `script`: the guest script (topology, captures, commands or a shell);
//! - `sockets`: each sending socket's path, from the captures.
//!
//! The kernel, the guest image and the guests come from the same places as
//! for `check` (`kbuild`, `guest_image`, `check::topology_specs`, `qemu`);
//! the captures are read by `scenario::count_capture`, so a socket's data is
//! attributed exactly as in the scenarios.

pub mod args;
pub mod script;
pub mod sockets;

pub use args::{NsCommand, RunArgs};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use tipc_wire::verdict::ExpectedPath;

use crate::exit::{ChecksFailed, UsageError};
use crate::kbuild::{self, BuildContext, BuiltKernel};
use crate::kernel_source::VersionPolicy;
use crate::qemu::{self, RunOptions, VmOutcome};
use crate::report::{self, BaseId, BaseReport, ScenarioRun};
use crate::scenario::{self, CaptureCounts, Check};
use crate::{cache, check, progress, session};
use script::Work;
use sockets::{CaptureSite, SocketPaths};

/// Seconds for boot, the bearers, and for stopping the captures, on top of
/// the commands' own time and each namespace's wait for its links.
const GUEST_MARGIN: u64 = 180;
/// The file that marks a directory as the output of an earlier run, which a
/// new run may clear.
const OUT_MARK: &str = ".tipc-verifier-run";
/// How long a `--shell` guest may stay up.
const SHELL_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// One of the user's commands after the run.
#[derive(Debug, Clone, Serialize)]
pub struct CommandResult {
    pub ns: String,
    pub argv: Vec<String>,
    /// Its exit status (137: killed at `--timeout`); `None` if it never
    /// ended (the guest did not get that far).
    pub rc: Option<i32>,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

/// What `run.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub accelerator_note: &'static str,
    #[serde(flatten)]
    pub base: BaseId,
    pub kernel: String,
    pub topology: String,
    pub expect: Option<ExpectedPath>,
    pub commands: Vec<CommandResult>,
    /// Every check, as the KTAP lists them.
    pub checks: Vec<Check>,
    /// Every sending socket seen, with its verdict.
    pub sockets: Vec<SocketVerdict>,
    pub captures: BTreeMap<String, CaptureCounts>,
    pub vms: Vec<VmOutcome>,
    pub ok: bool,
}

/// A socket, its paths and the one-word verdict.
#[derive(Debug, Clone, Serialize)]
pub struct SocketVerdict {
    #[serde(flatten)]
    pub paths: SocketPaths,
    pub verdict: String,
}

/// Runs `tipc-verifier run`.
pub fn run(project: &Path, args: &RunArgs, verbose: bool) -> Result<()> {
    let commands = args.work()?;
    if !args.base.builds(args.kernel) {
        return Err(UsageError(format!(
            "base {} has no {} kernel",
            args.base,
            args.kernel.name()
        ))
        .into());
    }
    if args.shell && args.topology.roles().len() > 1 {
        return Err(
            UsageError("--shell needs a one-guest topology (veth or bridge:N)".into()).into(),
        );
    }
    if let Some(dir) = &args.share {
        if !dir.is_dir() {
            return Err(UsageError(format!("--share {}: not a directory", dir.display())).into());
        }
    }
    let work = Work {
        topology: args.topology,
        commands: &commands,
        shell: args.shell,
        timeout: args.timeout,
        stagger: args.stagger,
    };
    let out = match &args.out {
        Some(o) => o.clone(),
        None => project.join("out").join(format!("run-{}", check::stamp())),
    };
    if args.dry_run {
        for (role, text) in work.scripts() {
            println!("# {}\n{text}", script_name(role));
        }
        return Ok(());
    }
    check_out(&out, args.share.as_deref())?;
    let cache_root = cache::cache_root()?;
    let ctx = BuildContext::new(
        project.to_path_buf(),
        cache_root.clone(),
        args.jobs.unwrap_or_else(crate::kbuild::jobs_default),
        args.base,
        VersionPolicy::from_arg(args.base_version.as_deref()),
    );
    let initrd = session::prepare(project, &cache_root, &[&ctx])?.initrd;
    let id = BaseId::from(ctx.source()?);
    let kernel = kbuild::ensure_kernel(&ctx, args.kernel)?;
    prepare_share(&out, &work, args.share.as_deref(), &kernel)?;
    let limit = if args.shell {
        SHELL_LIMIT
    } else {
        let stagger = u64::from(args.stagger) * commands.len() as u64;
        let links = u64::from(scenario::LINK_TIMEOUT) * args.topology.all_namespaces().len() as u64;
        Duration::from_secs(GUEST_MARGIN + links + stagger + u64::from(args.timeout))
    };
    let specs = check::topology_specs(
        args.topology,
        args.kernel,
        &kernel.bzimage,
        &initrd,
        &out,
        limit,
    )?;
    if args.shell {
        // One guest (checked above).
        qemu::interactive(&specs[0], args.accel)?;
        eprintln!("captures: {}", out.join("captures").display());
        return Ok(());
    }
    let phase = progress::Phase::start(&format!(
        "run: {} command(s) in {} guest(s) on {} {}",
        commands.len(),
        specs.len(),
        id.base,
        args.kernel.name()
    ));
    let vms = qemu::run_all(
        &specs,
        RunOptions {
            accel: args.accel,
            verbose,
        },
    )?;
    phase.done("guests ended");
    let report = judge(&out, &id, &kernel, args, &commands, vms);
    let json = out.join("run.json");
    cache::write_atomic(&json, &serde_json::to_vec_pretty(&report.0)?)?;
    print!(
        "{}",
        report::ktap(
            &[BaseReport {
                id,
                kernels: vec![kernel],
                differential: Vec::new(),
            }],
            std::slice::from_ref(&report.1)
        )
    );
    for (k, c) in report.0.commands.iter().enumerate() {
        eprintln!(
            "command {k} in {}: {} -> {} (output: {})",
            c.ns,
            c.argv.join(" "),
            c.rc.map_or("did not end".to_string(), |rc| format!("exit {rc}")),
            c.stdout.display()
        );
    }
    for s in &report.0.sockets {
        eprintln!("socket {}: {}", s.paths.socket, s.paths.detail());
    }
    eprintln!("report: {}", json.display());
    if !report.0.ok {
        let failed = report.1.checks.iter().filter(|c| !c.ok).count();
        return Err(ChecksFailed(format!("{failed} check(s) of the run failed")).into());
    }
    Ok(())
}

fn script_name(role: Option<&str>) -> String {
    format!("run{}.sh", scenario::role_suffix(role))
}

/// Refuses an output directory a run may not clear: one that holds
/// anything but an earlier run's output, or the user's own `--share`.
fn check_out(out: &Path, share: Option<&Path>) -> Result<()> {
    let full = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if let Some(share) = share {
        if full(share).starts_with(full(out)) {
            return Err(UsageError(format!(
                "--share {} is inside --out {}, which the run clears",
                share.display(),
                out.display()
            ))
            .into());
        }
    }
    let foreign = out.is_dir()
        && !out.join(OUT_MARK).exists()
        && std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_some();
    if foreign || (out.exists() && !out.is_dir()) {
        return Err(UsageError(format!(
            "--out {} exists and is not the output of an earlier run: name a new directory",
            out.display()
        ))
        .into());
    }
    Ok(())
}

/// A fresh output directory: the scripts, `user/` (a copy of `--share`),
/// the kernel's modules for a modules kernel.
fn prepare_share(out: &Path, work: &Work, user: Option<&Path>, kernel: &BuiltKernel) -> Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("clearing {}", out.display()))?;
    }
    for dir in ["results", "captures", "user"] {
        std::fs::create_dir_all(out.join(dir))
            .with_context(|| format!("creating {}", out.join(dir).display()))?;
    }
    std::fs::write(
        out.join(OUT_MARK),
        "tipc-verifier run output: cleared by the next run here\n",
    )
    .with_context(|| format!("writing {}", out.join(OUT_MARK).display()))?;
    if let Some(dir) = user {
        crate::copy::tree(
            &dir.join("."),
            &out.join("user"),
            "--share into /share/user",
        )?;
    }
    if let Some(modules) = &kernel.modules {
        crate::copy::tree(modules, &out.join("modules"), "the kernel's modules")?;
    }
    for (role, text) in work.scripts() {
        let path = out.join(script_name(role));
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The commands' results, the captures and the sockets' verdicts: the
/// report and the same as a KTAP run.
fn judge(
    out: &Path,
    id: &BaseId,
    kernel: &BuiltKernel,
    args: &RunArgs,
    commands: &[NsCommand],
    vms: Vec<VmOutcome>,
) -> (RunReport, ScenarioRun) {
    let results = out.join("results");
    let mut checks = Vec::new();
    let mut done = Vec::new();
    for (k, c) in commands.iter().enumerate() {
        let rc = std::fs::read_to_string(results.join(format!("command-{k}.rc")))
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok());
        let words = c.argv.join(" ");
        checks.push(Check::new(
            format!("command_{k}_exit"),
            rc == Some(0),
            match rc {
                Some(0) => format!("{}: {words}: exit 0", c.ns),
                Some(137) => format!("{}: {words}: killed after {} s", c.ns, args.timeout),
                Some(rc) => format!("{}: {words}: exit {rc}", c.ns),
                None => format!("{}: {words}: never ended", c.ns),
            },
        ));
        done.push(CommandResult {
            ns: c.ns.clone(),
            argv: c.argv.clone(),
            rc,
            stdout: results.join(format!("command-{k}.out")),
            stderr: results.join(format!("command-{k}.err")),
        });
    }
    let addresses: BTreeMap<String, u32> = args
        .topology
        .all_namespaces()
        .into_iter()
        .filter_map(|ns| {
            let text = std::fs::read_to_string(results.join(format!("address-{ns}.txt"))).ok()?;
            Some((ns.to_string(), sockets::parse_address(&text)?))
        })
        .collect();
    let mut sites = Vec::new();
    let mut unread = Vec::new();
    for role in args.topology.roles() {
        for (name, ns, dev) in script::captures(args.topology, role) {
            let pcap = out.join("captures").join(format!("{name}.pcap"));
            let stats =
                std::fs::read_to_string(out.join("captures").join(format!("{name}.stderr")))
                    .ok()
                    .and_then(|t| scenario::parse_tcpdump_stats(&t));
            match stats {
                Some(st) if st.complete() => {}
                Some(st) => unread.push(format!(
                    "{name}: tcpdump captured {} of {} frames, the kernel dropped {}",
                    st.captured, st.received_by_filter, st.dropped_by_kernel
                )),
                None => unread.push(format!("{name}: tcpdump printed no statistics")),
            }
            match scenario::count_capture(&pcap) {
                Ok(mut counts) => {
                    counts.tcpdump = stats;
                    sites.push((
                        CaptureSite {
                            name,
                            ns: ns.to_string(),
                            bearer: dev != "lo",
                        },
                        counts,
                    ));
                }
                Err(e) => unread.push(format!("{name}: {e:#}")),
            }
        }
    }
    checks.push(Check::new(
        "captures_complete",
        unread.is_empty(),
        if unread.is_empty() {
            format!("{} captures, nothing dropped", sites.len())
        } else {
            unread.join("; ")
        },
    ));
    let found = sockets::socket_paths(&sites, &addresses);
    if let Some(expect) = args.expect {
        let took = found.iter().filter(|s| s.took(expect)).count();
        checks.push(Check::new(
            "expected_path_seen",
            took > 0,
            format!(
                "{took} of {} sending socket(s) in the captures took the {} path",
                found.len(),
                match expect {
                    ExpectedPath::Crossover => "crossover",
                    ExpectedPath::Bearer => "bearer",
                }
            ),
        ));
    }
    for s in &found {
        checks.push(Check::new(
            format!("socket_{}", s.socket.replace(':', "_")),
            args.expect.is_none_or(|e| s.keeps_to(e)),
            s.detail(),
        ));
    }
    let captures: BTreeMap<String, CaptureCounts> =
        sites.into_iter().map(|(s, c)| (s.name, c)).collect();
    let run = ScenarioRun::new(
        id,
        kernel.flavour.name(),
        "run",
        out.to_path_buf(),
        vms.clone(),
        checks,
        captures.clone(),
        BTreeMap::new(),
    );
    let report = RunReport {
        tool: "tipc-verifier",
        version: env!("CARGO_PKG_VERSION"),
        accelerator_note: report::TCG_NOTE,
        base: id.clone(),
        kernel: kernel.flavour.name().to_string(),
        topology: args::topology_name(args.topology),
        expect: args.expect,
        commands: done,
        checks: run.checks.clone(),
        sockets: found
            .into_iter()
            .map(|paths| SocketVerdict {
                verdict: paths.verdict(),
                paths,
            })
            .collect(),
        captures,
        vms,
        ok: run.ok,
    };
    (report, run)
}
