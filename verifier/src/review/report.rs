//! The review as a table (patch × check) with the reasons below it, or as
//! JSON for tools.

use super::outcome::Status;
use super::{Check, Review};
use std::fmt::Write as _;

const TITLE_WIDTH: usize = 44;

fn short(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width - 1).collect();
        t.push('~');
        t
    }
}

/// A column as wide as its name, and at least as wide as `FAIL`/`warn`.
fn column_width(c: Check) -> usize {
    c.name().len().max(5)
}

/// The table, the series checks, and one line per cell that is not a pass.
pub fn table(review: &Review) -> String {
    let mut out = String::new();
    let _ = write!(out, "{:<w$}", "patch", w = TITLE_WIDTH + 4);
    for c in Check::ALL {
        let _ = write!(out, " {:<w$}", c.name(), w = column_width(c));
    }
    out.push_str("  time\n");
    for (i, p) in review.patches.iter().enumerate() {
        let _ = write!(
            out,
            "{:02}  {:<w$}",
            i + 1,
            short(&p.subject, TITLE_WIDTH),
            w = TITLE_WIDTH
        );
        for c in Check::ALL {
            let cell = p
                .checks
                .iter()
                .find(|o| o.check == c.name())
                .map(|o| o.status.label())
                .unwrap_or("?");
            let _ = write!(out, " {cell:<w$}", w = column_width(c));
        }
        let _ = writeln!(out, "  {:.0}s", p.seconds);
    }
    out.push_str("\nseries:\n");
    for o in &review.series {
        let _ = writeln!(
            out,
            "  {:<15} {:<5} {}",
            o.check,
            o.status.label(),
            o.reason
        );
    }
    let problems: Vec<String> = review
        .patches
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.checks
                .iter()
                .filter(|o| matches!(o.status, Status::Warn | Status::Fail))
                .map(move |o| {
                    let log = o
                        .log
                        .as_ref()
                        .map(|l| format!("\n      log: {}", l.display()))
                        .unwrap_or_default();
                    format!(
                        "  {:02} {} {}: {}{log}",
                        i + 1,
                        o.check,
                        o.status.label(),
                        o.reason
                    )
                })
        })
        .collect();
    if !problems.is_empty() {
        out.push_str("\nfindings:\n");
        for p in problems {
            out.push_str(&p);
            out.push('\n');
        }
    }
    let base = review
        .base_build_seconds
        .map(|s| format!(", base build {s:.0} s"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\nreview: {} patch(es) in {:.0} s{base}; result {}; logs in {}",
        review.patches.len(),
        review.seconds,
        match review.worst() {
            Status::Fail => "FAIL",
            Status::Warn => "pass with warnings",
            _ => "pass",
        },
        review.logs.display()
    );
    out
}
