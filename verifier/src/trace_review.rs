//! `tipc-verifier trace review`: a focused tshark for TIPC with path verdicts.
//!
//! Reads pcap/pcapng captures through [`crate::decode::tipc_messages`] and prints one line
//! (or one JSON record) per TIPC message as it is decoded, then a summary per user and type.
//! With `--expect`, every message is judged by [`judge`]: socket traffic must have taken the
//! expected path (crossover = only a loopback trace clone; bearer = a real interface), and
//! internal traffic must always be on a bearer. Nothing is collected per message, so memory
//! stays flat on any capture size.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use crate::decode::tipc::{self, MacAddr, TipcHeader, TrafficClass};
use crate::decode::{self, DecodeError, Direction, LinkLayer, ObservedPath, TipcFrame};

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
             \"interface\", \"direction\", \"wire_len\", \"captured_len\", \"link\",
             \"eth_src\", \"eth_dst\", \"path\" (loopback|bearer), \"class\"
             (user|internal|node_local), \"verdict\" (ok|wrong_path|local|unchecked),
             \"reason\", \"user_name\", \"type_name\", and the decoded header: \"version\",
             \"user\", \"type\", \"hdr_size\", \"size\", \"non_seq\", \"syn\", \"error\",
             \"prev_node\", \"orig_node\", \"dest_node\", \"orig_port\", \"dest_port\",
             \"name_type\", \"name_instance\", \"name_upper\", \"fragment\", \"discovery\",
             \"link\" (LINK_PROTOCOL fields), \"bundle\"}
            Node addresses and ports are numbers; absent fields are null.
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

/// The path `--expect` demands for socket traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedPath {
    /// Between namespaces of one kernel: only a loopback trace clone, never a bearer.
    Crossover,
    /// Over the bearer (veth/eth): never a loopback trace clone.
    Bearer,
}

/// The judgement on one message's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// On the expected path.
    Ok,
    /// On the wrong path.
    WrongPath,
    /// Delivered inside one node; neither crossover nor bearer.
    Local,
    /// Socket traffic without `--expect`.
    Unchecked,
}

/// Judges the path of one message; returns the verdict and, unless it is `Ok`/`Unchecked`,
/// why. `local_nodes` are node addresses of the capturing namespace(s).
pub fn judge(
    frame: &TipcFrame,
    expect: Option<ExpectedPath>,
    local_nodes: &[u32],
) -> (Verdict, Option<&'static str>) {
    let path = frame.observed_path();
    match (frame.header.traffic_class(), path) {
        (TrafficClass::NodeLocal, ObservedPath::Loopback) => {
            (Verdict::Local, Some("node-local delivery"))
        }
        (TrafficClass::NodeLocal, ObservedPath::Bearer) => (
            Verdict::WrongPath,
            Some("node-local message seen on a bearer"),
        ),
        (TrafficClass::Internal, ObservedPath::Bearer) => (Verdict::Ok, None),
        (TrafficClass::Internal, ObservedPath::Loopback) => (
            Verdict::WrongPath,
            Some("internal traffic must use the bearer, seen as a loopback clone"),
        ),
        (TrafficClass::User, ObservedPath::Loopback)
            if is_intra_node(&frame.header, local_nodes) =>
        {
            (Verdict::Local, Some("intra-node delivery"))
        }
        (TrafficClass::User, path) => match (expect, path) {
            (None, _) => (Verdict::Unchecked, None),
            (Some(ExpectedPath::Crossover), ObservedPath::Loopback)
            | (Some(ExpectedPath::Bearer), ObservedPath::Bearer) => (Verdict::Ok, None),
            (Some(ExpectedPath::Crossover), ObservedPath::Bearer) => (
                Verdict::WrongPath,
                Some("expected crossover, seen on a bearer"),
            ),
            (Some(ExpectedPath::Bearer), ObservedPath::Loopback) => (
                Verdict::WrongPath,
                Some("expected bearer, seen as a loopback clone (crossover)"),
            ),
        },
    }
}

/// A loopback clone of a message a node sent to itself.
fn is_intra_node(header: &TipcHeader, local_nodes: &[u32]) -> bool {
    let h = header.endpoint_header();
    match (h.orig_node, h.dest_node) {
        // Address 0 is no node: an unset header, not a self-addressed message.
        (Some(o), Some(d)) if o == d && o != 0 => true,
        (Some(o), dest) => {
            local_nodes.contains(&o) && dest.into_iter().all(|d| local_nodes.contains(&d))
        }
        _ => false,
    }
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
struct MessageRecord<'a> {
    file: &'a str,
    frame: u64,
    offset: u64,
    ts: f64,
    time: f64,
    interface: Option<&'a str>,
    direction: Option<decode::Direction>,
    wire_len: u32,
    captured_len: u32,
    #[serde(rename = "link_layer")]
    link_layer: &'a LinkLayer,
    eth_src: String,
    eth_dst: Option<String>,
    path: ObservedPath,
    class: TrafficClass,
    verdict: Verdict,
    reason: Option<&'static str>,
    user_name: &'static str,
    type_name: String,
    #[serde(flatten)]
    header: &'a TipcHeader,
}

#[derive(Serialize)]
struct ErrorRecord<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    file: &'a str,
    frame: Option<u64>,
    offset: Option<u64>,
    message: String,
    unreadable: bool,
}

#[derive(Serialize)]
struct TypeRow<'a> {
    user: u8,
    user_name: &'static str,
    #[serde(rename = "type")]
    mtype: u8,
    type_name: String,
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
}

impl<'a> Review<'a> {
    fn new(args: &'a ReviewArgs) -> Self {
        Review {
            args,
            by_type: BTreeMap::new(),
            files: Vec::new(),
            line: String::with_capacity(256),
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
            let cooked = !matches!(frame.frame.link, LinkLayer::Ethernet { .. });
            let record = MessageRecord {
                file,
                frame: frame.frame.index,
                offset: frame.frame.offset,
                ts: frame.frame.ts,
                // Capture timestamps are µs (or ns) on an epoch-sized f64: keep µs.
                time: (time * 1e6).round() / 1e6,
                interface: frame.frame.interface.as_deref(),
                direction: frame.frame.direction,
                wire_len: frame.frame.wire_len,
                captured_len: frame.frame.captured_len,
                link_layer: &frame.frame.link,
                eth_src: MacAddr(frame.eth_src).to_string(),
                eth_dst: (!cooked).then(|| MacAddr(frame.eth_dst).to_string()),
                path,
                class: h.traffic_class(),
                verdict,
                reason,
                user_name: h.user_name(),
                type_name: h.type_name(),
                header: h,
            };
            serde_json::to_writer(&mut *out, &record).map_err(io::Error::other)?;
            writeln!(out)
        } else if !self.args.quiet || verdict == Verdict::WrongPath {
            self.line.clear();
            write_text_line(&mut self.line, frame, time, verdict, reason);
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

/// Spaces for padding columns.
const SPACES: &str = "                                ";

/// Appends `s` left-aligned in `width` columns.
fn push_left(line: &mut String, s: &str, width: usize) {
    line.push_str(s);
    line.push_str(&SPACES[..width.saturating_sub(s.len()).min(SPACES.len())]);
}

/// Appends `s` right-aligned in `width` columns.
fn push_right(line: &mut String, s: &str, width: usize) {
    line.push_str(&SPACES[..width.saturating_sub(s.len()).min(SPACES.len())]);
    line.push_str(s);
}

/// Appends ` key=value` with a decimal value.
fn push_field(line: &mut String, key: &str, value: impl itoa::Integer) {
    line.push(' ');
    line.push_str(key);
    line.push('=');
    line.push_str(itoa::Buffer::new().format(value));
}

/// Appends ` key=0x` and `value` in `width` lower-case hex digits.
fn push_hex_field(line: &mut String, key: &str, value: u32, width: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    line.push(' ');
    line.push_str(key);
    line.push_str("=0x");
    let digits = (((32 - value.leading_zeros()) as usize).div_ceil(4)).max(width);
    for i in (0..digits).rev() {
        line.push(char::from(HEX[((value >> (4 * i)) & 0xf) as usize]));
    }
}

/// Appends bytes as lower-case hex.
fn push_hex_bytes(line: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        line.push(char::from(HEX[usize::from(b >> 4)]));
        line.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// Appends a node address as `<hex>`.
fn push_node(line: &mut String, node: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    line.push('<');
    let digits = ((32 - node.leading_zeros()).max(1) as usize).div_ceil(4);
    for i in (0..digits).rev() {
        line.push(char::from(HEX[((node >> (4 * i)) & 0xf) as usize]));
    }
    line.push('>');
}

/// Appends `<node>:port` (`?` for a missing node, no `:port` without one).
fn push_endpoint(line: &mut String, node: Option<u32>, port: Option<u32>) {
    match node {
        Some(n) => push_node(line, n),
        None => line.push('?'),
    }
    if let Some(p) = port {
        line.push(':');
        line.push_str(itoa::Buffer::new().format(p));
    }
}

/// Appends the text line of a message (see the long help for the columns)
/// to `line`. Written by hand rather
/// than with `format!`: padding through `core::fmt` costs more than
/// decoding the frame, and `trace review` reads captures of millions.
fn write_text_line(
    line: &mut String,
    frame: &TipcFrame,
    time: f64,
    verdict: Verdict,
    reason: Option<&str>,
) {
    let h = &frame.header;
    let e = h.endpoint_header();
    let mut num = itoa::Buffer::new();
    push_right(line, num.format(frame.frame.index), 7);
    line.push(' ');
    // Seconds with six decimals, from whole microseconds.
    let micros = (time.max(0.0) * 1e6).round() as u64;
    let mut t = String::with_capacity(16);
    t.push_str(num.format(micros / 1_000_000));
    t.push('.');
    let frac = num.format(micros % 1_000_000);
    t.push_str(&"000000"[frac.len()..]);
    t.push_str(frac);
    push_right(line, &t, 11);
    line.push(' ');
    push_left(line, frame.frame.interface.as_deref().unwrap_or("-"), 6);
    line.push(' ');
    let dir = match frame.frame.direction {
        Some(Direction::In) => "in",
        Some(Direction::Out) => "out",
        None => "-",
    };
    push_left(line, dir, 3);
    line.push(' ');
    let path = match frame.observed_path() {
        ObservedPath::Loopback => "loopback",
        ObservedPath::Bearer => "bearer",
    };
    push_left(line, path, 8);
    line.push(' ');
    push_left(line, h.user_name(), 19);
    line.push(' ');
    push_left(line, &h.type_name(), 16);
    line.push(' ');
    match &h.discovery {
        Some(d) => {
            push_endpoint(line, h.orig_node, None);
            line.push_str(" -> domain ");
            push_node(line, d.dest_domain);
        }
        None => {
            push_endpoint(line, e.orig_node, e.orig_port);
            line.push_str(" -> ");
            push_endpoint(line, e.dest_node, e.dest_port);
        }
    }
    line.push_str(" size=");
    line.push_str(num.format(h.size));
    details(h, line);
    match (verdict, reason) {
        (Verdict::WrongPath, Some(r)) => {
            line.push_str(" WRONG-PATH: ");
            line.push_str(r);
        }
        (Verdict::WrongPath, None) => line.push_str(" WRONG-PATH"),
        (Verdict::Ok, _) => line.push_str(" ok"),
        (Verdict::Local, _) => line.push_str(" local"),
        (Verdict::Unchecked, _) => line.push_str(" -"),
    }
}

fn name_fields(h: &TipcHeader, line: &mut String) {
    if let (Some(t), Some(i)) = (h.name_type, h.name_instance) {
        let mut num = itoa::Buffer::new();
        line.push_str(" name={");
        line.push_str(num.format(t));
        line.push(',');
        line.push_str(num.format(i));
        if let Some(u) = h.name_upper {
            line.push(',');
            line.push_str(num.format(u));
        }
        line.push('}');
    }
}

fn details(h: &TipcHeader, line: &mut String) {
    name_fields(h, line);
    if h.syn {
        line.push_str(" syn");
    }
    if h.error != 0 {
        push_field(line, "err", h.error);
    }
    if let Some(f) = &h.fragment {
        let kind = match f.kind {
            tipc::FragmentKind::First => "FIRST".to_string(),
            tipc::FragmentKind::Fragment => "FRAGMENT".to_string(),
            tipc::FragmentKind::Last => "LAST".to_string(),
            tipc::FragmentKind::Unknown(t) => format!("TYPE_{t}"),
        };
        let _ = write!(line, " frag={kind}#{}", f.number);
        if let Some(count) = f.count {
            let _ = write!(line, "/{count}");
        }
        if let Some(inner) = &f.inner {
            let _ = write!(
                line,
                " inner={}/{} inner_size={}",
                inner.user_name(),
                inner.type_name(),
                inner.size
            );
            name_fields(inner, line);
        }
        if let Some(e) = &f.inner_error {
            let _ = write!(line, " inner_error=\"{e}\"");
        }
    }
    if let Some(b) = &h.bundle {
        let _ = write!(
            line,
            " bundle={}/{}[{}]",
            b.found,
            b.declared,
            b.user_names().join(",")
        );
    }
    if let Some(d) = &h.discovery {
        push_field(line, "cluster", d.cluster_id);
        push_hex_field(line, "sig", u32::from(d.node_signature), 4);
        push_hex_field(line, "caps", u32::from(d.capabilities), 4);
        if let Some(m) = &d.media {
            let _ = write!(line, " media={m}");
        }
        if let Some(p) = d.proof {
            push_hex_field(line, "proof", p, 8);
        }
        if let Some(s) = d.suggested_addr {
            line.push_str(" sugg=");
            push_node(line, s);
        }
        if let Some(id) = &d.node_id {
            line.push_str(" node_id=");
            push_hex_bytes(line, id);
        }
    }
    if let Some(l) = &h.link {
        push_field(line, "session", l.session);
        push_field(line, "bearer", l.bearer_id);
        line.push_str(" plane=");
        line.push(l.net_plane);
        push_field(line, "prio", l.priority);
        if let Some(t) = l.tolerance {
            push_field(line, "tol", t);
        }
        if let Some(m) = l.max_pkt {
            push_field(line, "max_pkt", m);
        }
        if l.probe {
            line.push_str(" probe");
        }
        if l.peer_stopping {
            line.push_str(" stopping");
        }
    }
}
