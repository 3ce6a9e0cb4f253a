//! `tipc-verifier trace review`: a focused tshark for TIPC with path verdicts.
//!
//! Reads pcap/pcapng captures through [`tipc_wire::tipc_messages`] and prints one line
//! (or one JSON record) per TIPC message as it is decoded, then a summary per user and type.
//! With `--expect`, every message is judged by [`judge`]: socket traffic must have taken the
//! expected path (crossover = only a loopback trace clone; bearer = a real interface), and
//! internal traffic must always be on a bearer. Nothing is collected per message, so memory
//! stays flat on any capture size.

mod json;
mod text;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

pub use tipc_wire::verdict::{judge, ExpectedPath, Verdict};

use json::{ErrorBody, ErrorRecord, MessageRecord};
use tipc_wire::tipc;
use tipc_wire::{self as decode, DecodeError, ObservedPath, TipcFrame};

/// Exit status: every message on its expected path.
pub const EXIT_OK: u8 = crate::exit::OK;
/// Exit status: a message on the wrong path, or a bad TIPC message.
pub const EXIT_VERDICT_FAILED: u8 = crate::exit::CHECK_FAILED;
/// Exit status: an input file could not be read (missing, not a capture, truncated, corrupt).
pub const EXIT_UNREADABLE: u8 = crate::exit::INFRASTRUCTURE;

const LONG_ABOUT: &str = "\
Review TIPC messages in pcap/pcapng captures and check which path each one took.

Reads each FILE as it streams (pcap or pcapng; Ethernet, VLAN, or Linux cooked captures from
`tcpdump -i any`), skips frames that are not TIPC (Ethernet type 0x88CA), and prints one line
per TIPC message, then a summary per user and message type.

How the path shows in a capture: a message that crossed between network namespaces of one
kernel (the TIPC \"crossover\") never touches a bearer; the kernel's loopback trace puts one
clone of it on the receiving namespace's `lo`, with Ethernet type 0x88CA and all-zero MAC
addresses. Bearer traffic appears on the veth/eth interface with real MAC addresses.

Each line reads:

  FRAME TIME IFACE DIR PATH USER TYPE FROM -> TO DETAILS VERDICT

  FRAME    frame number in the file (as tshark counts, from 1)
  TIME     seconds since the file's first TIPC message
  IFACE    capturing interface (pcapng) or `-`; DIR is in/out when the capture records it
  PATH     `loopback` (a trace clone: crossover or node-local) or `bearer`
  USER     TIPC user (LOW_IMPORTANCE..CRITICAL_IMPORTANCE are socket data; LINK_CONFIG is
           discovery, LINK_PROTOCOL the link, NAME_DISTRIBUTOR the name table, ...)
  TYPE     message type of that user (CONN, MCAST, NAMED, DIRECT, GRP_* for data)
  FROM/TO  <node>:port; node addresses are hex in angle brackets, like `tipc` prints
           them (<1001002>), ports are decimal; `?` where the header has no such field
  DETAILS  size=total bytes, name={type,instance[,upper]}, frag=KIND#n (FIRST fragments
           show the inner message), bundle contents, discovery fields (cluster id, node
           signature, capabilities, proof word, suggested address, node id, media address),
           link protocol fields
  VERDICT  `ok`, `local` (delivered inside one node: not judged), `-` (not judged:
           no --expect), or `WRONG-PATH: reason`

Verdicts. Socket traffic (data users, CONN_MANAGER, GROUP_PROTOCOL, and fragments or
bundles carrying them) is judged only with --expect: `crossover` wants a loopback clone,
`bearer` wants a real interface. Internal traffic (discovery, link and broadcast protocol,
name distribution, tunnel, crypto) must always be on a bearer and is flagged if it shows
up as a loopback clone. Loopback clones a node sent to itself (orig node = dest node, a
--local-node address, or topology-server events) are node-local, not crossover.

A frame of type 0x88CA whose TIPC header cannot be decoded is listed as BAD-TIPC with its
frame number and byte offset and counts as a failure.

Exit status: 0 all judged messages on their expected path; 1 a WRONG-PATH message or a
BAD-TIPC frame; 2 bad arguments; 3 an input file could not be read (missing, not a capture,
truncated, corrupt: the message names the file, frame number and byte offset). Messages decoded
before the problem are still listed.";

const AFTER_LONG_HELP: &str = "\
JSON output (--json) is JSON Lines, one object per line, written as messages are decoded:

  message:  {\"file\", \"frame\", \"offset\", \"ts\" (epoch seconds), \"time\" (relative),
             \"interface\", \"direction\", \"wire_len\", \"captured_len\", \"link_layer\",
             \"eth_src\", \"eth_dst\", \"path\" (loopback|bearer), \"class\"
             (user|internal|node_local), \"verdict\" (ok|wrong_path|local|unchecked),
             \"reason\", \"user_name\", \"type_name\", and the decoded header: \"version\",
             \"user\", \"type\", \"hdr_size\", \"size\", \"non_seq\", \"syn\", \"error\",
             \"prev_node\", \"orig_node\", \"dest_node\", \"orig_port\", \"dest_port\",
             \"name_type\", \"name_instance\", \"name_upper\", \"fragment\", \"discovery\",
             \"link\" (LINK_PROTOCOL fields), \"bundle\"}
            Node addresses and ports are numbers. A field the capture or the header
            does not have is left out (jq reads it as null).
  error:    {\"error\": {\"file\", \"frame\", \"offset\", \"message\", \"unreadable\"}}
  summary:  the last line, {\"summary\": {\"expect\", \"files\": [per-file counts and
             error], \"by_type\": [per user and type: messages, bytes, loopback, bearer,
             wrong_path], \"totals\", \"exit_code\", \"status\"}}

Examples:
  tipc-verifier trace review lo.pcap --expect crossover
  tipc-verifier trace review eth0.pcapng --expect bearer --json | jq -c 'select(.verdict==\"wrong_path\")'";

/// Arguments of `tipc-verifier trace review`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    about = "One line per TIPC message in pcap/pcapng captures, a summary, and path verdicts",
    long_about = LONG_ABOUT,
    after_long_help = AFTER_LONG_HELP
)]
pub struct ReviewArgs {
    /// Capture files (pcap or pcapng), reviewed in order.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Write JSON Lines (one object per message, errors, a final summary) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Path socket traffic must have taken: crossover (loopback trace clones only) or bearer.
    #[arg(long, value_enum, value_name = "PATH")]
    pub expect: Option<ExpectedPath>,
    /// Node address of a capturing namespace (repeatable; <hex>, 0xhex, hex or Z.C.N).
    /// Loopback clones from this node to itself are node-local, not crossover.
    #[arg(long = "local-node", value_name = "ADDR", value_parser = tipc::parse_node_addr)]
    pub local_nodes: Vec<u32>,
    /// Print only BAD-TIPC and WRONG-PATH lines, errors and the summary (text output).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Entry point of `tipc-verifier trace review`.
pub fn run(args: ReviewArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    ExitCode::from(run_to(&args, &mut out, &mut err))
}

/// Runs the review writing to `out` and `err`; returns the exit status (0, 1 or 2).
pub fn run_to(args: &ReviewArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let mut review = Review::new(args);
    let result = review.run(out, err);
    match result {
        Ok(()) => review.exit_code(),
        // The reader went away (`| head`): stop quietly with what was judged so far.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => review.exit_code(),
        Err(e) => {
            let _ = writeln!(err, "tipc-verifier: cannot write output: {e}");
            EXIT_UNREADABLE
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
struct TypeStats {
    messages: u64,
    bytes: u64,
    loopback: u64,
    bearer: u64,
    wrong_path: u64,
}

impl TypeStats {
    fn add(&mut self, other: &TypeStats) {
        self.messages += other.messages;
        self.bytes += other.bytes;
        self.loopback += other.loopback;
        self.bearer += other.bearer;
        self.wrong_path += other.wrong_path;
    }
}

#[derive(Debug, Default, Clone, Serialize)]
struct FileStats {
    file: String,
    frames: u64,
    tipc_messages: u64,
    skipped_non_tipc: u64,
    bad_tipc: u64,
    wrong_path: u64,
    local: u64,
    judged: u64,
    error: Option<String>,
}

#[derive(Serialize)]
struct TypeRow<'a> {
    user: u8,
    user_name: &'static str,
    #[serde(rename = "type")]
    mtype: u8,
    type_name: Cow<'static, str>,
    #[serde(flatten)]
    stats: &'a TypeStats,
}

#[derive(Serialize)]
struct Summary<'a> {
    expect: Option<ExpectedPath>,
    files: &'a [FileStats],
    by_type: Vec<TypeRow<'a>>,
    totals: &'a FileStats,
    bytes: u64,
    exit_code: u8,
    status: &'static str,
}

#[derive(Serialize)]
struct SummaryRecord<'a> {
    summary: Summary<'a>,
}

struct Review<'a> {
    args: &'a ReviewArgs,
    by_type: BTreeMap<(u8, u8), TypeStats>,
    files: Vec<FileStats>,
    /// The text line being written, reused so that a line costs no allocation.
    line: String,
    /// The JSON record being written, reused likewise: serde_json writes into a
    /// `Vec` through inlined calls, where `&mut dyn Write` costs a call per token.
    record: Vec<u8>,
    json: json::MessageWriter,
}

impl<'a> Review<'a> {
    fn new(args: &'a ReviewArgs) -> Self {
        Review {
            args,
            by_type: BTreeMap::new(),
            files: Vec::new(),
            line: String::with_capacity(256),
            record: Vec::with_capacity(1024),
            json: json::MessageWriter::default(),
        }
    }

    fn totals(&self) -> FileStats {
        let mut t = FileStats {
            file: "total".into(),
            ..FileStats::default()
        };
        for f in &self.files {
            t.frames += f.frames;
            t.tipc_messages += f.tipc_messages;
            t.skipped_non_tipc += f.skipped_non_tipc;
            t.bad_tipc += f.bad_tipc;
            t.wrong_path += f.wrong_path;
            t.local += f.local;
            t.judged += f.judged;
        }
        t
    }

    fn exit_code(&self) -> u8 {
        let t = self.totals();
        if self.files.iter().any(|f| f.error.is_some()) {
            EXIT_UNREADABLE
        } else if t.wrong_path > 0 || t.bad_tipc > 0 {
            EXIT_VERDICT_FAILED
        } else {
            EXIT_OK
        }
    }

    fn run(&mut self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        let many = self.args.files.len() > 1;
        for path in &self.args.files {
            if many && !self.args.json && !self.args.quiet {
                writeln!(out, "==> {} <==", path.display())?;
            }
            self.review_file(path, out, err)?;
        }
        self.write_summary(out)?;
        out.flush()
    }

    fn review_file(
        &mut self,
        path: &Path,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<()> {
        let file = path.display().to_string();
        let mut stats = FileStats {
            file: file.clone(),
            ..FileStats::default()
        };
        let mut first_ts = None;
        let mut fatal = None;
        match decode::tipc_messages(path) {
            Err(e) => fatal = Some(e),
            Ok(mut messages) => {
                for item in messages.by_ref() {
                    match item {
                        Ok(frame) => {
                            let t0 = *first_ts.get_or_insert(frame.frame.ts);
                            self.message(&file, &frame, frame.frame.ts - t0, &mut stats, out)?;
                        }
                        Err(e) if e.unreadable() => {
                            fatal = Some(e);
                            break;
                        }
                        Err(e) => self.bad_tipc(&file, &e, out)?,
                    }
                }
                stats.frames = messages.frames_read();
                stats.skipped_non_tipc = messages.skipped_non_tipc();
                stats.bad_tipc = messages.malformed_tipc();
            }
        }
        if let Some(e) = fatal {
            out.flush()?;
            writeln!(err, "tipc-verifier: {e}")?;
            if self.args.json {
                self.write_error(&file, &e, out)?;
            }
            stats.error = Some(e.to_string());
        }
        self.files.push(stats);
        Ok(())
    }

    fn message(
        &mut self,
        file: &str,
        frame: &TipcFrame,
        time: f64,
        stats: &mut FileStats,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let h = &frame.header;
        let path = frame.observed_path();
        let (verdict, reason) = judge(frame, self.args.expect, &self.args.local_nodes);
        stats.tipc_messages += 1;
        let entry = self.by_type.entry((h.user, h.mtype)).or_default();
        entry.messages += 1;
        entry.bytes += u64::from(h.size);
        match path {
            ObservedPath::Loopback => entry.loopback += 1,
            ObservedPath::Bearer => entry.bearer += 1,
        }
        match verdict {
            Verdict::WrongPath => {
                entry.wrong_path += 1;
                stats.wrong_path += 1;
                stats.judged += 1;
            }
            Verdict::Local => stats.local += 1,
            Verdict::Ok => stats.judged += 1,
            Verdict::Unchecked => {}
        }
        if self.args.json {
            let record = MessageRecord::new(file, frame, time, verdict, reason);
            self.record.clear();
            self.json.write(&mut self.record, &record)?;
            self.record.push(b'\n');
            out.write_all(&self.record)
        } else if !self.args.quiet || verdict == Verdict::WrongPath {
            self.line.clear();
            text::write_text_line(&mut self.line, frame, time, verdict, reason);
            self.line.push('\n');
            out.write_all(self.line.as_bytes())
        } else {
            Ok(())
        }
    }

    fn bad_tipc(&mut self, file: &str, e: &DecodeError, out: &mut dyn Write) -> io::Result<()> {
        if self.args.json {
            self.write_error(file, e, out)
        } else {
            writeln!(
                out,
                "{:>7} BAD-TIPC at byte offset {}: {}",
                e.frame.unwrap_or(0),
                e.offset.unwrap_or(0),
                e.message()
            )
        }
    }

    fn write_error(&self, file: &str, e: &DecodeError, out: &mut dyn Write) -> io::Result<()> {
        let record = ErrorRecord {
            error: ErrorBody {
                file,
                frame: e.frame,
                offset: e.offset,
                message: e.message(),
                unreadable: e.unreadable(),
            },
        };
        serde_json::to_writer(&mut *out, &record).map_err(io::Error::other)?;
        writeln!(out)
    }

    fn write_summary(&self, out: &mut dyn Write) -> io::Result<()> {
        let totals = self.totals();
        let exit_code = self.exit_code();
        let status = match exit_code {
            EXIT_OK => "pass",
            EXIT_VERDICT_FAILED => "fail",
            _ => "unreadable",
        };
        let bytes: u64 = self.by_type.values().map(|s| s.bytes).sum();
        if self.args.json {
            let record = SummaryRecord {
                summary: Summary {
                    expect: self.args.expect,
                    files: &self.files,
                    by_type: self
                        .by_type
                        .iter()
                        .map(|(&(user, mtype), stats)| TypeRow {
                            user,
                            user_name: tipc::user_name(user),
                            mtype,
                            type_name: tipc::type_name(user, mtype),
                            stats,
                        })
                        .collect(),
                    totals: &totals,
                    bytes,
                    exit_code,
                    status,
                },
            };
            serde_json::to_writer(&mut *out, &record).map_err(io::Error::other)?;
            return writeln!(out);
        }
        writeln!(out, "== summary ==")?;
        for f in &self.files {
            write!(
                out,
                "{}: {} frames, {} TIPC messages, {} non-TIPC skipped, {} bad TIPC, {} wrong-path, {} node-local",
                f.file, f.frames, f.tipc_messages, f.skipped_non_tipc, f.bad_tipc, f.wrong_path, f.local
            )?;
            match &f.error {
                Some(e) => writeln!(out, "; UNREADABLE: {e}")?,
                None => writeln!(out)?,
            }
        }
        if !self.by_type.is_empty() {
            writeln!(
                out,
                "{:<20} {:<16} {:>9} {:>12} {:>9} {:>9} {:>10}",
                "user", "type", "messages", "bytes", "loopback", "bearer", "wrong-path"
            )?;
            let mut sum = TypeStats::default();
            for (&(user, mtype), s) in &self.by_type {
                sum.add(s);
                writeln!(
                    out,
                    "{:<20} {:<16} {:>9} {:>12} {:>9} {:>9} {:>10}",
                    tipc::user_name(user),
                    tipc::type_name(user, mtype),
                    s.messages,
                    s.bytes,
                    s.loopback,
                    s.bearer,
                    s.wrong_path
                )?;
            }
            writeln!(
                out,
                "{:<20} {:<16} {:>9} {:>12} {:>9} {:>9} {:>10}",
                "total", "", sum.messages, sum.bytes, sum.loopback, sum.bearer, sum.wrong_path
            )?;
        }
        let expect = match self.args.expect {
            Some(ExpectedPath::Crossover) => " (expect crossover)",
            Some(ExpectedPath::Bearer) => " (expect bearer)",
            None => "",
        };
        match exit_code {
            EXIT_OK => {
                write!(out, "verdict: PASS{expect}")?;
                if self.args.expect.is_some() && totals.judged == 0 {
                    write!(out, ", but no message was judged")?;
                }
                writeln!(out)
            }
            EXIT_VERDICT_FAILED => writeln!(
                out,
                "verdict: FAIL{expect}: {} wrong-path message(s), {} bad TIPC frame(s)",
                totals.wrong_path, totals.bad_tipc
            ),
            _ => writeln!(
                out,
                "verdict: UNREADABLE: {} file(s) could not be read to the end",
                self.files.iter().filter(|f| f.error.is_some()).count()
            ),
        }
    }
}
