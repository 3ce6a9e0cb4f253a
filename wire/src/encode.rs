//! Writing TIPC v2 messages and Ethernet frames, field by field as `net/tipc/msg.h`
//! lays them out; the inverse of [`crate::tipc::TipcHeader::parse`].
//!
//! [`Header`] sets named fields of any message; [`Discovery`] is a whole LINK_CONFIG
//! message as `tipc_disc_init_msg()` builds it, and can be read back from a decoded
//! header ([`Discovery::from_header`]), which is how the agent learns the identity it
//! impersonates. Word 0 (version, user, header size, total size) is always computed,
//! so a message is never inconsistent with its own length.

use std::net::IpAddr;

use crate::tipc::{
    user, DiscoveryInfo, MediaAddress, TipcHeader, MAX_H_SIZE, MIN_H_SIZE, NODE_ID_LEN,
    TIPC_VERSION,
};

/// A header size TIPC can express: a multiple of 4 from 24 to 60 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSize(u32);

impl HeaderSize {
    /// `SHORT_H_SIZE`: connected data inside a cluster.
    pub const SHORT: HeaderSize = HeaderSize(24);
    /// `BASIC_H_SIZE`: direct data.
    pub const BASIC: HeaderSize = HeaderSize(32);
    /// `NAMED_H_SIZE` (also `INT_H_SIZE`, `LONG_H_SIZE`): named data and internal users.
    pub const NAMED: HeaderSize = HeaderSize(40);
    /// `MCAST_H_SIZE`: multicast data with a name range.
    pub const MCAST: HeaderSize = HeaderSize(44);
    /// `MAX_H_SIZE`: what LINK_CONFIG uses.
    pub const MAX: HeaderSize = HeaderSize(MAX_H_SIZE);

    /// `bytes` if TIPC's 4-bit word count can express it, else `None`.
    pub fn new(bytes: u32) -> Option<HeaderSize> {
        (bytes.is_multiple_of(4) && (MIN_H_SIZE..=MAX_H_SIZE).contains(&bytes))
            .then_some(HeaderSize(bytes))
    }

    /// The size in bytes.
    pub fn bytes(self) -> u32 {
        self.0
    }

    fn words(self) -> usize {
        (self.0 / 4) as usize
    }
}

/// A TIPC v2 header being written. Setters replace the bits of their field and
/// leave the rest of the word alone; words beyond the header size are not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    words: [u32; 15],
    size: HeaderSize,
}

/// Replaces `mask << pos` in `word` with `value`.
fn put(word: &mut u32, pos: u32, mask: u32, value: u32) {
    *word = (*word & !(mask << pos)) | ((value & mask) << pos);
}

impl Header {
    /// A header of `user` (word 0 bits 25..=28, 4 bits) and message type `mtype`
    /// (word 1 bits 29..=31, 3 bits), `size` bytes long, every other field 0.
    pub fn new(user: u8, mtype: u8, size: HeaderSize) -> Header {
        let mut words = [0u32; 15];
        put(&mut words[0], 29, 0x7, u32::from(TIPC_VERSION));
        put(&mut words[0], 25, 0xf, u32::from(user));
        put(&mut words[0], 21, 0xf, size.0 / 4);
        put(&mut words[1], 29, 0x7, u32::from(mtype));
        Header { words, size }
    }

    /// Sets a whole header word, for fields without a setter of their own.
    /// Word 0 (version, user, sizes) is the encoder's own and is not set
    /// here, nor is a word beyond the largest header (15 words).
    pub fn word(mut self, index: usize, value: u32) -> Header {
        if let Some(w) = self.words.get_mut(index).filter(|_| index != 0) {
            *w = value;
        }
        self
    }

    /// `msg_set_non_seq()`: word 0 bit 20, a message not sequenced on a link (discovery).
    pub fn non_seq(mut self) -> Header {
        put(&mut self.words[0], 20, 1, 1);
        self
    }

    /// `msg_set_syn()`: word 0 bit 17.
    pub fn syn(mut self) -> Header {
        put(&mut self.words[0], 17, 1, 1);
        self
    }

    /// `msg_set_errcode()`: word 1 bits 25..=28.
    pub fn error(mut self, code: u8) -> Header {
        put(&mut self.words[1], 25, 0xf, u32::from(code));
        self
    }

    /// `msg_set_ack()` and `msg_set_seqno()`: word 2 bits 16..=31 and 0..=15.
    pub fn ack_seqno(mut self, ack: u16, seqno: u16) -> Header {
        self.words[2] = (u32::from(ack) << 16) | u32::from(seqno);
        self
    }

    /// `msg_set_prevnode()`: word 3 (also the originating node of a 24-byte header).
    pub fn prev_node(mut self, node: u32) -> Header {
        self.words[3] = node;
        self
    }

    /// `msg_set_origport()` and `msg_set_destport()`: words 4 and 5.
    pub fn ports(mut self, orig: u32, dest: u32) -> Header {
        self.words[4] = orig;
        self.words[5] = dest;
        self
    }

    /// `msg_set_orignode()` and `msg_set_destnode()`: words 6 and 7.
    pub fn nodes(mut self, orig: u32, dest: u32) -> Header {
        self.words[6] = orig;
        self.words[7] = dest;
        self
    }

    /// `msg_set_nametype()` and `msg_set_nameinst()` (or `namelower`): words 8 and 9.
    pub fn name(mut self, name_type: u32, instance: u32) -> Header {
        self.words[8] = name_type;
        self.words[9] = instance;
        self
    }

    /// `msg_set_nameupper()`: word 10, the top of a multicast range.
    pub fn name_upper(mut self, upper: u32) -> Header {
        self.words[10] = upper;
        self
    }

    /// `msg_set_fragm_no()` and `msg_set_nof_fragms()`: word 4 bits 16..=31 and 0..=15.
    pub fn fragment(mut self, number: u16, count: u16) -> Header {
        self.words[4] = (u32::from(number) << 16) | u32::from(count);
        self
    }

    /// `msg_set_msgcnt()`: word 9 bits 16..=31, the messages in a bundle.
    pub fn bundled(mut self, count: u16) -> Header {
        put(&mut self.words[9], 16, 0xffff, u32::from(count));
        self
    }

    /// The LINK_PROTOCOL fields of `link` (words 1, 4, 5 and 9).
    pub fn link_protocol(mut self, link: &LinkProtocol) -> Header {
        put(&mut self.words[1], 16, 0x1fff, u32::from(link.seq_gap));
        put(&mut self.words[4], 0, 0xffff, u32::from(link.next_sent));
        let w5 = &mut self.words[5];
        put(w5, 16, 0xffff, u32::from(link.session));
        put(w5, 13, 1, u32::from(link.peer_stopping));
        put(w5, 12, 1, u32::from(link.redundant_link));
        put(w5, 9, 0x7, u32::from(link.bearer_id));
        put(w5, 4, 0x1f, u32::from(link.priority));
        put(w5, 1, 0x7, u32::from(link.net_plane));
        put(w5, 0, 1, u32::from(link.probe));
        put(&mut self.words[9], 16, 0xffff, link.max_pkt / 4);
        put(&mut self.words[9], 0, 0xffff, u32::from(link.tolerance));
        self
    }

    /// The header followed by `payload`, with word 0's total size (17 bits) set to
    /// the header size plus the payload length.
    pub fn encode(&self, payload: &[u8]) -> Vec<u8> {
        let mut words = self.words;
        let total = self.size.0 as usize + payload.len();
        // TIPC's largest message (66,060 bytes) is far below the field's
        // 17 bits; a caller that passes more gets a size that wraps.
        debug_assert!(total <= 0x1ffff, "{total} bytes do not fit msg_size");
        put(&mut words[0], 0, 0x1ffff, total as u32);
        let mut out = Vec::with_capacity(total);
        for w in &words[..self.size.words()] {
            out.extend_from_slice(&w.to_be_bytes());
        }
        out.extend_from_slice(payload);
        out
    }
}

/// LINK_PROTOCOL fields, as [`crate::tipc::LinkProtocolInfo`] decodes them (the
/// network plane here as its number, 0 for 'A').
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkProtocol {
    /// Link incarnation.
    pub session: u16,
    /// Bearer id (3 bits).
    pub bearer_id: u8,
    /// Network plane (3 bits).
    pub net_plane: u8,
    /// Link priority (5 bits).
    pub priority: u8,
    /// A probe.
    pub probe: bool,
    /// The sender is stopping.
    pub peer_stopping: bool,
    /// The sender has a redundant link.
    pub redundant_link: bool,
    /// Sequence gap (13 bits).
    pub seq_gap: u16,
    /// Next sequence number the sender will send.
    pub next_sent: u16,
    /// Largest packet, in bytes (a multiple of 4).
    pub max_pkt: u32,
    /// Link tolerance, in ms.
    pub tolerance: u16,
}

/// Discovery message types (word 1 bits 29..=31 of LINK_CONFIG).
pub mod discovery_type {
    /// `DSC_REQ_MSG`: a request, broadcast.
    pub const REQUEST: u8 = 0;
    /// `DSC_RESP_MSG`: the answer to a request.
    pub const RESPONSE: u8 = 1;
    /// `DSC_TRIAL_MSG`: a node still trying its address.
    pub const TRIAL: u8 = 2;
    /// `DSC_TRIAL_FAIL_MSG`: the address is taken.
    pub const TRIAL_FAIL: u8 = 3;
}

/// A whole LINK_CONFIG message: the 60-byte header of `tipc_disc_init_msg()` and
/// the 16-byte node identity after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// One of [`discovery_type`].
    pub mtype: u8,
    /// The sender's node address (word 3, `msg_set_prevnode()`).
    pub node_addr: u32,
    /// `msg_node_sig`: word 1 bits 0..=15.
    pub signature: u16,
    /// `msg_node_capabilities`: word 1 bits 15..=27. Its lowest bit and the
    /// signature's top bit are the same bit on the wire, as in the kernel: the
    /// capabilities are written last.
    pub capabilities: u16,
    /// `msg_dest_domain`: word 2.
    pub dest_domain: u32,
    /// `msg_bc_netid`: word 4, the cluster id.
    pub cluster_id: u32,
    /// The sender's bearer address (words 5..=12).
    pub media: MediaAddress,
    /// `msg_peer_net_hash`: word 13, the crossover proof.
    pub proof: u32,
    /// `msg_sugg_node_addr`: word 14.
    pub suggested_addr: u32,
    /// The sender's 128-bit node identity.
    pub node_id: [u8; NODE_ID_LEN],
}

impl Discovery {
    /// The message's bytes (76: header and node identity).
    pub fn encode(&self) -> Vec<u8> {
        self.header().encode(&self.node_id)
    }

    /// The header alone, for a caller that changes a word no field names (the
    /// agent puts a raw value in the media words) before encoding it with
    /// [`Discovery::node_id`] as its payload.
    pub fn header(&self) -> Header {
        let mut header = Header::new(user::LINK_CONFIG, self.mtype, HeaderSize::MAX)
            .non_seq()
            .prev_node(self.node_addr)
            .word(2, self.dest_domain)
            .word(4, self.cluster_id)
            .word(13, self.proof)
            .word(14, self.suggested_addr);
        put(&mut header.words[1], 0, 0xffff, u32::from(self.signature));
        put(
            &mut header.words[1],
            15,
            0x1fff,
            u32::from(self.capabilities),
        );
        header.words[5..13].copy_from_slice(&media_words(&self.media));
        header
    }

    /// The discovery a decoded header carries, if it is a whole LINK_CONFIG
    /// message with a proof word and a captured node identity.
    ///
    /// The signature's top bit and the capabilities' lowest bit are one bit
    /// on the wire, so a discovery whose two disagree there reads back with
    /// the capabilities' value in both.
    pub fn from_header(header: &TipcHeader) -> Option<Discovery> {
        let DiscoveryInfo {
            cluster_id,
            node_signature,
            capabilities,
            dest_domain,
            media,
            proof,
            suggested_addr,
            node_id,
        } = header.discovery.as_ref()?;
        Some(Discovery {
            mtype: header.mtype,
            node_addr: header.prev_node,
            signature: *node_signature,
            capabilities: *capabilities,
            dest_domain: *dest_domain,
            cluster_id: *cluster_id,
            media: (*media)?,
            proof: (*proof)?,
            suggested_addr: (*suggested_addr)?,
            node_id: (*node_id)?,
        })
    }
}

/// Words 5..=12 (`TIPC_MEDIA_INFO_OFFSET`, 32 bytes) for `media`: the type in
/// byte 3, the address from byte 4 (`tipc_eth_addr2msg()`, `tipc_udp_addr2msg()`).
fn media_words(media: &MediaAddress) -> [u32; 8] {
    let mut info = [0u8; 32];
    match media {
        MediaAddress::Ethernet(mac) => {
            info[3] = 1;
            info[4..10].copy_from_slice(mac);
        }
        MediaAddress::Udp { ip, port } => {
            info[3] = 3;
            info[6..8].copy_from_slice(&port.to_be_bytes());
            match ip {
                IpAddr::V4(v4) => {
                    info[4..6].copy_from_slice(&0x0800u16.to_be_bytes());
                    info[8..12].copy_from_slice(&v4.octets());
                }
                IpAddr::V6(v6) => {
                    info[4..6].copy_from_slice(&0x86ddu16.to_be_bytes());
                    info[8..24].copy_from_slice(&v6.octets());
                }
            }
        }
        MediaAddress::Other { media_type } => info[3] = *media_type,
    }
    let mut words = [0u32; 8];
    for (w, b) in words.iter_mut().zip(info.chunks_exact(4)) {
        *w = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
    words
}

/// An Ethernet II frame: destination, source, type, then `payload` (not padded).
pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(14 + payload.len());
    frame.extend_from_slice(&dst);
    frame.extend_from_slice(&src);
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tipc::data_type;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// The bytes of a named data message, written out from msg.h by hand.
    #[test]
    fn named_data_has_msg_h_layout() {
        let bytes = Header::new(user::MEDIUM_IMPORTANCE, data_type::NAMED, HeaderSize::NAMED)
            .prev_node(0x0100_1001)
            .ports(0x11, 0x22)
            .nodes(0x0100_1001, 0x0100_1002)
            .name(18888, 17)
            .encode(&[0xaa; 3]);
        let w0: u32 = (2 << 29) | (1 << 25) | (10 << 21) | 43;
        let mut expected = Vec::new();
        for w in [
            w0,
            2 << 29,
            0,
            0x0100_1001,
            0x11,
            0x22,
            0x0100_1001,
            0x0100_1002,
            18888,
            17,
        ] {
            expected.extend_from_slice(&u32::to_be_bytes(w));
        }
        expected.extend_from_slice(&[0xaa; 3]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn discovery_has_tipc_disc_init_msg_layout() {
        let d = Discovery {
            mtype: discovery_type::REQUEST,
            node_addr: 0x0100_1003,
            signature: 0x1234,
            capabilities: 0x0fe0,
            dest_domain: 0,
            cluster_id: 4711,
            media: MediaAddress::Ethernet([2, 0, 0, 0, 0, 0xb]),
            proof: 0xdead_beef,
            suggested_addr: 0,
            node_id: [7; 16],
        };
        let b = d.encode();
        assert_eq!(b.len(), 76);
        // version 2, user 13, 15 words, non_seq, size 76
        assert_eq!(
            &b[0..4],
            &((2u32 << 29) | (13 << 25) | (15 << 21) | (1 << 20) | 76).to_be_bytes()
        );
        assert_eq!(&b[4..8], &((0x0fe0u32 << 15) | 0x1234).to_be_bytes());
        assert_eq!(&b[12..16], &0x0100_1003u32.to_be_bytes());
        assert_eq!(&b[16..20], &4711u32.to_be_bytes());
        assert_eq!(&b[20..30], &[0, 0, 0, 1, 2, 0, 0, 0, 0, 0xb]);
        assert_eq!(&b[52..56], &0xdead_beefu32.to_be_bytes());
        assert_eq!(&b[60..], &[7; 16]);
    }

    #[test]
    fn discovery_reads_back_from_its_decoded_header() {
        for media in [
            MediaAddress::Ethernet([2, 0, 0x5e, 0, 0, 0xaa]),
            MediaAddress::Udp {
                ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
                port: 6118,
            },
            MediaAddress::Udp {
                ip: IpAddr::V6(Ipv6Addr::LOCALHOST),
                port: 6118,
            },
        ] {
            let d = Discovery {
                mtype: discovery_type::RESPONSE,
                node_addr: 0x0100_1005,
                signature: 0x7abc,
                capabilities: 0x1ffe,
                dest_domain: 0x0100_0000,
                cluster_id: 4711,
                media,
                proof: 0x0123_4567,
                suggested_addr: 0x0100_1009,
                node_id: *b"0123456789abcdef",
            };
            let header = TipcHeader::parse(&d.encode()).expect("decodes");
            assert_eq!(Discovery::from_header(&header), Some(d));
        }
    }

    #[test]
    fn capabilities_are_written_after_the_signature_as_the_kernel_does() {
        let with = |signature: u16, capabilities: u16| {
            let d = Discovery {
                mtype: discovery_type::REQUEST,
                node_addr: 1,
                signature,
                capabilities,
                dest_domain: 0,
                cluster_id: 4711,
                media: MediaAddress::Ethernet([2, 0, 0, 0, 0, 1]),
                proof: 0,
                suggested_addr: 0,
                node_id: [1; 16],
            };
            let b = d.encode();
            u32::from_be_bytes([b[4], b[5], b[6], b[7]])
        };
        // Bit 15 is the signature's top bit and the capabilities' bit 0:
        // the capabilities decide it, set or clear.
        assert_eq!(with(0x8001, 0x0002) & 0x8000, 0);
        assert_eq!(with(0x0001, 0x0003) & 0x8000, 0x8000);
        assert_eq!(
            with(0x8001, 0x0002) & 0x7fff,
            0x0001,
            "the rest of the signature stays"
        );
    }

    #[test]
    fn word_0_is_the_encoders_own() {
        let b = Header::new(user::LOW_IMPORTANCE, 0, HeaderSize::SHORT)
            .word(0, u32::MAX)
            .encode(&[1, 2]);
        let w0 = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        assert_eq!(w0, (2 << 29) | (6 << 21) | 26);
    }

    #[test]
    fn header_sizes_are_what_the_word_count_can_say() {
        assert_eq!(HeaderSize::new(24), Some(HeaderSize::SHORT));
        assert_eq!(HeaderSize::new(60), Some(HeaderSize::MAX));
        for bad in [0, 20, 26, 64] {
            assert_eq!(HeaderSize::new(bad), None, "{bad}");
        }
    }

    #[test]
    fn setters_replace_only_their_bits() {
        let h = Header::new(user::LINK_PROTOCOL, 0, HeaderSize::NAMED)
            .word(1, u32::MAX)
            .error(0)
            .link_protocol(&LinkProtocol::default());
        // error cleared bits 25..=28, seq_gap cleared 16..=28; the type and the rest stay.
        assert_eq!(h.words[1], !(0xf << 25) & !(0x1fff << 16));
    }

    #[test]
    fn link_protocol_reads_back() {
        let link = LinkProtocol {
            session: 0xbeef,
            bearer_id: 5,
            net_plane: 3,
            priority: 10,
            probe: true,
            peer_stopping: true,
            redundant_link: false,
            seq_gap: 0x1abc,
            next_sent: 77,
            max_pkt: 1500,
            tolerance: 375,
        };
        let bytes = Header::new(user::LINK_PROTOCOL, 0, HeaderSize::NAMED)
            .link_protocol(&link)
            .encode(&[]);
        let info = TipcHeader::parse(&bytes)
            .expect("decodes")
            .link
            .expect("link");
        assert_eq!(
            (info.session, info.bearer_id, info.net_plane, info.priority),
            (0xbeef, 5, 'D', 10)
        );
        assert_eq!(
            (info.probe, info.peer_stopping, info.redundant_link),
            (true, true, false)
        );
        assert_eq!((info.seq_gap, info.next_sent), (0x1abc, 77));
        assert_eq!((info.max_pkt, info.tolerance), (Some(1500), Some(375)));
    }
}
