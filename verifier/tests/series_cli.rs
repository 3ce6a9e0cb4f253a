//! `tipc-verifier series apply --tree` on small real git trees: refusals
//! and the patch and file it names when the series does not apply.

use assert_cmd::Command;
use predicates::str::contains;
use std::fs;
use std::path::{Path, PathBuf};

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.invalid"])
        .args(args)
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?}");
}

/// A git tree with a net/tipc that is not the series' base.
fn other_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("net/tipc")).expect("mkdir");
    fs::write(dir.path().join("net/tipc/node.c"), "int x;\n").expect("write");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "other base"]);
    dir
}

fn series_apply(tree: &Path) -> Command {
    let mut c = Command::cargo_bin("tipc-verifier").expect("binary");
    c.arg("--project")
        .arg(project())
        .args(["series", "apply", "--tree"])
        .arg(tree);
    c
}

#[test]
fn a_series_that_does_not_apply_names_the_patch_and_file() {
    let tree = other_tree();
    series_apply(tree.path())
        .assert()
        .failure()
        .stderr(contains("patch 1/"))
        .stderr(contains("0001-"))
        .stderr(contains("net/tipc/"))
        .stderr(contains("holds the 0 patch(es) before it"));
}

#[test]
fn a_dirty_tree_is_refused() {
    let tree = other_tree();
    fs::write(tree.path().join("net/tipc/node.c"), "int y;\n").expect("write");
    series_apply(tree.path())
        .assert()
        .failure()
        .stderr(contains("uncommitted changes"));
}

#[test]
fn a_directory_that_is_not_a_git_tree_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    series_apply(dir.path())
        .assert()
        .failure()
        .stderr(contains("is not a git work tree"));
}

#[test]
fn review_refuses_a_missing_patch_file() {
    Command::cargo_bin("tipc-verifier")
        .expect("binary")
        .arg("--project")
        .arg(project())
        .args(["review", "no-such.patch"])
        .assert()
        .failure()
        .stderr(contains("no-such.patch: no such patch file or directory"));
}

#[test]
fn every_series_and_review_command_has_help() {
    for args in [
        &["review", "--help"][..],
        &["series", "apply", "--help"],
        &["series", "sync", "--help"],
        &["series", "resign", "--help"],
        &["series", "export", "--help"],
    ] {
        Command::cargo_bin("tipc-verifier")
            .expect("binary")
            .args(args)
            .assert()
            .success()
            .stdout(contains("Usage"));
    }
}
