//! The checks netdev's CI (NIPA) runs on a patch's own lines and on the
//! files it adds, where our other checks do not already cover them:
//! deprecated APIs, `inline` in C sources, functions without `inline` in
//! headers, selftests wired into their Makefile and `.gitignore`, and new
//! files covered by a MAINTAINERS entry.

use std::path::Path;
use std::process::Command;

use super::outcome::Outcome;
use super::patch::{PatchFile, TouchedFile};

/// Calls netdev asks new code not to make, with what to use instead.
const DEPRECATED: &[(&str, &str)] = &[
    ("get_net", "get_net_track() with a netns_tracker"),
    ("put_net", "put_net_track()"),
    ("dev_hold", "netdev_hold() with a netdevice_tracker"),
    ("dev_put", "netdev_put()"),
    (
        "module_param",
        "a netlink or sysctl knob (netdev takes no new module parameters)",
    ),
    ("module_param_named", "a netlink or sysctl knob"),
];

/// `line` without a trailing or whole-line comment (`//`, `/*`, or a
/// continuation line of a block comment starting with `*`).
fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('*') || trimmed.starts_with("/*") || trimmed.starts_with("//") {
        return "";
    }
    let end = [line.find("/*"), line.find("//")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(line.len());
    &line[..end]
}

/// Whether `code` calls `name(` as a whole identifier.
fn calls(code: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + name.len()..].trim_start();
        !before.is_some_and(ident) && after.starts_with('(')
    })
}

/// Whether `code` has `word` as a whole identifier.
fn has_word(code: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(word).any(|(at, _)| {
        !code[..at].chars().next_back().is_some_and(ident)
            && !code[at + word.len()..].chars().next().is_some_and(ident)
    })
}

fn c_files<'a>(patch: &'a PatchFile, ext: &'a [&str]) -> impl Iterator<Item = &'a TouchedFile> {
    patch
        .files
        .iter()
        .filter(move |f| !f.deleted && ext.iter().any(|e| f.path.ends_with(e)))
}

/// `deprecated_api`: no new call of an API netdev has replaced.
pub fn deprecated_api(patch: &PatchFile) -> Outcome {
    const CHECK: &str = "deprecated_api";
    for f in c_files(patch, &[".c", ".h"]) {
        for line in &f.added {
            let code = code_of(line);
            if let Some((name, instead)) = DEPRECATED.iter().find(|(n, _)| calls(code, n)) {
                return Outcome::fail(
                    CHECK,
                    format!(
                        "{}: {name}() is deprecated in networking code, use {instead}: {}",
                        f.path,
                        line.trim()
                    ),
                );
            }
        }
    }
    Outcome::pass(CHECK, "no deprecated API added")
}

/// `source_inline`: no `inline` in a C source file (the compiler decides).
pub fn source_inline(patch: &PatchFile) -> Outcome {
    const CHECK: &str = "source_inline";
    for f in c_files(patch, &[".c"]) {
        if let Some(line) = f.added.iter().find(|l| has_word(code_of(l), "inline")) {
            return Outcome::fail(
                CHECK,
                format!(
                    "{}: `inline` in a .c file, leave it to the compiler: {}",
                    f.path,
                    line.trim()
                ),
            );
        }
    }
    Outcome::pass(CHECK, "no inline added to a .c file")
}

/// `header_inline`: a function defined in a header is `static inline`.
pub fn header_inline(patch: &PatchFile) -> Outcome {
    const CHECK: &str = "header_inline";
    for f in c_files(patch, &[".h"]) {
        for line in &f.added {
            let code = code_of(line).trim_end();
            let definition = code.starts_with("static ")
                && code.contains('(')
                && !code.ends_with(';')
                && !has_word(code, "inline")
                && !code.contains('=');
            if definition {
                return Outcome::fail(
                    CHECK,
                    format!(
                        "{}: a static function in a header without inline: {}",
                        f.path,
                        line.trim()
                    ),
                );
            }
        }
    }
    Outcome::pass(CHECK, "every function added to a header is static inline")
}

/// `check_selftest`: a selftest the patch adds is run and ignored where it
/// must be: every new script is in its directory's Makefile (TEST_PROGS
/// and friends), every new C program there and in its `.gitignore`.
/// `tree` is the kernel tree with the patch applied.
pub fn check_selftest(patch: &PatchFile, tree: &Path) -> Outcome {
    const CHECK: &str = "check_selftest";
    let new: Vec<&TouchedFile> = patch
        .files
        .iter()
        .filter(|f| f.created && f.path.starts_with("tools/testing/selftests/"))
        .collect();
    if new.is_empty() {
        return Outcome::skip(CHECK, "no selftest added");
    }
    let mut problems = Vec::new();
    for f in &new {
        let path = Path::new(&f.path);
        let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str()))
        else {
            continue;
        };
        let read =
            |file: &str| std::fs::read_to_string(tree.join(dir).join(file)).unwrap_or_default();
        let listed = |text: &str, word: &str| text.split_whitespace().any(|w| w == word);
        if let Some(stem) = name.strip_suffix(".c") {
            if !listed(&read("Makefile"), stem) {
                problems.push(format!(
                    "{stem} (from {}) is not built by {}/Makefile",
                    f.path,
                    dir.display()
                ));
            }
            let ignored = read(".gitignore");
            if !ignored
                .lines()
                .any(|l| l.trim() == stem || l.trim() == format!("/{stem}"))
            {
                problems.push(format!("{stem} is not in {}/.gitignore", dir.display()));
            }
        } else if name.ends_with(".sh") && name != "settings" && !listed(&read("Makefile"), name) {
            // Helper scripts a test sources are listed too (TEST_FILES).
            problems.push(format!("{name} is not in {}/Makefile", dir.display()));
        }
    }
    match problems.first() {
        Some(first) => Outcome::fail(CHECK, format!("{} problem(s): {first}", problems.len())),
        None => Outcome::pass(
            CHECK,
            format!("{} new selftest file(s) wired in", new.len()),
        ),
    }
}

/// `maintainers`: every file the patch creates is covered by a MAINTAINERS
/// entry other than THE REST (scripts/get_maintainer.pl in `tree`).
pub fn maintainers(patch: &PatchFile, tree: &Path) -> anyhow::Result<Outcome> {
    const CHECK: &str = "maintainers";
    let created: Vec<&str> = patch
        .files
        .iter()
        .filter(|f| f.created)
        .map(|f| f.path.as_str())
        .collect();
    if created.is_empty() {
        return Ok(Outcome::skip(CHECK, "no file created"));
    }
    let mut uncovered = Vec::new();
    for file in &created {
        let out = Command::new("perl")
            .current_dir(tree)
            .args([
                "scripts/get_maintainer.pl",
                "--no-git",
                "--no-git-fallback",
                "-f",
            ])
            .arg(file)
            .output()
            .map_err(|e| anyhow::anyhow!("running scripts/get_maintainer.pl: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !covered(&text) {
            uncovered.push(*file);
        }
    }
    Ok(match uncovered.first() {
        Some(first) => Outcome::fail(
            CHECK,
            format!(
                "{} new file(s) without a MAINTAINERS entry, first {first}",
                uncovered.len()
            ),
        ),
        None => Outcome::pass(
            CHECK,
            format!("{} new file(s), each covered", created.len()),
        ),
    })
}

/// Whether get_maintainer.pl's output names a maintainer of a real entry.
pub fn covered(get_maintainer_output: &str) -> bool {
    get_maintainer_output
        .lines()
        .any(|l| l.contains("(maintainer:") && !l.contains("(maintainer:THE REST"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_whole_identifiers_outside_comments() {
        assert!(calls("\tget_net(net);", "get_net"));
        assert!(calls("x = get_net (net);", "get_net"));
        assert!(!calls("maybe_get_net(net);", "get_net"));
        assert!(!calls("get_net_track(net, &t, GFP_KERNEL);", "get_net"));
        assert_eq!(code_of("\t/* get_net(net) */"), "");
        assert_eq!(code_of("\tfoo(); // get_net(x)"), "\tfoo(); ");
        assert!(has_word("static inline int f(void)", "inline"));
        assert!(!has_word("static int inlined(void)", "inline"));
    }

    #[test]
    fn get_maintainer_output_is_read_by_role() {
        assert!(covered(
            "Jon Maloy <jmaloy@redhat.com> (maintainer:TIPC NETWORK LAYER)\n"
        ));
        assert!(!covered("Linus Torvalds <torvalds@linux-foundation.org> (maintainer:THE REST)\nlinux-kernel@vger.kernel.org (open list)\n"));
    }
}
