//! What the verifier asks the agent to do, rendered to arguments here and
//! nowhere else.
//!
//! An option left `None` is not rendered: the agent's default applies (its
//! `--help` gives each). File names are guest paths; in a shell rendering a
//! `$NAME` in them is left for the guest shell to expand (`$RES/x.json`).

use std::net::SocketAddr;

use crate::options::{ConnSock, GroupMode, InjectMode, RcvBuf, SockMode, StormRole};
use crate::service::Service;

/// One invocation of `tipc-agent`.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Recv(Recv),
    Send(Send),
    Inject(Inject),
    Sink(Sink),
    Blast(Blast),
    Storm(Storm),
    NetnsFaults(NetnsFaults),
}

/// `tipc-agent recv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Recv {
    pub sock: SockMode,
    pub service: Service,
    pub count: u64,
    pub out: String,
    pub ready_file: Option<String>,
    pub port_file: Option<String>,
    pub timeout_s: Option<u64>,
    pub size: Option<usize>,
    pub rcvbuf: Option<RcvBuf>,
    pub no_ack: bool,
    pub delay_us: Option<u64>,
}

impl Recv {
    /// A receiver with the agent's defaults for everything optional.
    pub fn new(sock: SockMode, service: Service, count: u64, out: impl Into<String>) -> Self {
        Recv {
            sock,
            service,
            count,
            out: out.into(),
            ready_file: None,
            port_file: None,
            timeout_s: None,
            size: None,
            rcvbuf: None,
            no_ack: false,
            delay_us: None,
        }
    }
}

/// `tipc-agent send`.
#[derive(Clone, Debug, PartialEq)]
pub struct Send {
    pub sock: SockMode,
    pub service: Option<Service>,
    pub port_file: Option<String>,
    pub count: u64,
    pub size: usize,
    pub out: String,
    pub timeout_s: Option<u64>,
    pub group_mode: Option<GroupMode>,
    pub seed: Option<u64>,
    pub acks: Option<u32>,
    pub member_instance: Option<u32>,
    pub started_file: Option<String>,
    /// seqpacket/stream: stop after this many messages until a file exists.
    pub pause: Option<Pause>,
}

/// A connection's sender stops halfway, so that a script can change
/// something under an established connection (`--pause-after`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pause {
    /// Messages sent before the pause.
    pub after: u64,
    /// Written by the sender once it has paused.
    pub paused_file: String,
    /// The sender goes on once this file exists.
    pub resume_file: String,
}

impl Send {
    /// A sender with the agent's defaults for everything optional; give a
    /// `service`, a `port_file` or both.
    pub fn new(sock: SockMode, count: u64, size: usize, out: impl Into<String>) -> Self {
        Send {
            sock,
            service: None,
            port_file: None,
            count,
            size,
            out: out.into(),
            timeout_s: None,
            group_mode: None,
            seed: None,
            acks: None,
            member_instance: None,
            started_file: None,
            pause: None,
        }
    }
}

/// `tipc-agent inject`.
#[derive(Clone, Debug, PartialEq)]
pub struct Inject {
    pub dev: String,
    pub sniff_dev: Option<String>,
    pub cluster: Option<u32>,
    pub distinct: bool,
    pub first: Option<u32>,
    /// Each frame's proof differs from the one before (`--vary-proof`).
    pub vary_proof: bool,
    pub mode: InjectMode,
    pub count: Option<u64>,
    pub interval_us: Option<u64>,
    pub timeout_s: Option<u64>,
    pub out: String,
}

/// Where a benchmark connects.
#[derive(Clone, Debug, PartialEq)]
pub enum BenchEndpoint {
    /// TIPC SOCK_STREAM to this service.
    Tipc(Service),
    /// TCP to this address.
    Tcp(SocketAddr),
    /// An AF_UNIX stream socket at this path (a file both namespaces reach).
    Unix(String),
}

/// How much a benchmark moves per connection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BenchAmount {
    /// This many bytes (throughput).
    Bytes(u64),
    /// This many round trips of one message each way (latency).
    RoundTrips(u64),
}

/// The options `sink` and `blast` share.
#[derive(Clone, Debug, PartialEq)]
pub struct Bench {
    pub endpoint: BenchEndpoint,
    pub conns: u32,
    pub size: usize,
    pub amount: BenchAmount,
    pub timeout_s: Option<u64>,
}

/// `tipc-agent sink`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sink {
    pub bench: Bench,
    pub ready_file: String,
}

/// `tipc-agent blast`.
#[derive(Clone, Debug, PartialEq)]
pub struct Blast {
    pub bench: Bench,
    pub out: String,
}

/// `tipc-agent storm`.
#[derive(Clone, Debug, PartialEq)]
pub struct Storm {
    pub role: StormRole,
    pub sock: ConnSock,
    pub service: Service,
    pub conns: u64,
    pub size: Option<usize>,
    pub seed: Option<u64>,
    pub ready_file: Option<String>,
    pub timeout_s: Option<u64>,
    pub out: String,
}

/// `tipc-agent netns-faults`.
#[derive(Clone, Debug, PartialEq)]
pub struct NetnsFaults {
    pub max_steps: Option<u32>,
    pub out: String,
}

/// Collects `--name value` pairs.
struct Args(Vec<String>);

impl Args {
    fn new(sub: &str) -> Self {
        Args(vec![sub.to_string()])
    }

    fn opt(&mut self, name: &str, value: impl ToString) {
        self.0.push(format!("--{name}"));
        self.0.push(value.to_string());
    }

    fn maybe(&mut self, name: &str, value: Option<impl ToString>) {
        if let Some(v) = value {
            self.opt(name, v);
        }
    }

    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.0.push(format!("--{name}"));
        }
    }
}

impl Bench {
    fn render(&self, a: &mut Args) {
        match &self.endpoint {
            BenchEndpoint::Tipc(s) => a.opt("service", s),
            BenchEndpoint::Tcp(addr) => a.opt("tcp", addr),
            BenchEndpoint::Unix(path) => a.opt("unix", path),
        }
        a.opt("conns", self.conns);
        a.opt("size", self.size);
        match self.amount {
            BenchAmount::Bytes(n) => a.opt("bytes", n),
            BenchAmount::RoundTrips(n) => a.opt("rtt", n),
        }
        a.maybe("timeout", self.timeout_s);
    }
}

impl Command {
    /// The agent's arguments, subcommand first (without the program name).
    pub fn args(&self) -> Vec<String> {
        match self {
            Command::Recv(r) => {
                let mut a = Args::new("recv");
                a.opt("sock", r.sock);
                a.opt("service", r.service);
                a.opt("count", r.count);
                a.maybe("size", r.size);
                a.opt("out", &r.out);
                a.maybe("ready-file", r.ready_file.as_ref());
                a.maybe("port-file", r.port_file.as_ref());
                a.maybe("timeout", r.timeout_s);
                a.maybe("rcvbuf", r.rcvbuf);
                a.flag("no-ack", r.no_ack);
                a.maybe("delay-us", r.delay_us);
                a.0
            }
            Command::Send(s) => {
                let mut a = Args::new("send");
                a.opt("sock", s.sock);
                a.maybe("service", s.service);
                a.maybe("port-file", s.port_file.as_ref());
                a.opt("count", s.count);
                a.opt("size", s.size);
                a.opt("out", &s.out);
                a.maybe("timeout", s.timeout_s);
                a.maybe("group-mode", s.group_mode);
                a.maybe("seed", s.seed);
                a.maybe("acks", s.acks);
                a.maybe("member-instance", s.member_instance);
                a.maybe("started-file", s.started_file.as_ref());
                if let Some(p) = &s.pause {
                    a.opt("pause-after", p.after);
                    a.opt("paused-file", &p.paused_file);
                    a.opt("resume-file", &p.resume_file);
                }
                a.0
            }
            Command::Inject(i) => {
                let mut a = Args::new("inject");
                a.opt("dev", &i.dev);
                a.maybe("sniff-dev", i.sniff_dev.as_ref());
                a.maybe("cluster", i.cluster);
                a.flag("distinct", i.distinct);
                a.maybe("first", i.first);
                a.flag("vary-proof", i.vary_proof);
                a.opt("mode", i.mode);
                a.maybe("count", i.count);
                a.maybe("interval-us", i.interval_us);
                a.maybe("timeout", i.timeout_s);
                a.opt("out", &i.out);
                a.0
            }
            Command::Sink(s) => {
                let mut a = Args::new("sink");
                s.bench.render(&mut a);
                a.opt("ready-file", &s.ready_file);
                a.0
            }
            Command::Blast(b) => {
                let mut a = Args::new("blast");
                b.bench.render(&mut a);
                a.opt("out", &b.out);
                a.0
            }
            Command::Storm(s) => {
                let mut a = Args::new("storm");
                a.opt("role", s.role);
                a.opt("sock", s.sock);
                a.opt("service", s.service);
                a.opt("conns", s.conns);
                a.maybe("size", s.size);
                a.maybe("seed", s.seed);
                a.maybe("ready-file", s.ready_file.as_ref());
                a.maybe("timeout", s.timeout_s);
                a.opt("out", &s.out);
                a.0
            }
            Command::NetnsFaults(f) => {
                let mut a = Args::new("netns-faults");
                a.maybe("max-steps", f.max_steps);
                a.opt("out", &f.out);
                a.0
            }
        }
    }

    /// `tipc-agent ARGS...` as one line of a guest shell script: every word
    /// quoted where it needs it, `$NAME` left to the shell.
    pub fn shell(&self) -> String {
        let mut line = String::from("tipc-agent");
        for arg in self.args() {
            line.push(' ');
            line.push_str(&shell_word(&arg));
        }
        line
    }
}

/// A word for a POSIX shell: bare when it holds only characters no shell
/// treats specially, else in double quotes with `"`, `\` and `` ` ``
/// escaped, so that a `$NAME` (or `${NAME}`) in it still expands; any
/// other `$` (`$(`, `$1`, `$$`) is escaped too.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=,+@%-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        let names_a_variable = chars
            .peek()
            .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_' || *n == '{');
        if matches!(c, '"' | '\\' | '`') || (c == '$' && !names_a_variable) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_left_out_are_not_rendered() {
        let r = Command::Recv(Recv::new(
            SockMode::Rdm,
            Service::instance(18888, 17),
            100,
            "$RES/r.json",
        ));
        assert_eq!(
            r.args(),
            [
                "recv",
                "--sock",
                "rdm",
                "--service",
                "18888:17",
                "--count",
                "100",
                "--out",
                "$RES/r.json"
            ]
        );
        assert_eq!(
            r.shell(),
            "tipc-agent recv --sock rdm --service 18888:17 --count 100 --out \"$RES/r.json\""
        );
    }

    #[test]
    fn shell_words_are_quoted_where_needed() {
        assert_eq!(shell_word("a-b_c.d:1"), "a-b_c.d:1");
        assert_eq!(shell_word(""), "\"\"");
        assert_eq!(shell_word("a b"), "\"a b\"");
        assert_eq!(shell_word("$RES/x y"), "\"$RES/x y\"");
        assert_eq!(shell_word("q\"`\\"), "\"q\\\"\\`\\\\\"");
        assert_eq!(shell_word("$(x) $1 $$"), "\"\\$(x) \\$1 \\$\\$\"");
    }
}
