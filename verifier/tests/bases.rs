//! The two kernel bases: what each names (series, overlay, fragment,
//! scenarios), the kernel cache keys, ccache on every build, the check
//! plan and the command line (`--base`, `--base-version`).

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use tipc_verifier::base::{Base, BACKPORT_SCENARIOS};
use tipc_verifier::check;
use tipc_verifier::kbuild::{self, Flavour, Series};
use tipc_verifier::scenario;

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn verifier() -> Command {
    Command::cargo_bin("tipc-verifier").expect("binary built")
}

#[test]
fn each_base_names_its_package_suite_series_and_fragment() {
    assert_eq!(Base::ALL, [Base::V7_3, Base::V6_12]);
    assert_eq!(Base::V7_3.package(), "linux-source-7.3");
    assert_eq!(Base::V7_3.extra_suites(), ["trixie-backports"]);
    assert_eq!(
        Base::V7_3.tarball_member(),
        "usr/src/linux-source-7.3.tar.xz"
    );
    assert_eq!(Base::V7_3.top_dir(), "linux-source-7.3");
    assert_eq!(Base::V6_12.package(), "linux-source-6.12");
    assert!(Base::V6_12.extra_suites().is_empty());
    for base in Base::ALL {
        assert!(base.series_dir(&project()).join("series.conf").is_file());
        assert!(base.fragment(&project()).is_file(), "{base}");
    }
    assert_eq!(
        Flavour::Patched.fragments(&project(), Base::V6_12),
        [
            project().join("vm/kconfig/base.config"),
            project().join("vm/kconfig/base-6.12.config"),
            project().join("vm/kconfig/patched.config"),
        ],
        "the base's fragment right after base.config"
    );
    // The debug kernel on both bases (6.12's for stress of the backport or
    // of v1), KUnit on 7.3 only: the backport has no KUnit patch.
    assert!(Base::V7_3.builds(Flavour::Debug));
    assert!(Base::V6_12.builds(Flavour::Debug));
    let kunit = project().join("vm/kconfig/debug-7.3.config");
    assert_eq!(
        Flavour::Debug.fragments(&project(), Base::V7_3).last(),
        Some(&kunit)
    );
    let debug_6_12 = Flavour::Debug.fragments(&project(), Base::V6_12);
    assert_eq!(
        debug_6_12.last(),
        Some(&project().join("vm/kconfig/debug.config"))
    );
    let text = std::fs::read_to_string(&kunit).unwrap();
    assert!(text
        .lines()
        .any(|l| l == "CONFIG_TIPC_CROSSOVER_KUNIT_TEST=y"));
    let text = std::fs::read_to_string(project().join("vm/kconfig/debug.config")).unwrap();
    assert!(!text.contains("KUNIT"), "KUnit belongs to debug-7.3.config");
    // KCSAN cannot share a kernel with KASAN: its own flavour, 7.3 only.
    let kcsan = Flavour::Kcsan.fragments(&project(), Base::V7_3);
    assert_eq!(
        kcsan.last(),
        Some(&project().join("vm/kconfig/kcsan.config"))
    );
    assert!(kcsan.contains(&project().join("vm/kconfig/patched.config")));
    assert!(!kcsan.iter().any(|f| f.ends_with("debug.config")));
    let text = std::fs::read_to_string(project().join("vm/kconfig/kcsan.config")).unwrap();
    assert!(text.lines().any(|l| l == "CONFIG_KCSAN=y"));
    assert!(!text.contains("CONFIG_KASAN=y"));
    assert!(Base::V7_3.builds(Flavour::Kcsan));
    assert!(!Base::V6_12.builds(Flavour::Kcsan));
    assert!(Base::V6_12.builds(Flavour::Patched));
}

#[test]
fn the_backport_runs_its_named_subset() {
    let names: Vec<&str> = BACKPORT_SCENARIOS.iter().map(|f| f().name).collect();
    assert_eq!(
        names,
        [
            "veth_classes",
            "crossover_toggle",
            "forged_discovery",
            "netns_recreate",
            "kselftest",
            "module_cycle"
        ]
    );
    assert_eq!(Base::V6_12.scenario_names(), names);
    for s in Base::V6_12.scenarios() {
        let kernels = match s.name {
            "crossover_toggle" => scenario::PATCHED_ONLY,
            "veth_classes" | "netns_recreate" => scenario::WITH_MODULES,
            "module_cycle" => scenario::MODULES_ONLY,
            _ => scenario::BOTH,
        };
        assert_eq!(s.kernels, kernels, "{} runs on {kernels:?}", s.name);
    }
    assert_eq!(Base::V7_3.scenarios().len(), scenario::catalogue().len());
}

#[test]
fn the_help_and_the_list_state_the_subset() {
    let help = verifier().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for f in BACKPORT_SCENARIOS {
        assert!(help.contains(f().name), "check --help names {}", f().name);
    }
    verifier()
        .args(["check", "--list", "--base", "6.12"])
        .assert()
        .success()
        .stdout(predicate::str::contains("base 6.12"))
        .stdout(predicate::str::contains("netns_recreate"))
        .stdout(predicate::str::contains("veth_rdm").not());
    verifier()
        .args(["check", "--list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("base 7.3").and(predicate::str::contains("base 6.12")));
}

#[test]
fn kernel_keys_differ_by_base_version_alone() {
    let cache = tempfile::tempdir().unwrap();
    let key = |base: Base, version: &str| {
        let series = Series::of_project(&project(), base).unwrap();
        kbuild::kernel_key(
            &project(),
            cache.path(),
            base,
            version,
            Flavour::Stock,
            Some(&series),
        )
        .unwrap()
        .key()
    };
    let a = key(Base::V6_12, "6.12.117-1~deb12u1");
    assert_eq!(a, key(Base::V6_12, "6.12.117-1~deb12u1"));
    assert_ne!(a, key(Base::V6_12, "6.12.118-1~deb12u1"));
    assert_ne!(
        key(Base::V7_3, "7.3.4-1~bpo13+1"),
        key(Base::V6_12, "7.3.4-1~bpo13+1"),
        "the base is an input of its own"
    );
    let own = Series::of_project(&project(), Base::V7_3).unwrap();
    let inputs = kbuild::kernel_key(
        &project(),
        cache.path(),
        Base::V7_3,
        "7.3.4-1~bpo13+1",
        Flavour::Patched,
        Some(&own),
    )
    .unwrap();
    let names: Vec<&str> = inputs.inputs().iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"base package"));
    assert!(names.contains(&"fragment base-7.3.config"));
    // `git format-patch -v2` names the files v2-0001-...
    assert!(names
        .iter()
        .any(|n| n.starts_with("patch ") && n.contains("0001-")));
    assert_ne!(
        kbuild::kernel_entry(cache.path(), Base::V7_3, Flavour::Stock, "k"),
        kbuild::kernel_entry(cache.path(), Base::V6_12, Flavour::Stock, "k")
    );
    assert_ne!(
        kbuild::trees_dir(cache.path(), "6.12.117-1~deb12u1"),
        kbuild::trees_dir(cache.path(), "6.12.118-1~deb12u1")
    );
}

#[test]
fn each_series_comes_from_its_directory_with_its_overlay() {
    let s73 = Series::of_project(&project(), Base::V7_3).unwrap();
    let s612 = Series::of_project(&project(), Base::V6_12).unwrap();
    assert!(s73
        .patches
        .iter()
        .all(|p| p.starts_with(project().join("patches"))));
    assert!(s612
        .patches
        .iter()
        .all(|p| p.starts_with(project().join("patches-6.12"))));
    assert!(!s73.patches.is_empty() && !s612.patches.is_empty());
    let src = |s: &Series, rel: &str| {
        s.overlay
            .iter()
            .find(|(r, _)| r == Path::new(rel))
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| panic!("{rel} not in the overlay"))
    };
    // The kernel glue differs per base; the pure modules are one source.
    assert_eq!(
        src(&s73, "net/tipc/crossover.rs"),
        project().join("kernel-rust/net/tipc/crossover.rs")
    );
    assert_eq!(
        src(&s612, "net/tipc/crossover.rs"),
        project().join("kernel-rust/backport-6.12/net/tipc/crossover.rs")
    );
    for pure in [
        "crossover_msg.rs",
        "crossover_peer.rs",
        "crossover_proof.rs",
    ] {
        let rel = format!("net/tipc/{pure}");
        assert_eq!(src(&s73, &rel), src(&s612, &rel), "{rel} is shared");
    }
    // A backport file replaces one, it adds none; 6.12 leaves out only
    // the KUnit tests (no `#[kunit_tests]` there).
    assert_eq!(
        Base::V6_12.overlay_excludes(),
        ["net/tipc/crossover_kunit.rs"]
    );
    assert!(s73
        .overlay
        .iter()
        .any(|(rel, _)| rel == Path::new("net/tipc/crossover_kunit.rs")));
    assert_eq!(
        s73.overlay.len(),
        s612.overlay.len() + Base::V6_12.overlay_excludes().len(),
        "a backport file replaces one, it adds none"
    );
}

#[test]
fn every_kernel_build_runs_behind_ccache() {
    let cache = Path::new("/cache-root");
    assert!(kbuild::make_vars(cache).contains(&"CC=ccache clang-19".to_string()));
    let cmd = kbuild::make_command(Path::new("/tree"), cache);
    let envs: Vec<(String, String)> = cmd
        .get_envs()
        .filter_map(|(k, v)| {
            Some((
                k.to_string_lossy().into_owned(),
                v?.to_string_lossy().into_owned(),
            ))
        })
        .collect();
    let get = |k: &str| {
        envs.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{k} not set"))
    };
    assert_eq!(get("CCACHE_DIR"), "/cache-root/ccache");
    assert_eq!(get("CCACHE_BASEDIR"), "/cache-root/trees");
    assert_eq!(get("CCACHE_MAXSIZE"), "20G");
    assert!(get("CCACHE_SLOPPINESS").contains("include_file_mtime"));
}

#[test]
fn the_check_plan_per_base() {
    let kernels = [Flavour::Stock, Flavour::Patched];
    let (plans, notes) = check::plan(&Base::ALL, false, &kernels, &[], false, true).unwrap();
    assert_eq!(plans.len(), 2);
    // Every scenario but kunit and module_cycle, which need the debug and
    // the modules kernel.
    assert_eq!(plans[0].scenarios.len(), scenario::catalogue().len() - 2);
    assert_eq!(plans[1].scenarios.len(), BACKPORT_SCENARIOS.len() - 1);
    assert!(notes.is_empty());

    // A scenario outside the subset: the default bases skip 6.12 and say so.
    let only = vec!["veth_rdm".to_string()];
    let (plans, notes) = check::plan(&Base::ALL, false, &kernels, &only, false, true).unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].base, Base::V7_3);
    assert!(notes.iter().any(|n| n.contains("6.12")), "{notes:?}");
    // Named explicitly, 6.12 with nothing to run is an error.
    let err = check::plan(&[Base::V6_12], true, &kernels, &only, false, true).unwrap_err();
    assert!(format!("{err:#}").contains("netns_recreate"), "{err:#}");
    // 6.12's debug kernel runs the backport's scenarios when named, and
    // is not in the default set.
    let (plans, _) =
        check::plan(&[Base::V6_12], true, &[Flavour::Debug], &[], false, true).unwrap();
    assert_eq!(plans[0].kernels, [Flavour::Debug]);
    assert!(plans[0]
        .scenarios
        .iter()
        .any(|s| plans[0].runs(s, Flavour::Debug)));
    let all = [Flavour::Stock, Flavour::Patched, Flavour::Debug];
    let (plans, _) = check::plan(&Base::ALL, false, &all, &[], false, false).unwrap();
    assert!(plans[0].kernels.contains(&Flavour::Debug));
    assert!(!plans[1].kernels.contains(&Flavour::Debug));
    // `--kernel debug` without `--base 6.12` keeps to 7.3's debug kernel.
    let (plans, _) = check::plan(&Base::ALL, false, &[Flavour::Debug], &[], false, true).unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].base, Base::V7_3);
    let err = check::plan(&[Base::V6_12], true, &[Flavour::Kcsan], &[], false, true).unwrap_err();
    assert_eq!(
        tipc_verifier::exit::status_of(&err),
        tipc_verifier::exit::USAGE
    );
    assert!(format!("{err:#}").contains("7.3 only"), "{err:#}");
    assert!(check::plan(&Base::ALL, false, &kernels, &["nope".into()], false, true).is_err());
    // The sanitizer kernels are the series: they run what patched runs.
    let (plans, _) = check::plan(&[Base::V7_3], true, &[Flavour::Kcsan], &[], false, true).unwrap();
    let timed = scenario::catalogue()
        .iter()
        .filter(|s| s.cost.timed())
        .count();
    assert_eq!(timed, 2, "discovery_scale, claimants");
    // ... but the timing, the debug kernel's KUnit suite and the modules
    // kernel's load cycles.
    assert_eq!(
        plans[0].scenarios.len(),
        scenario::catalogue().len() - timed - 2
    );
    assert!(!plans[0].scenarios.iter().any(|s| s.cost.timed()));
    // make test's subset: 6.12 keeps its patched kernel only, 7.3 both.
    let (plans, notes) = check::plan(&Base::ALL, false, &kernels, &[], true, true).unwrap();
    assert_eq!(plans[0].kernels, vec![Flavour::Stock, Flavour::Patched]);
    assert_eq!(plans[1].kernels, vec![Flavour::Patched]);
    assert_eq!(plans[1].scenarios.len(), BACKPORT_SCENARIOS.len() - 1);
    assert!(notes.iter().any(|n| n.contains("--quick")), "{notes:?}");
    assert_eq!(
        check::share_dir(
            Path::new("out"),
            Base::V6_12,
            Flavour::Patched,
            "veth_classes"
        ),
        Path::new("out/6.12.patched.veth_classes")
    );
}

#[test]
fn the_patched_c_kernel_runs_what_patched_runs_and_only_veth_classes_in_quick() {
    let kernels = [Flavour::Stock, Flavour::Patched, Flavour::PatchedC];
    let (plans, _) = check::plan(&Base::ALL, false, &kernels, &[], false, true).unwrap();
    for p in &plans {
        assert_eq!(p.kernels, kernels, "{}", p.base);
        for scn in &p.scenarios {
            // Every scenario the Rust build runs but the cost measurement,
            // which the C walk would fail.
            assert_eq!(
                p.runs(scn, Flavour::PatchedC),
                p.runs(scn, Flavour::Patched) && !scn.cost.timed(),
                "{} {}",
                p.base,
                scn.name
            );
        }
    }
    let (plans, notes) = check::plan(&Base::ALL, false, &kernels, &[], true, true).unwrap();
    let ran: Vec<&str> = plans[0]
        .scenarios
        .iter()
        .filter(|s| plans[0].runs(s, Flavour::PatchedC))
        .map(|s| s.name)
        .collect();
    assert_eq!(ran, check::QUICK_PATCHED_C);
    assert!(plans[0]
        .scenarios
        .iter()
        .all(|s| plans[0].runs(s, Flavour::Stock) == s.runs_on(Flavour::Stock)));
    assert_eq!(plans[1].kernels, vec![Flavour::Patched]);
    assert!(notes.iter().any(|n| n.contains("patched-c")), "{notes:?}");
    assert_eq!(Flavour::PatchedC.name(), "patched-c");
    assert!(Flavour::PatchedC.has_series());
}

#[test]
fn base_version_needs_exactly_one_base() {
    for args in [
        &["check", "--base-version", "6.12.117"][..],
        &[
            "check",
            "--base",
            "7.3",
            "--base",
            "6.12",
            "--base-version",
            "6.12.117",
        ],
    ] {
        verifier().args(args).assert().code(2).stderr(
            predicate::str::contains("exactly one").and(predicate::str::contains("--base")),
        );
    }
    verifier()
        .args(["check", "--base", "5.10"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("7.3").and(predicate::str::contains("6.12")));
    verifier()
        .args(["review", "--base", "6.13"])
        .assert()
        .code(2);
}

/// A cache holding a published source entry, as `kernel_source` writes it.
fn cache_with_source(base: Base, version: &str) -> tempfile::TempDir {
    let cache = tempfile::tempdir().unwrap();
    let entry = tipc_verifier::kernel_source::entry_dir(cache.path(), base.package(), version);
    std::fs::create_dir_all(&entry).unwrap();
    std::fs::write(entry.join(base.tarball_name()), b"not read by a dry run").unwrap();
    write_manifest(&entry, base, version);
    cache
}

/// The source manifest, with the tarball's real size (a cached tarball of
/// another size is not used).
fn write_manifest(entry: &std::path::Path, base: Base, version: &str) {
    let bytes = std::fs::metadata(entry.join(base.tarball_name()))
        .unwrap()
        .len();
    std::fs::write(
        entry.join("manifest.json"),
        serde_json::json!({
            "base": base.name(), "package": base.package(), "version": version,
            "tarball": base.tarball_name(), "top_dir": base.top_dir(), "bytes": bytes
        })
        .to_string(),
    )
    .unwrap();
}

#[test]
fn a_dry_run_with_a_cached_pin_names_it_and_needs_no_network() {
    let cache = cache_with_source(Base::V6_12, "6.12.117-1~deb12u1");
    let out = cache.path().join("out");
    verifier()
        .current_dir(project())
        .env("TIPC_VERIFIER_CACHE", cache.path())
        // Any apt call would fail on this configuration.
        .env("TIPC_VERIFIER_APT_ETC", cache.path().join("no-apt"))
        .args([
            "check",
            "--dry-run",
            "--base",
            "6.12",
            "--base-version",
            "6.12.117",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "linux-source-6.12 6.12.117-1~deb12u1 cached",
        ))
        .stdout(predicate::str::contains("# 6.12 stock would build"))
        .stdout(predicate::str::contains("6.12.patched.netns_recreate"))
        .stdout(predicate::str::contains("veth_rdm").not())
        .stdout(predicate::str::contains("-smp 2"));
    assert!(!out.exists(), "a dry run creates nothing");
}

#[test]
fn a_dry_run_without_a_cache_says_what_it_would_fetch() {
    let cache = tempfile::tempdir().unwrap();
    verifier()
        .current_dir(project())
        .env("TIPC_VERIFIER_CACHE", cache.path())
        .args(["check", "--dry-run", "--base", "7.3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "would fetch linux-source-7.3 the newest version",
        ))
        .stdout(predicate::str::contains("trixie-backports"))
        .stdout(predicate::str::contains(
            "download 'linux-source-7.3=<version>'",
        ))
        .stdout(predicate::str::contains("# 7.3 patched would build"));
    assert!(
        !cache.path().join("apt").exists() && !cache.path().join("sources").exists(),
        "a dry run fetches nothing"
    );
}

#[test]
fn stress_refuses_kcsan_on_the_backport_and_a_bad_series_before_anything_runs() {
    let cache = tempfile::tempdir().unwrap();
    verifier()
        .current_dir(project())
        .env("TIPC_VERIFIER_CACHE", cache.path())
        .args(["stress", "--short", "--base", "6.12", "--kernel", "kcsan"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("7.3 only"))
        .stderr(predicate::str::contains("panicked").not());
    let empty = tempfile::tempdir().unwrap();
    verifier()
        .current_dir(project())
        .env("TIPC_VERIFIER_CACHE", cache.path())
        .args(["stress", "--short", "--base", "6.12", "--series"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no *.patch file"))
        .stderr(predicate::str::contains("panicked").not());
    assert!(
        std::fs::read_dir(cache.path()).unwrap().next().is_none(),
        "nothing fetched or built"
    );
}

/// A one-job build context on `cache`, with the base's version pinned.
fn pinned_context(cache: &Path, base: Base, version: &str) -> kbuild::BuildContext {
    kbuild::BuildContext::new(
        project(),
        cache.to_path_buf(),
        1,
        base,
        tipc_verifier::kernel_source::VersionPolicy::Pin(version.into()),
    )
}

/// A cache holding a real (tiny) source tarball whose top directory is `top`.
fn cache_with_tarball(base: Base, version: &str, top: &str) -> tempfile::TempDir {
    let cache = cache_with_source(base, version);
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join(top).join("net/tipc")).unwrap();
    std::fs::write(work.path().join(top).join("Makefile"), "VERSION = 6\n").unwrap();
    std::fs::write(work.path().join(top).join("net/tipc/node.c"), "int x;\n").unwrap();
    std::fs::write(work.path().join(top).join(".gitignore"), "*.o\nvmlinux\n").unwrap();
    let tarball = tipc_verifier::kernel_source::entry_dir(cache.path(), base.package(), version)
        .join(base.tarball_name());
    let ok = std::process::Command::new("tar")
        .current_dir(work.path())
        .arg("-cJf")
        .arg(&tarball)
        .arg(top)
        .status()
        .unwrap()
        .success();
    assert!(ok, "tar");
    write_manifest(tarball.parent().unwrap(), base, version);
    cache
}

#[test]
fn the_base_repository_is_the_tarball_committed_with_its_package_and_version() {
    let version = "6.12.117-1~deb12u1";
    let cache = cache_with_tarball(Base::V6_12, version, "linux-source-6.12");
    let ctx = pinned_context(cache.path(), Base::V6_12, "6.12.117");
    let stock = kbuild::ensure_base_repo(&ctx).expect("base repository");
    assert_eq!(
        stock,
        kbuild::trees_dir(cache.path(), version).join("stock")
    );
    assert!(stock.join("net/tipc/node.c").is_file());
    let log = std::process::Command::new("git")
        .current_dir(&stock)
        .args(["log", "-1", "--format=%s", "base"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).trim(),
        "Linux 6.12 base (Debian linux-source-6.12 6.12.117-1~deb12u1)"
    );
}

#[test]
fn a_tarball_with_another_top_directory_names_what_it_found() {
    let cache = cache_with_tarball(Base::V7_3, "7.3.4-1~bpo13+1", "linux-7.3");
    let ctx = pinned_context(cache.path(), Base::V7_3, "7.3.4");
    let msg = format!("{:#}", kbuild::ensure_base_repo(&ctx).unwrap_err());
    assert!(
        msg.contains("no top directory linux-source-7.3/") && msg.contains("found: linux-7.3"),
        "{msg}"
    );
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

fn set_mtime(p: &Path, t: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A base repository whose stock tree looks built an hour ago: an object
/// newer than its source, `vmlinux`, its build logs and a config stamp.
fn built_stock_tree() -> (tempfile::TempDir, kbuild::BuildContext, PathBuf) {
    let version = "7.3.4-1~bpo13+1";
    let cache = cache_with_tarball(Base::V7_3, version, "linux-source-7.3");
    let ctx = pinned_context(cache.path(), Base::V7_3, "7.3.4");
    let stock = kbuild::ensure_base_repo(&ctx).expect("base repository");
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    set_mtime(
        &stock.join("net/tipc/node.c"),
        hour_ago - std::time::Duration::from_secs(60),
    );
    for (name, text) in [
        ("net/tipc/node.o", "object"),
        ("vmlinux", "image"),
        (
            ".tipc-verifier-build-logs",
            "net/tipc/node.c:1:5: warning: old\n",
        ),
        (".tipc-verifier-config", "stock's key"),
    ] {
        std::fs::write(stock.join(name), text).unwrap();
        set_mtime(&stock.join(name), hour_ago);
    }
    (cache, ctx, stock)
}

#[test]
fn a_patched_tree_starts_from_the_built_stock_tree_with_its_objects_and_times() {
    let (_cache, ctx, stock) = built_stock_tree();
    let wt = kbuild::ensure_worktree(&ctx, "patched", kbuild::Seed::StockBuild).unwrap();
    assert!(
        wt.join(".git").is_file(),
        "a git worktree, not a copy of the repository"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("net/tipc/node.o")).unwrap(),
        "object"
    );
    for rel in ["net/tipc/node.c", "net/tipc/node.o", "vmlinux"] {
        assert_eq!(
            mtime(&wt.join(rel)),
            mtime(&stock.join(rel)),
            "{rel}: time kept"
        );
    }
    assert!(
        mtime(&wt.join("net/tipc/node.c")) < mtime(&wt.join("net/tipc/node.o")),
        "the object stays newer than its source: make keeps it"
    );
    assert!(
        !wt.join(".tipc-verifier-config").exists()
            && !wt.join(".tipc-verifier-build-logs").exists(),
        "the stock tree's stamps stay there"
    );
    assert_eq!(
        git_out(&wt, &["status", "--porcelain"]),
        "",
        "the index is the base"
    );
    assert_eq!(
        git_out(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "patched"
    );
    // What apply_series does first must not rewrite a source either.
    git_out(&wt, &["checkout", "-q", "-f", "-B", "patched", "base"]);
    assert_eq!(
        mtime(&wt.join("net/tipc/node.c")),
        mtime(&stock.join("net/tipc/node.c"))
    );
    assert_eq!(
        kbuild::stock_build_logs(&ctx).unwrap(),
        "net/tipc/node.c:1:5: warning: old\n"
    );
}

#[test]
fn a_sanitizer_tree_or_an_unbuilt_stock_tree_gives_a_plain_checkout() {
    let (_cache, ctx, _stock) = built_stock_tree();
    let wt = kbuild::ensure_worktree(&ctx, "debug", kbuild::Seed::Nothing).unwrap();
    assert!(wt.join("net/tipc/node.c").is_file());
    assert!(
        !wt.join("net/tipc/node.o").exists(),
        "KASAN objects differ: nothing kept"
    );

    let (_cache, ctx, stock) = built_stock_tree();
    std::fs::remove_file(stock.join(".tipc-verifier-build-logs")).unwrap();
    let wt = kbuild::ensure_worktree(&ctx, "patched", kbuild::Seed::StockBuild).unwrap();
    assert!(wt.join("net/tipc/node.c").is_file());
    assert!(
        !wt.join("net/tipc/node.o").exists(),
        "a stock tree without its build logs is not a seed (the review would miss its warnings)"
    );
}

#[test]
fn the_default_kernels_run_the_kunit_suite_on_the_debug_kernel_and_nothing_else() {
    let kernels = [
        Flavour::Stock,
        Flavour::Patched,
        Flavour::PatchedC,
        Flavour::Debug,
    ];
    for quick in [false, true] {
        let (plans, notes) = check::plan(&Base::ALL, false, &kernels, &[], quick, false).unwrap();
        let p = &plans[0];
        assert_eq!(p.base, Base::V7_3);
        let on_debug: Vec<&str> = p
            .scenarios
            .iter()
            .filter(|s| p.runs(s, Flavour::Debug))
            .map(|s| s.name)
            .collect();
        assert_eq!(on_debug, check::DEBUG_DEFAULT, "quick {quick}");
        assert!(p.scenarios.iter().any(|s| s.name == "kunit"));
        // 6.12 builds no debug kernel and does not say so for a default set.
        assert!(!plans[1].kernels.contains(&Flavour::Debug));
        assert!(!plans[1].scenarios.iter().any(|s| s.name == "kunit"));
        assert!(!notes.iter().any(|n| n.contains("debug")), "{notes:?}");
    }
    // Named, the debug kernel runs every patched scenario, kunit included.
    let (plans, _) = check::plan(&[Base::V7_3], true, &[Flavour::Debug], &[], false, true).unwrap();
    let ran = plans[0]
        .scenarios
        .iter()
        .filter(|s| plans[0].runs(s, Flavour::Debug))
        .count();
    assert!(ran > 10, "{ran}");
    // kunit needs the debug kernel.
    let only = vec!["kunit".to_string()];
    let err =
        check::plan(&[Base::V7_3], true, &[Flavour::Patched], &only, false, true).unwrap_err();
    assert!(format!("{err:#}").contains("nothing selected"), "{err:#}");
}

#[test]
fn the_modules_kernel_runs_veth_classes_netns_recreate_and_the_cycles_on_both_bases() {
    let (plans, _) = check::plan(&Base::ALL, false, &[Flavour::Modules], &[], false, true).unwrap();
    assert_eq!(plans.len(), 2);
    for p in &plans {
        let names: Vec<&str> = p.scenarios.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["veth_classes", "netns_recreate", "module_cycle"],
            "{}",
            p.base
        );
    }
    let frags = |base| -> Vec<String> {
        Flavour::Modules
            .fragments(&project(), base)
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    // MODVERSIONS on 7.3 only: 6.12's Rust excludes it.
    assert!(frags(Base::V7_3).contains(&"modules-7.3.config".to_string()));
    assert!(!frags(Base::V6_12).iter().any(|f| f.starts_with("modules-")));
    assert!(frags(Base::V6_12).contains(&"modules.config".to_string()));
    assert!(Flavour::Modules.has_series() && Flavour::Modules.builds_modules());
    let text = std::fs::read_to_string(project().join("vm/kconfig/modules-7.3.config")).unwrap();
    assert!(text.lines().any(|l| l == "CONFIG_MODVERSIONS=y"));
    assert!(text.lines().any(|l| l == "CONFIG_GENDWARFKSYMS=y"));
}

#[test]
fn another_series_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "0002-b.patch",
        "0000-cover-letter.patch",
        "0001-a.patch",
        "README",
    ] {
        std::fs::write(dir.path().join(name), name).unwrap();
    }
    let series = Series::from_dir(dir.path()).unwrap();
    assert_eq!(
        series.patches,
        [
            dir.path().join("0001-a.patch"),
            dir.path().join("0002-b.patch")
        ]
    );
    assert!(
        series.overlay.is_empty(),
        "kernel-rust/ is the project's own"
    );
    // Its kernels are not the project's series' kernels.
    let cache = tempfile::tempdir().unwrap();
    let key = |series: &Series| {
        kbuild::kernel_key(
            &project(),
            cache.path(),
            Base::V6_12,
            "6.12.118-1~deb12u1",
            Flavour::Debug,
            Some(series),
        )
        .unwrap()
        .key()
    };
    let own = Series::of_project(&project(), Base::V6_12).unwrap();
    assert_ne!(key(&series), key(&own));
    // Nothing to apply, or no directory: an error that names the option.
    let empty = tempfile::tempdir().unwrap();
    let err = Series::from_dir(empty.path()).err().unwrap();
    assert!(format!("{err:#}").contains("--series"), "{err:#}");
    let err = Series::from_dir(&empty.path().join("nope")).err().unwrap();
    assert!(format!("{err:#}").contains("--series"), "{err:#}");
}
