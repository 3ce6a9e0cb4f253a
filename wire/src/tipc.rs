//! TIPC version 2 header decoder.
//!
//! Implements the header layout of Linux `net/tipc/msg.h` (6.12): the header is a sequence of
//! big-endian 32-bit words and every field is `(word(w) >> pos) & mask`. The word/bit table is
//! in the project notes on upstream TIPC (wire format section); the accessor each field mirrors is
//! named in its doc comment.
//!
//! [`TipcHeader::parse`] never panics and never reads past the bytes it is given: every word
//! that the header size (`hdr_size`, word 0) does not cover is reported as absent (`None`).
//! Where the kernel reuses a word for something else (LINK_CONFIG puts the media address in
//! words 5..=12, internal users put link state in words 4 and 5), the port/node/name fields
//! are `None` and the user-specific block ([`DiscoveryInfo`], [`LinkProtocolInfo`], ...) says
//! what the words hold.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Serialize, Serializer};

/// Smallest legal header (`MIN_H_SIZE`, also `SHORT_H_SIZE`: in-cluster connected data).
pub const MIN_H_SIZE: u32 = 24;
/// Largest header the 4-bit size field can express (`MAX_H_SIZE`, used by LINK_CONFIG).
pub const MAX_H_SIZE: u32 = 60;
/// Header size of internal (non-data) users (`INT_H_SIZE`).
pub const INT_H_SIZE: u32 = 40;
/// Length of the node identity carried after a LINK_CONFIG header (`NODE_ID_LEN`).
pub const NODE_ID_LEN: usize = 16;
/// The only TIPC version this decoder understands (`TIPC_VERSION`).
pub const TIPC_VERSION: u8 = 2;

/// Message users (word 0 bits 25..=28).
pub mod user {
    /// Data, importance LOW (`TIPC_LOW_IMPORTANCE`).
    pub const LOW_IMPORTANCE: u8 = 0;
    /// Data, importance MEDIUM.
    pub const MEDIUM_IMPORTANCE: u8 = 1;
    /// Data, importance HIGH.
    pub const HIGH_IMPORTANCE: u8 = 2;
    /// Data, importance CRITICAL.
    pub const CRITICAL_IMPORTANCE: u8 = 3;
    /// `TIPC_SYSTEM_IMPORTANCE`: an importance level, never a user on the wire.
    pub const SYSTEM_IMPORTANCE: u8 = 4;
    /// Broadcast link protocol.
    pub const BCAST_PROTOCOL: u8 = 5;
    /// Bundle of small messages on a link.
    pub const MSG_BUNDLER: u8 = 6;
    /// Unicast link protocol (STATE/RESET/ACTIVATE).
    pub const LINK_PROTOCOL: u8 = 7;
    /// Connection supervision and flow control.
    pub const CONN_MANAGER: u8 = 8;
    /// Communication group protocol.
    pub const GROUP_PROTOCOL: u8 = 9;
    /// Link changeover tunnel (SYNCH/FAILOVER).
    pub const TUNNEL_PROTOCOL: u8 = 10;
    /// Name table distribution.
    pub const NAME_DISTRIBUTOR: u8 = 11;
    /// Fragment of a message larger than the link MTU.
    pub const MSG_FRAGMENTER: u8 = 12;
    /// Neighbour discovery.
    pub const LINK_CONFIG: u8 = 13;
    /// Key distribution (`MSG_CRYPTO`); the same value is the host-internal `SOCK_WAKEUP`.
    pub const MSG_CRYPTO: u8 = 14;
    /// Topology server events: traced on the own node's `lo`, never sent on a bearer.
    pub const TOP_SRV: u8 = 15;
}

/// Data message types (word 1 bits 29..=31 of users 0..=3).
pub mod data_type {
    /// Connection-oriented.
    pub const CONN: u8 = 0;
    /// Multicast to a service range.
    pub const MCAST: u8 = 1;
    /// Sent to a service name.
    pub const NAMED: u8 = 2;
    /// Sent to a port id.
    pub const DIRECT: u8 = 3;
    /// Group membership event.
    pub const GRP_MEMBER_EVT: u8 = 4;
    /// Group broadcast.
    pub const GRP_BCAST: u8 = 5;
    /// Group multicast.
    pub const GRP_MCAST: u8 = 6;
    /// Group unicast.
    pub const GRP_UCAST: u8 = 7;
}

/// Why a byte sequence is not a TIPC v2 header we can decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TipcError {
    /// Fewer bytes than the smallest header (24).
    TooShort {
        /// Bytes available.
        available: usize,
    },
    /// Word 0 bits 29..=31 are not 2.
    UnsupportedVersion {
        /// The version found.
        version: u8,
    },
    /// Header size field below 24 bytes.
    HeaderSizeTooSmall {
        /// Header size in bytes (field × 4).
        hdr_size: u32,
    },
    /// The header size says more bytes than were captured.
    HeaderTruncated {
        /// Header size in bytes.
        hdr_size: u32,
        /// Bytes available.
        available: usize,
    },
    /// Total message size smaller than the header size.
    SizeBelowHeader {
        /// Total size (word 0 bits 0..=16).
        size: u32,
        /// Header size in bytes.
        hdr_size: u32,
    },
    /// User 4 is an importance level (`TIPC_SYSTEM_IMPORTANCE`), never a message user.
    NotAWireUser {
        /// The user found.
        user: u8,
    },
    /// The message size is larger than the frame that carried it (reported by
    /// `decode_frame()`, which knows the frame length on the wire).
    SizeBeyondFrame {
        /// Total size (word 0 bits 0..=16).
        size: u32,
        /// Bytes of the frame after the link-layer header.
        frame_bytes: usize,
    },
}

impl fmt::Display for TipcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TipcError::TooShort { available } => write!(
                f,
                "TIPC header needs at least {MIN_H_SIZE} bytes, only {available} present"
            ),
            TipcError::UnsupportedVersion { version } => write!(
                f,
                "unsupported TIPC version {version} (word 0 bits 29-31; only version 2 is decoded)"
            ),
            TipcError::HeaderSizeTooSmall { hdr_size } => write!(
                f,
                "TIPC header size {hdr_size} is below the minimum of {MIN_H_SIZE} bytes"
            ),
            TipcError::HeaderTruncated {
                hdr_size,
                available,
            } => write!(
                f,
                "TIPC header size is {hdr_size} bytes but only {available} bytes are present"
            ),
            TipcError::SizeBelowHeader { size, hdr_size } => write!(
                f,
                "TIPC message size {size} is smaller than its header size {hdr_size}"
            ),
            TipcError::NotAWireUser { user } => write!(
                f,
                "TIPC user {user} (SYSTEM_IMPORTANCE) is an importance level, never a message user"
            ),
            TipcError::SizeBeyondFrame { size, frame_bytes } => write!(
                f,
                "TIPC message size {size} exceeds the {frame_bytes} bytes the frame carried"
            ),
        }
    }
}

impl std::error::Error for TipcError {}

impl Serialize for TipcError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How the kernel treats a message when it picks a path; the basis of path verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficClass {
    /// Socket traffic between nodes: data (users 0..=3), CONN_MANAGER, GROUP_PROTOCOL, and
    /// fragments or bundles carrying them. `tipc_lxc_xmit` sends it across namespaces directly.
    User,
    /// Node-to-node protocol (discovery, link and broadcast protocol, name distribution,
    /// tunnel, crypto): always sent on a bearer, never crosses over.
    Internal,
    /// Delivered inside one node only (TOP_SRV events): seen only as a trace clone on the
    /// node's own `lo`.
    NodeLocal,
}

/// MSG_FRAGMENTER (user 12) type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FragmentKind {
    /// `FIRST_FRAGMENT`: carries the inner header.
    First,
    /// `FRAGMENT`.
    Fragment,
    /// `LAST_FRAGMENT`.
    Last,
    /// Any other type value.
    Unknown(u8),
}

/// Fragment fields of a MSG_FRAGMENTER message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FragmentInfo {
    /// Position in the fragment train (message type).
    pub kind: FragmentKind,
    /// `msg_fragm_no`: word 4 bits 16..=31, counted from 1.
    pub number: u16,
    /// `msg_nof_fragms`: word 4 bits 0..=15; only set by `tipc_msg_fragment`, `None` when 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u16>,
    /// Importance of the fragmented message (word 9 bits 0..=2).
    pub importance: u8,
    /// Header of the fragmented message, present in the FIRST fragment's payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<Box<TipcHeader>>,
    /// Why the FIRST fragment's inner header could not be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<TipcError>,
}

/// A media address carried in a discovery message (words 5..=12, `TIPC_MEDIA_INFO_OFFSET`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaAddress {
    /// `TIPC_MEDIA_TYPE_ETH`: MAC address at byte 4 of the media info.
    Ethernet([u8; 6]),
    /// `TIPC_MEDIA_TYPE_UDP`: `struct udp_media_addr` at byte 4.
    Udp {
        /// IPv4 or IPv6 address.
        ip: IpAddr,
        /// UDP port.
        port: u16,
    },
    /// Any other media type (InfiniBand writes no type byte).
    Other {
        /// Byte 3 of the media info.
        media_type: u8,
    },
}

impl fmt::Display for MediaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaAddress::Ethernet(mac) => write!(f, "eth:{}", MacAddr(*mac)),
            MediaAddress::Udp {
                ip: IpAddr::V6(ip),
                port,
            } => write!(f, "udp:[{ip}]:{port}"),
            MediaAddress::Udp { ip, port } => write!(f, "udp:{ip}:{port}"),
            MediaAddress::Other { media_type } => write!(f, "media-type-{media_type}"),
        }
    }
}

impl Serialize for MediaAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// LINK_CONFIG (user 13) discovery fields, see `tipc_disc_init_msg`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveryInfo {
    /// `msg_bc_netid`: word 4, the cluster (network) id.
    pub cluster_id: u32,
    /// `msg_node_sig`: word 1 bits 0..=15.
    pub node_signature: u16,
    /// `msg_node_capabilities`: word 1 bits 15..=27 (13 bits; overlaps the signature's bit 15).
    pub capabilities: u16,
    /// `msg_dest_domain`: the whole of word 2.
    pub dest_domain: u32,
    /// Sender's bearer address (words 5..=12), when the header covers them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaAddress>,
    /// `msg_peer_net_hash`: word 13, the crossover discovery proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<u32>,
    /// `msg_sugg_node_addr`: word 14, suggested node address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_addr: Option<u32>,
    /// 128-bit node identity (`msg_node_id`: first 16 payload bytes), when captured.
    #[serde(
        serialize_with = "serialize_node_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub node_id: Option<[u8; NODE_ID_LEN]>,
}

fn serialize_node_id<S: Serializer>(
    id: &Option<[u8; NODE_ID_LEN]>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => {
            let mut text = [0u8; 2 * NODE_ID_LEN];
            for (pair, b) in text.chunks_exact_mut(2).zip(id) {
                pair.copy_from_slice(&hex_pair(*b));
            }
            // Only ASCII hex digits were written.
            let text = std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?;
            s.serialize_some(text)
        }
        None => s.serialize_none(),
    }
}

/// LINK_PROTOCOL (user 7) fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkProtocolInfo {
    /// `msg_session`: word 5 bits 16..=31 (link incarnation).
    pub session: u16,
    /// `msg_bearer_id`: word 5 bits 9..=11.
    pub bearer_id: u8,
    /// `msg_net_plane`: word 5 bits 1..=3 as a letter from 'A'.
    pub net_plane: char,
    /// `msg_linkprio`: word 5 bits 4..=8.
    pub priority: u8,
    /// `msg_probe`: word 5 bit 0.
    pub probe: bool,
    /// `msg_peer_stopping`: word 5 bit 13.
    pub peer_stopping: bool,
    /// `msg_redundant_link`: word 5 bit 12.
    pub redundant_link: bool,
    /// `msg_seq_gap`: word 1 bits 16..=28.
    pub seq_gap: u16,
    /// `msg_next_sent`: word 4 bits 0..=15.
    pub next_sent: u16,
    /// `msg_max_pkt`: word 9 bits 16..=31 × 4, when the header covers word 9.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pkt: Option<u32>,
    /// `msg_link_tolerance`: word 9 bits 0..=15, when the header covers word 9.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<u16>,
}

/// MSG_BUNDLER (user 6) contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleInfo {
    /// `msg_msgcnt`: word 9 bits 16..=31, messages the sender put in the bundle.
    pub declared: u16,
    /// Inner messages found in the captured payload.
    pub found: u16,
    /// Bit `u` set when an inner message of user `u` was found.
    #[serde(serialize_with = "serialize_user_mask")]
    pub users: u16,
    /// All `declared` messages were found and decoded.
    pub complete: bool,
}

fn serialize_user_mask<S: Serializer>(mask: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq((0..16u8).filter(|u| mask & (1 << u) != 0).map(user_name))
}

impl BundleInfo {
    /// Names of the users found inside the bundle, in user order.
    pub fn user_names(&self) -> Vec<&'static str> {
        (0..16u8)
            .filter(|u| self.users & (1 << u) != 0)
            .map(user_name)
            .collect()
    }
}

/// A decoded TIPC v2 header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TipcHeader {
    /// `msg_version`: word 0 bits 29..=31 (always 2 after a successful parse).
    pub version: u8,
    /// `msg_user`: word 0 bits 25..=28.
    pub user: u8,
    /// `msg_hdr_sz`: word 0 bits 21..=24 × 4, in bytes.
    pub hdr_size: u32,
    /// `msg_size`: word 0 bits 0..=16, header plus data in bytes.
    pub size: u32,
    /// `msg_non_seq`: word 0 bit 20 (not sequenced on a link).
    pub non_seq: bool,
    /// `msg_dest_droppable`: word 0 bit 19.
    pub dest_droppable: bool,
    /// `msg_src_droppable`: word 0 bit 18.
    pub src_droppable: bool,
    /// `msg_is_syn`: word 0 bit 17.
    pub syn: bool,
    /// `msg_type`: word 1 bits 29..=31 (JSON name `type`).
    #[serde(rename = "type")]
    pub mtype: u8,
    /// `msg_errcode`: word 1 bits 25..=28; data, CONN_MANAGER and GROUP_PROTOCOL only, else 0.
    pub error: u8,
    /// `msg_reroute_cnt`: word 1 bits 21..=24 (data only, else 0).
    pub reroute_count: u8,
    /// `msg_lookup_scope`: word 1 bits 19..=20 (data only, else 0).
    pub lookup_scope: u8,
    /// `msg_prevnode`: word 3, the node that put the message on this hop.
    pub prev_node: u32,
    /// `msg_orignode`: word 6, or word 3 for a 24-byte (SHORT) header and for LINK_CONFIG.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orig_node: Option<u32>,
    /// `msg_destnode`: word 7, when the header covers it (not LINK_CONFIG).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_node: Option<u32>,
    /// `msg_origport`: word 4 (data, CONN_MANAGER, GROUP_PROTOCOL, TOP_SRV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orig_port: Option<u32>,
    /// `msg_destport`: word 5 (same users as `orig_port`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_port: Option<u32>,
    /// `msg_nametype`: word 8 (data with a header of 40 bytes or more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_type: Option<u32>,
    /// `msg_nameinst`/`msg_namelower`: word 9 (same condition as `name_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_instance: Option<u32>,
    /// `msg_nameupper`: word 10 (MCAST data with a 44-byte header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_upper: Option<u32>,
    /// MSG_FRAGMENTER fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment: Option<FragmentInfo>,
    /// LINK_CONFIG fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryInfo>,
    /// LINK_PROTOCOL fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkProtocolInfo>,
    /// MSG_BUNDLER contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleInfo>,
    /// Raw header words; words at and beyond `hdr_size / 4` are 0.
    #[serde(skip)]
    pub words: [u32; 15],
}

fn be32(bytes: &[u8], offset: usize) -> Option<u32> {
    let b = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn bits(word: u32, pos: u32, mask: u32) -> u32 {
    (word >> pos) & mask
}

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

impl TipcHeader {
    /// Decodes the TIPC header at the start of `bytes` (the message as captured; it may be
    /// cut short by the snap length, trailing link-layer padding beyond `size` is ignored).
    ///
    /// Fails if fewer than 24 bytes are present, the version is not 2, the header size is
    /// below 24 or beyond the bytes present, the total size is below the header size, or the
    /// user is 4. Never panics.
    pub fn parse(bytes: &[u8]) -> Result<TipcHeader, TipcError> {
        Self::parse_nested(bytes, true)
    }

    /// `expand`: decode the inner header of FIRST fragments and walk bundles (top level only,
    /// so the recursion depth is at most one).
    fn parse_nested(bytes: &[u8], expand: bool) -> Result<TipcHeader, TipcError> {
        let w0 = be32(bytes, 0).ok_or(TipcError::TooShort {
            available: bytes.len(),
        })?;
        if bytes.len() < MIN_H_SIZE as usize {
            return Err(TipcError::TooShort {
                available: bytes.len(),
            });
        }
        let version = bits(w0, 29, 0x7) as u8;
        if version != TIPC_VERSION {
            return Err(TipcError::UnsupportedVersion { version });
        }
        let user = bits(w0, 25, 0xf) as u8;
        let hdr_size = bits(w0, 21, 0xf) << 2;
        if hdr_size < MIN_H_SIZE {
            return Err(TipcError::HeaderSizeTooSmall { hdr_size });
        }
        if bytes.len() < hdr_size as usize {
            return Err(TipcError::HeaderTruncated {
                hdr_size,
                available: bytes.len(),
            });
        }
        let size = bits(w0, 0, 0x1ffff);
        if size < hdr_size {
            return Err(TipcError::SizeBelowHeader { size, hdr_size });
        }
        if user == user::SYSTEM_IMPORTANCE {
            return Err(TipcError::NotAWireUser { user });
        }

        let nwords = (hdr_size / 4) as usize;
        let mut words = [0u32; 15];
        for (i, w) in words.iter_mut().enumerate().take(nwords) {
            *w = be32(bytes, i * 4).unwrap_or(0);
        }
        let word = |i: usize| (i < nwords).then(|| words[i]);
        // The message as sent: captured bytes up to `size` (drops Ethernet padding).
        let msg = bytes.get(..size as usize).unwrap_or(bytes);
        let payload = msg.get(hdr_size as usize..).unwrap_or(&[]);

        let w1 = words[1];
        let mtype = bits(w1, 29, 0x7) as u8;
        let prev_node = words[3];
        let is_data = user <= user::CRITICAL_IMPORTANCE;
        let has_ports = is_data
            || matches!(
                user,
                user::CONN_MANAGER | user::GROUP_PROTOCOL | user::TOP_SRV
            );

        let mut header = TipcHeader {
            version,
            user,
            hdr_size,
            size,
            non_seq: bits(w0, 20, 1) != 0,
            dest_droppable: bits(w0, 19, 1) != 0,
            src_droppable: bits(w0, 18, 1) != 0,
            syn: bits(w0, 17, 1) != 0,
            mtype,
            error: if has_ports && user != user::TOP_SRV {
                bits(w1, 25, 0xf) as u8
            } else {
                0
            },
            reroute_count: if is_data { bits(w1, 21, 0xf) as u8 } else { 0 },
            lookup_scope: if is_data { bits(w1, 19, 0x3) as u8 } else { 0 },
            prev_node,
            orig_node: if hdr_size == MIN_H_SIZE {
                Some(prev_node)
            } else {
                word(6)
            },
            dest_node: word(7),
            orig_port: if has_ports { word(4) } else { None },
            dest_port: if has_ports { word(5) } else { None },
            name_type: if is_data { word(8) } else { None },
            name_instance: if is_data { word(9) } else { None },
            name_upper: if is_data && mtype == data_type::MCAST {
                word(10)
            } else {
                None
            },
            fragment: None,
            discovery: None,
            link: None,
            bundle: None,
            words,
        };

        match user {
            user::LINK_CONFIG => {
                // Words 5..=12 hold the media address (tipc_disc_init_msg overwrites the
                // orig/dest node words); the sender is the previous node.
                header.orig_node = Some(prev_node);
                header.dest_node = None;
                header.discovery = Some(DiscoveryInfo {
                    cluster_id: words[4],
                    node_signature: bits(w1, 0, 0xffff) as u16,
                    capabilities: bits(w1, 15, 0x1fff) as u16,
                    dest_domain: words[2],
                    media: media_address(bytes, nwords),
                    proof: word(13),
                    suggested_addr: word(14),
                    node_id: payload
                        .get(..NODE_ID_LEN)
                        .and_then(|id| <[u8; NODE_ID_LEN]>::try_from(id).ok()),
                });
            }
            user::LINK_PROTOCOL => {
                let w5 = words[5];
                let w9 = word(9);
                header.link = Some(LinkProtocolInfo {
                    session: bits(w5, 16, 0xffff) as u16,
                    bearer_id: bits(w5, 9, 0x7) as u8,
                    net_plane: char::from(b'A' + bits(w5, 1, 0x7) as u8),
                    priority: bits(w5, 4, 0x1f) as u8,
                    probe: bits(w5, 0, 1) != 0,
                    peer_stopping: bits(w5, 13, 1) != 0,
                    redundant_link: bits(w5, 12, 1) != 0,
                    seq_gap: bits(w1, 16, 0x1fff) as u16,
                    next_sent: bits(words[4], 0, 0xffff) as u16,
                    max_pkt: w9.map(|w| bits(w, 16, 0xffff) * 4),
                    tolerance: w9.map(|w| bits(w, 0, 0xffff) as u16),
                });
            }
            user::MSG_FRAGMENTER => {
                let kind = match mtype {
                    0 => FragmentKind::First,
                    1 => FragmentKind::Fragment,
                    2 => FragmentKind::Last,
                    other => FragmentKind::Unknown(other),
                };
                let count = bits(words[4], 0, 0xffff) as u16;
                let (inner, inner_error) = if expand && kind == FragmentKind::First {
                    match TipcHeader::parse_nested(payload, false) {
                        Ok(h) => (Some(Box::new(h)), None),
                        Err(e) => (None, Some(e)),
                    }
                } else {
                    (None, None)
                };
                header.fragment = Some(FragmentInfo {
                    kind,
                    number: bits(words[4], 16, 0xffff) as u16,
                    count: (count != 0).then_some(count),
                    importance: word(9).map_or(0, |w| bits(w, 0, 0x7) as u8),
                    inner,
                    inner_error,
                });
            }
            user::MSG_BUNDLER if expand => {
                header.bundle = Some(walk_bundle(
                    payload,
                    word(9).map_or(0, |w| bits(w, 16, 0xffff) as u16),
                ));
            }
            _ => {}
        }
        Ok(header)
    }

    /// Name of the message user, as in `net/tipc/msg.h`.
    pub fn user_name(&self) -> &'static str {
        user_name(self.user)
    }

    /// Name of the message type for this user (`TYPE_n` for values the user does not define).
    pub fn type_name(&self) -> Cow<'static, str> {
        type_name(self.user, self.mtype)
    }

    /// Users 0..=3: socket data of some importance.
    pub fn is_user_data(&self) -> bool {
        self.user <= user::CRITICAL_IMPORTANCE
    }

    /// Which path rule applies to this message (see [`TrafficClass`]). Fragments and bundles
    /// are classed by what they carry, as far as the capture shows it.
    pub fn traffic_class(&self) -> TrafficClass {
        match self.user {
            0..=3 | user::CONN_MANAGER | user::GROUP_PROTOCOL => TrafficClass::User,
            user::TOP_SRV => TrafficClass::NodeLocal,
            user::MSG_FRAGMENTER => match self.fragment.as_ref().and_then(|f| f.inner.as_ref()) {
                Some(inner) => inner.traffic_class(),
                // Later fragments: the fragmenter is only used for socket messages.
                None => TrafficClass::User,
            },
            user::MSG_BUNDLER => match &self.bundle {
                Some(b) if b.users & USER_TRAFFIC_MASK != 0 => TrafficClass::User,
                _ => TrafficClass::Internal,
            },
            _ => TrafficClass::Internal,
        }
    }

    /// Raw header word `i`, if the header covers it.
    pub fn word(&self, i: usize) -> Option<u32> {
        (i < (self.hdr_size / 4) as usize)
            .then(|| self.words.get(i).copied())
            .flatten()
    }

    /// `msg_seqno`: word 2 bits 0..=15 (meaningful for link-sequenced messages; `None` for
    /// LINK_CONFIG, where word 2 is the destination domain).
    pub fn seqno(&self) -> Option<u16> {
        (self.user != user::LINK_CONFIG).then(|| bits(self.words[2], 0, 0xffff) as u16)
    }

    /// `msg_ack`: word 2 bits 16..=31 (same condition as [`TipcHeader::seqno`]).
    pub fn ack(&self) -> Option<u16> {
        (self.user != user::LINK_CONFIG).then(|| bits(self.words[2], 16, 0xffff) as u16)
    }

    /// `msg_importance`: the user for data, word 9 bits 0..=2 for fragments and bundles,
    /// else SYSTEM (4).
    pub fn importance(&self) -> u8 {
        match self.user {
            0..=3 if self.error == 0 => self.user,
            user::MSG_FRAGMENTER | user::MSG_BUNDLER => {
                self.word(9).map_or(0, |w| bits(w, 0, 0x7) as u8)
            }
            _ => user::SYSTEM_IMPORTANCE,
        }
    }

    /// The header that names the socket endpoints: the inner header of a FIRST fragment,
    /// else this one.
    pub fn endpoint_header(&self) -> &TipcHeader {
        match self.fragment.as_ref().and_then(|f| f.inner.as_deref()) {
            Some(inner) => inner,
            None => self,
        }
    }
}

/// Users whose presence in a bundle makes it socket traffic.
const USER_TRAFFIC_MASK: u16 =
    0b1111 | (1 << user::CONN_MANAGER) | (1 << user::GROUP_PROTOCOL) | (1 << user::MSG_FRAGMENTER);

/// The inner messages of a bundle's payload, in order, the way
/// `tipc_msg_extract()` walks them: each starts on a 4-byte boundary after the
/// previous one. The walk stops at the first inner message that does not
/// decode or does not fit. Inner messages are not expanded further (a bundle
/// holds no bundles, and their fragments are not reassembled).
pub fn bundle_messages(payload: &[u8]) -> BundleMessages<'_> {
    BundleMessages {
        payload,
        pos: 0,
        clean: true,
        found: 0,
    }
}

/// Iterator of [`bundle_messages`].
#[derive(Debug, Clone)]
pub struct BundleMessages<'a> {
    payload: &'a [u8],
    pos: usize,
    clean: bool,
    found: u16,
}

impl BundleMessages<'_> {
    /// False once the walk met bytes that are not a whole inner message.
    pub fn clean(&self) -> bool {
        self.clean
    }
}

impl Iterator for BundleMessages<'_> {
    type Item = TipcHeader;

    fn next(&mut self) -> Option<TipcHeader> {
        if !self.clean
            || self.found == u16::MAX
            || self.pos.saturating_add(MIN_H_SIZE as usize) > self.payload.len()
        {
            return None;
        }
        let rest = self.payload.get(self.pos..).unwrap_or(&[]);
        match TipcHeader::parse_nested(rest, false) {
            Ok(inner) if inner.size as usize <= rest.len() => {
                self.found += 1;
                self.pos = self.pos.saturating_add(align4(inner.size as usize));
                Some(inner)
            }
            _ => {
                self.clean = false;
                None
            }
        }
    }
}

/// Counts the inner messages of a bundle (see [`bundle_messages`]).
fn walk_bundle(payload: &[u8], declared: u16) -> BundleInfo {
    let mut walk = bundle_messages(payload);
    let mut found = 0u16;
    let mut users = 0u16;
    for inner in walk.by_ref() {
        found += 1;
        users |= 1 << inner.user;
    }
    BundleInfo {
        declared,
        found,
        users,
        complete: walk.clean() && found == declared,
    }
}

fn media_address(bytes: &[u8], nwords: usize) -> Option<MediaAddress> {
    // TIPC_MEDIA_INFO_OFFSET (word 5), TIPC_MEDIA_INFO_SIZE (32 bytes).
    if nwords < 13 {
        return None;
    }
    let info = bytes.get(20..52)?;
    let addr = &info[4..];
    Some(match info[3] {
        1 => MediaAddress::Ethernet([addr[0], addr[1], addr[2], addr[3], addr[4], addr[5]]),
        3 => {
            let proto = u16::from_be_bytes([addr[0], addr[1]]);
            let port = u16::from_be_bytes([addr[2], addr[3]]);
            let ip = if proto == 0x86dd {
                let mut v6 = [0u8; 16];
                v6.copy_from_slice(&addr[4..20]);
                IpAddr::V6(Ipv6Addr::from(v6))
            } else {
                IpAddr::V4(Ipv4Addr::new(addr[4], addr[5], addr[6], addr[7]))
            };
            MediaAddress::Udp { ip, port }
        }
        other => MediaAddress::Other { media_type: other },
    })
}

/// Name of a message user, as in `net/tipc/msg.h`.
pub fn user_name(user: u8) -> &'static str {
    match user {
        0 => "LOW_IMPORTANCE",
        1 => "MEDIUM_IMPORTANCE",
        2 => "HIGH_IMPORTANCE",
        3 => "CRITICAL_IMPORTANCE",
        4 => "SYSTEM_IMPORTANCE",
        5 => "BCAST_PROTOCOL",
        6 => "MSG_BUNDLER",
        7 => "LINK_PROTOCOL",
        8 => "CONN_MANAGER",
        9 => "GROUP_PROTOCOL",
        10 => "TUNNEL_PROTOCOL",
        11 => "NAME_DISTRIBUTOR",
        12 => "MSG_FRAGMENTER",
        13 => "LINK_CONFIG",
        14 => "MSG_CRYPTO",
        15 => "TOP_SRV",
        _ => "UNKNOWN_USER",
    }
}

/// Name of message type `mtype` of `user` (`TYPE_n` when the user defines no such type).
pub fn type_name(user: u8, mtype: u8) -> Cow<'static, str> {
    let names: &[&str] = match user {
        0..=3 => &[
            "CONN",
            "MCAST",
            "NAMED",
            "DIRECT",
            "GRP_MEMBER_EVT",
            "GRP_BCAST",
            "GRP_MCAST",
            "GRP_UCAST",
        ],
        user::BCAST_PROTOCOL | user::LINK_PROTOCOL => &["STATE", "RESET", "ACTIVATE"],
        user::MSG_BUNDLER => &["BUNDLE"],
        user::CONN_MANAGER => &["CONN_PROBE", "CONN_PROBE_REPLY", "CONN_ACK"],
        user::GROUP_PROTOCOL => &["JOIN", "LEAVE", "ADV", "ACK", "RECLAIM", "REMIT"],
        user::TUNNEL_PROTOCOL => &["SYNCH", "FAILOVER"],
        user::NAME_DISTRIBUTOR => &["PUBLICATION", "WITHDRAWAL"],
        user::MSG_FRAGMENTER => &["FIRST", "FRAGMENT", "LAST"],
        user::LINK_CONFIG => &["DSC_REQ", "DSC_RESP", "DSC_TRIAL", "DSC_TRIAL_FAIL"],
        user::MSG_CRYPTO => &["KEY_DISTR"],
        user::TOP_SRV => &["EVENT"],
        _ => &[],
    };
    match names.get(usize::from(mtype)) {
        Some(name) => Cow::Borrowed(*name),
        None => Cow::Owned(format!("TYPE_{mtype}")),
    }
}

/// A node address, printed as `<hex>` like the `tipc` tool's hex addresses (`<1001002>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeAddr(pub u32);

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{:x}>", self.0)
    }
}

/// Parses a node address as printed by [`NodeAddr`] (`<1001002>`), as plain or `0x` hex
/// (`1001002`, `0x1001002`), or in the legacy `Z.C.N` form (`1.1.2`).
pub fn parse_node_addr(text: &str) -> Result<u32, String> {
    let s = text.trim();
    let s = s
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(s);
    let parts: Vec<&str> = s.split('.').collect();
    let bad = || format!("invalid node address {text:?}: use <hex>, 0xhex, hex or Z.C.N");
    if parts.len() == 3 {
        let z: u32 = parts[0].parse().map_err(|_| bad())?;
        let c: u32 = parts[1].parse().map_err(|_| bad())?;
        let n: u32 = parts[2].parse().map_err(|_| bad())?;
        if z > 0xff || c > 0xfff || n > 0xfff {
            return Err(bad());
        }
        return Ok((z << 24) | (c << 12) | n);
    }
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if hex.is_empty() {
        return Err(bad());
    }
    u32::from_str_radix(hex, 16).map_err(|_| bad())
}

/// A MAC address printed as `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl MacAddr {
    /// `aa:bb:cc:dd:ee:ff` as ASCII bytes, without allocating.
    pub fn text(&self) -> [u8; 17] {
        let mut text = [b':'; 17];
        for (i, b) in self.0.iter().enumerate() {
            text[3 * i..3 * i + 2].copy_from_slice(&hex_pair(*b));
        }
        text
    }
}

impl Serialize for MacAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.text();
        // Only ASCII hex digits and colons were written.
        s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
    }
}

/// The two lower-case hex digits of `b`.
fn hex_pair(b: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]]
}

/// Lower-case hex of `bytes`, no separators.
pub fn hex_string(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    fn w0(user: u32, hdr_size: u32, size: u32) -> u32 {
        (2 << 29) | (user << 25) | ((hdr_size / 4) << 21) | size
    }

    #[test]
    fn short_header_takes_orig_node_from_prev_node() {
        let bytes = header(&[w0(0, 24, 24), 0, 0, 0x1001001, 7, 8]);
        let h = TipcHeader::parse(&bytes).expect("valid");
        assert_eq!(h.orig_node, Some(0x1001001));
        assert_eq!(h.dest_node, None);
        assert_eq!(h.name_type, None);
        assert_eq!((h.orig_port, h.dest_port), (Some(7), Some(8)));
    }

    #[test]
    fn word_accessor_respects_header_size() {
        let bytes = header(&[w0(0, 24, 24), 1, 2, 3, 4, 5]);
        let h = TipcHeader::parse(&bytes).expect("valid");
        assert_eq!(h.word(5), Some(5));
        assert_eq!(h.word(6), None);
        assert_eq!(h.word(100), None);
    }

    #[test]
    fn node_addr_round_trip() {
        assert_eq!(NodeAddr(0x1001002).to_string(), "<1001002>");
        assert_eq!(parse_node_addr("<1001002>"), Ok(0x1001002));
        assert_eq!(parse_node_addr("0x1001002"), Ok(0x1001002));
        assert_eq!(parse_node_addr("1.1.2"), Ok(0x1001002));
        assert!(parse_node_addr("zz").is_err());
        assert!(parse_node_addr("").is_err());
        assert!(parse_node_addr("1.1.99999").is_err());
    }
}
