// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the crossover's decisions: which messages cross over, the
//! bytes a discovery proof is computed over and the proof itself, and the
//! matching of a discovery claim with the namespaces of this kernel.
//!
//! The modules under test use only `core`, and so do these tests: they also
//! run with `cargo test` on a host, where the crate root supplies a SipHash
//! of its own as `test_siphash()`, so both builds check the same cases.
//! KUnit's `assert!` and `assert_eq!` take no message, so none is given.

#[cfg_attr(not(test), kernel::macros::kunit_tests(tipc_crossover))]
mod tests {
    use crate::crossover_msg::{
        classify,
        CrossoverAction::{self, Assemble, Bearer, McastRcv, SkRcv},
    };
    use crate::crossover_peer::{judge, Claim, PeerKey, Verdict};
    use crate::crossover_proof::{proof_from_hash, proof_matches};
    use crate::crossover_proof::{NetIdentity, NODE_ID_LEN, PROOF_INPUT_LEN};
    use crate::test_siphash;

    /// The key of the SipHash test vectors in `lib/tests/siphash_kunit.c`.
    const VECTOR_KEY: [u64; 2] = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];

    /// `(n, h)`: SipHash-2-4 of the bytes 0, 1, ..., n - 1 under
    /// [`VECTOR_KEY`] is `h` (entries of `test_vectors_siphash[]`).
    const VECTORS: [(usize, u64); 7] = [
        (0, 0x726f_db47_dd0e_0e31),
        (1, 0x74f8_39c5_93dc_67fd),
        (8, 0x93f5_f579_9a93_2462),
        (15, 0xa129_ca61_49be_45e5),
        (16, 0x3f2a_cc7f_57c2_9bdb),
        (28, 0xde4d_aaac_a71d_c9a5),
        (63, 0x958a_324c_eb06_4572),
    ];

    /// The decision of `tipc_lxc_xmit()` before this series, transcribed
    /// from its `switch` with the values of `msg.h`.
    fn c_switch(user: u32, mtyp: u32) -> CrossoverAction {
        match (user, mtyp) {
            // user data: CONN, NAMED and DIRECT to one socket
            (0..=3, 0 | 2 | 3) => SkRcv,
            // user data: MCAST, GRP_BCAST and GRP_MCAST to a range or group
            (0..=3, 1 | 5 | 6) => McastRcv,
            // MSG_FRAGMENTER
            (12, _) => Assemble,
            // CONN_MANAGER, GROUP_PROTOCOL
            (8 | 9, _) => SkRcv,
            _ => Bearer,
        }
    }

    /// A node id.
    type NodeId = [u8; NODE_ID_LEN];
    /// A registered namespace: its key and its cluster id.
    type Entry = (PeerKey, u32);
    /// What a lookup found and the entries it judged.
    type Found = (Option<u64>, usize);

    /// A node id that differs between different `n`.
    fn node_id(n: u8) -> NodeId {
        let mut id = [0u8; NODE_ID_LEN];
        id[0] = n;
        id[NODE_ID_LEN - 1] = n.wrapping_mul(7);
        id
    }

    /// The proof of a namespace as `crossover.rs` computes it, under
    /// [`VECTOR_KEY`] instead of the secret key.
    fn proof(identity: &NetIdentity<'_>) -> u32 {
        proof_from_hash(test_siphash(&identity.proof_input(), VECTOR_KEY))
    }

    /// The claim the namespace `cookie` makes in its discovery messages, as
    /// received by the namespace `receiver` of cluster `cluster_id`.
    fn claim(id: &NodeId, cookie: u64, cluster: u32, rx: u64) -> Claim<'_> {
        Claim {
            node_id: id,
            cluster_id: cluster,
            proof: proof(&NetIdentity {
                cookie,
                node_id: id,
                cluster_id: cluster,
            }),
            receiver_cookie: rx,
        }
    }

    /// Eight namespaces as the registry orders them: cookies 1 to 6 with
    /// node ids `node_id(1..=6)`, cookies 7 and 8 with node id
    /// `node_id(3)` in clusters 2 and 4711 (so three claimants of
    /// `node_id(3)`, cookies 3, 7 and 8), everyone else in cluster 4711.
    /// Each namespace's proof is computed once, when it is recorded.
    fn registry() -> [Entry; 8] {
        let mut reg = [(
            PeerKey {
                node_id: [0; NODE_ID_LEN],
                proof: 0,
                cookie: 0,
            },
            4711,
        ); 8];
        for (i, entry) in reg.iter_mut().enumerate() {
            let cookie = i as u64 + 1;
            let id = node_id(if cookie > 6 { 3 } else { cookie as u8 });
            let cluster_id = if cookie == 7 { 2 } else { 4711 };
            let proof = proof(&NetIdentity {
                cookie,
                node_id: &id,
                cluster_id,
            });
            *entry = (
                PeerKey {
                    node_id: id,
                    proof,
                    cookie,
                },
                cluster_id,
            );
        }
        reg.sort_unstable_by_key(|entry| entry.0);
        reg
    }

    /// What the kernel's lookup finds for `claim` in `reg`, and how many
    /// entries it judged: it starts at the first key with the claimed node
    /// id and proof and judges entries in order; it computes no proof.
    fn find(reg: &[Entry], claim: &Claim<'_>) -> Found {
        let first = PeerKey::first_with(claim.node_id, claim.proof);
        let start = reg.partition_point(|(key, _)| *key < first);
        let mut visited = 0;
        for (key, cluster_id) in &reg[start..] {
            visited += 1;
            match judge(key, *cluster_id, claim) {
                Verdict::Match => return (Some(key.cookie), visited),
                Verdict::Skip => {}
                Verdict::End => break,
            }
        }
        (None, visited)
    }

    #[test]
    fn classify_is_the_c_switch_but_for_group_unicast_and_member_events() {
        for user in 0..16 {
            for mtyp in 0..8 {
                let group_to_port = user <= 3 && (mtyp == 4 || mtyp == 7);
                if group_to_port {
                    assert_eq!(c_switch(user, mtyp), Bearer);
                    assert_eq!(classify(user, mtyp), SkRcv);
                } else {
                    assert_eq!(classify(user, mtyp), c_switch(user, mtyp));
                }
            }
        }
    }

    #[test]
    fn values_no_header_holds_stay_on_the_bearer() {
        // A type of more than 3 bits: user data stays on the bearer, an
        // internal user is decided by the user alone.
        for user in 0..16 {
            for mtyp in [8, 0xff, 0x8000_0000, u32::MAX] {
                let want = if user <= 3 { Bearer } else { classify(user, 0) };
                assert_eq!(classify(user, mtyp), want);
            }
        }
        // A user of more than 4 bits, whatever the type.
        for user in [16, 0xff, 0x8000_0000, u32::MAX] {
            for mtyp in [0, 2, 7, u32::MAX] {
                assert_eq!(classify(user, mtyp), Bearer);
            }
        }
    }

    #[test]
    fn siphash_matches_the_test_vectors() {
        let mut input = [0u8; 64];
        for (i, byte) in input.iter_mut().enumerate() {
            *byte = i as u8;
        }
        for (len, hash) in VECTORS {
            assert_eq!(test_siphash(&input[..len], VECTOR_KEY), hash);
        }
    }

    #[test]
    fn proof_input_layout() {
        let node: [u8; NODE_ID_LEN] = *b"0123456789abcdef";
        let input = NetIdentity {
            cookie: 0x1122_3344_5566_7788,
            node_id: &node,
            cluster_id: 4711,
        }
        .proof_input();
        assert_eq!(PROOF_INPUT_LEN, 28);
        const LE: [u8; 8] = [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11];
        assert_eq!(input[..8], LE);
        assert_eq!(input[8..24], node);
        assert_eq!(input[24..], 4711u32.to_le_bytes());
    }

    #[test]
    fn proof_is_pinned_to_a_test_vector() {
        // The identity whose input is the bytes 0 to 27: its proof is the
        // low half of the 28-byte vector.
        let mut node = [0u8; NODE_ID_LEN];
        for (i, byte) in node.iter_mut().enumerate() {
            *byte = 8 + i as u8;
        }
        let identity = NetIdentity {
            cookie: 0x0706_0504_0302_0100,
            node_id: &node,
            cluster_id: 0x1b1a_1918,
        };
        let input = identity.proof_input();
        for (i, byte) in input.iter().enumerate() {
            assert_eq!(*byte, i as u8);
        }
        assert_eq!(proof(&identity), 0xa71d_c9a5);
        assert_eq!(proof_from_hash(0xdead_beef_0123_4567), 0x0123_4567);
    }

    #[test]
    fn proof_binds_every_bit_of_the_identity() {
        const COOKIE: u64 = 0x0123_4567_89ab_cdef;
        const CLUSTER: u32 = 4711;
        let node = node_id(42);
        let honest = proof(&NetIdentity {
            cookie: COOKIE,
            node_id: &node,
            cluster_id: CLUSTER,
        });
        assert!(proof_matches(honest, honest));
        let refused = |id: NetIdentity<'_>| !proof_matches(proof(&id), honest);
        for bit in 0..64 {
            assert!(refused(NetIdentity {
                cookie: COOKIE ^ (1 << bit),
                node_id: &node,
                cluster_id: CLUSTER,
            }));
        }
        for bit in 0..NODE_ID_LEN * 8 {
            let mut other = node;
            other[bit / 8] ^= 1 << (bit % 8);
            assert!(refused(NetIdentity {
                cookie: COOKIE,
                node_id: &other,
                cluster_id: CLUSTER,
            }));
        }
        for bit in 0..32 {
            assert!(refused(NetIdentity {
                cookie: COOKIE,
                node_id: &node,
                cluster_id: CLUSTER ^ (1 << bit),
            }));
        }
    }

    #[test]
    fn finds_the_sender_at_its_own_entry() {
        let reg = registry();
        let id = node_id(5);
        assert_eq!(find(&reg, &claim(&id, 5, 4711, 1)), (Some(5), 1));
    }

    #[test]
    fn a_forged_proof_opens_nothing() {
        let reg = registry();
        // A node id with three claimants: a forged proof still judges at
        // most one entry, the first after where its key would be.
        let id = node_id(3);
        let mut forged = claim(&id, 8, 4711, 1);
        for flip in 0..32 {
            forged.proof ^= 1 << flip;
            assert!(find(&reg, &forged).1 <= 1);
            assert_eq!(find(&reg, &forged).0, None);
            forged.proof ^= 1 << flip;
        }
        let id = node_id(5);
        // Replayed under another node id.
        let other = node_id(6);
        forged = claim(&id, 5, 4711, 1);
        forged.node_id = &other;
        assert_eq!(find(&reg, &forged).0, None);
    }

    #[test]
    fn the_receiver_and_other_clusters_never_match() {
        let reg = registry();
        let id = node_id(5);
        assert_eq!(find(&reg, &claim(&id, 5, 4711, 5)).0, None);
        // The sender's own proof, received in another cluster.
        let mut elsewhere = claim(&id, 5, 4711, 1);
        elsewhere.cluster_id = 1;
        assert_eq!(find(&reg, &elsewhere), (None, 2));
    }

    #[test]
    fn claimants_of_one_node_id_are_told_apart() {
        let reg = registry();
        let id = node_id(3);
        // Cookies 3 and 8 in cluster 4711, cookie 7 in cluster 2: each is
        // found at its own entry, whatever the others' place.
        assert_eq!(find(&reg, &claim(&id, 8, 4711, 1)), (Some(8), 1));
        assert_eq!(find(&reg, &claim(&id, 7, 2, 1)), (Some(7), 1));
        assert_eq!(find(&reg, &claim(&id, 3, 4711, 1)).0, Some(3));
        // A claimant's proof received in the other cluster matches no one.
        let mut crossed = claim(&id, 7, 2, 1);
        crossed.cluster_id = 4711;
        assert_eq!(find(&reg, &crossed).0, None);
    }

    #[test]
    fn an_unknown_node_id_ends_at_once() {
        let reg = registry();
        // Between node_id(3) and node_id(4): the walk starts at the first
        // key of node_id(4) and ends there.
        let mut id = node_id(3);
        id[NODE_ID_LEN - 1] += 1;
        let unknown = Claim {
            node_id: &id,
            cluster_id: 4711,
            proof: 0,
            receiver_cookie: 1,
        };
        assert_eq!(find(&reg, &unknown), (None, 1));
    }

    #[test]
    fn keys_order_by_node_id_then_proof_then_cookie() {
        let low = PeerKey {
            node_id: node_id(1),
            proof: u32::MAX,
            cookie: u64::MAX,
        };
        let high = PeerKey {
            node_id: node_id(2),
            proof: 0,
            cookie: 0,
        };
        let higher = PeerKey { proof: 1, ..high };
        assert!(low < high && high < higher);
        assert!(PeerKey::first_with(&node_id(2), 1) > high);
        assert!(PeerKey::first_with(&node_id(2), 1) <= higher);
    }
}
