//! Every guest script the verifier generates is valid POSIX shell (`sh -n`)
//! and clean under shellcheck, so that a quoting slip fails here and not
//! minutes later inside QEMU. `tipc-verifier setup` installs shellcheck.

use std::io::Write;
use std::process::{Command, Stdio};
use tipc_verifier::bench::discovery;
use tipc_verifier::bench::plan::Plan as BenchPlan;
use tipc_verifier::kbuild::Flavour;
use tipc_verifier::scenario;
use tipc_verifier::scenario::Topology;
use tipc_verifier::stress::plan::Plan as StressPlan;
use tipc_verifier::user_run::script::Work;
use tipc_verifier::user_run::NsCommand;

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
        v.push((
            format!("bench discovery {}", kernel.name()),
            discovery::script(kernel, &bench.discovery),
        ));
        v.push((
            format!("bench sendpath {}", kernel.name()),
            tipc_verifier::bench::sendpath::script(kernel, &bench.sizes),
        ));
    }
    let (a, b) = bench.two_guest_scripts(1);
    v.push(("bench two guests a".into(), a));
    v.push(("bench two guests b".into(), b));
    v.push(("stress short".into(), StressPlan::short().script()));
    v.push(("stress long".into(), StressPlan::long(500).script()));
    // `tipc-verifier run`: commands with words that need quoting, and the shell.
    let commands = vec![
        NsCommand {
            ns: "ns2".into(),
            argv: vec!["./server".into(), "it's $HOME".into()],
        },
        NsCommand {
            ns: "ns1".into(),
            argv: vec!["sh".into(), "-c".into(), "echo \"$1\" `id`".into()],
        },
    ];
    for (topology, shell) in [
        (Topology::VethPair, false),
        (Topology::Bridge(3), false),
        (Topology::TwoGuests, false),
        (Topology::VethPair, true),
    ] {
        let work = Work {
            topology,
            commands: if shell { &[] } else { &commands },
            shell,
            timeout: 60,
            stagger: 1,
        };
        for (role, text) in work.scripts() {
            v.push((
                format!("run {topology:?} shell={shell} {}", role.unwrap_or("")),
                text,
            ));
        }
    }
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

/// The helpers only `stress.sh` defines are called from the stress scripts
/// alone: any other script lacks them, and would stop at the call (exit
/// 127 under `set -e`).
#[test]
fn only_the_stress_scripts_call_the_stress_helpers() {
    const STRESS: &str = include_str!("../../vm/guest/stress.sh");
    let helpers: Vec<&str> = STRESS
        .lines()
        .filter_map(|l| l.split_once("() {").map(|(name, _)| name))
        .filter(|name| !name.is_empty() && !name.contains([' ', '\t', '#']))
        .collect();
    assert!(helpers.len() >= 10, "stress.sh helpers: {helpers:?}");
    for (name, text) in scripts() {
        if name.starts_with("stress") {
            assert!(text.contains(STRESS), "{name} has the stress helpers");
            continue;
        }
        for line in text.lines().map(str::trim_start) {
            let first = line.split([' ', ';', '|', '&']).next().unwrap_or("");
            assert!(
                !helpers.contains(&first),
                "{name} calls the stress helper {first}: {line}"
            );
        }
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

/// Whatever ends a script, its captures and its tracing stop and reach the
/// share: `cleanup_on_exit` (lib.sh) comes before the first capture and
/// right after tracing starts, and a script that clears the trap does so
/// only once it stopped both itself.
#[test]
fn every_script_that_captures_or_traces_cleans_up_on_every_exit() {
    let lib = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vm/guest/lib.sh"),
    )
    .unwrap();
    let mut checked = 0;
    for (name, text) in scripts() {
        let own = text.replacen(&lib, "", 1);
        let lines: Vec<&str> = own.lines().map(str::trim).collect();
        let first = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix));
        let (Some(trace), cleanup) = (first("crossover_trace_start"), first("cleanup_on_exit "))
        else {
            assert!(
                first("capture_start ").is_none(),
                "{name}: captures without tracing"
            );
            continue;
        };
        checked += 1;
        let cleanup = cleanup.unwrap_or_else(|| panic!("{name}: no cleanup_on_exit"));
        assert_eq!(
            cleanup,
            trace + 1,
            "{name}: cleanup_on_exit right after tracing starts"
        );
        if let Some(capture) = first("capture_start ") {
            assert!(
                cleanup < capture,
                "{name}: a capture before cleanup_on_exit"
            );
        }
        if let Some(clear) = first("trap - EXIT") {
            let stopped = |what: &str| lines[..clear].iter().any(|l| l.starts_with(what));
            assert!(
                stopped("crossover_trace_"),
                "{name}: trap cleared before tracing stopped"
            );
            if first("capture_start ").is_some() {
                assert!(
                    stopped("capture_stop_all"),
                    "{name}: trap cleared before the captures stopped"
                );
            }
        }
    }
    assert!(checked > 20, "only {checked} scripts capture or trace");
}
