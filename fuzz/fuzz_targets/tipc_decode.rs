//! Fuzz target: the bytes are one captured frame behind a 3-byte prefix (link-type selector,
//! bytes cut by the snap length); it is decoded through the link layer and the TIPC header.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../wire/tests/data/fuzz_drive.rs"]
mod fuzz_drive;

fuzz_target!(|data: &[u8]| {
    // A bad TIPC message is an ordinary result; only a panic is a finding.
    let _ = fuzz_drive::frame(data);
});
