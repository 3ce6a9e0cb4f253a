//! `tipc-agent netns-faults`: network namespaces created with an allocation
//! failure injected at each step of their set-up in turn.
//!
//! For n = 1, 2, ... a fresh child process writes n to `/proc/thread-self/fail-nth`
//! and calls `unshare(CLONE_NEWNET)`: the n-th allocation the kernel makes
//! for that process from then on fails (failslab, fail_page_alloc). Reading
//! the file back gives 0 when the failure was injected and the count still
//! left when `unshare` needed fewer allocations than n, which ends the sweep:
//! every allocation of `setup_net()` has then failed once. The child exits
//! right after, so a namespace that came up anyway is dismantled at once.
//!
//! The kernel's side of the story (an oops in a `pre_exit` that assumed state
//! a failed `init` never made) is on the console; this command counts what
//! user space saw.

use anyhow::{bail, Context, Result};
use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

const FAIL_NTH: &str = "/proc/thread-self/fail-nth";

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The failure was injected and `unshare` failed with this errno.
    Refused(i32),
    /// The failure was injected and the namespace came up all the same
    /// (the failing allocation had a fallback).
    Survived,
    /// `unshare` made fewer than n allocations: nothing was injected.
    NotReached,
    /// The kernel killed the task during the step (an oops): this signal.
    Killed(i32),
}

/// The JSON result of a sweep.
pub type Report = tipc_agent_protocol::results::NetnsFaults;

/// One step, in a child process of its own: the namespace goes when it
/// exits, and a kernel that oopses under the step kills the child, not the
/// sweep.
pub fn step(n: u32) -> Result<Step> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a writable array of two ints, as pipe(2) needs.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error()).context("pipe");
    }
    let (rd, wr) = (fds[0], fds[1]);
    // SAFETY: the agent is single-threaded here, so the child may go on
    // running ordinary code; it leaves with _exit only.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = io::Error::last_os_error();
        close(rd);
        close(wr);
        return Err(e).context("fork");
    }
    if pid == 0 {
        close(rd);
        let record = match child(n) {
            Ok((left, errno)) => [left.to_ne_bytes(), errno.to_ne_bytes()].concat(),
            Err(_) => vec![],
        };
        // SAFETY: `record` is valid for its length; write(2) and _exit(2)
        // are all the child does from here.
        unsafe {
            libc::write(wr, record.as_ptr().cast(), record.len());
            libc::_exit(0);
        }
    }
    close(wr);
    let mut record = [0u8; 8];
    let mut got = 0usize;
    while got < record.len() {
        // SAFETY: the rest of `record` is writable for `len - got` bytes.
        let r = unsafe { libc::read(rd, record[got..].as_mut_ptr().cast(), record.len() - got) };
        if r <= 0 {
            break;
        }
        got += r as usize;
    }
    close(rd);
    let mut status = 0;
    // SAFETY: `status` is a writable int; `pid` is our child.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        return Err(io::Error::last_os_error()).context("waitpid");
    }
    if libc::WIFSIGNALED(status) {
        return Ok(Step::Killed(libc::WTERMSIG(status)));
    }
    if got != record.len() {
        bail!("step {n}: the child could not arm {FAIL_NTH} (CONFIG_FAULT_INJECTION?)");
    }
    let left = u32::from_ne_bytes([record[0], record[1], record[2], record[3]]);
    let errno = i32::from_ne_bytes([record[4], record[5], record[6], record[7]]);
    Ok(match (left, errno) {
        (0, 0) => Step::Survived,
        (0, e) => Step::Refused(e),
        (_, 0) => Step::NotReached,
        (_, e) => bail!(
            "step {n}: unshare failed with nothing injected: {}",
            io::Error::from_raw_os_error(e)
        ),
    })
}

fn close(fd: i32) {
    // SAFETY: `fd` is a descriptor this process opened and closes once.
    unsafe { libc::close(fd) };
}

/// The child: (fail-nth left after unshare, unshare's errno or 0).
fn child(n: u32) -> Result<(u32, i32)> {
    // Opened before arming: the open itself allocates.
    let file = OpenOptions::new().read(true).write(true).open(FAIL_NTH)?;
    file.write_at(n.to_string().as_bytes(), 0)?;
    // SAFETY: unshare(2) takes flags only and touches no memory of ours.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    let errno = if rc != 0 {
        io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    } else {
        0
    };
    let mut buf = [0u8; 16];
    let len = file.read_at(&mut buf, 0)?;
    // Disarm before anything else allocates.
    file.write_at(b"0", 0)?;
    let left = std::str::from_utf8(&buf[..len])
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| io::Error::other("unreadable fail-nth"))?;
    Ok((left, errno))
}

/// Steps 1 ..= `max_steps`, until one is not reached.
pub fn sweep(max_steps: u32, report: &mut Report) -> Result<()> {
    let start = Instant::now();
    let result = (|| {
        for n in 1..=max_steps {
            report.steps = n;
            match step(n)? {
                Step::Refused(errno) => {
                    report.injected += 1;
                    report.refused += 1;
                    *report.errnos.entry(errno_name(errno)).or_default() += 1;
                }
                Step::Survived => {
                    report.injected += 1;
                    report.survived += 1;
                }
                Step::Killed(_) => {
                    report.killed += 1;
                }
                Step::NotReached => {
                    report.exhausted_at = Some(n);
                    return Ok(());
                }
            }
        }
        bail!("{max_steps} steps and the set-up still allocates: raise --max-steps")
    })();
    report.elapsed_ms = start.elapsed().as_millis() as u64;
    result
}

fn errno_name(errno: i32) -> String {
    match errno {
        libc::ENOMEM => "ENOMEM".into(),
        libc::ENOSPC => "ENOSPC".into(),
        libc::EINVAL => "EINVAL".into(),
        libc::EBUSY => "EBUSY".into(),
        libc::EFAULT => "EFAULT".into(),
        libc::ENOBUFS => "ENOBUFS".into(),
        libc::ENODEV => "ENODEV".into(),
        libc::ENFILE => "ENFILE".into(),
        libc::EAFNOSUPPORT => "EAFNOSUPPORT".into(),
        n => format!("errno {n}"),
    }
}

/// Writes the report as JSON (temp file + rename, like every result).
pub fn write(report: &Report, out: &Path) -> Result<()> {
    crate::report::write_json(report, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_carries_the_fields_the_verifier_reads() {
        let r = Report {
            steps: 431,
            injected: 430,
            refused: 402,
            survived: 28,
            exhausted_at: Some(431),
            ..Default::default()
        };
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        for key in [
            "steps",
            "injected",
            "refused",
            "survived",
            "killed",
            "exhausted_at",
            "first_error",
        ] {
            assert!(v.get(key).is_some(), "{key} missing from {v}");
        }
        assert_eq!(v["exhausted_at"], 431);
    }

    #[test]
    fn errnos_have_their_names() {
        assert_eq!(errno_name(libc::ENOMEM), "ENOMEM");
        assert_eq!(errno_name(9999), "errno 9999");
    }
}
