//! tipc-verifier: builds the patched and stock kernels, boots them in QEMU,
//! drives real TIPC traffic between namespaces and proves from captures
//! which path every message took.
//!
//! Each module has one job; `main.rs` only wires them to the command line.

pub mod apt_sources;
pub mod base;
pub mod bench;
pub mod cache;
pub mod check;
pub mod console;
pub mod copy;
pub mod debian_version;
pub mod differential;
pub mod exit;
pub mod git;
pub mod guest_image;
pub mod kbuild;
pub mod kernel_source;
pub mod ktap;
pub mod progress;
pub mod project;
pub mod qemu;
pub mod report;
pub mod review;
pub mod run;
pub mod scenario;
pub mod series;
pub mod session;
pub mod setup;
pub mod stress;
pub mod trace_bench;
pub mod trace_review;
pub mod user_run;
