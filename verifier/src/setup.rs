//! Host requirements: what the pipeline needs, how to see whether it is
//! there, and how to install what is missing (Debian packages and a pinned
//! `bindgen-cli` from crates.io). Idempotent: nothing present is reinstalled.
//!
//! The kernel source is not a host requirement: each base's source package
//! is fetched into the cache by `kernel_source`, without installing it.

use crate::progress::{self, Phase};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// bindgen pinned from crates.io (Debian's 0.60 is below the kernel's 0.65.1).
pub const BINDGEN_VERSION: &str = "0.73.2";
/// The kernel's minimum (1.78 for 6.12, the older base); Debian's rustc-web
/// gives 1.96.
pub const RUSTC_MIN: (u32, u32) = (1, 78);

/// What one Debian package requirement asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRule {
    Any,
    /// The installed version must start with this text.
    Prefix(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Package {
    pub name: &'static str,
    pub why: &'static str,
    pub rule: VersionRule,
}

const fn pkg(name: &'static str, why: &'static str) -> Package {
    Package {
        name,
        why,
        rule: VersionRule::Any,
    }
}

/// Every Debian package the pipeline uses. qemu-utils is left out on
/// purpose: the machine's newer one conflicts with qemu-system-x86's.
pub const PACKAGES: &[Package] = &[
    pkg("rustc-web", "Rust compiler for the kernel (1.96)"),
    pkg("rust-web-src", "core library source matching rustc-web"),
    pkg("rust-web-clippy", "clippy matching rustc-web (CLIPPY=1)"),
    pkg("rustfmt-web", "rustfmt matching rustc-web (review)"),
    pkg(
        "ccache",
        "every kernel build: the same file compiled again in the same state",
    ),
    pkg("clang-19", "LLVM=-19 kernel build"),
    pkg("lld-19", "LLVM=-19 kernel build"),
    pkg("llvm-19", "LLVM=-19 kernel build"),
    pkg("libclang-19-dev", "libclang for bindgen"),
    pkg("build-essential", "kernel build"),
    pkg("flex", "kernel build"),
    pkg("bison", "kernel build"),
    pkg("bc", "kernel build"),
    pkg("libelf-dev", "kernel build"),
    pkg(
        "libdw-dev",
        "gendwarfksyms (MODVERSIONS with Rust, the 7.3 modules kernel)",
    ),
    pkg("libssl-dev", "kernel build"),
    pkg("cpio", "initramfs"),
    pkg("gzip", "initramfs"),
    pkg("kmod", "kernel build"),
    pkg("xz-utils", "unpacking the kernel source"),
    pkg(
        "apt",
        "fetching the kernel source package (apt-get download)",
    ),
    pkg(
        "dpkg",
        "taking the tarball out of the source package (dpkg-deb)",
    ),
    pkg("python3", "kernel scripts"),
    pkg("git", "kernel tree and series"),
    pkg("qemu-system-x86", "guests"),
    pkg("busybox-static", "guest userspace"),
    pkg("iproute2", "guest ip and tipc tools"),
    pkg("tcpdump", "guest captures"),
    pkg("tshark", "independent TIPC decoder for tests"),
    pkg("shellcheck", "lint of the generated guest scripts in tests"),
    pkg(
        "rsync",
        "installing the series' selftest (make install of kselftest)",
    ),
    pkg("bash", "guest shell of the series' selftest"),
    pkg(
        "coreutils",
        "guest readlink and timeout for the series' selftest",
    ),
    pkg("codespell", "checkpatch --codespell"),
    pkg("python3-ply", "checkpatch SPDX check"),
    pkg("python3-git", "checkpatch SPDX check"),
];

/// State of one requirement on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Present(String),
    Missing,
    Wrong { found: String, wanted: String },
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub what: String,
    pub why: String,
    pub state: State,
}

impl Finding {
    pub fn ok(&self) -> bool {
        matches!(self.state, State::Present(_))
    }
}

/// Parses `dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Version}\n'`
/// output into installed package → version. Only `ii` rows count.
pub fn parse_dpkg_query(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let (name, status, version) = (f.next()?, f.next()?, f.next()?);
            let name = name.split(':').next().unwrap_or(name);
            (status.trim() == "ii").then(|| (name.to_string(), version.trim().to_string()))
        })
        .collect()
}

/// Judges the package list against what dpkg reports installed.
pub fn judge_packages(installed: &BTreeMap<String, String>) -> Vec<Finding> {
    judge(PACKAGES, installed)
}

/// Judges any package list against what dpkg reports installed.
pub fn judge(packages: &[Package], installed: &BTreeMap<String, String>) -> Vec<Finding> {
    packages
        .iter()
        .map(|p| {
            let state = match (installed.get(p.name), p.rule) {
                (None, _) => State::Missing,
                (Some(v), VersionRule::Any) => State::Present(v.clone()),
                (Some(v), VersionRule::Prefix(want)) if v.starts_with(want) => {
                    State::Present(v.clone())
                }
                (Some(v), VersionRule::Prefix(want)) => State::Wrong {
                    found: v.clone(),
                    wanted: format!("{want}*"),
                },
            };
            Finding {
                what: format!("package {}", p.name),
                why: p.why.to_string(),
                state,
            }
        })
        .collect()
}

/// Extracts `major.minor` from `rustc 1.96.0 (...)`.
pub fn parse_rustc_version(out: &str) -> Option<(u32, u32)> {
    let v = out.split_whitespace().nth(1)?;
    let mut it = v.split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Judges `/usr/bin/rustc --version` output.
pub fn judge_rustc(out: Option<&str>) -> Finding {
    let state = match out.map(|o| (o, parse_rustc_version(o))) {
        None => State::Missing,
        Some((_, Some(v))) if v >= RUSTC_MIN => State::Present(format!("{}.{}", v.0, v.1)),
        Some((o, _)) => State::Wrong {
            found: o.trim().to_string(),
            wanted: format!(">= {}.{}", RUSTC_MIN.0, RUSTC_MIN.1),
        },
    };
    Finding {
        what: "/usr/bin/rustc".into(),
        why: "kernel Rust compiler (named explicitly)".into(),
        state,
    }
}

/// Judges `bindgen --version` output (`bindgen 0.73.2`).
pub fn judge_bindgen(out: Option<&str>) -> Finding {
    let state = match out {
        None => State::Missing,
        Some(o) if o.split_whitespace().nth(1) == Some(BINDGEN_VERSION) => {
            State::Present(BINDGEN_VERSION.to_string())
        }
        Some(o) => State::Wrong {
            found: o.trim().to_string(),
            wanted: BINDGEN_VERSION.to_string(),
        },
    };
    Finding {
        what: "bindgen-cli".into(),
        why: "kernel Rust bindings".into(),
        state,
    }
}

/// Where the pinned tools go.
pub fn tools_dir(cache: &Path) -> PathBuf {
    cache.join("tools")
}

pub fn bindgen_path(cache: &Path) -> PathBuf {
    tools_dir(cache).join("bin").join("bindgen")
}

fn output_of(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Looks at this machine: one dpkg-query call and two version probes.
pub fn inspect(cache: &Path) -> Result<Vec<Finding>> {
    let mut cmd = Command::new("dpkg-query");
    cmd.arg("-W")
        .arg("-f=${Package}\\t${db:Status-Abbrev}\\t${Version}\\n");
    cmd.args(PACKAGES.iter().map(|p| p.name));
    // dpkg-query exits 1 when a package is unknown; its stdout still lists the rest.
    let out = cmd
        .output()
        .context("running dpkg-query (is this a Debian system?)")?;
    let mut findings = judge_packages(&parse_dpkg_query(&String::from_utf8_lossy(&out.stdout)));
    findings.push(judge_rustc(
        output_of(Path::new("/usr/bin/rustc"), &["--version"]).as_deref(),
    ));
    findings.push(judge_bindgen(
        output_of(&bindgen_path(cache), &["--version"]).as_deref(),
    ));
    Ok(findings)
}

/// Prints one line per requirement that is not fine (or all with `verbose`).
pub fn print_findings(findings: &[Finding], verbose: bool) {
    for f in findings {
        match &f.state {
            State::Present(v) if verbose => eprintln!("    ok       {} {v}", f.what),
            State::Present(_) => {}
            State::Missing => eprintln!("    MISSING  {} ({})", f.what, f.why),
            State::Wrong { found, wanted } => {
                eprintln!(
                    "    WRONG    {}: found {found}, need {wanted} ({})",
                    f.what, f.why
                )
            }
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Installs what is missing. With `check_only`, only reports.
pub fn ensure(cache: &Path, check_only: bool, verbose: bool) -> Result<()> {
    let phase = Phase::start("setup: checking host requirements");
    let findings = inspect(cache)?;
    let bad: Vec<&Finding> = findings.iter().filter(|f| !f.ok()).collect();
    print_findings(&findings, verbose);
    if bad.is_empty() {
        phase.done(&format!("all {} requirements present", findings.len()));
        return Ok(());
    }
    if let Some(f) = bad.iter().find(|f| {
        matches!(f.state, State::Wrong { .. })
            && PACKAGES
                .iter()
                .any(|p| f.what == format!("package {}", p.name))
    }) {
        bail!(
            "setup: {} has a version the pipeline does not accept; install the one named above",
            f.what
        );
    }
    let apt_missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|p| bad.iter().any(|f| f.what == format!("package {}", p.name)))
        .map(|p| p.name)
        .collect();
    let need_bindgen = bad.iter().any(|f| f.what == "bindgen-cli");
    if check_only {
        bail!(
            "setup --check: {} requirement(s) missing or wrong (run `tipc-verifier setup` as root)",
            bad.len()
        );
    }
    if !apt_missing.is_empty() && !is_root() {
        bail!(
            "setup: missing Debian packages and not root; run as root:\n    apt-get update && apt-get install -y --no-install-recommends {}",
            apt_missing.join(" ")
        );
    }
    let logs = cache.join("logs");
    if !apt_missing.is_empty() {
        let log = logs.join("setup-apt.log");
        let mut update = Command::new("apt-get");
        update.arg("update");
        progress::run_logged(
            "apt-get update",
            update,
            &log,
            Duration::from_secs(15),
            |_| None,
        )
        .context("setup: apt-get update failed (no access to the Debian mirror?)")?;
        let mut install = Command::new("apt-get");
        install
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&apt_missing);
        eprintln!("    installing {}", apt_missing.join(" "));
        progress::run_logged(
            "apt-get install",
            install,
            &log,
            Duration::from_secs(15),
            describe_apt_line,
        )
        .context("setup: apt-get install failed; see the log for the package that broke")?;
    }
    if need_bindgen {
        install_bindgen(cache, &logs.join("setup-bindgen.log"))?;
    }
    let after = inspect(cache)?;
    let still: Vec<&Finding> = after.iter().filter(|f| !f.ok()).collect();
    if !still.is_empty() {
        print_findings(&after, false);
        bail!(
            "setup: {} requirement(s) still missing after installing",
            still.len()
        );
    }
    phase.done("installed what was missing");
    Ok(())
}

fn describe_apt_line(line: &str) -> Option<String> {
    ["Unpacking ", "Setting up ", "Get:"]
        .iter()
        .any(|p| line.starts_with(p))
        .then(|| line.chars().take(70).collect())
}

fn install_bindgen(cache: &Path, log: &Path) -> Result<()> {
    let cargo =
        which("cargo").context("setup: cargo is not on PATH (needed to install bindgen-cli)")?;
    let mut cmd = Command::new(cargo);
    cmd.args([
        "install",
        "bindgen-cli",
        "--locked",
        "--force",
        "--version",
        BINDGEN_VERSION,
        "--root",
    ])
    .arg(tools_dir(cache));
    progress::run_logged(
        "cargo install bindgen-cli",
        cmd,
        log,
        Duration::from_secs(15),
        |l| {
            l.trim_start()
                .starts_with("Compiling")
                .then(|| l.trim().to_string())
        },
    )
}

/// Finds a program on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}
