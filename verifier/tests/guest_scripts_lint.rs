//! Every guest script the verifier generates is valid POSIX shell (`sh -n`)
//! and clean under shellcheck, so that a quoting slip fails here and not
//! minutes later inside QEMU. `tipc-verifier setup` installs shellcheck.

use std::io::Write;
use std::process::{Command, Stdio};
use tipc_verifier::bench::plan::Plan as BenchPlan;
use tipc_verifier::kbuild::Flavour;
use tipc_verifier::scenario;
use tipc_verifier::stress::plan::Plan as StressPlan;

/// Every script with a name for the failure message.
fn scripts() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for scn in scenario::catalogue() {
        for (role, text) in scn.guest_scripts() {
            v.push((
                format!("scenario {} {}", scn.name, role.unwrap_or("")),
                text,
            ));
        }
    }
    let bench = BenchPlan::default();
    for kernel in [Flavour::Stock, Flavour::Patched] {
        v.push((format!("bench {}", kernel.name()), bench.script(kernel, 1)));
        v.push((
            format!("bench scale {}", kernel.name()),
            bench.scale_script(kernel),
        ));
    }
    let (a, b) = bench.two_guest_scripts(1);
    v.push(("bench two guests a".into(), a));
    v.push(("bench two guests b".into(), b));
    v.push(("stress short".into(), StressPlan::short().script()));
    v.push(("stress long".into(), StressPlan::long(500).script()));
    v
}

/// Runs `cmd` with `script` on stdin; the output when it fails.
fn run(mut cmd: Command, script: &str) -> Result<(), String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    let out = child.wait_with_output().expect("wait");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn every_generated_script_parses_as_posix_shell() {
    let all = scripts();
    assert!(all.len() > 20, "only {} scripts", all.len());
    for (name, text) in &all {
        let mut sh = Command::new("sh");
        sh.arg("-n");
        run(sh, text).unwrap_or_else(|e| panic!("{name}: sh -n:\n{e}"));
    }
}

#[test]
fn every_generated_script_is_clean_under_shellcheck() {
    assert!(
        Command::new("shellcheck").arg("--version").output().is_ok(),
        "shellcheck is missing: `tipc-verifier setup` installs it"
    );
    let mut failures = Vec::new();
    for (name, text) in scripts() {
        let mut sc = Command::new("shellcheck");
        // The guest runs busybox ash; warnings and errors, not style notes.
        sc.args(["--shell=sh", "--severity=warning", "-"]);
        if let Err(e) = run(sc, &text) {
            failures.push(format!("{name}:\n{e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
