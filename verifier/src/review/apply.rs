//! `git am` of one patch, and what to tell the user when it fails: which
//! file and which hunk did not apply.

use super::patch::PatchFile;
use crate::git;
use anyhow::Result;

/// Why a patch did not apply, in the terms of the patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyFailure {
    pub file: Option<String>,
    /// 1-based hunk number within that file's diff, with its header.
    pub hunk: Option<(usize, String)>,
    /// git's first error line.
    pub message: String,
}

impl std::fmt::Display for ApplyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, &self.hunk) {
            (Some(file), Some((n, header))) => {
                write!(f, "{file}: hunk {n} does not apply ({header})")
            }
            (Some(file), None) => write!(f, "{file}: {}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}

/// Reads git's complaint (`error: patch failed: FILE:LINE`,
/// `error: FILE: does not exist in index`, ...) against the patch.
pub fn explain_failure(patch: &PatchFile, git_output: &str) -> ApplyFailure {
    let errors: Vec<&str> = git_output
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .collect();
    let message = errors.first().map(|s| s.to_string()).unwrap_or_else(|| {
        git_output
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git am failed")
            .to_string()
    });
    for e in &errors {
        if let Some(loc) = e.strip_prefix("patch failed: ") {
            if let Some((file, line)) = loc.rsplit_once(':') {
                let hunk = line
                    .parse()
                    .ok()
                    .and_then(|n| patch.hunk_at(file, n))
                    .map(|(i, h)| (i, h.header.clone()));
                return ApplyFailure {
                    file: Some(file.to_string()),
                    hunk,
                    message: e.to_string(),
                };
            }
        }
    }
    let file = errors.iter().find_map(|e| {
        patch
            .files
            .iter()
            .find(|f| e.starts_with(&format!("{}:", f.path)))
            .map(|f| f.path.clone())
    });
    ApplyFailure {
        file,
        hunk: None,
        message,
    }
}

/// `git am` of `patch` in `tree`; on failure the am is aborted, so the
/// tree stays at the last good commit.
pub fn git_am(
    tree: &git::Tree,
    patch: &PatchFile,
) -> Result<std::result::Result<(), ApplyFailure>> {
    Ok(tree
        .am(&patch.path)?
        .map_err(|failure| explain_failure(patch, &failure.output)))
}
