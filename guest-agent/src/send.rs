//! `tipc-agent send`: waits for the destination, sends `--count` messages of
//! `--size` bytes and (unless `--acks 0`) waits for the receiver's ack.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::SendArgs;
use crate::model::{GroupMode, Run, SockMode};
use crate::payload::{fill_payload, returned_key, ACK_LEN};
use crate::socket::{SockKind, TipcSocket};
use crate::uapi::{
    SockaddrTipc, TipcGroupReq, TipcSocketAddr, SOL_TIPC, TIPC_CLUSTER_SCOPE, TIPC_CONN_TIMEOUT,
    TIPC_DEST_DROPPABLE, TIPC_ERR_OVERLOAD, TIPC_GROUP_MEMBER_EVTS,
};
use crate::wait::{
    parse_port_file, timeout_error, wait_for_file, wait_for_node, wait_for_service, Deadline,
};
use crate::xfer::{recv_one, send_all, tipc_err_name, wait_readable, Incoming};

pub fn run(a: &SendArgs, d: &Deadline, run: &mut Run) -> Result<()> {
    match a.sock {
        SockMode::Rdm | SockMode::Mcast => send_datagrams(a, d, run),
        SockMode::Seqpacket | SockMode::Stream => send_connection(a, d, run),
        SockMode::Group => send_group(a, d, run),
    }
}

fn open(kind: SockKind) -> Result<TipcSocket> {
    TipcSocket::new(kind).with_context(|| format!("socket(AF_TIPC, {})", kind.name()))
}

fn read_port_file(a: &SendArgs, d: &Deadline) -> Result<Option<TipcSocketAddr>> {
    let Some(pf) = &a.port_file else {
        return Ok(None);
    };
    let text = wait_for_file(pf, d)?;
    let port = parse_port_file(&text).with_context(|| format!("port file {}", pf.display()))?;
    Ok(Some(port))
}

/// Destination of rdm / connection sends: the port from `--port-file`
/// (after its node is reachable and, if also given, `--service` is
/// published) or the service name once the topology server reports it.
fn resolve_dest(
    a: &SendArgs,
    d: &Deadline,
    own: TipcSocketAddr,
    run: &mut Run,
) -> Result<SockaddrTipc> {
    if let Some(port) = read_port_file(a, d)? {
        wait_for_node(port.node, own.node, d)?;
        if let Some(svc) = a.service {
            wait_for_service(crate::model::uapi_range(&svc), 1, d)?;
        }
        run.peer = Some(port);
        return Ok(SockaddrTipc::socket(port));
    }
    let svc = a
        .service
        .ok_or_else(|| anyhow!("--service or --port-file is required"))?;
    let ports = wait_for_service(crate::model::uapi_range(&svc), 1, d)?;
    run.peer = ports.first().copied();
    Ok(SockaddrTipc::service(
        svc.type_,
        svc.lower,
        TIPC_CLUSTER_SCOPE,
    ))
}

fn acks_needed(a: &SendArgs) -> u64 {
    if a.count == 0 {
        0
    } else {
        u64::from(a.acks)
    }
}

/// rdm (anycast / port) and mcast (service range).
///
/// rdm sockets are made returnable (TIPC_DEST_DROPPABLE = 0): a message the
/// receiver rejects because its queue is full (TIPC_ERR_OVERLOAD) comes back
/// with its first 1024 bytes, is matched to its index and re-sent (counted
/// in `rejected` and `retries`). Any other rejection is a hard error.
fn send_datagrams(a: &SendArgs, d: &Deadline, run: &mut Run) -> Result<()> {
    let sock = open(SockKind::Rdm)?;
    let own = sock.local_addr().context("getsockname")?;
    run.own = Some(own);
    let mcast = a.sock == SockMode::Mcast;
    let dest = if mcast {
        let svc = a
            .service
            .ok_or_else(|| anyhow!("--sock mcast needs --service"))?;
        let ports = wait_for_service(crate::model::uapi_range(&svc), a.acks.max(1) as usize, d)?;
        run.peer = ports.first().copied();
        SockaddrTipc::range(svc.type_, svc.lower, svc.upper, TIPC_CLUSTER_SCOPE)
    } else {
        sock.set_opt_u32(SOL_TIPC, TIPC_DEST_DROPPABLE, 0)
            .context("setsockopt(SOL_TIPC, TIPC_DEST_DROPPABLE, 0)")?;
        resolve_dest(a, d, own, run)?
    };

    let need_acks = acks_needed(a);
    let mut keys: HashMap<[u8; 32], Vec<u64>> = HashMap::new();
    let mut resend: VecDeque<u64> = VecDeque::new();
    let mut next = 0u64;
    let mut buf = vec![0u8; a.size];
    let mut rbuf = vec![0u8; 4096];
    loop {
        // Drain what came back: rejections and acks.
        loop {
            match recv_one(&sock, &mut rbuf, true)? {
                Incoming::Nothing => break,
                Incoming::Rejected { code, data } => {
                    let idx = keys.get_mut(&returned_key(&data)).and_then(|v| v.pop());
                    match idx {
                        Some(i) if code == TIPC_ERR_OVERLOAD && !mcast => {
                            run.rejected += 1;
                            run.retries += 1;
                            resend.push_back(i);
                            // The receiver is overloaded: give it a moment.
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        Some(i) => bail!("message {i} was rejected: {}", tipc_err_name(code)),
                        None => bail!(
                            "an unidentified message ({} bytes returned) was rejected: {}",
                            data.len(),
                            tipc_err_name(code)
                        ),
                    }
                }
                Incoming::Ack { messages } => run.ack(messages),
                Incoming::Member { .. } | Incoming::Data { .. } | Incoming::Eof => {}
            }
        }

        let (idx, first) = match resend.pop_front() {
            Some(i) => (Some(i), false),
            None if next < a.count => {
                next += 1;
                (Some(next - 1), true)
            }
            None => (None, false),
        };
        if let Some(i) = idx {
            fill_payload(a.seed, i, &mut buf);
            if !mcast {
                keys.entry(returned_key(&buf)).or_default().push(i);
            }
            send_all(&sock, &buf, Some(&dest), false, d, &mut run.retries)
                .with_context(|| format!("sending message {i}"))?;
            if first {
                run.acc.add(&buf);
                if run.acc.messages == 1 {
                    if let Some(f) = &a.started_file {
                        crate::wait::write_atomic(f, b"started\n")?;
                    }
                }
            }
            continue;
        }

        if run.acks >= need_acks {
            return Ok(());
        }
        wait_readable(
            &sock,
            d,
            &format!("waiting for receiver ack ({} of {need_acks})", run.acks),
        )?;
    }
}

/// seqpacket / stream: connect, send, then read the receiver's ack
/// (TIPC has no half-close, so the ack is how we know all data arrived).
fn send_connection(a: &SendArgs, d: &Deadline, run: &mut Run) -> Result<()> {
    let kind = crate::model::sock_kind(a.sock);
    let stream = a.sock == SockMode::Stream;
    let sock = open(kind)?;
    let own = sock.local_addr().context("getsockname")?;
    run.own = Some(own);
    let dest = resolve_dest(a, d, own, run)?;

    let ms = d.remaining().as_millis().clamp(1, u32::MAX as u128) as u32;
    sock.set_opt_u32(SOL_TIPC, TIPC_CONN_TIMEOUT, ms)
        .context("setsockopt(SOL_TIPC, TIPC_CONN_TIMEOUT)")?;
    sock.connect(&dest).context("connect")?;
    if let Ok(p) = sock.peer_addr() {
        run.peer = Some(p);
    }
    if let Ok(o) = sock.local_addr() {
        run.own = Some(o);
    }

    let mut buf = vec![0u8; a.size];
    for i in 0..a.count {
        if let (Some(n), Some(paused), Some(resume)) =
            (a.pause_after, &a.paused_file, &a.resume_file)
        {
            if i == n {
                if resume.exists() {
                    bail!(
                        "{} exists before the pause: a stale file would not make the sender wait",
                        resume.display()
                    );
                }
                crate::wait::write_atomic(paused, b"paused\n")?;
                wait_for_file(resume, d)?;
            }
        }
        fill_payload(a.seed, i, &mut buf);
        send_all(&sock, &buf, None, stream, d, &mut run.retries)
            .with_context(|| format!("sending message {i}"))?;
        run.acc.add(&buf);
    }
    if acks_needed(a) == 0 {
        return Ok(());
    }

    // Read exactly one ack (ACK_LEN bytes; one message for seqpacket).
    let mut got: Vec<u8> = Vec::with_capacity(ACK_LEN);
    let mut rbuf = [0u8; 256];
    while got.len() < ACK_LEN {
        let room = if stream {
            ACK_LEN - got.len()
        } else {
            rbuf.len()
        };
        match sock.recv_msg(&mut rbuf[..room], true) {
            Ok(m) if m.len == 0 => {
                bail!("receiver closed the connection before acknowledging")
            }
            Ok(m) => {
                got.extend_from_slice(&rbuf[..m.len]);
                if !stream {
                    break;
                }
            }
            Err(e) if crate::socket::is_congestion(&e) => {
                wait_readable(&sock, d, "waiting for receiver ack")?;
            }
            Err(e) => return Err(e).context("waiting for receiver ack"),
        }
    }
    let messages = crate::payload::decode_ack(&got)
        .ok_or_else(|| anyhow!("malformed ack from receiver: {}", hex::encode(&got)))?;
    run.ack(messages);
    Ok(())
}

/// group: join `TYPE` as member `--member-instance`, wait for the receiving
/// member's TIPC_PUBLISHED member event, send per `--group-mode`, then wait
/// for the receiver's unicast ack.
fn send_group(a: &SendArgs, d: &Deadline, run: &mut Run) -> Result<()> {
    let svc = a
        .service
        .ok_or_else(|| anyhow!("--sock group needs --service TYPE:INSTANCE"))?;
    let mode = a.group_mode.unwrap_or(GroupMode::Bcast);
    let sock = open(SockKind::Rdm)?;
    let member_instance = a.member_instance.unwrap_or(svc.lower.wrapping_add(1));
    let req = TipcGroupReq {
        type_: svc.type_,
        instance: member_instance,
        scope: TIPC_CLUSTER_SCOPE,
        flags: TIPC_GROUP_MEMBER_EVTS,
    };
    sock.join_group(&req).with_context(|| {
        format!(
            "setsockopt(TIPC_GROUP_JOIN, type {} instance {member_instance})",
            svc.type_
        )
    })?;
    run.own = Some(sock.local_addr().context("getsockname")?);

    let want_port = if mode == GroupMode::Unicast {
        Some(
            read_port_file(a, d)?
                .ok_or_else(|| anyhow!("--group-mode unicast needs --port-file"))?,
        )
    } else {
        read_port_file(a, d)?
    };

    // Wait for the receiving member to become visible.
    let mut rbuf = vec![0u8; 4096];
    let target = loop {
        match recv_one(&sock, &mut rbuf, true)? {
            Incoming::Member { up, port, member } => {
                run.member_events += 1;
                let matches = match want_port {
                    Some(p) => p == port,
                    None => {
                        member.type_ == svc.type_
                            && (svc.lower..=svc.upper).contains(&member.instance)
                    }
                };
                if up && matches {
                    break port;
                }
            }
            Incoming::Nothing => wait_readable(
                &sock,
                d,
                &format!("waiting for group member {svc} to join (member events)"),
            )?,
            Incoming::Ack { messages } => run.ack(messages),
            _ => {}
        }
    };
    run.peer = Some(target);

    let dest = match mode {
        GroupMode::Bcast => None,
        GroupMode::Mcast => Some(SockaddrTipc::range(
            svc.type_,
            svc.lower,
            svc.upper,
            TIPC_CLUSTER_SCOPE,
        )),
        GroupMode::Anycast => Some(SockaddrTipc::service(
            svc.type_,
            svc.lower,
            TIPC_CLUSTER_SCOPE,
        )),
        GroupMode::Unicast => Some(SockaddrTipc::socket(target)),
    };

    let check_incoming = |run: &mut Run, rbuf: &mut [u8]| -> Result<()> {
        loop {
            match recv_one(&sock, rbuf, true)? {
                Incoming::Nothing => return Ok(()),
                Incoming::Member { up, port, .. } => {
                    run.member_events += 1;
                    if !up && port == target && run.acks == 0 {
                        bail!(
                            "receiving member {} {} left the group before acknowledging",
                            port.node,
                            port.ref_
                        );
                    }
                }
                Incoming::Ack { messages } => run.ack(messages),
                Incoming::Rejected { code, .. } => {
                    bail!("a group message was rejected: {}", tipc_err_name(code))
                }
                Incoming::Data { .. } | Incoming::Eof => {}
            }
        }
    };

    let mut buf = vec![0u8; a.size];
    for i in 0..a.count {
        check_incoming(run, &mut rbuf)?;
        fill_payload(a.seed, i, &mut buf);
        send_all(&sock, &buf, dest.as_ref(), false, d, &mut run.retries)
            .with_context(|| format!("sending message {i} ({})", mode.as_arg()))?;
        run.acc.add(&buf);
    }
    let need = acks_needed(a);
    loop {
        check_incoming(run, &mut rbuf)?;
        if run.acks >= need {
            return Ok(());
        }
        if d.expired() {
            return Err(timeout_error(
                d,
                &format!("waiting for receiver ack ({} of {need})", run.acks),
            ));
        }
        wait_readable(&sock, d, "waiting for receiver ack")?;
    }
}
