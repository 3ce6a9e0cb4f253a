//! The result of one check on one patch (or on the series).

use serde::Serialize;
use std::path::PathBuf;

/// Ordered from best to worst, so the worst of several is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// Not applicable to this patch (no `.rs` file for rustfmt, ...), or
    /// not run because an earlier step failed.
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "-",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub check: String,
    pub status: Status,
    /// One line: why it is not a pass (or what was checked).
    pub reason: String,
    /// The full output of the tool, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<PathBuf>,
}

impl Outcome {
    pub fn new(check: &str, status: Status, reason: impl Into<String>) -> Self {
        Self {
            check: check.to_string(),
            status,
            reason: first_line(&reason.into()),
            log: None,
        }
    }

    pub fn pass(check: &str, reason: impl Into<String>) -> Self {
        Self::new(check, Status::Pass, reason)
    }

    pub fn warn(check: &str, reason: impl Into<String>) -> Self {
        Self::new(check, Status::Warn, reason)
    }

    pub fn fail(check: &str, reason: impl Into<String>) -> Self {
        Self::new(check, Status::Fail, reason)
    }

    pub fn skip(check: &str, reason: impl Into<String>) -> Self {
        Self::new(check, Status::Skip, reason)
    }

    pub fn with_log(mut self, log: PathBuf) -> Self {
        self.log = Some(log);
        self
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}
