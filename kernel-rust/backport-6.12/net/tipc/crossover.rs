// SPDX-License-Identifier: GPL-2.0

//! TIPC crossover between network namespaces of one kernel.
//!
//! Once discovery has proven that a peer node is another network namespace
//! in this kernel, `tipc_node_xmit()` skips the link and bearer layers and
//! hands user traffic to that namespace's sockets, as it does for traffic
//! within a node (see `tipc_lxc_xmit()` in `net/tipc/node.c`).
//!
//! This crate holds the Rust side of that path: the decision which messages
//! cross over (`crossover_msg`), the discovery proof that a peer is a
//! namespace of this kernel (`crossover_proof`) and the matching of a
//! discovered node with such a namespace (`crossover_peer`). The logic is in
//! those submodules, which use only `core`, so the same files also build and
//! are tested as an ordinary crate on a host. This file adds the registry of
//! namespaces that matching searches, and gathers the functions C calls at
//! the end; they only translate between C and the submodules.
//!
//! # Lifetime of a peer namespace
//!
//! A namespace enters the registry when its TIPC address becomes final and
//! leaves it in its `pre_exit` (`tipc_crossover_unregister()`), and again in
//! its `exit`, in case the address work registered it in between. Both find its
//! entry by the key it entered with: its cookie, its node id and the proof
//! [`tipc_crossover_register`] returned, which C keeps for them
//! (`tipc_net::crossover_proof`), so no later change of an identifier could
//! leave an entry behind. A peer pointer is only ever set by the C caller of
//! [`tipc_crossover_peer_find`], which holds the receiver's `node_list_lock`
//! across the lookup and the store, and only to a namespace that was in the
//! registry and still alive (`check_net()`) during the lookup. `pre_exit`
//! removes the namespace under the registry lock and then clears every peer
//! pointer to it under each `node_list_lock` (`tipc_node_pre_cleanup_net()`).
//! So a pointer stored by a lookup that found the namespace is cleared by that
//! pass, and a lookup after the removal either does not find it or, if the
//! address work entered it again meanwhile, finds it no longer alive: no
//! `struct tipc_node` keeps a pointer to a namespace past its `pre_exit`. A
//! sender reads the pointer under `rcu_read_lock()`, and the namespace core
//! waits for an RCU grace period between `pre_exit` and `exit`, so a sender
//! that read the pointer just before it was cleared is done before the
//! namespace's TIPC state is freed. No reference is taken: one would keep the
//! namespace from ever reaching `pre_exit`.

mod crossover_msg;
mod crossover_peer;
mod crossover_proof;

use core::{
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};
use crossover_peer::{Claim, PeerKey, Verdict};
use crossover_proof::{NetIdentity, NODE_ID_LEN};
use kernel::{
    bindings, c_str,
    ffi::{c_char, c_int, c_uint, c_void},
    prelude::*,
    rbtree::{RBTree, RBTreeNodeReservation},
    static_lock_class,
    sync::lock::{Backend, Lock},
};

extern "C" {
    /// SipHash-2-4 of `len` bytes at `data` under the proof key, drawn at
    /// random on first use (`net/tipc/discover.c`).
    fn tipc_crossover_siphash(data: *const c_void, len: usize) -> u64;
    /// `spin_lock_bh()`, which is inline in C (`net/tipc/core.c`).
    fn tipc_crossover_spin_lock_bh(lock: *mut bindings::spinlock_t);
    /// `spin_unlock_bh()` (`net/tipc/core.c`).
    fn tipc_crossover_spin_unlock_bh(lock: *mut bindings::spinlock_t);
    /// `check_net()`: false once the namespace is being dismantled
    /// (`net/tipc/core.c`).
    fn tipc_crossover_net_alive(net: *const c_void) -> bool;
}

/// A `spinlock_t` taken with bottom halves disabled.
///
/// Discovery matches peers in softirq context while namespaces register
/// from process context, so the registry lock must keep softirqs off.
struct SpinLockBhBackend;

// SAFETY: `spin_lock_bh()` and `spin_unlock_bh()` on an initialised
// `spinlock_t` give mutual exclusion; `relock` keeps the default, which
// locks the same way.
unsafe impl Backend for SpinLockBhBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(
        lock: *mut Self::State,
        name: *const c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: the caller guarantees that `lock` is valid for writes and
        // that `name` and `key` stay valid for reads indefinitely.
        unsafe { bindings::__spin_lock_init(lock, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller guarantees that `ptr` points to a lock that
        // `init` initialised.
        unsafe { tipc_crossover_spin_lock_bh(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard: &Self::GuardState) {
        // SAFETY: the caller guarantees that it holds the lock at `ptr`.
        unsafe { tipc_crossover_spin_unlock_bh(ptr) }
    }
}

/// A namespace of this kernel as the registry records it.
struct PeerNet {
    /// The namespace (`struct net *`), handed back to C as a peer.
    net: *mut c_void,
    /// Cluster id of its TIPC node when it registered.
    cluster_id: u32,
}

// SAFETY: `net` is only stored and handed back to C, never dereferenced in
// Rust; the registry lock serialises every access to it.
unsafe impl Send for PeerNet {}

/// The namespaces of this kernel, by node id and cookie.
///
/// A type of its own, not a bare `RBTree`, keeps the mangled names of the
/// generic functions instantiated for the registry short: with the bare
/// tree, one of them had 514 characters and `scripts/kallsyms` dropped it
/// (`KSYM_NAME_LEN` is 512).
struct PeerMap(RBTree<PeerKey, PeerNet>);

/// Every namespace of this kernel that has a TIPC node id.
type Registry = Lock<PeerMap, SpinLockBhBackend>;

/// The registry, allocated by [`tipc_crossover_init`] before any namespace
/// can register and freed by [`tipc_crossover_exit`] after all are gone.
static REGISTRY: AtomicPtr<Registry> = AtomicPtr::new(ptr::null_mut());

/// Returns the registry, or `None` outside `tipc_crossover_init()` ..
/// `tipc_crossover_exit()`.
fn registry() -> Option<&'static Registry> {
    let registry = REGISTRY.load(Ordering::Acquire);
    // SAFETY: a non-null `REGISTRY` points to a pinned registry that stays
    // allocated until `tipc_crossover_exit()`, which runs after the last
    // caller is gone.
    unsafe { registry.as_ref() }
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

/// Copies a node id that C passes as a pointer.
///
/// # Safety
///
/// `node_id` must be valid for reads of [`NODE_ID_LEN`] bytes, and those
/// bytes must not be written to during the call.
unsafe fn node_id_from_c(node_id: *const u8) -> [u8; NODE_ID_LEN] {
    // SAFETY: the caller guarantees that `node_id` points to `NODE_ID_LEN`
    // readable bytes that do not change during the read; `[u8; N]` has the
    // alignment of `u8`.
    unsafe { node_id.cast::<[u8; NODE_ID_LEN]>().read() }
}

/// Decides what `tipc_lxc_xmit()` does with a message.
///
/// `user` and `mtyp` are `msg_user()` and `msg_type()` of the message's
/// header, or of its first fragment's. Returns a value of
/// `enum tipc_crossover_action`.
#[no_mangle]
pub extern "C" fn tipc_crossover_classify(user: u32, mtyp: u32) -> c_uint {
    crossover_msg::classify(user, mtyp) as c_uint
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
    // SAFETY: the caller guarantees what `node_id_from_c()` requires.
    let node_id = unsafe { node_id_from_c(node_id) };
    let identity = NetIdentity {
        cookie,
        node_id: &node_id,
        cluster_id,
    };
    proof_of(&identity)
}

/// Allocates the registry of namespaces.
///
/// Called once by `tipc_init()` before the pernet operations are
/// registered. Returns 0, or `-ENOMEM`.
#[no_mangle]
pub extern "C" fn tipc_crossover_init() -> c_int {
    let init = Lock::new(
        PeerMap(RBTree::new()),
        c_str!("tipc_crossover_registry"),
        static_lock_class!(),
    );
    let registry: Pin<KBox<Registry>> = match KBox::pin_init(init, GFP_KERNEL) {
        Ok(registry) => registry,
        Err(err) => return err.to_errno(),
    };
    // SAFETY: the registry is never moved out of its box: the box is turned
    // into a raw pointer here and back into a box by `tipc_crossover_exit()`.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(registry) });
    REGISTRY.store(raw, Ordering::Release);
    0
}

/// Frees the registry.
///
/// Called once by `tipc_exit()` after the pernet operations are
/// unregistered, so every namespace has left the registry and no discovery
/// or sender can reach it any more.
///
/// # Safety
///
/// No call of [`tipc_crossover_register`], [`tipc_crossover_unregister`]
/// or [`tipc_crossover_peer_find`] may overlap this one: the reference
/// `registry()` gave it would outlive the registry.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_exit() {
    let raw = REGISTRY.swap(ptr::null_mut(), Ordering::AcqRel);
    if !raw.is_null() {
        // SAFETY: `raw` came from `KBox::into_raw()` in
        // `tipc_crossover_init()`; swapped out above, no new user can get
        // it, and the caller guarantees that no earlier one still runs.
        drop(unsafe { KBox::from_raw(raw) });
    }
}

/// Room for one namespace in the registry, made before it is needed.
type Slot = RBTreeNodeReservation<PeerKey, PeerNet>;

/// Makes room for a namespace in the registry.
///
/// Called when the namespace's TIPC state is made, so that
/// [`tipc_crossover_register`] cannot fail later. Returns the room, for
/// `tipc_crossover_register()` or `tipc_crossover_slot_free()`, or null if
/// there is no memory for it. May sleep.
#[no_mangle]
pub extern "C" fn tipc_crossover_slot_new() -> *mut c_void {
    Slot::new(GFP_KERNEL)
        .and_then(|slot| Ok(KBox::new(slot, GFP_KERNEL)?))
        .map_or(ptr::null_mut(), |slot| KBox::into_raw(slot).cast())
}

/// Frees room that was not used.
///
/// # Safety
///
/// `slot` must be null or come from [`tipc_crossover_slot_new`], and must
/// not be passed to any function of this file afterwards.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_slot_free(slot: *mut c_void) {
    if !slot.is_null() {
        // SAFETY: the caller hands back ownership of a `KBox<Slot>` made by
        // `tipc_crossover_slot_new()`.
        drop(unsafe { KBox::from_raw(slot.cast::<Slot>()) });
    }
}

/// Records a namespace whose TIPC node id and cluster id are final.
///
/// `slot` is the room made for it, which the call uses up; `net` is the
/// namespace, `cookie` its `net_cookie`, `node_id` and `cluster_id` its TIPC
/// node id and cluster id, which TIPC does not let change once the node has
/// an address. Computes the namespace's proof, which goes into its key, and
/// returns it for [`tipc_crossover_unregister`]. Does not allocate and cannot
/// fail.
///
/// # Safety
///
/// `slot` must be a non-null pointer from [`tipc_crossover_slot_new`] and must
/// not be used afterwards. `node_id` must be valid for reads of `NODE_ID_LEN`
/// (16) bytes, and those bytes must not be written to during the call. `net`
/// must stay valid until [`tipc_crossover_unregister`] is called with the same
/// `cookie` and `node_id`.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_register(
    slot: *mut c_void,
    net: *mut c_void,
    cookie: u64,
    node_id: *const u8,
    cluster_id: u32,
) -> u32 {
    // SAFETY: the caller hands over ownership of a `KBox<Slot>` made by
    // `tipc_crossover_slot_new()`.
    let slot = KBox::into_inner(unsafe { KBox::from_raw(slot.cast::<Slot>()) });
    // SAFETY: the caller guarantees what `node_id_from_c()` requires.
    let node_id = unsafe { node_id_from_c(node_id) };
    // Hashed here, once, and not under the registry's lock.
    let proof = proof_of(&NetIdentity {
        cookie,
        node_id: &node_id,
        cluster_id,
    });
    // Not between `tipc_crossover_init()` and `tipc_crossover_exit()` if
    // `None`: then there is no registry to enter.
    let Some(registry) = registry() else {
        return proof;
    };
    let key = PeerKey {
        node_id,
        proof,
        cookie,
    };
    let node = slot.into_node(key, PeerNet { net, cluster_id });
    let replaced = registry.lock().0.insert(node);
    drop(replaced);
    proof
}

/// Removes a namespace from the registry, if it is there.
///
/// `cookie` and `node_id` are the namespace's cookie and TIPC node id, as
/// given to [`tipc_crossover_register`], and `entry_proof` is the proof that
/// call returned: the key the namespace entered with, whatever happened to
/// its identifiers since. Called from the namespace's `pre_exit`, before the
/// peer pointers to it are cleared (see the module documentation for why
/// that order matters), and again from its `exit`.
///
/// # Safety
///
/// `node_id` must be valid for reads of `NODE_ID_LEN` (16) bytes, and those
/// bytes must not be written to during the call.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_unregister(
    cookie: u64,
    node_id: *const u8,
    entry_proof: u32,
) {
    let Some(registry) = registry() else {
        return;
    };
    let key = PeerKey {
        // SAFETY: the caller guarantees what `node_id_from_c()` requires.
        node_id: unsafe { node_id_from_c(node_id) },
        proof: entry_proof,
        cookie,
    };
    registry.lock().0.remove(&key);
}

/// Looks for the namespace of this kernel that sent a discovery message.
///
/// `receiver_cookie` and `cluster_id` are the cookie and cluster id of the
/// receiving namespace; `node_id` and `proof` come from the discovery
/// message. The peer must have that node id, the same cluster id and a valid
/// proof, must not be the receiver, and must be alive. Returns the peer
/// namespace, or null if there is none. The caller stores it; see the
/// module documentation for the lock it must hold across the call and the
/// store.
///
/// # Safety
///
/// `node_id` must be valid for reads of `NODE_ID_LEN` (16) bytes, and those
/// bytes must not be written to during the call.
#[no_mangle]
pub unsafe extern "C" fn tipc_crossover_peer_find(
    receiver_cookie: u64,
    node_id: *const u8,
    cluster_id: u32,
    proof: u32,
) -> *mut c_void {
    let Some(registry) = registry() else {
        return ptr::null_mut();
    };
    // SAFETY: the caller guarantees what `node_id_from_c()` requires.
    let node_id = unsafe { node_id_from_c(node_id) };
    let claim = Claim {
        node_id: &node_id,
        cluster_id,
        proof,
        receiver_cookie,
    };
    let first = PeerKey::first_with(claim.node_id, claim.proof);
    let mut peers = registry.lock();
    let mut cursor = peers.0.cursor_lower_bound(&first);
    while let Some(current) = cursor {
        let (key, peer) = current.current();
        match crossover_peer::judge(key, peer.cluster_id, &claim) {
            // SAFETY: a namespace in the registry is not freed: its `exit`
            // removes it under the registry lock, which is held here.
            Verdict::Match if unsafe { tipc_crossover_net_alive(peer.net) } => {
                return peer.net;
            }
            // A dying namespace that registered after its `pre_exit`.
            Verdict::Match => cursor = current.move_next(),
            Verdict::Skip => cursor = current.move_next(),
            Verdict::End => break,
        }
    }
    ptr::null_mut()
}
