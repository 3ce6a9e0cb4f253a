//! The review's text checks on the real series and on broken copies of it.

use std::path::{Path, PathBuf};
use tipc_verifier::review::apply::explain_failure;
use tipc_verifier::review::outcome::Status;
use tipc_verifier::review::patch::{parse_subject, PatchFile};
use tipc_verifier::review::rules::{self, checkpatch_totals, diagnostics, parse_fixes};
use tipc_verifier::series::{fill_cover_letter, overlay_action, parse_conf, OverlayAction};

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn real_series() -> Vec<PatchFile> {
    series_in("patches")
}

/// A series directory's files, cover letter included, in order.
fn series_in(dir: &str) -> Vec<PatchFile> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(project().join(dir))
        .unwrap_or_else(|e| panic!("{dir}/: {e}"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| PatchFile::read(p).expect("readable"))
        .collect()
}

fn status_of(outcomes: &[tipc_verifier::review::outcome::Outcome], check: &str) -> Status {
    outcomes
        .iter()
        .find(|o| o.check == check)
        .unwrap_or_else(|| panic!("no {check} outcome"))
        .status
}

#[test]
fn subject_prefixes_are_taken_apart() {
    let (p, title) = parse_subject("[PATCH net-next v2 3/6] tipc: x").expect("prefix");
    assert_eq!(p.words, ["PATCH", "net-next"]);
    assert_eq!((p.version, p.index, p.total, p.numbered), (2, 3, 6, true));
    assert_eq!(p.tree(), Some("net-next"));
    assert_eq!(p.stem(), "PATCH net-next v2");
    assert_eq!(title, "tipc: x");
    let (p, _) = parse_subject("[RFC PATCH net 0/2] cover").expect("prefix");
    assert_eq!(p.tree(), Some("net"));
    assert_eq!(p.index, 0);
    let (p, _) = parse_subject("[PATCH] lone").expect("prefix");
    assert_eq!((p.tree(), p.numbered, p.total), (None, false, 1));
    assert!(parse_subject("tipc: no prefix").is_none());
}

#[test]
fn the_real_series_pass_the_text_checks() {
    for base in tipc_verifier::base::Base::ALL {
        let dir = base.series_dir_name();
        let series = series_in(dir);
        assert!(series.len() >= 2, "{dir}: a cover letter and patches");
        for o in rules::series_for(&series, base.review_trees()) {
            assert_eq!(o.status, Status::Pass, "{dir}: {}: {}", o.check, o.reason);
        }
        for p in series.iter().filter(|p| !p.is_cover_letter()) {
            let o = rules::signoff(p);
            assert_eq!(
                o.status,
                Status::Pass,
                "{dir}/{}: {}",
                p.file_name(),
                o.reason
            );
            assert!(!p.files.is_empty(), "{dir}/{} touches files", p.file_name());
            assert!(p.files.iter().all(|f| !f.hunks.is_empty() || f.created));
        }
    }
}

#[test]
fn a_patch_without_the_authors_signoff_fails() {
    let series = real_series();
    let p = series
        .iter()
        .find(|p| !p.is_cover_letter())
        .expect("a patch");
    let broken: String = p
        .raw
        .lines()
        .filter(|l| !l.starts_with("Signed-off-by:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let o = rules::signoff(&PatchFile::parse(&p.path, broken));
    assert_eq!(o.status, Status::Fail);
    assert!(o.reason.contains("no Signed-off-by"), "{}", o.reason);

    let other = p.raw.replacen(
        "Signed-off-by: ",
        "Signed-off-by: Someone Else <else@example.org>\nX-Old: ",
        1,
    );
    let o = rules::signoff(&PatchFile::parse(&p.path, other));
    assert_eq!(o.status, Status::Fail, "a sign-off by someone else only");
}

/// Rewrites every subject prefix of the series with `f`.
fn with_prefix(f: impl Fn(u32, u32) -> String) -> Vec<PatchFile> {
    real_series()
        .into_iter()
        .map(|p| {
            let (prefix, _) = parse_subject(&p.subject).expect("prefix");
            // As written: format-patch pads the index to the total's width.
            let old = p.subject[..=p.subject.find(']').expect("]")].to_string();
            assert!(p.raw.contains(&old), "{} has {old}", p.file_name());
            let raw = p.raw.replacen(&old, &f(prefix.index, prefix.total), 1);
            PatchFile::parse(&p.path, raw)
        })
        .collect()
}

#[test]
fn a_wrong_subject_prefix_fails() {
    let no_tree = with_prefix(|m, k| format!("[PATCH {m}/{k}]"));
    let o = rules::series(&no_tree);
    assert_eq!(status_of(&o, "subject_prefix"), Status::Fail);
    assert!(
        o[1].reason.contains("target tree name not specified"),
        "{}",
        o[1].reason
    );

    let wrong_tree = with_prefix(|m, k| format!("[PATCH net-nxt {m}/{k}]"));
    assert_eq!(
        status_of(&rules::series(&wrong_tree), "subject_prefix"),
        Status::Fail
    );

    // A stable branch is a target for the backport's review only.
    let stable = with_prefix(|m, k| format!("[PATCH 6.12.y {m}/{k}]"));
    use tipc_verifier::base::Base;
    assert_eq!(
        status_of(
            &rules::series_for(&stable, Base::V6_12.review_trees()),
            "subject_prefix"
        ),
        Status::Pass
    );
    assert_eq!(
        status_of(
            &rules::series_for(&stable, Base::V7_3.review_trees()),
            "subject_prefix"
        ),
        Status::Fail
    );

    let mixed = with_prefix(|m, k| {
        if m == 2 {
            format!("[PATCH net-next v2 {m}/{k}]")
        } else {
            format!("[PATCH net-next {m}/{k}]")
        }
    });
    assert_eq!(
        status_of(&rules::series(&mixed), "subject_prefix"),
        Status::Fail
    );

    let v3 = with_prefix(|m, k| format!("[PATCH net-next v3 {m}/{k}]"));
    assert_eq!(
        status_of(&rules::series(&v3), "subject_prefix"),
        Status::Pass
    );
}

#[test]
fn gaps_and_wrong_totals_in_the_numbering_fail() {
    let gap = with_prefix(|m, k| format!("[PATCH net-next {}/{k}]", if m == 2 { 7 } else { m }));
    let o = rules::series(&gap);
    assert_eq!(status_of(&o, "numbering"), Status::Fail);
    let total = with_prefix(|m, k| format!("[PATCH net-next {m}/{}]", k + 1));
    assert_eq!(status_of(&rules::series(&total), "numbering"), Status::Fail);
}

#[test]
fn no_cover_letter_or_too_many_patches_fails() {
    let body: Vec<PatchFile> = real_series()
        .into_iter()
        .filter(|p| !p.is_cover_letter())
        .collect();
    assert_eq!(
        status_of(&rules::series(&body), "cover_letter"),
        Status::Fail
    );

    let p = body[0].clone();
    let many: Vec<PatchFile> = (1..=16)
        .map(|i| {
            let raw = p.raw.replacen("1/6]", &format!("{i}/16]"), 1);
            PatchFile::parse(&PathBuf::from(format!("{i:04}-x.patch")), raw)
        })
        .collect();
    assert_eq!(
        status_of(&rules::series(&many), "patch_count"),
        Status::Fail
    );
}

#[test]
fn a_series_for_net_needs_fixes_tags() {
    let net = with_prefix(|m, k| format!("[PATCH net {m}/{k}]"));
    assert_eq!(
        status_of(&rules::series(&net), "fixes_present"),
        Status::Fail
    );
}

#[test]
fn fixes_tags_are_checked_for_form() {
    let t = parse_fixes("f73b12812a3d (\"tipc: improve throughput between nodes in netns\")")
        .expect("well formed");
    assert_eq!(t.hash, "f73b12812a3d");
    assert!(parse_fixes("f73b128 (\"short id\")").is_err());
    assert!(parse_fixes("f73b12812a3d tipc: no quotes").is_err());
    assert!(parse_fixes("zzzzzzzzzzzz (\"not hex\")").is_err());
}

#[test]
fn build_logs_give_warnings_without_line_numbers() {
    let log = "  CC      net/tipc/node.o\n\
net/tipc/node.c:120:6: warning: unused variable 'x' [-Wunused-variable]\n\
  120 |  int x;\n\
warning: unused import: `kernel::prelude`\n\
 --> net/tipc/crossover.rs:3:5\n\
  |\n\
warning: 1 warning emitted\n\
net/tipc/disc.c:9:1: error: expected ';'\n\
vmlinux.o: warning: objtool: tipc_x+0x1f: call to foo() leaves .noinstr.text section\n";
    let d = diagnostics(log);
    assert_eq!(d.len(), 4, "{d:#?}");
    assert!(d.iter().any(|d| d.file == "vmlinux.o"));
    let long = format!(
        "Symbol _RINv{} too long for kallsyms (514 >= 512).",
        "x".repeat(500)
    );
    let k = diagnostics(&format!(
        "{long}\nPlease increase KSYM_NAME_LEN both in kernel and kallsyms.c\n"
    ));
    assert_eq!(k.len(), 1, "{k:#?}");
    assert_eq!(
        (k[0].file.as_str(), k[0].severity.as_str()),
        ("kallsyms", "warning")
    );
    assert!(k[0].text.contains("514 >= 512"), "{}", k[0].text);
    assert!(d
        .iter()
        .any(|d| d.file == "net/tipc/crossover.rs"
            && d.message == "unused import: `kernel::prelude`"));
    assert!(d
        .iter()
        .any(|d| d.file == "net/tipc/node.c" && d.message.starts_with("unused variable")));
    assert!(d.iter().any(|d| d.severity == "error"));
}

#[test]
fn checkpatch_totals_are_read() {
    let out = "ERROR: trailing whitespace\n#20: FILE: net/tipc/a.c:3:\n\
total: 1 errors, 2 warnings, 0 checks, 40 lines checked\n";
    let (t, first) = checkpatch_totals(out).expect("a total");
    assert_eq!((t.errors, t.warnings, t.checks), (1, 2, 0));
    assert_eq!(first.as_deref(), Some("ERROR: trailing whitespace"));
    assert!(checkpatch_totals("no total here").is_none());
}

#[test]
fn a_failed_hunk_is_named() {
    let series = real_series();
    let p = series
        .iter()
        .find(|p| p.files.iter().any(|f| f.hunks.len() >= 2))
        .expect("a patch with two hunks in one file");
    let file = p.files.iter().find(|f| f.hunks.len() >= 2).expect("file");
    let second = &file.hunks[1];
    let git = format!(
        "Applying: x\nerror: patch failed: {}:{}\nerror: {}: patch does not apply\n",
        file.path, second.old_start, file.path
    );
    let f = explain_failure(p, &git);
    assert_eq!(f.file.as_deref(), Some(file.path.as_str()));
    assert_eq!(f.hunk.as_ref().map(|h| h.0), Some(2));
    assert!(f.to_string().contains("hunk 2"), "{f}");
}

#[test]
fn export_never_overwrites_local_edits() {
    assert_eq!(
        overlay_action(b"a", b"a", Some(b"a")),
        OverlayAction::Unchanged
    );
    assert_eq!(
        overlay_action(b"old", b"new", Some(b"old")),
        OverlayAction::Update
    );
    assert_eq!(
        overlay_action(b"edited", b"new", Some(b"old")),
        OverlayAction::Conflict
    );
    assert_eq!(
        overlay_action(b"edited", b"new", None),
        OverlayAction::Conflict
    );
}

#[test]
fn series_conf_and_cover_letter() {
    let text = std::fs::read_to_string(project().join("patches/series.conf")).expect("conf");
    let conf = parse_conf(&text).expect("parses");
    assert_eq!(conf.subject_prefix, "PATCH net-next");
    assert!(conf.version >= 1);
    assert!(parse_conf("AUTHOR_NAME=x\n").is_err());
    // The posting's recipients, from get_maintainer.pl: the list and the TIPC maintainers.
    assert_eq!(conf.to, ["netdev@vger.kernel.org"]);
    assert!(
        conf.cc.iter().any(|a| a.contains("jmaloy@redhat.com")),
        "{:?}",
        conf.cc
    );
    assert!(conf
        .cc
        .contains(&"rust-for-linux@vger.kernel.org".to_string()));
    // Each base's series directory has its own conf and cover letter text.
    for base in tipc_verifier::base::Base::ALL {
        let conf = tipc_verifier::series::read_conf(&project(), base)
            .unwrap_or_else(|e| panic!("{base}: {e:#}"));
        assert!(!conf.branch.is_empty(), "{base}");
        assert!(
            base.series_dir(&project())
                .join("cover-letter.in")
                .is_file(),
            "{base}: cover-letter.in"
        );
    }
    let filled = fill_cover_letter(
        "Subject: [PATCH 0/1] *** SUBJECT HERE ***\n\n*** BLURB HERE ***\n",
        "tipc: a subject\n\nThe text.\n",
    );
    assert_eq!(
        filled,
        "Subject: [PATCH 0/1] tipc: a subject\n\nThe text.\n"
    );
}

#[test]
fn patch_paths_are_made_absolute_for_git_am_in_the_review_tree() {
    // cargo runs tests in the package directory: `../patches` is relative.
    let files = tipc_verifier::review::collect_patch_files(&["../patches".into()]).unwrap();
    assert!(files.len() >= 2, "{files:?}");
    assert!(
        files.iter().all(|f| f.is_absolute() && f.is_file()),
        "{files:?}"
    );
}

/// A one-file patch adding `lines` to `path` (new file or not).
fn patch_adding(path: &str, created: bool, lines: &[&str]) -> PatchFile {
    let mut diff = format!("diff --git a/{path} b/{path}\n");
    if created {
        diff.push_str("new file mode 100644\n--- /dev/null\n");
    } else {
        diff.push_str(&format!("--- a/{path}\n"));
    }
    diff.push_str(&format!("+++ b/{path}\n@@ -1,0 +1,{} @@\n", lines.len()));
    for l in lines {
        diff.push_str(&format!("+{l}\n"));
    }
    let raw = format!(
        "From: A <a@example.org>\nSubject: [PATCH net-next] x: y\n\nWhy.\n\nSigned-off-by: A <a@example.org>\n---\n{diff}-- \n2.47.3\n"
    );
    PatchFile::parse(Path::new("0001-x.patch"), raw)
}

#[test]
fn nipa_text_checks_pass_the_real_series() {
    use tipc_verifier::review::nipa;
    for dir in ["patches", "patches-6.12", "patches-net"] {
        for p in series_in(dir).iter().filter(|p| !p.is_cover_letter()) {
            for o in [
                nipa::deprecated_api(p),
                nipa::source_inline(p),
                nipa::header_inline(p),
            ] {
                assert_eq!(o.status, Status::Pass, "{dir} {}: {o:?}", p.title);
            }
        }
    }
}

#[test]
fn nipa_text_checks_catch_what_netdev_refuses() {
    use tipc_verifier::review::nipa;
    // Untracked references warn, a module parameter fails, as in NIPA.
    let hold = patch_adding("net/tipc/node.c", false, &["\tget_net(peer);"]);
    assert_eq!(nipa::deprecated_api(&hold).status, Status::Warn);
    let tracked = patch_adding(
        "net/tipc/node.c",
        false,
        &["\tget_net_track(peer, &t, GFP_ATOMIC); /* not get_net() */"],
    );
    assert_eq!(nipa::deprecated_api(&tracked).status, Status::Pass);
    let param = patch_adding(
        "net/tipc/core.c",
        false,
        &["module_param_named(x, crossover, bool, 0644);"],
    );
    assert_eq!(nipa::deprecated_api(&param).status, Status::Fail);
    let deref = patch_adding("net/tipc/node.c", false, &["\t*dst = get_net(src);"]);
    assert_eq!(
        nipa::deprecated_api(&deref).status,
        Status::Warn,
        "a line starting with * is code"
    );

    let inl = patch_adding(
        "net/tipc/node.c",
        false,
        &["static inline bool tipc_x(void)"],
    );
    let o = nipa::source_inline(&inl);
    assert_eq!(o.status, Status::Fail, "{o:?}");
    let comment = patch_adding(
        "net/tipc/node.c",
        false,
        &[
            "/* check_net() is",
            " * inline in C */",
            "\tpr_info(\"inline\");",
        ],
    );
    assert_eq!(nipa::source_inline(&comment).status, Status::Pass);

    let not_inline = patch_adding(
        "net/tipc/core.h",
        false,
        &["static int tipc_x(struct net *net)"],
    );
    assert_eq!(nipa::header_inline(&not_inline).status, Status::Fail);
    let prototype = patch_adding("net/tipc/core.h", false, &["static int tipc_y(void);"]);
    assert_eq!(
        nipa::header_inline(&prototype).status,
        Status::Fail,
        "NIPA flags static prototypes too"
    );
    let inline = patch_adding(
        "net/tipc/core.h",
        false,
        &[
            "static inline int tipc_x(struct net *net)",
            "static __always_inline int tipc_y(void)",
        ],
    );
    assert_eq!(nipa::header_inline(&inline).status, Status::Pass);
}

#[test]
fn a_selftest_must_be_in_its_makefile_and_gitignore() {
    use tipc_verifier::review::nipa;
    let tree = tempfile::tempdir().unwrap();
    let dir = tree.path().join("tools/testing/selftests/net/tipc");
    std::fs::create_dir_all(&dir).unwrap();
    let patch = patch_adding(
        "tools/testing/selftests/net/tipc/crossover.sh",
        true,
        &["#!/bin/bash"],
    );
    std::fs::write(dir.join("Makefile"), "TEST_PROGS := other.sh\n").unwrap();
    assert_eq!(
        nipa::check_selftest(&patch, tree.path()).status,
        Status::Fail
    );
    std::fs::write(dir.join("Makefile"), "TEST_PROGS := crossover.sh\n").unwrap();
    assert_eq!(
        nipa::check_selftest(&patch, tree.path()).status,
        Status::Pass
    );
    let helper = patch_adding(
        "tools/testing/selftests/net/tipc/tipc_pair.c",
        true,
        &["int main(void) { return 0; }"],
    );
    assert_eq!(
        nipa::check_selftest(&helper, tree.path()).status,
        Status::Fail
    );
    std::fs::write(dir.join("Makefile"), "TEST_GEN_FILES := tipc_pair\n").unwrap();
    std::fs::write(dir.join(".gitignore"), "tipc_*\n").unwrap();
    assert_eq!(
        nipa::check_selftest(&helper, tree.path()).status,
        Status::Pass
    );
    let none = patch_adding("net/tipc/node.c", false, &["int x;"]);
    assert_eq!(
        nipa::check_selftest(&none, tree.path()).status,
        Status::Skip
    );
}

/// A git repository like the project's trees: a root commit tagged `base`
/// (an unpacked source, no history), then `extra` commits on top.
fn unpacked_tree(extra: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let st = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(st.status.success(), "git {args:?}: {st:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(dir.path().join("f"), "0").unwrap();
    git(&["add", "f"]);
    git(&["commit", "-q", "-m", "Linux base"]);
    git(&["tag", "base"]);
    for i in 0..extra {
        std::fs::write(dir.path().join("f"), (i + 1).to_string()).unwrap();
        git(&["commit", "-q", "-am", &format!("patch {i}")]);
    }
    dir
}

#[test]
fn an_unknown_fixes_id_over_an_unpacked_base_warns_whatever_the_patches_before() {
    let with_fixes = real_series()
        .into_iter()
        .find(|p| p.raw.contains("\nFixes: ") && !p.file_name().contains("0000"))
        .expect("a patch with Fixes:");
    // Patch 1 is reviewed on the base alone, a later one on earlier
    // patches: neither tree knows upstream's commits, both only warn.
    for extra in [0, 2] {
        let tree = unpacked_tree(extra);
        let o = tipc_verifier::review::tools::fixes(tree.path(), &with_fixes).unwrap();
        assert_eq!(
            o.status,
            Status::Warn,
            "{extra} commit(s) over base: {}",
            o.reason
        );
        assert!(o.reason.contains("no history"), "{}", o.reason);
    }
}
