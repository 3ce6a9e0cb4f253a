//! Mirror discovery from fixture apt configurations (example URIs only)
//! and the private sources list written from them.

use std::fs;
use std::path::Path;
use tipc_verifier::apt_sources::*;
use tipc_verifier::base::Base;

/// A bookworm machine in the deb822 form, as Debian 12 installs it.
const DEBIAN_SOURCES: &str = "\
Types: deb
# http://snapshot.example.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.example.org/archive/debian-security/20250520T000000Z
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
";

/// What the farm disables by renaming: apt ignores these names, so do we.
const DISABLED_SOURCES: &str = "\
Types: deb
URIs: https://deb.vendor.example.com/node_20.x
Suites: nodistro
Components: main
Signed-By: /usr/share/keyrings/vendor.gpg
";

fn etc(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("sources.list.d")).expect("mkdir");
    for (name, text) in files {
        fs::write(dir.path().join(name), text).expect("write fixture");
    }
    dir
}

fn names(dir: &[std::path::PathBuf]) -> Vec<String> {
    dir.iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_deb822_bookworm_machine_gives_its_mirrors() {
    let dir = etc(&[
        ("sources.list.d/debian.sources", DEBIAN_SOURCES),
        (
            "sources.list.d/nodesource.sources.disabled-by-farm",
            DISABLED_SOURCES,
        ),
        (
            "sources.list.d/cloud-sdk.list.disabled-by-farm",
            "deb https://packages.example.com/apt cloud-sdk-bookworm main\n",
        ),
    ]);
    let host = read_host(dir.path()).unwrap();
    assert_eq!(names(&host.read), ["debian.sources"]);
    assert_eq!(
        names(&host.ignored),
        [
            "cloud-sdk.list.disabled-by-farm",
            "nodesource.sources.disabled-by-farm"
        ]
    );
    assert_eq!(host.entries.len(), 2);
    let debian = debian_entries(&host.entries);
    assert_eq!(debian.len(), 2);
    assert_eq!(debian[0].suites, ["bookworm", "bookworm-updates"]);
    let mirror = main_mirror(&debian).expect("a main mirror");
    assert_eq!(mirror.uri, "http://mirror.example.org/debian");
    assert_eq!(
        mirror.signed_by.as_deref(),
        Some("/usr/share/keyrings/debian-archive-keyring.gpg")
    );
}

#[test]
fn the_private_list_adds_the_base_suite_on_the_main_mirror() {
    let dir = etc(&[("sources.list.d/debian.sources", DEBIAN_SOURCES)]);
    let host = read_host(dir.path()).unwrap();
    let k = "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]";
    let entries = private_entries(&host, Base::V7_3.extra_suites()).unwrap();
    let lines: Vec<String> = render(&entries)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            format!("deb {k} http://mirror.example.org/debian bookworm main"),
            format!("deb {k} http://mirror.example.org/debian bookworm-updates main"),
            format!("deb {k} http://mirror.example.org/debian-security bookworm-security main"),
            format!("deb {k} http://mirror.example.org/debian trixie-backports main"),
        ]
    );
    // 6.12 needs nothing beyond the machine's own entries.
    let entries = private_entries(&host, Base::V6_12.extra_suites()).unwrap();
    assert!(!render(&entries).contains("trixie-backports"));
    assert_eq!(
        render(&entries)
            .lines()
            .filter(|l| l.starts_with("deb "))
            .count(),
        3
    );
}

#[test]
fn a_one_line_sources_list_gives_the_same_mirrors() {
    let list = "\
deb http://packages.vendor.example.net/php bookworm main
# the main archive
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg arch=amd64] http://mirror.example.org/debian bookworm main contrib non-free-firmware
deb-src http://mirror.example.org/debian bookworm main
deb http://mirror.example.org/debian bookworm-updates main   # updates
deb http://security.example.org/debian-security bookworm-security main
deb http://archive.example.com/ubuntu jammy main
deb http://mirror.example.org/debian bookworm-backports contrib
";
    let dir = etc(&[("sources.list", list)]);
    let host = read_host(dir.path()).unwrap();
    assert_eq!(names(&host.read), ["sources.list"]);
    assert_eq!(host.entries.len(), 6, "deb-src is not an entry");
    let debian = debian_entries(&host.entries);
    let suites: Vec<&str> = debian
        .iter()
        .flat_map(|e| e.suites.iter().map(String::as_str))
        .collect();
    assert_eq!(
        suites,
        ["bookworm", "bookworm-updates", "bookworm-security"],
        "not a third-party bookworm repository, not Ubuntu, not an entry without main"
    );
    assert!(debian.iter().all(|e| e.components == ["main"]));
    let mirror = main_mirror(&debian).unwrap();
    assert_eq!(mirror.architectures.as_deref(), Some("amd64"));
    let text = render(&private_entries(&host, &["trixie-backports"]).unwrap());
    assert!(text.contains(
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg arch=amd64] \
         http://mirror.example.org/debian trixie-backports main\n"
    ));
    assert!(text.contains("deb http://mirror.example.org/debian bookworm-updates main\n"));
}

#[test]
fn disabled_stanzas_comments_and_inline_keys() {
    let sources = "\
Types: deb deb-src
URIs: http://mirror.example.org/debian http://mirror2.example.org/debian
Suites: trixie
# a comment inside the stanza
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGexample
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: http://old.example.org/debian
Suites: bullseye
Components: main
Enabled: no
";
    let e = parse_deb822(sources, "x.sources");
    assert_eq!(e.len(), 2, "one entry per URI; the disabled stanza is out");
    assert_eq!(e[1].uri, "http://mirror2.example.org/debian");
    assert!(e[0].inline_key());
    assert!(e[0]
        .signed_by
        .as_deref()
        .unwrap()
        .contains("\n\nmQINBGexample\n"));
    // The host already serves the suite: it is not added twice.
    let host = HostSources {
        entries: e,
        ..Default::default()
    };
    let entries = private_entries(&host, &["trixie"]).unwrap();
    assert_eq!(entries.len(), 2);
}

#[test]
fn no_debian_entry_or_no_main_mirror_is_an_error() {
    let dir = etc(&[("sources.list.d/vendor.sources", DISABLED_SOURCES)]);
    let host = read_host(dir.path()).unwrap();
    let msg = format!("{:#}", private_entries(&host, &[]).unwrap_err());
    assert!(msg.contains("no Debian archive entry"), "{msg}");
    assert!(msg.contains("vendor.sources"), "{msg}");

    let only_security = "deb http://security.example.org/debian-security bookworm-security main\n";
    let dir = etc(&[("sources.list", only_security)]);
    let host = read_host(dir.path()).unwrap();
    assert!(
        private_entries(&host, &[]).is_ok(),
        "6.12 needs no extra suite"
    );
    let msg = format!(
        "{:#}",
        private_entries(&host, &["trixie-backports"]).unwrap_err()
    );
    assert!(msg.contains("no main Debian mirror"), "{msg}");
    assert!(read_host(Path::new("/nonexistent-apt-dir"))
        .unwrap()
        .entries
        .is_empty());
}
