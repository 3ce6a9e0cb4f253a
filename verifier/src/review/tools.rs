//! The checks that run the kernel's own tools on the applied patch:
//! checkpatch (netdev's flags), kernel-doc before and after, rustfmt, and
//! `Fixes:` tags looked up in the tree.

use super::outcome::Outcome;
use super::patch::PatchFile;
use super::rules;
use crate::git;
use anyhow::{Context, Result};
use std::fs;
use std::path::Path;
use std::process::Command;

/// netdev CI's checkpatch flags (see the project notes on NIPA).
pub const CHECKPATCH_FLAGS: &[&str] = &[
    "--strict",
    "--codespell",
    "--max-line-length=80",
    "--ignore=COMMIT_LOG_LONG_LINE,MACRO_ARG_REUSE,ALLOC_SIZEOF_STRUCT,NO_AUTHOR_SIGN_OFF,\
GIT_COMMIT_ID,CAMELCASE,FILE_PATH_CHANGES,BAD_REPORTED_BY_LINK",
];

pub const RUSTFMT: &str = "/usr/bin/rustfmt";

fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `scripts/checkpatch.pl -g HEAD` with netdev's flags: errors fail,
/// warnings and checks warn (NIPA's exit 250).
pub fn checkpatch(tree: &Path, log: &Path) -> Result<Outcome> {
    const CHECK: &str = "checkpatch";
    let out = Command::new("perl")
        .current_dir(tree)
        .arg("scripts/checkpatch.pl")
        .args(["-g", "HEAD"])
        .args(CHECKPATCH_FLAGS)
        .output()
        .context("running scripts/checkpatch.pl")?;
    let text = output_text(&out);
    fs::write(log, &text).with_context(|| format!("writing {}", log.display()))?;
    let Some((t, first)) = rules::checkpatch_totals(&text) else {
        return Ok(Outcome::fail(
            CHECK,
            format!(
                "checkpatch printed no total: {}",
                text.lines().next().unwrap_or("")
            ),
        )
        .with_log(log.to_path_buf()));
    };
    let counts = format!(
        "{} errors, {} warnings, {} checks",
        t.errors, t.warnings, t.checks
    );
    let outcome = match (t.errors, t.warnings + t.checks, first) {
        (0, 0, _) => Outcome::pass(CHECK, counts),
        (0, _, first) => Outcome::warn(CHECK, format!("{counts}: {}", first.unwrap_or_default())),
        (_, _, first) => Outcome::fail(CHECK, format!("{counts}: {}", first.unwrap_or_default())),
    };
    Ok(outcome.with_log(log.to_path_buf()))
}

/// Warnings of `scripts/kernel-doc -none` for one file.
///
/// The script is run by its own `#!` line: Perl in 6.12, Python in 7.3.
/// Perl's writes `warning:`, Python's `Warning:`. A run that fails is an
/// error, never an empty list.
fn kernel_doc_warnings(tree: &Path, file: &Path) -> Result<Vec<String>> {
    let out = Command::new(tree.join("scripts/kernel-doc"))
        .current_dir(tree)
        .arg("-none")
        .arg(file)
        .output()
        .context("running scripts/kernel-doc")?;
    if !out.status.success() {
        anyhow::bail!(
            "scripts/kernel-doc -none {} exited with {}: {}",
            file.display(),
            out.status,
            output_text(&out).trim()
        );
    }
    Ok(kernel_doc_findings(&output_text(&out)))
}

/// The warning and error lines of kernel-doc's output, in either spelling.
pub fn kernel_doc_findings(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("warning:") || l.contains("error:")
        })
        .map(str::to_string)
        .collect()
}

/// kernel-doc on every touched C file before (at `HEAD~1`) and after the
/// patch: fails when a file's warnings grow.
pub fn kernel_doc(tree: &Path, patch: &PatchFile, log: &Path) -> Result<Outcome> {
    const CHECK: &str = "kdoc";
    let files = patch.kept_files_with(&[".c", ".h"]);
    if files.is_empty() {
        return Ok(Outcome::skip(CHECK, "no C file touched"));
    }
    let before_dir = tempfile::tempdir().context("temporary directory for kernel-doc")?;
    let mut report = String::new();
    let mut grown: Vec<String> = Vec::new();
    let (mut total_before, mut total_after) = (0, 0);
    let repo = git::Tree::at(tree)?;
    for f in &files {
        let before = if let Some(old) = repo.show(&format!("HEAD~1:{f}"))? {
            let copy = before_dir.path().join(f);
            if let Some(parent) = copy.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&copy, &old)?;
            kernel_doc_warnings(tree, &copy)?
        } else {
            Vec::new()
        };
        let after = kernel_doc_warnings(tree, Path::new(f))?;
        report.push_str(&format!(
            "{f}: {} before, {} after\n",
            before.len(),
            after.len()
        ));
        for w in &after {
            report.push_str(&format!("  {w}\n"));
        }
        total_before += before.len();
        total_after += after.len();
        if after.len() > before.len() {
            grown.push(
                after
                    .iter()
                    .find(|w| !before.iter().any(|b| same_kdoc_warning(b, w)))
                    .cloned()
                    .unwrap_or_else(|| {
                        format!("{f}: {} warnings, were {}", after.len(), before.len())
                    }),
            );
        }
    }
    fs::write(log, &report).with_context(|| format!("writing {}", log.display()))?;
    let outcome = if let Some(first) = grown.first() {
        Outcome::fail(
            CHECK,
            format!("kernel-doc warnings {total_before} -> {total_after}: {first}"),
        )
    } else {
        Outcome::pass(
            CHECK,
            format!(
                "{} file(s), warnings {total_before} -> {total_after}",
                files.len()
            ),
        )
    };
    Ok(outcome.with_log(log.to_path_buf()))
}

/// The same warning in the old copy (a temporary path, other line).
fn same_kdoc_warning(before: &str, after: &str) -> bool {
    let tail = |s: &str| s.split_once("warning:").map(|(_, t)| t.trim().to_string());
    tail(before).is_some() && tail(before) == tail(after)
}

/// `rustfmt --check` with the tree's `.rustfmt.toml` on every touched
/// `.rs` file.
pub fn rustfmt(tree: &Path, patch: &PatchFile, log: &Path) -> Result<Outcome> {
    const CHECK: &str = "rustfmt";
    let files = patch.kept_files_with(&[".rs"]);
    if files.is_empty() {
        return Ok(Outcome::skip(CHECK, "no Rust file touched"));
    }
    if !Path::new(RUSTFMT).is_file() {
        return Ok(Outcome::fail(
            CHECK,
            format!("{RUSTFMT} is missing (Debian package rustfmt-web; run tipc-verifier setup)"),
        ));
    }
    let out = Command::new(RUSTFMT)
        .current_dir(tree)
        .arg("--check")
        .arg("--config-path")
        .arg(tree.join(".rustfmt.toml"))
        .args(&files)
        .output()
        .context("running rustfmt")?;
    let text = output_text(&out);
    fs::write(log, &text).with_context(|| format!("writing {}", log.display()))?;
    let outcome = if out.status.success() {
        Outcome::pass(CHECK, format!("{} file(s) formatted", files.len()))
    } else {
        let first = text
            .lines()
            .find(|l| l.starts_with("Diff in") || l.starts_with("error"))
            .unwrap_or("rustfmt --check failed")
            .replace(&format!("{}/", tree.display()), "");
        Outcome::fail(CHECK, first)
    };
    Ok(outcome.with_log(log.to_path_buf()))
}

/// Every `Fixes:` tag well formed and naming a commit of the tree with
/// that subject. A tree whose history starts at the base (an unpacked
/// source package) cannot show upstream commits: that is a warning.
pub fn fixes(tree: &Path, patch: &PatchFile) -> Result<Outcome> {
    const CHECK: &str = "fixes";
    let tags: Vec<&str> = patch.trailer_values("Fixes").collect();
    if tags.is_empty() {
        return Ok(Outcome::pass(CHECK, "no Fixes: tag"));
    }
    // The history below the series: the base's own when the tree has the
    // `base` tag the project's trees carry (patches of the series may be
    // applied on top of it already), else what is below HEAD.
    let repo = git::Tree::at(tree)?;
    let has_base = repo.succeeds(&["rev-parse", "-q", "--verify", "base^{commit}"]);
    let history = repo
        .read(&[
            "rev-list",
            "--count",
            if has_base { "base" } else { "HEAD~1" },
        ])
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    let mut unverifiable = Vec::new();
    for value in &tags {
        let tag = match rules::parse_fixes(value) {
            Ok(t) => t,
            Err(why) => return Ok(Outcome::fail(CHECK, why)),
        };
        let found = repo.output(&[
            "log",
            "-1",
            "--format=%s",
            &format!("{}^{{commit}}", tag.hash),
            "--",
        ])?;
        if found.status.success() {
            let subject = String::from_utf8_lossy(&found.stdout).trim().to_string();
            if subject != tag.subject {
                return Ok(Outcome::fail(
                    CHECK,
                    format!(
                        "Fixes: {} names \"{}\" but that commit is \"{subject}\"",
                        tag.hash, tag.subject
                    ),
                ));
            }
        } else if history > 1 {
            return Ok(Outcome::fail(
                CHECK,
                format!("Fixes: {}: no such commit in the tree", tag.hash),
            ));
        } else {
            unverifiable.push(tag.hash);
        }
    }
    Ok(if unverifiable.is_empty() {
        Outcome::pass(CHECK, format!("{} tag(s), commits found", tags.len()))
    } else {
        Outcome::warn(
            CHECK,
            format!(
                "cannot verify {}: the base tree has no history (an unpacked source); review with --tree on a git clone",
                unverifiable.join(", ")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::kernel_doc_findings;

    #[test]
    fn kernel_doc_warnings_are_read_in_both_spellings() {
        // 6.12's Perl script, then 7.3's Python one, on the same comment.
        let perl = "x.c:6: warning: Excess function parameter 'missing' description in 'f'\n";
        let python = "Warning: x.c:5 Excess function parameter 'missing' description in 'f'\n\
                      info: nothing\n";
        assert_eq!(kernel_doc_findings(perl).len(), 1);
        assert_eq!(kernel_doc_findings(python).len(), 1);
        assert!(kernel_doc_findings("x.c: all good\n").is_empty());
    }
}
