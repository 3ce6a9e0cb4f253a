//! Progress of long steps and logged command runs.
//!
//! Long commands (kernel builds, tree unpacking) write their whole output to
//! a log file; the terminal gets one status line per interval with the phase,
//! the elapsed time and the latest thing the command said. A failure prints
//! the last lines of the log and its path.

use anyhow::{bail, Context, Result};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Prints a phase header and returns a timer for its end line.
pub struct Phase {
    name: String,
    start: Instant,
}

impl Phase {
    pub fn start(name: &str) -> Self {
        eprintln!("==> {name}");
        Self {
            name: name.to_string(),
            start: Instant::now(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    pub fn done(self, what: &str) {
        eprintln!(
            "    {} {} ({})",
            self.name,
            what,
            fmt_duration(self.start.elapsed())
        );
    }
}

/// `1m05s`, `12.3s`.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// How many log lines a failure shows.
pub const TAIL_LINES: usize = 25;

/// Runs `cmd` with stdout and stderr appended to `log`, printing a status
/// line every `interval`. `describe` turns an output line into the short
/// "what it is doing" text (or `None` to keep the previous one).
pub fn run_logged(
    step: &str,
    mut cmd: Command,
    log: &Path,
    interval: Duration,
    describe: fn(&str) -> Option<String>,
) -> Result<()> {
    let mut log_file = open_log(log, &display_command(&cmd))?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("{step}: cannot start {}", display_command(&cmd)))?;

    let (rx, readers) = output_lines(&mut child);

    let start = Instant::now();
    let mut last_report = Instant::now();
    let mut doing = String::from("starting");
    let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
    loop {
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(line) => {
                writeln!(log_file, "{line}")?;
                if let Some(d) = describe(&line) {
                    doing = d;
                }
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if last_report.elapsed() >= interval {
            eprintln!("    [{step}] {} {doing}", fmt_duration(start.elapsed()));
            last_report = Instant::now();
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child
        .wait()
        .with_context(|| format!("{step}: waiting for the command"))?;
    if !status.success() {
        eprintln!(
            "    [{step}] failed after {}; last lines of the log:",
            fmt_duration(start.elapsed())
        );
        for line in &tail {
            eprintln!("      | {line}");
        }
        bail!("{step} failed ({status}); full log: {}", log.display());
    }
    Ok(())
}

/// A shell-like rendering of a command, for logs and `--dry-run`.
pub fn display_command(cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| {
            v.map(|v| {
                format!(
                    "{}={}",
                    k.to_string_lossy(),
                    shell_quote(&v.to_string_lossy())
                )
            })
        })
        .collect();
    parts.push(shell_quote(&cmd.get_program().to_string_lossy()));
    parts.extend(cmd.get_args().map(|a| shell_quote(&a.to_string_lossy())));
    parts.join(" ")
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Kbuild's short lines (`  CC      net/tipc/node.o`) as progress text.
pub fn describe_kbuild_line(line: &str) -> Option<String> {
    let t = line.trim_start();
    let (verb, rest) = t.split_once(char::is_whitespace)?;
    let known = [
        "CC",
        "RUSTC",
        "LD",
        "AR",
        "AS",
        "BINDGEN",
        "HOSTCC",
        "GEN",
        "OBJCOPY",
        "LZMA",
        "GZIP",
        "XZKERN",
        "BUILD",
        "KSYMS",
        "SORTTAB",
        "CPP",
        "VOFFSET",
        "ZOFFSET",
        "MKPIGGY",
        "EXPORTS",
        "RUSTDOC",
        "UPD",
        "SYNC",
        "WRAP",
        "SYSHDR",
        "SYSTBL",
        "HYPERCALLS",
        "MODPOST",
        "CHK",
    ];
    let verb_ok = known.contains(&verb) || verb.starts_with("RUSTC") || verb.starts_with("CC");
    verb_ok.then(|| format!("{verb} {}", rest.trim()))
}

/// Runs a short command, returning its stdout; stderr goes into the error.
pub fn capture(step: &str, mut cmd: Command) -> Result<String> {
    let shown = display_command(&cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{step}: cannot run {shown}"))?;
    if !out.status.success() {
        bail!(
            "{step}: `{shown}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Opens `log` for appending (creating its directory) and writes the
/// command line `shown` into it.
fn open_log(log: &Path, shown: &str) -> Result<File> {
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening log {}", log.display()))?;
    writeln!(file, "$ {shown}")?;
    Ok(file)
}

/// Runs a short command whose stdout the caller reads, appending the
/// command and both streams to `log`; a failure names the log.
pub fn capture_logged(step: &str, mut cmd: Command, log: &Path) -> Result<String> {
    let shown = display_command(&cmd);
    let mut log_file = open_log(log, &shown)?;
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{step}: cannot run {shown}"))?;
    log_file.write_all(&out.stdout)?;
    log_file.write_all(&out.stderr)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!(
            "{step} failed ({}): {}; full log: {}",
            out.status,
            stderr.lines().last().unwrap_or("").trim(),
            log.display()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Lines of a child's stdout and stderr, merged, through a channel (lossy
/// UTF-8, so a console's stray bytes never stop the reader). The channel
/// closes when both streams end; join the handles after that.
pub fn output_lines(
    child: &mut std::process::Child,
) -> (mpsc::Receiver<String>, Vec<std::thread::JoinHandle<()>>) {
    let (tx, rx) = mpsc::channel::<String>();
    let streams = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ];
    let readers = streams
        .into_iter()
        .flatten()
        .map(|stream| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(stream);
                let mut buf = Vec::new();
                while r
                    .read_until(b'\n', &mut buf)
                    .map(|n| n > 0)
                    .unwrap_or(false)
                {
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\r', '\n'])
                        .to_string();
                    buf.clear();
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    (rx, readers)
}
