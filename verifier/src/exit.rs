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

/// The exit status of an error that ended a command.
pub fn status_of(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<UsageError>().is_some() {
        USAGE
    } else {
        INFRASTRUCTURE
    }
}
