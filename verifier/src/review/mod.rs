//! `tipc-verifier review`: the checks netdev's CI (NIPA) runs on a series,
//! run locally before it is sent. Each patch is applied with `git am` on a
//! fresh branch of the cached base tree and checked on its own: checkpatch
//! with netdev's flags, sign-off, `Fixes:` tags, kernel-doc before and
//! after, rustfmt, an incremental `W=1` build with the series' options on,
//! clippy when Rust changes, and a build with the options off. The series
//! as a whole is checked for a cover letter, one subject prefix, numbering
//! and length.

pub mod apply;
pub mod nipa;
pub mod outcome;
pub mod patch;
pub mod report;
pub mod rules;
pub mod tools;
pub mod tree;

use crate::base::BaseArgs;
use crate::cache;
use crate::kbuild::BuildContext;
use crate::progress::{self, Phase};
use anyhow::{bail, Context, Result};
use outcome::{Outcome, Status};
use patch::PatchFile;
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tree::{BuildResult, ReviewTree};

/// One column of the table, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// `git am` onto the previous patch.
    Apply,
    /// scripts/checkpatch.pl -g HEAD --strict --codespell, netdev's ignores.
    Checkpatch,
    /// A Signed-off-by: from the author.
    Signoff,
    /// Fixes: tags well formed and naming a commit of the tree.
    Fixes,
    /// No new call of an API netdev replaced (get_net/put_net, dev_hold/dev_put, module_param).
    #[value(name = "deprecated_api")]
    DeprecatedApi,
    /// No `inline` in a .c file.
    #[value(name = "source_inline")]
    SourceInline,
    /// Functions added to a header are `static inline`.
    #[value(name = "header_inline")]
    HeaderInline,
    /// New selftests are in their Makefile and .gitignore.
    #[value(name = "check_selftest")]
    CheckSelftest,
    /// New files are covered by a MAINTAINERS entry (get_maintainer.pl).
    Maintained,
    /// scripts/kernel-doc -none on touched C files: warnings must not grow.
    Kdoc,
    /// rustfmt --check on touched .rs files.
    Rustfmt,
    /// make W=1 vmlinux with the series' options on: no new warning.
    Build,
    /// make CLIPPY=1 of the directories whose .rs files changed.
    Clippy,
    /// make W=1 vmlinux with the series' options off.
    #[value(name = "build_off")]
    BuildOff,
}

impl Check {
    pub const ALL: [Check; 14] = [
        Check::Apply,
        Check::Checkpatch,
        Check::Signoff,
        Check::Fixes,
        Check::DeprecatedApi,
        Check::SourceInline,
        Check::HeaderInline,
        Check::CheckSelftest,
        Check::Maintained,
        Check::Kdoc,
        Check::Rustfmt,
        Check::Build,
        Check::Clippy,
        Check::BuildOff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Check::Apply => "apply",
            Check::Checkpatch => "checkpatch",
            Check::Signoff => "signoff",
            Check::Fixes => "fixes",
            Check::DeprecatedApi => "deprecated_api",
            Check::SourceInline => "source_inline",
            Check::HeaderInline => "header_inline",
            Check::CheckSelftest => "check_selftest",
            Check::Maintained => "maintained",
            Check::Kdoc => "kdoc",
            Check::Rustfmt => "rustfmt",
            Check::Build => "build",
            Check::Clippy => "clippy",
            Check::BuildOff => "build_off",
        }
    }

    fn builds(self) -> bool {
        matches!(self, Check::Build | Check::Clippy | Check::BuildOff)
    }
}

pub struct ReviewOptions {
    /// Patch files, cover letter included, in series order.
    pub patches: Vec<PathBuf>,
    /// Checks to run (empty: all).
    pub only: Vec<Check>,
    pub out: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct PatchReview {
    pub file: String,
    pub subject: String,
    pub checks: Vec<Outcome>,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Review {
    pub series: Vec<Outcome>,
    pub patches: Vec<PatchReview>,
    pub base_build_seconds: Option<f64>,
    pub seconds: f64,
    pub tree: PathBuf,
    pub logs: PathBuf,
}

impl Review {
    pub fn worst(&self) -> Status {
        self.series
            .iter()
            .chain(self.patches.iter().flat_map(|p| &p.checks))
            .map(|o| o.status)
            .max()
            .unwrap_or(Status::Pass)
    }
}

/// The series' files: every `*.patch` of a directory (sorted), or the
/// files given; absolute, because `git am` runs in the review tree.
pub fn collect_patch_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let p = &std::path::absolute(p)
            .with_context(|| format!("{}: no absolute path", p.display()))?;
        if p.is_dir() {
            let mut v: Vec<PathBuf> = fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|e| e == "patch"))
                .collect();
            v.sort();
            if v.is_empty() {
                bail!("{}: no *.patch files", p.display());
            }
            out.extend(v);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{}: no such patch file or directory", p.display());
        }
    }
    Ok(out)
}

#[derive(clap::Args)]
/// `tipc-verifier review`'s arguments (see `--help`).
pub struct Args {
    /// Patch files or directories of *.patch (default: the base's series
    /// directory, patches/ or patches-6.12/).
    #[arg(value_name = "PATCH")]
    pub patches: Vec<PathBuf>,
    #[command(flatten)]
    pub base: BaseArgs,
    /// Run only these checks (comma-separated; `apply` always runs).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Check>,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Directory for the tools' logs (default: out/review-<UTC time>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Parallel make jobs (default: the number of CPUs).
    #[arg(short, long)]
    pub jobs: Option<usize>,
}

/// Runs `tipc-verifier review`: the table (or JSON) on stdout and
/// `review.json`; an error when a check failed.
pub fn command(project: Option<&Path>, args: Args, verbose: bool) -> Result<()> {
    let project = crate::project::locate(project)?;
    let cache = crate::cache::cache_root()?;
    let inputs = if args.patches.is_empty() {
        vec![args.base.base.series_dir(&project)]
    } else {
        args.patches
    };
    // The patches first: a wrong path fails before anything else.
    let patches = collect_patch_files(&inputs)?;
    crate::setup::ensure(&cache, false, verbose)?;
    let ctx = args.base.context(
        project.clone(),
        cache,
        args.jobs.unwrap_or_else(crate::kbuild::jobs_default),
    );
    let opts = ReviewOptions {
        patches,
        only: args.only,
        out: args.out.unwrap_or_else(|| {
            project
                .join("out")
                .join(format!("review-{}", crate::check::stamp()))
        }),
    };
    let result = run(&ctx, &opts)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", report::table(&result));
    }
    std::fs::write(
        opts.out.join("review.json"),
        serde_json::to_vec_pretty(&result)?,
    )?;
    if result.worst() == outcome::Status::Fail {
        return Err(crate::exit::ChecksFailed("a review check failed".into()).into());
    }
    Ok(())
}

/// Runs the review. Errors are for the tool's own trouble (no tree, no
/// make); a patch that fails a check is an outcome, not an error.
pub fn run(ctx: &BuildContext, opts: &ReviewOptions) -> Result<Review> {
    let start = Instant::now();
    let selected = |c: Check| opts.only.is_empty() || opts.only.contains(&c) || c == Check::Apply;
    let files: Vec<PatchFile> = opts
        .patches
        .iter()
        .map(|p| PatchFile::read(p))
        .collect::<Result<_>>()?;
    let series_outcomes = rules::series_for(&files, ctx.base.review_trees());
    let body: Vec<&PatchFile> = files.iter().filter(|p| !p.is_cover_letter()).collect();
    fs::create_dir_all(&opts.out).with_context(|| format!("creating {}", opts.out.display()))?;

    // The review tree is ours alone; builds of the other trees may run.
    let _lock = cache::Lock::acquire(&ctx.cache, "review-tree")?;
    let phase = Phase::start("review tree: fresh branch `review` at the base");
    let mut tree = ReviewTree::at_base(ctx)?;
    phase.done("ready");
    let building = Check::ALL.iter().any(|c| c.builds() && selected(*c));
    let base_build_seconds = if building {
        Some(tree.build_base(&opts.out)?.seconds)
    } else {
        None
    };

    let mut reviews = Vec::new();
    let mut stopped: Option<String> = None;
    for (i, patch) in body.iter().enumerate() {
        let nn = format!("{:02}", i + 1);
        let phase = Phase::start(&format!("[{}/{}] {}", i + 1, body.len(), patch.title));
        let t = Instant::now();
        let mut checks = Vec::new();
        if let Some(why) = &stopped {
            checks.extend(
                Check::ALL
                    .iter()
                    .map(|c| Outcome::skip(c.name(), why.clone())),
            );
        } else {
            review_one(
                &mut tree,
                patch,
                &opts.out.join(&nn),
                &selected,
                &mut checks,
            )?;
            if checks.first().is_some_and(|o| o.status == Status::Fail) {
                stopped = Some(format!("patch {} did not apply", i + 1));
            }
        }
        let worst = checks
            .iter()
            .map(|o| o.status)
            .filter(|s| *s != Status::Skip)
            .max()
            .unwrap_or(Status::Pass);
        phase.done(worst.label());
        reviews.push(PatchReview {
            file: patch.file_name(),
            subject: patch.title.clone(),
            checks,
            seconds: t.elapsed().as_secs_f64(),
        });
    }
    Ok(Review {
        series: series_outcomes,
        patches: reviews,
        base_build_seconds,
        seconds: start.elapsed().as_secs_f64(),
        tree: tree.path.clone(),
        logs: opts.out.clone(),
    })
}

/// Every check of one patch, in `Check::ALL` order.
fn review_one(
    tree: &mut ReviewTree,
    patch: &PatchFile,
    logs: &Path,
    selected: &dyn Fn(Check) -> bool,
    checks: &mut Vec<Outcome>,
) -> Result<()> {
    let log = |name: &str| PathBuf::from(format!("{}-{name}.log", logs.display()));
    if let Err(failure) = apply::git_am(&crate::git::Tree::at(&tree.path)?, patch)? {
        checks.push(Outcome::fail(Check::Apply.name(), failure.to_string()));
        checks.extend(
            Check::ALL[1..]
                .iter()
                .map(|c| Outcome::skip(c.name(), "the patch did not apply")),
        );
        return Ok(());
    }
    checks.push(Outcome::pass(Check::Apply.name(), "git am"));
    let not_selected = |c: Check| Outcome::skip(c.name(), "not selected (--only)");
    let mut push = |c: Check, f: &mut dyn FnMut() -> Result<Outcome>| -> Result<()> {
        checks.push(if selected(c) { f()? } else { not_selected(c) });
        Ok(())
    };
    push(Check::Checkpatch, &mut || {
        tools::checkpatch(&tree.path, &log("checkpatch"))
    })?;
    push(Check::Signoff, &mut || Ok(rules::signoff(patch)))?;
    push(Check::Fixes, &mut || tools::fixes(&tree.path, patch))?;
    push(Check::DeprecatedApi, &mut || {
        Ok(nipa::deprecated_api(patch))
    })?;
    push(Check::SourceInline, &mut || Ok(nipa::source_inline(patch)))?;
    push(Check::HeaderInline, &mut || Ok(nipa::header_inline(patch)))?;
    push(Check::CheckSelftest, &mut || {
        Ok(nipa::check_selftest(patch, &tree.path))
    })?;
    push(Check::Maintained, &mut || {
        nipa::maintained(patch, &tree.path)
    })?;
    push(Check::Kdoc, &mut || {
        tools::kernel_doc(&tree.path, patch, &log("kdoc"))
    })?;
    push(Check::Rustfmt, &mut || {
        tools::rustfmt(&tree.path, patch, &log("rustfmt"))
    })?;

    let rust_files = patch.kept_files_with(&[".rs"]);
    let kconfig_changed = patch.files.iter().any(|f| f.path.contains("Kconfig"));
    let want_on = selected(Check::Build) || selected(Check::Clippy);
    let want_off = selected(Check::BuildOff);
    let first = tree.current_state();
    let mut on_result: Option<BuildResult> = None;
    let mut off_outcome: Option<Outcome> = None;
    for on in [first, !first] {
        if on && want_on {
            let present = tree.ensure_state(true, kconfig_changed)?;
            on_result = Some(tree.build(
                &format!("build W=1 vmlinux, {} on", options_text(&present)),
                &["vmlinux".to_string()],
                &log("build"),
            )?);
        } else if !on && want_off {
            let present = tree.ensure_state(false, kconfig_changed)?;
            off_outcome = Some(if present.is_empty() {
                Outcome::skip(
                    Check::BuildOff.name(),
                    format!(
                        "{} not in Kconfig yet: nothing to switch off",
                        options_text(&tree.options)
                    ),
                )
            } else {
                let r = tree.build(
                    &format!("build W=1 vmlinux, {} off", options_text(&present)),
                    &["vmlinux".to_string()],
                    &log("build-off"),
                )?;
                build_outcome(Check::BuildOff, &r, |_| true, "vmlinux W=1, option off")
            });
        }
    }
    checks.push(match (&on_result, selected(Check::Build)) {
        (Some(r), true) => build_outcome(Check::Build, r, |_| true, "vmlinux W=1"),
        _ => not_selected(Check::Build),
    });
    checks.push(match (&on_result, selected(Check::Clippy)) {
        (Some(_), true) if rust_files.is_empty() => {
            Outcome::skip(Check::Clippy.name(), "no Rust file touched")
        }
        (Some(r), true) => build_outcome(
            Check::Clippy,
            r,
            |d| d.file.ends_with(".rs"),
            &format!("clippy-driver on {}", rust_files.join(" ")),
        ),
        _ => not_selected(Check::Clippy),
    });
    checks.push(off_outcome.unwrap_or_else(|| not_selected(Check::BuildOff)));
    Ok(())
}

fn options_text(options: &[String]) -> String {
    if options.is_empty() {
        return "no series option".into();
    }
    options
        .iter()
        .map(|o| format!("CONFIG_{o}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A build's outcome for one column: the build failed, or a new warning
/// that `counts` attributes to this column.
fn build_outcome(
    check: Check,
    r: &BuildResult,
    counts: impl Fn(&rules::Diagnostic) -> bool,
    what: &str,
) -> Outcome {
    let new: Vec<&rules::Diagnostic> = r.new_warnings.iter().filter(|d| counts(d)).collect();
    let o = if !r.ok {
        Outcome::fail(
            check.name(),
            r.first_error
                .clone()
                .unwrap_or_else(|| "make failed".into()),
        )
    } else if let Some(first) = new.first() {
        Outcome::fail(
            check.name(),
            format!("{} new warning(s): {}", new.len(), first.text),
        )
    } else {
        Outcome::pass(
            check.name(),
            format!(
                "{what}: no new warning ({})",
                progress::fmt_duration(std::time::Duration::from_secs_f64(r.seconds))
            ),
        )
    };
    o.with_log(r.log.clone())
}
