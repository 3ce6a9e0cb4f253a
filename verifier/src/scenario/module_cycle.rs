//! The modules kernel's load and unload cycles (`module_cycles` in
//! `vm/guest/lib.sh`): TIPC removed and loaded again, each time with two
//! namespaces that exchange messages and are deleted. Every step must
//! succeed and every message arrive whole; the console must stay clean
//! (judged with every run's console, like any scenario).

use super::judge::Check;
use std::path::Path;
use tipc_agent_protocol::results::Exchange;

/// The scenario's name.
pub const NAME: &str = "module_cycle";
/// How many cycles the guest runs.
pub const CYCLES: u32 = 50;
/// Messages per cycle (`module_cycles`' agents).
pub const MESSAGES: u64 = 20;
/// Frames of mc1's veth per cycle from which the messages count as sent
/// over the bearer: half of them.
pub const CROSSOVER_TX_LIMIT: u64 = MESSAGES / 2;
/// The guest's record, one line per cycle.
pub const RECORD: &str = "results/module_cycle.txt";

/// One cycle as the guest recorded it: the exit status of each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub number: u32,
    pub rmmod: i32,
    /// How often rmmod met EAGAIN before it went through (or gave up).
    pub refused: u32,
    pub modprobe: i32,
    pub links: i32,
    pub send: i32,
    pub recv: i32,
    /// Frames mc1's veth sent while the messages went out.
    pub veth_tx: u64,
}

/// Reads `cycle N rmmod R refused F modprobe M links L send S recv V
/// veth_tx T` lines and the final `final rmmod R refused F`.
pub fn parse(text: &str) -> (Vec<Cycle>, Option<(i32, u32)>) {
    let mut cycles = Vec::new();
    let mut last = None;
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["cycle", n, "rmmod", r, "refused", f, "modprobe", m, "links", l, "send", s, "recv", v, "veth_tx", t] =>
            {
                let num = |x: &str| x.parse::<i32>().ok();
                if let (
                    Ok(number),
                    Some(rmmod),
                    Ok(refused),
                    Some(modprobe),
                    Some(links),
                    Some(send),
                    Some(recv),
                    Ok(veth_tx),
                ) = (
                    n.parse(),
                    num(r),
                    f.parse(),
                    num(m),
                    num(l),
                    num(s),
                    num(v),
                    t.parse(),
                ) {
                    cycles.push(Cycle {
                        number,
                        rmmod,
                        refused,
                        modprobe,
                        links,
                        send,
                        recv,
                        veth_tx,
                    });
                }
            }
            ["final", "rmmod", r, "refused", f] => {
                if let (Ok(r), Ok(f)) = (r.parse(), f.parse()) {
                    last = Some((r, f));
                }
            }
            _ => {}
        }
    }
    (cycles, last)
}

fn read_exchange(path: &Path) -> Result<Exchange, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The checks: every cycle recorded, each step of each cycle 0, every
/// message of each cycle received intact, the final unload 0.
pub fn judge(share: &Path) -> Vec<Check> {
    let path = share.join(RECORD);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            return vec![Check::new(
                "module_cycle_record",
                false,
                format!("{}: {e}", path.display()),
            )]
        }
    };
    let (cycles, last) = parse(&text);
    let mut checks = vec![Check::new(
        "module_cycles_complete",
        cycles.len() == CYCLES as usize && cycles.iter().zip(1..).all(|(c, n)| c.number == n),
        format!("{} of {CYCLES} cycles recorded", cycles.len()),
    )];
    let failed_steps: Vec<String> = cycles
        .iter()
        .flat_map(|c| {
            [
                ("rmmod", c.rmmod),
                ("modprobe", c.modprobe),
                ("links", c.links),
                ("send", c.send),
                ("recv", c.recv),
            ]
            .into_iter()
            .filter(|(_, rc)| *rc != 0)
            .map(move |(step, rc)| format!("cycle {} {step} exited {rc}", c.number))
        })
        .collect();
    checks.push(Check::new(
        "module_cycle_steps",
        !cycles.is_empty() && failed_steps.is_empty(),
        if failed_steps.is_empty() {
            let refused: u32 = cycles.iter().map(|c| c.refused).sum();
            let cycles_refused = cycles.iter().filter(|c| c.refused > 0).count();
            format!(
                "{} x (rmmod tipc, modprobe tipc, link up, send, receive): all exited 0; rmmod met \
                 EAGAIN {refused} time(s) in {cycles_refused} cycle(s) before it went through",
                cycles.len()
            )
        } else {
            failed_steps.join("; ")
        },
    ));
    let mut delivered = 0u64;
    let mut problems = Vec::new();
    for c in &cycles {
        let res = share.join("results");
        let sent = read_exchange(&res.join(format!("cycle-{}.send.json", c.number)));
        let got = read_exchange(&res.join(format!("cycle-{}.recv.json", c.number)));
        match (sent, got) {
            (Ok(s), Ok(r)) => {
                if r.messages == MESSAGES && s.messages == MESSAGES && r.digest_set == s.digest_set
                {
                    delivered += r.messages;
                } else {
                    problems.push(format!(
                        "cycle {}: sent {}, received {}{}",
                        c.number,
                        s.messages,
                        r.messages,
                        if r.digest_set == s.digest_set {
                            ""
                        } else {
                            ", contents differ"
                        }
                    ));
                }
            }
            (Err(e), _) | (_, Err(e)) => problems.push(e),
        }
    }
    // Each message over the bearer is at least one frame; a crossover
    // leaves the veth to link supervision (a frame or two).
    let bearer: Vec<String> = cycles
        .iter()
        .filter(|c| c.veth_tx >= CROSSOVER_TX_LIMIT)
        .map(|c| format!("cycle {}: {} frames", c.number, c.veth_tx))
        .collect();
    checks.push(Check::new(
        "module_cycle_crossed_over",
        !cycles.is_empty() && bearer.is_empty(),
        if bearer.is_empty() {
            format!(
                "the veth sent {} to {} frames per cycle for {MESSAGES} messages (limit {})",
                cycles.iter().map(|c| c.veth_tx).min().unwrap_or(0),
                cycles.iter().map(|c| c.veth_tx).max().unwrap_or(0),
                CROSSOVER_TX_LIMIT - 1
            )
        } else {
            format!("over the bearer: {}", bearer.join("; "))
        },
    ));
    let want = MESSAGES * u64::from(CYCLES);
    checks.push(Check::new(
        "module_cycle_messages_intact",
        delivered == want && problems.is_empty(),
        if problems.is_empty() {
            format!("{delivered} of {want} messages received intact")
        } else {
            format!("{delivered} of {want} intact; {}", problems.join("; "))
        },
    ));
    checks.push(Check::new(
        "module_unloaded_at_the_end",
        last.is_some_and(|(rc, _)| rc == 0),
        match last {
            Some((rc, refused)) => {
                format!("final rmmod tipc exited {rc} (EAGAIN {refused} time(s) first)")
            }
            None => "no final rmmod recorded".to_string(),
        },
    ));
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_and_the_final_unload_are_read() {
        let (c, last) = parse(
            "cycle 1 rmmod 0 refused 0 modprobe 0 links 0 send 0 recv 0 veth_tx 2\n\
             cycle 2 rmmod 1 refused 3 modprobe 0 links 0 send 0 recv 0 veth_tx 1\n\
             garbage\nfinal rmmod 0 refused 1\n",
        );
        assert_eq!(c.len(), 2);
        assert_eq!((c[1].rmmod, c[1].refused), (1, 3));
        assert_eq!(last, Some((0, 1)));
    }

    fn exchange(messages: u64, digest: &str) -> String {
        format!(
            r#"{{"role":"recv","sock":"rdm","service":null,"peer":null,"count":20,"size":1000,
            "messages":{messages},"bytes":0,"digest_ordered":"x","digest_set":"{digest}",
            "first_error":null,"retries":0,"elapsed_ms":1,"ok":true,"rejected":0,"acks":0,
            "member_events":0,"timeout_s":30}}"#
        )
    }

    #[test]
    fn a_failed_step_or_a_lost_message_fails() {
        let share = tempfile::tempdir().unwrap();
        let res = share.path().join("results");
        std::fs::create_dir_all(&res).unwrap();
        let mut record = String::new();
        for n in 1..=CYCLES {
            let rm = if n == 7 { 1 } else { 0 };
            let tx = if n == 11 { 21 } else { 2 };
            record += &format!(
                "cycle {n} rmmod {rm} refused 0 modprobe 0 links 0 send 0 recv 0 veth_tx {tx}\n"
            );
            let got = if n == 9 { 19 } else { 20 };
            std::fs::write(res.join(format!("cycle-{n}.send.json")), exchange(20, "d")).unwrap();
            std::fs::write(res.join(format!("cycle-{n}.recv.json")), exchange(got, "d")).unwrap();
        }
        record += "final rmmod 0 refused 0\n";
        std::fs::write(share.path().join(RECORD), &record).unwrap();
        let checks = judge(share.path());
        let failing: Vec<&str> = checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            failing,
            [
                "module_cycle_steps",
                "module_cycle_crossed_over",
                "module_cycle_messages_intact"
            ],
            "{checks:?}"
        );
        assert!(checks[1].detail.contains("cycle 7 rmmod exited 1"));
        assert!(checks[2].detail.contains("cycle 11: 21 frames"));
        assert!(checks[3].detail.contains("cycle 9: sent 20, received 19"));

        let clean = record
            .replace("rmmod 1", "rmmod 0")
            .replace("veth_tx 21", "veth_tx 2");
        std::fs::write(share.path().join(RECORD), clean).unwrap();
        std::fs::write(res.join("cycle-9.recv.json"), exchange(20, "d")).unwrap();
        assert!(judge(share.path()).iter().all(|c| c.ok));
        std::fs::write(share.path().join(RECORD), "final rmmod 0 refused 0\n").unwrap();
        assert!(!judge(share.path())[0].ok);
    }
}
