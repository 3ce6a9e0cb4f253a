//! The checks that need nothing but the patch text: sign-off, the form of
//! `Fixes:` tags, and the series rules netdev's CI applies (cover letter,
//! subject prefix, numbering, patch count).

use super::outcome::Outcome;
use super::patch::PatchFile;

/// netdev's limit: a longer series is not reviewed.
pub const MAX_PATCHES: usize = 15;

/// The trees netdev takes patches for.
pub const NETDEV_TREES: &[&str] = &["net", "net-next"];

/// The address part of `Name <address>` (or the whole value), lower case.
fn address(ident: &str) -> String {
    let inner = match (ident.rfind('<'), ident.rfind('>')) {
        (Some(a), Some(b)) if a < b => &ident[a + 1..b],
        _ => ident,
    };
    inner.trim().to_ascii_lowercase()
}

/// A `Signed-off-by:` from the author must be there (the Developer's
/// Certificate of Origin), whoever else signed.
pub fn signoff(patch: &PatchFile) -> Outcome {
    const CHECK: &str = "signoff";
    let Some(author) = patch.author.as_deref() else {
        return Outcome::fail(CHECK, "no From: header: the author is unknown");
    };
    let signers: Vec<&str> = patch.trailer_values("Signed-off-by").collect();
    if signers.is_empty() {
        return Outcome::fail(CHECK, format!("no Signed-off-by: line (author {author})"));
    }
    if signers.iter().any(|s| address(s) == address(author)) {
        Outcome::pass(CHECK, format!("signed off by the author, {author}"))
    } else {
        Outcome::fail(
            CHECK,
            format!(
                "no Signed-off-by: from the author {author} (signed: {})",
                signers.join(", ")
            ),
        )
    }
}

/// A `Fixes:` value taken apart: `<12+ hex> ("subject")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixesTag {
    pub hash: String,
    pub subject: String,
}

/// Parses a `Fixes:` value, or says what is wrong with its form.
pub fn parse_fixes(value: &str) -> Result<FixesTag, String> {
    let value = value.trim();
    let (hash, rest) = value.split_once(' ').unwrap_or((value, ""));
    if hash.len() < 12 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`Fixes: {value}`: the commit id must be at least 12 hex digits"
        ));
    }
    let subject = rest
        .trim()
        .strip_prefix("(\"")
        .and_then(|r| r.strip_suffix("\")"));
    match subject {
        Some(s) if !s.is_empty() => Ok(FixesTag {
            hash: hash.to_ascii_lowercase(),
            subject: s.to_string(),
        }),
        _ => Err(format!(
            "`Fixes: {value}`: the id must be followed by (\"<subject of that commit>\")"
        )),
    }
}

/// Per-series checks, in table order, for a series sent to netdev.
pub fn series(patches: &[PatchFile]) -> Vec<Outcome> {
    series_for(patches, NETDEV_TREES)
}

/// Per-series checks, in table order; `trees` are the target tree names
/// the subject prefix may carry (netdev's, or a stable branch's for a
/// backport).
pub fn series_for(patches: &[PatchFile], trees: &[&str]) -> Vec<Outcome> {
    let cover: Vec<&PatchFile> = patches.iter().filter(|p| p.is_cover_letter()).collect();
    let body: Vec<&PatchFile> = patches.iter().filter(|p| !p.is_cover_letter()).collect();
    vec![
        cover_letter(&cover, body.len()),
        subject_prefix(patches, trees),
        numbering(&cover, &body),
        patch_count(body.len()),
        fixes_present(&body),
    ]
}

fn cover_letter(cover: &[&PatchFile], count: usize) -> Outcome {
    const CHECK: &str = "cover_letter";
    match (cover.len(), count) {
        (0, 0 | 1) => Outcome::pass(CHECK, "a single patch needs no cover letter"),
        (0, n) => Outcome::fail(
            CHECK,
            format!("{n} patches and no cover letter (git format-patch --cover-letter)"),
        ),
        (1, _) => {
            let c = cover[0];
            if c.raw.contains("*** SUBJECT HERE ***") || c.raw.contains("*** BLURB HERE ***") {
                Outcome::fail(
                    CHECK,
                    format!(
                        "{}: the template's placeholders are still there",
                        c.file_name()
                    ),
                )
            } else {
                Outcome::pass(CHECK, c.title.clone())
            }
        }
        (n, _) => Outcome::fail(CHECK, format!("{n} cover letters")),
    }
}

fn subject_prefix(patches: &[PatchFile], trees: &[&str]) -> Outcome {
    const CHECK: &str = "subject_prefix";
    let mut stems: Vec<String> = Vec::new();
    for p in patches {
        let Some(prefix) = &p.prefix else {
            return Outcome::fail(
                CHECK,
                format!("{}: the subject has no [PATCH ...] prefix", p.file_name()),
            );
        };
        if prefix.words.first().map(String::as_str) != Some("PATCH") {
            return Outcome::fail(
                CHECK,
                format!(
                    "{}: the prefix does not start with PATCH: {}",
                    p.file_name(),
                    p.subject
                ),
            );
        }
        match prefix.tree() {
            Some(tree) if trees.contains(&tree) => {}
            Some(tree) => {
                return Outcome::fail(
                    CHECK,
                    format!(
                        "{}: target tree `{tree}` is not one of {} ([PATCH {} ...])",
                        p.file_name(),
                        trees.join(", "),
                        trees.last().unwrap_or(&"net-next")
                    ),
                )
            }
            None => {
                return Outcome::fail(
                    CHECK,
                    format!(
                        "{}: target tree name not specified in the subject ([PATCH {} ...])",
                        p.file_name(),
                        trees.last().unwrap_or(&"net-next")
                    ),
                )
            }
        }
        stems.push(prefix.stem());
    }
    stems.dedup();
    match stems.as_slice() {
        [] => Outcome::fail(CHECK, "no patches"),
        [one] => Outcome::pass(CHECK, format!("[{one} M/K]")),
        many => Outcome::fail(
            CHECK,
            format!("the patches do not share one prefix: {}", many.join(" | ")),
        ),
    }
}

fn numbering(cover: &[&PatchFile], body: &[&PatchFile]) -> Outcome {
    const CHECK: &str = "numbering";
    let k = body.len() as u32;
    if k == 1 && cover.is_empty() {
        return Outcome::pass(CHECK, "a single patch");
    }
    for p in cover.iter().chain(body) {
        match &p.prefix {
            Some(prefix) if !prefix.numbered => {
                return Outcome::fail(CHECK, format!("{}: no M/K in the prefix", p.file_name()))
            }
            Some(prefix) if prefix.total != k => {
                return Outcome::fail(
                    CHECK,
                    format!(
                        "{}: says {}/{} but the series has {k} patches",
                        p.file_name(),
                        prefix.index,
                        prefix.total
                    ),
                )
            }
            _ => {}
        }
    }
    let mut seen: Vec<u32> = body
        .iter()
        .filter_map(|p| p.prefix.as_ref().map(|x| x.index))
        .collect();
    seen.sort_unstable();
    let want: Vec<u32> = (1..=k).collect();
    if seen != want {
        let missing: Vec<String> = want
            .iter()
            .filter(|n| !seen.contains(n))
            .map(u32::to_string)
            .collect();
        return Outcome::fail(
            CHECK,
            format!(
                "patches numbered {seen:?}: missing {} (or numbered twice)",
                if missing.is_empty() {
                    "none".into()
                } else {
                    missing.join(", ")
                }
            ),
        );
    }
    Outcome::pass(CHECK, format!("1..{k} without gaps"))
}

fn patch_count(n: usize) -> Outcome {
    const CHECK: &str = "patch_count";
    if n == 0 {
        Outcome::fail(CHECK, "no patches")
    } else if n > MAX_PATCHES {
        Outcome::fail(
            CHECK,
            format!("{n} patches: netdev takes at most {MAX_PATCHES}"),
        )
    } else {
        Outcome::pass(CHECK, format!("{n} patch(es), at most {MAX_PATCHES}"))
    }
}

/// A series for `net` (fixes) needs a `Fixes:` tag on every patch.
fn fixes_present(body: &[&PatchFile]) -> Outcome {
    const CHECK: &str = "fixes_present";
    let for_net = body
        .iter()
        .any(|p| p.prefix.as_ref().and_then(|x| x.tree()) == Some("net"));
    if !for_net {
        return Outcome::pass(CHECK, "not a series for net: Fixes: tags optional");
    }
    let without: Vec<String> = body
        .iter()
        .filter(|p| p.trailer_values("Fixes").next().is_none())
        .map(|p| p.file_name())
        .collect();
    if without.is_empty() {
        Outcome::pass(CHECK, "every patch for net has a Fixes: tag")
    } else {
        Outcome::fail(
            CHECK,
            format!(
                "patches for net without a Fixes: tag: {}",
                without.join(", ")
            ),
        )
    }
}

/// A compiler's warning or error, keyed without its line number so that the
/// same warning moved by an edit is still the same one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Diagnostic {
    pub file: String,
    pub severity: String,
    pub message: String,
    /// The line as printed, for the report.
    pub text: String,
}

/// The warnings and errors of a kernel build log: clang's
/// `file:line:col: warning: text`, and rustc/clippy's `warning: text`
/// followed by ` --> file:line:col`.
pub fn diagnostics(log: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut pending: Option<(String, String)> = None;
    for line in log.lines() {
        if let Some(d) = kallsyms_overflow(line) {
            out.push(d);
            continue;
        }
        if let Some(loc) = line.trim_start().strip_prefix("--> ") {
            if let Some((severity, message)) = pending.take() {
                let file = loc.split(':').next().unwrap_or(loc).to_string();
                out.push(Diagnostic {
                    text: format!("{loc}: {severity}: {message}"),
                    file,
                    severity,
                    message,
                });
            }
            continue;
        }
        for severity in ["warning", "error"] {
            if let Some(message) = line.strip_prefix(&format!("{severity}: ")) {
                if !is_rustc_summary(message) {
                    pending = Some((severity.to_string(), message.trim().to_string()));
                }
            } else if let Some(d) = clang_diagnostic(line, severity) {
                out.push(d);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// scripts/kallsyms drops a symbol longer than KSYM_NAME_LEN and says so
/// without the word "warning": stack traces then show a bare address.
/// Rust's mangled generic instances are the usual cause.
fn kallsyms_overflow(line: &str) -> Option<Diagnostic> {
    let rest = line.strip_prefix("Symbol ")?;
    let (symbol, why) = rest.split_once(" too long for kallsyms")?;
    let shown: String = symbol.chars().take(60).collect();
    Some(Diagnostic {
        file: "kallsyms".into(),
        severity: "warning".into(),
        message: format!("symbol {shown}... too long for kallsyms"),
        text: format!(
            "kallsyms: a {}-character symbol is dropped{}: {shown}...",
            symbol.len(),
            why.trim()
                .trim_end_matches('.')
                .strip_prefix('(')
                .map(|w| format!(" ({w}"))
                .unwrap_or_default()
        ),
    })
}

/// rustc's closing lines (`warning: 2 warnings emitted`, `error: aborting
/// due to ...`) repeat what came before.
fn is_rustc_summary(message: &str) -> bool {
    message.contains("warnings emitted")
        || message.contains("warning emitted")
        || message.starts_with("aborting due to")
        || message.starts_with("could not compile")
}

fn clang_diagnostic(line: &str, severity: &str) -> Option<Diagnostic> {
    let marker = format!(": {severity}: ");
    let (location, message) = line.split_once(&marker)?;
    let mut parts = location.split(':');
    let file = parts.next()?.trim();
    // objtool and the linker name an object or themselves, no line.
    let line_no = parts.next().unwrap_or("0");
    if file.is_empty() || file.contains(' ') || !line_no.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Diagnostic {
        file: file.to_string(),
        severity: severity.to_string(),
        message: message.trim().to_string(),
        text: line.trim().to_string(),
    })
}

/// checkpatch's closing count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckpatchTotals {
    pub errors: u32,
    pub warnings: u32,
    pub checks: u32,
}

/// Reads `total: E errors, W warnings, C checks, ...` and the first
/// problem line (`ERROR: ...`, `WARNING: ...`, `CHECK: ...`).
pub fn checkpatch_totals(output: &str) -> Option<(CheckpatchTotals, Option<String>)> {
    let total = output.lines().find_map(|l| l.strip_prefix("total: "))?;
    let mut t = CheckpatchTotals::default();
    for part in total.split(',') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse() else { continue };
        match what {
            "errors" | "error" => t.errors = n,
            "warnings" | "warning" => t.warnings = n,
            "checks" | "check" => t.checks = n,
            _ => {}
        }
    }
    let first = output
        .lines()
        .find(|l| l.starts_with("ERROR:") || l.starts_with("WARNING:") || l.starts_with("CHECK:"))
        .map(str::to_string);
    Some((t, first))
}
