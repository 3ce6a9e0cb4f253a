//! Tests of `net/tipc/crossover_msg.rs`: header fields and the crossover
//! decision, against hand-built headers and a transcription of the C switch.

use crate::crossover_msg::{be32_word, classify, CrossoverAction, MsgHeader};
use crate::test_util::{header, v2};
use proptest::prelude::*;
use CrossoverAction::{AssembleMcast, Bearer, McastRcv, SkRcv};

/// Header sizes TIPC uses (`msg.h`): short, basic, named and internal,
/// multicast and group, discovery.
const HDR_SIZES: [usize; 5] = [24, 32, 40, 44, 60];

/// The decision the C `tipc_lxc_xmit()` of Linux 6.12 takes for a list whose
/// first header has `user` and `mtyp`, written down from its `switch` with the
/// numeric values of `msg.h` so that it shares nothing with the code under
/// test.
fn c_reference(user: u32, mtyp: u32) -> CrossoverAction {
    match user {
        // TIPC_LOW_IMPORTANCE .. TIPC_CRITICAL_IMPORTANCE
        0..=3 => match mtyp {
            // msg_connected() || msg_named() || msg_direct()
            0 | 2 | 3 => SkRcv,
            // msg_mcast(): TIPC_MCAST_MSG, TIPC_GRP_BCAST_MSG, TIPC_GRP_MCAST_MSG
            1 | 5 | 6 => McastRcv,
            // TIPC_GRP_MEMBER_EVT, TIPC_GRP_UCAST_MSG: no branch taken
            _ => Bearer,
        },
        // MSG_FRAGMENTER
        12 => AssembleMcast,
        // GROUP_PROTOCOL, CONN_MANAGER
        8 | 9 => SkRcv,
        // LINK_PROTOCOL, NAME_DISTRIBUTOR, TUNNEL_PROTOCOL, BCAST_PROTOCOL
        // and the default branch
        _ => Bearer,
    }
}

/// The decision of the series: the C switch, except that group unicast and
/// group member events, point-to-point user data like CONN, NAMED and
/// DIRECT, are delivered with `tipc_sk_rcv()` too (patch 4).
fn series_reference(user: u32, mtyp: u32) -> CrossoverAction {
    match (user, mtyp) {
        (0..=3, 4 | 7) => SkRcv,
        _ => c_reference(user, mtyp),
    }
}

/// The expected decision for arbitrary bytes, computed from scratch: a
/// header that is not a complete version 2 header goes to the bearer.
fn reference_from_bytes(bytes: &[u8]) -> CrossoverAction {
    if bytes.len() < 8 {
        return Bearer;
    }
    let w0 = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let w1 = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let hsize = (((w0 >> 21) & 0xf) * 4) as usize;
    if w0 >> 29 != 2 || hsize < 24 || hsize > bytes.len() {
        return Bearer;
    }
    series_reference((w0 >> 25) & 0xf, w1 >> 29)
}

#[test]
fn action_values_are_the_c_enum_values() {
    assert_eq!(Bearer as u32, 0);
    assert_eq!(SkRcv as u32, 1);
    assert_eq!(McastRcv as u32, 2);
    assert_eq!(AssembleMcast as u32, 3);
}

#[test]
fn every_user_and_type_matches_the_series_switch() {
    for user in 0..16 {
        for mtyp in 0..8 {
            for hsize in HDR_SIZES {
                assert_eq!(
                    classify(&v2(user, mtyp, hsize)),
                    series_reference(user, mtyp),
                    "user {user} type {mtyp} header {hsize}"
                );
            }
        }
    }
}

#[test]
fn user_data_by_type() {
    // Importance levels 0..3 all behave alike.
    for imp in 0..4 {
        assert_eq!(classify(&v2(imp, 0, 24)), SkRcv, "CONN");
        assert_eq!(classify(&v2(imp, 2, 40)), SkRcv, "NAMED");
        assert_eq!(classify(&v2(imp, 3, 32)), SkRcv, "DIRECT");
        assert_eq!(classify(&v2(imp, 1, 44)), McastRcv, "MCAST");
        assert_eq!(classify(&v2(imp, 5, 44)), McastRcv, "GRP_BCAST");
        assert_eq!(classify(&v2(imp, 6, 44)), McastRcv, "GRP_MCAST");
        // Left on the bearer by upstream, taken across by the series.
        assert_eq!(classify(&v2(imp, 4, 44)), SkRcv, "GRP_MEMBER_EVT");
        assert_eq!(classify(&v2(imp, 7, 44)), SkRcv, "GRP_UCAST");
    }
}

#[test]
fn differs_from_the_c_switch_only_for_group_unicast_and_member_events() {
    let mut changed = Vec::new();
    for user in 0..16 {
        for mtyp in 0..8 {
            let ours = classify(&v2(user, mtyp, 44));
            if ours != c_reference(user, mtyp) {
                changed.push((user, mtyp, ours));
            }
        }
    }
    let expected: Vec<_> = (0..4)
        .flat_map(|imp| [(imp, 4, SkRcv), (imp, 7, SkRcv)])
        .collect();
    assert_eq!(changed, expected);
}

#[test]
fn internal_users() {
    for mtyp in 0..8 {
        assert_eq!(classify(&v2(12, mtyp, 40)), AssembleMcast, "MSG_FRAGMENTER");
        assert_eq!(classify(&v2(8, mtyp, 40)), SkRcv, "CONN_MANAGER");
        assert_eq!(classify(&v2(9, mtyp, 44)), SkRcv, "GROUP_PROTOCOL");
        // TIPC_SYSTEM_IMPORTANCE, BCAST_PROTOCOL, MSG_BUNDLER, LINK_PROTOCOL,
        // TUNNEL_PROTOCOL, NAME_DISTRIBUTOR, LINK_CONFIG, MSG_CRYPTO or
        // SOCK_WAKEUP, TOP_SRV.
        for user in [4, 5, 6, 7, 10, 11, 13, 14, 15] {
            assert_eq!(classify(&v2(user, mtyp, 40)), Bearer, "user {user}");
        }
    }
}

#[test]
fn short_headers_go_to_the_bearer() {
    let named = v2(0, 2, 40);
    for len in 0..40 {
        assert_eq!(classify(&named[..len]), Bearer, "len {len}");
    }
    assert_eq!(classify(&named), SkRcv);
    let short = v2(0, 0, 24);
    for len in 0..24 {
        assert_eq!(classify(&short[..len]), Bearer, "len {len}");
    }
    assert_eq!(classify(&short), SkRcv);
    assert_eq!(classify(&[]), Bearer);
}

#[test]
fn other_versions_go_to_the_bearer() {
    for version in (0..8).filter(|v| *v != 2) {
        assert_eq!(
            classify(&header(version, 0, 0, 24)),
            Bearer,
            "version {version}"
        );
        assert_eq!(
            classify(&header(version, 8, 0, 40)),
            Bearer,
            "version {version}"
        );
    }
}

#[test]
fn header_size_field_below_minimum_goes_to_the_bearer() {
    for words in 0..6u32 {
        let mut bytes = v2(0, 0, 24);
        let w0 = be32_word(&bytes, 0).unwrap();
        let w0 = (w0 & !(0xf << 21)) | (words << 21);
        bytes[0..4].copy_from_slice(&w0.to_be_bytes());
        assert_eq!(MsgHeader::parse(&bytes), None, "{words} words");
        assert_eq!(classify(&bytes), Bearer, "{words} words");
    }
}

#[test]
fn fields_of_a_named_data_header() {
    // Version 2, user 0, 6-word header, size 100; type NAMED.
    let mut bytes = [0u8; 24];
    bytes[..8].copy_from_slice(&[0x40, 0xc0, 0x00, 0x64, 0x40, 0x00, 0x00, 0x00]);
    let hdr = MsgHeader::parse(&bytes).expect("valid header");
    assert_eq!(hdr.version(), 2);
    assert_eq!(hdr.user(), 0);
    assert_eq!(hdr.hdr_size(), 24);
    assert_eq!(hdr.msg_type(), 2);
    assert_eq!(classify(&bytes), SkRcv);
}

#[test]
fn fields_of_a_discovery_header() {
    // Version 2, LINK_CONFIG, 15-word header, size 76 (60 + node id); type
    // DSC_RESP, with capabilities and signature bits set in word 1.
    let mut bytes = [0u8; 76];
    bytes[..8].copy_from_slice(&[0x5b, 0xe0, 0x00, 0x4c, 0x20, 0x00, 0xab, 0xcd]);
    let hdr = MsgHeader::parse(&bytes).expect("valid header");
    assert_eq!(hdr.version(), 2);
    assert_eq!(hdr.user(), 13);
    assert_eq!(hdr.hdr_size(), 60);
    assert_eq!(hdr.msg_type(), 1);
    assert_eq!(classify(&bytes), Bearer);
    // The 60-byte header alone is complete, 56 bytes are not.
    assert!(MsgHeader::parse(&bytes[..60]).is_some());
    assert!(MsgHeader::parse(&bytes[..56]).is_none());
}

#[test]
fn fields_of_a_fragment_header() {
    // Version 2, MSG_FRAGMENTER, 10-word header; type FIRST_FRAGMENT (0).
    let bytes = v2(12, 0, 40);
    assert_eq!(&bytes[..4], &[0x59, 0x40, 0x00, 0x28]);
    let hdr = MsgHeader::parse(&bytes).expect("valid header");
    assert_eq!(
        (hdr.version(), hdr.user(), hdr.hdr_size(), hdr.msg_type()),
        (2, 12, 40, 0)
    );
}

#[test]
fn be32_words() {
    let bytes = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    assert_eq!(be32_word(&bytes, 0), Some(0x0102_0304));
    assert_eq!(be32_word(&bytes, 1), Some(0x0506_0708));
    assert_eq!(be32_word(&bytes, 2), None);
    assert_eq!(be32_word(&bytes, usize::MAX / 4), None);
    assert_eq!(be32_word(&bytes, usize::MAX / 4 + 1), None);
    assert_eq!(be32_word(&bytes, usize::MAX), None);
    assert_eq!(be32_word(&[], 0), None);
}

/// A valid version 2 header with arbitrary contents: user, type, header
/// size in words, the free bits of words 0 and 1, the other words, and a
/// payload.
fn any_valid_message() -> impl Strategy<Value = (u32, u32, Vec<u8>)> {
    (
        0u32..16,
        0u32..8,
        6usize..=15,
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 52),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(user, mtyp, words, w0_low, w1_low, rest, payload)| {
            let w0 = 2 << 29 | user << 25 | (words as u32) << 21 | (w0_low & 0x1f_ffff);
            let w1 = mtyp << 29 | (w1_low & 0x1fff_ffff);
            let mut bytes = Vec::new();
            bytes.extend_from_slice(&w0.to_be_bytes());
            bytes.extend_from_slice(&w1.to_be_bytes());
            bytes.extend_from_slice(&rest[..words * 4 - 8]);
            bytes.extend_from_slice(&payload);
            (user, mtyp, bytes)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn garbage_never_panics_and_matches_reference(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        prop_assert_eq!(classify(&bytes), reference_from_bytes(&bytes));
    }

    #[test]
    fn garbage_with_version_2_matches_reference(
        mut bytes in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        // Force version 2 so that the header-size and user checks are reached.
        if let Some(b) = bytes.first_mut() {
            *b = (*b & 0x1f) | 0x40;
        }
        prop_assert_eq!(classify(&bytes), reference_from_bytes(&bytes));
    }

    #[test]
    fn valid_headers_follow_the_c_switch((user, mtyp, bytes) in any_valid_message()) {
        prop_assert_eq!(classify(&bytes), series_reference(user, mtyp));
    }

    #[test]
    fn only_the_header_counts((user, mtyp, bytes) in any_valid_message()) {
        let hdr = MsgHeader::parse(&bytes).expect("valid header");
        prop_assert_eq!(hdr.user(), user);
        prop_assert_eq!(hdr.msg_type(), mtyp);
        prop_assert_eq!(hdr.version(), 2);
        let hsize = hdr.hdr_size();
        prop_assert_eq!(classify(&bytes[..hsize]), classify(&bytes));
    }

    #[test]
    fn truncated_headers_go_to_the_bearer(
        (_user, _mtyp, bytes) in any_valid_message(),
        cut in 0usize..60,
    ) {
        let hsize = MsgHeader::parse(&bytes).expect("valid header").hdr_size();
        let cut = cut % hsize;
        prop_assert_eq!(classify(&bytes[..cut]), Bearer);
        prop_assert!(MsgHeader::parse(&bytes[..cut]).is_none());
    }

    #[test]
    fn accessors_read_the_bit_ranges_of_msg_h(w0 in any::<u32>(), w1 in any::<u32>()) {
        let mut bytes = [0u8; 60];
        bytes[..4].copy_from_slice(&w0.to_be_bytes());
        bytes[4..8].copy_from_slice(&w1.to_be_bytes());
        let hsize = ((w0 >> 21) & 0xf) as usize * 4;
        match MsgHeader::parse(&bytes) {
            Some(hdr) => {
                prop_assert_eq!(hdr.version(), (w0 >> 29) & 7);
                prop_assert_eq!(hdr.user(), (w0 >> 25) & 0xf);
                prop_assert_eq!(hdr.hdr_size(), hsize);
                prop_assert_eq!(hdr.msg_type(), (w1 >> 29) & 7);
                prop_assert!(w0 >> 29 == 2 && hsize >= 24);
            }
            None => prop_assert!(w0 >> 29 != 2 || hsize < 24),
        }
    }
}
