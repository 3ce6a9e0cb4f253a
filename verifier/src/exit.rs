//! The exit statuses every subcommand shares, and the error that means the
//! user asked for something that does not exist.

use std::fmt;

/// Every check passed.
pub const OK: u8 = 0;
/// A check failed: a wrong path, a splat, a lost message, a review finding.
pub const CHECK_FAILED: u8 = 1;
/// Bad usage: an argument clap rejects, an unknown scenario.
pub const USAGE: u8 = 2;
/// Infrastructure or unreadable input: a missing tool, a failed fetch or
/// build, QEMU, a capture that cannot be read.
pub const INFRASTRUCTURE: u8 = 3;

/// What `--help` says about them.
pub const HELP: &str = "Exit status: 0 every check passed; 1 a check failed; 2 bad usage \
(arguments, an unknown scenario); 3 infrastructure or unreadable input (a missing tool, a \
failed fetch or build, QEMU, an unreadable capture).";

/// An error in what the user asked for, as opposed to one in getting it
/// done: `main` exits with [`USAGE`] for it.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The command ran to its end and a check failed: `main` exits with
/// [`CHECK_FAILED`] for it, after the report was printed.
#[derive(Debug)]
pub struct ChecksFailed(pub String);

impl fmt::Display for ChecksFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChecksFailed {}

/// The exit status of an error that ended a command.
pub fn status_of(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<UsageError>().is_some() {
        USAGE
    } else if e.downcast_ref::<ChecksFailed>().is_some() {
        CHECK_FAILED
    } else {
        INFRASTRUCTURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_kind_has_its_status() {
        assert_eq!(status_of(&UsageError("x".into()).into()), USAGE);
        assert_eq!(status_of(&ChecksFailed("x".into()).into()), CHECK_FAILED);
        assert_eq!(status_of(&anyhow::anyhow!("qemu died")), INFRASTRUCTURE);
        // Context on top keeps the kind.
        let e = anyhow::Error::from(ChecksFailed("1 of 2 failed".into())).context("check");
        assert_eq!(status_of(&e), CHECK_FAILED);
    }
}
