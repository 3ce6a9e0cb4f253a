//! `tipc-agent recv`: binds / listens / joins, signals readiness, receives
//! `--count` messages and acks them back to the sender(s).

use std::collections::BTreeSet;

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::{RcvBuf, RecvArgs};
use crate::model::{Run, SockMode};
use crate::payload::{encode_ack, StreamChunker};
use crate::socket::TipcSocket;
use crate::uapi::{
    SockaddrTipc, TipcGroupReq, TipcSocketAddr, TIPC_CLUSTER_SCOPE, TIPC_GROUP_MEMBER_EVTS,
    TIPC_MAX_USER_MSG_SIZE,
};
use crate::wait::{format_port, timeout_error, write_atomic, Deadline};
use crate::xfer::{recv_one, send_all, wait_readable, Incoming};

/// Receive buffer: one maximal TIPC message plus slack to detect oversize.
const RBUF: usize = TIPC_MAX_USER_MSG_SIZE + 4096;

pub fn run(a: &RecvArgs, d: &Deadline, run: &mut Run) -> Result<()> {
    let kind = crate::model::sock_kind(a.sock);
    let sock =
        TipcSocket::new(kind).with_context(|| format!("socket(AF_TIPC, {})", kind.name()))?;
    if let Some(bytes) = rcvbuf_request(a) {
        let eff = sock
            .set_rcvbuf(bytes)
            .with_context(|| format!("setting the receive buffer to {bytes} bytes"))?;
        run.rcvbuf = Some(eff);
    }
    let svc = a.service;
    match a.sock {
        SockMode::Group => {
            if !svc.is_single() {
                bail!("--sock group needs --service TYPE:INSTANCE, not a range");
            }
            let req = TipcGroupReq {
                type_: svc.type_,
                instance: svc.lower,
                scope: TIPC_CLUSTER_SCOPE,
                flags: TIPC_GROUP_MEMBER_EVTS,
            };
            sock.join_group(&req).with_context(|| {
                format!(
                    "setsockopt(TIPC_GROUP_JOIN, type {} instance {})",
                    svc.type_, svc.lower
                )
            })?;
        }
        _ => {
            let addr = if svc.ranged {
                SockaddrTipc::range(svc.type_, svc.lower, svc.upper, TIPC_CLUSTER_SCOPE)
            } else {
                SockaddrTipc::service(svc.type_, svc.lower, TIPC_CLUSTER_SCOPE)
            };
            sock.bind(&addr)
                .with_context(|| format!("bind to {svc} (cluster scope)"))?;
            if matches!(a.sock, SockMode::Seqpacket | SockMode::Stream) {
                sock.listen(1).context("listen")?;
            }
        }
    }
    let own = sock.local_addr().context("getsockname")?;
    run.own = Some(own);
    signal_ready(a, &own)?;

    let result = match a.sock {
        SockMode::Rdm | SockMode::Mcast | SockMode::Group => recv_datagrams(a, d, run, &sock),
        SockMode::Seqpacket | SockMode::Stream => recv_connection(a, d, run, &sock),
    };
    if run.drops.is_none() {
        run.drops = sock.drops();
    }
    result
}

/// Kernel default sk_rcvbuf for TIPC sockets (RCVBUF_DEF, net/tipc/socket.h).
const TIPC_RCVBUF_DEF: u64 = 1024 * 1024 * 2;
/// Upper bound for `--rcvbuf auto`.
const AUTO_RCVBUF_MAX: u64 = 256 * 1024 * 1024;

/// Bytes to request for `--rcvbuf`: `auto` sizes rdm/mcast receivers for the
/// whole burst (TIPC has no end-to-end flow control for connectionless
/// sockets; overload drops or returns messages). Per message we budget
/// 2 x size + 2 KiB of skb truesize. SO_RCVBUF(FORCE) doubles the value.
fn rcvbuf_request(a: &RecvArgs) -> Option<u32> {
    match a.rcvbuf {
        RcvBuf::Keep => None,
        RcvBuf::Bytes(b) => Some(b),
        RcvBuf::Auto => {
            if !matches!(a.sock, SockMode::Rdm | SockMode::Mcast) {
                return None;
            }
            let size = a.size.unwrap_or(crate::uapi::TIPC_MAX_USER_MSG_SIZE) as u64;
            let need = a.count.saturating_mul(2 * size + 2048);
            if need <= TIPC_RCVBUF_DEF / 2 {
                return None;
            }
            Some(need.clamp(TIPC_RCVBUF_DEF, AUTO_RCVBUF_MAX) as u32)
        }
    }
}

/// Port file first (so it exists once the ready file does), then ready file.
fn signal_ready(a: &RecvArgs, own: &TipcSocketAddr) -> Result<()> {
    if let Some(pf) = &a.port_file {
        write_atomic(pf, format!("{}\n", format_port(own)).as_bytes())
            .with_context(|| format!("writing port file {}", pf.display()))?;
    }
    if let Some(rf) = &a.ready_file {
        write_atomic(rf, format!("{}\n", format_port(own)).as_bytes())
            .with_context(|| format!("writing ready file {}", rf.display()))?;
    }
    Ok(())
}

fn check_size(a: &RecvArgs, len: usize, index: u64) -> Result<()> {
    if let Some(size) = a.size {
        if len != size {
            bail!("message {index} has {len} bytes, expected --size {size}");
        }
    }
    Ok(())
}

/// `--delay-us`: slow the receiver down on purpose.
fn pace(a: &RecvArgs) {
    if a.delay_us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(a.delay_us));
    }
}

fn progress(a: &RecvArgs, run: &Run) -> String {
    format!("received {} of {} messages", run.acc.messages, a.count)
}

/// rdm / mcast / group: connectionless receive; ack every distinct sender
/// port afterwards (group: unicast inside the group).
fn recv_datagrams(a: &RecvArgs, d: &Deadline, run: &mut Run, sock: &TipcSocket) -> Result<()> {
    let mut buf = vec![0u8; RBUF];
    let mut senders: BTreeSet<TipcSocketAddr> = BTreeSet::new();
    let mut order: Vec<TipcSocketAddr> = Vec::new();
    while run.acc.messages < a.count {
        match recv_one(sock, &mut buf, false)? {
            Incoming::Nothing => wait_readable(sock, d, &progress(a, run))?,
            Incoming::Data { len, src, trunc } => {
                if trunc {
                    bail!("message {} truncated (MSG_TRUNC)", run.acc.messages);
                }
                check_size(a, len, run.acc.messages)?;
                run.acc.add(&buf[..len]);
                pace(a);
                if let Some(s) = src {
                    if senders.insert(s) {
                        order.push(s);
                    }
                    run.peer.get_or_insert(s);
                }
            }
            Incoming::Member { .. } => run.member_events += 1,
            // Zero-length datagrams and returned (rejected) messages carry
            // no payload for us; acks are never produced by detect_ack=false.
            Incoming::Eof | Incoming::Rejected { .. } | Incoming::Ack { .. } => {}
        }
    }
    run.drops = sock.drops();
    if a.no_ack {
        return Ok(());
    }
    let ack = encode_ack(run.acc.messages);
    for s in order {
        send_all(
            sock,
            &ack,
            Some(&SockaddrTipc::socket(s)),
            false,
            d,
            &mut run.retries,
        )
        .with_context(|| format!("sending ack to {}", format_port(&s)))?;
    }
    Ok(())
}

/// seqpacket / stream: accept one connection, receive, ack on the connection.
fn recv_connection(a: &RecvArgs, d: &Deadline, run: &mut Run, listener: &TipcSocket) -> Result<()> {
    let stream = a.sock == SockMode::Stream;
    loop {
        if listener.poll(libc::POLLIN, d.poll_ms(200))? != 0 {
            break;
        }
        if d.expired() {
            return Err(timeout_error(d, "waiting for a connection (accept)"));
        }
    }
    let (conn, peer) = listener.accept().context("accept")?;
    run.peer = Some(conn.peer_addr().unwrap_or(peer));

    let mut buf = vec![0u8; RBUF];
    let mut chunker = match (stream, a.size) {
        (true, Some(size)) => Some(StreamChunker::new(size)),
        (true, None) => return Err(anyhow!("--sock stream needs --size")),
        _ => None,
    };
    while run.acc.messages < a.count {
        match conn.recv_msg(&mut buf, true) {
            Ok(m) if m.len == 0 => {
                let partial = chunker.as_ref().map_or(0, |c| c.pending());
                bail!(
                    "connection closed by peer after {}{}",
                    progress(a, run),
                    if partial > 0 {
                        format!(" (+{partial} bytes of an incomplete message)")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(m) => {
                if let Some(ch) = chunker.as_mut() {
                    let mut emitted = run.acc.messages;
                    let acc = &mut run.acc;
                    let extra = ch.push(&buf[..m.len], &mut emitted, a.count, |msg| acc.add(msg));
                    if extra > 0 {
                        bail!("{extra} unexpected bytes after the last expected message");
                    }
                    pace(a);
                } else {
                    if m.is_trunc() {
                        bail!("message {} truncated (MSG_TRUNC)", run.acc.messages);
                    }
                    check_size(a, m.len, run.acc.messages)?;
                    run.acc.add(&buf[..m.len]);
                    pace(a);
                }
            }
            Err(e) if crate::socket::is_congestion(&e) => {
                wait_readable(&conn, d, &progress(a, run))?
            }
            Err(e) => return Err(e).with_context(|| format!("recv after {}", progress(a, run))),
        }
    }
    run.drops = conn.drops();
    if a.no_ack {
        return Ok(());
    }
    send_all(
        &conn,
        &encode_ack(run.acc.messages),
        None,
        stream,
        d,
        &mut run.retries,
    )
    .context("sending ack on the connection")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::parse_service;

    fn args(sock: SockMode, count: u64, size: Option<usize>, rcvbuf: RcvBuf) -> RecvArgs {
        RecvArgs {
            sock,
            service: parse_service("18888:17").unwrap(),
            count,
            out: "o".into(),
            ready_file: None,
            port_file: None,
            timeout: 30,
            size,
            rcvbuf,
            no_ack: false,
            delay_us: 0,
        }
    }

    #[test]
    fn auto_rcvbuf_only_grows_connectionless_receivers() {
        // Small bursts keep the kernel default.
        assert_eq!(
            rcvbuf_request(&args(SockMode::Rdm, 200, Some(1024), RcvBuf::Auto)),
            None
        );
        // 100 x 66000 needs more than the 2 MiB default.
        let big = rcvbuf_request(&args(SockMode::Rdm, 100, Some(66_000), RcvBuf::Auto)).unwrap();
        assert!(u64::from(big) >= 100 * 66_000, "{big}");
        let m = rcvbuf_request(&args(SockMode::Mcast, 100, Some(66_000), RcvBuf::Auto));
        assert_eq!(m, Some(big));
        // Capped.
        let huge = rcvbuf_request(&args(SockMode::Rdm, u64::MAX, Some(66_000), RcvBuf::Auto));
        assert_eq!(huge, Some(AUTO_RCVBUF_MAX as u32));
        // Flow-controlled kinds are left alone.
        for sock in [SockMode::Seqpacket, SockMode::Stream, SockMode::Group] {
            assert_eq!(
                rcvbuf_request(&args(sock, 1000, Some(66_000), RcvBuf::Auto)),
                None
            );
        }
        assert_eq!(
            rcvbuf_request(&args(SockMode::Rdm, 100, Some(66_000), RcvBuf::Keep)),
            None
        );
        assert_eq!(
            rcvbuf_request(&args(SockMode::Stream, 1, Some(1), RcvBuf::Bytes(5))),
            Some(5)
        );
    }
}
