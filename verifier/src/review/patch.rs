//! One `git format-patch` file, read the way a reviewer reads it: the
//! mail headers, the subject prefix, the commit message with its trailers,
//! and the files and hunks of the diff.

use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// `[PATCH net-next v2 3/6]`, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPrefix {
    /// The words that are neither the version nor the numbering, in order
    /// (`PATCH`, `net-next`, `RFC`, ...).
    pub words: Vec<String>,
    /// `vN`; a first posting carries none and is version 1.
    pub version: u32,
    /// `M/K`; a lone patch carries none and is 1/1.
    pub index: u32,
    pub total: u32,
    /// Whether `M/K` was written out.
    pub numbered: bool,
}

impl SubjectPrefix {
    /// The tree the patch targets: the word after `PATCH` that is not a
    /// tag such as `RFC`.
    pub fn tree(&self) -> Option<&str> {
        self.words
            .iter()
            .skip_while(|w| *w != "PATCH")
            .skip(1)
            .map(String::as_str)
            .find(|w| !matches!(*w, "RFC" | "RESEND"))
    }

    /// Everything but the numbering, for comparing patches of one series.
    pub fn stem(&self) -> String {
        let mut s = self.words.join(" ");
        if self.version > 1 {
            s.push_str(&format!(" v{}", self.version));
        }
        s
    }
}

/// Parses the bracketed prefix at the start of a subject; returns it and
/// the rest of the subject.
pub fn parse_subject(subject: &str) -> Option<(SubjectPrefix, &str)> {
    let rest = subject.trim_start().strip_prefix('[')?;
    let (inside, title) = rest.split_once(']')?;
    let mut prefix = SubjectPrefix {
        words: Vec::new(),
        version: 1,
        index: 1,
        total: 1,
        numbered: false,
    };
    for word in inside.split_whitespace() {
        let version = word
            .strip_prefix('v')
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        if let Some(v) = version.and_then(|v| v.parse().ok()) {
            prefix.version = v;
        } else if let Some((m, k)) = word
            .split_once('/')
            .and_then(|(m, k)| Some((m.parse().ok()?, k.parse().ok()?)))
        {
            prefix.index = m;
            prefix.total = k;
            prefix.numbered = true;
        } else {
            prefix.words.push(word.to_string());
        }
    }
    Some((prefix, title.trim()))
}

/// A file the diff touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouchedFile {
    /// Path in the tree after the patch (before it, for a deletion).
    pub path: String,
    pub created: bool,
    pub deleted: bool,
    /// The hunks' headers, in order, with the line each starts at in the
    /// old file (how `git apply` names a hunk that failed).
    pub hunks: Vec<Hunk>,
    /// The lines the patch adds to the file, without the leading `+`.
    pub added: Vec<String>,
    /// The lines it removes, without the leading `-`.
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub header: String,
    pub old_start: u32,
}

/// A parsed patch file (or the cover letter).
#[derive(Debug, Clone)]
pub struct PatchFile {
    pub path: PathBuf,
    pub raw: String,
    /// `Name <address>` of the `From:` header (the author).
    pub author: Option<String>,
    /// The whole subject, prefix included.
    pub subject: String,
    pub prefix: Option<SubjectPrefix>,
    /// The subject without its prefix: the commit's title.
    pub title: String,
    /// The commit message body, up to the `---` line.
    pub message: String,
    /// `(Key, value)` for every trailer line of the message.
    pub trailers: Vec<(String, String)>,
    pub files: Vec<TouchedFile>,
}

impl PatchFile {
    pub fn read(path: &Path) -> Result<Self> {
        let raw = fs::read_to_string(path)
            .with_context(|| format!("reading patch {}", path.display()))?;
        Ok(Self::parse(path, raw))
    }

    pub fn parse(path: &Path, raw: String) -> Self {
        let (headers, body) = split_headers(&raw);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let subject = header("Subject").unwrap_or_default();
        let (prefix, title) = match parse_subject(&subject) {
            Some((p, t)) => (Some(p), t.to_string()),
            None => (None, subject.trim().to_string()),
        };
        let (message, diff) = split_message(body);
        Self {
            path: path.to_path_buf(),
            author: header("From").map(|v| v.trim().to_string()),
            trailers: trailers(message),
            files: touched_files(diff),
            message: message.to_string(),
            subject,
            prefix,
            title,
            raw,
        }
    }

    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The cover letter is patch 0 of the series (or a file named so).
    pub fn is_cover_letter(&self) -> bool {
        self.prefix
            .as_ref()
            .is_some_and(|p| p.numbered && p.index == 0)
            || self.file_name().starts_with("0000-")
    }

    pub fn trailer_values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.trailers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Paths that exist after the patch, with one of the extensions.
    pub fn kept_files_with(&self, extensions: &[&str]) -> Vec<String> {
        self.files
            .iter()
            .filter(|f| !f.deleted)
            .filter(|f| extensions.iter().any(|e| f.path.ends_with(e)))
            .map(|f| f.path.clone())
            .collect()
    }

    /// The hunk `git apply` means by `path:line`, if the patch has it.
    pub fn hunk_at(&self, path: &str, line: u32) -> Option<(usize, &Hunk)> {
        let file = self.files.iter().find(|f| f.path == path)?;
        file.hunks
            .iter()
            .enumerate()
            .find(|(_, h)| h.old_start == line)
            .map(|(i, h)| (i + 1, h))
    }
}

/// Mail headers (unfolded) and the body after the first blank line. The
/// mbox `From <hash> <date>` line is skipped.
fn split_headers(raw: &str) -> (Vec<(String, String)>, &str) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut offset = 0;
    for line in raw.split_inclusive('\n') {
        offset += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            return (headers, &raw[offset..]);
        }
        if text.starts_with("From ") && headers.is_empty() {
            continue;
        }
        if text.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(text.trim());
            }
        } else if let Some((k, v)) = text.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    (headers, "")
}

/// The message (up to the `---` line) and the rest (diffstat and diff).
fn split_message(body: &str) -> (&str, &str) {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("diff --git ") {
            return (&body[..offset], &body[offset..]);
        }
        offset += line.len();
    }
    (body, "")
}

/// `Key-Name: value` lines of the message's last paragraph and any other
/// line that looks like one of the kernel's trailers.
fn trailers(message: &str) -> Vec<(String, String)> {
    const KNOWN: &[&str] = &[
        "Signed-off-by",
        "Fixes",
        "Suggested-by",
        "Reported-by",
        "Acked-by",
        "Reviewed-by",
        "Tested-by",
        "Co-developed-by",
        "Link",
        "Closes",
        "Cc",
    ];
    message
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            KNOWN
                .iter()
                .find(|known| known.eq_ignore_ascii_case(k.trim_end()))
                .filter(|_| !k.starts_with(char::is_whitespace))
                .map(|known| (known.to_string(), v.trim().to_string()))
        })
        .collect()
}

fn touched_files(diff: &str) -> Vec<TouchedFile> {
    let mut files: Vec<TouchedFile> = Vec::new();
    for line in diff.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            // `a/<path> b/<path>`: paths of our trees have no spaces.
            let path = rest
                .split_whitespace()
                .last()
                .map(|b| b.strip_prefix("b/").unwrap_or(b).to_string())
                .unwrap_or_default();
            files.push(TouchedFile {
                path,
                created: false,
                deleted: false,
                hunks: Vec::new(),
                added: Vec::new(),
                removed: Vec::new(),
            });
            continue;
        }
        let Some(file) = files.last_mut() else {
            continue;
        };
        if let (false, Some(text)) = (file.hunks.is_empty(), line.strip_prefix('+')) {
            file.added.push(text.to_string());
        } else if let (false, Some(text)) = (file.hunks.is_empty(), line.strip_prefix('-')) {
            file.removed.push(text.to_string());
        } else if line.starts_with("new file mode") {
            file.created = true;
        } else if line.starts_with("deleted file mode") {
            file.deleted = true;
        } else if let Some(rest) = line.strip_prefix("@@ -") {
            let old_start = rest
                .split([',', ' '])
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            file.hunks.push(Hunk {
                header: line.to_string(),
                old_start,
            });
        }
    }
    files
}
