//! Link layers that can carry TIPC in our captures: Ethernet (with up to two 802.1Q/802.1ad
//! tags) and the Linux cooked headers `tcpdump -i any` writes (SLL and SLL2).

use pnet_packet::ethernet::EthernetPacket;
use serde::Serialize;

/// `ARPHRD_LOOPBACK`: hardware type of `lo` in Linux cooked headers.
pub const ARPHRD_LOOPBACK: u16 = 772;
/// `ARPHRD_ETHER`.
pub const ARPHRD_ETHER: u16 = 1;

/// Link types this crate decodes further (`LINKTYPE_*`).
pub mod linktype {
    /// Ethernet (`LINKTYPE_ETHERNET`), what `tcpdump -i eth0` and `-i lo` write.
    pub const ETHERNET: i32 = 1;
    /// Linux cooked capture v1 (`LINKTYPE_LINUX_SLL`), `tcpdump -i any`.
    pub const LINUX_SLL: i32 = 113;
    /// Linux cooked capture v2 (`LINKTYPE_LINUX_SLL2`), `tcpdump -i any` (newer libpcap).
    pub const LINUX_SLL2: i32 = 276;
}

/// Which link-layer header a frame had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkLayer {
    /// Ethernet II, optionally VLAN-tagged (outermost VLAN id).
    Ethernet {
        /// VLAN id of the outer 802.1Q/802.1ad tag, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        vlan: Option<u16>,
    },
    /// Linux cooked v1 (16-byte header, no destination address).
    LinuxSll {
        /// `PACKET_*` type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing).
        packet_type: u16,
        /// `ARPHRD_*` hardware type (772 = loopback).
        hatype: u16,
    },
    /// Linux cooked v2 (20-byte header with interface index).
    LinuxSll2 {
        /// Interface index.
        ifindex: u32,
        /// `PACKET_*` type.
        packet_type: u8,
        /// `ARPHRD_*` hardware type.
        hatype: u16,
    },
}

/// The link-layer header of a frame and where its payload starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkView {
    /// Ethernet type of the payload.
    pub ethertype: u16,
    /// Source address (first 6 bytes of the cooked address).
    pub src: [u8; 6],
    /// Destination address (all zero where the header has none).
    pub dst: [u8; 6],
    /// Offset of the payload in the frame.
    pub payload_offset: usize,
    /// Header details.
    pub link: LinkLayer,
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

/// Parses the link-layer header of a frame of `linktype`; `None` for unsupported link types
/// and frames too short for their header.
pub fn parse(linktype: i32, data: &[u8]) -> Option<LinkView> {
    match linktype {
        linktype::ETHERNET => ethernet(data),
        linktype::LINUX_SLL => {
            // pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
            let halen = usize::from(be16(data, 4)?);
            let mut src = [0u8; 6];
            let n = halen.min(6);
            src[..n].copy_from_slice(data.get(6..6 + n)?);
            Some(LinkView {
                ethertype: be16(data, 14)?,
                src,
                dst: [0; 6],
                payload_offset: 16,
                link: LinkLayer::LinuxSll {
                    packet_type: be16(data, 0)?,
                    hatype: be16(data, 2)?,
                },
            })
        }
        linktype::LINUX_SLL2 => {
            // protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
            let b = data.get(..20)?;
            let halen = usize::from(b[11]).min(6);
            let mut src = [0u8; 6];
            src[..halen].copy_from_slice(&b[12..12 + halen]);
            Some(LinkView {
                ethertype: be16(b, 0)?,
                src,
                dst: [0; 6],
                payload_offset: 20,
                link: LinkLayer::LinuxSll2 {
                    ifindex: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
                    packet_type: b[10],
                    hatype: be16(b, 8)?,
                },
            })
        }
        _ => None,
    }
}

fn ethernet(data: &[u8]) -> Option<LinkView> {
    let eth = EthernetPacket::new(data)?;
    let mut ethertype = eth.get_ethertype().0;
    let mut offset = 14;
    let mut vlan = None;
    // Up to two tags (802.1ad outer, 802.1Q inner): TCI then the next type.
    for _ in 0..2 {
        if !matches!(ethertype, 0x8100 | 0x88a8) {
            break;
        }
        let tci = be16(data, offset)?;
        vlan.get_or_insert(tci & 0x0fff);
        ethertype = be16(data, offset + 2)?;
        offset += 4;
    }
    Some(LinkView {
        ethertype,
        src: eth.get_source().octets(),
        dst: eth.get_destination().octets(),
        payload_offset: offset,
        link: LinkLayer::Ethernet { vlan },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_with_vlan_tag() {
        let mut f = vec![0xff; 6];
        f.extend([2, 0, 0, 0, 0, 1]);
        f.extend([0x81, 0x00, 0x00, 0x05, 0x88, 0xca]);
        f.extend([0u8; 4]);
        let v = parse(linktype::ETHERNET, &f).expect("ethernet");
        assert_eq!(v.ethertype, 0x88ca);
        assert_eq!(v.payload_offset, 18);
        assert_eq!(v.link, LinkLayer::Ethernet { vlan: Some(5) });
        assert_eq!(v.src, [2, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn short_frames_are_not_parsed() {
        assert_eq!(parse(linktype::ETHERNET, &[0; 13]), None);
        assert_eq!(parse(linktype::LINUX_SLL, &[0; 15]), None);
        assert_eq!(parse(linktype::LINUX_SLL2, &[0; 19]), None);
        assert_eq!(parse(999, &[0; 64]), None);
    }

    #[test]
    fn sll_loopback() {
        let mut f = vec![0, 0, 0x03, 0x04, 0, 6];
        f.extend([0u8; 8]);
        f.extend([0x88, 0xca]);
        let v = parse(linktype::LINUX_SLL, &f).expect("sll");
        assert_eq!(v.ethertype, 0x88ca);
        assert_eq!(
            v.link,
            LinkLayer::LinuxSll {
                packet_type: 0,
                hatype: ARPHRD_LOOPBACK
            }
        );
    }
}
