//! The one place that knows how to run QEMU: command construction, the
//! accelerator choice (TCG by default; KVM only when asked, with a logged
//! fall-back), SMP guests (`-smp 2`, multi-threaded TCG; timed `-icount`
//! guests keep one vCPU), two guests joined by `-netdev dgram` on
//! 127.0.0.1, per-VM timeouts, the serial console kept in a file and
//! checked for splats.

use crate::console::{self, Splat};
use crate::progress;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const QEMU: &str = "qemu-system-x86_64";

/// The accelerator a user asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Accel {
    /// Software emulation: works everywhere, the default.
    Tcg,
    /// Try KVM; fall back to TCG with the reason logged if it fails.
    Kvm,
}

impl Accel {
    fn name(self) -> &'static str {
        match self {
            Accel::Tcg => "tcg",
            Accel::Kvm => "kvm",
        }
    }
}

/// One end of a `-netdev dgram` link between two guests.
#[derive(Debug, Clone, Serialize)]
pub struct DgramLink {
    pub local_port: u16,
    pub remote_port: u16,
    pub mac: String,
}

/// What to boot.
#[derive(Debug, Clone, Serialize)]
pub struct VmSpec {
    pub name: String,
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    /// Host directory shared as 9p tag `share`: the scenario goes in, results come out.
    pub share: PathBuf,
    pub memory_mb: u32,
    pub net: Option<DgramLink>,
    pub extra_append: String,
    pub timeout: Duration,
    /// Under TCG, run with `-icount shift=0`: the guest's clock advances one
    /// nanosecond per instruction, so in-guest timings count instructions
    /// and do not depend on the host's load or on TSC calibration (which
    /// TCG guests otherwise get wrong at random and fall back to a 4 ms
    /// jiffies clock). About four times slower. Such a guest runs with
    /// one vCPU under single-threaded TCG (`-icount` requires it); every
    /// other guest has [`SMP_CPUS`] vCPUs under multi-threaded TCG.
    pub icount: bool,
    /// Under TCG, run the [`SMP_CPUS`] vCPUs in one host thread in turn
    /// instead of one thread each. For guests that patch kernel text while
    /// both vCPUs run (the function profiler patches every traced call site
    /// and sched_switch): with a thread per vCPU, one vCPU once ran a
    /// translated block from before the patch and trapped on a stale int3
    /// ("Oops: int3" in __do_trace_sched_switch, forged_discovery);
    /// in one thread a write to code is complete before the other vCPU runs.
    pub single_thread: bool,
}

/// vCPUs of a guest: [`SMP_CPUS`], or 1 for a timed (`-icount`) guest
/// under TCG.
pub fn guest_cpus(spec: &VmSpec, accel: Accel) -> u32 {
    if spec.icount && accel == Accel::Tcg {
        1
    } else {
        SMP_CPUS
    }
}

/// vCPUs of every untimed guest (the kernels are built with NR_CPUS=4).
pub const SMP_CPUS: u32 = 2;

/// The kernel command line.
///
/// `acpi=noirq`: PCI interrupts are routed by the BIOS's PIRQ table, not
/// by evaluating the `_PRT` method of QEMU's ACPI tables. Under TCG that
/// method runs slowly enough (a KASAN kernel on a slow host) to exceed
/// ACPICA's 30-second loop timeout; the virtio devices are then left
/// without an interrupt, and the 9p share's first request waits forever.
/// It also takes the evaluation out of every boot (on the debug kernel,
/// init after 13.6 s instead of 46.8 s on the same host).
pub fn append_line(spec: &VmSpec) -> String {
    let mut s = String::from("console=ttyS0 panic=-1 rdinit=/init acpi=noirq");
    if !spec.extra_append.is_empty() {
        s.push(' ');
        s.push_str(&spec.extra_append);
    }
    s
}

/// The exact QEMU command for a guest.
pub fn command(spec: &VmSpec, accel: Accel) -> Command {
    command_with_console(spec, accel, &["-serial", "stdio"])
}

/// The QEMU command for a guest whose serial console is set up by
/// `console` (QEMU arguments).
fn command_with_console(spec: &VmSpec, accel: Accel, console: &[&str]) -> Command {
    let mut c = Command::new(QEMU);
    c.args([
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-no-reboot",
    ]);
    let timed = spec.icount && accel == Accel::Tcg;
    match accel {
        Accel::Kvm => c.args(["-accel", "kvm", "-cpu", "host"]),
        // -icount needs single-threaded TCG (QEMU refuses it with MTTCG),
        // and one vCPU keeps the instruction count the only clock.
        Accel::Tcg if timed => c.args(["-accel", "tcg,thread=single", "-icount", "shift=0"]),
        // Two vCPUs taking turns in one host thread (see `single_thread`).
        Accel::Tcg if spec.single_thread => c.args(["-accel", "tcg,thread=single"]),
        // Every kernel is SMP: two vCPUs, one host thread each.
        Accel::Tcg => c.args(["-accel", "tcg,thread=multi"]),
    };
    c.args([
        "-smp",
        &guest_cpus(spec, accel).to_string(),
        "-m",
        &spec.memory_mb.to_string(),
    ]);
    c.arg("-kernel").arg(&spec.kernel);
    c.arg("-initrd").arg(&spec.initrd);
    c.args(["-append", &append_line(spec)]);
    c.args(console);
    c.arg("-virtfs").arg(format!(
        "local,path={},mount_tag=share,security_model=none,id=share",
        spec.share.display()
    ));
    if let Some(n) = &spec.net {
        c.arg("-netdev").arg(format!(
            "dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port={},remote.type=inet,remote.host=127.0.0.1,remote.port={}",
            n.local_port, n.remote_port
        ));
        c.args([
            "-device",
            &format!("virtio-net-pci,netdev=net0,mac={}", n.mac),
        ]);
    }
    c
}

/// Two free UDP ports on 127.0.0.1 for a pair of guests.
pub fn free_port_pair() -> Result<(u16, u16)> {
    let a = std::net::UdpSocket::bind("127.0.0.1:0").context("finding a free UDP port")?;
    let b = std::net::UdpSocket::bind("127.0.0.1:0").context("finding a free UDP port")?;
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

/// Specs for two guests joined by one dgram link.
pub fn linked_pair(mut a: VmSpec, mut b: VmSpec) -> Result<(VmSpec, VmSpec)> {
    let (pa, pb) = free_port_pair()?;
    a.net = Some(DgramLink {
        local_port: pa,
        remote_port: pb,
        mac: "52:54:00:00:00:01".into(),
    });
    b.net = Some(DgramLink {
        local_port: pb,
        remote_port: pa,
        mac: "52:54:00:00:00:02".into(),
    });
    Ok((a, b))
}

/// How a guest run ended.
#[derive(Debug, Clone, Serialize)]
pub struct VmOutcome {
    pub name: String,
    pub accel: String,
    /// Why KVM was not used, when it was asked for, or why the guest was
    /// booted a second time (a first boot that never reached /init).
    pub fallback: Option<String>,
    pub console: PathBuf,
    pub command: String,
    /// The guest script's exit status (None: the guest never reached its end).
    pub end_status: Option<i32>,
    pub boot_seconds: Option<f64>,
    pub timed_out: bool,
    pub wall_seconds: f64,
    pub splats: Vec<Splat>,
}

impl VmOutcome {
    /// A run passes when the script ended with 0 and the console is clean.
    pub fn clean(&self) -> bool {
        self.end_status == Some(0) && !self.timed_out && self.failing_splats().next().is_none()
    }

    /// The splats that fail the run (all but KCSAN reports outside TIPC).
    pub fn failing_splats(&self) -> impl Iterator<Item = &Splat> {
        self.splats.iter().filter(|s| s.fails_run)
    }

    /// KCSAN data-race reports that name no TIPC function: counted, shown,
    /// not failing.
    pub fn races_elsewhere(&self) -> usize {
        self.splats.iter().filter(|s| !s.fails_run).count()
    }

    /// One line saying what went wrong, with the excerpt when there is one.
    pub fn problem(&self) -> Option<String> {
        if let Some(s) = self.failing_splats().next() {
            return Some(format!(
                "{} in the console of {} (line {}):\n{}",
                s.kind, self.name, s.line_number, s.excerpt
            ));
        }
        if self.timed_out {
            return Some(format!(
                "{} hung: no end marker before the timeout; console: {}",
                self.name,
                self.console.display()
            ));
        }
        match self.end_status {
            Some(0) => None,
            Some(rc) => Some(format!(
                "guest script of {} exited {rc}; see {}",
                self.name,
                self.console.display()
            )),
            None => Some(format!(
                "{} stopped before its end marker; console: {}",
                self.name,
                self.console.display()
            )),
        }
    }
}

/// How to run guests.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub accel: Accel,
    pub verbose: bool,
}

/// Boots the guests at the same time and waits for all of them.
pub fn run_all(specs: &[VmSpec], opts: RunOptions) -> Result<Vec<VmOutcome>> {
    let handles: Vec<_> = specs
        .iter()
        .cloned()
        .map(|spec| std::thread::spawn(move || run_one(&spec, opts)))
        .collect();
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .map_err(|_| anyhow::anyhow!("a QEMU supervisor thread panicked"))?
        })
        .collect()
}

/// Boots one guest; with KVM asked, falls back to TCG when KVM fails.
pub fn run_one(spec: &VmSpec, opts: RunOptions) -> Result<VmOutcome> {
    if opts.accel == Accel::Kvm {
        let reason = if !Path::new("/dev/kvm").exists() {
            Some("/dev/kvm does not exist".to_string())
        } else {
            let o = boot(spec, Accel::Kvm, opts.verbose)?;
            if o.boot_seconds.is_some() {
                return Ok(o);
            }
            Some(format!(
                "KVM guest never reached /init ({})",
                console::tail(&std::fs::read_to_string(&o.console).unwrap_or_default(), 3)
                    .replace('\n', " | ")
            ))
        };
        eprintln!(
            "    {}: KVM unusable, falling back to TCG: {}",
            spec.name,
            reason.as_deref().unwrap_or("")
        );
        let mut o = boot(spec, Accel::Tcg, opts.verbose)?;
        o.fallback = reason;
        return Ok(o);
    }
    let o = boot(spec, Accel::Tcg, opts.verbose)?;
    // A guest of its own whose kernel never got to /init: TCG on a loaded
    // host has stalled a boot in early initcalls, before any code of the
    // series runs. Boot it once more, and say so in the outcome; a guest
    // paired with another is not, as its peer would wait for it in vain.
    if o.boot_seconds.is_some() || spec.net.is_some() {
        return Ok(o);
    }
    let reason = format!(
        "the first boot never reached /init ({}); booted again",
        console::tail(&std::fs::read_to_string(&o.console).unwrap_or_default(), 2)
            .replace('\n', " | ")
    );
    eprintln!("    {}: {reason}", spec.name);
    let first = o.console.with_extension("first-boot.log");
    std::fs::rename(&o.console, &first).with_context(|| format!("keeping {}", first.display()))?;
    let mut o = boot(spec, Accel::Tcg, opts.verbose)?;
    o.fallback = Some(reason);
    Ok(o)
}

/// Boots one guest on the user's terminal: its serial console is this
/// process's standard input and output (`tipc-verifier run --shell`), with
/// Ctrl-C passed to the guest rather than ending QEMU. QEMU dies with this
/// process and is killed at `spec.timeout`. Returns when the guest powers
/// off; the guest's own end status is not judged.
pub fn interactive(spec: &VmSpec, accel: Accel) -> Result<()> {
    let mut cmd = command_with_console(
        spec,
        accel,
        &[
            "-chardev",
            "stdio,id=console,signal=off",
            "-serial",
            "chardev:console",
        ],
    );
    eprintln!("==> {}", progress::display_command(&cmd));
    // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of the calling
    // (forked, not yet exec'd) process and is async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let mut child = cmd
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {QEMU} (run `tipc-verifier setup`)"))?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > spec.timeout {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("{} killed after {:?}", spec.name, spec.timeout);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    if !status.success() {
        anyhow::bail!("{QEMU} ended with {status}");
    }
    Ok(())
}

/// Seconds a guest may take to reach /init (it takes 2 to 5 under TCG)
/// before it counts as stalled.
const BOOT_LIMIT: Duration = Duration::from_secs(120);

fn boot(spec: &VmSpec, accel: Accel, verbose: bool) -> Result<VmOutcome> {
    let console_path = spec
        .share
        .join(format!("console-{}-{}.log", spec.name, accel.name()));
    let mut cmd = command(spec, accel);
    let shown = progress::display_command(&cmd);
    let mut console_file = File::create(&console_path)
        .with_context(|| format!("creating {}", console_path.display()))?;
    writeln!(console_file, "# {shown}")?;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {QEMU} (run `tipc-verifier setup`)"))?;
    let (rx, _readers) = progress::output_lines(&mut child);
    let mut text = String::new();
    let mut timed_out = false;
    let mut init_seen = false;
    loop {
        let left = spec.timeout.saturating_sub(start.elapsed());
        let stalled = !init_seen && start.elapsed() > BOOT_LIMIT;
        if left.is_zero() || stalled {
            timed_out = true;
            let _ = child.kill();
            break;
        }
        match rx.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(line) => {
                init_seen |= line.contains(console::INIT_MARKER);
                if verbose || line.contains(console::PROGRESS_MARKER) {
                    eprintln!("    [{}] {line}", spec.name);
                }
                writeln!(console_file, "{line}")?;
                text.push_str(&line);
                text.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.wait();
    if timed_out && !init_seen {
        writeln!(
            console_file,
            "# killed by tipc-verifier: no /init after {:?}",
            start.elapsed()
        )?;
    } else if timed_out {
        writeln!(
            console_file,
            "# killed by tipc-verifier after {:?}",
            spec.timeout
        )?;
    }
    Ok(VmOutcome {
        name: spec.name.clone(),
        accel: accel.name().into(),
        fallback: None,
        console: console_path,
        command: shown,
        end_status: console::end_status(&text),
        boot_seconds: console::boot_seconds(&text),
        timed_out,
        wall_seconds: start.elapsed().as_secs_f64(),
        splats: console::find_splats(&text),
    })
}
