use assert_cmd::Command;
use predicates::prelude::*;

fn verifier() -> Command {
    Command::cargo_bin("tipc-verifier").expect("binary built")
}

#[test]
fn help_explains_the_main_job() {
    verifier()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("check").and(predicate::str::contains("KTAP")));
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    verifier()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unrecognized subcommand"));
}

#[test]
fn unknown_kernel_flavour_names_the_choices() {
    verifier()
        .args(["check", "--kernel", "debugz"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("stock").and(predicate::str::contains("patched")));
}

#[test]
fn unknown_scenario_is_named_with_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    verifier()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TIPC_VERIFIER_CACHE", dir.path())
        .args(["check", "--dry-run", "--scenario", "nope"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown scenario \"nope\"")
                .and(predicate::str::contains("veth_rdm")),
        )
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn outside_the_project_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    verifier()
        .current_dir(dir.path())
        .env("TIPC_VERIFIER_CACHE", dir.path())
        .args(["check", "--dry-run"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "not inside the tipc-crossover project",
        ));
}

#[test]
fn dry_run_prints_the_exact_qemu_commands_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    verifier()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TIPC_VERIFIER_CACHE", dir.path())
        .args(["check", "--dry-run", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("qemu-system-x86_64 -nodefaults")
                .and(predicate::str::contains("-accel tcg")),
        )
        .stdout(predicate::str::contains("would build"));
    assert!(
        !dir.path().join("out").exists(),
        "a dry run creates nothing"
    );
}

#[test]
fn list_names_the_scenarios() {
    verifier()
        .args(["check", "--list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("veth_rdm"));
}

#[test]
fn bench_refuses_a_zero_connection_count_before_booting_anything() {
    let dir = tempfile::tempdir().unwrap();
    verifier()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TIPC_VERIFIER_CACHE", dir.path())
        .args(["bench", "--conns", "1,0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "connection count must be at least 1",
        ))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn bench_refuses_an_oversized_message() {
    verifier()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["bench", "--sizes", "70000"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("outside 1..=66000"));
}

#[test]
fn a_bad_measurement_grid_is_a_usage_error() {
    let cases: [(&[&str], &str); 6] = [
        (&["bench", "--sizes", "0"], "outside 1..=66000"),
        (&["bench", "--discovery", "8,5000"], "outside 4..=1900"),
        (&["bench", "--discovery", "64,8"], "must ascend"),
        (
            &["bench", "--phases", "scale", "--scale", "0"],
            "no phase left to run",
        ),
        (&["bench", "--phases", "warp"], ""),
        (&["trace", "bench", "--frames", "0"], "at least 1"),
    ];
    for (args, why) in cases {
        verifier()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(why));
    }
}
