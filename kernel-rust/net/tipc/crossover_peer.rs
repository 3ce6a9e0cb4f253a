// SPDX-License-Identifier: GPL-2.0

//! Matching a discovered node with a network namespace of this kernel.
//!
//! Every namespace whose TIPC node has a node id is recorded under a
//! [`PeerKey`]: its node id first, then its cookie. Keys order by node id,
//! so the namespaces that share a node id sit next to each other, and a
//! discovery claim is matched by [`judge`]-ing those alone, starting at
//! [`PeerKey::first_with`] and stopping at the first other node id. The
//! cost of a match is a lookup in an ordered map plus one proof per
//! namespace that claims the same node id (one, unless misconfigured); it
//! does not grow with the number of namespaces, as the C implementation's
//! walk over every namespace (`for_each_net_rcu()`) does.
//!
//! The module uses nothing but `core` and the proof layout: it is built and
//! tested on the host as well as in the kernel.

use crate::crossover_proof::{proof_matches, NetIdentity, NODE_ID_LEN};

/// Where a namespace is recorded: ordered by node id, then by cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PeerKey {
    /// The 128-bit node id of the namespace's TIPC node.
    pub(crate) node_id: [u8; NODE_ID_LEN],
    /// The namespace's cookie (`net->net_cookie`).
    pub(crate) cookie: u64,
}

impl PeerKey {
    /// The smallest key with `node_id`: where the namespaces that have this
    /// node id start.
    pub(crate) fn first_with(node_id: &[u8; NODE_ID_LEN]) -> Self {
        PeerKey {
            node_id: *node_id,
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
    /// This and every following key have another node id: no match.
    End,
}

/// Compares the namespace recorded under `key`, whose cluster id is
/// `cluster_id`, with `claim`.
///
/// `proof_of` computes the proof of a namespace of this kernel; it is only
/// called for a namespace whose node id and cluster id already match, so a
/// match costs one proof in the usual case.
pub(crate) fn judge(
    key: &PeerKey,
    cluster_id: u32,
    claim: &Claim<'_>,
    proof_of: impl FnOnce(&NetIdentity<'_>) -> u32,
) -> Verdict {
    if key.node_id != *claim.node_id {
        return Verdict::End;
    }
    if key.cookie == claim.receiver_cookie || cluster_id != claim.cluster_id {
        return Verdict::Skip;
    }
    let identity = NetIdentity {
        cookie: key.cookie,
        node_id: &key.node_id,
        cluster_id,
    };
    if proof_matches(claim.proof, proof_of(&identity)) {
        Verdict::Match
    } else {
        Verdict::Skip
    }
}
