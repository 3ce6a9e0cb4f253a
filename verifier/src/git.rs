//! The one place that runs git, for the kernel builds, the review and
//! `series`: every call runs in one work tree through xshell, with the
//! project's identity for the commits it makes (base commits, `git am`).

use std::path::{Path, PathBuf};
use std::process::Output;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

/// The identity of the commits the project makes in its kernel trees.
const IDENTITY: [&str; 6] = [
    "-c",
    "user.name=tipc-verifier",
    "-c",
    "user.email=tipc-verifier@localhost",
    "-c",
    "commit.gpgsign=false",
];

/// `git` in `tree` with the project's identity, as a plain command for the
/// streaming runner (`progress::run_logged`: long steps, logged, with a
/// time limit).
pub fn command(tree: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(tree).args(IDENTITY);
    cmd
}

/// A git work tree (or any directory git runs in).
pub struct Tree {
    sh: Shell,
    path: PathBuf,
    /// Commit as the project (its own trees), or as the user's git
    /// configuration says (`series` in the user's tree).
    own: bool,
}

/// Why `git am` refused a patch: what git printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmFailure {
    pub output: String,
}

impl Tree {
    /// Git in `path`, one of the project's own trees: commits are the
    /// project's.
    pub fn at(path: &Path) -> Result<Tree> {
        Self::open(path, true)
    }

    /// Git in `path` as the user: commits carry the user's identity.
    pub fn as_user(path: &Path) -> Result<Tree> {
        Self::open(path, false)
    }

    fn open(path: &Path, own: bool) -> Result<Tree> {
        let sh = Shell::new().context("starting a shell for git")?;
        sh.change_dir(path);
        Ok(Tree {
            sh,
            path: path.to_path_buf(),
            own,
        })
    }

    /// The directory git runs in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `git ARGS`, whatever its status.
    pub fn output(&self, args: &[&str]) -> Result<Output> {
        self.output_with(args, &[])
    }

    /// Runs `git ARGS` with `env` added to its environment, whatever its
    /// status.
    pub fn output_with(&self, args: &[&str], env: &[(&str, &str)]) -> Result<Output> {
        let identity: &[&str] = if self.own { &IDENTITY } else { &[] };
        let mut cmd = cmd!(self.sh, "git {identity...} {args...}")
            .quiet()
            .ignore_status()
            .stdin("");
        for (key, value) in env {
            cmd = cmd.env(key, value);
        }
        cmd.output().with_context(|| {
            format!(
                "cannot run git {} in {}",
                args.join(" "),
                self.path.display()
            )
        })
    }

    /// Runs `git ARGS`; its standard output, trimmed. A failure says what
    /// git printed on standard error.
    pub fn read(&self, args: &[&str]) -> Result<String> {
        self.read_with(args, &[])
    }

    /// [`Tree::read`] with `env` added to git's environment.
    pub fn read_with(&self, args: &[&str], env: &[(&str, &str)]) -> Result<String> {
        let out = self.output_with(args, env)?;
        if !out.status.success() {
            bail!(
                "`git {}` in {} failed ({}): {}",
                args.join(" "),
                self.path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Runs `git ARGS`, which must succeed.
    pub fn run(&self, args: &[&str]) -> Result<()> {
        self.read(args).map(drop)
    }

    /// Whether `git ARGS` succeeds (a question such as `rev-parse --verify`).
    pub fn succeeds(&self, args: &[&str]) -> bool {
        self.output(args).is_ok_and(|o| o.status.success())
    }

    /// The bytes of `git show SPEC` (`HEAD:path`): `None` if git has no
    /// such object, an error if git could not run.
    pub fn show(&self, spec: &str) -> Result<Option<Vec<u8>>> {
        let out = self.output(&["show", spec])?;
        Ok(out.status.success().then_some(out.stdout))
    }

    /// Ends an interrupted `git am`, if there is one.
    pub fn abort_am(&self) {
        let _ = self.output(&["am", "--abort"]);
    }

    /// `branch` made afresh at `start` and checked out, after ending an
    /// interrupted `git am`; local changes to tracked files are dropped.
    pub fn checkout_fresh(&self, branch: &str, start: &str) -> Result<()> {
        self.abort_am();
        self.run(&["checkout", "-q", "-f", "-B", branch, start])
    }

    /// `git am` of one patch file. On failure the am is aborted, so the
    /// tree stays at its last good commit, and git's words are returned.
    pub fn am(&self, patch: &Path) -> Result<std::result::Result<(), AmFailure>> {
        let identity: &[&str] = if self.own { &IDENTITY } else { &[] };
        let out = cmd!(self.sh, "git {identity...} am -q {patch}")
            .quiet()
            .ignore_status()
            .stdin("")
            .output()
            .with_context(|| format!("cannot run git am in {}", self.path.display()))?;
        if out.status.success() {
            return Ok(Ok(()));
        }
        self.abort_am();
        Ok(Err(AmFailure {
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, Tree) {
        let dir = tempfile::tempdir().unwrap();
        let tree = Tree::at(dir.path()).unwrap();
        // The user's own git configuration stays out of the test.
        tree.sh.set_var("GIT_CONFIG_GLOBAL", "/dev/null");
        tree.sh.set_var("GIT_CONFIG_NOSYSTEM", "1");
        tree.run(&["init", "-q", "-b", "main"]).unwrap();
        std::fs::write(dir.path().join("a.txt"), "one\n").unwrap();
        tree.run(&["add", "a.txt"]).unwrap();
        tree.run(&["commit", "-q", "-m", "one"]).unwrap();
        (dir, tree)
    }

    #[test]
    fn commits_carry_the_projects_identity_and_failures_say_why() {
        let (_dir, tree) = repo();
        assert_eq!(
            tree.read(&["log", "-1", "--format=%an"]).unwrap(),
            "tipc-verifier"
        );
        assert!(tree.succeeds(&["rev-parse", "--verify", "HEAD"]));
        assert!(!tree.succeeds(&["rev-parse", "--verify", "nope"]));
        let e = tree.read(&["rev-parse", "--verify", "nope"]).unwrap_err();
        assert!(format!("{e}").contains("rev-parse --verify nope"), "{e}");
        assert_eq!(
            tree.show("HEAD:a.txt").unwrap().as_deref(),
            Some(&b"one\n"[..])
        );
        assert_eq!(tree.show("HEAD:missing").unwrap(), None);
    }

    #[test]
    fn a_patch_that_does_not_apply_leaves_the_tree_at_its_last_commit() {
        let (dir, tree) = repo();
        std::fs::write(dir.path().join("a.txt"), "two\n").unwrap();
        tree.run(&["commit", "-q", "-a", "-m", "two"]).unwrap();
        let patch = dir.path().join("two.patch");
        let text = tree.read(&["format-patch", "-1", "--stdout"]).unwrap();
        std::fs::write(&patch, format!("{text}\n")).unwrap();
        tree.checkout_fresh("other", "HEAD~1").unwrap();
        assert_eq!(tree.am(&patch).unwrap(), Ok(()));
        // The same patch again: its context is gone.
        let failure = tree.am(&patch).unwrap().unwrap_err();
        assert!(failure.output.contains("patch"), "{}", failure.output);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "two\n"
        );
        assert!(!dir.path().join(".git/rebase-apply").exists(), "am aborted");
    }
}
