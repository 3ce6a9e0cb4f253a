//! The checks netdev's CI (NIPA) runs on a patch's own lines and on the
//! files it adds, where our other checks do not already cover them:
//! deprecated APIs, `inline` in C sources, functions without `inline` in
//! headers, selftests wired into their Makefile and `.gitignore`, and new
//! files covered by a MAINTAINERS entry (`maintained`: not NIPA's
//! `maintainers`, which runs get_maintainer.pl's self-test when MAINTAINERS
//! changes).

use std::path::Path;
use std::process::Command;

use super::outcome::Outcome;
use super::patch::{PatchFile, TouchedFile};

/// Calls netdev asks new code not to make, with what to use instead. As in
/// NIPA, the untracked references are a warning and a module parameter a
/// failure; `module_param` also stands for its `_named`, `_array`, `_cb`,
/// ... variants.
const DEPRECATED: &[(&str, &str, bool)] = &[
    ("get_net", "get_net_track() with a netns_tracker", false),
    ("put_net", "put_net_track()", false),
    ("dev_hold", "netdev_hold() with a netdevice_tracker", false),
    ("dev_put", "netdev_put()", false),
    ("init_dummy_netdev", "alloc_netdev_dummy()", false),
    (
        "module_param",
        "a netlink or sysctl knob (netdev takes no new module parameters)",
        true,
    ),
];

/// The code of C lines: comments (also across lines) and the contents of
/// string and character literals blanked out, so that neither is mistaken
/// for a call or a keyword.
#[derive(Default)]
struct CodeReader {
    in_comment: bool,
}

impl CodeReader {
    fn code(&mut self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut chars = line.chars().peekable();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            if self.in_comment {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    self.in_comment = false;
                    out.push(' ');
                }
                continue;
            }
            if let Some(q) = quote {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
                continue;
            }
            match c {
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    self.in_comment = true;
                }
                '/' if chars.peek() == Some(&'/') => break,
                '"' | '\'' => {
                    quote = Some(c);
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out
    }

    /// The code of every line, in order (one comment state across them).
    fn all(lines: &[String]) -> Vec<String> {
        let mut reader = CodeReader::default();
        lines.iter().map(|l| reader.code(l)).collect()
    }
}

/// Whether `code` calls `name(` as a whole identifier (`name_...(` too
/// when `variants`).
fn calls(code: &str, name: &str, variants: bool) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let mut after = &code[at + name.len()..];
        if variants && after.starts_with('_') {
            after = after.trim_start_matches(ident);
        }
        !before.is_some_and(ident) && after.trim_start().starts_with('(')
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

/// `deprecated_api`: no more calls of an API netdev has replaced than the
/// patch removes (code that only moves is not new use).
pub fn deprecated_api(patch: &PatchFile) -> Outcome {
    const CHECK: &str = "deprecated_api";
    let mut worst: Option<Outcome> = None;
    for &(name, instead, fails) in DEPRECATED {
        let variants = name == "module_param";
        let count = |lines: &[String]| {
            CodeReader::all(lines)
                .iter()
                .filter(|code| calls(code, name, variants))
                .count()
        };
        let added: usize = c_files(patch, &[".c", ".h"]).map(|f| count(&f.added)).sum();
        let removed: usize = c_files(patch, &[".c", ".h"])
            .map(|f| count(&f.removed))
            .sum();
        if added > removed {
            let reason = format!(
                "{} new call(s) of {name}(), deprecated in networking code: use {instead}",
                added - removed
            );
            let o = if fails {
                Outcome::fail(CHECK, reason)
            } else {
                Outcome::warn(CHECK, reason)
            };
            if worst.as_ref().is_none_or(|w| o.status > w.status) {
                worst = Some(o);
            }
        }
    }
    worst.unwrap_or_else(|| Outcome::pass(CHECK, "no deprecated API added"))
}

/// `source_inline`: no `inline` in a C source file (the compiler decides).
/// As in NIPA: more added than removed fails, any added warns.
pub fn source_inline(patch: &PatchFile) -> Outcome {
    const CHECK: &str = "source_inline";
    let count = |lines: &[String]| {
        CodeReader::all(lines)
            .iter()
            .filter(|code| has_word(code, "inline"))
            .count()
    };
    let added: usize = c_files(patch, &[".c"]).map(|f| count(&f.added)).sum();
    let removed: usize = c_files(patch, &[".c"]).map(|f| count(&f.removed)).sum();
    let first = c_files(patch, &[".c"])
        .find_map(|f| {
            let codes = CodeReader::all(&f.added);
            codes
                .iter()
                .position(|c| has_word(c, "inline"))
                .map(|i| format!("{}: {}", f.path, f.added[i].trim()))
        })
        .unwrap_or_default();
    if added > removed {
        Outcome::fail(
            CHECK,
            format!("{added} `inline` added to .c files ({removed} removed), leave it to the compiler; first {first}"),
        )
    } else if added > 0 {
        Outcome::warn(
            CHECK,
            format!("{added} `inline` in moved .c code; first {first}"),
        )
    } else {
        Outcome::pass(CHECK, "no inline added to a .c file")
    }
}

/// `header_inline`: a function in a header is `static inline` (NIPA's
/// rule: an added line `static ...(` without `inline` or `__always_inline`
/// right after `static`, prototypes included).
pub fn header_inline(patch: &PatchFile) -> Outcome {
    const CHECK: &str = "header_inline";
    let mut found = Vec::new();
    for f in c_files(patch, &[".h"]) {
        for (code, line) in CodeReader::all(&f.added).iter().zip(&f.added) {
            let Some(rest) = code.strip_prefix("static ") else {
                continue;
            };
            let rest = rest.trim_start();
            let inline = rest.starts_with("inline ") || rest.starts_with("__always_inline ");
            if !inline && rest.contains('(') {
                found.push(format!("{}: {}", f.path, line.trim()));
            }
        }
    }
    match found.first() {
        Some(first) => Outcome::fail(
            CHECK,
            format!(
                "{} static function(s) in headers without inline; first {first}",
                found.len()
            ),
        ),
        None => Outcome::pass(CHECK, "every function added to a header is static inline"),
    }
}

/// Selftest directories whose Makefile takes every file by a wildcard
/// (NIPA's list): nothing there needs listing.
const SELFTEST_WILDCARD_DIRS: &[&str] = &[
    "tools/testing/selftests/net/lib/sh/",
    "tools/testing/selftests/net/lib/py/",
    "tools/testing/selftests/drivers/net/lib/sh/",
    "tools/testing/selftests/drivers/net/lib/py/",
    "tools/testing/selftests/drivers/net/hw/lib/py/",
    "tools/testing/selftests/net/packetdrill/",
];

/// Whether a `.gitignore` line (`name`, `/name` or a `*` glob) covers `name`.
fn ignores(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim().trim_start_matches('/');
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
    }
}

/// `check_selftest`: a selftest the patch adds is run and ignored where it
/// must be: every new script (`.sh`, `.py`) is named in its directory's
/// Makefile, every new C program there and in its `.gitignore` (BPF objects,
/// `.bpf.c`, and directories taken by wildcard are skipped, as in NIPA).
/// `tree` is the kernel tree with the patch applied.
pub fn check_selftest(patch: &PatchFile, tree: &Path) -> Outcome {
    const CHECK: &str = "check_selftest";
    let new: Vec<&TouchedFile> = patch
        .files
        .iter()
        .filter(|f| f.created && f.path.starts_with("tools/testing/selftests/"))
        .filter(|f| !SELFTEST_WILDCARD_DIRS.iter().any(|d| f.path.starts_with(d)))
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
        let makefile = read("Makefile");
        if name.ends_with(".bpf.c") {
            continue;
        } else if let Some(stem) = name.strip_suffix(".c") {
            if !makefile.contains(stem) {
                problems.push(format!(
                    "{stem} (from {}) is not built by {}/Makefile",
                    f.path,
                    dir.display()
                ));
            }
            if !read(".gitignore").lines().any(|l| ignores(l, stem)) {
                problems.push(format!("{stem} is not in {}/.gitignore", dir.display()));
            }
        } else if (name.ends_with(".sh") || name.ends_with(".py")) && !makefile.contains(name) {
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

/// `maintained`: every file the patch creates is covered by a MAINTAINERS
/// entry other than THE REST (scripts/get_maintainer.pl in `tree`).
pub fn maintained(patch: &PatchFile, tree: &Path) -> anyhow::Result<Outcome> {
    const CHECK: &str = "maintained";
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
                "--nokeywords",
                "-f",
            ])
            .arg(file)
            .output()
            .map_err(|e| anyhow::anyhow!("running scripts/get_maintainer.pl: {e}"))?;
        if !out.status.success() {
            anyhow::bail!(
                "scripts/get_maintainer.pl -f {file}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
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

/// Whether get_maintainer.pl's output names a section other than THE REST
/// (`(maintainer:TIPC NETWORK LAYER)`, `(reviewer:...)`, `(open list:...)`;
/// THE REST prints as `(chief penguin:THE REST)` and a bare `(open list)`).
pub fn covered(get_maintainer_output: &str) -> bool {
    get_maintainer_output.lines().any(|l| {
        l.rfind('(')
            .and_then(|at| l[at + 1..].trim_end_matches(')').split_once(':'))
            .is_some_and(|(_, section)| section != "THE REST")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_whole_identifiers_outside_comments_and_strings() {
        assert!(calls("\tget_net(net);", "get_net", false));
        assert!(calls("x = get_net (net);", "get_net", false));
        assert!(!calls("maybe_get_net(net);", "get_net", false));
        assert!(!calls(
            "get_net_track(net, &t, GFP_KERNEL);",
            "get_net",
            false
        ));
        assert!(calls(
            "module_param_array(x, int, NULL, 0);",
            "module_param",
            true
        ));
        let lines: Vec<String> = [
            "\t/* get_net(net) in a comment",
            " * that goes on: get_net(net)",
            " */ *dst = get_net(src);",
            "\tpr_info(\"get_net(x)\"); // get_net(y)",
        ]
        .map(String::from)
        .to_vec();
        let code = CodeReader::all(&lines);
        assert!(!calls(&code[0], "get_net", false) && !calls(&code[1], "get_net", false));
        assert!(calls(&code[2], "get_net", false), "{:?}", code[2]);
        assert!(!calls(&code[3], "get_net", false), "{:?}", code[3]);
        assert!(has_word("static inline int f(void)", "inline"));
        assert!(!has_word("static int inlined(void)", "inline"));
    }

    #[test]
    fn get_maintainer_output_is_read_by_section() {
        assert!(covered(
            "Jon Maloy <jmaloy@redhat.com> (maintainer:TIPC NETWORK LAYER)\n"
        ));
        assert!(covered(
            "netdev@vger.kernel.org (open list:NETWORKING DRIVERS)\n"
        ));
        assert!(!covered(
            "Linus Torvalds <torvalds@linux-foundation.org> (chief penguin:THE REST)\nlinux-kernel@vger.kernel.org (open list)\n"
        ));
    }

    #[test]
    fn gitignore_patterns_match_like_git() {
        assert!(ignores("tipc_pair", "tipc_pair"));
        assert!(ignores("/tipc_pair", "tipc_pair"));
        assert!(ignores("tipc_*", "tipc_pair"));
        assert!(!ignores("tipc_*", "other"));
    }
}
