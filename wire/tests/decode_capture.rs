//! Capture reader: pcap and pcapng files written byte by byte, big frames, truncated,
//! corrupt and non-capture files, and proptests that reading never panics.

#[path = "data/pcapgen.rs"]
mod pcapgen;

use pcapgen::*;
use proptest::prelude::*;
use tipc_wire::capture::{CaptureReader, Direction, RawFrame, MAX_FRAME_LEN};
use tipc_wire::{DecodeError, DecodeErrorKind};

fn read_all(path: &std::path::Path) -> (Vec<RawFrame>, Option<DecodeError>) {
    let reader = CaptureReader::open(path).expect("open");
    let mut frames = Vec::new();
    for item in reader {
        match item {
            Ok(f) => frames.push(f),
            Err(e) => return (frames, Some(e)),
        }
    }
    (frames, None)
}

#[test]
fn pcap_little_endian_microseconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = vec![
        ipv4_frame(),
        loopback_clone(&conn_short(NODE_A, 1, 2, 10)),
        vec![],
    ];
    let recs = vec![
        rec(1_700_000_000, 250_000, frames[0].clone()),
        Rec {
            ts_sec: 1_700_000_001,
            ts_frac: 1,
            data: frames[1].clone(),
            orig_len: 9999,
        },
        rec(1_700_000_002, 0, frames[2].clone()),
    ];
    let p = write(dir.path(), "le.pcap", &pcap(1, &recs, false, false));
    let (got, err) = read_all(&p);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 3);
    let offsets = pcap_offsets(&frames);
    for (i, f) in got.iter().enumerate() {
        assert_eq!(f.index, i as u64 + 1);
        assert_eq!(f.offset, offsets[i]);
        assert_eq!(f.linktype, 1);
        assert_eq!(f.data, frames[i]);
        assert_eq!(f.interface, None);
        assert_eq!(f.direction, None);
    }
    assert!((got[0].ts - 1_700_000_000.25).abs() < 1e-6);
    assert_eq!(got[1].orig_len, 9999);
    assert!((got[1].ts - 1_700_000_001.000_001).abs() < 1e-7);
    assert!(got[2].data.is_empty());
}

#[test]
fn pcap_big_endian_nanoseconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = bearer_frame(&conn_ack(NODE_A, NODE_B, 1, 2));
    let p = write(
        dir.path(),
        "be.pcap",
        &pcap(1, &[rec(10, 500_000_000, data.clone())], true, true),
    );
    let (got, err) = read_all(&p);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].data, data);
    assert!((got[0].ts - 10.5).abs() < 1e-9);
}

#[test]
fn biggest_loopback_clone_is_read_whole() {
    // MAX_MSG_SIZE (60 + 66000) plus the 14-byte Ethernet header: 66,074 bytes.
    let msg = tipc_msg(0, 0, 60, &[(3, NODE_A)], &vec![0x77; 66_000]);
    let frame = loopback_clone(&msg);
    assert_eq!(frame.len(), 66_074);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "big.pcap",
        &pcap_eth(&[frame.clone(), frame.clone()]),
    );
    let (got, err) = read_all(&p);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].data, frame);
    assert_eq!(got[1].offset, 24 + 16 + 66_074);

    let mut ng = shb(false);
    ng.extend(idb(1, "lo", None, false));
    ng.extend(epb(0, 1, &frame, frame.len() as u32, Some(1), false));
    let p = write(dir.path(), "big.pcapng", &ng);
    let (got, err) = read_all(&p);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got[0].data.len(), 66_074);
    assert_eq!(got[0].data, frame);
}

#[test]
fn frames_up_to_the_maximum_snap_length_are_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frame = vec![0u8; MAX_FRAME_LEN as usize];
    let p = write(dir.path(), "max.pcap", &pcap_eth(&[frame]));
    let (got, err) = read_all(&p);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got[0].data.len(), 262_144);
}

#[test]
fn pcapng_interfaces_directions_and_skipped_blocks() {
    let be = false;
    let lo_frame = loopback_clone(&conn_short(NODE_A, 1, 2, 10));
    let eth_frame = bearer_frame(&publication(NODE_A, NODE_B));
    let mut f = shb(be);
    f.extend(idb(1, "lo", None, be));
    f.extend(idb(1, "eth0", Some(9), be)); // nanosecond resolution
    let epb1_off = f.len() as u64;
    f.extend(epb(
        0,
        1_700_000_000_123_456,
        &lo_frame,
        lo_frame.len() as u32,
        Some(1),
        be,
    ));
    f.extend(ng_block(4, &[0u8; 8], be)); // name resolution block, skipped
    f.extend(ng_block(0x0bad, &[1, 2, 3], be)); // unknown block, skipped
    let epb2_off = f.len() as u64;
    f.extend(epb(
        1,
        1_700_000_000_500_000_000,
        &eth_frame,
        1000,
        Some(2),
        be,
    ));
    f.extend(spb(&eth_frame, be));
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "mixed.pcapng", &f);
    let (got, err) = read_all(&p);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].index, 1);
    assert_eq!(got[0].offset, epb1_off);
    assert_eq!(got[0].interface.as_deref(), Some("lo"));
    assert_eq!(got[0].direction, Some(Direction::In));
    assert!((got[0].ts - 1_700_000_000.123_456).abs() < 1e-6);
    assert_eq!(got[0].data, lo_frame);
    assert_eq!(got[1].index, 2);
    assert_eq!(got[1].offset, epb2_off);
    assert_eq!(got[1].interface.as_deref(), Some("eth0"));
    assert_eq!(got[1].direction, Some(Direction::Out));
    assert_eq!(got[1].orig_len, 1000);
    assert!((got[1].ts - 1_700_000_000.5).abs() < 1e-6);
    // Simple packet block: first interface, no timestamp.
    assert_eq!(got[2].index, 3);
    assert_eq!(got[2].interface.as_deref(), Some("lo"));
    assert_eq!(got[2].data, eth_frame);
}

#[test]
fn pcapng_binary_timestamp_resolution() {
    // if_tsresol with the top bit set counts in 2^-n seconds (pcapng spec); here 2^-20.
    let frame = loopback_clone(&conn_short(NODE_A, 1, 2, 3));
    let mut f = shb(false);
    f.extend(idb(1, "lo", Some(0x80 | 20), false));
    let ts = (1_700_000_000u64 << 20) | (1 << 19);
    f.extend(epb(0, ts, &frame, frame.len() as u32, None, false));
    // 2^-64 s does not fit a 64-bit unit count: refused, not wrapped.
    f.extend(idb(1, "eth0", Some(0x80 | 64), false));
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "binres.pcapng", &f);
    let (got, err) = read_all(&p);
    assert_eq!(got.len(), 1, "{err:?}");
    assert!((got[0].ts - 1_700_000_000.5).abs() < 1e-6, "{}", got[0].ts);
    let err = err.expect("2^-64 refused");
    assert!(
        err.message().contains("invalid timestamp resolution 0xc0"),
        "{err}"
    );
}

#[test]
fn pcapng_big_endian_and_second_section() {
    let frame = loopback_clone(&conn_short(NODE_A, 1, 2, 3));
    let mut f = shb(true);
    f.extend(idb(1, "lo", None, true));
    f.extend(epb(0, 5_000_000, &frame, frame.len() as u32, Some(2), true));
    // A new little-endian section with its own interfaces.
    f.extend(shb(false));
    f.extend(idb(113, "any", None, false));
    let cooked = sll(4, 1, MAC_A, 0x88ca, &conn_short(NODE_A, 1, 2, 3));
    f.extend(epb(0, 6_000_000, &cooked, cooked.len() as u32, None, false));
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "be.pcapng", &f);
    let (got, err) = read_all(&p);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].data, frame);
    assert!((got[0].ts - 5.0).abs() < 1e-9);
    assert_eq!(
        got[0].direction,
        Some(Direction::Out),
        "big-endian epb_flags"
    );
    assert_eq!(got[0].interface.as_deref(), Some("lo"));
    assert_eq!(got[1].linktype, 113);
    assert_eq!(got[1].interface.as_deref(), Some("any"));
    assert_eq!(
        got[1].direction,
        Some(Direction::Out),
        "from the SLL packet type"
    );
}

#[test]
fn cooked_captures_give_directions() {
    let msg = conn_short(NODE_A, 1, 2, 3);
    let recs = vec![
        rec(1, 0, sll(0, 772, ZERO_MAC, 0x88ca, &msg)),
        rec(1, 1, sll(4, 1, MAC_A, 0x88ca, &msg)),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let (got, err) = read_all(&write(
        dir.path(),
        "sll.pcap",
        &pcap(113, &recs, false, false),
    ));
    assert!(err.is_none());
    assert_eq!(got[0].direction, Some(Direction::In));
    assert_eq!(got[1].direction, Some(Direction::Out));
    let recs = vec![rec(1, 0, sll2(3, 4, 1, MAC_A, 0x88ca, &msg))];
    let (got, _) = read_all(&write(
        dir.path(),
        "sll2.pcap",
        &pcap(276, &recs, false, false),
    ));
    assert_eq!(got[0].linktype, 276);
    assert_eq!(got[0].direction, Some(Direction::Out));
}

fn open_err(path: &std::path::Path) -> DecodeError {
    CaptureReader::open(path).expect_err("open should fail")
}

#[test]
fn missing_empty_and_non_capture_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open_err(&dir.path().join("nope.pcap"));
    assert!(e.unreadable());
    assert!(matches!(e.kind, DecodeErrorKind::Io(_)));
    assert!(e.to_string().contains("nope.pcap"), "{e}");

    let e = open_err(&write(dir.path(), "empty.pcap", &[]));
    assert!(e.unreadable());
    assert!(e.to_string().contains("empty file"), "{e}");

    let e = open_err(&write(dir.path(), "two.pcap", &[0xd4, 0xc3]));
    assert!(matches!(e.kind, DecodeErrorKind::NotACapture(_)));

    let e = open_err(&write(
        dir.path(),
        "text.pcap",
        b"hello, this is not a capture\n",
    ));
    assert!(e.unreadable());
    assert!(matches!(e.kind, DecodeErrorKind::NotACapture(_)));
    let msg = e.to_string();
    assert!(
        msg.contains("text.pcap") && msg.contains("byte offset 0") && msg.contains("not a pcap"),
        "{msg}"
    );

    let e = open_err(&write(dir.path(), "gz.pcap", &[0x1f, 0x8b, 8, 0, 0, 0]));
    assert!(e.to_string().contains("gzip"), "{e}");

    let e = open_err(dir.path());
    assert!(
        e.unreadable(),
        "a directory is not readable as a capture: {e}"
    );
}

#[test]
fn truncated_pcap_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let full = pcap_eth(&[]);
    let e = open_err(&write(dir.path(), "hdr.pcap", &full[..10]));
    assert!(matches!(e.kind, DecodeErrorKind::Truncated(_)), "{e}");
    assert!(e.unreadable());
}

#[test]
fn truncated_pcap_record_names_frame_and_offset() {
    let frames = vec![
        ipv4_frame(),
        bearer_frame(&conn_ack(NODE_A, NODE_B, 1, 2)),
        ipv4_frame(),
    ];
    let offsets = pcap_offsets(&frames);
    let full = pcap_eth(&frames);
    let dir = tempfile::tempdir().expect("tempdir");
    // Cut inside the data of frame 3, then inside the header of frame 3.
    for (cut, what) in [
        (full.len() - 5, "frame data"),
        (offsets[2] as usize + 7, "record header"),
    ] {
        let p = write(dir.path(), "cut.pcap", &full[..cut]);
        let (got, err) = read_all(&p);
        assert_eq!(got.len(), 2, "frames before the cut are returned");
        let e = err.expect("truncation error");
        assert!(e.unreadable());
        assert!(matches!(e.kind, DecodeErrorKind::Truncated(_)));
        assert_eq!(e.frame, Some(3));
        assert_eq!(e.offset, Some(offsets[2]));
        let msg = e.to_string();
        assert!(
            msg.contains("frame 3") && msg.contains(&format!("byte offset {}", offsets[2])),
            "{msg}"
        );
        assert!(msg.contains(what), "{msg}");
    }
    // A cut exactly at a record boundary is a clean end.
    let p = write(dir.path(), "clean.pcap", &full[..offsets[2] as usize]);
    let (got, err) = read_all(&p);
    assert_eq!(got.len(), 2);
    assert!(err.is_none());
}

#[test]
fn iteration_stops_after_an_unreadable_error() {
    let full = pcap_eth(&[ipv4_frame()]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "cut.pcap", &full[..full.len() - 1]);
    let mut r = CaptureReader::open(&p).expect("open");
    assert!(matches!(r.next(), Some(Err(_))));
    assert!(r.next().is_none());
    assert!(r.next().is_none());
}

#[test]
fn corrupt_pcap_record_length() {
    let mut full = pcap_eth(&[ipv4_frame()]);
    full[24 + 8..24 + 12].copy_from_slice(&(MAX_FRAME_LEN + 1).to_le_bytes());
    let dir = tempfile::tempdir().expect("tempdir");
    let (got, err) = read_all(&write(dir.path(), "corrupt.pcap", &full));
    assert!(got.is_empty());
    let e = err.expect("corrupt");
    assert!(matches!(e.kind, DecodeErrorKind::Corrupt(_)), "{e}");
    assert_eq!((e.frame, e.offset), (Some(1), Some(24)));
}

#[test]
fn truncated_and_corrupt_pcapng() {
    let frame = loopback_clone(&conn_short(NODE_A, 1, 2, 10));
    let mut f = shb(false);
    f.extend(idb(1, "lo", None, false));
    let epb1 = f.len();
    f.extend(epb(0, 1, &frame, frame.len() as u32, None, false));
    let epb2 = f.len();
    f.extend(epb(0, 2, &frame, frame.len() as u32, None, false));
    let dir = tempfile::tempdir().expect("tempdir");

    let (got, err) = read_all(&write(dir.path(), "cut.pcapng", &f[..f.len() - 3]));
    assert_eq!(got.len(), 1);
    let e = err.expect("truncated");
    assert!(matches!(e.kind, DecodeErrorKind::Truncated(_)), "{e}");
    assert_eq!((e.frame, e.offset), (Some(2), Some(epb2 as u64)));

    // Block length not a multiple of 4.
    let mut bad = f.clone();
    bad[epb1 + 4] = bad[epb1 + 4].wrapping_add(1);
    let (got, err) = read_all(&write(dir.path(), "len.pcapng", &bad));
    assert!(got.is_empty());
    let e = err.expect("corrupt");
    assert!(matches!(e.kind, DecodeErrorKind::Corrupt(_)), "{e}");
    assert_eq!((e.frame, e.offset), (Some(1), Some(epb1 as u64)));

    // Packet on an interface that was never described.
    let mut bad = f.clone();
    bad[epb1 + 8] = 7;
    let (_, err) = read_all(&write(dir.path(), "if.pcapng", &bad));
    let e = err.expect("corrupt");
    assert!(e.to_string().contains("interface 7"), "{e}");

    // Trailing length of a skipped block differs.
    let mut bad = f[..epb1].to_vec();
    let mut nrb = ng_block(4, &[0u8; 8], false);
    let n = nrb.len();
    nrb[n - 4] = 0;
    bad.extend(nrb);
    let (_, err) = read_all(&write(dir.path(), "trail.pcapng", &bad));
    assert!(matches!(
        err.expect("corrupt").kind,
        DecodeErrorKind::Corrupt(_)
    ));

    // Bad byte-order magic in the section header.
    let mut bad = f.clone();
    bad[8] = 0;
    let e = open_err(&write(dir.path(), "bom.pcapng", &bad));
    assert!(matches!(e.kind, DecodeErrorKind::Corrupt(_)), "{e}");

    // File that stops inside the section header.
    let e = open_err(&write(dir.path(), "shb.pcapng", &f[..10]));
    assert!(matches!(e.kind, DecodeErrorKind::Truncated(_)), "{e}");
}

fn valid_pcap() -> Vec<u8> {
    pcap_eth(&[
        ipv4_frame(),
        loopback_clone(&named(NODE_A, NODE_B, 1, 2, (1000, 1), 50)),
        bearer_frame(&discovery(NODE_A, MAC_A, 5, [1; 16])),
    ])
}

fn valid_pcapng() -> Vec<u8> {
    let mut f = shb(false);
    f.extend(idb(1, "lo", Some(9), false));
    f.extend(epb(
        0,
        1,
        &loopback_clone(&conn_short(NODE_A, 1, 2, 10)),
        48,
        Some(1),
        false,
    ));
    f.extend(ng_block(4, &[0u8; 8], false));
    f.extend(spb(&ipv4_frame(), false));
    f
}

fn drain(path: &std::path::Path) {
    if let Ok(reader) = CaptureReader::open(path) {
        // Every block advances by at least 12 bytes, so this terminates; bound it anyway.
        for item in reader.take(10_000) {
            if item.is_err() {
                break;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reader_never_panics_on_arbitrary_files(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().expect("tempdir");
        drain(&write(dir.path(), "any", &bytes));
    }

    #[test]
    fn reader_never_panics_on_arbitrary_bodies(ng in any::<bool>(), body in proptest::collection::vec(any::<u8>(), 0..400)) {
        // Valid file header, random contents: exercises record and block parsing.
        let mut bytes = if ng { shb(false) } else { pcap_eth(&[]) };
        bytes.extend_from_slice(&body);
        let dir = tempfile::tempdir().expect("tempdir");
        drain(&write(dir.path(), "body", &bytes));
    }

    #[test]
    fn truncated_valid_files_fail_cleanly(ng in any::<bool>(), cut in 0usize..1000) {
        let full = if ng { valid_pcapng() } else { valid_pcap() };
        let cut = cut % (full.len() + 1);
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(dir.path(), "cut", &full[..cut]);
        match CaptureReader::open(&p) {
            Err(e) => prop_assert!(e.unreadable()),
            Ok(reader) => {
                for item in reader {
                    if let Err(e) = item {
                        prop_assert!(e.unreadable());
                        prop_assert!(e.offset.is_some());
                        prop_assert!(e.frame.is_some());
                    }
                }
            }
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(ng in any::<bool>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut bytes = if ng { valid_pcapng() } else { valid_pcap() };
        let n = bytes.len();
        for (at, v) in flips {
            bytes[at % n] = v;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        drain(&write(dir.path(), "mut", &bytes));
    }
}
