//! Tests of `net/tipc/crossover_msg.rs`: the crossover decision for a
//! message's user and type, against a transcription of the C switch.

use crate::crossover_msg::{classify, CrossoverAction};
use proptest::prelude::*;
use CrossoverAction::{Assemble, Bearer, McastRcv, SkRcv};

/// The decision the C `tipc_lxc_xmit()` of Linux 7.3 takes for a list whose
/// first header has `user` and `mtyp`, written down from its `switch` with
/// the numeric values of `msg.h` so that it shares nothing with the code
/// under test. Fragments: reassembled first (what happens to the whole
/// message is [`c_after_reassembly`]).
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
        12 => Assemble,
        // GROUP_PROTOCOL, CONN_MANAGER
        8 | 9 => SkRcv,
        // LINK_PROTOCOL, NAME_DISTRIBUTOR, TUNNEL_PROTOCOL, BCAST_PROTOCOL
        // and the default branch
        _ => Bearer,
    }
}

/// Where upstream's `tipc_lxc_xmit()` delivers a reassembled message,
/// whatever its header: `tipc_sk_mcast_rcv()`.
fn c_after_reassembly(_user: u32, _mtyp: u32) -> CrossoverAction {
    McastRcv
}

/// The decision of the series: the C switch, except that group unicast and
/// group member events, point-to-point user data like CONN, NAMED and
/// DIRECT, are delivered with `tipc_sk_rcv()` too (the group unicast
/// patch).
fn series_reference(user: u32, mtyp: u32) -> CrossoverAction {
    match (user, mtyp) {
        (0..=3, 4 | 7) => SkRcv,
        _ => c_reference(user, mtyp),
    }
}

/// What the series' `tipc_lxc_xmit()` does with a reassembled message: it
/// asks again for the whole message's header, and what would stay on the
/// bearer goes to `tipc_sk_mcast_rcv()` as before (it cannot go back to the
/// bearer whole).
fn series_after_reassembly(user: u32, mtyp: u32) -> CrossoverAction {
    match classify(user, mtyp) {
        SkRcv => SkRcv,
        _ => McastRcv,
    }
}

#[test]
fn action_values_are_the_c_enum_values() {
    assert_eq!(Bearer as u32, 0);
    assert_eq!(SkRcv as u32, 1);
    assert_eq!(McastRcv as u32, 2);
    assert_eq!(Assemble as u32, 3);
}

#[test]
fn every_user_and_type_matches_the_series_switch() {
    for user in 0..16 {
        for mtyp in 0..8 {
            assert_eq!(
                classify(user, mtyp),
                series_reference(user, mtyp),
                "user {user} type {mtyp}"
            );
        }
    }
}

#[test]
fn user_data_by_type() {
    for imp in 0..=3 {
        assert_eq!(classify(imp, 0), SkRcv, "CONN");
        assert_eq!(classify(imp, 1), McastRcv, "MCAST");
        assert_eq!(classify(imp, 2), SkRcv, "NAMED");
        assert_eq!(classify(imp, 3), SkRcv, "DIRECT");
        assert_eq!(classify(imp, 4), SkRcv, "GRP_MEMBER_EVT");
        assert_eq!(classify(imp, 5), McastRcv, "GRP_BCAST");
        assert_eq!(classify(imp, 6), McastRcv, "GRP_MCAST");
        assert_eq!(classify(imp, 7), SkRcv, "GRP_UCAST");
    }
}

#[test]
fn differs_from_the_c_switch_only_for_group_unicast_and_member_events() {
    let mut differ = Vec::new();
    for user in 0..16 {
        for mtyp in 0..8 {
            if classify(user, mtyp) != c_reference(user, mtyp) {
                differ.push((user, mtyp));
            }
        }
    }
    let want: Vec<(u32, u32)> = (0..=3).flat_map(|u| [(u, 4), (u, 7)]).collect();
    assert_eq!(differ, want);
}

#[test]
fn internal_users() {
    // The message type is ignored for every internal user.
    for mtyp in 0..8 {
        assert_eq!(classify(5, mtyp), Bearer, "BCAST_PROTOCOL");
        assert_eq!(classify(7, mtyp), Bearer, "LINK_PROTOCOL");
        assert_eq!(classify(8, mtyp), SkRcv, "CONN_MANAGER");
        assert_eq!(classify(9, mtyp), SkRcv, "GROUP_PROTOCOL");
        assert_eq!(classify(10, mtyp), Bearer, "TUNNEL_PROTOCOL");
        assert_eq!(classify(11, mtyp), Bearer, "NAME_DISTRIBUTOR");
        assert_eq!(classify(12, mtyp), Assemble, "MSG_FRAGMENTER");
        assert_eq!(classify(13, mtyp), Bearer, "SOCK_WAKEUP");
        assert_eq!(classify(14, mtyp), Bearer, "TOP_SRV");
        assert_eq!(classify(15, mtyp), Bearer, "LINK_CONFIG");
    }
}

/// A connection, named or direct message built for the link MTU and
/// reassembled on the crossover goes to `tipc_sk_rcv()`, where upstream
/// looked it up as a multicast: words 8 to 10 of those headers are not a
/// name range.
#[test]
fn a_reassembled_message_is_delivered_by_its_own_type() {
    for imp in 0..=3 {
        for (mtyp, name) in [(0, "CONN"), (2, "NAMED"), (3, "DIRECT"), (7, "GRP_UCAST")] {
            assert_eq!(series_after_reassembly(imp, mtyp), SkRcv, "{name}");
            assert_eq!(c_after_reassembly(imp, mtyp), McastRcv, "{name} upstream");
        }
        for (mtyp, name) in [(1, "MCAST"), (5, "GRP_BCAST"), (6, "GRP_MCAST")] {
            assert_eq!(series_after_reassembly(imp, mtyp), McastRcv, "{name}");
        }
    }
    // Nothing reassembled goes back to the bearer.
    for user in 0..16 {
        for mtyp in 0..8 {
            assert_ne!(series_after_reassembly(user, mtyp), Bearer);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// C passes 4-bit users and 3-bit types; any other value, which no
    /// header can hold, is decided without panicking and stays on the
    /// bearer unless its low bits would be a known class.
    #[test]
    fn any_value_is_decided_without_panicking(user in any::<u32>(), mtyp in any::<u32>()) {
        let action = classify(user, mtyp);
        if user > 15 || (user <= 3 && mtyp > 7) {
            prop_assert_eq!(action, Bearer);
        } else {
            prop_assert_eq!(action, series_reference(user, mtyp));
        }
    }
}
