use tipc_verifier::setup::*;

const DPKG_OUT: &str = "linux-source-6.12\tii \t6.12.117-1~deb12u1\n\
ccache\tii \t4.8+really4.7.5-1\n\
rustc-web\tii \t1.96.0+dfsg1-1~deb12u2\n\
qemu-system-x86\trc \t1:7.2+dfsg-7+deb12u18\n\
tcpdump:amd64\tii \t4.99.3-1\n";

#[test]
fn dpkg_rows_only_count_when_installed() {
    let m = parse_dpkg_query(DPKG_OUT);
    assert_eq!(
        m.get("linux-source-6.12").map(String::as_str),
        Some("6.12.117-1~deb12u1")
    );
    assert_eq!(
        m.get("tcpdump").map(String::as_str),
        Some("4.99.3-1"),
        "arch suffix is dropped"
    );
    assert!(
        !m.contains_key("qemu-system-x86"),
        "removed-but-configured (rc) is not installed"
    );
}

#[test]
fn missing_and_wrong_packages_are_named() {
    let m = parse_dpkg_query(DPKG_OUT);
    let findings = judge_packages(&m);
    let qemu = findings
        .iter()
        .find(|f| f.what == "package qemu-system-x86")
        .expect("qemu is a requirement");
    assert_eq!(qemu.state, State::Missing);
    let ccache = findings
        .iter()
        .find(|f| f.what == "package ccache")
        .expect("ccache is a requirement: every kernel build runs behind it");
    assert!(ccache.ok());

    // A version rule still names what was found and what is wanted.
    let pinned = [Package {
        name: "ccache",
        why: "test",
        rule: VersionRule::Prefix("4.9"),
    }];
    match &judge(&pinned, &m)[0].state {
        State::Wrong { found, wanted } => {
            assert_eq!(found, "4.8+really4.7.5-1");
            assert_eq!(wanted, "4.9*");
        }
        other => panic!("a different version must be wrong, got {other:?}"),
    }
}

#[test]
fn the_kernel_source_is_not_a_host_package() {
    // Each base's source package is fetched into the cache, never
    // installed: whatever linux-source the host has (or lacks) is fine.
    assert!(PACKAGES.iter().all(|p| !p.name.starts_with("linux-source")));
    let m = parse_dpkg_query(DPKG_OUT);
    assert!(judge_packages(&m)
        .iter()
        .all(|f| !f.what.contains("linux-source")));
}

#[test]
fn every_package_is_judged_once() {
    let findings = judge_packages(&Default::default());
    assert_eq!(findings.len(), PACKAGES.len());
    assert!(findings.iter().all(|f| f.state == State::Missing));
}

#[test]
fn rustc_version_is_checked_against_the_kernel_minimum() {
    assert!(judge_rustc(Some(
        "rustc 1.96.0 (abc 2026-05-01) (built from a source tarball)"
    ))
    .ok());
    assert!(matches!(
        judge_rustc(Some("rustc 1.70.0 (90c541806 2023-05-31)")).state,
        State::Wrong { .. }
    ));
    assert_eq!(judge_rustc(None).state, State::Missing);
    assert!(matches!(
        judge_rustc(Some("garbage")).state,
        State::Wrong { .. }
    ));
}

#[test]
fn bindgen_must_be_the_pinned_version() {
    assert!(judge_bindgen(Some("bindgen 0.73.2\n")).ok());
    assert!(matches!(
        judge_bindgen(Some("bindgen 0.60.1")).state,
        State::Wrong { .. }
    ));
    assert_eq!(judge_bindgen(None).state, State::Missing);
}
