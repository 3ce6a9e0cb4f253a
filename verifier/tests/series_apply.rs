//! `git am` of the series onto a base tree, on a small real git repository.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use tipc_verifier::kbuild::{apply_series, Series};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A base tree (tag `base`) and a one-patch series made with format-patch.
fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir_all(tree.join("net/tipc")).unwrap();
    fs::write(tree.join("net/tipc/node.c"), "int a;\nint b;\nint c;\n").unwrap();
    git(&tree, &["init", "-q", "-b", "stock"]);
    git(&tree, &["add", "-A"]);
    git(&tree, &["commit", "-q", "-m", "base"]);
    git(&tree, &["tag", "base"]);
    git(&tree, &["checkout", "-q", "-b", "work"]);
    fs::write(tree.join("net/tipc/node.c"), "int a;\nint b2;\nint c;\n").unwrap();
    fs::write(tree.join("net/tipc/crossover.rs"), "// one\n").unwrap();
    git(&tree, &["add", "-A"]);
    git(&tree, &["commit", "-q", "-m", "tipc: change b"]);
    let patches = dir.path().join("patches");
    git(
        &tree,
        &[
            "format-patch",
            "-q",
            "-o",
            patches.to_str().unwrap(),
            "base..work",
        ],
    );
    git(&tree, &["checkout", "-q", "stock"]);
    let patch = fs::read_dir(&patches)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    (dir, tree, patch)
}

#[test]
fn the_series_applies_once_and_is_not_reapplied() {
    let (_dir, tree, patch) = fixture();
    let series = Series {
        patches: vec![patch],
        overlay: vec![],
    };
    apply_series(&tree, "patched", &series).unwrap();
    assert_eq!(
        fs::read_to_string(tree.join("net/tipc/node.c")).unwrap(),
        "int a;\nint b2;\nint c;\n"
    );
    assert_eq!(
        git(&tree, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "patched"
    );
    let head = git(&tree, &["rev-parse", "HEAD"]);
    apply_series(&tree, "patched", &series).unwrap();
    assert_eq!(
        git(&tree, &["rev-parse", "HEAD"]),
        head,
        "an applied series is not applied again"
    );
}

#[test]
fn the_overlay_replaces_the_series_copy() {
    let (dir, tree, patch) = fixture();
    let edited = dir.path().join("crossover.rs");
    fs::write(&edited, "// edited in kernel-rust\n").unwrap();
    let series = Series {
        patches: vec![patch],
        overlay: vec![(PathBuf::from("net/tipc/crossover.rs"), edited.clone())],
    };
    apply_series(&tree, "patched", &series).unwrap();
    assert_eq!(
        fs::read_to_string(tree.join("net/tipc/crossover.rs")).unwrap(),
        "// edited in kernel-rust\n"
    );
    // A further edit changes the series key, so it is laid over again.
    fs::write(&edited, "// edited twice\n").unwrap();
    apply_series(&tree, "patched", &series).unwrap();
    assert_eq!(
        fs::read_to_string(tree.join("net/tipc/crossover.rs")).unwrap(),
        "// edited twice\n"
    );
}

#[test]
fn a_patch_that_does_not_apply_is_named_and_leaves_the_base() {
    let (dir, tree, patch) = fixture();
    let good = Series {
        patches: vec![patch.clone()],
        overlay: vec![],
    };
    apply_series(&tree, "patched", &good).unwrap();
    let bad = dir.path().join("0002-tipc-bad.patch");
    let text = fs::read_to_string(&patch)
        .unwrap()
        .replace("-int b;", "-int zz;");
    fs::write(&bad, text).unwrap();
    let err = apply_series(
        &tree,
        "patched",
        &Series {
            patches: vec![bad],
            overlay: vec![],
        },
    )
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("0002-tipc-bad.patch does not apply"), "{msg}");
    assert!(
        msg.contains("net/tipc/node.c"),
        "the failing file is named: {msg}"
    );
    assert_eq!(
        fs::read_to_string(tree.join("net/tipc/node.c")).unwrap(),
        "int a;\nint b;\nint c;\n",
        "back at the base"
    );
    assert!(
        !tree.join(".tipc-verifier-series").exists(),
        "no stamp: the next run applies again"
    );
    assert!(
        !tree.join(".git/rebase-apply").exists(),
        "git am was aborted"
    );
}
