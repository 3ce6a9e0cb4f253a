//! `tipc-verifier trace review`: text and JSON output, verdicts and exit statuses, run as
//! the real binary on captures written by the test.

#[path = "../../wire/tests/data/pcapgen.rs"]
mod pcapgen;

use assert_cmd::Command;
use pcapgen::*;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn review() -> Command {
    let mut cmd = Command::cargo_bin("tipc-verifier").expect("binary");
    cmd.args(["trace", "review"]);
    cmd
}

/// Crossover traffic as the receiving namespace's `lo` shows it, plus node-local noise.
fn crossover_capture(dir: &Path) -> PathBuf {
    let frames = vec![
        loopback_clone(&named(NODE_A, NODE_B, 100, 0, (1000, 1), 64)),
        ipv4_frame(),
        loopback_clone(&conn_short(NODE_A, 100, 200, 66_000)),
        loopback_clone(&conn_ack(NODE_B, NODE_A, 200, 100)),
        loopback_clone(&tipc_msg(
            15,
            0,
            40,
            &[(3, NODE_B), (4, 9), (5, 9), (6, NODE_B), (7, NODE_B)],
            &[0; 28],
        )),
    ];
    write(dir, "lo.pcap", &pcap_eth(&frames))
}

/// Bearer traffic: discovery, link state, name distribution, data.
fn bearer_capture(dir: &Path) -> PathBuf {
    let frames = vec![
        bearer_frame(&discovery(NODE_A, MAC_A, 0x1234_5678, *b"0123456789abcdef")),
        bearer_frame(&link_state(NODE_A, NODE_B)),
        bearer_frame(&publication(NODE_A, NODE_B)),
        bearer_frame(&named(NODE_A, NODE_B, 100, 0, (1000, 1), 64)),
        bearer_frame(&tipc_msg(
            12,
            0,
            40,
            &[(3, NODE_A), (4, 1 << 16), (6, NODE_A), (7, NODE_B)],
            &named(NODE_A, NODE_B, 100, 0, (1000, 1), 1400)[..1400],
        )),
    ];
    write(dir, "eth0.pcap", &pcap_eth(&frames))
}

#[test]
fn text_output_lists_every_tipc_message_and_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = crossover_capture(dir.path());
    let out = review()
        .arg(&p)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    // Frames 1, 3, 4, 5 are TIPC; frame 2 is IPv4.
    assert!(lines[0].trim_start().starts_with("1 "), "{text}");
    assert!(
        lines[0].contains("loopback")
            && lines[0].contains("LOW_IMPORTANCE")
            && lines[0].contains("NAMED"),
        "{text}"
    );
    assert!(lines[0].contains("<1001001>:100 -> <1001002>:0"), "{text}");
    assert!(
        lines[0].contains("name={1000,1}") && lines[0].contains("size=104"),
        "{text}"
    );
    assert!(lines[0].ends_with(" -"), "no --expect: not judged: {text}");
    assert!(
        lines[1].trim_start().starts_with("3 ") && lines[1].contains("size=66024"),
        "{text}"
    );
    assert!(
        lines[1].contains("<1001001>:100 -> ?:200"),
        "SHORT header has no dest node: {text}"
    );
    assert!(
        lines[2].contains("CONN_MANAGER") && lines[2].contains("CONN_ACK"),
        "{text}"
    );
    assert!(
        lines[3].contains("TOP_SRV") && lines[3].ends_with(" local"),
        "{text}"
    );
    assert!(text.contains("== summary =="), "{text}");
    assert!(
        text.contains(
            "5 frames, 4 TIPC messages, 1 non-TIPC skipped, 0 bad TIPC, 0 wrong-path, 1 node-local"
        ),
        "{text}"
    );
    let row = lines
        .iter()
        .find(|l| l.starts_with("LOW_IMPORTANCE") && l.contains(" CONN "))
        .expect("summary row");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols,
        ["LOW_IMPORTANCE", "CONN", "1", "66024", "1", "0", "0"],
        "{row}"
    );
    assert!(text.contains("verdict: PASS"), "{text}");
}

#[test]
fn expect_crossover_passes_on_loopback_clones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = crossover_capture(dir.path());
    review()
        .arg(&p)
        .args(["--expect", "crossover"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("verdict: PASS (expect crossover)"))
        .stdout(predicate::str::contains("WRONG-PATH").not());
}

#[test]
fn expect_crossover_flags_bearer_data_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = bearer_capture(dir.path());
    let out = review()
        .arg(&p)
        .args(["--expect", "crossover"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("LINK_CONFIG") && lines[0].ends_with(" ok"),
        "internal on bearer is fine: {text}"
    );
    assert!(
        lines[0].contains("cluster=4711") && lines[0].contains("proof=0x12345678"),
        "{text}"
    );
    assert!(
        lines[0].contains("media=eth:02:00:00:00:00:0a") && lines[0].contains("node_id=30313233"),
        "{text}"
    );
    assert!(
        lines[1].contains("LINK_PROTOCOL") && lines[1].contains("session=7"),
        "{text}"
    );
    assert!(
        lines[2].contains("NAME_DISTRIBUTOR") && lines[2].ends_with(" ok"),
        "{text}"
    );
    assert!(
        lines[3].contains("NAMED") && lines[3].contains("WRONG-PATH: expected crossover"),
        "{text}"
    );
    assert!(
        lines[4].contains("frag=FIRST#1") && lines[4].contains("inner=LOW_IMPORTANCE/NAMED"),
        "{text}"
    );
    assert!(
        lines[4].contains("WRONG-PATH"),
        "fragmented data on the bearer is not crossover: {text}"
    );
    assert!(
        text.contains("verdict: FAIL (expect crossover): 2 wrong-path"),
        "{text}"
    );
}

#[test]
fn expect_bearer_passes_on_bearer_and_fails_on_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    review()
        .arg(bearer_capture(dir.path()))
        .args(["--expect", "bearer"])
        .assert()
        .code(0);
    review()
        .arg(crossover_capture(dir.path()))
        .args(["--expect", "bearer"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("WRONG-PATH: expected bearer"));
}

#[test]
fn internal_traffic_on_loopback_is_always_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "bad.pcap",
        &pcap_eth(&[loopback_clone(&publication(NODE_A, NODE_B))]),
    );
    review()
        .arg(&p)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("NAME_DISTRIBUTOR"))
        .stdout(predicate::str::contains(
            "WRONG-PATH: internal traffic must use the bearer",
        ));
}

#[test]
fn local_node_makes_own_short_messages_node_local() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "own.pcap",
        &pcap_eth(&[loopback_clone(&conn_short(NODE_B, 1, 2, 10))]),
    );
    review()
        .arg(&p)
        .args(["--expect", "bearer"])
        .assert()
        .code(1);
    review()
        .arg(&p)
        .args(["--expect", "bearer", "--local-node", "<1001002>"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(" local"));
    review()
        .arg(&p)
        .args(["--local-node", "nonsense"])
        .assert()
        .code(2);
}

#[test]
fn json_lines_parse_and_end_with_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = bearer_capture(dir.path());
    let out = review()
        .arg(&p)
        .args(["--json", "--expect", "crossover"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert_eq!(records.len(), 6);
    let disc = &records[0];
    assert_eq!(disc["frame"], 1);
    assert_eq!(disc["offset"], 24);
    assert_eq!(disc["user"], 13);
    assert_eq!(disc["user_name"], "LINK_CONFIG");
    assert_eq!(disc["type"], 0);
    assert_eq!(disc["type_name"], "DSC_REQ");
    assert_eq!(disc["hdr_size"], 60);
    assert_eq!(disc["size"], 76);
    assert_eq!(disc["prev_node"], NODE_A);
    assert_eq!(disc["path"], "bearer");
    assert_eq!(disc["verdict"], "ok");
    assert_eq!(disc["discovery"]["proof"], 0x1234_5678);
    assert_eq!(disc["discovery"]["cluster_id"], 4711);
    assert_eq!(
        disc["discovery"]["node_id"],
        "30313233343536373839616263646566"
    );
    assert_eq!(disc["eth_src"], "02:00:00:00:00:0a");
    let data = &records[3];
    assert_eq!(data["type_name"], "NAMED");
    assert_eq!(data["orig_node"], NODE_A);
    assert_eq!(data["dest_node"], NODE_B);
    assert_eq!(data["orig_port"], 100);
    assert_eq!(data["name_type"], 1000);
    assert_eq!(data["name_instance"], 1);
    assert!(data["name_upper"].is_null());
    assert_eq!(data["verdict"], "wrong_path");
    assert_eq!(data["class"], "user");
    let frag = &records[4];
    assert_eq!(frag["fragment"]["kind"], "FIRST");
    assert_eq!(frag["fragment"]["inner"]["name_type"], 1000);
    let summary = &records[5]["summary"];
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(summary["status"], "fail");
    assert_eq!(summary["expect"], "crossover");
    assert_eq!(summary["totals"]["tipc_messages"], 5);
    assert_eq!(summary["totals"]["wrong_path"], 2);
    assert_eq!(summary["files"][0]["frames"], 5);
    let rows = summary["by_type"].as_array().expect("by_type");
    let named = rows
        .iter()
        .find(|r| r["user"] == 0 && r["type"] == 2)
        .expect("NAMED row");
    assert_eq!(named["messages"], 1);
    assert_eq!(named["bytes"], 104);
    assert_eq!(named["bearer"], 1);
    assert_eq!(named["wrong_path"], 1);
}

#[test]
fn missing_file_exits_3_naming_it() {
    review()
        .arg("/nonexistent/capture.pcap")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("/nonexistent/capture.pcap"))
        .stderr(predicate::str::contains("cannot open"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn non_pcap_file_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "notes.txt",
        b"this is a text file, not a capture\n",
    );
    review()
        .arg(&p)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("notes.txt"))
        .stderr(predicate::str::contains("not a pcap or pcapng file"));
}

#[test]
fn truncated_file_exits_3_with_frame_and_offset_after_listing_what_was_read() {
    let frames = vec![
        loopback_clone(&conn_short(NODE_A, 1, 2, 10)),
        loopback_clone(&conn_short(NODE_A, 1, 2, 10)),
    ];
    let offsets = pcap_offsets(&frames);
    let full = pcap_eth(&frames);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "cut.pcap", &full[..full.len() - 4]);
    review()
        .arg(&p)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("LOW_IMPORTANCE"))
        .stdout(predicate::str::contains("UNREADABLE"))
        .stderr(predicate::str::contains("cut.pcap: frame 2"))
        .stderr(predicate::str::contains(format!(
            "byte offset {}",
            offsets[1]
        )))
        .stderr(predicate::str::contains("truncated"));
    // JSON mode reports the error as a record too.
    let out = review()
        .arg(&p)
        .arg("--json")
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["error"]["frame"], 2);
    assert_eq!(records[1]["error"]["offset"], offsets[1]);
    assert_eq!(records[1]["error"]["unreadable"], true);
    assert_eq!(records[2]["summary"]["status"], "unreadable");
}

#[test]
fn bad_tipc_frame_is_listed_with_offset_and_fails() {
    let mut bad = conn_short(NODE_A, 1, 2, 4);
    bad[0] = (1 << 5) | (bad[0] & 0x1f);
    let frames = vec![
        loopback_clone(&conn_short(NODE_A, 1, 2, 4)),
        loopback_clone(&bad),
    ];
    let offsets = pcap_offsets(&frames);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "bad.pcap", &pcap_eth(&frames));
    review()
        .arg(&p)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "2 BAD-TIPC at byte offset {}",
            offsets[1]
        )))
        .stdout(predicate::str::contains("unsupported TIPC version 1"))
        .stdout(predicate::str::contains("1 bad TIPC frame"));
}

#[test]
fn several_files_and_one_unreadable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = crossover_capture(dir.path());
    let missing = dir.path().join("missing.pcap");
    let out = review()
        .arg(&good)
        .arg(&missing)
        .arg(&good)
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(text.matches("==> ").count(), 3, "{text}");
    assert_eq!(
        text.matches("TOP_SRV").count(),
        2 + 1,
        "two listings plus the summary row: {text}"
    );
}

#[test]
fn quiet_prints_only_problems_and_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = review()
        .arg(bearer_capture(dir.path()))
        .args(["--expect", "crossover", "-q"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let listing: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("== summary"))
        .collect();
    assert_eq!(listing.len(), 2, "{text}");
    assert!(listing.iter().all(|l| l.contains("WRONG-PATH")), "{text}");
}

#[test]
fn help_explains_the_lines_and_the_json_format() {
    review()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("--expect"))
        .stdout(predicate::str::contains("--json"));
}

/// The long help as wired by a `Subcommand` variant without its own doc comment.
#[test]
fn long_help_text() {
    use clap::{CommandFactory, Parser, Subcommand};
    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: Cmd,
    }
    #[derive(Subcommand)]
    enum Cmd {
        Review(tipc_verifier::trace_review::ReviewArgs),
    }
    let mut cmd = Cli::command();
    let sub = cmd.find_subcommand_mut("review").expect("review");
    let help = sub.render_long_help().to_string();
    assert!(help.contains("all-zero MAC"), "{help}");
    assert!(help.contains("WRONG-PATH"), "{help}");
    assert!(help.contains("JSON Lines"), "{help}");
    assert!(help.contains("Exit status"), "{help}");
    let short = sub.render_help().to_string();
    assert!(short.contains("One line per TIPC message"), "{short}");
}

/// The verdict rules, straight on the library: class × observed path × --expect.
#[test]
fn judge_matrix() {
    use tipc_verifier::trace_review::{judge, ExpectedPath as E, Verdict as V};
    use tipc_wire::{decode_frame, RawFrame};
    let frame = |data: Vec<u8>| {
        let raw = RawFrame {
            index: 1,
            offset: 24,
            ts: 0.0,
            linktype: 1,
            orig_len: data.len() as u32,
            data,
            interface: None,
            direction: None,
        };
        decode_frame(raw).expect("valid").expect("TIPC")
    };
    let data = named(NODE_A, NODE_B, 1, 2, (1000, 1), 8);
    let internal = publication(NODE_A, NODE_B);
    let top_srv = tipc_msg(15, 0, 40, &[(3, NODE_B), (6, NODE_B), (7, NODE_B)], &[]);
    let own = named(NODE_B, NODE_B, 1, 2, (1000, 1), 8);
    let cases = [
        (loopback_clone(&data), None, V::Unchecked),
        (loopback_clone(&data), Some(E::Crossover), V::Ok),
        (loopback_clone(&data), Some(E::Bearer), V::WrongPath),
        (bearer_frame(&data), Some(E::Crossover), V::WrongPath),
        (bearer_frame(&data), Some(E::Bearer), V::Ok),
        (bearer_frame(&internal), Some(E::Crossover), V::Ok),
        (bearer_frame(&internal), None, V::Ok),
        (loopback_clone(&internal), None, V::WrongPath),
        (loopback_clone(&internal), Some(E::Crossover), V::WrongPath),
        (loopback_clone(&top_srv), Some(E::Bearer), V::Local),
        (bearer_frame(&top_srv), None, V::WrongPath),
        (loopback_clone(&own), Some(E::Bearer), V::Local),
        (loopback_clone(&own), Some(E::Crossover), V::Local),
    ];
    for (i, (bytes, expect, want)) in cases.into_iter().enumerate() {
        let f = frame(bytes);
        let (got, reason) = judge(&f, expect, &[]);
        assert_eq!(got, want, "case {i}: {reason:?}");
        assert_eq!(
            reason.is_some(),
            matches!(want, V::WrongPath | V::Local),
            "case {i}"
        );
    }
}
