//! Cross-check with an independent decoder: where tshark's TIPC dissector reports a field,
//! our decoder must agree (words 0..=10 are reliable there, see the notes' section 10).
//! Fails when tshark is missing: `tipc-verifier setup` installs it.

#[path = "data/pcapgen.rs"]
mod pcapgen;
#[path = "data/tshark.rs"]
mod tshark;

use pcapgen::*;
use std::process::Command;
use tipc_wire::tipc_messages;
use tshark::tshark_fields;

/// tshark prints node addresses in the legacy Z.C.N form.
fn zcn(addr: u32) -> String {
    format!("{}.{}.{}", addr >> 24, (addr >> 12) & 0xfff, addr & 0xfff)
}

const FIELDS: [&str; 12] = [
    "frame.number",
    "tipc.usr",
    "tipc.hdr_size",
    "tipc.msg_size",
    "tipcv2.prev_node",
    "tipcv2.orig_node",
    "tipcv2.dest_node",
    "tipc.org_port",
    "tipc.dst_port",
    "tipcv2.port_name_type",
    "tipcv2.port_name_instance",
    "tipcv2.network_id",
];

#[test]
fn tshark_agrees_on_header_fields() {
    // `make test` installs tshark first (`tipc-verifier setup`): without it
    // this check would pass having compared nothing.
    assert!(
        Command::new("tshark").arg("--version").output().is_ok(),
        "tshark is missing: `tipc-verifier setup` installs it"
    );
    let mut frames = Vec::new();
    for t in 0..8u32 {
        for (hsz, words) in [
            (
                32u32,
                vec![(3, NODE_A), (4, 11), (5, 12), (6, NODE_A), (7, NODE_B)],
            ),
            (
                40,
                vec![
                    (3, NODE_A),
                    (4, 11),
                    (5, 12),
                    (6, NODE_A),
                    (7, NODE_B),
                    (8, 1000 + t),
                    (9, t),
                ],
            ),
        ] {
            frames.push(loopback_clone(&tipc_msg(t % 4, t, hsz, &words, &[9; 20])));
        }
    }
    frames.push(bearer_frame(&conn_short(NODE_B, 5, 6, 30)));
    frames.push(bearer_frame(&conn_ack(NODE_A, NODE_B, 7, 8)));
    frames.push(bearer_frame(&publication(NODE_A, NODE_B)));
    frames.push(bearer_frame(&link_state(NODE_A, NODE_B)));
    frames.push(bearer_frame(&discovery(NODE_B, MAC_B, 77, [3; 16])));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "oracle.pcap", &pcap_eth(&frames));

    let rows = tshark_fields(&path, &FIELDS);

    let ours: Vec<_> = tipc_messages(&path)
        .expect("open")
        .map(|r| r.expect("valid"))
        .collect();
    assert_eq!(ours.len(), frames.len());
    assert_eq!(rows.len(), frames.len());
    let mut compared = 0;
    for (row, m) in rows.iter().zip(&ours) {
        let h = &m.header;
        assert_eq!(row[0], m.frame.index.to_string());
        // Compare a field only where tshark reports it.
        let mut check = |col: usize, ours: Option<String>, what: &str| {
            if !row[col].is_empty() {
                assert_eq!(
                    Some(row[col].clone()),
                    ours,
                    "frame {} {what}: tshark vs ours",
                    m.frame.index
                );
                compared += 1;
            }
        };
        check(1, Some(h.user.to_string()), "user");
        check(2, Some((h.hdr_size / 4).to_string()), "header size (words)");
        check(3, Some(h.size.to_string()), "size");
        check(4, Some(zcn(h.prev_node)), "prev node");
        check(5, h.orig_node.map(zcn), "orig node");
        check(6, h.dest_node.map(zcn), "dest node");
        check(7, h.orig_port.map(|p| p.to_string()), "orig port");
        check(8, h.dest_port.map(|p| p.to_string()), "dest port");
        check(9, h.name_type.map(|p| p.to_string()), "name type");
        check(10, h.name_instance.map(|p| p.to_string()), "name instance");
        check(
            11,
            h.discovery.as_ref().map(|d| d.cluster_id.to_string()),
            "cluster id",
        );
    }
    assert!(compared > 150, "only {compared} fields compared");
}
