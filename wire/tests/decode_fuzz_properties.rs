//! The fuzz targets' two entry points on stable Rust: the committed seeds (real captures and
//! frames cut from them, `fuzz/seeds/`) decode cleanly, every input the fuzzer ever crashed
//! on (`data/fuzz-regressions/<target>/`) replays cleanly, and arbitrary bytes, mutated seed
//! frames and mutated seed captures never panic. `make fuzz` runs the same entry points
//! under libFuzzer for longer.

#[path = "data/fuzz_drive.rs"]
mod fuzz_drive;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target)
}

/// Every seed of a target, by name, sorted.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = seed_dir(target);
    let mut out: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

fn frame_seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| seeds("tipc_decode"))
}

fn capture_seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| seeds("pcap_reader"))
}

/// Applies `flips` (position modulo the length, new byte) to a copy of `bytes`.
fn mutate(bytes: &[u8], flips: &[(usize, u8)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if !out.is_empty() {
        let n = out.len();
        for &(at, v) in flips {
            out[at % n] = v;
        }
    }
    out
}

#[test]
fn every_frame_seed_is_a_valid_tipc_message() {
    for (name, bytes) in frame_seeds() {
        assert_eq!(fuzz_drive::frame(bytes), Ok(true), "seed {name}");
    }
}

#[test]
fn every_capture_seed_reads_to_the_end_without_errors() {
    for (name, bytes) in capture_seeds() {
        let outcome = fuzz_drive::capture(bytes);
        assert!(outcome.opened, "seed {name} does not open");
        assert!(!outcome.unreadable, "seed {name} is unreadable");
        assert_eq!(outcome.bad_tipc, 0, "seed {name} holds bad TIPC");
        assert!(outcome.tipc > 0, "seed {name} holds no TIPC message");
    }
}

/// Inputs `make fuzz` crashed on, kept as `data/fuzz-regressions/<target>/<artifact name>`
/// (see the README there); a target without any has no directory.
fn saved_crashes(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz-regressions")
        .join(target);
    if !dir.exists() {
        return Vec::new();
    }
    let mut out: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let name = path.display().to_string();
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, bytes)
        })
        .collect();
    out.sort();
    out
}

/// What a saved input must give besides not panicking, by file name: the
/// crafted ones (see the README there) stand for the failure classes of a
/// reader that trusts lengths read from the file.
fn expected_capture(name: &str) -> Option<fuzz_drive::CaptureOutcome> {
    let unreadable_after = |frames| fuzz_drive::CaptureOutcome {
        opened: true,
        frames,
        unreadable: true,
        ..fuzz_drive::CaptureOutcome::default()
    };
    if name.ends_with("crafted-pcapng-block-length-4g")
        || name.ends_with("crafted-pcapng-block-length-0")
        || name.ends_with("crafted-pcap-record-length-2g")
    {
        return Some(unreadable_after(0));
    }
    None
}

/// Same for frame inputs: `Ok(true)` a TIPC frame that decoded, `Err` one
/// that was refused as bad TIPC.
fn expected_frame(name: &str) -> Option<Result<bool, ()>> {
    if name.ends_with("crafted-bundle-inner-size-0") {
        return Some(Ok(true));
    }
    if name.ends_with("crafted-fragment-in-fragment") {
        return Some(Ok(true));
    }
    None
}

#[test]
fn saved_fuzz_inputs_replay_to_their_outcome() {
    let captures = saved_crashes("pcap_reader");
    let frames = saved_crashes("tipc_decode");
    // An empty directory would make this test pass having replayed nothing.
    assert!(!captures.is_empty(), "no saved pcap_reader inputs");
    assert!(!frames.is_empty(), "no saved tipc_decode inputs");
    for (name, bytes) in captures {
        eprintln!("replaying {name}");
        let outcome = fuzz_drive::capture(&bytes);
        eprintln!("  {outcome:?}");
        if let Some(want) = expected_capture(&name) {
            assert_eq!(outcome, want, "{name}");
        }
    }
    for (name, bytes) in frames {
        eprintln!("replaying {name}");
        let outcome = fuzz_drive::frame(&bytes);
        eprintln!("  {outcome:?}");
        if let Some(want) = expected_frame(&name) {
            assert_eq!(outcome.map_err(|_| ()), want, "{name}");
        }
    }
}

#[test]
fn frame_inputs_select_the_link_type_and_the_wire_length() {
    // A TOP_SRV event: 40-byte header and 48 bytes of subscription data.
    let (_, seed) = frame_seeds()
        .iter()
        .find(|(name, _)| name == "lo-u15-t0-h40-eth")
        .expect("seed lo-u15-t0-h40-eth");
    let frame = &seed[fuzz_drive::FRAME_PREFIX..];
    assert_eq!(frame.len(), 14 + 88);
    assert_eq!(
        fuzz_drive::frame(&fuzz_drive::frame_input(0, 0, frame)),
        Ok(true)
    );
    // An unsupported link type (DLT_RAW) is not TIPC, whatever the bytes.
    assert_eq!(
        fuzz_drive::frame(&fuzz_drive::frame_input(101, 0, frame)),
        Ok(false)
    );
    // Cut after the header: decodes when the wire length covers the message...
    let cut = &frame[..14 + 40];
    assert_eq!(
        fuzz_drive::frame(&fuzz_drive::frame_input(0, 48, cut)),
        Ok(true)
    );
    // ...and is refused when the frame was no longer than what was captured.
    let refused = fuzz_drive::frame(&fuzz_drive::frame_input(0, 0, cut)).expect_err("short");
    assert!(refused.contains("exceeds the 40 bytes"), "{refused}");
    assert_eq!(fuzz_drive::frame(&[0, 0]), Ok(false));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_frame_inputs_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = fuzz_drive::frame(&bytes);
    }

    #[test]
    fn mutated_real_frames_never_panic(
        pick in any::<prop::sample::Index>(),
        selector in 0u8..4,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        keep in any::<prop::sample::Index>(),
    ) {
        let (_, seed) = pick.get(frame_seeds());
        let mut input = mutate(seed, &flips);
        input[0] = selector;
        // Also a snap-length cut anywhere in the frame.
        input.truncate(keep.index(input.len()) + 1);
        let _ = fuzz_drive::frame(&input);
    }

    #[test]
    fn mutated_real_captures_never_panic(
        pick in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let (_, seed) = pick.get(capture_seeds());
        let outcome = fuzz_drive::capture(&mutate(seed, &flips));
        prop_assert!(outcome.frames <= seed.len() as u64 / 12);
    }

    #[test]
    fn cut_real_captures_fail_cleanly(
        pick in any::<prop::sample::Index>(),
        keep in any::<prop::sample::Index>(),
    ) {
        let (_, seed) = pick.get(capture_seeds());
        let cut = &seed[..keep.index(seed.len())];
        let outcome = fuzz_drive::capture(cut);
        // A cut file loses frames, it never gains bad TIPC: a message cut inside its frame
        // record is a truncated record, not a short message.
        prop_assert_eq!(outcome.bad_tipc, 0);
    }
}
