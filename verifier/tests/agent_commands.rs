//! Every `tipc-agent` command line the verifier writes into a guest script
//! is accepted by the agent's own parser (and by its rules between
//! arguments), so that a typo fails here and not minutes later in QEMU.

use clap::Parser;
use tipc_agent::cli::{self, Cli};
use tipc_agent_protocol::{
    self as agent, BenchAmount, BenchEndpoint, Command, ConnSock, GroupMode, InjectMode, RcvBuf,
    Service, SockMode, StormRole,
};
use tipc_verifier::bench::plan::Plan;
use tipc_verifier::kbuild::Flavour;
use tipc_verifier::scenario::{self, Scenario};
use tipc_verifier::stress::plan::Plan as StressPlan;

/// Splits one shell command into words the way the guest shell would,
/// for the quoting our renderer writes: bare words, double quotes with
/// backslash escapes, single quotes. `$RES` stands for the results
/// directory. Stops at an unquoted `||`, `&`, `;` or `|`.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '&' | ';' | '|' => break,
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
        .into_iter()
        .map(|w| w.replace("$RES", "/share/results"))
        .collect()
}

/// The shell library every guest script starts with: its functions take
/// their agent arguments from shell parameters, so its lines are left to
/// the runs that call them (the library is not what the verifier renders).
const GUEST_LIB: &str = include_str!("../../vm/guest/lib.sh");

/// Every agent command the verifier rendered into `script`: the words from
/// `tipc-agent` on.
fn agent_commands(script: &str) -> Vec<Vec<String>> {
    assert!(
        script.contains(GUEST_LIB),
        "a guest script starts with lib.sh"
    );
    script
        .replacen(GUEST_LIB, "", 1)
        .lines()
        .filter_map(|line| {
            let at = line.find("tipc-agent ")?;
            Some(shell_words(&line[at..]))
        })
        .collect()
}

/// Parses one command with the agent's parser; the error names the line.
fn check(words: &[String]) -> Result<(), String> {
    let cli = Cli::try_parse_from(words).map_err(|e| format!("{words:?}: {e}"))?;
    cli::validate(&cli).map_err(|e| format!("{words:?}: {e}"))
}

fn scenario_scripts(scn: &Scenario) -> Vec<String> {
    scn.guest_scripts().into_iter().map(|(_, s)| s).collect()
}

#[test]
fn the_words_of_a_rendered_line_are_what_the_renderer_quoted() {
    assert_eq!(
        shell_words("$IP netns exec ns1 tipc-agent send --out \"$RES/a b.json\" || rc=1"),
        [
            "$IP",
            "netns",
            "exec",
            "ns1",
            "tipc-agent",
            "send",
            "--out",
            "/share/results/a b.json"
        ]
    );
    assert_eq!(shell_words("x \"q\\\"\" 'a b' &"), ["x", "q\"", "a b"]);
}

#[test]
fn every_scenario_command_parses() {
    let mut seen = 0;
    // The kselftest and kunit scenarios run the series' own tests, not
    // the agent.
    for scn in scenario::catalogue().into_iter().filter(|s| {
        !matches!(
            s.topology,
            scenario::Topology::Kselftest | scenario::Topology::Kunit
        )
    }) {
        for script in scenario_scripts(&scn) {
            for words in agent_commands(&script) {
                check(&words).unwrap_or_else(|e| panic!("scenario {}: {e}", scn.name));
                seen += 1;
            }
        }
        // The typed commands themselves, before any shell.
        for case in &scn.cases {
            for cmd in [
                Command::Recv(case.recv_agent(60)),
                Command::Send(case.send_agent(60)),
            ] {
                let mut words = vec!["tipc-agent".to_string()];
                words.extend(cmd.args());
                check(&words)
                    .unwrap_or_else(|e| panic!("scenario {} case {}: {e}", scn.name, case.id));
            }
        }
    }
    // Two agents per case in 12 scenarios and four forged-frame kinds: far more than 50.
    eprintln!("{seen} agent commands of the scenario scripts parsed");
    assert!(
        seen > 50,
        "only {seen} agent commands found in the scenario scripts"
    );
}

#[test]
fn every_bench_command_parses() {
    let plan = Plan::default();
    let mut scripts = vec![
        plan.script(Flavour::Stock, 1),
        plan.script(Flavour::Patched, 1),
    ];
    let (a, b) = plan.two_guest_scripts(1);
    scripts.push(a);
    scripts.push(b);
    for kernel in [Flavour::Stock, Flavour::Patched] {
        scripts.push(tipc_verifier::bench::sendpath::script(kernel, &plan.sizes));
    }
    let mut seen = 0;
    for script in &scripts {
        for words in agent_commands(script) {
            check(&words).unwrap_or_else(|e| panic!("bench: {e}"));
            seen += 1;
        }
    }
    eprintln!("{seen} agent commands of the bench scripts parsed");
    assert!(seen > 20, "only {seen} agent commands in the bench scripts");
}

#[test]
fn every_stress_command_parses() {
    for plan in [StressPlan::short(), StressPlan::long(500)] {
        let script = plan.script();
        // The generated part: the phases' steps and the driver (the
        // helpers before it are the static programs' test's).
        let generated = script
            .split("---- the phases of this run")
            .nth(1)
            .expect("the stress script has its phases");
        let mut seen = 0;
        for line in generated.lines().map(str::trim_start) {
            let words = if let Some(at) = line.find("tipc-agent ") {
                shell_words(&line[at..])
            } else if line.starts_with("spawn ") {
                // spawn NS ARGS...: the agent's arguments after the namespace.
                let mut words = shell_words(line);
                words.drain(..2);
                words.insert(0, "tipc-agent".into());
                words
            } else {
                continue;
            };
            check(&words).unwrap_or_else(|e| panic!("stress: {line}\n{e}"));
            seen += 1;
        }
        // Two sweeps' worth of netns-faults, five injections, four storm ends.
        let least = 2 * plan.fault_rounds + 5 + 4;
        assert!(
            seen >= least as usize,
            "only {seen} agent commands in the stress script, {least} expected"
        );
    }
}

#[test]
fn a_command_the_agent_refuses_is_caught() {
    // The rules between arguments are checked too, not only clap's syntax.
    let words: Vec<String> = [
        "tipc-agent",
        "send",
        "--sock",
        "rdm",
        "--service",
        "1:2",
        "--count",
        "1",
        "--size",
        "1",
        "--out",
        "o",
        "--group-mode",
        "bcast",
    ]
    .map(String::from)
    .to_vec();
    assert!(check(&words)
        .unwrap_err()
        .contains("--group-mode only applies"));
    let typo: Vec<String> = ["tipc-agent", "recv", "--sock", "rdm", "--servce", "1:2"]
        .map(String::from)
        .to_vec();
    assert!(check(&typo).is_err());
}

/// Every command with every option it has set (two variants where options
/// exclude each other), so that a misspelt option nothing renders today
/// still fails here.
fn every_option() -> Vec<Command> {
    let svc = Service::instance(18888, 17);
    let bench = |endpoint, amount| agent::Bench {
        endpoint,
        conns: 8,
        size: 65536,
        amount,
        timeout_s: Some(30),
    };
    vec![
        Command::Recv(agent::Recv {
            ready_file: Some("/tmp/r.ready".into()),
            port_file: Some("/tmp/r.port".into()),
            timeout_s: Some(30),
            size: Some(1024),
            rcvbuf: Some(RcvBuf::Bytes(1 << 20)),
            no_ack: true,
            delay_us: Some(100),
            ..agent::Recv::new(SockMode::Rdm, svc, 10, "$RES/r.json")
        }),
        Command::Recv(agent::Recv {
            rcvbuf: Some(RcvBuf::Keep),
            size: Some(100),
            ..agent::Recv::new(SockMode::Stream, svc, 10, "$RES/s.json")
        }),
        Command::Send(agent::Send {
            service: Some(svc),
            timeout_s: Some(30),
            seed: Some(7),
            acks: Some(0),
            started_file: Some("/tmp/started".into()),
            ..agent::Send::new(SockMode::Rdm, 10, 1024, "$RES/s.json")
        }),
        Command::Send(agent::Send {
            service: Some(svc),
            pause: Some(agent::Pause {
                after: 5,
                paused_file: "/tmp/c.paused".into(),
                resume_file: "/tmp/c.resume".into(),
            }),
            ..agent::Send::new(SockMode::Seqpacket, 10, 66000, "$RES/c.json")
        }),
        Command::Send(agent::Send {
            service: Some(svc),
            port_file: Some("/tmp/r.port".into()),
            group_mode: Some(GroupMode::Unicast),
            member_instance: Some(99),
            ..agent::Send::new(SockMode::Group, 10, 66000, "$RES/g.json")
        }),
        Command::Inject(agent::Inject {
            dev: "br0".into(),
            sniff_dev: Some("isor".into()),
            cluster: Some(4711),
            distinct: true,
            vary_proof: true,
            first: Some(5000),
            mode: InjectMode::RawHash,
            count: Some(10),
            interval_us: Some(100),
            timeout_s: Some(30),
            out: "$RES/inject.json".into(),
        }),
        Command::Sink(agent::Sink {
            bench: bench(
                BenchEndpoint::Tcp("10.77.0.2:20001".parse().expect("address")),
                BenchAmount::Bytes(1 << 20),
            ),
            ready_file: "/tmp/sink.ready".into(),
        }),
        Command::Blast(agent::Blast {
            bench: bench(
                BenchEndpoint::Unix("/tmp/b.sock".into()),
                BenchAmount::RoundTrips(100),
            ),
            out: "$RES/bench-x.json".into(),
        }),
        Command::Storm(agent::Storm {
            role: StormRole::Accept,
            sock: ConnSock::Seqpacket,
            service: svc,
            conns: 50,
            size: Some(256),
            seed: Some(1),
            ready_file: Some("/tmp/storm.ready".into()),
            timeout_s: Some(60),
            out: "$RES/storm.json".into(),
        }),
        Command::NetnsFaults(agent::NetnsFaults {
            max_steps: Some(5000),
            out: "$RES/sweep.json".into(),
        }),
    ]
}

#[test]
fn every_option_of_every_command_parses() {
    for cmd in every_option() {
        let mut words = vec!["tipc-agent".to_string()];
        words.extend(cmd.args());
        check(&words).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// What a real `sh` makes of a rendered line: the words `tipc-agent` gets
/// (a function stands in for it; dash allows no `-` in a function name).
fn words_in_sh(line: &str) -> Vec<String> {
    let line = line.replacen("tipc-agent", "tipc_agent", 1);
    let script = format!(
        "RES=/share/results\ntipc_agent() {{ for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }}\n{line}\n"
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_shell_gets_exactly_the_rendered_arguments() {
    for cmd in every_option() {
        let want: Vec<String> = cmd
            .args()
            .into_iter()
            .map(|a| a.replace("$RES", "/share/results"))
            .collect();
        assert_eq!(words_in_sh(&cmd.shell()), want, "{}", cmd.shell());
    }
    // Words no shell may expand or split, through the same quoting.
    for word in [
        "*", "~x", "#a", "a'b", "a b", "é", "", "$(id)", "$1", "\\", "`x`",
    ] {
        let line = format!("tipc-agent {}", agent::shell_word(word));
        assert_eq!(words_in_sh(&line), [word], "{line}");
    }
}

/// The static guest programs (`stress.sh`'s and `lib.sh`'s helpers) call
/// the agent with shell parameters. Each call, continuation lines joined,
/// with every parameterised value replaced by a sample of what the
/// program passes there, must parse too. A helper that passes its own
/// arguments on (`tipc-agent "$@"`) runs what the verifier rendered, which
/// the tests of the generated scripts parse.
#[test]
fn every_agent_call_of_the_static_guest_programs_parses() {
    const STRESS: &str = include_str!("../../vm/guest/stress.sh");
    // A value for each option that a program fills from a parameter.
    let sample = |option: &str| -> Option<&'static str> {
        Some(match option {
            "--sock" => "rdm",
            "--service" => "21020:1",
            "--count" | "--size" | "--first" => "10",
            "--out" | "--ready-file" => "/share/results/x.json",
            "--seconds" | "--timeout" => "5",
            _ => return None,
        })
    };
    let mut calls = 0;
    for (name, program) in [("stress.sh", STRESS), ("lib.sh", GUEST_LIB)] {
        let joined = program.replace("\\\n", " ");
        for line in joined.lines() {
            let Some(at) = line.find("tipc-agent ") else {
                continue;
            };
            if line.trim_start().starts_with('#') {
                continue;
            }
            let mut words = shell_words(&line[at..]);
            if words.get(1).is_some_and(|w| w == "$@") {
                continue;
            }
            // Redirections end the command's arguments.
            if let Some(end) = words
                .iter()
                .position(|w| w.starts_with('>') || w.starts_with("2>"))
            {
                words.truncate(end);
            }
            for i in 1..words.len() {
                if words[i].contains('$') {
                    let option = words[i - 1].as_str();
                    let value = sample(option).map(str::to_string).unwrap_or_else(|| {
                        // A positional operand (a namespace name).
                        "ns1".to_string()
                    });
                    words[i] = value;
                }
            }
            check(&words).unwrap_or_else(|e| panic!("{name}: {line}\n{e}"));
            calls += 1;
        }
    }
    // stress.sh: an exchange's two ends, a flood's two, netns-cookie;
    // lib.sh: the rest (bench, discovery, module cycles).
    assert!(calls >= 10, "only {calls} agent calls found");
}
