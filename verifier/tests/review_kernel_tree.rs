//! `tipc-verifier review` on the cached kernel tree: each check must catch
//! a patch broken on purpose. These need the base tree and (for the build)
//! the review tree built once, so they are ignored by a plain `cargo test`
//! and run by `make review-test` (part of `make test`), after setup.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use tipc_verifier::base::Base;

const AUTHOR: &str = "Review Test <review-test@example.org>";

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The 7.3 source version the review runs on: the newest in the cache
/// (passed as --base-version, so the review needs no network and reads
/// the same tree as [`base_file`]).
fn base_version() -> String {
    let cache = tipc_verifier::cache::cache_root().expect("cache root");
    tipc_verifier::kernel_source::cached_versions(&cache, Base::V7_3)
        .into_iter()
        .next()
        .expect("a cached linux-source-7.3: run `make check` or `tipc-verifier build` first")
}

/// A file of the pristine base, from the cached repository.
fn base_file(path: &str) -> String {
    let cache = tipc_verifier::cache::cache_root().expect("cache root");
    let repo = tipc_verifier::kbuild::trees_dir(&cache, &base_version()).join("stock");
    let out = std::process::Command::new("git")
        .current_dir(&repo)
        .args(["show", &format!("base:{path}")])
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "the cached base tree {} has no {path}: run `make check` or `tipc-verifier build` first",
        repo.display()
    );
    String::from_utf8(out.stdout).expect("utf-8 source")
}

/// A unified diff inserting `added` before line `at` (0-based) of `old`.
fn insertion_diff(path: &str, old: &str, at: usize, added: &[&str]) -> String {
    let lines: Vec<&str> = old.lines().collect();
    let start = at.saturating_sub(3);
    let end = (at + 3).min(lines.len());
    let mut d = format!(
        "diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -{},{} +{},{} @@\n",
        start + 1,
        end - start,
        start + 1,
        end - start + added.len()
    );
    for l in &lines[start..at] {
        d.push_str(&format!(" {l}\n"));
    }
    for l in added {
        d.push_str(&format!("+{l}\n"));
    }
    for l in &lines[at..end] {
        d.push_str(&format!(" {l}\n"));
    }
    d
}

fn new_file_diff(path: &str, content: &[&str]) -> String {
    let mut d = format!(
        "diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
        content.len()
    );
    for l in content {
        d.push_str(&format!("+{l}\n"));
    }
    d
}

/// A one-patch series mail in `git format-patch` form.
fn mail(title: &str, body: &str, diff: &str) -> String {
    format!(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
From: {AUTHOR}\nDate: Mon, 30 Nov 2026 00:00:00 +0000\n\
Subject: [PATCH net-next] {title}\n\n{body}\n\nSigned-off-by: {AUTHOR}\n---\n{diff}-- \n2.47.3\n\n"
    )
}

/// Runs the review on the given patch files with `--only`; returns the
/// exit code and the JSON.
fn review(dir: &Path, only: &str, patches: &[PathBuf]) -> (i32, Value) {
    let out = Command::cargo_bin("tipc-verifier")
        .expect("binary")
        .arg("--project")
        .arg(project())
        .args(["review", "--base", "7.3", "--base-version", &base_version()])
        .args(["--json", "--only", only, "--out"])
        .arg(dir.join("logs"))
        .args(patches)
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// Status and reason of `check` on patch `n` (1-based).
fn cell(json: &Value, n: usize, check: &str) -> (String, String) {
    let checks = json["patches"][n - 1]["checks"]
        .as_array()
        .expect("checks array");
    let o = checks
        .iter()
        .find(|o| o["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {json:#}"));
    (
        o["status"].as_str().unwrap_or_default().to_string(),
        o["reason"].as_str().unwrap_or_default().to_string(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write patch");
    p
}

fn real_patches() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(project().join("patches"))
        .expect("patches/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    v.sort();
    v
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn trailing_whitespace_fails_checkpatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = base_file("net/tipc/discover.c");
    let at = old.lines().count();
    let diff = insertion_diff(
        "net/tipc/discover.c",
        &old,
        at,
        &["", "/* A comment with a trailing space */ "],
    );
    let p = write(
        dir.path(),
        "0001-ws.patch",
        &mail("tipc: add a comment", "Adds a comment.", &diff),
    );
    let (code, json) = review(dir.path(), "checkpatch", &[p]);
    let (status, reason) = cell(&json, 1, "checkpatch");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert!(reason.contains("trailing whitespace"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn a_missing_signoff_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = real_patches()
        .into_iter()
        .find(|p| !p.to_string_lossy().contains("0000-"))
        .expect("patch 1");
    let text: String = fs::read_to_string(&first)
        .expect("read")
        .lines()
        .filter(|l| !l.starts_with("Signed-off-by:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = write(dir.path(), "0001-unsigned.patch", &text);
    let (code, json) = review(dir.path(), "signoff", &[p]);
    let (status, reason) = cell(&json, 1, "signoff");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn a_wrong_subject_prefix_fails_the_series() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copies: Vec<PathBuf> = real_patches()
        .iter()
        .map(|p| {
            let text =
                fs::read_to_string(p)
                    .expect("read")
                    .replacen("[PATCH net-next ", "[PATCH ", 1);
            write(
                dir.path(),
                &p.file_name().expect("name").to_string_lossy(),
                &text,
            )
        })
        .collect();
    let (code, json) = review(dir.path(), "signoff", &copies);
    let prefix = json["series"]
        .as_array()
        .expect("series")
        .iter()
        .find(|o| o["check"] == "subject_prefix")
        .expect("subject_prefix")
        .clone();
    assert_eq!(code, 1);
    assert_eq!(prefix["status"], "fail", "{prefix}");
    assert!(
        prefix["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("target tree name not specified"),
        "{prefix}"
    );
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn a_kernel_doc_regression_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = base_file("net/tipc/discover.c");
    let at = old.lines().count();
    let diff = insertion_diff(
        "net/tipc/discover.c",
        &old,
        at,
        &[
            "",
            "/**",
            " * tipc_disc_unused - a helper documented with the wrong parameter",
            " * @missing: not a parameter of this function",
            " */",
            "static inline int tipc_disc_unused(int present)",
            "{",
            "\treturn present;",
            "}",
        ],
    );
    let p = write(
        dir.path(),
        "0001-kdoc.patch",
        &mail("tipc: add a helper", "Adds a helper.", &diff),
    );
    let (code, json) = review(dir.path(), "kdoc", &[p]);
    let (status, reason) = cell(&json, 1, "kdoc");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert!(reason.contains("0 -> "), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn unformatted_rust_fails_rustfmt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let diff = new_file_diff(
        "net/tipc/review_fmt.rs",
        &[
            "// SPDX-License-Identifier: GPL-2.0",
            "",
            "//! Formatting test.",
            "",
            "fn  answer( ) ->u32{ 42 }",
        ],
    );
    let p = write(
        dir.path(),
        "0001-fmt.patch",
        &mail("tipc: add a Rust file", "Adds a Rust file.", &diff),
    );
    let (code, json) = review(dir.path(), "rustfmt", &[p]);
    let (status, reason) = cell(&json, 1, "rustfmt");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert!(reason.contains("review_fmt.rs"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn a_patch_that_does_not_build_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = base_file("net/tipc/discover.c");
    let at = old.lines().count();
    let diff = insertion_diff(
        "net/tipc/discover.c",
        &old,
        at,
        &["", "int tipc_disc_broken(void)", "{", "\treturn", "}"],
    );
    let p = write(
        dir.path(),
        "0001-broken.patch",
        &mail("tipc: add a broken function", "Does not build.", &diff),
    );
    let (code, json) = review(dir.path(), "build", &[p]);
    let (status, reason) = cell(&json, 1, "build");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert!(reason.contains("net/tipc/discover.c"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn a_patch_that_does_not_apply_names_the_hunk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = base_file("net/tipc/discover.c");
    let at = old.lines().count();
    let diff = insertion_diff("net/tipc/discover.c", &old, at, &["/* end */"]);
    // A context line that is not in the base: the hunk cannot apply.
    let (head, hunk) = diff.split_once("@@ -").expect("a hunk");
    let (header, body) = hunk.split_once('\n').expect("hunk header");
    let diff = format!("{head}@@ -{header}\n /* not in the base */{}", &body[1..]);
    let p = write(
        dir.path(),
        "0001-stale.patch",
        &mail("tipc: a stale patch", "Made against another tree.", &diff),
    );
    let (code, json) = review(dir.path(), "signoff", &[p]);
    let (status, reason) = cell(&json, 1, "apply");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert!(
        reason.contains("net/tipc/discover.c: hunk 1 does not apply"),
        "{reason}"
    );
}

/// Reviews one mail adding `lines` at the end of `path` of the base with
/// only `check`; returns the exit code, status and reason.
fn review_addition(check: &str, path: &str, lines: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = base_file(path);
    let diff = insertion_diff(path, &old, old.lines().count(), lines);
    let p = write(
        dir.path(),
        "0001-nipa.patch",
        &mail("tipc: a change NIPA refuses", "Broken on purpose.", &diff),
    );
    let (code, json) = review(dir.path(), check, &[p]);
    let (status, reason) = cell(&json, 1, check);
    (code, status, reason)
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn nipa_deprecated_api_warns_on_dev_hold_and_fails_a_module_parameter() {
    let (code, status, reason) = review_addition(
        "deprecated_api",
        "net/tipc/bearer.c",
        &[
            "",
            "void tipc_review_test(struct net_device *dev)",
            "{",
            "\tdev_hold(dev);",
            "}",
        ],
    );
    assert_eq!((code, status.as_str()), (0, "warn"), "{reason}");
    assert!(reason.contains("netdev_hold"), "{reason}");
    let (code, status, reason) = review_addition(
        "deprecated_api",
        "net/tipc/core.c",
        &[
            "",
            "static bool crossover = true;",
            "module_param(crossover, bool, 0644);",
        ],
    );
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert!(reason.contains("module_param"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn nipa_source_inline_fails_inline_in_a_c_file() {
    let (code, status, reason) = review_addition(
        "source_inline",
        "net/tipc/node.c",
        &[
            "",
            "static inline int tipc_review_test(void)",
            "{",
            "\treturn 0;",
            "}",
        ],
    );
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn nipa_header_inline_fails_a_static_function_in_a_header() {
    let old = base_file("net/tipc/core.h");
    // Before the header's closing #endif.
    let at = old
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.starts_with("#endif"))
        .expect("#endif");
    let dir = tempfile::tempdir().expect("tempdir");
    let diff = insertion_diff(
        "net/tipc/core.h",
        &old,
        at,
        &[
            "static int tipc_review_test(void)",
            "{",
            "\treturn 0;",
            "}",
            "",
        ],
    );
    let p = write(
        dir.path(),
        "0001-h.patch",
        &mail("tipc: add a helper", "Broken on purpose.", &diff),
    );
    let (code, json) = review(dir.path(), "header_inline", &[p]);
    let (status, reason) = cell(&json, 1, "header_inline");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn nipa_check_selftest_fails_a_script_outside_the_makefile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let diff = new_file_diff(
        "tools/testing/selftests/net/tipc_review_test.sh",
        &[
            "#!/bin/bash",
            "# SPDX-License-Identifier: GPL-2.0",
            "exit 0",
        ],
    );
    let p = write(
        dir.path(),
        "0001-st.patch",
        &mail("selftests: net: add a test", "Broken on purpose.", &diff),
    );
    let (code, json) = review(dir.path(), "check_selftest", &[p]);
    let (status, reason) = cell(&json, 1, "check_selftest");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
    assert!(reason.contains("Makefile"), "{reason}");
}

#[test]
#[ignore = "needs the cached kernel tree: make review-test"]
fn nipa_maintained_fails_a_file_no_entry_covers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let covered = new_file_diff(
        "net/tipc/review_test.c",
        &["// SPDX-License-Identifier: GPL-2.0"],
    );
    let orphan = new_file_diff(
        "review_test/orphan.c",
        &["// SPDX-License-Identifier: GPL-2.0"],
    );
    let p1 = write(
        dir.path(),
        "0001-a.patch",
        &mail("tipc: add a file", "Covered by TIPC.", &covered),
    );
    let (_, json) = review(dir.path(), "maintained", &[p1]);
    let (status, reason) = cell(&json, 1, "maintained");
    assert_eq!(status, "pass", "{reason}");
    let dir = tempfile::tempdir().expect("tempdir");
    let p2 = write(
        dir.path(),
        "0001-b.patch",
        &mail("misc: add a file", "No entry.", &orphan),
    );
    let (code, json) = review(dir.path(), "maintained", &[p2]);
    let (status, reason) = cell(&json, 1, "maintained");
    assert_eq!((code, status.as_str()), (1, "fail"), "{reason}");
}
