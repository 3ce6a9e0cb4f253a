//! Frames → TIPC messages: link layers, skipping non-TIPC frames, bad TIPC frames as
//! recoverable errors, and the observed path of each message.

#[path = "data/pcapgen.rs"]
mod pcapgen;

use pcapgen::*;
use tipc_wire::tipc::TipcError;
use tipc_wire::{
    tipc_messages, CaptureReader, Direction, LinkLayer, ObservedPath, TipcFrame, TipcMessages,
};

#[test]
fn mixed_capture_skips_non_tipc_and_reports_bad_tipc() {
    let mut vlan = eth(MAC_B, MAC_A, 0x8100, &[0x00, 0x07, 0x88, 0xca]);
    vlan.extend(conn_ack(NODE_A, NODE_B, 1, 2));
    let mut bad_version = conn_short(NODE_A, 1, 2, 4);
    bad_version[0] = (1 << 5) | (bad_version[0] & 0x1f);
    let frames = vec![
        ipv4_frame(),                                                // 1 skipped
        loopback_clone(&named(NODE_A, NODE_B, 5, 6, (1000, 1), 16)), // 2
        eth(MAC_B, MAC_A, 0x0806, &[0; 28]),                         // 3 ARP, skipped
        bearer_frame(&discovery(NODE_A, MAC_A, 9, [2; 16])),         // 4
        bearer_frame(&bad_version),                                  // 5 bad TIPC
        vlan,                                                        // 6 VLAN-tagged TIPC
        vec![0x00; 10],                                              // 7 runt, skipped
        loopback_clone(&[0x40, 0, 0]),                               // 8 bad TIPC (too short)
    ];
    let offsets = pcap_offsets(&frames);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "mixed.pcap", &pcap_eth(&frames));
    let mut msgs = tipc_messages(&path).expect("open");
    let items: Vec<_> = msgs.by_ref().collect();
    assert_eq!(items.len(), 5);

    let f2 = items[0].as_ref().expect("frame 2");
    assert_eq!(f2.frame.index, 2);
    assert_eq!(f2.frame.offset, offsets[1]);
    assert_eq!(f2.header.type_name(), "NAMED");
    assert_eq!(f2.observed_path(), ObservedPath::Loopback);
    assert_eq!(f2.eth_src, ZERO_MAC);
    assert_eq!(f2.payload().len(), 16);
    assert_eq!(f2.tipc_bytes().len(), 56);

    let f4 = items[1].as_ref().expect("frame 4");
    assert_eq!(f4.frame.index, 4);
    assert_eq!(f4.header.user_name(), "LINK_CONFIG");
    assert_eq!(f4.observed_path(), ObservedPath::Bearer);
    assert_eq!((f4.eth_src, f4.eth_dst), (MAC_A, MAC_B));
    assert_eq!(f4.frame.link, LinkLayer::Ethernet { vlan: None });

    let e5 = items[2].as_ref().expect_err("frame 5 is bad");
    assert!(!e5.unreadable(), "a bad TIPC header does not stop reading");
    assert_eq!((e5.frame, e5.offset), (Some(5), Some(offsets[4])));
    assert_eq!(
        e5.tipc_error(),
        Some(&TipcError::UnsupportedVersion { version: 1 })
    );
    let msg = e5.to_string();
    assert!(
        msg.contains("mixed.pcap")
            && msg.contains("frame 5")
            && msg.contains(&format!("byte offset {}", offsets[4])),
        "{msg}"
    );
    assert!(msg.contains("version 1"), "{msg}");

    let f6 = items[3].as_ref().expect("frame 6");
    assert_eq!(f6.frame.link, LinkLayer::Ethernet { vlan: Some(7) });
    assert_eq!(f6.header.user_name(), "CONN_MANAGER");
    assert_eq!(f6.tipc_offset, 18);

    let e8 = items[4].as_ref().expect_err("frame 8 is bad");
    assert_eq!(e8.frame, Some(8));
    assert!(matches!(e8.tipc_error(), Some(TipcError::TooShort { .. })));

    assert_eq!(msgs.frames_read(), 8);
    assert_eq!(msgs.skipped_non_tipc(), 3);
    assert_eq!(msgs.malformed_tipc(), 2);
}

#[test]
fn size_beyond_the_frame_is_an_error() {
    let mut msg = conn_short(NODE_A, 1, 2, 10);
    msg.truncate(30); // size field still says 34
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "short.pcap", &pcap_eth(&[loopback_clone(&msg)]));
    let items: Vec<_> = tipc_messages(&path).expect("open").collect();
    let e = items[0].as_ref().expect_err("size beyond frame");
    assert_eq!(
        e.tipc_error(),
        Some(&TipcError::SizeBeyondFrame {
            size: 34,
            frame_bytes: 30
        })
    );
}

#[test]
fn snap_length_truncation_is_not_an_error() {
    // Captured with a small snap length: header present, orig_len covers the message.
    let msg = named(NODE_A, NODE_B, 5, 6, (1000, 1), 1000);
    let frame = loopback_clone(&msg);
    let r = Rec {
        ts_sec: 1,
        ts_frac: 0,
        data: frame[..96].to_vec(),
        orig_len: frame.len() as u32,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "snap.pcap", &pcap(1, &[r], false, false));
    let items: Vec<_> = tipc_messages(&path).expect("open").collect();
    let f = items[0].as_ref().expect("decodes");
    assert_eq!(f.header.size, 1040);
    assert_eq!(f.frame.captured_len, 96);
    assert_eq!(f.frame.wire_len, frame.len() as u32);
    assert_eq!(f.payload().len(), 96 - 14 - 40);
}

fn only_frames(path: &std::path::Path) -> Vec<TipcFrame> {
    tipc_messages(path)
        .expect("open")
        .map(|r| r.expect("valid frame"))
        .collect()
}

#[test]
fn cooked_any_captures_tell_loopback_from_bearer() {
    let msg = conn_short(NODE_A, 1, 2, 3);
    let recs = vec![
        rec(1, 0, sll(0, 772, ZERO_MAC, 0x88ca, &msg)),
        rec(1, 1, sll(4, 1, MAC_A, 0x88ca, &msg)),
        rec(1, 2, sll(0, 1, MAC_A, 0x0800, &[0x45; 20])),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = only_frames(&write(
        dir.path(),
        "any.pcap",
        &pcap(113, &recs, false, false),
    ));
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].observed_path(), ObservedPath::Loopback);
    assert_eq!(frames[0].frame.direction, Some(Direction::In));
    assert_eq!(
        frames[0].frame.link,
        LinkLayer::LinuxSll {
            packet_type: 0,
            hatype: 772
        }
    );
    assert_eq!(frames[1].observed_path(), ObservedPath::Bearer);
    assert_eq!(frames[1].frame.direction, Some(Direction::Out));
    assert_eq!(frames[1].eth_src, MAC_A);
    assert_eq!(frames[1].header.orig_port, Some(1));

    let recs = vec![
        rec(1, 0, sll2(1, 0, 772, ZERO_MAC, 0x88ca, &msg)),
        rec(1, 0, sll2(4, 4, 1, MAC_A, 0x88ca, &msg)),
    ];
    let frames = only_frames(&write(
        dir.path(),
        "any2.pcap",
        &pcap(276, &recs, false, false),
    ));
    assert_eq!(frames[0].observed_path(), ObservedPath::Loopback);
    assert_eq!(frames[0].frame.interface.as_deref(), Some("ifindex 1"));
    assert_eq!(frames[1].observed_path(), ObservedPath::Bearer);
    assert_eq!(frames[1].frame.interface.as_deref(), Some("ifindex 4"));
}

#[test]
fn pcapng_interface_names_reach_the_messages() {
    let mut f = shb(false);
    f.extend(idb(1, "lo", None, false));
    f.extend(idb(1, "veth0", None, false));
    let lo = loopback_clone(&conn_short(NODE_A, 1, 2, 3));
    let veth = bearer_frame(&conn_short(NODE_A, 1, 2, 3));
    f.extend(epb(0, 10, &lo, lo.len() as u32, Some(1), false));
    f.extend(epb(1, 20, &veth, veth.len() as u32, Some(2), false));
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = only_frames(&write(dir.path(), "names.pcapng", &f));
    assert_eq!(frames[0].frame.interface.as_deref(), Some("lo"));
    assert_eq!(frames[0].frame.direction, Some(Direction::In));
    assert_eq!(frames[1].frame.interface.as_deref(), Some("veth0"));
    assert_eq!(frames[1].frame.direction, Some(Direction::Out));
}

#[test]
fn unreadable_file_ends_the_iteration_with_an_error() {
    let frames = vec![
        loopback_clone(&conn_short(NODE_A, 1, 2, 3)),
        loopback_clone(&conn_short(NODE_A, 1, 2, 3)),
    ];
    let full = pcap_eth(&frames);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "cut.pcap", &full[..full.len() - 2]);
    let items: Vec<_> = tipc_messages(&path).expect("open").collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let e = items[1].as_ref().expect_err("truncated");
    assert!(e.unreadable());
    assert_eq!(e.frame, Some(2));

    let e = tipc_messages(&dir.path().join("missing.pcap")).expect_err("missing");
    assert!(e.unreadable());
}

#[test]
fn captures_in_memory_decode_like_files() {
    let frames = vec![
        loopback_clone(&named(NODE_A, NODE_B, 5, 6, (1000, 1), 16)),
        ipv4_frame(),
        bearer_frame(&discovery(NODE_A, MAC_A, 9, [2; 16])),
    ];
    let full = pcap_eth(&frames);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "file.pcap", &full);
    let from_file: Vec<_> = tipc_messages(&path).expect("open").collect();
    let name = std::path::Path::new("in-memory");
    let reader = CaptureReader::from_reader(name, &full[..]).expect("open bytes");
    let mut in_memory = TipcMessages::new(reader);
    let from_bytes: Vec<_> = in_memory.by_ref().collect();
    assert_eq!(from_bytes.len(), 2);
    assert_eq!(from_file, from_bytes);
    assert_eq!(
        (in_memory.frames_read(), in_memory.skipped_non_tipc()),
        (3, 1)
    );
    // Errors name what the caller called the bytes.
    let cut = &full[..full.len() - 2];
    let reader = CaptureReader::from_reader(name, cut).expect("open bytes");
    let e = TipcMessages::new(reader)
        .find_map(Result::err)
        .expect("truncated");
    assert!(e.to_string().starts_with("in-memory: frame 3"), "{e}");
}

/// Files written by real tcpdump 4.99 (libpcap) while a packet socket sent two 0x88CA frames
/// with all-zero MACs on `lo` (see data/README.md): `-i lo` gives Ethernet, `-i any` gives
/// Linux cooked v2 with hardware type ARPHRD_LOOPBACK.
#[test]
fn tcpdump_written_captures() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for (file, link) in [
        ("tcpdump-lo.pcap", None),
        (
            "tcpdump-any.pcap",
            Some(LinkLayer::LinuxSll2 {
                ifindex: 1,
                packet_type: 0,
                hatype: 772,
            }),
        ),
    ] {
        let frames = only_frames(&data.join(file));
        assert_eq!(frames.len(), 2, "{file}");
        for f in &frames {
            assert_eq!(f.observed_path(), ObservedPath::Loopback, "{file}");
            assert_eq!(f.header.orig_node, Some(NODE_A));
            assert_eq!(f.header.orig_port, Some(7));
            assert_eq!(f.header.dest_port, Some(8));
            if let Some(link) = link {
                assert_eq!(f.frame.link, link);
                assert_eq!(f.frame.direction, Some(Direction::In));
            }
        }
        assert_eq!(frames[0].header.type_name(), "NAMED");
        assert_eq!(frames[0].header.dest_node, Some(NODE_B));
        assert_eq!(
            (frames[0].header.name_type, frames[0].header.name_instance),
            (Some(1000), Some(1))
        );
        assert_eq!(frames[0].header.size, 90);
        assert_eq!(frames[1].header.type_name(), "CONN");
        assert_eq!(frames[1].header.size, 324);
        assert_eq!(frames[1].payload(), &[b'z'; 300][..]);
    }
}
