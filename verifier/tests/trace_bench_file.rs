//! The benchmark capture of `trace bench`: the requested number of frames,
//! all readable TIPC, made from the real captures.

use std::path::Path;
use tipc_verifier::trace_bench::write_capture;
use tipc_wire::tipc_messages;

#[test]
fn the_benchmark_capture_repeats_real_frames() {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures/veth_classes-ns1-lo.pcap");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.pcap");
    let bytes = write_capture(&[src], 1000, &out).unwrap();
    assert_eq!(std::fs::metadata(&out).unwrap().len(), bytes);
    let msgs: Vec<_> = tipc_messages(&out).unwrap().map(|m| m.unwrap()).collect();
    assert_eq!(msgs.len(), 1000);
    assert_eq!(msgs[999].frame.index, 1000);
    assert!(msgs.windows(2).all(|w| w[0].frame.ts < w[1].frame.ts));
}

#[test]
fn a_source_without_frames_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pcap");
    let out = dir.path().join("bench.pcap");
    write_capture(&[], 10, &out).unwrap_err();
    std::fs::write(&empty, b"not a pcap").unwrap();
    write_capture(&[empty], 10, &out).unwrap_err();
}
