//! Reads the files a `git format-patch` series leaves behind.
//!
//! Shared by `tests/series_in_sync.rs` and the ABI unit tests in `src/`. It
//! replays every patch of `patches/` in order on an empty tree, so the result
//! holds the final content of each file that the series creates: new files
//! are taken from their hunks, later patches to them are applied on top.
//! Files that the series only modifies (they exist in the kernel tree before
//! the series) cannot be reconstructed and are reported as such.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// State of one path after replaying the series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Created by the series; the lines of its final content.
    Created(Vec<String>),
    /// Changed by the series but not created by it: content unknown here.
    ModifiedOnly,
    /// Deleted by the series.
    Deleted,
}

/// Final state of every path the series touches, keyed by path.
pub type Tree = BTreeMap<String, FileState>;

/// The patch files of `dir` in application order (the cover letter and any
/// non-patch file excluded).
pub fn patch_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".patch") && !name.starts_with("0000-")
        })
        .collect();
    files.sort();
    files
}

/// One hunk: where it starts in the old file and its lines with their
/// prefixes (' ', '-', '+').
struct Hunk {
    old_start: usize,
    lines: Vec<(char, String)>,
}

/// The change a patch makes to one path.
struct FileDiff {
    path: String,
    new_file: bool,
    deleted: bool,
    hunks: Vec<Hunk>,
}

/// Parses `@@ -a,b +c,d @@` into `(a, b, c, d)`; a missing count means 1.
fn parse_hunk_header(line: &str) -> Result<(usize, usize, usize, usize), String> {
    let inner = line
        .strip_prefix("@@ -")
        .and_then(|rest| rest.split(" @@").next())
        .ok_or_else(|| format!("bad hunk header: {line}"))?;
    let (old, new) = inner
        .split_once(" +")
        .ok_or_else(|| format!("bad hunk header: {line}"))?;
    let range = |s: &str| -> Result<(usize, usize), String> {
        let (start, count) = s.split_once(',').unwrap_or((s, "1"));
        let start = start
            .parse()
            .map_err(|_| format!("bad hunk header: {line}"))?;
        let count = count
            .parse()
            .map_err(|_| format!("bad hunk header: {line}"))?;
        Ok((start, count))
    };
    let (a, b) = range(old)?;
    let (c, d) = range(new)?;
    Ok((a, b, c, d))
}

/// Splits one patch file into its per-file diffs.
fn parse_patch(text: &str) -> Result<Vec<FileDiff>, String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut diffs = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(rest) = lines[i].strip_prefix("diff --git a/") else {
            i += 1;
            continue;
        };
        let path = rest
            .split(" b/")
            .next()
            .ok_or_else(|| format!("bad diff line: {}", lines[i]))?
            .to_string();
        let mut diff = FileDiff {
            path,
            new_file: false,
            deleted: false,
            hunks: Vec::new(),
        };
        i += 1;
        // Extended header lines up to the first hunk or the next diff.
        while i < lines.len() && !lines[i].starts_with("@@") && !lines[i].starts_with("diff --git ")
        {
            let l = lines[i];
            if l.starts_with("new file mode") {
                diff.new_file = true;
            } else if l.starts_with("deleted file mode") {
                diff.deleted = true;
            } else if l.starts_with("rename from") || l.starts_with("copy from") {
                return Err(format!(
                    "renames and copies are not supported: {}",
                    diff.path
                ));
            } else if l.starts_with("GIT binary patch") {
                return Err(format!("binary patches are not supported: {}", diff.path));
            }
            i += 1;
        }
        // Hunks, each read by the line counts of its header.
        while i < lines.len() && lines[i].starts_with("@@") {
            let (old_start, mut old_left, _, mut new_left) = parse_hunk_header(lines[i])?;
            i += 1;
            let mut hunk = Hunk {
                old_start,
                lines: Vec::new(),
            };
            while old_left > 0 || new_left > 0 {
                let l = *lines
                    .get(i)
                    .ok_or_else(|| format!("truncated hunk in {}", diff.path))?;
                let (kind, body) = match l.chars().next() {
                    Some(c @ (' ' | '-' | '+')) => (c, &l[1..]),
                    // An empty context line whose blank was stripped.
                    None => (' ', ""),
                    Some('\\') => {
                        i += 1;
                        continue;
                    }
                    Some(_) => return Err(format!("bad hunk line in {}: {l}", diff.path)),
                };
                match kind {
                    ' ' => {
                        old_left = old_left.checked_sub(1).ok_or("hunk too long")?;
                        new_left = new_left.checked_sub(1).ok_or("hunk too long")?;
                    }
                    '-' => old_left = old_left.checked_sub(1).ok_or("hunk too long")?,
                    _ => new_left = new_left.checked_sub(1).ok_or("hunk too long")?,
                }
                hunk.lines.push((kind, body.to_string()));
                i += 1;
            }
            // "\ No newline at end of file" after the last line.
            while i < lines.len() && lines[i].starts_with('\\') {
                i += 1;
            }
            diff.hunks.push(hunk);
        }
        diffs.push(diff);
    }
    Ok(diffs)
}

/// Applies `hunks` to `old`, checking every context and removed line.
fn apply_hunks(path: &str, old: &[String], hunks: &[Hunk]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    // Next line of `old` (0-based) not yet copied.
    let mut pos = 0;
    for hunk in hunks {
        // `old_start` is 1-based (0 only for a hunk on an empty file); for a
        // pure insertion git reports the line after which it goes.
        let pure_insertion = hunk.lines.iter().all(|(k, _)| *k == '+') && hunk.old_start > 0;
        let start = if pure_insertion {
            hunk.old_start
        } else {
            hunk.old_start.saturating_sub(1)
        };
        if start < pos || start > old.len() {
            return Err(format!(
                "{path}: hunk at line {} out of order",
                hunk.old_start
            ));
        }
        out.extend_from_slice(&old[pos..start]);
        pos = start;
        for (kind, body) in &hunk.lines {
            match kind {
                ' ' | '-' => {
                    if old.get(pos) != Some(body) {
                        return Err(format!("{path}: hunk does not match at line {}", pos + 1));
                    }
                    if *kind == ' ' {
                        out.push(body.clone());
                    }
                    pos += 1;
                }
                _ => out.push(body.clone()),
            }
        }
    }
    out.extend_from_slice(&old[pos..]);
    Ok(out)
}

/// Replays the patches of `dir` and returns the final state of every path
/// they touch.
pub fn replay(dir: &Path) -> Result<Tree, String> {
    let mut tree = Tree::new();
    for file in patch_files(dir) {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let diffs = parse_patch(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        for diff in diffs {
            let state = if diff.deleted {
                FileState::Deleted
            } else if diff.new_file {
                FileState::Created(apply_hunks(&diff.path, &[], &diff.hunks)?)
            } else {
                match tree.get(&diff.path) {
                    Some(FileState::Created(old)) => {
                        FileState::Created(apply_hunks(&diff.path, old, &diff.hunks)?)
                    }
                    Some(FileState::Deleted) => {
                        return Err(format!(
                            "{}: {} changed after deletion",
                            file.display(),
                            diff.path
                        ));
                    }
                    Some(FileState::ModifiedOnly) | None => FileState::ModifiedOnly,
                }
            };
            tree.insert(diff.path, state);
        }
    }
    Ok(tree)
}

/// Joins the lines of a created file back into its text, which always ends
/// in a newline for the kernel's sources.
pub fn text_of(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The `patches/` directory of the project (the 7.3 series).
pub fn patches_dir() -> PathBuf {
    series_dir("patches")
}

/// A series directory of the project (`patches`, `patches-6.12`).
pub fn series_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

/// One series and the `kernel-rust/` files it must create.
#[derive(Debug, Clone, Copy)]
pub struct SeriesOverlay {
    /// The series directory, relative to the project.
    pub series: &'static str,
    /// A directory of this crate whose files replace those of `net/` at
    /// the same relative path, for this series only.
    pub backport: Option<&'static str>,
    /// Files of this crate's `net/` the series does not add (kept in step
    /// with `Base::overlay_excludes()` of the verifier).
    pub without: &'static [&'static str],
}

/// Both series: the 7.3 one against `net/`, the 6.12 backport against
/// `net/` with `backport-6.12/` laid over it and without the KUnit tests.
pub const SERIES: [SeriesOverlay; 2] = [
    SeriesOverlay {
        series: "patches",
        backport: None,
        without: &[],
    },
    SeriesOverlay {
        series: "patches-6.12",
        backport: Some("backport-6.12"),
        // The KUnit tests need `#[kunit_tests]`, which 6.12 does not have.
        without: &["net/tipc/crossover_kunit.rs"],
    },
];

/// The `.rs` files below `<root>/net`, keyed by kernel-tree path.
pub fn rs_files_under(root: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.expect("directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{prefix}/{name}");
            if entry.file_type().expect("file type").is_dir() {
                walk(&entry.path(), &path, out);
            } else if name.ends_with(".rs") {
                out.insert(path, entry.path());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&root.join("net"), "net", &mut out);
    out
}

impl SeriesOverlay {
    /// The `.rs` files the series must create, by kernel-tree path: this
    /// crate's `net/`, with the backport directory's files replacing theirs.
    pub fn overlay(&self) -> BTreeMap<String, PathBuf> {
        let krate = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = rs_files_under(krate);
        if let Some(b) = self.backport {
            files.extend(rs_files_under(&krate.join(b)));
        }
        for path in self.without {
            files.remove(*path);
        }
        files
    }
}
