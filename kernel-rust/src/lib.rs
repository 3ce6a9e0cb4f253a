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

#[cfg(test)]
mod abi_tests;
#[cfg(test)]
mod crossover_msg_tests;
#[cfg(test)]
mod crossover_peer_tests;
#[cfg(test)]
mod crossover_proof_tests;
