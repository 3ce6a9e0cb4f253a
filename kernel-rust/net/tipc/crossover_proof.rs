// SPDX-License-Identifier: GPL-2.0

//! The discovery proof that opens the crossover.
//!
//! A discovery message carries in word 13 a proof that its sender is a
//! network namespace of the kernel that receives it. A receiver records the
//! peer namespace only if a local namespace with the claimed node id and
//! the receiver's cluster id has that proof.
//!
//! The proof is the low 32 bits of SipHash-2-4 over the identity of the
//! sending namespace, keyed with a secret drawn at random once per boot.
//! The key never leaves the kernel, so a captured proof tells nothing about
//! it nor about any other namespace, and no host can compute the proof of
//! a namespace it does not run. The identity is laid out by
//! [`NetIdentity::proof_input`]; hashing with the kernel's `siphash()` is
//! left to the caller.
//!
//! The module uses nothing but `core`: it is built and tested on the host as
//! well as in the kernel.

/// Length of a TIPC node id in bytes (`NODE_ID_LEN`).
pub(crate) const NODE_ID_LEN: usize = 16;

/// Length of the bytes a proof is computed over.
pub(crate) const PROOF_INPUT_LEN: usize = 8 + NODE_ID_LEN + 4;

/// What a discovery proof vouches for: one TIPC node that is a network
/// namespace of this kernel.
pub(crate) struct NetIdentity<'a> {
    /// The namespace's cookie (`net->net_cookie`): unique for the life of
    /// the kernel and never reused, unlike the namespace's inode number.
    pub(crate) cookie: u64,
    /// The 128-bit node id of the namespace's TIPC node.
    pub(crate) node_id: &'a [u8; NODE_ID_LEN],
    /// The cluster id (`net_id`) of the namespace's TIPC node.
    pub(crate) cluster_id: u32,
}

impl NetIdentity<'_> {
    /// Lays out the identity for hashing: the cookie as 8 little-endian
    /// bytes, the node id as it is, the cluster id as 4 little-endian bytes.
    ///
    /// The fields have fixed sizes, so different identities never give the
    /// same bytes.
    pub(crate) fn proof_input(&self) -> [u8; PROOF_INPUT_LEN] {
        let mut input = [0u8; PROOF_INPUT_LEN];
        // Fixed ranges of a fixed-size array: 8 + NODE_ID_LEN + 4 bytes.
        let (cookie, rest) = input.split_at_mut(8);
        let (node_id, cluster_id) = rest.split_at_mut(NODE_ID_LEN);
        cookie.copy_from_slice(&self.cookie.to_le_bytes());
        node_id.copy_from_slice(self.node_id);
        cluster_id.copy_from_slice(&self.cluster_id.to_le_bytes());
        input
    }
}

/// Turns the 64-bit keyed hash of [`NetIdentity::proof_input`] into the
/// 32-bit proof that fits in word 13.
pub(crate) fn proof_from_hash(hash: u64) -> u32 {
    // Truncation keeps the low half; SipHash output bits are uniform.
    hash as u32
}

/// Tells whether a received proof is the expected one: plain equality, on
/// which the registry's order by proof relies.
pub(crate) fn proof_matches(received: u32, expected: u32) -> bool {
    received == expected
}
