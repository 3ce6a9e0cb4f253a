//! The command line: clap's definition of every subcommand, the rules
//! between arguments clap cannot express, and the dispatch to the drivers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::error::ErrorKind;
use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand};

use crate::model::{parse_service, parse_size, GroupMode, Run, Service, SockMode};
use crate::wait::Deadline;
use crate::{bench, faults, inject, payload, recv, report, send, storm};
use tipc_agent_protocol::results::ExchangeRole;
use tipc_agent_protocol::TransportMode;

const ABOUT: &str = "Drive real TIPC (AF_TIPC) sockets between network namespaces and report \
what was sent/received as JSON.";

const LONG_ABOUT: &str = "\
Drive real TIPC (AF_TIPC = 30) sockets between network namespaces and report
what was sent/received as one JSON object (always written to --out, also on
failure).

Typical use (the receiver first, then the sender):
  ip netns exec ns2 tipc-agent recv --sock rdm --service 18888:17 --count 100 \\
      --size 1024 --out /share/res/rdm.recv.json --ready-file /tmp/rdm.ready &
  ip netns exec ns1 tipc-agent send --sock rdm --service 18888:17 --count 100 \\
      --size 1024 --out /share/res/rdm.send.json
  wait

Socket kinds (--sock):
  rdm        SOCK_RDM to a service name (anycast) or to a port (--port-file)
  seqpacket  SOCK_SEQPACKET connection, one message per send
  stream     SOCK_STREAM connection; the receiver cuts the byte stream into
             --size messages
  mcast      SOCK_RDM multicast to a service range (TYPE:LOWER:UPPER)
  group      SOCK_RDM communication group (TIPC_GROUP_JOIN), see --group-mode

Message i (0-based) is --size bytes of a SplitMix64 stream derived from
(--seed, i). digest_ordered = SHA-256 over (u32 BE length || bytes) of every
message in order; digest_set = SHA-256 over the sorted raw SHA-256 digests of
the messages. After all messages arrived the receiver sends a 16-byte ack
(\"TIPCAACK\" + u64 BE count) back to each sender; the sender waits for it.

Exit status: 0 success, 1 failure (JSON has first_error / errno),
2 bad arguments (no JSON written).";

#[derive(Debug, Parser)]
#[command(name = "tipc-agent", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Bind/listen/join, signal readiness, receive --count messages, ack them.
    #[command(long_about = RECV_ABOUT)]
    Recv(RecvArgs),
    /// Wait for the destination, send --count messages of --size bytes, wait for the ack.
    #[command(long_about = SEND_ABOUT)]
    Send(SendArgs),
    /// Learn a node's discovery message, then send forged ones on a raw socket.
    #[command(long_about = INJECT_ABOUT)]
    Inject(InjectCli),
    /// Benchmark server: accept --conns streams, read --bytes on each, ack.
    Sink(SinkCli),
    /// Benchmark client: --conns streams at once, --bytes each (or --rtt
    /// round trips), JSON with Mb/s, messages/s or the round-trip time.
    Blast(BlastCli),
    /// Connection storm: accept or connect --conns times in a row, one
    /// echoed message per connection (for `tipc-verifier stress`).
    #[command(long_about = STORM_ABOUT)]
    Storm(StormCli),
    /// Create network namespaces with an allocation failure injected at
    /// each step of their set-up in turn (fail-nth), until every step is
    /// covered.
    #[command(name = "netns-faults", long_about = FAULTS_ABOUT)]
    NetnsFaults(FaultsCli),
    /// Print network namespace cookies (SO_NETNS_COOKIE), the names the
    /// series' tipc_crossover_peer tracepoint gives namespaces.
    #[command(name = "netns-cookie", long_about = COOKIE_ABOUT)]
    NetnsCookie(CookieCli),
}

const COOKIE_ABOUT: &str = "\
Print network namespace cookies (SO_NETNS_COOKIE), the names the series'
tipc_crossover_peer tracepoint gives namespaces: unlike inode numbers, a
cookie is never reused while the kernel runs.

Without NAME, prints the cookie of the namespace the agent runs in. With
names, prints \"NAME COOKIE\" for each, entering /run/netns/NAME (or NAME
itself if it contains a slash) in turn.
Exit status: 0 success, 1 a namespace could not be entered or has no
cookie, 2 bad arguments.";

#[derive(Debug, Args)]
pub struct CookieCli {
    /// Named namespaces (ip netns) to print the cookies of.
    #[arg(value_name = "NAME")]
    names: Vec<String>,
}

const FAULTS_ABOUT: &str = "\
Failed namespace set-ups, for `tipc-verifier stress` (needs a kernel with
FAULT_INJECTION, FAILSLAB and FAIL_PAGE_ALLOC, and ignore-gfp-wait set to N
under /sys/kernel/debug/failslab and fail_page_alloc).

For n = 1, 2, ... a child process writes n to /proc/thread-self/fail-nth and
calls unshare(CLONE_NEWNET), so that the n-th allocation of the set-up fails;
the sweep ends at the first n the set-up no longer reaches. The JSON result
(--out, also written on failure) counts the steps where the failure was
injected, those where unshare failed cleanly (by errno), those where the
namespace came up anyway, and those where the kernel killed the child.
Exit status: 0 the sweep covered every step, 1 failure, 2 bad arguments.";

#[derive(Debug, Args)]
pub struct FaultsCli {
    /// Give up (status 1) if the set-up still allocates after this many steps.
    #[arg(long, value_name = "N", default_value_t = 5000,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_steps: u32,
    /// JSON result file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn run_netns_cookie(a: CookieCli) -> ExitCode {
    let result = if a.names.is_empty() {
        report::netns_cookie()
            .map(|c| println!("{c}"))
            .map_err(|e| anyhow::anyhow!("SO_NETNS_COOKIE: {e}"))
    } else {
        a.names.iter().try_for_each(|name| {
            let cookie = report::netns_cookie_of(name)?;
            println!("{name} {cookie}");
            Ok(())
        })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipc-agent netns-cookie: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_netns_faults(a: FaultsCli) -> ExitCode {
    let mut report = faults::Report::default();
    let result = faults::sweep(a.max_steps, &mut report);
    conclude("netns-faults", result, |error| {
        report.first_error = error;
        faults::write(&report, &a.out)
    })
}

/// Ends a subcommand whose JSON result is written also on failure: `write`
/// gets the run's error (as the result's `first_error`) and writes the
/// result; status 0 when both went well, else 1 with the error on stderr.
fn conclude(
    sub: &str,
    result: anyhow::Result<()>,
    write: impl FnOnce(Option<String>) -> anyhow::Result<()>,
) -> ExitCode {
    let error = result.as_ref().err().map(|e| format!("{e:#}"));
    if let Err(e) = write(error) {
        eprintln!("tipc-agent {sub}: {e:#}");
        return ExitCode::from(1);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipc-agent {sub}: {e:#}");
            ExitCode::from(1)
        }
    }
}

const STORM_ABOUT: &str = "\
A connection storm over SEQPACKET or STREAM, for `tipc-verifier stress`.

--role accept binds --service (cluster scope), listens, writes --ready-file
and then --conns times accepts a connection, reads one --size-byte message,
echoes it and closes. --role connect waits for --service via the topology
server and then --conns times opens a socket, connects, sends message i
(the payload of `send` with --seed), reads the echo, compares it and
closes. The JSON result (--out) counts connections made and echoes intact.
Exit status: 0 success, 1 failure, 2 bad arguments.";

#[derive(Debug, Args)]
pub struct StormCli {
    /// Which end.
    #[arg(long, value_enum)]
    role: storm::Role,
    /// Connection-oriented socket kind.
    #[arg(long, value_enum)]
    sock: storm::ConnSock,
    /// Service TYPE:INSTANCE to bind or connect to.
    #[arg(long, value_name = "SERVICE", value_parser = parse_service)]
    service: Service,
    /// Connections, one after the other.
    #[arg(long, value_name = "N")]
    conns: u64,
    /// Bytes of the one message per connection.
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "256")]
    size: usize,
    /// Payload seed (message i = f(seed, i)).
    #[arg(long, value_name = "U64", default_value_t = payload::DEFAULT_SEED)]
    seed: u64,
    /// Written once the acceptor listens (--role accept).
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
    /// Seconds before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    /// JSON result file (written also on failure).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn check_storm(a: &StormCli) -> Result<(), (ErrorKind, String)> {
    if a.role == storm::Role::Accept && a.ready_file.is_none() {
        return Err((
            ErrorKind::MissingRequiredArgument,
            "--role accept needs --ready-file".into(),
        ));
    }
    if !a.service.is_single() {
        return Err((
            ErrorKind::ValueValidation,
            "--service must be TYPE:INSTANCE, not a range".into(),
        ));
    }
    Ok(())
}

fn run_storm(a: StormCli) -> ExitCode {
    let args = storm::StormArgs {
        role: a.role,
        sock: a.sock,
        service: a.service,
        conns: a.conns,
        size: a.size,
        seed: a.seed,
        timeout: Duration::from_secs(a.timeout),
    };
    let mut report = storm::new_report(&args);
    let result = storm::run(&args, a.ready_file.as_deref(), &mut report);
    if let Err(e) = &result {
        report.first_error = Some(format!("{e:#}"));
    }
    let line = format!(
        "tipc-agent storm {:?} {:?}: {}/{} connections, {} intact{}\n",
        args.role,
        args.sock,
        report.connected,
        args.conns,
        report.intact,
        report
            .first_error
            .as_deref()
            .map(|e| format!(", error: {e}"))
            .unwrap_or_default()
    );
    {
        use std::io::Write;
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    if let Err(e) = storm::write(&report, &a.out) {
        eprintln!("tipc-agent storm: {e:#}");
        return ExitCode::from(1);
    }
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("endpoint").required(true).args(["service", "tcp", "unix"])))]
pub struct BenchCommon {
    /// TIPC SOCK_STREAM to/at service TYPE:INSTANCE.
    #[arg(long, value_name = "SERVICE", value_parser = parse_service)]
    service: Option<Service>,
    /// TCP to/at ADDRESS:PORT instead.
    #[arg(long, value_name = "ADDR:PORT")]
    tcp: Option<std::net::SocketAddr>,
    /// An AF_UNIX stream socket at PATH instead (a file both ends can reach).
    #[arg(long, value_name = "PATH")]
    unix: Option<PathBuf>,
    /// Connections, each in a thread of its own.
    #[arg(long, default_value_t = 1)]
    conns: u32,
    /// Bytes per write (the message size).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    size: usize,
    /// Bytes per connection (throughput).
    #[arg(long, value_name = "N", conflicts_with = "rtt")]
    bytes: Option<u64>,
    /// Round trips per connection of one --size message each way (latency).
    #[arg(long, value_name = "N")]
    rtt: Option<u64>,
    /// Seconds before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
}

impl BenchCommon {
    fn args(&self) -> Result<bench::BenchArgs, String> {
        let endpoint = match (self.service, self.tcp, &self.unix) {
            (Some(s), None, None) => bench::Endpoint::Tipc(s),
            (None, Some(a), None) => bench::Endpoint::Tcp(a),
            (None, None, Some(p)) => bench::Endpoint::Unix(p.clone()),
            _ => return Err("give exactly one of --service, --tcp and --unix".into()),
        };
        let (amount, rtt) = match (self.bytes, self.rtt) {
            (Some(b), None) => (b, false),
            (None, Some(n)) => (n, true),
            _ => return Err("give exactly one of --bytes and --rtt".into()),
        };
        if self.conns == 0 || amount == 0 {
            return Err("--conns and --bytes/--rtt must be at least 1".into());
        }
        Ok(bench::BenchArgs {
            endpoint,
            conns: self.conns,
            size: self.size,
            amount,
            rtt,
            timeout: Duration::from_secs(self.timeout),
        })
    }
}

#[derive(Debug, Args)]
pub struct SinkCli {
    #[command(flatten)]
    common: BenchCommon,
    /// Written once the sink listens.
    #[arg(long, value_name = "FILE")]
    ready_file: PathBuf,
}

#[derive(Debug, Args)]
pub struct BlastCli {
    #[command(flatten)]
    common: BenchCommon,
    /// JSON result file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn run_sink(a: SinkCli) -> ExitCode {
    let args = match a.common.args() {
        Ok(args) => args,
        Err(msg) => usage_error("sink", ErrorKind::ArgumentConflict, msg),
    };
    match bench::sink(&args, &a.ready_file) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipc-agent sink: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_blast(a: BlastCli) -> ExitCode {
    let args = match a.common.args() {
        Ok(args) => args,
        Err(msg) => usage_error("blast", ErrorKind::ArgumentConflict, msg),
    };
    let mut report = bench::BlastReport {
        mode: match args.endpoint {
            bench::Endpoint::Tipc(_) => TransportMode::Tipc,
            bench::Endpoint::Tcp(_) => TransportMode::Tcp,
            bench::Endpoint::Unix(_) => TransportMode::Unix,
        },
        conns: args.conns,
        size: args.size,
        bytes_per_conn: if args.rtt { 0 } else { args.amount },
        messages: 0,
        seconds: 0.0,
        mbit_per_s: 0.0,
        msgs_per_s: 0.0,
        rtt_us: None,
        first_error: None,
    };
    let result = bench::blast(&args, &mut report);
    conclude("blast", result, |error| {
        report.first_error = error;
        bench::write(&report, &a.out)
    })
}

const INJECT_ABOUT: &str = "\
Send forged TIPC discovery requests (LINK_CONFIG, user 13) on a raw packet
socket, to show that none of them opens a crossover.

First listens on --sniff-dev (until --timeout) for a real discovery message of
the node to impersonate and takes its node id, address, cluster id and proof
(without --sniff-dev: a made-up node in --cluster); then sends --count
broadcast requests on --dev, wrong per --mode (with --distinct, each frame
claims a node id and address of its own):
  forged-proof     the victim's node id and cluster id, a made-up proof
  wrong-cluster    the victim's node id and real proof, another cluster id
  replay-other-id  the victim's real proof under another node id
  raw-hash         another node id, no proof, a raw value in word 9 (the
                   first posting of the upstream patch sent hash_mix there)
  replay           nothing forged: the first discovery frame received on
                   --sniff-dev, sent again unchanged (what a known peer's
                   periodic discovery costs the receiver; needs --sniff-dev)
Needs CAP_NET_RAW. The JSON result (--out) names what was claimed and the
frames sent. Exit status: 0 success, 1 failure, 2 bad arguments.";

#[derive(Debug, Args)]
pub struct InjectCli {
    /// Device to send the forged frames on.
    #[arg(long, value_name = "DEV")]
    dev: String,
    /// Device to learn the victim's discovery message from (default: claim a
    /// made-up node in cluster --cluster); --mode replay needs it.
    #[arg(long, value_name = "DEV", required_if_eq("mode", "replay"))]
    sniff_dev: Option<String>,
    /// Cluster id of the made-up node (without --sniff-dev).
    #[arg(long, value_name = "ID", default_value_t = 4711)]
    cluster: u32,
    /// Every frame claims a node id and address of its own (a first contact
    /// each time: the receiver creates a node and looks for its namespace).
    #[arg(long)]
    distinct: bool,
    /// With --distinct: the index of the first claimed node.
    #[arg(long, value_name = "N", default_value_t = 0)]
    first: u32,
    /// Every frame carries a proof of its own (the claimed one XOR the
    /// frame's number from 1): a receiver remembers the last proof that
    /// failed for a node, so only a proof it has not seen makes it look
    /// again.
    #[arg(long)]
    vary_proof: bool,
    /// How the frames are wrong.
    #[arg(long, value_enum)]
    mode: inject::Mode,
    /// Number of frames.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    count: u64,
    /// Pause between frames in microseconds.
    #[arg(long, value_name = "US", default_value_t = 500)]
    interval_us: u64,
    /// Seconds to wait for the victim's discovery message.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// JSON result file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn run_inject(a: InjectCli) -> ExitCode {
    let mut report = inject::InjectReport {
        mode: a.mode,
        victim: None,
        claimed_node_id: None,
        claimed_cluster_id: None,
        claimed_proof: None,
        frames_sent: 0,
        first_error: None,
    };
    let args = inject::InjectArgs {
        dev: &a.dev,
        sniff_dev: a.sniff_dev.as_deref(),
        cluster_id: a.cluster,
        distinct: a.distinct,
        first: a.first,
        vary_proof: a.vary_proof,
        mode: a.mode,
        count: a.count,
        interval: Duration::from_micros(a.interval_us),
        timeout: Duration::from_secs(a.timeout),
    };
    let result = inject::run(&args, &mut report);
    conclude("inject", result, |error| {
        report.first_error = error;
        inject::write(&report, &a.out)
    })
}

const RECV_ABOUT: &str = "\
Receive --count messages.

rdm/mcast bind --service (TYPE:INSTANCE, or TYPE:LOWER:UPPER to bind a range)
with cluster scope; seqpacket/stream bind, listen and accept one connection;
group joins group TYPE as member INSTANCE (cluster scope, member events on).
When ready, --port-file gets this socket's `NODE REF` (getsockname) and then
--ready-file is written (both atomically: temp file + rename).
After --count messages the JSON is written and the exit status is 0; on
timeout or error the JSON carries first_error and the exit status is 1.";

const SEND_ABOUT: &str = "\
Send --count messages of exactly --size bytes (1..66000).

Before sending, waits (until --timeout) for the destination: --service via the
TIPC topology server (subscription to the range, TIPC_PUBLISHED),
--port-file until the file exists (then until that node is reachable).
rdm: sendto the service name (TIPC_SERVICE_ADDR) or the port file's port
(TIPC_SOCKET_ADDR). mcast: sendto the service range (TIPC_SERVICE_RANGE).
seqpacket/stream: connect, send. group: join group TYPE as member
--member-instance, wait for the receiving member's TIPC_PUBLISHED member event,
then send per --group-mode. Congestion (EAGAIN/ELINKCONG, ENOBUFS) is waited
out with poll() and retried; every retry is counted in `retries`. A connection's
sender can stop after --pause-after N messages, write --paused-file and go on
once --resume-file exists, so that a script changes something under the
established connection. Finally the sender waits for --acks receiver acks.";

#[derive(Debug, Args)]
pub struct RecvArgs {
    /// Socket kind.
    #[arg(long, value_enum)]
    pub sock: SockMode,
    /// TYPE:INSTANCE, or TYPE:LOWER:UPPER (bind a range; not for group).
    #[arg(long, value_name = "SERVICE", value_parser = parse_service)]
    pub service: Service,
    /// Number of messages to receive.
    #[arg(long, value_name = "N")]
    pub count: u64,
    /// JSON result file (written atomically, also on failure).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Written (atomically) once the socket is ready to receive.
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
    /// Written (atomically, before --ready-file) with this socket's `NODE REF`.
    #[arg(long, value_name = "FILE")]
    pub port_file: Option<PathBuf>,
    /// Overall time limit in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// Expected message size; required for stream (chunk size), checked for the others.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub size: Option<usize>,
    /// Receive buffer: `auto` (rdm/mcast: raise it, if needed, to hold the
    /// whole --count x --size burst so no message is dropped for overload),
    /// `keep` (kernel default), or a byte count (SO_RCVBUFFORCE, else SO_RCVBUF).
    #[arg(long, value_name = "auto|keep|BYTES", default_value = "auto", value_parser = RcvBuf::parse)]
    pub rcvbuf: RcvBuf,
    /// Do not send the 16-byte ack back to the sender(s).
    #[arg(long)]
    pub no_ack: bool,
    /// Sleep this many microseconds after each received message (test knob to
    /// provoke congestion / receiver overload).
    #[arg(long, value_name = "US", default_value_t = 0)]
    pub delay_us: u64,
}

pub use tipc_agent_protocol::RcvBuf;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("dest").required(true).multiple(true).args(["service", "port_file"])))]
pub struct SendArgs {
    /// Socket kind.
    #[arg(long, value_enum)]
    pub sock: SockMode,
    /// Destination TYPE:INSTANCE (mcast: also TYPE:LOWER:UPPER; group: group TYPE and the
    /// receiving member's INSTANCE).
    #[arg(long, value_name = "SERVICE", value_parser = parse_service)]
    pub service: Option<Service>,
    /// Send to the port (`NODE REF`) in this file (waits until it exists). rdm, seqpacket,
    /// stream; group --group-mode unicast (together with --service).
    #[arg(long, value_name = "FILE")]
    pub port_file: Option<PathBuf>,
    /// Number of messages.
    #[arg(long, value_name = "N")]
    pub count: u64,
    /// Bytes per message (1..66000 = TIPC_MAX_USER_MSG_SIZE).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub size: usize,
    /// JSON result file (written atomically, also on failure).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overall time limit in seconds (waiting for the peer included).
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// group only: bcast = send() without address, mcast = sendto(TIPC_SERVICE_RANGE),
    /// anycast = sendto(TIPC_SERVICE_ADDR), unicast = sendto(TIPC_SOCKET_ADDR of --port-file)
    /// [default: bcast]
    #[arg(long, value_enum, value_name = "MODE")]
    pub group_mode: Option<GroupMode>,
    /// Payload seed (message i = f(seed, i)).
    #[arg(long, value_name = "U64", default_value_t = payload::DEFAULT_SEED)]
    pub seed: u64,
    /// Receiver acks to wait for (0 = don't wait; mcast: also the number of
    /// publications to wait for).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub acks: u32,
    /// group only: this sender's member instance [default: INSTANCE + 1].
    #[arg(long, value_name = "U32")]
    pub member_instance: Option<u32>,
    /// rdm/mcast: written (atomically) once the first message is sent, so a
    /// script can act while the flow is under way.
    #[arg(long, value_name = "FILE")]
    pub started_file: Option<PathBuf>,
    /// seqpacket/stream: after N messages, write --paused-file and wait
    /// (within --timeout) until --resume-file exists, then send the rest on
    /// the same connection, so a script can change something under it.
    #[arg(long, value_name = "N", requires_all = ["paused_file", "resume_file"])]
    pub pause_after: Option<u64>,
    /// Written (atomically) once the sender has paused (--pause-after).
    #[arg(long, value_name = "FILE", requires = "pause_after")]
    pub paused_file: Option<PathBuf>,
    /// The paused sender goes on once this file exists (--pause-after).
    #[arg(long, value_name = "FILE", requires = "pause_after")]
    pub resume_file: Option<PathBuf>,
}

fn usage_error(sub: &str, kind: ErrorKind, msg: String) -> ! {
    let mut cmd = Cli::command();
    cmd.build(); // sets "tipc-agent <sub>" as the subcommand's usage name
    let sub_cmd = cmd.find_subcommand_mut(sub).map(|c| c.clone());
    match sub_cmd {
        Some(mut c) => c.error(kind, msg).exit(),
        None => cmd.error(kind, msg).exit(),
    }
}

/// Cross-argument rules clap cannot express; Err(message) on violation.
fn check_recv(a: &RecvArgs) -> Result<(), (ErrorKind, String)> {
    if a.sock == SockMode::Stream && a.size.is_none() {
        return Err((
            ErrorKind::MissingRequiredArgument,
            "--sock stream needs --size BYTES (the message size to cut the stream into)".into(),
        ));
    }
    if a.sock == SockMode::Group && !a.service.is_single() {
        return Err((
            ErrorKind::ValueValidation,
            "--sock group needs --service TYPE:INSTANCE (the member instance), not a range".into(),
        ));
    }
    Ok(())
}

fn check_send(a: &SendArgs) -> Result<(), (ErrorKind, String)> {
    let conflict = |m: &str| Err((ErrorKind::ArgumentConflict, m.to_string()));
    let missing = |m: &str| Err((ErrorKind::MissingRequiredArgument, m.to_string()));
    if a.sock != SockMode::Group && a.group_mode.is_some() {
        return conflict("--group-mode only applies to --sock group");
    }
    if a.sock != SockMode::Group && a.member_instance.is_some() {
        return conflict("--member-instance only applies to --sock group");
    }
    if !matches!(a.sock, SockMode::Rdm | SockMode::Mcast) && a.started_file.is_some() {
        return conflict("--started-file only applies to --sock rdm and mcast");
    }
    if !matches!(a.sock, SockMode::Seqpacket | SockMode::Stream) && a.pause_after.is_some() {
        return conflict("--pause-after only applies to --sock seqpacket and stream");
    }
    if a.paused_file.is_some() && a.paused_file == a.resume_file {
        return conflict("--paused-file and --resume-file must be two files");
    }
    if a.pause_after.is_some_and(|n| n == 0 || n >= a.count) {
        return Err((
            ErrorKind::ValueValidation,
            "--pause-after N needs 0 < N < --count".to_string(),
        ));
    }
    match a.sock {
        SockMode::Mcast => {
            if a.port_file.is_some() {
                return conflict(
                    "--sock mcast sends to a service range: use --service, not --port-file",
                );
            }
        }
        SockMode::Group => {
            let Some(svc) = a.service else {
                return missing(
                    "--sock group needs --service TYPE:INSTANCE (group type, receiving member)",
                );
            };
            if !svc.is_single() {
                return Err((
                    ErrorKind::ValueValidation,
                    "--sock group needs --service TYPE:INSTANCE, not a range".into(),
                ));
            }
            if a.group_mode == Some(GroupMode::Unicast) && a.port_file.is_none() {
                return missing("--group-mode unicast needs --port-file (the receiver's port)");
            }
        }
        SockMode::Rdm | SockMode::Seqpacket | SockMode::Stream => {
            if a.service.is_some_and(|s| s.ranged) {
                return Err((
                    ErrorKind::ValueValidation,
                    format!(
                        "--sock {} sends to one service instance: use TYPE:INSTANCE (ranges are for mcast)",
                        a.sock.as_arg()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn finish(report: report::Report, out: &std::path::Path) -> ExitCode {
    let ok = report.ok;
    let summary = format!(
        "tipc-agent {} {}: {}/{} messages, {} bytes, retries {}{}",
        match report.role {
            ExchangeRole::Send => "send",
            ExchangeRole::Recv => "recv",
        },
        report.sock,
        report.messages,
        report.count,
        report.bytes,
        report.retries,
        report
            .first_error
            .as_deref()
            .map(|e| format!(", error: {e}"))
            .unwrap_or_default()
    );
    {
        // One write() so concurrent agents' lines do not interleave.
        use std::io::Write;
        let _ = std::io::stderr().write_all(format!("{summary}\n").as_bytes());
    }
    if let Err(e) = report::write(&report, out) {
        eprintln!("tipc-agent: cannot write {}: {e:#}", out.display());
        return ExitCode::from(1);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn run_recv(a: RecvArgs) -> ExitCode {
    let start = Instant::now();
    let deadline = Deadline::after(Duration::from_secs(a.timeout));
    let mut run = Run::default();
    let result = recv::run(&a, &deadline, &mut run);
    let c = report::Common {
        role: ExchangeRole::Recv,
        sock: a.sock,
        service: Some(a.service),
        count: a.count,
        size: a.size,
        elapsed_ms: start.elapsed().as_millis() as u64,
        timeout_s: a.timeout,
        seed: None,
        group_mode: None,
    };
    finish(report::build(c, &run, &result), &a.out)
}

fn run_send(a: SendArgs) -> ExitCode {
    let start = Instant::now();
    let deadline = Deadline::after(Duration::from_secs(a.timeout));
    let mut run = Run::default();
    let result = send::run(&a, &deadline, &mut run);
    let c = report::Common {
        role: ExchangeRole::Send,
        sock: a.sock,
        service: a.service,
        count: a.count,
        size: Some(a.size),
        elapsed_ms: start.elapsed().as_millis() as u64,
        timeout_s: a.timeout,
        seed: Some(a.seed),
        group_mode: (a.sock == SockMode::Group).then(|| a.group_mode.unwrap_or(GroupMode::Bcast)),
    };
    finish(report::build(c, &run, &result), &a.out)
}

/// The rules between arguments that clap cannot express, for the parsed
/// command line: what the agent refuses with status 2 after parsing.
pub fn validate(cli: &Cli) -> Result<(), String> {
    let checked = match &cli.cmd {
        Cmd::Recv(a) => check_recv(a),
        Cmd::Send(a) => check_send(a),
        Cmd::Storm(a) => check_storm(a),
        Cmd::Sink(a) => a
            .common
            .args()
            .map(drop)
            .map_err(|m| (ErrorKind::ArgumentConflict, m)),
        Cmd::Blast(a) => a
            .common
            .args()
            .map(drop)
            .map_err(|m| (ErrorKind::ArgumentConflict, m)),
        Cmd::Inject(_) | Cmd::NetnsFaults(_) | Cmd::NetnsCookie(_) => Ok(()),
    };
    checked.map_err(|(_, msg)| msg)
}

/// The agent's entry point.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let checked = match &cli.cmd {
        Cmd::Recv(a) => check_recv(a).map_err(|e| ("recv", e)),
        Cmd::Send(a) => check_send(a).map_err(|e| ("send", e)),
        Cmd::Storm(a) => check_storm(a).map_err(|e| ("storm", e)),
        _ => Ok(()),
    };
    if let Err((sub, (kind, msg))) = checked {
        usage_error(sub, kind, msg);
    }
    match cli.cmd {
        Cmd::Recv(a) => run_recv(a),
        Cmd::Send(a) => run_send(a),
        Cmd::Inject(a) => run_inject(a),
        Cmd::Sink(a) => run_sink(a),
        Cmd::Blast(a) => run_blast(a),
        Cmd::Storm(a) => run_storm(a),
        Cmd::NetnsFaults(a) => run_netns_faults(a),
        Cmd::NetnsCookie(a) => run_netns_cookie(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tipc-agent").chain(args.iter().copied()))
    }

    fn send(args: &[&str]) -> SendArgs {
        let mut v = vec!["send"];
        v.extend_from_slice(args);
        match parse(&v).unwrap().cmd {
            Cmd::Send(a) => a,
            _ => unreachable!(),
        }
    }

    fn recv(args: &[&str]) -> RecvArgs {
        let mut v = vec!["recv"];
        v.extend_from_slice(args);
        match parse(&v).unwrap().cmd {
            Cmd::Recv(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn storm_arguments() {
        let ok = parse(&[
            "storm",
            "--role",
            "connect",
            "--sock",
            "stream",
            "--service",
            "20100:1",
            "--conns",
            "50",
            "--out",
            "o",
        ])
        .unwrap();
        match ok.cmd {
            Cmd::Storm(a) => {
                assert_eq!(a.conns, 50);
                assert_eq!(a.size, 256);
                assert_eq!(a.role, storm::Role::Connect);
            }
            _ => unreachable!(),
        }
        assert!(parse(&[
            "storm",
            "--role",
            "accept",
            "--sock",
            "rdm",
            "--service",
            "1:2",
            "--conns",
            "1",
            "--out",
            "o"
        ])
        .is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_documented_example() {
        let r = recv(&[
            "--sock",
            "rdm",
            "--service",
            "18888:17",
            "--count",
            "100",
            "--out",
            "/tmp/r.json",
            "--ready-file",
            "/tmp/rdm.ready",
        ]);
        assert_eq!(r.sock, SockMode::Rdm);
        assert_eq!(r.service.to_string(), "18888:17");
        assert_eq!(r.count, 100);
        assert_eq!(r.timeout, 30);
        assert_eq!(r.rcvbuf, RcvBuf::Auto);
        assert!(check_recv(&r).is_ok());

        let s = send(&[
            "--sock",
            "rdm",
            "--service",
            "18888:17",
            "--count",
            "100",
            "--size",
            "1024",
            "--out",
            "/tmp/s.json",
        ]);
        assert_eq!(s.size, 1024);
        assert_eq!(s.seed, payload::DEFAULT_SEED);
        assert_eq!(s.acks, 1);
        assert!(check_send(&s).is_ok());
    }

    #[test]
    fn all_socket_kinds_and_group_modes_parse() {
        for sock in ["rdm", "seqpacket", "stream", "mcast", "group"] {
            let r = recv(&[
                "--sock",
                sock,
                "--service",
                "100:1",
                "--count",
                "1",
                "--out",
                "o",
                "--size",
                "1",
            ]);
            assert_eq!(r.sock.as_arg(), sock);
        }
        for mode in ["bcast", "mcast", "anycast", "unicast"] {
            let s = send(&[
                "--sock",
                "group",
                "--service",
                "100:1",
                "--port-file",
                "p",
                "--count",
                "1",
                "--size",
                "66000",
                "--out",
                "o",
                "--group-mode",
                mode,
                "--seed",
                "42",
            ]);
            assert_eq!(s.group_mode.unwrap().as_arg(), mode);
            assert!(check_send(&s).is_ok());
        }
        let r = recv(&[
            "--sock",
            "mcast",
            "--service",
            "100:1:10",
            "--count",
            "1",
            "--out",
            "o",
        ]);
        assert!(r.service.ranged);
    }

    #[test]
    fn bad_arguments_are_clap_errors() {
        let base = ["--count", "1", "--size", "10", "--out", "o"];
        let with = |extra: &[&str]| {
            let mut v = vec!["send"];
            v.extend_from_slice(extra);
            v.extend_from_slice(&base);
            parse(&v).map(|_| ()).unwrap_err().kind()
        };
        assert_eq!(
            with(&["--sock", "rdm"]),
            ErrorKind::MissingRequiredArgument,
            "needs --service or --port-file"
        );
        assert_eq!(
            with(&["--sock", "udp", "--service", "1:2"]),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            with(&["--sock", "rdm", "--service", "1"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            with(&["--sock", "rdm", "--service", "1:x"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            with(&["--sock", "rdm", "--service", "1:2", "--timeout", "0"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            with(&["--sock", "rdm", "--service", "1:2", "--bogus"]),
            ErrorKind::UnknownArgument
        );
        assert!(parse(&[
            "send",
            "--sock",
            "rdm",
            "--service",
            "1:2",
            "--count",
            "1",
            "--size",
            "0",
            "--out",
            "o"
        ])
        .is_err());
        assert!(parse(&[
            "send",
            "--sock",
            "rdm",
            "--service",
            "1:2",
            "--count",
            "1",
            "--size",
            "66001",
            "--out",
            "o"
        ])
        .is_err());
        assert!(parse(&[
            "send",
            "--sock",
            "rdm",
            "--service",
            "1:2",
            "--count",
            "-1",
            "--size",
            "1",
            "--out",
            "o"
        ])
        .is_err());
        assert!(parse(&[
            "send",
            "--sock",
            "rdm",
            "--service",
            "1:2",
            "--size",
            "1",
            "--out",
            "o"
        ])
        .is_err());
        assert!(parse(&["recv", "--sock", "rdm", "--count", "1", "--out", "o"]).is_err());
        assert!(parse(&[
            "recv",
            "--sock",
            "rdm",
            "--service",
            "1:2",
            "--count",
            "1",
            "--out",
            "o",
            "--rcvbuf",
            "big"
        ])
        .is_err());
        assert!(parse(&[]).is_err());
        assert_eq!(
            parse(&["--help"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
        assert_eq!(
            parse(&["send", "--help"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
    }

    #[test]
    fn cross_argument_rules() {
        let r = recv(&[
            "--sock",
            "stream",
            "--service",
            "1:2",
            "--count",
            "1",
            "--out",
            "o",
        ]);
        assert_eq!(
            check_recv(&r).unwrap_err().0,
            ErrorKind::MissingRequiredArgument
        );
        let r = recv(&[
            "--sock",
            "group",
            "--service",
            "100:1:2",
            "--count",
            "1",
            "--out",
            "o",
        ]);
        assert!(check_recv(&r).is_err());

        let common = ["--count", "1", "--size", "10", "--out", "o"];
        let s = |extra: &[&str]| {
            let mut v: Vec<&str> = extra.to_vec();
            v.extend_from_slice(&common);
            check_send(&send(&v))
        };
        assert!(s(&["--sock", "rdm", "--service", "1:2", "--group-mode", "bcast"]).is_err());
        assert!(s(&[
            "--sock",
            "rdm",
            "--service",
            "1:2",
            "--member-instance",
            "3"
        ])
        .is_err());
        assert!(s(&["--sock", "rdm", "--service", "1:2:3"]).is_err());
        assert!(s(&["--sock", "mcast", "--service", "1:2:3"]).is_ok());
        assert!(s(&["--sock", "mcast", "--port-file", "p"]).is_err());
        assert!(s(&["--sock", "group", "--port-file", "p"]).is_err());
        assert!(s(&[
            "--sock",
            "group",
            "--service",
            "100:1",
            "--group-mode",
            "unicast"
        ])
        .is_err());
        assert!(s(&["--sock", "group", "--service", "100:1"]).is_ok());
        assert!(s(&["--sock", "rdm", "--port-file", "p"]).is_ok());
        assert!(s(&["--sock", "rdm", "--service", "1:2", "--started-file", "f"]).is_ok());
        assert!(s(&[
            "--sock",
            "stream",
            "--service",
            "1:2",
            "--started-file",
            "f"
        ])
        .is_err());
        assert!(s(&["--sock", "stream", "--service", "1:2", "--port-file", "p"]).is_ok());
        let pause_to = |sock: &'static str, after: &'static str, resume: &'static str| {
            check_send(&send(&[
                "--sock",
                sock,
                "--service",
                "1:2",
                "--count",
                "10",
                "--size",
                "10",
                "--out",
                "o",
                "--pause-after",
                after,
                "--paused-file",
                "p",
                "--resume-file",
                resume,
            ]))
        };
        let pause = |sock, after| pause_to(sock, after, "r");
        assert!(pause("seqpacket", "5").is_ok());
        assert!(pause("stream", "9").is_ok());
        assert!(pause("rdm", "5").is_err());
        assert!(pause("seqpacket", "0").is_err());
        assert!(pause("seqpacket", "10").is_err());
        assert!(pause_to("stream", "5", "p").is_err(), "one file for both");
    }

    #[test]
    fn help_mentions_the_contract() {
        let mut cmd = Cli::command();
        let help = cmd.render_long_help().to_string();
        assert!(help.contains("digest_ordered"));
        let send = cmd
            .find_subcommand_mut("send")
            .unwrap()
            .render_long_help()
            .to_string();
        for flag in [
            "--service",
            "--port-file",
            "--count",
            "--size",
            "--out",
            "--timeout",
            "--group-mode",
            "--seed",
        ] {
            assert!(send.contains(flag), "send help lacks {flag}");
        }
        let recv = cmd
            .find_subcommand_mut("recv")
            .unwrap()
            .render_long_help()
            .to_string();
        for flag in ["--ready-file", "--port-file", "--timeout", "--size"] {
            assert!(recv.contains(flag), "recv help lacks {flag}");
        }
    }
}
