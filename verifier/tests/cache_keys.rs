use std::ffi::OsString;
use tipc_verifier::cache::*;

#[test]
fn cache_root_prefers_the_override_then_xdg_then_home() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    };
    let r = cache_root_from(env(&[
        (CACHE_ENV, "/c"),
        ("XDG_CACHE_HOME", "/x"),
        ("HOME", "/h"),
    ]))
    .unwrap();
    assert_eq!(r.to_str(), Some("/c"));
    let r = cache_root_from(env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])).unwrap();
    assert_eq!(r.to_str(), Some("/x/tipc-verifier"));
    let r = cache_root_from(env(&[(CACHE_ENV, ""), ("HOME", "/h")])).unwrap();
    assert_eq!(
        r.to_str(),
        Some("/h/.cache/tipc-verifier"),
        "an empty override is ignored"
    );
    assert!(cache_root_from(env(&[])).is_err());
}

#[test]
fn keys_are_stable_and_sensitive_to_every_input() {
    let key = |inputs: &[(&str, &[u8])]| {
        let mut k = KeyBuilder::new("kernel");
        for (n, v) in inputs {
            k.add(n, v);
        }
        k.key()
    };
    let base = key(&[("base", b"6.12.117"), ("patch 0001", b"diff")]);
    assert_eq!(base, key(&[("base", b"6.12.117"), ("patch 0001", b"diff")]));
    assert_eq!(base.len(), 20);
    assert_ne!(base, key(&[("base", b"6.12.118"), ("patch 0001", b"diff")]));
    assert_ne!(
        base,
        key(&[("base", b"6.12.117"), ("patch 0001", b"diff ")])
    );
    assert_ne!(base, key(&[("base", b"6.12.117"), ("patch 0002", b"diff")]));
    // Moving bytes between inputs must not collide.
    assert_ne!(
        key(&[("a", b"xy"), ("b", b"")]),
        key(&[("a", b"x"), ("b", b"y")])
    );
    assert_ne!(
        base,
        key(&[("patch 0001", b"diff"), ("base", b"6.12.117")]),
        "order matters"
    );
}

#[test]
fn key_manifest_records_short_values_and_digests_long_ones() {
    let mut k = KeyBuilder::new("kernel");
    k.add("base", b"6.12.117-1~deb12u1")
        .add("fragment", "CONFIG_X=y\n".repeat(20).as_bytes());
    let inputs = k.inputs();
    assert_eq!(
        inputs[1],
        ("base".to_string(), "6.12.117-1~deb12u1".to_string())
    );
    assert!(inputs[2].1.starts_with("sha256:"));
}

#[test]
fn atomic_write_replaces_whole_files_and_leaves_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sub/file");
    write_atomic(&p, b"one").unwrap();
    write_atomic(&p, b"two").unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"two");
    let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![OsString::from("file")]);
}

#[test]
fn an_unpublished_entry_is_never_trusted_and_is_swept() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("patched-abc");
    let pending = PendingDir::new(&target).unwrap();
    std::fs::write(pending.path().join("bzImage"), b"half").unwrap();
    // Interrupted here: nothing under the final name.
    assert!(!is_complete(&target));
    assert!(!target.exists());
    drop(pending);
    assert_eq!(sweep_temporaries(dir.path()).unwrap(), 1);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());

    let pending = PendingDir::new(&target).unwrap();
    std::fs::write(pending.path().join("bzImage"), b"whole").unwrap();
    write_atomic(&pending.path().join(MANIFEST), b"{}").unwrap();
    let published = pending.publish().unwrap();
    assert!(is_complete(&published));
    assert_eq!(std::fs::read(published.join("bzImage")).unwrap(), b"whole");
}

#[test]
fn a_published_dir_without_manifest_is_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("stock-1");
    let pending = PendingDir::new(&target).unwrap();
    std::fs::write(pending.path().join("bzImage"), b"x").unwrap();
    let published = pending.publish().unwrap();
    assert!(!is_complete(&published));
}
