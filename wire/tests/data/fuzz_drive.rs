//! What one fuzz input is run through, and the checks made on the way.
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and the stable tests
//! (`decode_fuzz_*.rs`) through `#[path = ".../fuzz_drive.rs"] mod fuzz_drive;`, so a crash
//! the fuzzer saves is replayed by a regression test on exactly the same code path.
//!
//! Two entry points:
//! - [`capture`]: the bytes are a whole capture file; every frame is read and decoded the way
//!   `trace review` does it.
//! - [`frame`]: the bytes are one captured frame behind a 3-byte prefix ([`FRAME_PREFIX`]):
//!   a link-type selector, then how many bytes the frame had on the wire beyond those
//!   captured (big-endian u16, a snap length cut).
//!
//! Decoding must never panic; the `assert!`s state what a decoded frame promises its users.
#![allow(dead_code)]

use std::path::Path;

use tipc_wire::capture::{linktype, CaptureReader, RawFrame, MAX_BLOCK_LEN};
use tipc_wire::verdict::{judge, ExpectedPath};
use tipc_wire::{decode_frame, TipcFrame, TipcMessages};

/// Name the in-memory capture has in error messages.
pub const CAPTURE_NAME: &str = "fuzz-input";
/// Bytes before the frame in a [`frame`] input.
pub const FRAME_PREFIX: usize = 3;

/// What [`capture`] saw, for tests that want more than "no panic".
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CaptureOutcome {
    /// The header was accepted.
    pub opened: bool,
    /// Frames read, TIPC or not.
    pub frames: u64,
    /// TIPC messages decoded.
    pub tipc: u64,
    /// 0x88CA frames whose TIPC message was invalid.
    pub bad_tipc: u64,
    /// Reading stopped on an unreadable structure (truncated, corrupt).
    pub unreadable: bool,
}

/// Reads `bytes` as a capture file and decodes every frame. Reading ends: every record or
/// block consumes at least 12 bytes of the input.
pub fn capture(bytes: &[u8]) -> CaptureOutcome {
    let mut outcome = CaptureOutcome::default();
    let reader = match CaptureReader::from_reader(Path::new(CAPTURE_NAME), bytes) {
        Ok(reader) => reader,
        Err(e) => {
            assert!(e.unreadable(), "opening failed with a TIPC error: {e}");
            assert!(e.to_string().starts_with(CAPTURE_NAME));
            return outcome;
        }
    };
    outcome.opened = true;
    let mut messages = TipcMessages::new(reader);
    let mut last_frame = 0;
    for item in messages.by_ref() {
        match item {
            Ok(frame) => {
                assert!(!outcome.unreadable, "a frame after an unreadable block");
                assert!(frame.frame.index > last_frame, "frame numbers go backwards");
                last_frame = frame.frame.index;
                assert!(frame.frame.captured_len <= MAX_BLOCK_LEN);
                check_tipc_frame(&frame);
                outcome.tipc += 1;
            }
            Err(e) => {
                assert!(!outcome.unreadable, "an error after an unreadable block");
                assert!(e.to_string().starts_with(CAPTURE_NAME));
                assert!(
                    e.frame.is_some() && e.offset.is_some(),
                    "unlocated error: {e}"
                );
                if e.unreadable() {
                    outcome.unreadable = true;
                } else {
                    outcome.bad_tipc += 1;
                }
            }
        }
    }
    outcome.frames = messages.frames_read();
    assert_eq!(outcome.bad_tipc, messages.malformed_tipc());
    assert_eq!(
        outcome.frames,
        outcome.tipc + outcome.bad_tipc + messages.skipped_non_tipc()
    );
    outcome
}

/// The link type a [`frame`] input's first byte selects: 0, 1, 2 are Ethernet, Linux cooked
/// v1 and v2; any other value is taken as the link type itself (mostly unsupported ones).
pub fn frame_linktype(selector: u8) -> i32 {
    match selector {
        0 => linktype::ETHERNET,
        1 => linktype::LINUX_SLL,
        2 => linktype::LINUX_SLL2,
        other => i32::from(other),
    }
}

/// Builds a [`frame`] input: `selector` (see [`frame_linktype`]), the bytes cut off by the
/// snap length, the captured frame.
pub fn frame_input(selector: u8, cut: u16, data: &[u8]) -> Vec<u8> {
    let mut input = vec![selector];
    input.extend_from_slice(&cut.to_be_bytes());
    input.extend_from_slice(data);
    input
}

/// Decodes one frame input (see the module documentation); returns whether it was TIPC.
pub fn frame(bytes: &[u8]) -> Result<bool, String> {
    let Some((prefix, data)) = bytes.split_first_chunk::<FRAME_PREFIX>() else {
        return Ok(false);
    };
    let cut = u32::from(u16::from_be_bytes([prefix[1], prefix[2]]));
    let captured = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let raw = RawFrame {
        index: 1,
        offset: 0,
        ts: 0.0,
        linktype: frame_linktype(prefix[0]),
        orig_len: captured.saturating_add(cut),
        data: data.to_vec(),
        interface: None,
        direction: None,
    };
    match decode_frame(raw) {
        Ok(Some(frame)) => {
            check_tipc_frame(&frame);
            // Once per frame here; in `capture` it would cost more time than it finds.
            if let Err(e) = serde_json::to_string(&frame.header) {
                panic!("header does not serialise: {e}");
            }
            Ok(true)
        }
        Ok(None) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

/// What a decoded TIPC frame promises, and every accessor `trace review` and the judge use.
fn check_tipc_frame(frame: &TipcFrame) {
    let h = &frame.header;
    assert!(frame.tipc_offset <= frame.bytes.len());
    assert!(h.hdr_size as usize <= frame.bytes.len() - frame.tipc_offset);
    assert!(h.hdr_size <= h.size && h.size <= 0x1ffff);
    assert!(frame.tipc_bytes().len() <= h.size as usize);
    assert!(frame.payload().len() <= frame.tipc_bytes().len());
    let _ = (frame.observed_path(), h.user_name(), h.type_name());
    let _ = (h.traffic_class(), h.importance(), h.seqno(), h.ack());
    let _ = h.endpoint_header();
    for i in 0..16 {
        let _ = h.word(i);
    }
    if let Some(bundle) = &h.bundle {
        let _ = bundle.user_names();
    }
    let local = [h.prev_node];
    for expect in [
        None,
        Some(ExpectedPath::Crossover),
        Some(ExpectedPath::Bearer),
    ] {
        let _ = judge(frame, expect, &local);
    }
}
