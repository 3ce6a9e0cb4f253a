//! Copies of directory trees onto a guest's share and between kernel
//! trees: `cp -a` (times, modes and links kept; `--reflink` where the file
//! system can) through xshell, the short captures' runner.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use xshell::{cmd, Shell};

/// `cp -a SRC DST`: DST becomes a copy of SRC (`SRC/.` copies SRC's
/// contents into an existing DST). `what` names the copy in errors.
pub fn tree(src: &Path, dst: &Path, what: &str) -> Result<()> {
    let sh = Shell::new().context("starting a shell for cp")?;
    run(cmd!(sh, "cp -a -- {src} {dst}"), what)
}

/// `cp -a --reflink=auto -t DIR ENTRIES...`: every entry into `dir`, as
/// reflinks where the file system allows. `what` names the copy in errors.
pub fn into(dir: &Path, entries: &[PathBuf], what: &str) -> Result<()> {
    let sh = Shell::new().context("starting a shell for cp")?;
    run(
        cmd!(sh, "cp -a --reflink=auto -t {dir} -- {entries...}"),
        what,
    )
}

/// Runs a `cp` through the short captures' runner, with what cp printed
/// on stderr in the error (a full disk says so there).
fn run(cp: xshell::Cmd<'_>, what: &str) -> Result<()> {
    crate::progress::capture(&format!("copying {what}"), cp.into()).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_contents_and_errors_name_the_copy() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::fs::write(src.path().join("d/f"), "x").unwrap();
        let dst = tempfile::tempdir().unwrap();
        tree(&src.path().join("d"), &dst.path().join("e"), "d").unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("e/f")).unwrap(),
            "x"
        );
        into(dst.path(), &[src.path().join("d")], "d again").unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("d/f")).unwrap(),
            "x"
        );
        let err = tree(
            &src.path().join("nope"),
            &dst.path().join("n"),
            "the nothing",
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("copying the nothing"),
            "{err:#}"
        );
    }
}
