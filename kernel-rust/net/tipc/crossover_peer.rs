// SPDX-License-Identifier: GPL-2.0

//! Matching a discovered node with a network namespace of this kernel.
//!
//! Every namespace whose TIPC address is final is recorded under a
//! [`PeerKey`]: its node id, then the discovery proof it sends, then its
//! cookie. The proof is computed once, when the namespace is recorded: its node
//! id and cluster id are final by then. Keys order by node id and proof, so a
//! discovery claim is matched by [`judge`]-ing the entries from
//! [`PeerKey::first_with`] the claimed node id and proof on, stopping at the
//! first entry with another node id or proof. A claim costs one descent of an
//! ordered map and no hash, however many namespaces exist and however many of
//! them share the claimed node id: a forged proof, or one replayed under
//! another node id, finds no entry to judge. The C implementation walks every
//! namespace (`for_each_net_rcu()`) and hashes each one with the claimed node
//! id.
//!
//! The module uses nothing but `core` and the proof layout: it is built and
//! tested on the host as well as in the kernel.

use crate::crossover_proof::{proof_matches, NODE_ID_LEN};

/// Where a namespace is recorded: ordered by node id, then by the proof its
/// discovery messages carry, then by cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PeerKey {
    /// The 128-bit node id of the namespace's TIPC node.
    pub(crate) node_id: [u8; NODE_ID_LEN],
    /// The namespace's discovery proof, computed when it was recorded.
    pub(crate) proof: u32,
    /// The namespace's cookie (`net->net_cookie`).
    pub(crate) cookie: u64,
}

impl PeerKey {
    /// The smallest key with `node_id` and `proof`: where the namespaces
    /// that could have sent a claim with them start.
    pub(crate) fn first_with(node_id: &[u8; NODE_ID_LEN], proof: u32) -> Self {
        PeerKey {
            node_id: *node_id,
            proof,
            cookie: 0,
        }
    }
}

/// What a discovery message claims about its sender, and who received it.
pub(crate) struct Claim<'a> {
    /// Node id in the discovery message.
    pub(crate) node_id: &'a [u8; NODE_ID_LEN],
    /// Cluster id of the receiving node: only a peer in the same cluster
    /// can match.
    pub(crate) cluster_id: u32,
    /// Proof in word 13 of the discovery message.
    pub(crate) proof: u32,
    /// Cookie of the receiving namespace, which is never its own peer.
    pub(crate) receiver_cookie: u64,
}

/// The outcome of comparing one recorded namespace with a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This namespace sent the discovery message.
    Match,
    /// Not this namespace; the next one may still match.
    Skip,
    /// This and every following key have another node id or proof: no
    /// match.
    End,
}

/// Compares the namespace recorded under `key`, whose cluster id is
/// `cluster`, with `claim`. Computes nothing: the recorded proof is
/// compared with the claimed one.
pub(crate) fn judge(key: &PeerKey, cluster: u32, claim: &Claim<'_>) -> Verdict {
    // Every entry with the claimed node id and proof sits between
    // `first_with()` and the first entry that differs in either.
    let same_id = key.node_id == *claim.node_id;
    let claimed = same_id && proof_matches(claim.proof, key.proof);
    let receiver = key.cookie == claim.receiver_cookie;
    if !claimed {
        Verdict::End
    } else if receiver || cluster != claim.cluster_id {
        Verdict::Skip
    } else {
        Verdict::Match
    }
}
