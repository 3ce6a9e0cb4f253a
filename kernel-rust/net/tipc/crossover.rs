// SPDX-License-Identifier: GPL-2.0

//! TIPC crossover between network namespaces of one kernel.
//!
//! Once discovery has proven that a peer node is another network namespace
//! in this kernel, `tipc_node_xmit()` skips the link and bearer layers and
//! hands user traffic to that namespace's sockets, as it does for traffic
//! within a node (see `tipc_lxc_xmit()` in `net/tipc/node.c`).
//!
//! This crate holds the Rust side of that path: the decision which messages
//! cross over (`crossover_msg`) and the discovery proof that a peer is a
//! namespace of this kernel (`crossover_proof`). The logic is in those
//! submodules, which use only `core`, so the same files also build and are
//! tested as an ordinary crate on a host. The functions C calls are gathered
//! at the end of this file; they only translate between C and the submodules.

mod crossover_msg;
mod crossover_proof;

use core::slice;
use crossover_msg::CrossoverAction;
use crossover_proof::{NetIdentity, NODE_ID_LEN};
use kernel::ffi::{c_uint, c_void};

extern "C" {
    /// SipHash-2-4 of `len` bytes at `data` under the proof key, drawn at
    /// random on first use (`net/tipc/discover.c`).
    fn tipc_crossover_siphash(data: *const c_void, len: usize) -> u64;
}

/// Computes the discovery proof of `identity` with the kernel's `siphash()`.
fn proof_of(identity: &NetIdentity<'_>) -> u32 {
    let input = identity.proof_input();
    let (data, len) = (input.as_ptr().cast(), input.len());
    // SAFETY: `data` is valid for reads of `len` bytes for the whole call,
    // and `tipc_crossover_siphash()` only reads them.
    let hash = unsafe { tipc_crossover_siphash(data, len) };
    crossover_proof::proof_from_hash(hash)
}

/// Borrows a node id that C passes as a pointer.
///
/// # Safety
///
/// `node_id` must be valid for reads of [`NODE_ID_LEN`] bytes, not written to,
/// for the lifetime `'a`.
unsafe fn node_id_from_c<'a>(node_id: *const u8) -> &'a [u8; NODE_ID_LEN] {
    // SAFETY: the caller guarantees that `node_id` points to `NODE_ID_LEN`
    // readable bytes that stay unchanged for `'a`; `[u8; N]` has the
    // alignment of `u8`.
    unsafe { &*node_id.cast::<[u8; NODE_ID_LEN]>() }
}

/// Decides how `tipc_lxc_xmit()` handles a send list.
///
/// `skb_data` and `skb_headlen` describe the linear data of the first buffer
/// of the list. Returns the action the list takes, a value of
/// `enum tipc_crossover_action`; a null `skb_data`, or a header that is too
/// short or not TIPC version 2, gives `TIPC_CROSSOVER_BEARER`.
///
/// # Safety
///
/// `skb_data` must be null or valid for reads of `skb_headlen` bytes, and
/// those bytes must not be written to during the call.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_classify(
    skb_data: *const c_void,
    skb_headlen: c_uint,
) -> c_uint {
    if skb_data.is_null() {
        return CrossoverAction::Bearer as c_uint;
    }
    let len = skb_headlen as usize;
    // SAFETY: `skb_data` is not null and the caller guarantees that it is
    // valid for reads of `len` bytes that do not change during the call.
    let first: &[u8] = unsafe { slice::from_raw_parts(skb_data.cast(), len) };
    crossover_msg::classify(first) as c_uint
}

/// Computes the discovery proof of a namespace of this kernel.
///
/// `cookie`, `node_id` and `cluster_id` are the namespace's `net_cookie`, TIPC
/// node id and TIPC cluster id. Returns the proof for word 13 of its discovery
/// messages.
///
/// # Safety
///
/// `node_id` must be valid for reads of `NODE_ID_LEN` (16) bytes, and those
/// bytes must not be written to during the call.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_proof(
    cookie: u64,
    node_id: *const u8,
    cluster_id: u32,
) -> u32 {
    let identity = NetIdentity {
        cookie,
        // SAFETY: the caller guarantees what `node_id_from_c()` requires for
        // the duration of this call, which outlives `identity`.
        node_id: unsafe { node_id_from_c(node_id) },
        cluster_id,
    };
    proof_of(&identity)
}

/// Checks a received discovery proof against a namespace of this kernel.
///
/// `cookie`, `node_id` and `cluster_id` describe the candidate namespace as
/// for [`tipc_crossover_proof`]; `proof` is the value received in word 13.
/// Returns true if it is the candidate's proof, comparing in constant time.
///
/// # Safety
///
/// `node_id` must be valid for reads of `NODE_ID_LEN` (16) bytes, and those
/// bytes must not be written to during the call.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_proof_ok(
    cookie: u64,
    node_id: *const u8,
    cluster_id: u32,
    proof: u32,
) -> bool {
    let identity = NetIdentity {
        cookie,
        // SAFETY: the caller guarantees what `node_id_from_c()` requires for
        // the duration of this call, which outlives `identity`.
        node_id: unsafe { node_id_from_c(node_id) },
        cluster_id,
    };
    crossover_proof::proof_matches(proof, proof_of(&identity))
}
