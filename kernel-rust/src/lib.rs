//! Host build of the pure Rust modules of the net/tipc crossover series.
//!
//! The kernel compiles `net/tipc/crossover.rs` as a member of the tipc
//! object; that file holds the C-facing edge and pulls in modules that use
//! only `core`. Those pure modules are compiled here too, from the very same
//! files under `net/tipc/`, so their logic is tested with `cargo test` without
//! a kernel. `tests/series_in_sync.rs` checks that the files here are the ones
//! the patches in `../patches/` add.
//!
//! `crossover.rs` itself needs the `kernel` crate and is not built here.

// The kernel crate uses these modules through its FFI edge; the host library
// only uses them from its tests.
#[cfg_attr(not(test), allow(dead_code))]
#[path = "../net/tipc/crossover_msg.rs"]
mod crossover_msg;
#[cfg_attr(not(test), allow(dead_code))]
#[path = "../net/tipc/crossover_proof.rs"]
mod crossover_proof;

#[cfg_attr(not(test), allow(dead_code))]
#[path = "../net/tipc/crossover_peer.rs"]
mod crossover_peer;

// The KUnit tests of the pure modules run here as ordinary tests (the 7.3
// series only: 6.12 has no `#[kunit_tests]`).
#[cfg(test)]
#[path = "../net/tipc/crossover_kunit.rs"]
mod crossover_kunit;

/// What the KUnit tests call the kernel's `siphash()`: SipHash-2-4 of
/// `data` under `key` (`k0 = key[0]`, `k1 = key[1]`).
#[cfg(test)]
fn test_siphash(data: &[u8], key: [u64; 2]) -> u64 {
    use std::hash::Hasher;
    let mut h = siphasher::sip::SipHasher24::new_with_keys(key[0], key[1]);
    h.write(data);
    h.finish()
}

#[cfg(test)]
mod abi_tests;
#[cfg(test)]
mod crossover_msg_tests;
#[cfg(test)]
mod crossover_peer_tests;
#[cfg(test)]
mod crossover_proof_tests;
