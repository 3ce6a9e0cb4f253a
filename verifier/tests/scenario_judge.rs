//! The judge on a real share directory brought back from a stock-kernel guest
//! (veth_rdm: 200 RDM messages ns1 -> ns2 over the C crossover).

#[path = "../../wire/tests/data/pcapgen.rs"]
mod pcapgen;

use std::fs;
use std::path::{Path, PathBuf};
use tipc_verifier::kbuild::Flavour;
use tipc_verifier::scenario::{self, origin_key};
use tipc_wire::encode::{Header, HeaderSize};
use tipc_wire::tipc::user;

fn real_share() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shares/stock.veth_rdm")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            fs::copy(e.path(), dst).unwrap();
        }
    }
}

fn failing(checks: &[scenario::Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect()
}

#[test]
fn the_real_crossover_run_passes_every_check() {
    let (checks, captures) = scenario::judge(
        &scenario::veth_rdm(),
        &real_share(),
        Flavour::Stock,
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(failing(&checks).is_empty(), "{:#?}", failing(&checks));
    assert!(
        checks.len() >= 8,
        "captures, bearer control traffic, delivery and one path check per capture"
    );
    let sender = origin_key(1595686944, 1009112874);
    assert_eq!(
        captures["ns2-lo"].data_by_origin.get(&sender),
        Some(&200),
        "every message traced on the receiver's lo"
    );
    assert_eq!(
        captures["ns1-veth1"].data_by_origin.get(&sender),
        None,
        "no data on the veth"
    );
    assert!(captures["ns1-veth1"]
        .by_class
        .keys()
        .any(|k| k.starts_with("LINK_CONFIG/")));
}

#[test]
fn the_same_captures_fail_when_the_bearer_was_expected() {
    let mut scn = scenario::veth_rdm();
    scn.cases[0].expect = scenario::MsgPath::Bearer;
    let (checks, _) = scenario::judge(
        &scn,
        &real_share(),
        Flavour::Stock,
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    let bad = failing(&checks);
    assert!(
        bad.iter().any(|c| c.starts_with("rdm_named_on_ns1_veth1")),
        "{bad:#?}"
    );
    assert!(
        bad.iter()
            .any(|c| c.starts_with("rdm_named_absent_from_ns2_lo")),
        "{bad:#?}"
    );
}

#[test]
fn a_changed_checksum_or_a_missing_capture_fails() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&real_share(), dir.path());
    let recv = dir.path().join("results/rdm_named.recv.json");
    let text = fs::read_to_string(&recv).unwrap();
    let digest = text.split("\"digest_set\": \"").nth(1).unwrap()[..64].to_string();
    fs::write(&recv, text.replace(&digest, &"0".repeat(64))).unwrap();
    fs::remove_file(dir.path().join("captures/ns2-lo.pcap")).unwrap();
    let (checks, _) = scenario::judge(
        &scenario::veth_rdm(),
        dir.path(),
        Flavour::Stock,
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    let bad = failing(&checks);
    assert!(
        bad.iter()
            .any(|c| c.starts_with("rdm_named_delivered_intact") && c.contains("DIFFER")),
        "{bad:#?}"
    );
    assert!(
        bad.iter().any(|c| c.starts_with("capture_ns2_lo_readable")),
        "{bad:#?}"
    );
}

/// A bundle on the bearer carries data of its own sockets: each inner
/// message counts for its origin as if it had been sent alone.
#[test]
fn bundled_data_counts_for_each_inner_message() {
    let a = pcapgen::named(pcapgen::NODE_A, pcapgen::NODE_B, 7, 8, (1000, 1), 30);
    let b = pcapgen::named(pcapgen::NODE_A, pcapgen::NODE_B, 9, 8, (1000, 1), 33);
    let mut inner = a.clone();
    inner.resize(a.len().div_ceil(4) * 4, 0);
    inner.extend_from_slice(&b);
    let bundle = Header::new(user::MSG_BUNDLER, 0, HeaderSize::NAMED)
        .prev_node(pcapgen::NODE_A)
        .nodes(pcapgen::NODE_A, pcapgen::NODE_B)
        .bundled(2)
        .encode(&inner);
    let alone = pcapgen::named(pcapgen::NODE_A, pcapgen::NODE_B, 7, 8, (1000, 1), 10);
    let dir = tempfile::tempdir().unwrap();
    let pcap = pcapgen::write(
        dir.path(),
        "bearer.pcap",
        &pcapgen::pcap_eth(&[
            pcapgen::bearer_frame(&bundle),
            pcapgen::bearer_frame(&alone),
        ]),
    );
    let counts = scenario::count_capture(&pcap).unwrap();
    assert_eq!(counts.data_by_origin[&origin_key(pcapgen::NODE_A, 7)], 2);
    assert_eq!(counts.data_by_origin[&origin_key(pcapgen::NODE_A, 9)], 1);
    let bundles: u64 = counts
        .by_class
        .iter()
        .filter(|(class, _)| class.starts_with("MSG_BUNDLER/"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(bundles, 1, "{:?}", counts.by_class);
}
