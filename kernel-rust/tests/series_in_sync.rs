//! The Rust files each patch series adds must be the files of this crate,
//! byte for byte, in both directions:
//!
//! - `patches/` (the 7.3 series) against `net/`;
//! - `patches-6.12/` (the 6.12 backport) against `net/` with
//!   `backport-6.12/net/` laid over it (today only `net/tipc/crossover.rs`,
//!   the kernel glue).
//!
//! And the pure modules (those `src/lib.rs` builds on the host) are one
//! source: the same text in `net/tipc/`, in the 7.3 series and in the 6.12
//! series, never replaced by a backport file.
//!
//! `kernel-rust/` is where the Rust is edited; each series is regenerated
//! from its kernel working branch after copying the files there (see
//! `ARCHITECTURE.md`). These tests fail when one side was changed without
//! the other.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use support::series::{self, FileState, SeriesOverlay, SERIES};

/// Directory of the crate's copies of the kernel files.
fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file the series in `dir` creates, with its final text, and
/// the problems met on the way (a `.rs` file modified but not created).
fn created_rs(dir: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let path = series::series_dir(dir);
    assert!(
        !series::patch_files(&path).is_empty(),
        "no patches in {}",
        path.display()
    );
    let tree = series::replay(&path).unwrap_or_else(|e| panic!("{dir} replays: {e}"));
    let mut created = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, state) in &tree {
        if !path.ends_with(".rs") {
            continue;
        }
        match state {
            FileState::Created(lines) => {
                created.insert(path.clone(), series::text_of(lines));
            }
            FileState::ModifiedOnly => problems.push(format!(
                "{dir}: {path}: changed by the series but not created by it"
            )),
            FileState::Deleted => {}
        }
    }
    (created, problems)
}

fn check_series(s: SeriesOverlay) {
    let (created, mut problems) = created_rs(s.series);
    let overlay = s.overlay();
    let shown = |path: &str| {
        overlay[path]
            .strip_prefix(crate_dir())
            .map(|p| format!("kernel-rust/{}", p.display()))
            .unwrap_or_else(|_| path.to_string())
    };
    for (path, text) in &created {
        match overlay.get(path) {
            None => problems.push(format!(
                "{}: {path}: created by the series, not in kernel-rust/",
                s.series
            )),
            Some(ours) => match fs::read_to_string(ours) {
                Ok(t) if t == *text => {}
                Ok(_) => problems.push(format!(
                    "{}: {path}: differs from {}",
                    s.series,
                    shown(path)
                )),
                Err(e) => problems.push(format!("{}: {}: {e}", s.series, shown(path))),
            },
        }
    }
    let in_series: BTreeSet<&String> = created.keys().collect();
    for path in overlay.keys().filter(|p| !in_series.contains(p)) {
        problems.push(format!(
            "{}: {}: not added by any patch",
            s.series,
            shown(path)
        ));
    }
    assert!(
        problems.is_empty(),
        "{} and kernel-rust/ differ:\n{}",
        s.series,
        problems.join("\n")
    );
}

#[test]
fn the_7_3_series_rust_files_match_the_crate() {
    check_series(SERIES[0]);
}

#[test]
fn the_6_12_series_rust_files_match_the_crate_with_its_backport() {
    check_series(SERIES[1]);
}

/// The kernel-tree paths of the modules `src/lib.rs` builds on the host
/// (`#[path = "../net/tipc/x.rs"]`) that both series add: the pure ones,
/// shared by both series (the KUnit tests are in the 7.3 series only).
fn pure_modules() -> Vec<String> {
    let lib = fs::read_to_string(crate_dir().join("src/lib.rs")).expect("src/lib.rs");
    let v: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#[path = \"../"))
        .filter_map(|l| l.strip_suffix("\"]"))
        .filter(|p| SERIES.iter().all(|s| !s.without.contains(p)))
        .map(str::to_string)
        .collect();
    assert!(!v.is_empty(), "src/lib.rs includes no kernel module");
    v
}

#[test]
fn the_pure_modules_are_one_source_for_both_series() {
    let mut problems = Vec::new();
    let created: Vec<(&str, BTreeMap<String, String>)> = SERIES
        .iter()
        .map(|s| (s.series, created_rs(s.series).0))
        .collect();
    for path in pure_modules() {
        let ours = fs::read_to_string(crate_dir().join(&path))
            .unwrap_or_else(|e| panic!("kernel-rust/{path}: {e}"));
        for s in SERIES {
            if let Some(b) = s.backport {
                if crate_dir().join(b).join(&path).exists() {
                    problems.push(format!(
                        "kernel-rust/{b}/{path}: a pure module is shared, not backported \
                         (edit kernel-rust/{path} for both series)"
                    ));
                }
            }
        }
        for (dir, files) in &created {
            match files.get(&path) {
                Some(text) if *text == ours => {}
                Some(_) => problems.push(format!("{dir}: {path} differs from kernel-rust/{path}")),
                None => problems.push(format!("{dir}: does not create {path}")),
            }
        }
        if let [(a, fa), (b, fb)] = created.as_slice() {
            if let (Some(x), Some(y)) = (fa.get(&path), fb.get(&path)) {
                if x != y {
                    problems.push(format!("{path}: {a} and {b} carry different texts"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the shared pure modules drifted:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_backport_file_replaces_one_it_never_adds_one() {
    let net = series::rs_files_under(crate_dir());
    for s in SERIES {
        let Some(b) = s.backport else { continue };
        let files = series::rs_files_under(&crate_dir().join(b));
        assert!(!files.is_empty(), "kernel-rust/{b}/net has no file");
        for path in files.keys() {
            assert!(
                net.contains_key(path),
                "kernel-rust/{b}/{path} replaces nothing in kernel-rust/net"
            );
        }
    }
}

#[test]
fn replay_applies_later_patches_to_new_files() {
    // A file created by one patch and changed by the next.
    let tmp = std::env::temp_dir().join(format!("series-in-sync-{}", std::process::id()));
    fs::create_dir_all(&tmp).unwrap();
    fs::write(
        tmp.join("0001-a.patch"),
        "Subject: a\n---\ndiff --git a/x.rs b/x.rs\nnew file mode 100644\n--- /dev/null\n\
         +++ b/x.rs\n@@ -0,0 +1,4 @@\n+one\n+two\n+\n+four\n-- \n2.39.5\n",
    )
    .unwrap();
    fs::write(
        tmp.join("0002-b.patch"),
        "Subject: b\n---\ndiff --git a/x.rs b/x.rs\n--- a/x.rs\n+++ b/x.rs\n\
         @@ -1,4 +1,5 @@\n one\n-two\n+2\n+2.5\n \n four\n@@ -4,0 +6,1 @@\n+five\n-- \n2.39.5\n",
    )
    .unwrap();
    fs::write(
        tmp.join("0000-cover-letter.patch"),
        "diff --git a/y.rs b/y.rs\n",
    )
    .unwrap();
    let tree = series::replay(&tmp).expect("replay");
    fs::remove_dir_all(&tmp).unwrap();
    assert_eq!(tree.len(), 1);
    let Some(FileState::Created(lines)) = tree.get("x.rs") else {
        panic!("x.rs missing")
    };
    assert_eq!(series::text_of(lines), "one\n2\n2.5\n\nfour\nfive\n");
}

/// The files a series creates under `prefix`, with their final text.
fn created_under(dir: &str, prefix: &str) -> BTreeMap<String, String> {
    let tree =
        series::replay(&series::series_dir(dir)).unwrap_or_else(|e| panic!("{dir} replays: {e}"));
    tree.iter()
        .filter(|(path, _)| path.starts_with(prefix))
        .filter_map(|(path, state)| match state {
            FileState::Created(lines) => Some((path.clone(), series::text_of(lines))),
            _ => None,
        })
        .collect()
}

/// The selftest is one test for both series: what each creates under
/// `tools/testing/selftests/net/tipc/` is the same, byte for byte.
#[test]
fn the_selftest_is_the_same_in_both_series() {
    const DIR: &str = "tools/testing/selftests/net/tipc/";
    let net_next = created_under("patches", DIR);
    let backport = created_under("patches-6.12", DIR);
    for name in [
        "tipc_crossover.sh",
        "tipc_xover.c",
        "Makefile",
        "config",
        ".gitignore",
    ] {
        assert!(
            net_next.contains_key(&format!("{DIR}{name}")),
            "patches/ creates {DIR}{name}"
        );
    }
    assert_eq!(
        net_next.keys().collect::<Vec<_>>(),
        backport.keys().collect::<Vec<_>>()
    );
    for (path, text) in &net_next {
        assert!(
            backport[path] == *text,
            "{path} differs between the two series"
        );
    }
}
