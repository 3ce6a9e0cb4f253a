//! `tipc-verifier trace bench`: `trace review` against tshark on one large
//! capture, side by side in one run.
//!
//! The capture is made by repeating the frames of real captures (our own
//! QEMU runs by default) until it holds `--frames` frames, with increasing
//! timestamps. Each round runs, one after the other, `tipc-verifier trace
//! review FILE` (text), `tipc-verifier trace review --json FILE` (JSON
//! Lines) and `tshark -r FILE -T fields -e tipc.usr`, all writing to
//! /dev/null; each round starts with a different one of the three, so drift
//! hits all alike. The medians and tshark's ratio to each mode are printed.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use tipc_wire::CaptureReader;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Captures whose frames make up the benchmark file (default: the real
    /// captures in verifier/tests/data/captures).
    pub sources: Vec<PathBuf>,
    /// Frames in the benchmark file.
    #[arg(long, default_value_t = 100_000)]
    pub frames: u64,
    /// Timed rounds of each tool.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// Keep the benchmark file here instead of a temporary directory.
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What a run measured.
#[derive(Debug, Serialize)]
pub struct BenchResult {
    pub frames: u64,
    pub file_bytes: u64,
    /// `trace review FILE` (text lines).
    pub review_seconds: Vec<f64>,
    /// `trace review --json FILE` (JSON Lines).
    pub json_seconds: Vec<f64>,
    pub tshark_seconds: Vec<f64>,
    pub review_median: f64,
    pub json_median: f64,
    pub tshark_median: f64,
    /// tshark's median time over the text mode's.
    pub speedup: f64,
    /// tshark's median time over the JSON mode's.
    pub json_speedup: f64,
}

const LINKTYPE_ETHERNET: u32 = 1;
const SNAPLEN: u32 = 262_144;

/// Writes a classic little-endian microsecond pcap of `frames` frames made
/// by cycling through the Ethernet frames of `sources`.
pub fn write_capture(sources: &[PathBuf], frames: u64, out: &Path) -> Result<u64> {
    let mut pool = Vec::new();
    for src in sources {
        let reader = CaptureReader::open(src).map_err(|e| anyhow::anyhow!("{e}"))?;
        for frame in reader {
            let frame = frame.map_err(|e| anyhow::anyhow!("{e}"))?;
            if frame.linktype == LINKTYPE_ETHERNET as i32 {
                pool.push(frame.data);
            }
        }
    }
    if pool.is_empty() {
        bail!("no Ethernet frames in {sources:?}");
    }
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = BufWriter::new(file);
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&SNAPLEN.to_le_bytes());
    header.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    w.write_all(&header)?;
    let mut bytes = header.len() as u64;
    for i in 0..frames {
        let data = &pool[(i % pool.len() as u64) as usize];
        let len = data.len() as u32;
        let mut rec = Vec::with_capacity(16);
        rec.extend_from_slice(&((i / 1_000_000) as u32).to_le_bytes());
        rec.extend_from_slice(&((i % 1_000_000) as u32).to_le_bytes());
        rec.extend_from_slice(&len.to_le_bytes());
        rec.extend_from_slice(&len.to_le_bytes());
        w.write_all(&rec)?;
        w.write_all(data)?;
        bytes += 16 + u64::from(len);
    }
    w.flush()?;
    Ok(bytes)
}

fn timed(mut cmd: Command, what: &str) -> Result<f64> {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let status = cmd.status().with_context(|| format!("running {what}"))?;
    let secs = start.elapsed().as_secs_f64();
    // trace review exits 1 only for wrong-path verdicts, which need --expect.
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(secs)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[s.len() / 2]
}

fn default_sources(project: Option<&Path>) -> Result<Vec<PathBuf>> {
    let dir = crate::project::locate(project)?.join("verifier/tests/data/captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    v.sort();
    Ok(v)
}

/// Runs the benchmark; `project` is where the default sources are.
pub fn run(args: &BenchArgs, project: Option<&Path>) -> Result<BenchResult> {
    if args.rounds == 0 || args.frames == 0 {
        return Err(
            crate::exit::UsageError("--rounds and --frames must be at least 1".into()).into(),
        );
    }
    if Command::new("tshark").arg("--version").output().is_err() {
        bail!("tshark is not installed (tipc-verifier setup installs it)");
    }
    let sources = if args.sources.is_empty() {
        default_sources(project)?
    } else {
        args.sources.clone()
    };
    let tmp = tempfile::tempdir().context("temporary directory")?;
    let file = args
        .keep
        .clone()
        .unwrap_or_else(|| tmp.path().join("bench.pcap"));
    eprintln!(
        "trace bench: writing {} frames from {} capture(s) to {}",
        args.frames,
        sources.len(),
        file.display()
    );
    let file_bytes = write_capture(&sources, args.frames, &file)?;
    let me = std::env::current_exe().context("locating tipc-verifier")?;
    let review = |json: bool| {
        let mut c = Command::new(&me);
        c.args(["trace", "review"]);
        if json {
            c.arg("--json");
        }
        c.arg(&file);
        c
    };
    let tshark = || {
        let mut c = Command::new("tshark");
        c.arg("-r")
            .arg(&file)
            .args(["-T", "fields", "-e", "tipc.usr"]);
        c
    };
    let (mut text, mut json, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let mut times = [0.0; 3];
        for k in 0..3 {
            let tool = (round as usize + k) % 3;
            times[tool] = match tool {
                0 => timed(review(false), "trace review")?,
                1 => timed(review(true), "trace review --json")?,
                _ => timed(tshark(), "tshark")?,
            };
        }
        let [r, j, t] = times;
        eprintln!(
            "trace bench: round {}/{}: trace review {r:.3} s, trace review --json {j:.3} s, tshark {t:.3} s",
            round + 1,
            args.rounds
        );
        text.push(r);
        json.push(j);
        theirs.push(t);
    }
    let (rm, jm, tm) = (median(&text), median(&json), median(&theirs));
    Ok(BenchResult {
        frames: args.frames,
        file_bytes,
        review_seconds: text,
        json_seconds: json,
        tshark_seconds: theirs,
        review_median: rm,
        json_median: jm,
        tshark_median: tm,
        speedup: tm / rm,
        json_speedup: tm / jm,
    })
}

/// Prints the result.
pub fn print(res: &BenchResult, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(res)?);
    } else {
        println!(
            "frames {}  file {:.1} MB  medians of {} rounds:",
            res.frames,
            res.file_bytes as f64 / 1e6,
            res.review_seconds.len()
        );
        println!(
            "  trace review (text)           {:.3} s   tshark/text x{:.1}",
            res.review_median, res.speedup
        );
        println!(
            "  trace review --json           {:.3} s   tshark/json x{:.1}",
            res.json_median, res.json_speedup
        );
        println!("  tshark -T fields -e tipc.usr  {:.3} s", res.tshark_median);
    }
    Ok(())
}
