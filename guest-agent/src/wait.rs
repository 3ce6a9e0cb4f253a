//! Waiting for peers: TIPC topology-service subscriptions and files, plus
//! the deadline type every blocking step uses.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::socket::{SockKind, TipcSocket};
use crate::uapi::{
    SockaddrTipc, TipcEvent, TipcServiceRange, TipcSocketAddr, TipcSubscr, TIPC_NODE_STATE,
    TIPC_PUBLISHED, TIPC_SUBSCR_TIMEOUT, TIPC_SUB_PORTS, TIPC_TOP_SRV, TIPC_WITHDRAWN,
};

/// Absolute deadline for the whole run (`--timeout`).
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    end: Instant,
    total: Duration,
}

impl Deadline {
    pub fn after(total: Duration) -> Self {
        Deadline {
            end: Instant::now() + total,
            total,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Remaining time as a poll() timeout in ms, capped at `cap_ms`, and at
    /// least 1 ms while not expired (so we never busy-spin with 0).
    pub fn poll_ms(&self, cap_ms: u64) -> i32 {
        let r = self.remaining();
        if r.is_zero() {
            return 0;
        }
        (r.as_millis() as u64).clamp(1, cap_ms.min(i32::MAX as u64)) as i32
    }

    pub fn total_secs(&self) -> u64 {
        self.total.as_secs()
    }
}

/// Error text used for every timeout, so the host can match on it.
pub fn timeout_error(d: &Deadline, what: &str) -> anyhow::Error {
    anyhow!("timeout after {}s: {}", d.total_secs(), what)
}

/// Waits (via the topology server, `{TIPC_TOP_SRV, TIPC_TOP_SRV}`) until at
/// least `min_ports` distinct sockets publish something overlapping `range`.
/// Returns the publishing sockets seen (in first-seen order is not kept;
/// sorted).
pub fn wait_for_service(
    range: TipcServiceRange,
    min_ports: usize,
    deadline: &Deadline,
) -> Result<Vec<TipcSocketAddr>> {
    let top = TipcSocket::new(SockKind::SeqPacket)
        .context("socket(AF_TIPC, SOCK_SEQPACKET) for the topology server")?;
    // The topology server binds {1,1,1} with node scope in every namespace.
    top.connect(&SockaddrTipc::service(TIPC_TOP_SRV, TIPC_TOP_SRV, 0))
        .context("connect to the TIPC topology server {1,1}")?;
    let timeout_ms = deadline
        .remaining()
        .as_millis()
        .clamp(1, u32::MAX as u128 - 1) as u32;
    let sub = TipcSubscr {
        seq: range,
        timeout: timeout_ms,
        filter: TIPC_SUB_PORTS,
        usr_handle: *b"tipcagnt",
    };
    let wire = sub.to_bytes();
    let n = top
        .send(&wire, None, false)
        .context("send tipc_subscr to the topology server")?;
    if n != wire.len() {
        bail!("short write of tipc_subscr ({n} of {} bytes)", wire.len());
    }

    let want = min_ports.max(1);
    let mut ports: BTreeSet<TipcSocketAddr> = BTreeSet::new();
    let what = format!(
        "waiting for {want} publication(s) of {}:{}:{} via the topology server",
        range.type_, range.lower, range.upper
    );
    let mut buf = [0u8; 256];
    loop {
        let rev = top.poll(libc::POLLIN, deadline.poll_ms(200))?;
        if rev == 0 {
            if deadline.expired() {
                return Err(timeout_error(
                    deadline,
                    &format!("{what} (seen {})", ports.len()),
                ));
            }
            continue;
        }
        let m = top.recv_msg(&mut buf, true);
        let m = match m {
            Ok(m) => m,
            Err(e) if crate::socket::is_congestion(&e) => continue,
            Err(e) => return Err(e).context("recv from the topology server"),
        };
        if m.len == 0 {
            bail!("topology server closed the connection");
        }
        let ev = TipcEvent::from_bytes(&buf[..m.len])
            .ok_or_else(|| anyhow!("short tipc_event ({} bytes)", m.len))?;
        match ev.event {
            TIPC_PUBLISHED => {
                ports.insert(ev.port);
            }
            TIPC_WITHDRAWN => {
                ports.remove(&ev.port);
            }
            TIPC_SUBSCR_TIMEOUT => {
                return Err(timeout_error(
                    deadline,
                    &format!("{what} (seen {})", ports.len()),
                ));
            }
            other => bail!("unexpected topology event {other}"),
        }
        if ports.len() >= want {
            return Ok(ports.into_iter().collect());
        }
    }
}

/// Waits until TIPC node `node` is reachable (its `{TIPC_NODE_STATE, node}`
/// publication is visible). Returns immediately for our own node.
pub fn wait_for_node(node: u32, own_node: u32, deadline: &Deadline) -> Result<()> {
    if node == own_node {
        return Ok(());
    }
    wait_for_service(
        TipcServiceRange {
            type_: TIPC_NODE_STATE,
            lower: node,
            upper: node,
        },
        1,
        deadline,
    )
    .with_context(|| format!("waiting for TIPC node {node} to become reachable"))?;
    Ok(())
}

/// Waits for `path` to exist and returns its contents.
pub fn wait_for_file(path: &Path, deadline: &Deadline) -> Result<String> {
    loop {
        match std::fs::read_to_string(path) {
            Ok(s) => return Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        if deadline.expired() {
            return Err(timeout_error(
                deadline,
                &format!("waiting for file {}", path.display()),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Parses a port file: `NODE REF` (decimal u32s, whitespace separated).
pub fn parse_port_file(text: &str) -> Result<TipcSocketAddr> {
    let mut it = text.split_whitespace();
    let (Some(node), Some(r), None) = (it.next(), it.next(), it.next()) else {
        bail!("port file must contain exactly `NODE REF`, got {text:?}");
    };
    let node: u32 = node
        .parse()
        .with_context(|| format!("bad NODE {node:?} in port file"))?;
    let ref_: u32 = r
        .parse()
        .with_context(|| format!("bad REF {r:?} in port file"))?;
    Ok(TipcSocketAddr { ref_, node })
}

/// Formats a port the way port files (and the JSON `peer`) carry it.
pub fn format_port(p: &TipcSocketAddr) -> String {
    format!("{} {}", p.node, p.ref_)
}

/// Writes `contents` to `path` atomically (temp file in the same directory,
/// then rename).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file path", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_file_parsing() {
        let p = parse_port_file("16781313 12345\n").unwrap();
        assert_eq!(
            p,
            TipcSocketAddr {
                ref_: 12345,
                node: 16781313
            }
        );
        assert_eq!(format_port(&p), "16781313 12345");
        assert!(parse_port_file("").is_err());
        assert!(parse_port_file("1").is_err());
        assert!(parse_port_file("1 2 3").is_err());
        assert!(parse_port_file("x 2").is_err());
        assert!(parse_port_file("1 4294967296").is_err());
    }

    #[test]
    fn atomic_write_and_file_wait() {
        let dir = std::env::temp_dir().join(format!("tipc-agent-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("port");
        let d = Deadline::after(Duration::from_millis(100));
        let err = wait_for_file(&f, &d).unwrap_err().to_string();
        assert!(err.starts_with("timeout after 0s"), "{err}");
        write_atomic(&f, b"1 2\n").unwrap();
        let d = Deadline::after(Duration::from_secs(1));
        assert_eq!(wait_for_file(&f, &d).unwrap(), "1 2\n");
        // No temp files left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn deadline_poll_ms() {
        let d = Deadline::after(Duration::from_secs(10));
        assert_eq!(d.poll_ms(50), 50);
        let d = Deadline::after(Duration::ZERO);
        assert!(d.expired());
        assert_eq!(d.poll_ms(50), 0);
    }
}
