//! Reading a guest's serial console: kernel splats, the guest's own markers.

use serde::Serialize;

/// Console texts that mean the kernel is unhappy. Any of them fails a run.
/// The first marker a line contains names its kind, so the specific
/// reports (KASAN, lockdep, RCU, sleep in atomic) come before the generic
/// `BUG:` and `WARNING:` lines they start with.
const SPLAT_MARKERS: &[(&str, &str)] = &[
    ("Kernel panic", "panic"),
    ("BUG: KASAN:", "KASAN"),
    ("KASAN:", "KASAN"),
    ("BUG: KCSAN:", "KCSAN"),
    (
        "sleeping function called from invalid context",
        "sleep in atomic",
    ),
    ("possible recursive locking", "lockdep"),
    ("possible circular locking", "lockdep"),
    ("inconsistent lock state", "lockdep"),
    ("possible irq lock inversion", "lockdep"),
    ("bad unlock balance", "lockdep"),
    ("lock held when returning to user space", "lockdep"),
    ("held lock freed", "lockdep"),
    ("trying to register non-static key", "lockdep"),
    ("suspicious RCU usage", "RCU"),
    ("Illegal context switch in RCU", "RCU"),
    ("rcu: INFO:", "RCU stall"),
    ("detected stalls on CPUs", "RCU stall"),
    ("soft lockup", "lockup"),
    ("hard LOCKUP", "lockup"),
    ("refcount_t:", "refcount"),
    ("list_add corruption", "list corruption"),
    ("list_del corruption", "list corruption"),
    ("BUG:", "BUG"),
    ("kernel BUG at", "BUG"),
    ("Oops", "Oops"),
    ("general protection fault", "GPF"),
    ("WARNING:", "WARNING"),
    ("UBSAN:", "UBSAN"),
    ("blocked for more than", "hung task"),
    ("Unable to handle kernel", "Oops"),
];

/// Marker the guest's /init prints when it is done.
pub const END_MARKER: &str = "TIPC-VERIFIER: END rc=";
/// Progress lines a long guest script writes to the console (shown on the
/// host's stderr even without `-v`).
pub const PROGRESS_MARKER: &str = "TIPC-VERIFIER: STRESS ";
/// Marker the guest's /init prints first.
pub const INIT_MARKER: &str = "TIPC-VERIFIER: init reached after ";

/// One splat found in a console, with the lines around it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Splat {
    pub kind: &'static str,
    pub line_number: usize,
    pub excerpt: String,
    /// Whether it fails the run: every splat does, but a KCSAN data-race
    /// report whose accesses and stacks name no TIPC function. A
    /// sanitizer kernel reports races all over the core kernel; what this
    /// project answers for are the ones in `net/tipc`.
    pub fails_run: bool,
}

/// A console line without its printk time stamp (`[   12.345678] `).
fn message(line: &str) -> &str {
    match line.trim_start().strip_prefix('[') {
        Some(rest) => rest.split_once("] ").map_or(line, |(_, m)| m),
        None => line,
    }
}

/// Whether a report line names TIPC code: a word that starts with `tipc_`
/// or `__tipc_` (a function in the title, a stack frame, a workqueue), or
/// a frame of the `tipc` module; not merely a task called `tipc-agent`.
fn names_tipc(line: &str) -> bool {
    let m = message(line);
    m.contains("[tipc]")
        || m.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| w.trim_start_matches('_').starts_with("tipc_"))
}

/// The end (exclusive) of the KCSAN report whose title is `lines[title]`:
/// its closing line of `=` characters is the last line.
/// Without one (the console was cut short), [`EXCERPT_AFTER`] lines.
fn kcsan_report_end(lines: &[&str], title: usize) -> usize {
    let limit = (title + 200).min(lines.len());
    (title + 1..limit)
        .find(|&j| message(lines[j]).starts_with("=========="))
        .map_or((title + EXCERPT_AFTER).min(lines.len()), |j| j + 1)
}

/// Lines of context kept after the line that matched (the trace).
const EXCERPT_AFTER: usize = 30;

/// Finds splats; one per report (lines inside an excerpt are not reported again).
pub fn find_splats(console: &str) -> Vec<Splat> {
    let lines: Vec<&str> = console.lines().collect();
    let mut found = Vec::new();
    let mut skip_until = 0;
    for (i, line) in lines.iter().enumerate() {
        if i < skip_until || line.contains("TIPC-VERIFIER:") {
            continue;
        }
        if let Some((_, kind)) = SPLAT_MARKERS.iter().find(|(m, _)| line.contains(m)) {
            let from = i.saturating_sub(2);
            // A KCSAN report ends at its closing rule, and the next one may
            // follow at once: each is judged on its own lines.
            // Scanning goes on inside a KCSAN report: with two CPUs another
            // CPU's splat may be printed between its lines.
            let kcsan = *kind == "KCSAN";
            let to = if kcsan {
                kcsan_report_end(&lines, i)
            } else {
                (i + EXCERPT_AFTER).min(lines.len())
            };
            found.push(Splat {
                kind,
                line_number: i + 1,
                excerpt: lines[from..to].join("\n"),
                fails_run: !kcsan || lines[i..to].iter().any(|l| names_tipc(l)),
            });
            skip_until = if kcsan { i + 1 } else { to };
        }
    }
    found
}

/// The guest script's exit status, if the guest reached its end.
pub fn end_status(console: &str) -> Option<i32> {
    console.lines().rev().find_map(|l| {
        let rest = &l[l.find(END_MARKER)? + END_MARKER.len()..];
        rest.split(|c: char| !c.is_ascii_digit() && c != '-')
            .next()?
            .parse()
            .ok()
    })
}

/// Seconds from kernel start to our /init, as the guest measured it.
pub fn boot_seconds(console: &str) -> Option<f64> {
    console.lines().find_map(|l| {
        let rest = &l[l.find(INIT_MARKER)? + INIT_MARKER.len()..];
        rest.trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .ok()
    })
}

/// The last `n` lines, for a run that ended badly without a splat.
pub fn tail(console: &str, n: usize) -> String {
    let lines: Vec<&str> = console.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
