//! The arguments of `tipc-verifier run`, and the user's commands in them.

use std::path::PathBuf;

use tipc_wire::verdict::ExpectedPath;

use crate::base::Base;
use crate::exit::UsageError;
use crate::kbuild::Flavour;
use crate::qemu;
use crate::scenario::Topology;

/// Boot a kernel, build a topology of TIPC namespaces, run your own
/// programs in them, and see which path their messages took.
///
/// Each `--ns NS -- CMD [ARGS...]` runs CMD in namespace NS; repeat the
/// group for more commands (`--ns ns2 -- ./server --ns ns1 -- ./client`).
/// Give receivers before senders: the commands start in the order given,
/// `--stagger` seconds apart, once every TIPC link is up. With `--share
/// DIR` the directory is copied into the guest as `/share/user`, the
/// commands' working directory: put your (static) binaries there.
///
/// The guest captures every namespace's `lo` and every bearer. Afterwards
/// each sending socket (node:port) gets a verdict from the captures:
/// `crossover` (only trace clones on the receiving namespace's `lo`),
/// `bearer` (only on bearer devices), `node-local` (inside one namespace)
/// or `mixed`. KTAP goes to stdout (a check per command's exit status and
/// per socket; with `--expect`, a socket on another path fails), and
/// `run.json`, the commands' output and the captures go to the output
/// directory. With `--shell` you get a shell on the guest's console in
/// that topology instead (namespaces ns1.., `ip netns exec ns1 ...`);
/// `exit` ends it and the captures are kept.
#[derive(clap::Args, Debug, Clone)]
#[command(after_long_help = crate::exit::HELP)]
pub struct RunArgs {
    /// The kernel to boot.
    #[arg(long, value_enum, default_value = "patched")]
    pub kernel: Flavour,
    /// Kernel base.
    #[arg(long, value_enum, default_value = "7.3")]
    pub base: Base,
    /// Version of the base's source package, exact or a prefix (default:
    /// the newest the Debian archive serves).
    #[arg(long, value_name = "V")]
    pub base_version: Option<String>,
    /// veth (ns1, ns2 on a veth pair), bridge:N (ns1..nsN, 2 to 8, on a
    /// bridge) or two-guests (ns1 in guest a, ns2 in guest b: two kernels,
    /// never a crossover).
    #[arg(long, default_value = "veth", value_parser = parse_topology)]
    pub topology: Topology,
    /// A directory copied into the guest as /share/user, where the commands
    /// run.
    #[arg(long, value_name = "DIR")]
    pub share: Option<PathBuf>,
    /// The path every sending socket's data must take: crossover or bearer.
    /// Without it the verdicts are reported, not judged.
    #[arg(long, value_enum)]
    pub expect: Option<ExpectedPath>,
    /// Seconds each command may run before it is killed (at least 1).
    #[arg(long, default_value_t = 60, value_name = "SECS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub timeout: u32,
    /// Seconds between the starts of two commands.
    #[arg(long, default_value_t = 1, value_name = "SECS")]
    pub stagger: u32,
    /// An interactive shell on the guest's console in the topology,
    /// instead of commands.
    #[arg(long)]
    pub shell: bool,
    /// Output directory (default: out/run-<UTC time> in the checkout).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Accelerator: tcg (default) or kvm (falls back to TCG, saying why).
    #[arg(long, value_enum, default_value = "tcg")]
    pub accel: qemu::Accel,
    /// Print the guest scripts without running anything (no build, no
    /// network).
    #[arg(long)]
    pub dry_run: bool,
    /// Parallel make jobs for the kernel build (default: the number of CPUs).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// The namespace of the first command; the command follows `--`.
    #[arg(long = "ns", value_name = "NS")]
    pub first_ns: Option<String>,
    /// After `--`: the first command, then `--ns NS -- CMD ...` for each
    /// further one.
    #[arg(last = true, allow_hyphen_values = true, value_name = "CMD")]
    pub rest: Vec<String>,
}

/// One of the user's commands: the namespace it runs in and its words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NsCommand {
    pub ns: String,
    pub argv: Vec<String>,
}

/// `veth`, `bridge:N` (2 to 8) or `two-guests`.
pub fn parse_topology(text: &str) -> Result<Topology, String> {
    match text {
        "veth" => Ok(Topology::VethPair),
        "two-guests" => Ok(Topology::TwoGuests),
        _ => {
            let n = text
                .strip_prefix("bridge:")
                .ok_or_else(|| format!("{text:?}: use veth, bridge:N or two-guests"))?;
            match n.parse::<u8>() {
                Ok(n @ 2..=8) => Ok(Topology::Bridge(n)),
                _ => Err(format!(
                    "{text:?}: a bridge has 2 to 8 namespaces (bridge:2 .. bridge:8)"
                )),
            }
        }
    }
}

/// The name `--topology` takes for `topology`.
pub fn topology_name(topology: Topology) -> String {
    match topology {
        Topology::VethPair => "veth".into(),
        Topology::Bridge(n) => format!("bridge:{n}"),
        Topology::TwoGuests => "two-guests".into(),
        other => format!("{other:?}"),
    }
}

impl RunArgs {
    /// The commands, in the order given. The first group's namespace is
    /// `--ns` before `--`; every later group starts with the three words
    /// `--ns NS --` after it.
    pub fn commands(&self) -> Result<Vec<NsCommand>, UsageError> {
        let mut groups = Vec::new();
        let mut words = self.rest.iter().peekable();
        let mut current = match (&self.first_ns, words.peek()) {
            (Some(ns), _) => NsCommand {
                ns: ns.clone(),
                argv: Vec::new(),
            },
            (None, None) => return Ok(groups),
            (None, Some(_)) => {
                return Err(UsageError(
                    "a command needs its namespace: --ns NS -- CMD [ARGS...]".into(),
                ))
            }
        };
        let rest: Vec<&String> = words.collect();
        let mut i = 0;
        while i < rest.len() {
            if rest[i] == "--ns" && rest.get(i + 2).is_some_and(|w| *w == "--") {
                groups.push(std::mem::replace(
                    &mut current,
                    NsCommand {
                        ns: rest[i + 1].clone(),
                        argv: Vec::new(),
                    },
                ));
                i += 3;
            } else {
                current.argv.push(rest[i].clone());
                i += 1;
            }
        }
        groups.push(current);
        let here = self.topology.all_namespaces();
        for g in &groups {
            if g.argv.is_empty() {
                return Err(UsageError(format!(
                    "--ns {} has no command: --ns {} -- CMD [ARGS...]",
                    g.ns, g.ns
                )));
            }
            if !here.contains(&g.ns.as_str()) {
                return Err(UsageError(format!(
                    "no namespace {:?} in this topology (it has {})",
                    g.ns,
                    here.join(", ")
                )));
            }
        }
        Ok(groups)
    }

    /// The commands, checked against `--shell`: one of the two is needed.
    pub fn work(&self) -> Result<Vec<NsCommand>, UsageError> {
        let commands = self.commands()?;
        if self.shell && self.expect.is_some() {
            return Err(UsageError(
                "--shell judges nothing: --expect needs commands".into(),
            ));
        }
        match (self.shell, commands.is_empty()) {
            (true, false) => Err(UsageError(
                "--shell takes no commands: run them in the shell".into(),
            )),
            (false, true) => Err(UsageError(
                "nothing to run: give --ns NS -- CMD [ARGS...] (repeatable), or --shell".into(),
            )),
            _ => Ok(commands),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn parse(words: &[&str]) -> RunArgs {
        let mut argv = vec!["run"];
        argv.extend_from_slice(words);
        Cli::try_parse_from(argv).expect("parses").run
    }

    fn cmd(ns: &str, argv: &[&str]) -> NsCommand {
        NsCommand {
            ns: ns.into(),
            argv: argv.iter().map(|w| w.to_string()).collect(),
        }
    }

    #[test]
    fn groups_split_at_ns_and_keep_their_own_options() {
        let a = parse(&[
            "--ns", "ns2", "--", "./server", "-v", "--port", "5", "--ns", "ns1", "--", "./client",
            "--ns", "x",
        ]);
        assert_eq!(
            a.commands().unwrap(),
            vec![
                cmd("ns2", &["./server", "-v", "--port", "5"]),
                // "--ns x" without a following "--" is the client's own.
                cmd("ns1", &["./client", "--ns", "x"]),
            ]
        );
    }

    #[test]
    fn namespaces_must_exist_and_commands_must_be_there() {
        let a = parse(&["--ns", "ns3", "--", "true"]);
        assert!(a.commands().unwrap_err().0.contains("no namespace \"ns3\""));
        let a = parse(&["--topology", "bridge:3", "--ns", "ns3", "--", "true"]);
        assert_eq!(a.commands().unwrap(), vec![cmd("ns3", &["true"])]);
        let a = parse(&["--ns", "ns1", "--", "true", "--ns", "ns2", "--"]);
        assert!(a
            .commands()
            .unwrap_err()
            .0
            .contains("--ns ns2 has no command"));
        let a = parse(&["--", "true"]);
        assert!(a.commands().unwrap_err().0.contains("needs its namespace"));
        assert!(parse(&[]).work().unwrap_err().0.contains("nothing to run"));
        assert!(parse(&["--shell", "--ns", "ns1", "--", "true"])
            .work()
            .is_err());
        assert_eq!(parse(&["--shell"]).work().unwrap(), Vec::new());
        assert!(parse(&["--shell", "--expect", "crossover"]).work().is_err());
        let mut argv = vec!["run", "--timeout", "0"];
        argv.extend(["--ns", "ns1", "--", "true"]);
        assert!(
            Cli::try_parse_from(argv).is_err(),
            "--timeout 0 means no limit to timeout(1)"
        );
    }

    #[test]
    fn topologies_parse_and_bad_ones_say_why() {
        assert_eq!(parse_topology("veth"), Ok(Topology::VethPair));
        assert_eq!(parse_topology("bridge:8"), Ok(Topology::Bridge(8)));
        assert_eq!(parse_topology("two-guests"), Ok(Topology::TwoGuests));
        assert!(parse_topology("bridge:9").unwrap_err().contains("2 to 8"));
        assert!(parse_topology("bridge:1").is_err());
        assert!(parse_topology("mesh")
            .unwrap_err()
            .contains("veth, bridge:N"));
    }
}
