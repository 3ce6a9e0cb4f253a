//! The kernel base as an input: Debian version ordering, the version
//! policy, the source cache and the resolver, with a fake archive (no
//! network). The fetch path builds a small real `.deb` with dpkg-deb.

use anyhow::{bail, Result};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;
use tipc_verifier::base::Base;
use tipc_verifier::debian_version::{compare, sort_desc};
use tipc_verifier::kernel_source::*;

#[test]
fn debian_versions_order_as_dpkg_does() {
    use std::cmp::Ordering::*;
    for (a, b, want) in [
        ("6.12.118-1~deb12u1", "6.12.117-1~deb12u1", Greater),
        ("6.12.117-1~deb12u1", "6.12.117-1", Less),
        ("6.12.9-1", "6.12.10-1", Less),
        ("7.3.4-1~bpo13+1", "7.3.4-1~bpo13+2", Less),
        ("7.3.4-1~bpo13+1", "7.3.4-1", Less),
        ("7.3.4-1", "7.3.4-1+b1", Less),
        ("7.3~rc7-1~exp1", "7.3-1", Less),
        ("1:6.1-1", "7.3-1", Greater),
        ("6.12.117-1", "6.12.117-1", Equal),
    ] {
        assert_eq!(compare(a, b), want, "{a} vs {b}");
    }
    let mut v = vec![
        "6.12.107-1~deb12u1".to_string(),
        "6.12.118-1~deb12u1".into(),
        "6.12.117-1~deb12u1".into(),
        "6.12.118-1~deb12u1".into(),
    ];
    sort_desc(&mut v);
    assert_eq!(
        v,
        [
            "6.12.118-1~deb12u1",
            "6.12.117-1~deb12u1",
            "6.12.107-1~deb12u1"
        ]
    );
}

fn served_612() -> Vec<String> {
    [
        "6.12.118-1~deb12u1",
        "6.12.117-1~deb12u1",
        "6.12.115-2~deb12u1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn latest_takes_a_newer_point_release() {
    let v = choose(Base::V6_12, &VersionPolicy::Latest, &served_612()).unwrap();
    assert_eq!(
        v, "6.12.118-1~deb12u1",
        "a newer point release is never refused"
    );
}

#[test]
fn exact_and_prefix_pins_are_honoured() {
    let exact = VersionPolicy::Pin("6.12.117-1~deb12u1".into());
    assert_eq!(
        choose(Base::V6_12, &exact, &served_612()).unwrap(),
        "6.12.117-1~deb12u1"
    );
    let prefix = VersionPolicy::from_arg(Some("6.12.117"));
    assert_eq!(prefix, VersionPolicy::Pin("6.12.117".into()));
    assert_eq!(
        choose(Base::V6_12, &prefix, &served_612()).unwrap(),
        "6.12.117-1~deb12u1"
    );
    // A prefix matches whole version parts only.
    assert!(!VersionPolicy::Pin("6.12.11".into()).matches("6.12.117-1~deb12u1"));
    // A pin with a revision is one version: 7.3.4-1 is not its backport.
    assert!(!VersionPolicy::Pin("7.3.4-1".into()).matches("7.3.4-1~bpo13+1"));
    assert!(VersionPolicy::Pin("7.3.4-1~bpo13+1".into()).matches("7.3.4-1~bpo13+1"));
    assert!(!VersionPolicy::Pin("6.12.117-1".into()).matches("6.12.117-1+b1"));
    assert!(VersionPolicy::Pin("6.12.117".into()).matches("1:6.12.117-1"));
    assert_eq!(VersionPolicy::from_arg(Some("  ")), VersionPolicy::Latest);
}

#[test]
fn a_pin_the_archive_no_longer_serves_is_refused_with_the_served_list() {
    let err = choose(
        Base::V6_12,
        &VersionPolicy::Pin("6.12.99".into()),
        &served_612(),
    )
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("no longer serves linux-source-6.12"), "{msg}");
    assert!(
        msg.contains("6.12.118-1~deb12u1, 6.12.117-1~deb12u1, 6.12.115-2~deb12u1"),
        "{msg}"
    );
    assert!(msg.contains("--base-version"), "{msg}");
}

#[test]
fn a_package_the_archive_does_not_serve_is_a_clear_error() {
    let msg = format!(
        "{:#}",
        choose(Base::V7_3, &VersionPolicy::Latest, &[]).unwrap_err()
    );
    assert!(msg.contains("does not serve linux-source-7.3"), "{msg}");
    assert!(msg.contains("trixie-backports"), "{msg}");
}

#[test]
fn madison_output_gives_the_package_versions() {
    let out = "linux-source-6.12 | 6.12.117-1~deb12u1 | http://mirror.example.org/debian-security bookworm-security/main amd64 Packages\n\
               linux-source-6.12 | 6.12.118-1~deb12u1 | http://mirror.example.org/debian-security bookworm-security/main amd64 Packages\n\
               linux-source-6.1 | 6.1.150-1 | http://mirror.example.org/debian bookworm/main amd64 Packages\n";
    assert_eq!(
        parse_madison(out, "linux-source-6.12"),
        ["6.12.118-1~deb12u1", "6.12.117-1~deb12u1"]
    );
    assert!(parse_madison("", "linux-source-7.3").is_empty());
}

#[test]
fn the_tarball_top_directory_is_checked() {
    let ok: Vec<String> = ["linux-source-7.3/", "linux-source-7.3/Makefile"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    check_top_dir(&ok, "linux-source-7.3").unwrap();
    let dotted: Vec<String> = vec!["./linux-source-7.3/Makefile".into()];
    check_top_dir(&dotted, "linux-source-7.3").unwrap();
    let other: Vec<String> = vec!["linux-7.3/".into(), "linux-7.3/Makefile".into()];
    let msg = format!(
        "{:#}",
        check_top_dir(&other, "linux-source-7.3").unwrap_err()
    );
    assert!(
        msg.contains("not linux-source-7.3/") && msg.contains("found linux-7.3/"),
        "{msg}"
    );
    let flat: Vec<String> = vec!["Makefile".into(), "linux-source-7.3/x".into()];
    let msg = format!(
        "{:#}",
        check_top_dir(&flat, "linux-source-7.3").unwrap_err()
    );
    assert!(msg.contains("Makefile/"), "{msg}");
}

/// An archive that serves fixed versions and builds `.deb`s on request;
/// every call is recorded.
struct FakeArchive {
    served: Vec<String>,
    update_fails: bool,
    top_dir: String,
    calls: RefCell<Vec<String>>,
    log: PathBuf,
}

impl FakeArchive {
    fn new(served: &[&str], top_dir: &str, cache: &Path) -> Self {
        Self {
            served: served.iter().map(|s| s.to_string()).collect(),
            update_fails: false,
            top_dir: top_dir.into(),
            calls: RefCell::new(Vec::new()),
            log: cache.join("logs/apt-fake.log"),
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Archive for FakeArchive {
    fn update(&self) -> Result<()> {
        self.calls.borrow_mut().push("update".into());
        if self.update_fails {
            bail!("apt-get update (private lists) failed (exit status: 100)");
        }
        Ok(())
    }

    fn has_lists(&self) -> bool {
        true
    }

    fn served(&self, package: &str) -> Result<Vec<String>> {
        self.calls.borrow_mut().push(format!("served {package}"));
        Ok(self.served.clone())
    }

    fn download(&self, package: &str, version: &str, dir: &Path) -> Result<PathBuf> {
        self.calls
            .borrow_mut()
            .push(format!("download {package}={version}"));
        // A source package as Debian builds it: usr/src/<package>.tar.xz
        // whose one top directory is `top_dir`.
        let work = tempfile::tempdir()?;
        let tree = work.path().join(&self.top_dir);
        std::fs::create_dir_all(&tree)?;
        std::fs::write(tree.join("Makefile"), "VERSION = 7\n")?;
        let root = work.path().join("root");
        std::fs::create_dir_all(root.join("DEBIAN"))?;
        std::fs::create_dir_all(root.join("usr/src"))?;
        std::fs::write(
            root.join("DEBIAN/control"),
            format!(
                "Package: {package}\nVersion: {version}\nArchitecture: all\n\
                 Maintainer: Test <test@example.org>\nDescription: test\n"
            ),
        )?;
        run(Command::new("tar")
            .current_dir(work.path())
            .arg("-cJf")
            .arg(root.join(format!("usr/src/{package}.tar.xz")))
            .arg(&self.top_dir));
        let deb = dir.join(format!("{package}_{version}_all.deb"));
        run(Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zgzip", "--build"])
            .arg(&root)
            .arg(&deb));
        Ok(deb)
    }

    fn log(&self) -> PathBuf {
        self.log.clone()
    }
}

#[test]
fn a_fetched_source_is_published_then_taken_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let archive = FakeArchive::new(
        &["6.12.117-1~deb12u1", "6.12.118-1~deb12u1"],
        "linux-source-6.12",
        cache.path(),
    );
    let s = resolve(cache.path(), Base::V6_12, &VersionPolicy::Latest, &archive).unwrap();
    assert_eq!(s.version, "6.12.118-1~deb12u1");
    assert!(s.downloaded);
    assert_eq!(
        s.tarball,
        cache
            .path()
            .join("sources/linux-source-6.12_6.12.118-1~deb12u1/linux-source-6.12.tar.xz")
    );
    assert!(s.tarball.is_file());
    assert!(
        !s.tarball.parent().unwrap().join("deb").exists(),
        "the .deb is not kept"
    );
    assert_eq!(
        cached_versions(cache.path(), Base::V6_12),
        ["6.12.118-1~deb12u1"]
    );
    assert!(cached_versions(cache.path(), Base::V7_3).is_empty());

    // Latest asks the archive again, finds the same version cached.
    let again = resolve(cache.path(), Base::V6_12, &VersionPolicy::Latest, &archive).unwrap();
    assert!(!again.downloaded);
    assert_eq!(again.tarball, s.tarball);
    assert_eq!(
        archive.calls(),
        [
            "update",
            "served linux-source-6.12",
            "download linux-source-6.12=6.12.118-1~deb12u1",
            "update",
            "served linux-source-6.12",
        ]
    );

    // A tarball cut short (a crash between the data and the manifest) is
    // never taken from the cache.
    let len = std::fs::metadata(&s.tarball).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&s.tarball)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    assert!(cached_source(cache.path(), Base::V6_12, "6.12.118-1~deb12u1").is_none());
}

#[test]
fn a_cached_pin_is_used_without_the_archive() {
    let cache = tempfile::tempdir().unwrap();
    let online = FakeArchive::new(&["6.12.117-1~deb12u1"], "linux-source-6.12", cache.path());
    resolve(
        cache.path(),
        Base::V6_12,
        &VersionPolicy::Pin("6.12.117".into()),
        &online,
    )
    .unwrap();
    // The archive is unreachable now: a pin in the cache needs nothing.
    let mut offline = FakeArchive::new(&[], "linux-source-6.12", cache.path());
    offline.update_fails = true;
    for pin in ["6.12.117", "6.12.117-1~deb12u1"] {
        let s = resolve(
            cache.path(),
            Base::V6_12,
            &VersionPolicy::Pin(pin.into()),
            &offline,
        )
        .unwrap();
        assert_eq!(s.version, "6.12.117-1~deb12u1");
        assert!(!s.downloaded);
    }
    assert!(offline.calls().is_empty(), "{:?}", offline.calls());
    assert!(matches!(
        preview(
            cache.path(),
            Base::V6_12,
            &VersionPolicy::Pin("6.12.117".into()),
            &offline
        ),
        Preview::Cached(_)
    ));
}

#[test]
fn an_unreachable_archive_names_the_step_the_log_and_the_cached_versions() {
    let cache = tempfile::tempdir().unwrap();
    let online = FakeArchive::new(&["7.3.4-1~bpo13+1"], "linux-source-7.3", cache.path());
    resolve(cache.path(), Base::V7_3, &VersionPolicy::Latest, &online).unwrap();
    let mut offline = FakeArchive::new(&[], "linux-source-7.3", cache.path());
    offline.update_fails = true;
    let msg = format!(
        "{:#}",
        resolve(cache.path(), Base::V7_3, &VersionPolicy::Latest, &offline).unwrap_err()
    );
    assert!(msg.contains("apt-get update"), "{msg}");
    assert!(msg.contains("logs/apt-fake.log"), "{msg}");
    assert!(msg.contains("cached: 7.3.4-1~bpo13+1"), "{msg}");
    assert!(
        msg.contains("--base 7.3 --base-version 7.3.4-1~bpo13+1"),
        "{msg}"
    );
    // A pin the cache does not have still needs the archive.
    let msg = format!(
        "{:#}",
        resolve(
            cache.path(),
            Base::V7_3,
            &VersionPolicy::Pin("7.3.5".into()),
            &offline
        )
        .unwrap_err()
    );
    assert!(msg.contains("apt-get update"), "{msg}");
}

#[test]
fn a_tarball_with_another_top_directory_is_never_published() {
    let cache = tempfile::tempdir().unwrap();
    let archive = FakeArchive::new(&["7.3.4-1~bpo13+1"], "linux-7.3", cache.path());
    let msg = format!(
        "{:#}",
        resolve(cache.path(), Base::V7_3, &VersionPolicy::Latest, &archive).unwrap_err()
    );
    assert!(
        msg.contains("not linux-source-7.3/") && msg.contains("found linux-7.3/"),
        "{msg}"
    );
    assert!(cached_versions(cache.path(), Base::V7_3).is_empty());
    assert!(cached_source(cache.path(), Base::V7_3, "7.3.4-1~bpo13+1").is_none());
}

#[test]
fn dry_run_preview_reads_the_lists_without_updating() {
    let cache = tempfile::tempdir().unwrap();
    let archive = FakeArchive::new(
        &["7.3.4-1~bpo13+1", "7.3.3-1~bpo13+1"],
        "linux-source-7.3",
        cache.path(),
    );
    match preview(cache.path(), Base::V7_3, &VersionPolicy::Latest, &archive) {
        Preview::WouldFetch(v) => assert_eq!(v, "7.3.4-1~bpo13+1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(archive.calls(), ["served linux-source-7.3"]);
}
