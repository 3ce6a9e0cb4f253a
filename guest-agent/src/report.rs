//! The JSON object written to `--out` (always, also on failure).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::Path;

use tipc_agent_protocol::results::ExchangeRole;
use tipc_agent_protocol::{GroupMode, Service, SockMode};

use crate::model::Run;
use crate::wait::{format_port, write_atomic};

/// The JSON result of `send` and `recv` (the contract is the protocol
/// crate's; field order there is the order written).
pub type Report = tipc_agent_protocol::results::Exchange;

/// Inode of /proc/self/ns/net (identifies the network namespace).
pub fn netns_inode() -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/net").ok().map(|m| m.ino())
}

/// Cookie of the network namespace the agent runs in (`SO_NETNS_COOKIE`
/// on a socket of it): unlike the inode, never reused while the kernel runs,
/// and the name the series' `tipc_crossover_peer` tracepoint prints.
pub fn netns_cookie() -> io::Result<u64> {
    // SAFETY: socket() takes no pointers; the result is checked below.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a socket this function just opened and owns alone.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    let mut cookie: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: `cookie` and `len` are valid for writes of the sizes given,
    // and `fd` is an open socket.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_NETNS_COOKIE,
            std::ptr::addr_of_mut!(cookie).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    if len as usize != std::mem::size_of::<u64>() {
        return Err(io::Error::other(format!(
            "SO_NETNS_COOKIE returned {len} bytes, not 8"
        )));
    }
    Ok(cookie)
}

/// Cookie of the named namespace `name` (`/run/netns/NAME`, or `name` as a
/// path if it has a slash): enters it with setns(2), which moves the
/// calling thread, so the agent calls it only from its one thread.
pub fn netns_cookie_of(name: &str) -> anyhow::Result<u64> {
    use anyhow::Context;
    let path = if name.contains('/') {
        std::path::PathBuf::from(name)
    } else {
        Path::new("/run/netns").join(name)
    };
    let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: setns() takes an open namespace file descriptor that `file`
    // keeps open for the call.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } < 0 {
        return Err(io::Error::last_os_error())
            .with_context(|| format!("entering {}", path.display()));
    }
    netns_cookie().with_context(|| format!("SO_NETNS_COOKIE in {}", path.display()))
}

/// errno of the innermost io::Error in the chain, if any.
pub fn errno_of(err: &anyhow::Error) -> Option<i32> {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .find_map(|e| e.raw_os_error())
}

/// `{:#}` of the error chain plus a hint for the common "no TIPC" case.
pub fn describe_error(err: &anyhow::Error) -> String {
    let mut s = format!("{err:#}");
    if errno_of(err) == Some(libc::EAFNOSUPPORT) {
        s.push_str(
            " [EAFNOSUPPORT: this kernel has no AF_TIPC support (CONFIG_TIPC not built in / module not loaded)]",
        );
    }
    s
}

pub struct Common {
    pub role: ExchangeRole,
    pub sock: SockMode,
    pub service: Option<Service>,
    pub count: u64,
    pub size: Option<usize>,
    pub elapsed_ms: u64,
    pub timeout_s: u64,
    pub seed: Option<u64>,
    pub group_mode: Option<GroupMode>,
}

pub fn build(c: Common, run: &Run, result: &anyhow::Result<()>) -> Report {
    let (digest_ordered, digest_set) = run.acc.finish();
    let (first_error, errno) = match result {
        Ok(()) => (None, None),
        Err(e) => (Some(describe_error(e)), errno_of(e)),
    };
    Report {
        role: c.role,
        sock: c.sock,
        service: c.service,
        peer: run.peer.as_ref().map(format_port),
        count: c.count,
        size: c.size.or_else(|| run.acc.uniform_size()),
        messages: run.acc.messages,
        bytes: run.acc.bytes,
        digest_ordered,
        digest_set,
        ok: first_error.is_none(),
        first_error,
        retries: run.retries,
        elapsed_ms: c.elapsed_ms,
        netns_inode: netns_inode(),
        netns_cookie: netns_cookie().ok(),
        own_node: run.own.map(|o| o.node),
        own_ref: run.own.map(|o| o.ref_),
        errno,
        rejected: run.rejected,
        acks: run.acks,
        acked_messages: run.acked_messages,
        member_events: run.member_events,
        drops: run.drops,
        rcvbuf: run.rcvbuf,
        timeout_s: c.timeout_s,
        seed: c.seed,
        group_mode: c.group_mode,
    }
}

pub fn write(report: &Report, out: &Path) -> anyhow::Result<()> {
    write_json(report, out)
}

/// Writes any result as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(value: &T, out: &Path) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_atomic(out, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn common() -> Common {
        Common {
            role: ExchangeRole::Send,
            sock: SockMode::Rdm,
            service: Some(Service::instance(18888, 17)),
            count: 2,
            size: Some(3),
            elapsed_ms: 5,
            timeout_s: 30,
            seed: Some(1),
            group_mode: None,
        }
    }

    #[test]
    fn json_has_contract_fields_in_order() {
        let mut run = Run::default();
        run.acc.add(b"abc");
        let r = build(common(), &run, &Ok(()));
        let v = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let contract = [
            "role",
            "sock",
            "service",
            "peer",
            "count",
            "size",
            "messages",
            "bytes",
            "digest_ordered",
            "digest_set",
            "first_error",
            "retries",
            "elapsed_ms",
            "netns_inode",
            "netns_cookie",
            "own_node",
            "own_ref",
        ];
        for k in contract {
            assert!(keys.contains(&k), "missing {k}");
        }
        // serde_json (without preserve_order) sorts keys in Value, so check
        // order on the serialised text instead.
        let text = serde_json::to_string(&r).unwrap();
        let pos: Vec<usize> = contract
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(v["first_error"], serde_json::Value::Null);
        assert_eq!(v["messages"], 1);
        assert_eq!(v["bytes"], 3);
        assert_eq!(v["ok"], true);
        assert_eq!(v["digest_ordered"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn errors_carry_errno_and_hint() {
        let e: anyhow::Result<()> = Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT))
            .context("socket(AF_TIPC, SOCK_RDM)");
        let r = build(common(), &Run::default(), &e);
        assert_eq!(r.errno, Some(libc::EAFNOSUPPORT));
        assert!(!r.ok);
        let msg = r.first_error.unwrap();
        assert!(msg.starts_with("socket(AF_TIPC, SOCK_RDM): "), "{msg}");
        assert!(msg.contains("EAFNOSUPPORT"), "{msg}");
    }

    #[test]
    fn netns_inode_is_readable() {
        assert!(netns_inode().is_some());
    }

    #[test]
    fn netns_cookie_is_readable_and_stable() {
        let cookie = netns_cookie().expect("SO_NETNS_COOKIE");
        assert_ne!(cookie, 0);
        assert_eq!(netns_cookie().unwrap(), cookie);
    }
}
