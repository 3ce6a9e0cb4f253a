//! `tipc-agent inject`: forged TIPC discovery frames on a raw packet socket.
//!
//! The attacker of the verifier's `forged_discovery` scenario. It first
//! listens on `--sniff-dev` for a real discovery message (LINK_CONFIG, user
//! 13) of the namespace it impersonates, to learn that node's 128-bit id,
//! address, cluster id and proof, then sends `--count` discovery requests
//! on `--dev` that are wrong in the way `--mode` says:
//!
//! - `forged-proof`: the victim's node id and cluster id, a made-up proof;
//! - `wrong-cluster`: the victim's node id and real proof, another cluster id;
//! - `replay-other-id`: the victim's real proof under another node id;
//! - `raw-hash`: another node id, word 13 zero and a raw 32-bit value in
//!   word 9, where the first posting of the upstream patch put `hash_mix`.
//!
//! None of them may ever open a crossover. `replay` forges nothing: it sends
//! the sniffed frame again unchanged, so that a receiver handles its peer's
//! periodic discovery as often as a measurement needs. Frame layout: Ethernet
//! (broadcast, ethertype 0x88CA) + 60-byte TIPC v2 LINK_CONFIG header +
//! 16-byte node id (`net/tipc/discover.c`, `msg.h`).

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

use tipc_wire::encode::{self, discovery_type, Discovery};
use tipc_wire::link::{self, linktype};
use tipc_wire::tipc::{user, MediaAddress, TipcHeader, NODE_ID_LEN};
use tipc_wire::ETH_P_TIPC;

/// The source and media address of every forged frame: locally administered.
const FORGED_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x00, 0x00, 0xaa];
/// Word of the media information where the first posting of the upstream
/// patch put the raw `hash_mix` (`--mode raw-hash`).
const RAW_HASH_WORD: usize = 9;

pub use tipc_agent_protocol::results::{Inject as InjectReport, Sniffed};
pub use tipc_agent_protocol::InjectMode as Mode;

/// Reads a discovery message's fields from an Ethernet frame, if it is one
/// (a whole LINK_CONFIG message with its proof word and node identity).
fn parse_discovery(frame: &[u8]) -> Option<Sniffed> {
    let view = link::parse(linktype::ETHERNET, frame)?;
    if view.ethertype != ETH_P_TIPC {
        return None;
    }
    let header = TipcHeader::parse(frame.get(view.payload_offset..)?).ok()?;
    if header.user != user::LINK_CONFIG {
        return None;
    }
    let d = Discovery::from_header(&header)?;
    Some(Sniffed {
        node_id: hex::encode(d.node_id),
        addr: d.node_addr,
        cluster_id: d.cluster_id,
        proof: d.proof,
        capabilities: u32::from(d.capabilities),
    })
}

/// What one forged discovery request claims.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Claim {
    node_id: [u8; NODE_ID_LEN],
    addr: u32,
    cluster_id: u32,
    proof: u32,
    capabilities: u32,
    /// A raw value in the media words (`--mode raw-hash`).
    raw_hash: Option<u32>,
}

impl Claim {
    /// The `i`-th node of a series: the last four bytes of the node id count
    /// up from 0, the address from this claim's + 1.
    fn distinct(&self, i: u32) -> Claim {
        let mut node_id = self.node_id;
        node_id[NODE_ID_LEN - 4..].copy_from_slice(&i.to_be_bytes());
        Claim {
            node_id,
            addr: self.addr.wrapping_add(i.wrapping_add(1)),
            ..self.clone()
        }
    }

    /// The broadcast Ethernet frame of a discovery request that claims this.
    /// Discovery is not sequenced on a link: without the non-sequenced bit
    /// (which the encoder sets), tipc_rcv() takes the frame for link traffic
    /// from an unknown node and drops it before discovery sees it.
    fn frame(&self) -> Vec<u8> {
        let discovery = Discovery {
            mtype: discovery_type::REQUEST,
            node_addr: self.addr,
            // The node signature follows the address, as for any new node.
            signature: (self.addr & 0xffff) as u16,
            capabilities: (self.capabilities & 0x1fff) as u16,
            dest_domain: 0,
            cluster_id: self.cluster_id,
            media: MediaAddress::Ethernet(FORGED_MAC),
            proof: self.proof,
            suggested_addr: 0,
            node_id: self.node_id,
        };
        let mut header = discovery.header();
        if let Some(raw) = self.raw_hash {
            header = header.word(RAW_HASH_WORD, raw);
        }
        let msg = header.encode(&discovery.node_id);
        encode::ethernet([0xff; 6], FORGED_MAC, ETH_P_TIPC, &msg)
    }
}

/// A raw packet socket bound to `dev` for TIPC frames, or for every frame.
struct RawSocket {
    fd: libc::c_int,
    ifindex: libc::c_int,
}

/// Which frames a [`RawSocket`] receives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tap {
    /// TIPC frames the device delivers to the stack: none that a bridge
    /// it is a port of consumes.
    Tipc,
    /// Every frame, before a bridge takes it, outgoing ones included.
    All,
}

impl RawSocket {
    fn open(dev: &str) -> Result<Self> {
        Self::open_tap(dev, Tap::Tipc)
    }

    fn open_tap(dev: &str, tap: Tap) -> Result<Self> {
        let name = std::ffi::CString::new(dev).context("device name")?;
        // SAFETY: `name` is a valid NUL-terminated string.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            bail!("no network device {dev:?} in this namespace");
        }
        let proto = match tap {
            Tap::Tipc => ETH_P_TIPC,
            Tap::All => libc::ETH_P_ALL as u16,
        }
        .to_be();
        // SAFETY: plain socket(2) call.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, libc::c_int::from(proto)) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error()).context("socket(AF_PACKET, SOCK_RAW)");
        }
        let sock = RawSocket {
            fd,
            ifindex: ifindex as libc::c_int,
        };
        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: `sll` is a sockaddr_ll of the size passed.
        let rc = unsafe {
            libc::bind(
                fd,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if rc < 0 {
            return Err(std::io::Error::last_os_error()).with_context(|| format!("bind to {dev}"));
        }
        Ok(sock)
    }

    fn send(&self, frame: &[u8]) -> Result<()> {
        // SAFETY: `frame` is valid for reads of its length.
        let n = unsafe { libc::send(self.fd, frame.as_ptr().cast(), frame.len(), 0) };
        if n < 0 {
            return Err(std::io::Error::last_os_error()).context("send");
        }
        Ok(())
    }

    /// Receives one frame, waiting at most `wait`: its length and whether
    /// to skip it: the device sent it (`PACKET_OUTGOING`) rather than
    /// received it, or another device did (queued before `bind`).
    fn recv(&self, buf: &mut [u8], wait: Duration) -> Result<Option<(usize, bool)>> {
        let mut pfd = libc::pollfd {
            fd: self.fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc < 0 {
            return Err(std::io::Error::last_os_error()).context("poll");
        }
        if rc == 0 {
            return Ok(None);
        }
        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `buf` is valid for writes of its length, `from` for
        // writes of `len` bytes.
        let n = unsafe {
            libc::recvfrom(
                self.fd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        if n < 0 {
            return Err(std::io::Error::last_os_error()).context("recvfrom");
        }
        let skip = from.sll_pkttype == libc::PACKET_OUTGOING || from.sll_ifindex != self.ifindex;
        Ok(Some((n as usize, skip)))
    }
}

impl Drop for RawSocket {
    fn drop(&mut self) {
        // SAFETY: `fd` is owned by this socket.
        unsafe { libc::close(self.fd) };
    }
}

/// Waits up to `wait` for a discovery message on `dev`: its fields and
/// the frame as received. On `Tap::All`, only a frame `dev` received.
fn sniff(dev: &str, tap: Tap, wait: Duration) -> Result<(Sniffed, Vec<u8>)> {
    let sock = RawSocket::open_tap(dev, tap)?;
    let end = Instant::now() + wait;
    let mut buf = vec![0u8; 65536];
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if let Some((n, skip)) = sock.recv(&mut buf, left)? {
            if skip && tap == Tap::All {
                continue;
            }
            if let Some(s) = parse_discovery(&buf[..n]) {
                buf.truncate(n);
                return Ok((s, buf));
            }
        }
    }
    bail!("no discovery message on {dev} within {}s", wait.as_secs())
}

/// Arguments of `inject` (see `main.rs`).
pub struct InjectArgs<'a> {
    pub dev: &'a str,
    /// Where to learn the victim's discovery message; without it, a made-up
    /// node in cluster `cluster_id` is claimed.
    pub sniff_dev: Option<&'a str>,
    pub cluster_id: u32,
    /// Each frame claims a node id and address of its own, so that every
    /// frame is a first contact for the receiver.
    pub distinct: bool,
    /// Index of the first of those claims (runs use different ranges).
    pub first: u32,
    /// Each frame's proof is the claimed one XOR the frame's number from 1.
    pub vary_proof: bool,
    pub mode: Mode,
    pub count: u64,
    pub interval: Duration,
    pub timeout: Duration,
}

/// Sniffs, then sends; fills `report` as it goes so a failure keeps what
/// was done.
pub fn run(a: &InjectArgs<'_>, report: &mut InjectReport) -> Result<()> {
    if a.mode == Mode::Replay {
        return replay(a, report);
    }
    let victim = match a.sniff_dev {
        Some(dev) => {
            let (v, _) = sniff(dev, Tap::Tipc, a.timeout)?;
            report.victim = Some(v.clone());
            v
        }
        None => Sniffed {
            node_id: hex::encode(*b"tipc-verifier-00"),
            addr: 0x0100_1800,
            cluster_id: a.cluster_id,
            proof: 0,
            capabilities: 0xfff,
        },
    };
    let mut id = [0u8; NODE_ID_LEN];
    hex::decode_to_slice(&victim.node_id, &mut id).context("sniffed node id")?;
    // Another node id and address: the victim's, with the last bits flipped.
    let mut other = id;
    other[NODE_ID_LEN - 1] ^= 0x5a;
    let other_addr = victim.addr ^ 0x0000_5a5a;
    let (node_id, addr, cluster_id, proof, raw_hash) = match a.mode {
        Mode::Replay => bail!("--mode replay forges no claim"),
        Mode::ForgedProof => (
            id,
            victim.addr,
            victim.cluster_id,
            victim.proof ^ 0x3c5a_a5c3,
            None,
        ),
        Mode::WrongCluster => (id, victim.addr, victim.cluster_id + 1, victim.proof, None),
        Mode::ReplayOtherId => (other, other_addr, victim.cluster_id, victim.proof, None),
        Mode::RawHash => (other, other_addr, victim.cluster_id, 0, Some(0x1d2c_3b4a)),
    };
    let claim = Claim {
        node_id,
        addr,
        cluster_id,
        proof,
        capabilities: victim.capabilities,
        raw_hash,
    };
    report.claimed_node_id = Some(hex::encode(claim.node_id));
    report.claimed_cluster_id = Some(claim.cluster_id);
    report.claimed_proof = Some(claim.proof);
    let same = claim.frame();
    send_frames(a, report, |i| {
        if !a.distinct && !a.vary_proof {
            return same.clone();
        }
        let mut this = if a.distinct {
            claim.distinct(a.first.wrapping_add(i as u32))
        } else {
            claim.clone()
        };
        if a.vary_proof {
            this.proof ^= (i as u32).wrapping_add(1);
        }
        this.frame()
    })
}

/// Sends frame `i` for `i` in `0..count` on `--dev`, `--interval-us` apart.
fn send_frames(
    a: &InjectArgs<'_>,
    report: &mut InjectReport,
    frame: impl Fn(u64) -> Vec<u8>,
) -> Result<()> {
    let sock = RawSocket::open(a.dev)?;
    for i in 0..a.count {
        sock.send(&frame(i))?;
        report.frames_sent += 1;
        if !a.interval.is_zero() {
            std::thread::sleep(a.interval);
        }
    }
    Ok(())
}

/// `--mode replay`: the first discovery frame received on `--sniff-dev`,
/// sent `--count` times on `--dev` as it was received. The frame is taken
/// on a tap of every frame, which sees it before a bridge that
/// `--sniff-dev` is a port of consumes it; frames the device sends are
/// skipped.
fn replay(a: &InjectArgs<'_>, report: &mut InjectReport) -> Result<()> {
    let dev = a
        .sniff_dev
        .context("--mode replay needs --sniff-dev, where the frame is taken")?;
    let (peer, frame) = sniff(dev, Tap::All, a.timeout)?;
    report.claimed_node_id = Some(peer.node_id.clone());
    report.claimed_cluster_id = Some(peer.cluster_id);
    report.claimed_proof = Some(peer.proof);
    report.victim = Some(peer);
    send_frames(a, report, |_| frame.clone())
}

/// Writes the report as JSON (temp file + rename).
pub fn write(report: &InjectReport, out: &Path) -> Result<()> {
    crate::report::write_json(report, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(node_id: [u8; 16], addr: u32, cluster_id: u32, capabilities: u32) -> Claim {
        Claim {
            node_id,
            addr,
            cluster_id,
            proof: 0xdead_beef,
            capabilities,
            raw_hash: None,
        }
    }

    fn word(frame: &[u8], w: usize) -> u32 {
        let o = 14 + 4 * w;
        u32::from_be_bytes([frame[o], frame[o + 1], frame[o + 2], frame[o + 3]])
    }

    #[test]
    fn a_forged_frame_parses_as_the_discovery_it_claims() {
        let id: [u8; 16] = *b"0123456789abcdef";
        let f = claim(id, 0x1234_5678, 4711, 0x7ff).frame();
        assert_eq!(f.len(), 14 + 60 + 16);
        let s = parse_discovery(&f).expect("a discovery frame");
        assert_eq!(s.node_id, hex::encode(id));
        assert_eq!(s.addr, 0x1234_5678);
        assert_eq!(s.cluster_id, 4711);
        assert_eq!(s.proof, 0xdead_beef);
        assert_eq!(s.capabilities, 0x7ff);
        assert_ne!(word(&f, 0) & (1 << 20), 0, "discovery is non-sequenced");
        // Broadcast, from the forged MAC, which is also the media address.
        assert_eq!(f[..12], [[0xff; 6], FORGED_MAC].concat()[..]);
        assert_eq!(f[14 + 20 + 3], 1, "media type Ethernet");
        assert_eq!(f[14 + 24..14 + 30], FORGED_MAC);
    }

    #[test]
    fn the_raw_hash_goes_into_word_9_and_nothing_else_changes() {
        let plain = claim([3; 16], 0x100, 4711, 0xfff);
        let raw = Claim {
            raw_hash: Some(0x1d2c_3b4a),
            ..plain.clone()
        };
        let (p, r) = (plain.frame(), raw.frame());
        assert_eq!(word(&r, 9), 0x1d2c_3b4a);
        for w in (0..15).filter(|&w| w != 9) {
            assert_eq!(word(&p, w), word(&r, w), "word {w}");
        }
    }

    #[test]
    fn distinct_claims_are_new_nodes() {
        let f = claim(*b"tipc-verifier-00", 0x100, 4711, 0xfff)
            .distinct(7)
            .frame();
        let s = parse_discovery(&f).unwrap();
        assert!(s.node_id.ends_with("00000007"), "{}", s.node_id);
        assert!(s.node_id.starts_with(&hex::encode(b"tipc-verifier-")[..24]));
        assert_eq!(s.addr, 0x108);
        // The signature follows the address; bit 15 is the capabilities'
        // bit 0 (0xfff: set), written last as the kernel does.
        assert_eq!(
            word(&f, 1) & 0xffff,
            0x8108,
            "node signature follows the address"
        );
        assert_eq!(s.cluster_id, 4711);
    }

    #[test]
    fn other_frames_are_not_discovery() {
        let c = claim([7; 16], 1, 1, 0);
        let mut f = c.frame();
        f[12] = 0x08;
        assert!(parse_discovery(&f).is_none(), "another ethertype");
        let mut g = c.frame();
        g[14] = (2 << 5) | (12 << 1) | 1; // version 2, user 12, 60-byte header
        assert!(parse_discovery(&g).is_none(), "another user");
        assert!(parse_discovery(&c.frame()[..40]).is_none(), "too short");
    }
}
