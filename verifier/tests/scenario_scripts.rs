//! The guest scripts each topology produces, and the per-kernel paths of
//! the catalogue.

use tipc_verifier::kbuild::Flavour;
use tipc_verifier::scenario::{self, MsgPath};

fn script(scn: &scenario::Scenario, role: Option<&str>) -> String {
    scn.guest_scripts()
        .into_iter()
        .find(|(r, _)| *r == role)
        .map(|(_, s)| s)
        .expect("a script for the role")
}

/// The lines after the shell library (the scenario's own steps).
fn steps(script: &str) -> Vec<&str> {
    let start = script
        .find("\nrc=0\n")
        .expect("the steps start after the library");
    script[start..].lines().collect()
}

#[test]
fn bridge_four_joins_four_namespaces_and_runs_every_pair() {
    let scn = scenario::bridge_four();
    let s = script(&scn, None);
    let steps = steps(&s);
    assert_eq!(
        steps
            .iter()
            .filter(|l| l.starts_with("bridge_port "))
            .count(),
        4
    );
    assert_eq!(steps.iter().filter(|l| l.starts_with("bearer ")).count(), 4);
    assert!(steps.contains(&"wait_links ns4 3 60 || rc=1"));
    assert_eq!(
        steps
            .iter()
            .filter(|l| l.starts_with("log \"case "))
            .count(),
        12
    );
    assert!(s.contains("$IP netns exec ns3 tipc-agent send --sock rdm --service 19009:1"));
    assert!(s.contains("$IP netns exec ns4 tipc-agent recv --sock rdm --service 19009:1"));
}

#[test]
fn mixed_splits_cases_between_the_guests() {
    let scn = scenario::mixed();
    let a = script(&scn, Some("a"));
    let b = script(&scn, Some("b"));
    // Guest a: a local pair, its own senders to ns3, a receiver for ns3's sender.
    assert!(a.contains("$IP link set eth0 master br0 up"));
    assert!(a.contains("$IP netns exec ns1 tipc-agent recv --sock rdm --service 19105:1"));
    assert!(a.contains("$IP netns exec ns1 tipc-agent send --sock rdm --service 19103:1"));
    assert!(!a.contains("ns3 tipc-agent"));
    // Guest b: only ns3, receivers started before its sender.
    let recv = b
        .find("ns3 tipc-agent recv --sock rdm --service 19103:1")
        .unwrap();
    let send = b
        .find("ns3 tipc-agent send --sock rdm --service 19105:1")
        .unwrap();
    assert!(recv < send);
    assert!(b.contains("$IP link set eth0 netns ns3"));
    assert!(!b.contains("ns1 tipc-agent"));
    assert!(b.contains("wait_links ns3 2 60 || rc=1"));
}

#[test]
fn the_switch_is_set_before_the_bearers() {
    let s = script(&scenario::crossover_off(), None);
    let switch = s.find("/proc/sys/net/tipc/crossover").unwrap();
    let bearer = s.find("\nbearer ns1 veth1").unwrap();
    assert!(switch < bearer);
}

#[test]
fn every_script_records_the_tracepoint_and_the_namespace_cookies() {
    // The kselftest and kunit scenarios run the series' tests alone: what
    // they prove comes from the tests' KTAP.
    for scn in scenario::catalogue().into_iter().filter(|s| {
        !matches!(
            s.topology,
            scenario::Topology::Kselftest | scenario::Topology::Kunit
        )
    }) {
        for (role, s) in scn.guest_scripts() {
            assert!(
                s.contains("crossover_trace_start\n"),
                "{} {role:?}",
                scn.name
            );
            // The namespaces go last, and with them every crossover.
            let close = s
                .find("crossover_trace_close $RES/crossover-trace")
                .unwrap_or_else(|| panic!("{}: no crossover_trace_close", scn.name));
            assert!(
                s[close..]
                    .lines()
                    .skip(1)
                    .all(|l| l.starts_with("log ") || l.starts_with("exit ") || l == "trap - EXIT"),
                "{}: steps after crossover_trace_close",
                scn.name
            );
            assert!(s.contains("netns_cookies > $RES/netns"), "{}", scn.name);
            assert!(s.contains("netns_cookies >> $RES/netns"), "{}", scn.name);
        }
    }
}

#[test]
fn group_unicast_changes_path_with_the_series_and_says_why() {
    let scn = scenario::veth_classes();
    let unicast = scn.cases.iter().find(|c| c.id == "group_unicast").unwrap();
    assert_eq!(unicast.expect_on(Flavour::Stock).0, MsgPath::Bearer);
    let (path, why) = unicast.expect_on(Flavour::Patched);
    assert_eq!(path, MsgPath::Crossover);
    assert!(why.contains("patch 7"), "{why}");
    let rdm = scn.cases.iter().find(|c| c.id == "rdm_1byte").unwrap();
    assert_eq!(
        rdm.expect_on(Flavour::Stock),
        rdm.expect_on(Flavour::Patched)
    );
}

#[test]
fn scenarios_that_need_the_series_run_on_the_patched_kernel_only() {
    assert_eq!(scenario::crossover_off().kernels, &[Flavour::Patched]);
    for scn in scenario::catalogue() {
        // kunit and module_cycle need a kernel of their own: the debug
        // kernel (built with the suite) and the modules kernel.
        match scn.name {
            "kunit" => assert_eq!(scn.kernels, &[Flavour::Debug]),
            "module_cycle" => assert_eq!(scn.kernels, &[Flavour::Modules]),
            _ => assert!(scn.kernels.contains(&Flavour::Patched), "{}", scn.name),
        }
    }
}

#[test]
fn the_impostor_takes_ns3s_address_after_the_first_exchange() {
    let scn = scenario::impersonation();
    let a = script(&scn, Some("a"));
    let b = script(&scn, Some("b"));
    // ns3 (guest b) has a configured address, hence an identity derived
    // from it; ns4 (guest a) takes the same address later, so both.
    let set = "$TIPC node set address 1.1.3";
    let b_addr = b.find(&format!("$IP netns exec ns3 {set}")).unwrap();
    assert!(b_addr < b.find("\nbearer ns3 eth0").unwrap());
    let b_steps = &b[b.find("\nrc=0\n").expect("the steps after the library")..];
    assert!(
        !b_steps.contains("tipc-agent send"),
        "guest b only receives"
    );
    let impostor = a.find(&format!("$IP netns exec ns4 {set}")).unwrap();
    let first = a
        .find("ns1 tipc-agent send --sock rdm --service 19501:1")
        .unwrap();
    let second = a
        .find("ns1 tipc-agent send --sock rdm --service 19502:1")
        .unwrap();
    assert!(first < impostor && impostor < second);
    assert!(a.contains("wait_addr ns4 60 || rc=1"));
    let capture = a.find("capture_start ns4-lo ns4 lo").unwrap();
    assert!(capture < a.find("bearer ns4 veth4").unwrap());
}

#[test]
fn scenarios_running_the_function_profiler_keep_their_vcpus_in_one_thread() {
    let patching: Vec<&str> = scenario::catalogue()
        .into_iter()
        .filter(|s| s.patches_kernel_text())
        .map(|s| s.name)
        .collect();
    assert_eq!(
        patching,
        ["forged_discovery", "discovery_scale", "claimants"]
    );
}

#[test]
fn the_kselftest_script_runs_the_installed_runner_and_keeps_its_ktap() {
    let scn = scenario::kselftest();
    let scripts = scn.guest_scripts();
    assert_eq!(scripts.len(), 1);
    let s = &scripts[0].1;
    assert!(s.contains("cd /share/kselftest || exit 1\n"), "{s}");
    assert!(
        s.contains("bash ./run_kselftest.sh -t net/tipc:tipc_crossover.sh >> /share/results/kselftest.ktap 2>&1"),
        "{s}"
    );
    assert!(s.ends_with("exit 0\n"), "the verdict is the KTAP's: {s}");
}

#[test]
fn a_paused_case_is_a_local_connection_paused_halfway_with_a_bounded_step() {
    let mut paused = 0;
    for scn in scenario::catalogue() {
        for case in scn.cases.iter().filter(|c| c.pause.is_some()) {
            let p = case.pause.as_ref().expect("filtered");
            paused += 1;
            assert!(case.ordered(), "{}: only a connection can pause", case.id);
            assert!(case.interrupt.is_none(), "{}: pause and interrupt", case.id);
            assert!(
                p.after > 0 && p.after < case.count,
                "{}: pauses after {} of {}",
                case.id,
                p.after,
                case.count
            );
            // The resume file is written by the guest that runs the step:
            // sender and receiver must share it.
            let same_guest = scn.topology.roles().into_iter().any(|role| {
                let here = scn.topology.namespaces(role);
                here.contains(&case.from_ns) && here.contains(&case.to_ns)
            });
            assert!(same_guest, "{}: a paused case spans two guests", case.id);
            // Every wait in the step, added up, is within what the agents
            // are given.
            let bound: u32 = p
                .step
                .iter()
                .map(|step| match step.base() {
                    scenario::Step::WaitCrossoverEvents { secs, .. }
                    | scenario::Step::WaitLinks { secs, .. }
                    | scenario::Step::WaitLinksDown { secs, .. }
                    | scenario::Step::WaitLinkGone { secs, .. }
                    | scenario::Step::WaitAddr { secs, .. } => *secs,
                    scenario::Step::Sleep { ms } => ms.div_ceil(1000),
                    _ => 0,
                })
                .sum();
            assert!(bound <= scenario::PAUSE_STEP_MAX, "{}: {bound} s", case.id);
        }
    }
    assert!(paused >= 2, "crossover_toggle pauses two connections");
}

#[test]
fn a_paused_case_renders_the_pause_and_its_step_before_the_resume() {
    let scn = scenario::crossover_toggle();
    let s = script(&scn, None);
    let case = scn
        .cases
        .iter()
        .find(|c| c.id == "conn_ns1_off")
        .expect("the first paused case");
    let step = scenario::step::render_all(&case.pause.as_ref().expect("paused").step);
    let at = |needle: &str| {
        s.find(needle)
            .unwrap_or_else(|| panic!("the script lacks {needle:?}"))
    };
    let paused = at("if wait_paused /tmp/conn_ns1_off.paused $spid ");
    let runs = at(&step);
    let resume = at("touch /tmp/conn_ns1_off.resume");
    assert!(paused < runs && runs < resume);
    assert!(s.contains("--pause-after 10 --paused-file /tmp/conn_ns1_off.paused"));
}

#[test]
fn a_paused_case_counts_each_half_on_its_own_path() {
    let scn = scenario::crossover_toggle();
    let case = |id: &str| {
        scn.cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("case {id}"))
            .clone()
    };
    let off = case("conn_ns1_off");
    assert_eq!(
        scenario::messages_per_path(&off, MsgPath::Crossover),
        (10, 10)
    );
    let on = case("conn_both_on");
    assert_eq!(scenario::messages_per_path(&on, MsgPath::Bearer), (10, 10));
    let plain = case("ns2_off");
    assert_eq!(
        scenario::messages_per_path(&plain, MsgPath::Bearer),
        (0, 30)
    );
    assert_eq!(
        scenario::messages_per_path(&plain, MsgPath::Crossover),
        (30, 0)
    );
    // A pause at or past the end leaves every message on the first path.
    let mut late = off.clone();
    late.pause.as_mut().expect("paused").after = 25;
    assert_eq!(
        scenario::messages_per_path(&late, MsgPath::Crossover),
        (20, 0)
    );
}
