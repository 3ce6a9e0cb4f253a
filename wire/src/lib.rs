//! TIPC on the wire: Ethernet and TIPC v2 headers, decoded and encoded, and the
//! capture files they are read from.
//!
//! One crate for everything in the project that reads or writes TIPC bytes: the
//! verifier's capture analysis, the guest agent's forged discovery frames, the
//! test generators and the fuzz targets.
//!
//! - [`tipc`] decodes TIPC v2 headers (`net/tipc/msg.h`); [`encode`] writes them.
//! - [`link`] finds the TIPC payload (Ethernet type 0x88CA) in Ethernet, 802.1Q and
//!   Linux cooked (`tcpdump -i any`, SLL and SLL2) frames; [`encode::ethernet`]
//!   writes an Ethernet II frame.
//! - With the `capture` feature (on by default): [`capture`] reads frames from pcap
//!   and pcapng files, streaming, and [`tipc_messages`] ties the layers together:
//!   an iterator of [`TipcFrame`]s that skips (and counts) frames that are not TIPC.
//!   Nothing is collected, so memory stays flat on any file. [`verdict`] judges the
//!   path each message took.
//!
//! The path a message took is visible in the link layer: the kernel's loopback
//! trace (`tipc_loopback_trace`) injects a clone of each crossover message into the
//! receiving namespace's `lo` with an all-zero Ethernet header, while bearer traffic
//! carries real MAC addresses ([`TipcFrame::observed_path`]).

#[cfg(feature = "capture")]
pub mod capture;
pub mod encode;
#[cfg(feature = "capture")]
mod frames;
pub mod link;
pub mod tipc;
#[cfg(feature = "capture")]
pub mod verdict;

#[cfg(feature = "capture")]
pub use capture::{CaptureReader, Direction, RawFrame};
#[cfg(feature = "capture")]
pub use frames::{
    decode_frame, tipc_messages, DecodeError, DecodeErrorKind, FrameMeta, ObservedPath, TipcFrame,
    TipcMessages,
};
pub use link::LinkLayer;
pub use tipc::{TipcError, TipcHeader};

/// Ethernet type of TIPC (`ETH_P_TIPC`).
pub const ETH_P_TIPC: u16 = 0x88CA;
