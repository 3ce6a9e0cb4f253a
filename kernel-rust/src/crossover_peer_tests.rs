//! Tests of `net/tipc/crossover_peer.rs`: the matching policy, run over an
//! ordered map the way the kernel runs it over its red-black tree.

use crate::crossover_peer::{judge, Claim, PeerKey, Verdict};
use crate::crossover_proof::{proof_from_hash, NetIdentity, NODE_ID_LEN};
use proptest::prelude::*;
use siphasher::sip::SipHasher24;
use std::collections::BTreeMap;
use std::hash::Hasher;

const KEY: [u64; 2] = [0x1122_3344_5566_7788, 0x99aa_bbcc_ddee_ff00];

fn proof(identity: &NetIdentity<'_>) -> u32 {
    let mut h = SipHasher24::new_with_keys(KEY[0], KEY[1]);
    h.write(&identity.proof_input());
    proof_from_hash(h.finish())
}

/// Namespaces of one kernel: key → cluster id, as `crossover.rs` records them.
type Registry = BTreeMap<PeerKey, u32>;

/// Records the namespace `cookie` as `crossover.rs` does: its proof is
/// computed once, here.
fn record(registry: &mut Registry, node_id: [u8; NODE_ID_LEN], cookie: u64, cluster_id: u32) {
    let proof = proof(&NetIdentity {
        cookie,
        node_id: &node_id,
        cluster_id,
    });
    registry.insert(
        PeerKey {
            node_id,
            proof,
            cookie,
        },
        cluster_id,
    );
}

/// What a lookup found and how many entries it judged.
struct Lookup {
    found: Option<u64>,
    visited: usize,
}

/// The kernel's lookup: start at the first key with the claimed node id
/// and proof, and judge entries until one matches or the search ends.
/// `judge()` computes no proof: a lookup hashes nothing.
fn find(registry: &Registry, claim: &Claim<'_>) -> Lookup {
    let mut out = Lookup {
        found: None,
        visited: 0,
    };
    for (key, cluster_id) in registry.range(PeerKey::first_with(claim.node_id, claim.proof)..) {
        out.visited += 1;
        match judge(key, *cluster_id, claim) {
            Verdict::Match => {
                out.found = Some(key.cookie);
                break;
            }
            Verdict::Skip => {}
            Verdict::End => break,
        }
    }
    out
}

fn node_id(n: u8) -> [u8; NODE_ID_LEN] {
    let mut id = [0u8; NODE_ID_LEN];
    id[0] = n;
    id[15] = n.wrapping_mul(7);
    id
}

/// `count` namespaces with cookies 1.., node ids `node_id(cookie)`, all in
/// cluster 4711.
fn registry(count: u8) -> Registry {
    let mut reg = Registry::new();
    for c in 1..=count {
        record(&mut reg, node_id(c), u64::from(c), 4711);
    }
    reg
}

/// The claim the namespace with `cookie` makes in its discovery messages.
fn honest_claim(
    node: &[u8; NODE_ID_LEN],
    cookie: u64,
    cluster_id: u32,
    receiver: u64,
) -> Claim<'_> {
    Claim {
        node_id: node,
        cluster_id,
        proof: proof(&NetIdentity {
            cookie,
            node_id: node,
            cluster_id,
        }),
        receiver_cookie: receiver,
    }
}

#[test]
fn finds_the_sender_among_many() {
    let reg = registry(64);
    let id = node_id(40);
    let found = find(&reg, &honest_claim(&id, 40, 4711, 3));
    assert_eq!(found.found, Some(40));
    assert_eq!(found.visited, 1);
}

#[test]
fn a_forged_proof_opens_nothing() {
    let reg = registry(8);
    let id = node_id(5);
    let mut claim = honest_claim(&id, 5, 4711, 1);
    claim.proof ^= 1;
    assert_eq!(find(&reg, &claim).found, None);
}

#[test]
fn another_cluster_never_matches() {
    let reg = registry(8);
    let id = node_id(5);
    // The sender really is namespace 5, but the receiver is in cluster 1.
    let mut claim = honest_claim(&id, 5, 4711, 1);
    claim.cluster_id = 1;
    let found = find(&reg, &claim);
    assert_eq!(found.found, None);
    // The sender's entry (skipped), then the end of its node id.
    assert_eq!(found.visited, 2);
}

/// The bound the registry's key gives: 64 namespaces that all claim one
/// node id (a misconfiguration, or an attacker's namespaces) cost a forged
/// claim one look at one entry, and the true sender is found at once.
#[test]
fn many_claimants_of_one_node_id_cost_a_forged_claim_nothing() {
    let shared = node_id(9);
    let mut reg = registry(8);
    for cookie in 100..164 {
        record(&mut reg, shared, cookie, 4711);
    }
    let mut forged = honest_claim(&shared, 140, 4711, 1);
    forged.proof ^= 0x3c5a_a5c3;
    let found = find(&reg, &forged);
    assert_eq!(found.found, None);
    assert!(found.visited <= 1, "visited {}", found.visited);
    let honest = find(&reg, &honest_claim(&shared, 140, 4711, 1));
    assert_eq!(honest.found, Some(140));
    assert_eq!(honest.visited, 1);
}

#[test]
fn a_proof_replayed_under_another_node_id_fails() {
    let reg = registry(8);
    let real = node_id(5);
    let replayed = honest_claim(&real, 5, 4711, 1).proof;
    let other = node_id(6);
    let claim = Claim {
        node_id: &other,
        cluster_id: 4711,
        proof: replayed,
        receiver_cookie: 1,
    };
    assert_eq!(find(&reg, &claim).found, None);
}

#[test]
fn a_namespace_is_not_its_own_peer() {
    let reg = registry(8);
    let id = node_id(5);
    assert_eq!(find(&reg, &honest_claim(&id, 5, 4711, 5)).found, None);
}

#[test]
fn unknown_node_id_ends_at_once() {
    let reg = registry(64);
    let id = [0xee; NODE_ID_LEN];
    let claim = Claim {
        node_id: &id,
        cluster_id: 4711,
        proof: 0,
        receiver_cookie: 1,
    };
    let found = find(&reg, &claim);
    assert_eq!(found.found, None);
    assert!(found.visited <= 1, "visited {}", found.visited);
}

#[test]
fn same_node_id_in_two_clusters_picks_the_right_namespace() {
    let shared = node_id(9);
    let mut reg = Registry::new();
    record(&mut reg, shared, 10, 1);
    record(&mut reg, shared, 20, 2);
    assert_eq!(find(&reg, &honest_claim(&shared, 20, 2, 1)).found, Some(20));
    assert_eq!(find(&reg, &honest_claim(&shared, 10, 1, 1)).found, Some(10));
}

#[test]
fn keys_order_by_node_id_then_proof_then_cookie() {
    let low = PeerKey {
        node_id: node_id(1),
        proof: u32::MAX,
        cookie: u64::MAX,
    };
    let mid = PeerKey {
        node_id: node_id(2),
        proof: 5,
        cookie: u64::MAX,
    };
    let high = PeerKey {
        node_id: node_id(2),
        proof: 6,
        cookie: 0,
    };
    assert!(low < mid && mid < high);
    assert!(PeerKey::first_with(&node_id(2), 5) <= mid);
    assert!(PeerKey::first_with(&node_id(2), 6) > mid);
}

proptest! {
    /// The work of one lookup depends neither on how many namespaces exist
    /// nor on how many share the claimed node id: it judges the sender's
    /// own entry first (ids here are drawn from 4 values, so many share).
    #[test]
    fn lookup_cost_is_independent_of_namespace_and_claimant_count(
        picks in prop::collection::vec(0u8..4, 1..300),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut reg = Registry::new();
        for (i, p) in picks.iter().enumerate() {
            record(&mut reg, node_id(*p), i as u64 + 1, 4711);
        }
        let sender = pick.index(picks.len());
        let id = node_id(picks[sender]);
        let claim = honest_claim(&id, sender as u64 + 1, 4711, 0);
        let found = find(&reg, &claim);
        prop_assert_eq!(found.found, Some(sender as u64 + 1));
        prop_assert_eq!(found.visited, 1);
    }

    /// A claim with a proof the sender did not compute never matches.
    #[test]
    fn only_the_true_proof_matches(
        ids in prop::collection::vec(any::<[u8; NODE_ID_LEN]>(), 1..50),
        pick in any::<prop::sample::Index>(),
        flip in 1u32..,
    ) {
        let mut reg = Registry::new();
        for (i, id) in ids.iter().enumerate() {
            record(&mut reg, *id, i as u64 + 1, 4711);
        }
        let sender = pick.index(ids.len());
        let id = ids[sender];
        let mut claim = honest_claim(&id, sender as u64 + 1, 4711, 0);
        claim.proof ^= flip;
        // Another namespace with the same node id could own the flipped proof
        // only by a 2^-32 chance; proptest's inputs do not come near it.
        prop_assert_eq!(find(&reg, &claim).found, None);
    }
}
