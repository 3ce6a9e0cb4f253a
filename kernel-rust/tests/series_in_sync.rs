//! The Rust files the patch series adds must be the files in `net/tipc/` of
//! this crate, byte for byte, in both directions.
//!
//! `kernel-rust/net/tipc/*.rs` is where the Rust is edited; the series in
//! `patches/` is regenerated from the kernel working branch after copying the
//! files there (see `ARCHITECTURE.md`). This test fails when one side was
//! changed without the other.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use support::series::{self, FileState};

/// Directory of the crate's copies of the kernel files.
fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `.rs` files below `net/` of this crate, as kernel-tree paths.
fn crate_rs_files() -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.expect("directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{prefix}/{name}");
            if entry.file_type().expect("file type").is_dir() {
                walk(&entry.path(), &path, out);
            } else if name.ends_with(".rs") {
                out.insert(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&crate_dir().join("net"), "net", &mut out);
    out
}

#[test]
fn series_rust_files_match_the_crate() {
    let dir = series::patches_dir();
    assert!(
        !series::patch_files(&dir).is_empty(),
        "no patches in {}",
        dir.display()
    );
    let tree = series::replay(&dir).expect("patches replay");

    let mut in_series = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, state) in &tree {
        if !path.ends_with(".rs") {
            continue;
        }
        match state {
            FileState::Created(lines) => {
                in_series.insert(path.clone());
                let ours = crate_dir().join(path);
                match fs::read_to_string(&ours) {
                    Ok(text) if text == series::text_of(lines) => {}
                    Ok(_) => problems.push(format!("{path}: differs from kernel-rust/{path}")),
                    Err(e) => problems.push(format!("{path}: kernel-rust/{path}: {e}")),
                }
            }
            FileState::ModifiedOnly => problems.push(format!(
                "{path}: changed by the series but not created by it"
            )),
            FileState::Deleted => {}
        }
    }
    for path in crate_rs_files().difference(&in_series) {
        problems.push(format!("kernel-rust/{path}: not added by any patch"));
    }
    assert!(
        problems.is_empty(),
        "series and kernel-rust/ differ:\n{}",
        problems.join("\n")
    );
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
