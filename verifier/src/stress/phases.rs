//! The stress phases as typed steps: what each phase does, round by round,
//! with the plan's counts unrolled here, so the guest script holds no loop
//! over them and every round's names and services are decided on the host.
//! The steps call the helpers of `vm/guest/stress.sh` and `lib.sh`.

use super::plan::{Plan, PHASES};
use crate::scenario::step::Step;
use tipc_agent_protocol::{self as agent, ConnSock, InjectMode, Service, SockMode, StormRole};

/// Seconds a namespace's link may take to come up, or to go down.
const LINK_SECS: u32 = 30;

/// The class of netns cycle `cycle`: each one every fifth cycle.
fn rotating(cycle: u32) -> SockMode {
    const CLASSES: [SockMode; 5] = [
        SockMode::Rdm,
        SockMode::Seqpacket,
        SockMode::Stream,
        SockMode::Mcast,
        SockMode::Group,
    ];
    CLASSES[cycle as usize % CLASSES.len()]
}

/// `step || fail PHASE WHY`.
fn or_fail(step: Step, phase: &'static str, why: impl Into<String>) -> Step {
    Step::OrFail {
        step: Box::new(step),
        phase,
        why: why.into(),
    }
}

/// The steps of `phase`, one of [`PHASES`].
pub fn steps(plan: &Plan, phase: &str) -> Vec<Step> {
    match phase {
        "faults_idle" => [fault_setup("faults_idle"), sweeps("faults_idle", plan)].concat(),
        "netns_cycle" => netns_cycle(plan),
        "bearer_churn" => bearer_churn(plan),
        "conn_storm" => conn_storm(plan),
        "empty_names" => empty_names(plan),
        "forged" => forged(plan),
        "faults_busy" => faults_busy(plan),
        _ => Vec::new(),
    }
}

/// Namespaces created, linked and deleted while a flood runs into them.
/// Each cycle: sb (1.1.2, the same node identity every time) comes up on
/// br0, exchanges one class both ways with sa (RDM, SEQPACKET, STREAM,
/// multicast and group in turn), then is deleted while sa floods it.
fn netns_cycle(plan: &Plan) -> Vec<Step> {
    const P: &str = "netns_cycle";
    let mut v = Vec::new();
    for c in 1..=plan.cycles {
        let tag = format!("c{c}");
        v.push(Step::TipcNs {
            ns: "sb",
            node: Some(2),
            bridge: "br0",
            port: format!("pb{c}"),
        });
        v.push(or_fail(
            Step::WaitLinks {
                ns: "sb",
                count: 1,
                secs: LINK_SECS,
            },
            P,
            format!("cycle {c}: sb's link to sa not up"),
        ));
        v.push(Step::FloodRecv {
            phase: P,
            tag: tag.clone(),
            ns: "sb",
            instance: c,
        });
        v.push(Step::Exchange {
            phase: P,
            tag: tag.clone(),
            a: "sa",
            b: "sb",
            instance: c,
            classes: vec![rotating(c)],
        });
        v.push(Step::Log(format!("cycle {c}: exchanged")));
        // The previous cycle's flood ended meanwhile (sa saw its peer go).
        if c > 1 {
            v.push(Step::FloodEnd {
                phase: P,
                tag: format!("c{}", c - 1),
            });
        }
        v.push(Step::FloodSend {
            phase: P,
            tag,
            ns: "sa",
            instance: c,
        });
        v.push(Step::KillNs("sb"));
        v.push(Step::NsDel("sb"));
        v.push(Step::Log(format!("cycle {c}: sb deleted")));
        v.push(Step::Count {
            phase: P,
            key: "cycles",
            value: c.into(),
        });
        if c % 10 == 0 {
            v.push(Step::Progress(format!("{P} {c}/{}", plan.cycles)));
        }
    }
    if plan.cycles > 0 {
        v.push(Step::FloodEnd {
            phase: P,
            tag: format!("c{}", plan.cycles),
        });
    }
    v
}

/// Bearer disabled and enabled (odd rounds), links reset by carrier loss
/// (even rounds), each while sa floods sc; after each, RDM and SEQPACKET
/// both ways must be intact.
fn bearer_churn(plan: &Plan) -> Vec<Step> {
    const P: &str = "bearer_churn";
    let mut v = vec![
        Step::TipcNs {
            ns: "sc",
            node: Some(3),
            bridge: "br0",
            port: "pc".into(),
        },
        or_fail(
            Step::WaitLinks {
                ns: "sc",
                count: 1,
                secs: LINK_SECS,
            },
            P,
            "sc's link to sa not up",
        ),
    ];
    let links_down = Step::WaitLinksDown {
        ns: "sa",
        secs: LINK_SECS,
    };
    for k in 1..=plan.churn {
        let tag = format!("k{k}");
        let instance = 100_000 + k;
        v.push(Step::FloodRecv {
            phase: P,
            tag: tag.clone(),
            ns: "sc",
            instance,
        });
        v.push(Step::FloodSend {
            phase: P,
            tag: tag.clone(),
            ns: "sa",
            instance,
        });
        if k % 2 == 1 {
            v.push(Step::BearerDisable {
                ns: "sc",
                dev: "tv",
            });
            v.push(or_fail(
                links_down.clone(),
                P,
                format!("round {k}: link still up after bearer disable"),
            ));
            v.push(Step::Bearer {
                ns: "sc",
                dev: "tv",
            });
        } else {
            v.push(Step::LinkSet {
                ns: "sc",
                dev: "tv",
                up: false,
            });
            v.push(or_fail(
                links_down.clone(),
                P,
                format!("round {k}: link still up after carrier loss"),
            ));
            v.push(Step::LinkSet {
                ns: "sc",
                dev: "tv",
                up: true,
            });
        }
        v.push(Step::FloodEnd {
            phase: P,
            tag: tag.clone(),
        });
        v.push(Step::FloodRecvStop {
            phase: P,
            tag: tag.clone(),
        });
        v.push(or_fail(
            Step::WaitLinks {
                ns: "sc",
                count: 1,
                secs: LINK_SECS,
            },
            P,
            format!("round {k}: link not back"),
        ));
        v.push(Step::Exchange {
            phase: P,
            tag,
            a: "sa",
            b: "sc",
            instance,
            classes: vec![SockMode::Rdm, SockMode::Seqpacket],
        });
        v.push(Step::Count {
            phase: P,
            key: "rounds",
            value: k.into(),
        });
        v.push(Step::Progress(format!("{P} {k}/{}", plan.churn)));
    }
    v
}

/// accept/connect in a loop over the crossover, both kinds, both ways:
/// SEQPACKET from sc to sa, STREAM from sa to sc.
fn conn_storm(plan: &Plan) -> Vec<Step> {
    const P: &str = "conn_storm";
    let mut v = vec![Step::MkDir("$RES/storm".into())];
    for (sock, acceptor, connector, ty, size) in [
        (ConnSock::Seqpacket, "sa", "sc", 21_030, 256),
        (ConnSock::Stream, "sc", "sa", 21_031, 4096),
    ] {
        let ready = format!("/tmp/storm-{sock}.ready");
        v.push(Step::Remove(ready.clone()));
        let storm = |role: StormRole| agent::Storm {
            role,
            sock,
            service: Service::instance(ty, 1),
            conns: plan.storm_conns.into(),
            size: Some(size),
            seed: None,
            ready_file: (role == StormRole::Accept).then(|| ready.clone()),
            timeout_s: Some(600),
            out: format!("$RES/storm/storm-{sock}-{role}.json"),
        };
        v.push(Step::Spawn {
            ns: acceptor,
            command: agent::Command::Storm(storm(StormRole::Accept)),
        });
        v.push(or_fail(
            Step::WaitFile {
                path: ready.clone(),
                secs: 30,
            },
            P,
            format!("{sock} acceptor not ready"),
        ));
        v.push(Step::Spawn {
            ns: connector,
            command: agent::Command::Storm(storm(StormRole::Connect)),
        });
    }
    v.push(or_fail(
        Step::SpawnedWait,
        P,
        "a storm agent failed (see its JSON)",
    ));
    v.push(Step::Count {
        phase: P,
        key: "connections",
        value: 2 * u64::from(plan.storm_conns),
    });
    v
}

/// Peers come up while name distribution has nothing to send: e1 and e2
/// on their own bridge, no names published in either. e2 is created again
/// each round: odd rounds with an address (finalized before the link), even
/// rounds with none (TIPC's address trial, finalized while discovery runs);
/// each round its link also goes down and up once.
fn empty_names(plan: &Plan) -> Vec<Step> {
    const P: &str = "empty_names";
    let mut v = vec![
        Step::BridgeAdd("br1"),
        Step::TipcNs {
            ns: "e1",
            node: Some(10),
            bridge: "br1",
            port: "pe".into(),
        },
    ];
    let e2_link = Step::WaitLinks {
        ns: "e2",
        count: 1,
        secs: LINK_SECS,
    };
    for r in 1..=plan.empty_rounds {
        v.push(Step::TipcNs {
            ns: "e2",
            node: (r % 2 == 1).then_some(11),
            bridge: "br1",
            port: format!("pq{r}"),
        });
        v.push(or_fail(
            e2_link.clone(),
            P,
            format!("round {r}: e2's link not up"),
        ));
        for up in [false, true] {
            v.push(Step::LinkSet {
                ns: "e2",
                dev: "tv",
                up,
            });
        }
        v.push(or_fail(
            e2_link.clone(),
            P,
            format!("round {r}: e2's link not back"),
        ));
        v.push(Step::KillNs("e2"));
        v.push(Step::NsDel("e2"));
        v.push(Step::Count {
            phase: P,
            key: "rounds",
            value: r.into(),
        });
    }
    v.push(Step::Progress(format!(
        "{P} {}/{}",
        plan.empty_rounds, plan.empty_rounds
    )));
    v
}

/// Forged discovery frames on br0 (where sa and sc live) at volume, each
/// class of the verifier's issue, while RDM flows sa <-> sc and is
/// checked. They claim the node of `victim` (see [`namespaces`]), learnt
/// from its discovery messages on isor.
fn forged(plan: &Plan) -> Vec<Step> {
    const P: &str = "forged";
    let inject = |mode: InjectMode, out: &str| agent::Inject {
        dev: "br0".into(),
        sniff_dev: None,
        cluster: None,
        distinct: false,
        first: None,
        vary_proof: false,
        mode,
        count: Some(plan.forge_frames.into()),
        interval_us: Some(100),
        timeout_s: None,
        out: format!("$RES/forged/inject-{out}.json"),
    };
    let mut v = vec![
        Step::MkDir("$RES/forged".into()),
        Step::ExchangesStart {
            phase: P,
            tag: "f",
            a: "sa",
            b: "sc",
            base: 200_000,
        },
    ];
    for mode in [
        InjectMode::ForgedProof,
        InjectMode::WrongCluster,
        InjectMode::ReplayOtherId,
        InjectMode::RawHash,
    ] {
        let command = agent::Inject {
            sniff_dev: Some("isor".into()),
            ..inject(mode, &mode.to_string())
        };
        v.push(or_fail(
            Step::Agent(agent::Command::Inject(command)),
            P,
            format!("inject {mode} failed"),
        ));
        v.push(Step::Progress(format!(
            "{P} {mode} {} frames",
            plan.forge_frames
        )));
    }
    // First contacts: every frame a node of its own.
    let distinct = agent::Inject {
        distinct: true,
        first: Some(5000),
        count: Some(plan.forge_distinct.into()),
        ..inject(InjectMode::ForgedProof, "distinct")
    };
    v.push(or_fail(
        Step::Agent(agent::Command::Inject(distinct)),
        P,
        "inject --distinct failed",
    ));
    v.push(Step::ExchangesStop { phase: P });
    v
}

/// Fault injection set up, or the phase ends as failed.
fn fault_setup(phase: &'static str) -> Vec<Step> {
    vec![
        Step::MkDir("$RES/faults".into()),
        Step::Require {
            step: Box::new(Step::FaultSetup),
            phase,
            why: "no fault injection in this kernel (debugfs failslab, fail_page_alloc)".into(),
        },
    ]
}

/// `fault_rounds` sweeps of namespace set-ups, each failing every
/// allocation of `setup_net()` once in turn; pernet pre_exit and exit then
/// run for state whose init never ran (an oops shows on the console).
fn sweeps(phase: &'static str, plan: &Plan) -> Vec<Step> {
    let mut v = Vec::new();
    for r in 1..=plan.fault_rounds {
        let out = format!("$RES/faults/sweep-{phase}-{r}.json");
        v.push(or_fail(
            Step::Agent(agent::Command::NetnsFaults(agent::NetnsFaults {
                max_steps: None,
                out: out.clone(),
            })),
            phase,
            format!("sweep {r} did not cover the set-up (see faults/sweep-{phase}-{r}.json)"),
        ));
        v.push(Step::Progress(format!(
            "{phase} sweep {r}/{}",
            plan.fault_rounds
        )));
    }
    v
}

/// The fault sweeps while sa and sc (linked over br0, crossover open)
/// exchange RDM both ways.
fn faults_busy(plan: &Plan) -> Vec<Step> {
    const P: &str = "faults_busy";
    let mut v = fault_setup(P);
    v.push(Step::ExchangesStart {
        phase: P,
        tag: "b",
        a: "sa",
        b: "sc",
        base: 300_000,
    });
    v.extend(sweeps(P, plan));
    v.push(Step::ExchangesStop { phase: P });
    v
}

/// The namespaces every phase after the first works with. The victim whose
/// node the forged frames claim: a TIPC namespace of this kernel whose
/// bearer leads only to the root namespace, made first and kept to the end,
/// so no other namespace can have its cookie. Then sa on br0.
pub fn namespaces() -> Vec<Step> {
    vec![
        Step::NsAdd("victim"),
        Step::VethToRoot {
            ns: "victim",
            dev: "iso",
            peer: "isor",
        },
        Step::RecordNs {
            ns: "victim",
            node: None,
        },
        Step::Bearer {
            ns: "victim",
            dev: "iso",
        },
        Step::BridgeAdd("br0"),
        Step::TipcNs {
            ns: "sa",
            node: Some(1),
            bridge: "br0",
            port: "pa".into(),
        },
    ]
}

/// The driver: each phase under its watchdog, `faults_idle` with no TIPC
/// namespace at all, every later one with [`namespaces`], then the
/// crossover records kept.
pub fn driver(plan: &Plan) -> Vec<Step> {
    let mut v = vec![Step::StressBegin];
    let mut made = false;
    for phase in PHASES {
        if phase != "faults_idle" && !made {
            v.extend(namespaces());
            made = true;
        }
        v.push(Step::RunPhase {
            phase,
            secs: plan.watchdog(phase).as_secs(),
        });
    }
    v.push(Step::StressEnd);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::step::render_all;

    #[test]
    fn every_phase_has_steps_and_the_driver_runs_each_once() {
        let plan = Plan::short();
        for phase in PHASES {
            assert!(!steps(&plan, phase).is_empty(), "{phase}");
        }
        let main = driver(&plan);
        let run: Vec<&str> = main
            .iter()
            .filter_map(|s| match s {
                Step::RunPhase { phase, .. } => Some(*phase),
                _ => None,
            })
            .collect();
        assert_eq!(run, PHASES);
        // The namespaces come after the first phase, which has none.
        let victim = main.iter().position(|s| *s == Step::NsAdd("victim"));
        assert_eq!(victim, Some(2));
    }

    #[test]
    fn each_cycle_ends_the_flood_before_and_every_class_comes_in_turn() {
        let plan = Plan::long(10);
        let cycle = netns_cycle(&plan);
        let mut open: Option<String> = None;
        let mut classes = Vec::new();
        for step in &cycle {
            match step {
                Step::FloodSend { tag, .. } => {
                    assert!(open.is_none(), "{tag} starts before {open:?} ended");
                    open = Some(tag.clone());
                }
                Step::FloodEnd { tag, .. } => {
                    assert_eq!(open.take().as_ref(), Some(tag));
                }
                Step::Exchange { classes: c, .. } => classes.extend(c.iter().copied()),
                _ => {}
            }
        }
        assert_eq!(open, None, "the last flood is waited for");
        assert_eq!(classes.len(), 10);
        for class in [
            SockMode::Rdm,
            SockMode::Seqpacket,
            SockMode::Stream,
            SockMode::Mcast,
            SockMode::Group,
        ] {
            assert_eq!(classes.iter().filter(|c| **c == class).count(), 2);
        }
    }

    #[test]
    fn churn_alternates_a_disabled_bearer_and_a_lost_carrier() {
        let plan = Plan::long(1);
        let churn = bearer_churn(&plan);
        let disables = churn
            .iter()
            .filter(|s| matches!(s, Step::BearerDisable { .. }))
            .count();
        let carrier = churn
            .iter()
            .filter(|s| matches!(s, Step::LinkSet { up: false, .. }))
            .count();
        assert_eq!((disables, carrier), (10, 10));
    }

    #[test]
    fn a_fault_phase_without_fault_injection_ends_before_its_traffic() {
        let busy = faults_busy(&Plan::short());
        let at = |what: fn(&Step) -> bool| busy.iter().position(what).expect("in the phase");
        let setup = at(|s| matches!(s, Step::Require { .. }));
        let traffic = at(|s| matches!(s, Step::ExchangesStart { .. }));
        assert!(setup < traffic, "{busy:?}");
        let rendered = render_all(&busy);
        assert!(rendered.contains("fault_setup || { fail faults_busy "));
        assert!(rendered.contains("; return 1; }"));
    }
}
