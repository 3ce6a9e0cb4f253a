//! `tipc-verifier run` with a program written outside the project's agent:
//! a C TIPC client and server (`data/user_programs/tipc_hello.c`), built
//! here with `gcc -static`, run in two namespaces of a real guest.
//!
//! The guest tests are ignored by default (they build or take the 7.3
//! kernels from the cache and boot QEMU); `make test` runs them after
//! `check --quick` has built those kernels:
//! `cargo test -p tipc-verifier --test run_user_program -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use serde_json::Value;

/// Builds the C program into `dir`.
fn build_hello(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/user_programs/tipc_hello.c");
    let status = Command::new("gcc")
        .args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(dir.join("tipc_hello"))
        .arg(&src)
        .status()
        .expect("gcc runs (build-essential, which `tipc-verifier setup` installs)");
    assert!(status.success(), "gcc -static {}", src.display());
}

/// `tipc-verifier run` with `args`; the report it wrote and its exit status.
fn run(args: &[&str], share: &Path, out: &Path) -> (Value, bool) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::cargo_bin("tipc-verifier")
        .unwrap()
        .arg("--project")
        .arg(&project)
        .arg("run")
        .arg("--share")
        .arg(share)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let ktap = String::from_utf8_lossy(&output.stdout);
    println!("{ktap}");
    assert!(ktap.starts_with("KTAP version 1\n"), "KTAP on stdout");
    let report = std::fs::read(out.join("run.json")).expect("run.json written");
    (
        serde_json::from_slice(&report).unwrap(),
        output.status.success(),
    )
}

fn sockets_of<'a>(report: &'a Value, ns: &str) -> Vec<&'a Value> {
    report["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["ns"] == ns)
        .collect()
}

fn commands_ok(report: &Value) {
    for c in report["commands"].as_array().unwrap() {
        assert_eq!(c["rc"], 0, "{c}");
    }
    let client = std::fs::read_to_string(PathBuf::from(
        report["commands"][1]["stdout"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(client.trim(), "client: 20 answers");
}

const HELLO: [&str; 10] = [
    "--ns",
    "ns2",
    "--",
    "./tipc_hello",
    "server",
    "20",
    "--ns",
    "ns1",
    "--",
    "./tipc_hello",
];

#[test]
#[ignore = "boots QEMU on the 7.3 patched kernel"]
fn a_c_client_and_server_cross_over_between_namespaces_of_one_kernel() {
    let share = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    build_hello(share.path());
    let mut args = vec!["--expect", "crossover"];
    args.extend(HELLO);
    args.extend(["client", "20"]);
    let (report, ok) = run(&args, share.path(), &out.path().join("veth"));
    commands_ok(&report);
    assert!(ok, "run failed: {report}");
    // Each side's socket: 20 messages (the client's named sends, the
    // server's answers to its port), only on the other namespace's lo.
    for (ns, lo) in [("ns1", "ns2-lo"), ("ns2", "ns1-lo")] {
        let s = sockets_of(&report, ns);
        assert_eq!(s.len(), 1, "one sending socket in {ns}: {report}");
        assert_eq!(s[0]["verdict"], "crossover", "{}", s[0]);
        assert_eq!(s[0]["seen"][lo], 20, "{}", s[0]);
        assert_eq!(s[0]["seen"].as_object().unwrap().len(), 1, "{}", s[0]);
    }
}

#[test]
#[ignore = "boots two QEMU guests on the 7.3 patched kernel"]
fn between_two_guests_the_same_program_uses_the_bearer_and_a_wrong_expectation_fails() {
    let share = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    build_hello(share.path());
    // Two kernels: never a crossover. Expecting one must fail the run.
    let mut args = vec!["--topology", "two-guests", "--expect", "crossover"];
    args.extend(HELLO);
    args.extend(["client", "20"]);
    let (report, ok) = run(&args, share.path(), &out.path().join("two"));
    commands_ok(&report);
    assert!(
        !ok,
        "a crossover was expected between two kernels: must fail"
    );
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        !failed.is_empty()
            && failed
                .iter()
                .all(|n| n.starts_with("socket_") || *n == "expected_path_seen"),
        "only the path checks may fail: {failed:?}"
    );
    for ns in ["ns1", "ns2"] {
        let s = sockets_of(&report, ns);
        assert_eq!(s.len(), 1, "one sending socket in {ns}: {report}");
        assert_eq!(s[0]["verdict"], "bearer", "{}", s[0]);
    }
}

#[test]
#[ignore = "boots QEMU on the 7.3 patched kernel"]
fn the_shell_runs_what_it_reads_in_the_topology() {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::mpsc;
    use std::time::Duration;

    let share = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = Command::cargo_bin("tipc-verifier")
        .unwrap()
        .arg("--project")
        .arg(&project)
        .args(["run", "--shell", "--out"])
        .arg(out.path().join("shell"))
        .arg("--share")
        .arg(share.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut console = String::new();
    let next = |what: &str, console: &mut String| loop {
        match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(line) => {
                console.push_str(&line);
                console.push('\n');
                if line.contains(what) {
                    return true;
                }
            }
            Err(_) => return false,
        }
    };
    // Typed only once the shell is there: the UART drops what comes before.
    let ready = next("tipc-verifier run: namespaces ns1 ns2", &mut console);
    if ready {
        let stdin = child.stdin.as_mut().unwrap();
        stdin
            .write_all(b"echo linked=$(ip netns exec ns1 tipc link list | grep -v broadcast-link | grep -c ': up')\nexit\n")
            .unwrap();
    }
    let answered = ready && next("linked=1", &mut console);
    let _ = next("TIPC-VERIFIER: END", &mut console);
    if !answered {
        let _ = child.kill();
    }
    let status = child.wait().unwrap();
    assert!(ready && answered, "{console}");
    assert!(status.success(), "{console}");
}
