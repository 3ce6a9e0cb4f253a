//! Test helper: builds TIPC messages, frames and pcap/pcapng files.
//!
//! Shared by the `decode_*` tests and the verifier's `trace_review_cli` through
//! `#[path = ".../pcapgen.rs"] mod pcapgen;`. Whole messages of a kind (named data,
//! discovery, ...) come from the crate's encoder ([`tipc_wire::encode`]), whose own tests pin
//! its layouts to `net/tipc/msg.h`. [`tipc_msg`] writes raw header words by hand, for the
//! decoder's field-by-field tests, and the pcap/pcapng files are written out here from their
//! specifications, independent of the reader under test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tipc_wire::encode::{self, discovery_type, Discovery, Header, HeaderSize, LinkProtocol};
use tipc_wire::tipc::{data_type, user, MediaAddress};

pub const ZERO_MAC: [u8; 6] = [0; 6];
pub const MAC_A: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a];
pub const MAC_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b];
pub const NODE_A: u32 = 0x0100_1001;
pub const NODE_B: u32 = 0x0100_1002;

/// Word 0 of a TIPC v2 header.
pub fn word0(user: u32, hdr_size: u32, size: u32) -> u32 {
    (2 << 29) | (user << 25) | ((hdr_size / 4) << 21) | (size & 0x1ffff)
}

/// A TIPC message: `hdr_size` bytes of header from `words` (rest zero), word 0 computed
/// from `user`, `hdr_size` and `hdr_size + payload.len()`, type in word 1 bits 29-31
/// (merged with whatever `words[1]` holds), then `payload`.
pub fn tipc_msg(
    user: u32,
    mtype: u32,
    hdr_size: u32,
    words: &[(usize, u32)],
    payload: &[u8],
) -> Vec<u8> {
    let mut w = vec![0u32; (hdr_size / 4) as usize];
    for &(i, v) in words {
        w[i] = v;
    }
    w[0] |= word0(user, hdr_size, hdr_size + payload.len() as u32);
    w[1] |= mtype << 29;
    let mut out: Vec<u8> = w.iter().flat_map(|x| x.to_be_bytes()).collect();
    out.extend_from_slice(payload);
    out
}

/// Connected data with a SHORT (24-byte) header, as `tipc_sk_finish_conn` sets up.
pub fn conn_short(prev: u32, oport: u32, dport: u32, payload_len: usize) -> Vec<u8> {
    Header::new(user::LOW_IMPORTANCE, data_type::CONN, HeaderSize::SHORT)
        .prev_node(prev)
        .ports(oport, dport)
        .encode(&vec![0x5a; payload_len])
}

/// NAMED data (40-byte header).
pub fn named(
    orig: u32,
    dest: u32,
    oport: u32,
    dport: u32,
    name: (u32, u32),
    payload_len: usize,
) -> Vec<u8> {
    Header::new(user::LOW_IMPORTANCE, data_type::NAMED, HeaderSize::NAMED)
        .prev_node(orig)
        .ports(oport, dport)
        .nodes(orig, dest)
        .name(name.0, name.1)
        .encode(&vec![0xa5; payload_len])
}

/// CONN_MANAGER CONN_ACK (40-byte header).
pub fn conn_ack(orig: u32, dest: u32, oport: u32, dport: u32) -> Vec<u8> {
    Header::new(user::CONN_MANAGER, 2, HeaderSize::NAMED)
        .prev_node(orig)
        .ports(oport, dport)
        .nodes(orig, dest)
        .encode(&[])
}

/// NAME_DISTRIBUTOR PUBLICATION with one 20-byte item.
pub fn publication(orig: u32, dest: u32) -> Vec<u8> {
    Header::new(user::NAME_DISTRIBUTOR, 0, HeaderSize::NAMED)
        .prev_node(orig)
        .nodes(orig, dest)
        .encode(&[0u8; 20])
}

/// LINK_CONFIG DSC_REQ as `tipc_disc_init_msg` builds it: 60-byte header + 16-byte node id.
pub fn discovery(prev: u32, mac: [u8; 6], proof: u32, node_id: [u8; 16]) -> Vec<u8> {
    Discovery {
        mtype: discovery_type::REQUEST,
        node_addr: prev,
        signature: 0x1234,
        capabilities: 0x1fff,
        dest_domain: 0x0100_1000,
        cluster_id: 4711,
        media: MediaAddress::Ethernet(mac),
        proof,
        suggested_addr: 0x0100_1005,
        node_id,
    }
    .encode()
}

/// LINK_PROTOCOL STATE (40-byte header).
pub fn link_state(orig: u32, dest: u32) -> Vec<u8> {
    let link = LinkProtocol {
        session: 7,
        bearer_id: 1,
        priority: 10,
        probe: true,
        max_pkt: 1500,
        tolerance: 1500,
        ..LinkProtocol::default()
    };
    Header::new(user::LINK_PROTOCOL, 0, HeaderSize::NAMED)
        .prev_node(orig)
        .nodes(orig, dest)
        .link_protocol(&link)
        .encode(&[])
}

/// Ethernet II frame.
pub fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    encode::ethernet(dst, src, ethertype, payload)
}

/// A `tipc_loopback_trace` clone: 0x88CA, all-zero MACs.
pub fn loopback_clone(msg: &[u8]) -> Vec<u8> {
    eth(ZERO_MAC, ZERO_MAC, 0x88ca, msg)
}

/// A bearer frame from MAC_A to MAC_B, padded to the 60-byte Ethernet minimum.
pub fn bearer_frame(msg: &[u8]) -> Vec<u8> {
    let mut f = eth(MAC_B, MAC_A, 0x88ca, msg);
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

/// An IPv4/UDP-looking frame (not TIPC).
pub fn ipv4_frame() -> Vec<u8> {
    let mut ip = vec![
        0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    ip.extend_from_slice(&[0x13, 0x88, 0x17, 0xe6, 0, 8, 0, 0]);
    eth(MAC_B, MAC_A, 0x0800, &ip)
}

/// Linux cooked v1 header + payload.
pub fn sll(packet_type: u16, hatype: u16, addr: [u8; 6], protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&packet_type.to_be_bytes());
    f.extend_from_slice(&hatype.to_be_bytes());
    f.extend_from_slice(&6u16.to_be_bytes());
    f.extend_from_slice(&addr);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Linux cooked v2 header + payload.
pub fn sll2(
    ifindex: u32,
    packet_type: u8,
    hatype: u16,
    addr: [u8; 6],
    protocol: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&ifindex.to_be_bytes());
    f.extend_from_slice(&hatype.to_be_bytes());
    f.push(packet_type);
    f.push(6);
    f.extend_from_slice(&addr);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

/// One frame for a pcap file.
#[derive(Clone)]
pub struct Rec {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

pub fn rec(ts_sec: u32, ts_frac: u32, data: Vec<u8>) -> Rec {
    let orig_len = data.len() as u32;
    Rec {
        ts_sec,
        ts_frac,
        data,
        orig_len,
    }
}

/// A classic pcap file (little-endian unless `big_endian`, µs unless `nanos`).
pub fn pcap(linktype: u32, recs: &[Rec], big_endian: bool, nanos: bool) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend_from_slice(&u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    f.extend_from_slice(&u16b(2));
    f.extend_from_slice(&u16b(4));
    f.extend_from_slice(&u32b(0)); // thiszone
    f.extend_from_slice(&u32b(0)); // sigfigs
    f.extend_from_slice(&u32b(262_144)); // snaplen
    f.extend_from_slice(&u32b(linktype));
    for r in recs {
        f.extend_from_slice(&u32b(r.ts_sec));
        f.extend_from_slice(&u32b(r.ts_frac));
        f.extend_from_slice(&u32b(r.data.len() as u32));
        f.extend_from_slice(&u32b(r.orig_len));
        f.extend_from_slice(&r.data);
    }
    f
}

/// Little-endian Ethernet pcap (µs).
pub fn pcap_eth(frames: &[Vec<u8>]) -> Vec<u8> {
    let recs: Vec<Rec> = frames
        .iter()
        .enumerate()
        .map(|(i, d)| rec(1_700_000_000, (i as u32) * 1000, d.clone()))
        .collect();
    pcap(1, &recs, false, false)
}

/// Byte offsets of each record in a little-endian µs pcap built from `frames`.
pub fn pcap_offsets(frames: &[Vec<u8>]) -> Vec<u64> {
    let mut off = 24u64;
    frames
        .iter()
        .map(|f| {
            let o = off;
            off += 16 + f.len() as u64;
            o
        })
        .collect()
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() & 3 != 0 {
        v.push(0);
    }
}

/// A pcapng block with body `body` (padded), in little-endian unless `be`.
pub fn ng_block(block_type: u32, body: &[u8], be: bool) -> Vec<u8> {
    let mut b = body.to_vec();
    pad4(&mut b);
    let len = 12 + b.len() as u32;
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut out = Vec::new();
    out.extend_from_slice(&u32b(block_type));
    out.extend_from_slice(&u32b(len));
    out.extend_from_slice(&b);
    out.extend_from_slice(&u32b(len));
    out
}

/// An option (code, value), padded, in little-endian unless `be`.
pub fn ng_opt(code: u16, value: &[u8], be: bool) -> Vec<u8> {
    let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut o = Vec::new();
    o.extend_from_slice(&u16b(code));
    o.extend_from_slice(&u16b(value.len() as u16));
    o.extend_from_slice(value);
    pad4(&mut o);
    o
}

pub fn ng_end_opt() -> Vec<u8> {
    vec![0, 0, 0, 0]
}

/// Section header block.
pub fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    body.extend_from_slice(&u32b(0x1a2b_3c4d));
    body.extend_from_slice(&u16b(1));
    body.extend_from_slice(&u16b(0));
    body.extend_from_slice(&(-1i64).to_le_bytes());
    ng_block(0x0a0d_0d0a, &body, be)
}

/// Interface description block with a name and optional if_tsresol.
pub fn idb(linktype: u16, name: &str, tsresol: Option<u8>, be: bool) -> Vec<u8> {
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut body = Vec::new();
    body.extend_from_slice(&u16b(linktype));
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&u32b(262_144));
    body.extend_from_slice(&ng_opt(2, name.as_bytes(), be));
    if let Some(r) = tsresol {
        body.extend_from_slice(&ng_opt(9, &[r], be));
    }
    body.extend_from_slice(&ng_end_opt());
    ng_block(1, &body, be)
}

/// Enhanced packet block; `flags` is the epb_flags option (bits 0-1: 1 in, 2 out).
pub fn epb(
    if_id: u32,
    ts: u64,
    data: &[u8],
    orig_len: u32,
    flags: Option<u32>,
    be: bool,
) -> Vec<u8> {
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(if_id));
    body.extend_from_slice(&u32b((ts >> 32) as u32));
    body.extend_from_slice(&u32b(ts as u32));
    body.extend_from_slice(&u32b(data.len() as u32));
    body.extend_from_slice(&u32b(orig_len));
    body.extend_from_slice(data);
    pad4(&mut body);
    if let Some(fl) = flags {
        body.extend_from_slice(&ng_opt(2, &u32b(fl), be));
        body.extend_from_slice(&ng_end_opt());
    }
    ng_block(6, &body, be)
}

/// Simple packet block.
pub fn spb(data: &[u8], be: bool) -> Vec<u8> {
    let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(data.len() as u32));
    body.extend_from_slice(data);
    ng_block(3, &body, be)
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write test capture");
    p
}
