//! TIPC v2 header decoder: hand-built headers for every user, the errors, and a proptest
//! that parsing never panics.

#[path = "data/pcapgen.rs"]
mod pcapgen;

use pcapgen::*;
use proptest::prelude::*;
use tipc_wire::tipc::{
    type_name, user_name, FragmentKind, MediaAddress, TipcError, TipcHeader, TrafficClass,
};

fn parse(bytes: &[u8]) -> TipcHeader {
    TipcHeader::parse(bytes).expect("header should decode")
}

#[test]
fn short_data_header_takes_orig_node_from_word_3() {
    let h = parse(&conn_short(NODE_A, 1111, 2222, 100));
    assert_eq!(h.version, 2);
    assert_eq!(h.user, 0);
    assert_eq!(h.user_name(), "LOW_IMPORTANCE");
    assert_eq!(h.mtype, 0);
    assert_eq!(h.type_name(), "CONN");
    assert_eq!(h.hdr_size, 24);
    assert_eq!(h.size, 124);
    assert_eq!(h.prev_node, NODE_A);
    assert_eq!(h.orig_node, Some(NODE_A));
    assert_eq!(h.dest_node, None, "a SHORT header has no word 7");
    assert_eq!(h.orig_port, Some(1111));
    assert_eq!(h.dest_port, Some(2222));
    assert_eq!(
        (h.name_type, h.name_instance, h.name_upper),
        (None, None, None)
    );
    assert!(h.is_user_data());
    assert_eq!(h.traffic_class(), TrafficClass::User);
    assert_eq!(h.word(5), Some(2222));
    assert_eq!(h.word(6), None);
}

#[test]
fn basic_header_has_orig_and_dest_nodes_but_no_names() {
    let m = tipc_msg(
        3,
        3,
        32,
        &[(3, NODE_A), (4, 7), (5, 8), (6, NODE_A), (7, NODE_B)],
        &[1, 2, 3],
    );
    let h = parse(&m);
    assert_eq!(h.user_name(), "CRITICAL_IMPORTANCE");
    assert_eq!(h.type_name(), "DIRECT");
    assert_eq!((h.orig_node, h.dest_node), (Some(NODE_A), Some(NODE_B)));
    assert_eq!((h.orig_port, h.dest_port), (Some(7), Some(8)));
    assert_eq!(h.name_type, None);
    assert_eq!(h.size, 35);
    assert_eq!(h.importance(), 3);
}

#[test]
fn named_header_has_type_and_instance() {
    let h = parse(&named(NODE_A, NODE_B, 10, 0, (1000, 42), 8));
    assert_eq!(h.type_name(), "NAMED");
    assert_eq!(h.hdr_size, 40);
    assert_eq!(
        (h.name_type, h.name_instance, h.name_upper),
        (Some(1000), Some(42), None)
    );
    assert_eq!((h.orig_node, h.dest_node), (Some(NODE_A), Some(NODE_B)));
}

#[test]
fn mcast_header_has_name_upper() {
    let m = tipc_msg(
        1,
        1,
        44,
        &[(3, NODE_A), (6, NODE_A), (7, 0), (8, 77), (9, 1), (10, 9)],
        &[],
    );
    let h = parse(&m);
    assert_eq!(h.user_name(), "MEDIUM_IMPORTANCE");
    assert_eq!(h.type_name(), "MCAST");
    assert_eq!(
        (h.name_type, h.name_instance, h.name_upper),
        (Some(77), Some(1), Some(9))
    );
}

#[test]
fn group_messages_have_no_name_upper() {
    // Word 10 of a group message holds the broadcast seqno, not a name.
    let m = tipc_msg(
        2,
        5,
        44,
        &[(3, NODE_A), (6, NODE_A), (8, 88), (9, 3), (10, 0xffff_0001)],
        &[],
    );
    let h = parse(&m);
    assert_eq!(h.user_name(), "HIGH_IMPORTANCE");
    assert_eq!(h.type_name(), "GRP_BCAST");
    assert_eq!(
        (h.name_type, h.name_instance, h.name_upper),
        (Some(88), Some(3), None)
    );
}

#[test]
fn every_data_type_has_its_name() {
    let names = [
        "CONN",
        "MCAST",
        "NAMED",
        "DIRECT",
        "GRP_MEMBER_EVT",
        "GRP_BCAST",
        "GRP_MCAST",
        "GRP_UCAST",
    ];
    for (t, name) in names.iter().enumerate() {
        for user in 0..=3u32 {
            let h = parse(&tipc_msg(user, t as u32, 40, &[], &[]));
            assert_eq!(h.type_name(), *name, "user {user} type {t}");
            assert_eq!(h.mtype as usize, t);
            assert!(h.is_user_data());
        }
    }
}

#[test]
fn word_0_and_1_flags() {
    let w0_flags = (1 << 20) | (1 << 19) | (1 << 18) | (1 << 17);
    let w1 = (5 << 25) | (3 << 21) | (2 << 19);
    let h = parse(&tipc_msg(0, 2, 40, &[(0, w0_flags), (1, w1)], &[]));
    assert!(h.non_seq && h.dest_droppable && h.src_droppable && h.syn);
    assert_eq!(h.error, 5);
    assert_eq!(h.reroute_count, 3);
    assert_eq!(h.lookup_scope, 2);
    assert_eq!(
        h.importance(),
        4,
        "a rejected (error) message has SYSTEM importance"
    );
}

#[test]
fn seqno_and_ack_come_from_word_2() {
    let h = parse(&tipc_msg(0, 0, 24, &[(2, (17 << 16) | 99)], &[]));
    assert_eq!(h.seqno(), Some(99));
    assert_eq!(h.ack(), Some(17));
}

#[test]
fn conn_manager_types_and_ports() {
    for (t, name) in ["CONN_PROBE", "CONN_PROBE_REPLY", "CONN_ACK"]
        .iter()
        .enumerate()
    {
        let m = tipc_msg(
            8,
            t as u32,
            40,
            &[
                (3, NODE_A),
                (4, 5),
                (5, 6),
                (6, NODE_A),
                (7, NODE_B),
                (8, 123),
            ],
            &[],
        );
        let h = parse(&m);
        assert_eq!(h.user_name(), "CONN_MANAGER");
        assert_eq!(h.type_name(), *name);
        assert_eq!((h.orig_port, h.dest_port), (Some(5), Some(6)));
        assert_eq!(h.name_type, None, "word 8 is not a name for CONN_MANAGER");
        assert!(!h.is_user_data());
        assert_eq!(h.traffic_class(), TrafficClass::User);
    }
}

#[test]
fn group_protocol_types() {
    let names = ["JOIN", "LEAVE", "ADV", "ACK", "RECLAIM", "REMIT"];
    for (t, name) in names.iter().enumerate() {
        let h = parse(&tipc_msg(9, t as u32, 40, &[(4, 1), (5, 2)], &[]));
        assert_eq!(h.user_name(), "GROUP_PROTOCOL");
        assert_eq!(h.type_name(), *name);
        assert_eq!((h.orig_port, h.dest_port), (Some(1), Some(2)));
        assert_eq!(h.traffic_class(), TrafficClass::User);
    }
    assert_eq!(type_name(9, 6), "TYPE_6");
}

#[test]
fn name_distributor_has_nodes_but_no_ports() {
    for (t, name) in ["PUBLICATION", "WITHDRAWAL"].iter().enumerate() {
        let m = tipc_msg(
            11,
            t as u32,
            40,
            &[(3, NODE_A), (4, 3), (6, NODE_A), (7, NODE_B)],
            &[0; 20],
        );
        let h = parse(&m);
        assert_eq!(h.user_name(), "NAME_DISTRIBUTOR");
        assert_eq!(h.type_name(), *name);
        assert_eq!((h.orig_node, h.dest_node), (Some(NODE_A), Some(NODE_B)));
        assert_eq!((h.orig_port, h.dest_port), (None, None));
        assert_eq!(h.traffic_class(), TrafficClass::Internal);
    }
}

#[test]
fn link_protocol_fields() {
    let w1 = 300 << 16;
    let w4 = 0xabcd;
    let w5 = (0x1234 << 16) | (1 << 13) | (1 << 12) | (5 << 9) | (20 << 4) | (2 << 1) | 1;
    let w9 = (375 << 16) | 1500;
    let m = tipc_msg(
        7,
        1,
        40,
        &[
            (1, w1),
            (3, NODE_A),
            (4, w4),
            (5, w5),
            (6, NODE_A),
            (7, NODE_B),
            (9, w9),
        ],
        &[],
    );
    let h = parse(&m);
    assert_eq!(h.user_name(), "LINK_PROTOCOL");
    assert_eq!(h.type_name(), "RESET");
    let l = h.link.clone().expect("link protocol info");
    assert_eq!(l.session, 0x1234);
    assert_eq!(l.bearer_id, 5);
    assert_eq!(l.priority, 20);
    assert_eq!(l.net_plane, 'C');
    assert!(l.probe && l.peer_stopping && l.redundant_link);
    assert_eq!(l.seq_gap, 300);
    assert_eq!(l.next_sent, 0xabcd);
    assert_eq!(l.max_pkt, Some(1500));
    assert_eq!(l.tolerance, Some(1500));
    assert_eq!((h.orig_port, h.dest_port), (None, None));
    assert_eq!(h.traffic_class(), TrafficClass::Internal);
    for (t, name) in ["STATE", "RESET", "ACTIVATE"].iter().enumerate() {
        assert_eq!(type_name(7, t as u8), *name);
        assert_eq!(type_name(5, t as u8), *name, "BCAST_PROTOCOL uses STATE");
    }
}

#[test]
fn internal_users_names_and_classes() {
    let cases: [(u32, u32, &str, &str, TrafficClass); 5] = [
        (5, 0, "BCAST_PROTOCOL", "STATE", TrafficClass::Internal),
        (10, 0, "TUNNEL_PROTOCOL", "SYNCH", TrafficClass::Internal),
        (10, 1, "TUNNEL_PROTOCOL", "FAILOVER", TrafficClass::Internal),
        (14, 0, "MSG_CRYPTO", "KEY_DISTR", TrafficClass::Internal),
        (15, 0, "TOP_SRV", "EVENT", TrafficClass::NodeLocal),
    ];
    for (user, t, uname, tname, class) in cases {
        let h = parse(&tipc_msg(user, t, 40, &[(4, 9), (5, 10)], &[]));
        assert_eq!(h.user_name(), uname);
        assert_eq!(h.type_name(), tname);
        assert_eq!(h.traffic_class(), class, "user {uname}");
    }
    // TOP_SRV events carry ports (tipc_msg_create(TOP_SRV, 0, INT_H_SIZE, ..., port, port)).
    let h = parse(&tipc_msg(15, 0, 40, &[(4, 9), (5, 10)], &[]));
    assert_eq!((h.orig_port, h.dest_port), (Some(9), Some(10)));
    assert_eq!(user_name(4), "SYSTEM_IMPORTANCE");
}

#[test]
fn link_config_discovery_fields() {
    let id: [u8; 16] = *b"node-identity-01";
    let m = discovery(NODE_A, MAC_A, 0xdead_beef, id);
    assert_eq!(m.len(), 76);
    let h = parse(&m);
    assert_eq!(h.user_name(), "LINK_CONFIG");
    assert_eq!(h.type_name(), "DSC_REQ");
    assert_eq!(h.hdr_size, 60);
    assert_eq!(h.size, 76);
    assert!(h.non_seq);
    assert_eq!(
        h.orig_node,
        Some(NODE_A),
        "discovery sender is the previous node"
    );
    assert_eq!(h.dest_node, None, "word 7 holds the media address");
    assert_eq!((h.orig_port, h.dest_port), (None, None));
    assert_eq!(h.seqno(), None);
    assert_eq!(h.traffic_class(), TrafficClass::Internal);
    let d = h.discovery.expect("discovery info");
    assert_eq!(d.cluster_id, 4711);
    assert_eq!(
        d.node_signature,
        0x1234 | 0x8000,
        "capability bit 15 overlaps the signature"
    );
    assert_eq!(d.capabilities, 0x1fff);
    assert_eq!(d.dest_domain, 0x0100_1000);
    assert_eq!(d.proof, Some(0xdead_beef));
    assert_eq!(d.suggested_addr, Some(0x0100_1005));
    assert_eq!(d.node_id, Some(id));
    assert_eq!(d.media, Some(MediaAddress::Ethernet(MAC_A)));
    assert_eq!(
        d.media.map(|m| m.to_string()).as_deref(),
        Some("eth:02:00:00:00:00:0a")
    );
    for (t, name) in ["DSC_REQ", "DSC_RESP", "DSC_TRIAL", "DSC_TRIAL_FAIL"]
        .iter()
        .enumerate()
    {
        assert_eq!(type_name(13, t as u8), *name);
    }
}

#[test]
fn link_config_without_captured_node_id() {
    let m = discovery(NODE_A, MAC_A, 1, [7; 16]);
    let h = parse(&m[..66]);
    let d = h.discovery.expect("discovery info");
    assert_eq!(d.node_id, None, "only 6 of 16 node id bytes captured");
    assert_eq!(d.proof, Some(1));
}

#[test]
fn link_config_with_udp_media() {
    let mut m = discovery(NODE_A, MAC_A, 1, [7; 16]);
    m[20..52].fill(0);
    m[23] = 3;
    m[24..26].copy_from_slice(&0x0800u16.to_be_bytes());
    m[26..28].copy_from_slice(&6118u16.to_be_bytes());
    m[28..32].copy_from_slice(&[10, 0, 0, 1]);
    let d = parse(&m).discovery.expect("discovery");
    assert_eq!(
        d.media.map(|m| m.to_string()).as_deref(),
        Some("udp:10.0.0.1:6118")
    );
}

#[test]
fn short_link_config_header_has_no_proof_word() {
    // A 40-byte LINK_CONFIG header covers neither word 13 nor 14 nor the media info.
    let h = parse(&tipc_msg(13, 1, 40, &[(4, 99)], &[]));
    let d = h.discovery.expect("discovery");
    assert_eq!(d.cluster_id, 99);
    assert_eq!((d.proof, d.suggested_addr, d.media), (None, None, None));
    assert_eq!(d.node_id, None);
}

#[test]
fn first_fragment_carries_the_inner_header() {
    let inner = named(NODE_A, NODE_B, 11, 0, (1000, 5), 66_000 - 40);
    let mut m = tipc_msg(
        12,
        0,
        40,
        &[(3, NODE_A), (4, 1 << 16), (6, NODE_A), (7, NODE_B), (9, 2)],
        &inner[..1400],
    );
    // Fragments' word 0 size covers only this fragment.
    assert_eq!(m.len(), 1440);
    let h = parse(&m);
    assert_eq!(h.user_name(), "MSG_FRAGMENTER");
    assert_eq!(h.type_name(), "FIRST");
    let f = h.fragment.as_ref().expect("fragment info");
    assert_eq!(f.kind, FragmentKind::First);
    assert_eq!(f.number, 1);
    assert_eq!(f.count, None);
    assert_eq!(f.importance, 2);
    assert_eq!(f.inner_error, None);
    let i = f.inner.as_ref().expect("inner header");
    assert_eq!(i.type_name(), "NAMED");
    assert_eq!(i.size, 66_000);
    assert_eq!((i.name_type, i.name_instance), (Some(1000), Some(5)));
    assert_eq!(h.endpoint_header().orig_port, Some(11));
    assert_eq!(h.traffic_class(), TrafficClass::User);
    assert_eq!(h.importance(), 2);

    // A broken inner header is reported, not fatal.
    m[40] = 0x20; // version 1
    let h = parse(&m);
    let f = h.fragment.expect("fragment info");
    assert!(f.inner.is_none());
    assert_eq!(
        f.inner_error,
        Some(TipcError::UnsupportedVersion { version: 1 })
    );
}

#[test]
fn later_fragments_number_and_count() {
    let h = parse(&tipc_msg(12, 1, 40, &[(4, (2 << 16) | 5)], &[0; 100]));
    let f = h.fragment.as_ref().expect("fragment");
    assert_eq!(f.kind, FragmentKind::Fragment);
    assert_eq!(f.number, 2);
    assert_eq!(f.count, Some(5));
    assert!(f.inner.is_none());
    assert_eq!(h.traffic_class(), TrafficClass::User);
    let h = parse(&tipc_msg(12, 2, 40, &[(4, 48 << 16)], &[0; 100]));
    let f = h.fragment.expect("fragment");
    assert_eq!((f.kind, f.number), (FragmentKind::Last, 48));
    let h = parse(&tipc_msg(12, 6, 40, &[], &[]));
    assert_eq!(h.fragment.expect("fragment").kind, FragmentKind::Unknown(6));
    assert_eq!(type_name(12, 6), "TYPE_6");
}

fn bundle(inner: &[Vec<u8>], declared: u32) -> Vec<u8> {
    let mut payload = Vec::new();
    for m in inner {
        payload.extend_from_slice(m);
        while payload.len() & 3 != 0 {
            payload.push(0);
        }
    }
    tipc_msg(
        6,
        0,
        40,
        &[(3, NODE_A), (6, NODE_A), (7, NODE_B), (9, declared << 16)],
        &payload,
    )
}

#[test]
fn bundles_are_walked_and_classified_by_content() {
    let h = parse(&bundle(
        &[conn_ack(NODE_A, NODE_B, 1, 2), conn_short(NODE_A, 1, 2, 3)],
        2,
    ));
    assert_eq!(h.user_name(), "MSG_BUNDLER");
    assert_eq!(h.type_name(), "BUNDLE");
    let b = h.bundle.as_ref().expect("bundle");
    assert_eq!((b.declared, b.found, b.complete), (2, 2, true));
    assert_eq!(b.user_names(), vec!["LOW_IMPORTANCE", "CONN_MANAGER"]);
    assert_eq!(h.traffic_class(), TrafficClass::User);

    let h = parse(&bundle(&[publication(NODE_A, NODE_B)], 1));
    assert_eq!(h.traffic_class(), TrafficClass::Internal);

    // Declared more than present.
    let h = parse(&bundle(&[publication(NODE_A, NODE_B)], 3));
    let b = h.bundle.expect("bundle");
    assert_eq!((b.found, b.complete), (1, false));
}

#[test]
fn ethernet_padding_beyond_size_is_ignored() {
    let mut m = conn_ack(NODE_A, NODE_B, 1, 2);
    m.extend_from_slice(&[0xff; 20]);
    let h = parse(&m);
    assert_eq!(h.size, 40);
}

#[test]
fn errors_are_reported_not_panicked() {
    assert_eq!(
        TipcHeader::parse(&[]),
        Err(TipcError::TooShort { available: 0 })
    );
    assert_eq!(
        TipcHeader::parse(&[0x40; 23]),
        Err(TipcError::TooShort { available: 23 })
    );
    let mut v1 = conn_short(NODE_A, 1, 2, 0);
    v1[0] = (1 << 5) | (v1[0] & 0x1f);
    assert_eq!(
        TipcHeader::parse(&v1),
        Err(TipcError::UnsupportedVersion { version: 1 })
    );
    let mut v3 = conn_short(NODE_A, 1, 2, 0);
    v3[0] = (3 << 5) | (v3[0] & 0x1f);
    assert_eq!(
        TipcHeader::parse(&v3),
        Err(TipcError::UnsupportedVersion { version: 3 })
    );
    let small = word0(0, 20, 24).to_be_bytes();
    let mut m = small.to_vec();
    m.resize(24, 0);
    assert_eq!(
        TipcHeader::parse(&m),
        Err(TipcError::HeaderSizeTooSmall { hdr_size: 20 })
    );
    let d = discovery(NODE_A, MAC_A, 1, [0; 16]);
    assert_eq!(
        TipcHeader::parse(&d[..50]),
        Err(TipcError::HeaderTruncated {
            hdr_size: 60,
            available: 50
        })
    );
    let mut m = conn_short(NODE_A, 1, 2, 0);
    m[1..4].copy_from_slice(&(word0(0, 24, 10) & 0x00ff_ffff).to_be_bytes()[1..]);
    assert_eq!(
        TipcHeader::parse(&m),
        Err(TipcError::SizeBelowHeader {
            size: 10,
            hdr_size: 24
        })
    );
    let m = tipc_msg(4, 0, 40, &[], &[]);
    let e = TipcHeader::parse(&m).expect_err("user 4");
    assert_eq!(e, TipcError::NotAWireUser { user: 4 });
    assert!(e.to_string().contains("SYSTEM_IMPORTANCE"));
    assert!(TipcError::UnsupportedVersion { version: 1 }
        .to_string()
        .contains("version 1"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = TipcHeader::parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_plausible_headers(
        user in 0u32..16, mtype in 0u32..8, hsz in 0u32..16, size in 0u32..0x20000,
        rest in proptest::collection::vec(any::<u8>(), 0..160),
    ) {
        let mut bytes = ((2 << 29) | (user << 25) | (hsz << 21) | size).to_be_bytes().to_vec();
        bytes.extend_from_slice(&(mtype << 29).to_be_bytes());
        bytes.extend_from_slice(&rest);
        if let Ok(h) = TipcHeader::parse(&bytes) {
            prop_assert_eq!(h.hdr_size, hsz * 4);
            prop_assert!(h.hdr_size as usize <= bytes.len());
            prop_assert!(h.size >= h.hdr_size);
            let _ = (h.user_name(), h.type_name(), h.traffic_class(), h.importance());
        }
    }

    #[test]
    fn bundles_of_arbitrary_payload_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..300), n in 0u32..1000) {
        let m = tipc_msg(6, 0, 40, &[(9, n << 16)], &payload);
        let h = TipcHeader::parse(&m).expect("outer header is valid");
        let b = h.bundle.expect("bundle");
        prop_assert!(b.found as usize <= payload.len() / 24);
    }
}
