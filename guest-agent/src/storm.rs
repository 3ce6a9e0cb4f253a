//! `tipc-agent storm`: a connection storm for `tipc-verifier stress`.
//!
//! The acceptor binds a service, listens and, `--conns` times, accepts one
//! connection, reads one `--size`-byte message, echoes it and closes. The
//! connector, `--conns` times in a row, opens a new socket, connects to the
//! service, sends message i (the same payloads as `send`), reads the echo,
//! compares it byte for byte and closes. Accept and connect back to back
//! over the crossover is where upstream took the node lock recursively
//! (88956177db17); under lockdep this loop is that test.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::model::Service;
use crate::payload::fill_payload;
use crate::socket::{SockKind, TipcSocket};
use crate::uapi::{SockaddrTipc, TIPC_CLUSTER_SCOPE};
use crate::wait::{wait_for_service, Deadline};

pub use tipc_agent_protocol::{ConnSock, StormRole as Role};

/// The socket type a storm's `--sock` opens.
fn conn_kind(sock: ConnSock) -> SockKind {
    match sock {
        ConnSock::Seqpacket => SockKind::SeqPacket,
        ConnSock::Stream => SockKind::Stream,
    }
}

/// What one storm process was asked to do.
pub struct StormArgs {
    pub role: Role,
    pub sock: ConnSock,
    pub service: Service,
    pub conns: u64,
    pub size: usize,
    pub seed: u64,
    pub timeout: Duration,
}

/// The JSON result of either end.
pub type StormReport = tipc_agent_protocol::results::Storm;

/// The result before anything ran.
pub fn new_report(a: &StormArgs) -> StormReport {
    StormReport {
        role: a.role,
        sock: a.sock,
        service: a.service,
        conns: a.conns,
        connected: 0,
        intact: 0,
        size: a.size,
        elapsed_ms: 0,
        first_error: None,
    }
}

/// Reads exactly `buf.len()` bytes (stream) or one message (seqpacket).
fn read_message(s: &TipcSocket, buf: &mut [u8], d: &Deadline) -> Result<()> {
    let mut got = 0;
    while got < buf.len() {
        if s.poll(libc::POLLIN, d.poll_ms(1000))? == 0 {
            if d.expired() {
                bail!("timeout after {}s waiting for data", d.total_secs());
            }
            continue;
        }
        let m = s.recv_msg(&mut buf[got..], false).context("recv")?;
        if m.len == 0 {
            bail!("the peer closed the connection after {got} bytes");
        }
        got += m.len;
    }
    Ok(())
}

fn write_message(s: &TipcSocket, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        let n = s.send(buf, None, false).context("send")?;
        buf = &buf[n..];
    }
    Ok(())
}

fn accept_loop(a: &StormArgs, ready: &Path, r: &mut StormReport, d: &Deadline) -> Result<()> {
    let l = TipcSocket::new(conn_kind(a.sock)).context("socket")?;
    l.bind(&SockaddrTipc::service(
        a.service.type_,
        a.service.lower,
        TIPC_CLUSTER_SCOPE,
    ))
    .context("bind")?;
    l.listen(128).context("listen")?;
    crate::wait::write_atomic(ready, b"ready\n")?;
    let mut buf = vec![0u8; a.size];
    while r.connected < a.conns {
        if l.poll(libc::POLLIN, d.poll_ms(1000))? == 0 {
            if d.expired() {
                bail!(
                    "timeout after {}s: {} of {} connections accepted",
                    d.total_secs(),
                    r.connected,
                    a.conns
                );
            }
            continue;
        }
        let (c, _) = l
            .accept()
            .with_context(|| format!("accept #{}", r.connected))?;
        r.connected += 1;
        read_message(&c, &mut buf, d).with_context(|| format!("connection #{}", r.connected))?;
        write_message(&c, &buf).with_context(|| format!("echo on #{}", r.connected))?;
        r.intact += 1;
    }
    Ok(())
}

fn connect_loop(a: &StormArgs, r: &mut StormReport, d: &Deadline) -> Result<()> {
    wait_for_service(crate::model::uapi_range(&a.service), 1, d)?;
    let mut out = vec![0u8; a.size];
    let mut back = vec![0u8; a.size];
    for i in 0..a.conns {
        if d.expired() {
            bail!(
                "timeout after {}s: {i} of {} connections done",
                d.total_secs(),
                a.conns
            );
        }
        let s = TipcSocket::new(conn_kind(a.sock)).context("socket")?;
        s.connect(&SockaddrTipc::service(a.service.type_, a.service.lower, 0))
            .with_context(|| format!("connect #{i}"))?;
        r.connected += 1;
        fill_payload(a.seed, i, &mut out);
        write_message(&s, &out).with_context(|| format!("send on #{i}"))?;
        read_message(&s, &mut back, d).with_context(|| format!("echo on #{i}"))?;
        if back != out {
            bail!("connection #{i}: the echo differs from what was sent");
        }
        r.intact += 1;
    }
    Ok(())
}

/// Runs one end of the storm and fills `r` (also on failure).
pub fn run(a: &StormArgs, ready: Option<&Path>, r: &mut StormReport) -> Result<()> {
    let start = Instant::now();
    let d = Deadline::after(a.timeout);
    let res = match (a.role, ready) {
        (Role::Accept, Some(ready)) => accept_loop(a, ready, r, &d),
        (Role::Accept, None) => Err(anyhow::anyhow!("--role accept needs --ready-file")),
        (Role::Connect, _) => connect_loop(a, r, &d),
    };
    r.elapsed_ms = start.elapsed().as_millis() as u64;
    res
}

/// Writes a report as JSON (temp file + rename).
pub fn write(report: &StormReport, out: &Path) -> Result<()> {
    crate::report::write_json(report, out)
}
