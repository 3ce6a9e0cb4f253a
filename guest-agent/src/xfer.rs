//! Congestion-aware sending and classified non-blocking receiving, shared by
//! the send and recv drivers.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::payload::decode_ack;
use crate::socket::{is_congestion, RecvMsg, TipcSocket};
use crate::uapi::{
    SockaddrTipc, TipcEvent, TipcServiceAddr, TipcSocketAddr, TIPC_CONN_SHUTDOWN, TIPC_ERR_NO_NAME,
    TIPC_ERR_NO_NODE, TIPC_ERR_NO_PORT, TIPC_ERR_OVERLOAD, TIPC_PUBLISHED,
};
use crate::wait::{timeout_error, Deadline};

/// Human readable TIPC rejection code.
pub fn tipc_err_name(code: u32) -> String {
    match code {
        TIPC_ERR_NO_NAME => "TIPC_ERR_NO_NAME".into(),
        TIPC_ERR_NO_PORT => "TIPC_ERR_NO_PORT".into(),
        TIPC_ERR_NO_NODE => "TIPC_ERR_NO_NODE".into(),
        TIPC_ERR_OVERLOAD => "TIPC_ERR_OVERLOAD".into(),
        TIPC_CONN_SHUTDOWN => "TIPC_CONN_SHUTDOWN".into(),
        c => format!("TIPC error code {c}"),
    }
}

/// Waits until the socket may be writable again after a congestion error.
/// poll(POLLOUT) is capped at 20 ms because TIPC's POLLOUT does not cover
/// per-destination congestion; if poll returns at once we sleep 1 ms so the
/// retry loop never busy-spins.
fn wait_writable(sock: &TipcSocket, d: &Deadline, what: &str) -> Result<()> {
    if d.expired() {
        return Err(timeout_error(d, what));
    }
    let t0 = Instant::now();
    let rev = sock.poll(libc::POLLOUT, d.poll_ms(20))?;
    if rev != 0 && t0.elapsed() < Duration::from_millis(1) {
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Sends all of `buf` (one message; for streams possibly in several partial
/// writes), retrying congestion errors (EAGAIN/ELINKCONG, ENOBUFS, ENOMEM)
/// until the deadline. Every retry is counted in `retries`.
pub fn send_all(
    sock: &TipcSocket,
    buf: &[u8],
    dest: Option<&SockaddrTipc>,
    stream: bool,
    d: &Deadline,
    retries: &mut u64,
) -> Result<()> {
    let mut off = 0;
    while off < buf.len() {
        match sock.send(&buf[off..], dest, true) {
            Ok(0) => bail!("send returned 0 bytes"),
            Ok(n) if !stream && n != buf.len() => {
                bail!("short send: {n} of {} bytes", buf.len())
            }
            Ok(n) => off += n,
            Err(e) if is_congestion(&e) => {
                *retries += 1;
                wait_writable(sock, d, "send blocked by congestion")?;
            }
            Err(e) => return Err(e).context("send"),
        }
    }
    Ok(())
}

/// One classified item from a socket's receive queue.
#[derive(Debug)]
pub enum Incoming {
    /// Nothing queued right now (EAGAIN).
    Nothing,
    /// A data message of `len` bytes is in the caller's buffer.
    Data {
        len: usize,
        src: Option<TipcSocketAddr>,
        trunc: bool,
    },
    /// A data message that is exactly the receiver's ack.
    Ack { messages: u64 },
    /// One of our messages came back rejected (TIPC_ERRINFO/TIPC_RETDATA).
    Rejected { code: u32, data: Vec<u8> },
    /// Group membership event (MSG_OOB); `up` = TIPC_PUBLISHED.
    Member {
        up: bool,
        port: TipcSocketAddr,
        member: TipcServiceAddr,
    },
    /// Zero-length, non-event read: end of connection.
    Eof,
}

fn classify(m: RecvMsg, buf: &[u8]) -> Incoming {
    if let Some((code, _)) = m.errinfo {
        return Incoming::Rejected {
            code,
            data: m.retdata,
        };
    }
    if m.is_oob() {
        // Group member event: the address comes with the message; the event
        // body (struct tipc_event) is also copied into the buffer.
        let ev = TipcEvent::from_bytes(&buf[..TipcEvent::SIZE.min(buf.len())]);
        let port = m.src.or(ev.map(|e| e.port)).unwrap_or_default();
        let member = m.member.unwrap_or_else(|| {
            ev.map(|e| TipcServiceAddr {
                type_: e.s.seq.type_,
                instance: e.found_lower,
            })
            .unwrap_or_default()
        });
        let up = match ev {
            Some(e) if m.member.is_none() => e.event == TIPC_PUBLISHED,
            _ => !m.is_eor(),
        };
        return Incoming::Member { up, port, member };
    }
    if m.len == 0 {
        return Incoming::Eof;
    }
    if let Some(messages) = decode_ack(&buf[..m.len]) {
        return Incoming::Ack { messages };
    }
    Incoming::Data {
        len: m.len,
        src: m.src,
        trunc: m.is_trunc(),
    }
}

/// Non-blocking read of one item. `detect_ack` = false treats ack-shaped
/// data as ordinary data (receivers must not swallow payloads).
pub fn recv_one(sock: &TipcSocket, buf: &mut [u8], detect_ack: bool) -> Result<Incoming> {
    match sock.recv_msg(buf, true) {
        Ok(m) => {
            if !detect_ack && m.errinfo.is_none() && !m.is_oob() && m.len > 0 {
                return Ok(Incoming::Data {
                    len: m.len,
                    src: m.src,
                    trunc: m.is_trunc(),
                });
            }
            Ok(classify(m, buf))
        }
        Err(e) if is_congestion(&e) => Ok(Incoming::Nothing),
        Err(e) => Err(e).context("recvmsg"),
    }
}

/// Blocks (poll) until something is readable or the deadline passes.
pub fn wait_readable(sock: &TipcSocket, d: &Deadline, what: &str) -> Result<()> {
    if d.expired() {
        return Err(timeout_error(d, what));
    }
    sock.poll(libc::POLLIN, d.poll_ms(200))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::encode_ack;

    #[test]
    fn classify_messages() {
        let buf = encode_ack(7);
        let m = RecvMsg {
            len: 16,
            ..Default::default()
        };
        assert!(matches!(
            classify(m, &buf),
            Incoming::Ack { messages: 7, .. }
        ));

        let m = RecvMsg {
            len: 3,
            flags: libc::MSG_TRUNC,
            ..Default::default()
        };
        assert!(matches!(
            classify(m, &[1, 2, 3]),
            Incoming::Data {
                len: 3,
                trunc: true,
                ..
            }
        ));

        let m = RecvMsg::default();
        assert!(matches!(classify(m, &[]), Incoming::Eof));

        let m = RecvMsg {
            errinfo: Some((TIPC_ERR_OVERLOAD, 4)),
            retdata: vec![1, 2, 3, 4],
            ..Default::default()
        };
        assert!(matches!(
            classify(m, &[]),
            Incoming::Rejected {
                code: TIPC_ERR_OVERLOAD,
                ..
            }
        ));
    }

    #[test]
    fn classify_member_events() {
        let port = TipcSocketAddr { ref_: 5, node: 6 };
        let member = TipcServiceAddr {
            type_: 18888,
            instance: 17,
        };
        let up = RecvMsg {
            flags: libc::MSG_OOB,
            src: Some(port),
            member: Some(member),
            ..Default::default()
        };
        assert!(matches!(
            classify(up, &[0u8; 48]),
            Incoming::Member { up: true, port: p, member: m } if p == port && m == member
        ));
        let down = RecvMsg {
            flags: libc::MSG_OOB | libc::MSG_EOR,
            src: Some(port),
            member: Some(member),
            ..Default::default()
        };
        assert!(matches!(
            classify(down, &[0u8; 48]),
            Incoming::Member { up: false, .. }
        ));
    }

    #[test]
    fn error_names() {
        assert_eq!(tipc_err_name(4), "TIPC_ERR_OVERLOAD");
        assert_eq!(tipc_err_name(99), "TIPC error code 99");
    }
}
