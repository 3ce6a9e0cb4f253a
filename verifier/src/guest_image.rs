//! The guest image: an initramfs with busybox, iproute2's `ip` and `tipc`,
//! tcpdump, bash and two coreutils programs (for the series' selftest), the
//! guest agent and their shared libraries, plus our `/init`.
//! Cached by the content of everything that goes in.

use crate::cache::{self, KeyBuilder};
use crate::progress::{self, Phase};
use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Host programs copied into the guest at the same path. bash, and
/// coreutils' readlink (`-e`) and timeout (`--foreground`), are for the
/// series' selftest and its runner, which busybox's applets cannot run.
pub const GUEST_PROGRAMS: &[&str] = &[
    "/bin/busybox",
    "/usr/sbin/ip",
    "/usr/sbin/tipc",
    "/usr/bin/tcpdump",
    "/bin/bash",
    "/usr/bin/readlink",
    "/usr/bin/timeout",
];
/// Where the agent lives in the guest.
pub const AGENT_GUEST_PATH: &str = "/usr/bin/tipc-agent";

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\ntcpdump:x:104:109::/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\ntcpdump:x:109:\n";

/// Paths of the shared libraries `ldd` lists for a program.
pub fn parse_ldd(out: &str) -> Vec<PathBuf> {
    out.lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = match l.split_once("=>") {
                Some((_, rhs)) => rhs.split_whitespace().next()?,
                None => l.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

fn libraries_of(program: &Path) -> Result<Vec<PathBuf>> {
    let mut cmd = Command::new("ldd");
    cmd.arg(program);
    let out = cmd
        .output()
        .with_context(|| format!("running ldd on {}", program.display()))?;
    // A static binary (busybox-static) makes ldd exit 1 with "not a dynamic executable".
    Ok(parse_ldd(&String::from_utf8_lossy(&out.stdout)))
}

/// Everything that goes into the image: (path in the guest, host file).
fn inputs(project: &Path, agent: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut files = vec![(PathBuf::from("init"), project.join("vm/guest/init"))];
    let mut programs: Vec<(PathBuf, PathBuf)> = GUEST_PROGRAMS
        .iter()
        .map(|p| (PathBuf::from(&p[1..]), PathBuf::from(p)))
        .collect();
    programs.push((PathBuf::from(&AGENT_GUEST_PATH[1..]), agent.to_path_buf()));
    for (_, host) in &programs {
        if !host.is_file() {
            bail!("guest image: {} is missing (run `tipc-verifier setup`, and build the agent with `cargo build --release -p tipc-agent`)", host.display());
        }
    }
    let mut libs = Vec::new();
    for (_, host) in &programs {
        libs.extend(libraries_of(host)?);
    }
    libs.sort();
    libs.dedup();
    files.extend(programs);
    files.extend(libs.into_iter().map(|l| {
        (
            l.strip_prefix("/")
                .map(Path::to_path_buf)
                .unwrap_or(l.clone()),
            l,
        )
    }));
    Ok(files)
}

/// Builds (or takes from the cache) the initramfs; returns its path.
pub fn ensure_image(project: &Path, cache_root: &Path, agent: &Path) -> Result<PathBuf> {
    let files = inputs(project, agent)?;
    let mut key = KeyBuilder::new("initramfs");
    key.add("layout", b"1");
    for (guest, host) in &files {
        key.add_file(&guest.to_string_lossy(), host)?;
    }
    let out = cache_root
        .join("images")
        .join(format!("initramfs-{}.cpio.gz", key.key()));
    if out.is_file() {
        return Ok(out);
    }
    let phase = Phase::start("guest image: building the initramfs");
    let stage = tempfile::tempdir().context("creating a staging directory")?;
    let root = stage.path();
    for dir in [
        "bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "run", "share",
        "var", "root",
    ] {
        fs::create_dir_all(root.join(dir))?;
    }
    std::os::unix::fs::symlink("../run", root.join("var/run"))?;
    fs::write(root.join("etc/passwd"), PASSWD)?;
    fs::write(root.join("etc/group"), GROUP)?;
    for (guest, host) in &files {
        let dst = root.join(guest);
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent)?;
        }
        // fs::copy follows symlinks: libraries land as real files at the listed path.
        fs::copy(host, &dst)
            .with_context(|| format!("copying {} into the image", host.display()))?;
    }
    let mut cpio = Command::new("sh");
    cpio.current_dir(root)
        .arg("-c")
        .arg("find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1");
    let bytes = cpio.output().context("running cpio | gzip")?;
    if !bytes.status.success() || bytes.stdout.is_empty() {
        bail!(
            "guest image: cpio failed: {}",
            String::from_utf8_lossy(&bytes.stderr)
        );
    }
    cache::write_atomic(&out, &bytes.stdout)?;
    phase.done(&format!(
        "{} files, {} KiB",
        files.len(),
        bytes.stdout.len() / 1024
    ));
    Ok(out)
}

/// Finds the release build of the agent in the workspace target directory.
pub fn default_agent(project: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project.join("target"));
    target.join("release").join("tipc-agent")
}

/// Builds the agent with cargo (release). Cheap when nothing changed.
pub fn build_agent(project: &Path) -> Result<PathBuf> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(project)
        .args(["build", "--quiet", "--release", "-p", "tipc-agent"]);
    progress::capture("building the guest agent", cmd)?;
    Ok(default_agent(project))
}
