//! Fuzz target: the bytes are a whole pcap or pcapng file; every frame is read and decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../wire/tests/data/fuzz_drive.rs"]
mod fuzz_drive;

fuzz_target!(|data: &[u8]| {
    fuzz_drive::capture(data);
});
