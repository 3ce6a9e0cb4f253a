//! `tipc-agent sink` and `tipc-agent blast`: throughput and round-trip
//! latency over TIPC SOCK_STREAM connections, TCP or AF_UNIX stream
//! sockets, for `tipc-verifier bench`.
//!
//! Unlike `send`/`recv`, no payload is generated or hashed: the figures are
//! those of the socket path, not of the agent. A sink accepts `--conns`
//! connections and, on each, reads `--bytes` bytes and answers with an
//! 8-byte ack (`rtt`: echoes every `--size`-byte message instead). The
//! blaster opens `--conns` connections at once, one thread each, writes
//! `--bytes` bytes in `--size`-byte writes and waits for the ack; the time
//! runs from the first connect to the last ack.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::model::Service;
use crate::socket::{SockKind, TipcSocket};
use crate::uapi::{SockaddrTipc, TIPC_CLUSTER_SCOPE};
use crate::wait::{wait_for_service, Deadline};

/// Where the sink listens / the blaster connects.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Tipc(Service),
    Tcp(SocketAddr),
    /// An AF_UNIX stream socket file both namespaces can reach.
    Unix(PathBuf),
}

/// One connected stream, TIPC, TCP or AF_UNIX.
enum Conn {
    Tipc(TipcSocket),
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    fn write_all(&mut self, mut buf: &[u8]) -> Result<()> {
        match self {
            Conn::Tcp(s) => s.write_all(buf).context("TCP write"),
            Conn::Unix(s) => s.write_all(buf).context("AF_UNIX write"),
            Conn::Tipc(s) => {
                while !buf.is_empty() {
                    let n = s.send(buf, None, false).context("TIPC send")?;
                    buf = &buf[n..];
                }
                Ok(())
            }
        }
    }

    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = match self {
            Conn::Tcp(s) => s.read(buf).context("TCP read")?,
            Conn::Unix(s) => s.read(buf).context("AF_UNIX read")?,
            Conn::Tipc(s) => s.recv_msg(buf, false).context("TIPC recv")?.len,
        };
        if n == 0 {
            bail!("the peer closed the connection");
        }
        Ok(n)
    }

    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            let n = self.read_some(buf)?;
            buf = &mut buf[n..];
        }
        Ok(())
    }
}

const ACK: &[u8; 8] = b"BENCHACK";

/// The blaster's JSON result.
pub type BlastReport = tipc_agent_protocol::results::Blast;

/// Arguments shared by sink and blaster.
pub struct BenchArgs {
    pub endpoint: Endpoint,
    pub conns: u32,
    pub size: usize,
    /// Bytes per connection (throughput) or round trips (rtt).
    pub amount: u64,
    pub rtt: bool,
    pub timeout: Duration,
}

fn accept_all(args: &BenchArgs, ready: &Path) -> Result<Vec<Conn>> {
    let mut conns = Vec::new();
    match &args.endpoint {
        Endpoint::Tipc(svc) => {
            let l = TipcSocket::new(SockKind::Stream).context("TIPC socket")?;
            l.bind(&SockaddrTipc::service(
                svc.type_,
                svc.lower,
                TIPC_CLUSTER_SCOPE,
            ))
            .context("bind")?;
            l.listen(64).context("listen")?;
            std::fs::write(ready, b"ready").context("ready file")?;
            for _ in 0..args.conns {
                conns.push(Conn::Tipc(l.accept().context("accept")?.0));
            }
        }
        Endpoint::Tcp(addr) => {
            let l = TcpListener::bind(addr).with_context(|| format!("bind {addr}"))?;
            std::fs::write(ready, b"ready").context("ready file")?;
            for _ in 0..args.conns {
                let (s, _) = l.accept().context("accept")?;
                s.set_nodelay(true).ok();
                conns.push(Conn::Tcp(s));
            }
        }
        Endpoint::Unix(path) => {
            // A socket file left by an earlier run would make bind fail.
            let _ = std::fs::remove_file(path);
            let l = UnixListener::bind(path).with_context(|| format!("bind {}", path.display()))?;
            std::fs::write(ready, b"ready").context("ready file")?;
            for _ in 0..args.conns {
                conns.push(Conn::Unix(l.accept().context("accept")?.0));
            }
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(conns)
}

/// Serves one measurement: returns when every connection is done.
pub fn sink(args: &BenchArgs, ready: &Path) -> Result<()> {
    let conns = accept_all(args, ready)?;
    let (size, amount, rtt) = (args.size, args.amount, args.rtt);
    let workers: Vec<_> = conns
        .into_iter()
        .map(|mut c| {
            std::thread::spawn(move || -> Result<()> {
                let mut buf = vec![0u8; size.max(65536)];
                if rtt {
                    for _ in 0..amount {
                        c.read_exact(&mut buf[..size])?;
                        c.write_all(&buf[..size])?;
                    }
                } else {
                    let mut left = amount;
                    while left > 0 {
                        let want = left.min(buf.len() as u64) as usize;
                        left -= c.read_some(&mut buf[..want])? as u64;
                    }
                    c.write_all(ACK)?;
                }
                Ok(())
            })
        })
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("a sink thread panicked"))??;
    }
    Ok(())
}

fn connect(endpoint: &Endpoint) -> Result<Conn> {
    Ok(match endpoint {
        Endpoint::Tipc(svc) => {
            let s = TipcSocket::new(SockKind::Stream).context("TIPC socket")?;
            s.connect(&SockaddrTipc::service(svc.type_, svc.lower, 0))
                .context("TIPC connect")?;
            Conn::Tipc(s)
        }
        Endpoint::Tcp(addr) => {
            let s = TcpStream::connect(addr).with_context(|| format!("connect {addr}"))?;
            s.set_nodelay(true).ok();
            Conn::Tcp(s)
        }
        Endpoint::Unix(path) => Conn::Unix(
            UnixStream::connect(path).with_context(|| format!("connect {}", path.display()))?,
        ),
    })
}

/// Runs one measurement and fills `report`.
pub fn blast(args: &BenchArgs, report: &mut BlastReport) -> Result<()> {
    let deadline = Deadline::after(args.timeout);
    if let Endpoint::Tipc(svc) = &args.endpoint {
        wait_for_service(crate::model::uapi_range(svc), 1, &deadline)?;
    }
    let start = Instant::now();
    let (size, amount, rtt) = (args.size, args.amount, args.rtt);
    let workers: Vec<_> = (0..args.conns)
        .map(|_| {
            let endpoint = args.endpoint.clone();
            std::thread::spawn(move || -> Result<()> {
                let mut c = connect(&endpoint)?;
                let mut buf = vec![0x5au8; size];
                if rtt {
                    for _ in 0..amount {
                        c.write_all(&buf)?;
                        c.read_exact(&mut buf)?;
                    }
                } else {
                    let mut left = amount;
                    while left > 0 {
                        let n = left.min(size as u64) as usize;
                        c.write_all(&buf[..n])?;
                        left -= n as u64;
                    }
                    let mut ack = [0u8; 8];
                    c.read_exact(&mut ack)?;
                    if &ack != ACK {
                        bail!("unexpected ack {ack:?}");
                    }
                }
                Ok(())
            })
        })
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("a blaster thread panicked"))??;
    }
    let secs = start.elapsed().as_secs_f64();
    report.seconds = secs;
    if rtt {
        report.messages = amount * u64::from(args.conns);
        report.rtt_us = Some(secs * 1e6 / amount as f64);
    } else {
        let total = amount * u64::from(args.conns);
        report.messages = total.div_ceil(size as u64);
        report.mbit_per_s = total as f64 * 8.0 / secs / 1e6;
        report.msgs_per_s = report.messages as f64 / secs;
    }
    Ok(())
}

/// Writes a report as JSON (temp file + rename).
pub fn write(report: &BlastReport, out: &Path) -> Result<()> {
    crate::report::write_json(report, out)
}
