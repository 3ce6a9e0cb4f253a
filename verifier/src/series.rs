//! `tipc-verifier series`: moves a base's series between its directory
//! (`patches/` for 7.3, `patches-6.12/` for 6.12) and a kernel git tree.
//! `apply` makes a branch with `git am` (our cached work tree of that base
//! by default, or the user's own tree) and names the patch and hunk that
//! fails; `sync` copies the base's `kernel-rust/` overlay into the tree;
//! `export` regenerates the series directory with `git format-patch
//! --cover-letter` and brings the overlay in step with the branch.

use crate::base::Base;
use crate::cache;
use crate::git;
use crate::kbuild::{self, BuildContext};
use crate::review::apply;
use crate::review::patch::PatchFile;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// A series directory's `series.conf`: identity, prefix, version, branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesConf {
    pub author_name: String,
    pub author_email: String,
    pub subject_prefix: String,
    pub version: u32,
    pub branch: String,
    /// `To:` of every mail (comma-separated `TO=` in the file).
    pub to: Vec<String>,
    /// `Cc:` of every mail (comma-separated `CC=`).
    pub cc: Vec<String>,
}

/// Reads the `KEY="value"` lines of series.conf (a shell fragment).
pub fn parse_conf(text: &str) -> Result<SeriesConf> {
    let vars: BTreeMap<&str, String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim().trim_matches('"').to_string()))
        .collect();
    let get = |k: &str| {
        vars.get(k)
            .cloned()
            .with_context(|| format!("series.conf has no {k}="))
    };
    let list = |k: &str| -> Vec<String> {
        vars.get(k)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(SeriesConf {
        author_name: get("AUTHOR_NAME")?,
        author_email: get("AUTHOR_EMAIL")?,
        subject_prefix: get("SUBJECT_PREFIX")?,
        version: get("VERSION")?
            .parse()
            .context("series.conf: VERSION is not a number")?,
        branch: get("BRANCH")?,
        to: list("TO"),
        cc: list("CC"),
    })
}

/// The `series.conf` of a base's series directory.
pub fn read_conf(project: &Path, base: Base) -> Result<SeriesConf> {
    let path = base.series_dir(project).join("series.conf");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_conf(&text).with_context(|| format!("in {}", path.display()))
}

/// `git ARGS` in `tree` as the user; its output, trimmed.
fn git_out(tree: &Path, args: &[&str]) -> Result<String> {
    git::Tree::as_user(tree)?.read(args)
}

/// The tree to work in: the user's (must be a git work tree), or our
/// cached work tree `trees/linux-<version>/<branch>` of the context's base.
pub fn resolve_tree(ctx: &BuildContext, tree: Option<&Path>, branch: &str) -> Result<PathBuf> {
    match tree {
        Some(t) => {
            let inside = git::Tree::as_user(t)?.succeeds(&["rev-parse", "--is-inside-work-tree"]);
            if !inside {
                bail!(
                    "{} is not a git work tree: git am needs one (in a plain source tree: \
                     git init && git add -A && git commit -m base)",
                    t.display()
                );
            }
            Ok(t.to_path_buf())
        }
        None => {
            let _lock = cache::Lock::acquire(&ctx.cache, &kbuild::trees_lock(ctx.base))?;
            kbuild::ensure_worktree(ctx, branch, kbuild::Seed::Nothing)
        }
    }
}

pub struct ApplyOptions {
    pub tree: Option<PathBuf>,
    pub branch: Option<String>,
    /// Replace an existing branch of that name.
    pub force: bool,
}

/// Makes the branch at the base (our tree) or at HEAD (the user's) and
/// applies every patch with `git am`. Returns the tree.
pub fn apply(ctx: &BuildContext, opts: &ApplyOptions) -> Result<PathBuf> {
    let conf = read_conf(&ctx.project, ctx.base)?;
    let branch = opts.branch.clone().unwrap_or(conf.branch);
    let tree = resolve_tree(ctx, opts.tree.as_deref(), &branch)?;
    let start = if opts.tree.is_some() { "HEAD" } else { "base" };
    let dirty = git_out(&tree, &["status", "--porcelain", "--untracked-files=no"])?;
    if !dirty.is_empty() {
        bail!(
            "{}: the tree has uncommitted changes; commit or stash them first:\n{dirty}",
            tree.display()
        );
    }
    let exists = git::Tree::as_user(&tree)?.succeeds(&[
        "rev-parse",
        "--verify",
        "-q",
        &format!("refs/heads/{branch}"),
    ]);
    if exists && !opts.force {
        let ahead = git_out(
            &tree,
            &["rev-list", "--count", &format!("{start}..{branch}")],
        )
        .unwrap_or_default();
        if ahead != "0" {
            bail!(
                "{}: branch {branch} already exists with {ahead} commit(s) on {start}: export them \
                 first (tipc-verifier series export) or pass --force to replace the branch",
                tree.display()
            );
        }
    }
    // The commits git am makes are the user's in the user's own tree, the
    // project's in its cached tree.
    let repo = if opts.tree.is_some() {
        git::Tree::as_user(&tree)?
    } else {
        git::Tree::at(&tree)?
    };
    repo.abort_am();
    repo.run(&["checkout", "-q", "-B", &branch, start])?;
    let patches: Vec<PatchFile> = kbuild::series_patches(&ctx.project, ctx.base)?
        .iter()
        .map(|p| PatchFile::read(p))
        .collect::<Result<_>>()?;
    for (i, p) in patches.iter().enumerate() {
        if let Err(failure) = apply::git_am(&repo, p)? {
            bail!(
                "patch {}/{} ({}) does not apply to {}:\n    {failure}\n  the branch {branch} holds \
                 the {} patch(es) before it",
                i + 1,
                patches.len(),
                p.file_name(),
                tree.display(),
                i
            );
        }
        eprintln!("    applied {}/{} {}", i + 1, patches.len(), p.title);
    }
    Ok(tree)
}

/// Copies the base's `kernel-rust/` overlay into the tree (to commit it
/// into the right patch there). Returns the files that changed.
pub fn sync(ctx: &BuildContext, tree: &Path) -> Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for (rel, src) in kbuild::overlay_files(&ctx.project, ctx.base)? {
        let dst = tree.join(&rel);
        let new = fs::read(&src).with_context(|| format!("reading {}", src.display()))?;
        if fs::read(&dst).ok().as_deref() != Some(new.as_slice()) {
            if let Some(parent) = dst.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&dst, &new).with_context(|| format!("writing {}", dst.display()))?;
            changed.push(rel);
        }
    }
    Ok(changed)
}

/// Makes the user (the tree's git identity) author and last signer of
/// every commit of `base..branch`, dropping the old author's sign-off.
/// Returns the new `hash author subject` lines.
pub fn resign(tree: &Path, base: &str, branch: &str) -> Result<String> {
    let name = git_out(tree, &["config", "user.name"]).unwrap_or_default();
    let email = git_out(tree, &["config", "user.email"]).unwrap_or_default();
    if name.is_empty() || email.is_empty() {
        bail!("no git identity: set git config user.name and user.email first");
    }
    let dirty = git_out(tree, &["status", "--porcelain", "--untracked-files=no"])?;
    if !dirty.is_empty() {
        bail!(
            "{}: uncommitted changes; commit or stash them first",
            tree.display()
        );
    }
    git_out(tree, &["checkout", "-q", branch])?;
    // Run by git rebase --exec after each commit, with SERIES_IDENT set.
    let exec = r#"old=$(git log -1 --format="%an <%ae>"); git log -1 --format=%B | grep -vxF "Signed-off-by: $old" | git interpret-trailers --if-exists addIfDifferent --trailer "Signed-off-by: $SERIES_IDENT" | git commit -q --amend --reset-author -F -"#;
    let ident = format!("{name} <{email}>");
    git::Tree::as_user(tree)?.read_with(
        &["rebase", "-q", "--exec", exec, base],
        &[("SERIES_IDENT", ident.as_str())],
    )?;
    git_out(
        tree,
        &[
            "log",
            "--format=%h %an <%ae> %s",
            &format!("{base}..{branch}"),
        ],
    )
}

pub struct ExportOptions {
    pub tree: Option<PathBuf>,
    pub branch: Option<String>,
    /// The commit the series starts after (default: tag `base`).
    pub base: Option<String>,
    /// Posting version (default: series.conf's VERSION).
    pub version: Option<u32>,
}

/// What a `kernel-rust/` file should become on export.
#[derive(Debug, PartialEq, Eq)]
pub enum OverlayAction {
    Unchanged,
    /// Take the branch's version (no local edit would be lost).
    Update,
    /// Local uncommitted edits the branch does not have.
    Conflict,
}

/// `project_head`: the file in the project's last commit (None if new).
pub fn overlay_action(local: &[u8], branch: &[u8], project_head: Option<&[u8]>) -> OverlayAction {
    if local == branch {
        OverlayAction::Unchanged
    } else if project_head == Some(local) {
        OverlayAction::Update
    } else {
        OverlayAction::Conflict
    }
}

/// Regenerates the base's series directory from the branch and updates
/// the base's `kernel-rust/` overlay.
pub fn export(ctx: &BuildContext, opts: &ExportOptions) -> Result<Vec<PathBuf>> {
    let conf = read_conf(&ctx.project, ctx.base)?;
    let branch = opts.branch.clone().unwrap_or(conf.branch.clone());
    let tree = resolve_tree(ctx, opts.tree.as_deref(), &branch)?;
    let base = opts.base.clone().unwrap_or_else(|| "base".into());
    let range = format!("{base}..{branch}");
    let count = git_out(&tree, &["rev-list", "--count", &range]).with_context(|| {
        format!(
            "{}: no commits {range} (is the series applied?)",
            tree.display()
        )
    })?;
    if count == "0" {
        bail!(
            "{}: {range} has no commits: nothing to export",
            tree.display()
        );
    }
    let identity = (
        git_out(&tree, &["config", "user.name"]).unwrap_or_default(),
        git_out(&tree, &["config", "user.email"]).unwrap_or_default(),
    );
    if identity.0.is_empty() || identity.1.is_empty() {
        bail!(
            "no git identity for the Signed-off-by: set git config user.name and user.email \
             (in {} or globally)",
            tree.display()
        );
    }

    // kernel-rust/ first: refuse before anything is written.
    let repo = git::Tree::as_user(&tree)?;
    let project = git::Tree::as_user(&ctx.project)?;
    let mut updates = Vec::new();
    for (rel, local_path) in kbuild::overlay_files(&ctx.project, ctx.base)? {
        let rel_s = rel.to_string_lossy().into_owned();
        // Where the overlay file lives in the project (kernel-rust/net/...
        // or, for a backport, kernel-rust/backport-6.12/net/...).
        let in_project = local_path
            .strip_prefix(&ctx.project)
            .unwrap_or(&local_path)
            .to_string_lossy()
            .into_owned();
        let Some(on_branch) = repo.show(&format!("{branch}:{rel_s}"))? else {
            bail!(
                "{in_project} ({rel_s}) is not on branch {branch} of {}",
                tree.display()
            );
        };
        let local = fs::read(&local_path)?;
        let head = project.show(&format!("HEAD:{in_project}"))?;
        match overlay_action(&local, &on_branch, head.as_deref()) {
            OverlayAction::Unchanged => {}
            OverlayAction::Update => updates.push((local_path, on_branch)),
            OverlayAction::Conflict => bail!(
                "{in_project} has edits branch {branch} does not have: run `tipc-verifier \
                 series sync --base {}`, commit them into the right patch of {}, then export again",
                ctx.base,
                tree.display()
            ),
        }
    }

    let staging = tempfile::tempdir().context("temporary directory for format-patch")?;
    let version = opts.version.unwrap_or(conf.version);
    // No --base: the base is a commit of an unpacked Debian source made on
    // this machine, which no reader can fetch; the cover letter names the
    // package and version instead.
    let mut fp: Vec<String> = [
        "format-patch",
        "-q",
        "--cover-letter",
        "--zero-commit",
        "--signoff",
    ]
    .map(String::from)
    .to_vec();
    fp.push(format!("--subject-prefix={}", conf.subject_prefix));
    fp.extend(conf.to.iter().map(|to| format!("--to={to}")));
    fp.extend(conf.cc.iter().map(|cc| format!("--cc={cc}")));
    if version > 1 {
        fp.push(format!("-v{version}"));
    }
    fp.extend([
        "-o".to_string(),
        staging.path().to_string_lossy().into_owned(),
        range.clone(),
    ]);
    repo.run(&fp.iter().map(String::as_str).collect::<Vec<_>>())?;
    let series_dir = ctx.base.series_dir(&ctx.project);
    let cover_in = series_dir.join("cover-letter.in");
    let cover_text =
        fs::read_to_string(&cover_in).with_context(|| format!("reading {}", cover_in.display()))?;
    let mut written = Vec::new();
    let mut names: Vec<PathBuf> = fs::read_dir(staging.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let patches_dir = series_dir;
    for old in kbuild::series_patches(&ctx.project, ctx.base)?
        .into_iter()
        .chain(
            fs::read_dir(&patches_dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with("0000-cover-letter.patch")),
        )
    {
        fs::remove_file(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    for p in names {
        let name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let mut text = fs::read_to_string(&p)?;
        if name.to_string_lossy().contains("0000-cover-letter") {
            text = fill_cover_letter(&text, &cover_text);
        }
        let dst = patches_dir.join(&name);
        fs::write(&dst, text).with_context(|| format!("writing {}", dst.display()))?;
        written.push(dst);
    }
    for (path, content) in updates {
        fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "    kernel-rust: {} taken from branch {branch}",
            path.display()
        );
    }
    Ok(written)
}

/// Puts cover-letter.in (first line: subject; the rest: text) into
/// format-patch's template.
pub fn fill_cover_letter(template: &str, source: &str) -> String {
    let (subject, blurb) = source.split_once('\n').unwrap_or((source, ""));
    template
        .replacen("*** SUBJECT HERE ***", subject.trim(), 1)
        .replacen("*** BLURB HERE ***", blurb.trim_matches('\n'), 1)
}
