//! Splat detection on consoles captured from our own QEMU guests.

use tipc_verifier::console::*;

const CLEAN: &str = include_str!("data/consoles/clean-stock-veth_rdm.log");
const PANIC: &str = include_str!("data/consoles/panic-no-init.log");

#[test]
fn a_clean_scenario_console_has_no_splat_and_its_markers_are_read() {
    assert!(find_splats(CLEAN).is_empty(), "{:?}", find_splats(CLEAN));
    assert_eq!(end_status(CLEAN), Some(0));
    let boot = boot_seconds(CLEAN).expect("init marker");
    assert!(boot > 0.0 && boot < 6.0, "boot to /init took {boot}s");
}

#[test]
fn a_real_panic_without_init_is_found_with_its_trace() {
    let splats = find_splats(PANIC);
    assert!(!splats.is_empty());
    let first = &splats[0];
    assert_eq!(first.kind, "panic");
    assert!(
        first.excerpt.contains("No working init found"),
        "{}",
        first.excerpt
    );
    assert!(
        first.excerpt.contains("Call Trace:"),
        "the excerpt keeps the trace"
    );
    assert_eq!(end_status(PANIC), None, "the guest never reached its end");
}

/// Splat texts as the kernel prints them, inserted into the real clean console.
fn with_inserted(lines: &str) -> String {
    let at = CLEAN.find("TIPC-VERIFIER: END").expect("end marker");
    format!("{}{lines}\n{}", &CLEAN[..at], &CLEAN[at..])
}

#[test]
fn each_kind_of_splat_fails_a_run() {
    let cases = [
        ("------------[ cut here ]------------\nWARNING: CPU: 0 PID: 1 at net/tipc/node.c:1700 tipc_node_xmit+0x1/0x2", "WARNING"),
        ("BUG: KASAN: slab-use-after-free in tipc_disc_rcv+0x61/0x9a0", "KASAN"),
        ("BUG: kernel NULL pointer dereference, address: 0000000000000000", "BUG"),
        ("Oops: 0000 [#1] PREEMPT", "Oops"),
        ("WARNING: possible recursive locking detected", "lockdep"),
        ("WARNING: possible circular locking dependency detected", "lockdep"),
        ("WARNING: inconsistent lock state", "lockdep"),
        ("WARNING: bad unlock balance detected!", "lockdep"),
        ("WARNING: suspicious RCU usage", "RCU"),
        ("BUG: sleeping function called from invalid context at mm/slub.c:4187", "sleep in atomic"),
        ("watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [tipc-agent:112]", "lockup"),
        ("Kernel panic - not syncing: kasan.fault=panic set ...", "panic"),
        ("list_del corruption. prev->next should be ffff888004a1e000, but was dead000000000100", "list corruption"),
        ("=============================\nsuspicious RCU usage.", "RCU"),
        ("rcu: INFO: rcu_sched self-detected stall on CPU", "RCU stall"),
        ("UBSAN: shift-out-of-bounds in net/tipc/msg.h:123:9", "UBSAN"),
        ("refcount_t: underflow; use-after-free.", "refcount"),
        ("general protection fault, probably for non-canonical address 0xdffffc0000000000", "GPF"),
    ];
    for (text, kind) in cases {
        let console = with_inserted(text);
        let splats = find_splats(&console);
        assert_eq!(splats.len(), 1, "{text:?} -> {splats:?}");
        assert_eq!(splats[0].kind, kind, "{text:?}");
        assert!(splats[0].excerpt.contains(text.lines().last().unwrap()));
        assert_eq!(
            end_status(&console),
            Some(0),
            "a splat fails a run even when the script ended well"
        );
    }
}

#[test]
fn one_report_is_one_splat() {
    let report = "BUG: KASAN: slab-out-of-bounds in foo+0x1/0x2\nRead of size 4\nCall Trace:\n dump_stack\n kasan_report\n\
                  ==================================================================\nKernel panic - not syncing: kasan.fault=panic set ...";
    let splats = find_splats(&with_inserted(report));
    assert_eq!(splats.len(), 1, "{splats:?}");
}

#[test]
fn a_failed_script_status_is_read() {
    let console = CLEAN.replace("END rc=0", "END rc=3");
    assert_eq!(end_status(&console), Some(3));
    assert!(find_splats(&console).is_empty());
}

/// A KCSAN report as the kernel prints it, time stamps included.
fn kcsan_report(t: u32, title: &str, write_fn: &str, read_fn: &str) -> String {
    [
        "==================================================================".to_string(),
        format!("BUG: KCSAN: data-race in {title}"),
        String::new(),
        "write to 0xffff88800530a2a8 of 8 bytes by task 211 on cpu 1:".into(),
        format!(" {write_fn}+0x4c/0x90"),
        " process_one_work+0x1b4/0x3c0".into(),
        String::new(),
        "read to 0xffff88800530a2a8 of 8 bytes by task 214 on cpu 0:".into(),
        format!(" {read_fn}+0x61/0x210"),
        " __sys_sendto+0x1d2/0x220".into(),
        String::new(),
        "value changed: 0x0000000000000000 -> 0xffff888004f1c000".into(),
        String::new(),
        "Reported by Kernel Concurrency Sanitizer on:".into(),
        "CPU: 0 UID: 0 PID: 214 Comm: tipc-agent Not tainted 7.3.4 #1 PREEMPT(voluntary)".into(),
        "==================================================================".into(),
    ]
    .iter()
    .map(|l| format!("[{t:5}.123456] {l}"))
    .collect::<Vec<_>>()
    .join("\n")
}

#[test]
fn a_kcsan_race_fails_a_run_only_when_it_names_tipc() {
    // Two reports back to back: a core-kernel race first, then one in TIPC.
    // Each is judged on its own lines, so the first cannot hide the second.
    let elsewhere = kcsan_report(
        41,
        "mod_timer / run_timer_softirq",
        "mod_timer",
        "run_timer_softirq",
    );
    let ours = kcsan_report(
        42,
        "tipc_node_assign_peer_net / tipc_node_get_mtu",
        "tipc_node_assign_peer_net",
        "tipc_node_get_mtu",
    );
    let splats = find_splats(&with_inserted(&format!("{elsewhere}\n{ours}")));
    assert_eq!(splats.len(), 2, "{splats:?}");
    assert!(splats.iter().all(|s| s.kind == "KCSAN"));
    assert!(
        !splats[0].fails_run,
        "a race outside net/tipc is counted, not failed"
    );
    assert!(splats[1].fails_run, "a race in net/tipc fails the run");
    assert!(splats[1].excerpt.contains("tipc_node_get_mtu"));
    assert!(
        !splats[0].excerpt.contains("tipc_node"),
        "{}",
        splats[0].excerpt
    );
    // Only the core-kernel one: nothing fails.
    let alone = find_splats(&with_inserted(&elsewhere));
    assert_eq!(alone.len(), 1);
    assert!(alone.iter().all(|s| !s.fails_run));
}

#[test]
fn a_kcsan_race_is_tipc_by_its_stack_frames_too_and_hides_nothing() {
    // TIPC only in a stack frame (a double-underscore one), not the title.
    let frames = kcsan_report(
        43,
        "skb_queue_tail / skb_dequeue",
        "__tipc_sendmsg",
        "skb_dequeue",
    );
    let splats = find_splats(&with_inserted(&frames));
    assert_eq!(splats.len(), 1);
    assert!(splats[0].fails_run, "{}", splats[0].excerpt);

    // Another CPU's WARNING printed in the middle of a report outside TIPC
    // is a splat of its own, and it fails the run.
    let elsewhere = kcsan_report(
        44,
        "mod_timer / run_timer_softirq",
        "mod_timer",
        "run_timer_softirq",
    );
    let mut lines: Vec<&str> = elsewhere.lines().collect();
    lines.insert(
        6,
        "[   44.200000] WARNING: CPU: 1 PID: 90 at kernel/time/timer.c:1641 __mod_timer+0x1/0x2",
    );
    let splats = find_splats(&with_inserted(&lines.join("\n")));
    let kinds: Vec<(&str, bool)> = splats.iter().map(|s| (s.kind, s.fails_run)).collect();
    assert_eq!(
        kinds,
        vec![("KCSAN", false), ("WARNING", true)],
        "{splats:?}"
    );
}

#[test]
fn the_logs_copy_of_the_end_marker_counts_when_the_consoles_is_cut() {
    // As a 6.12 guest printed it: a kernel message in the middle of the
    // echoed marker, then the intact copy /init wrote to /dev/kmsg.
    let console = "tipc: Left network mode\n\
                   TIPC-VERIFIER: Ebr0: port 1(brp1) entered disabled state\n\
                   ND rc=0 uptime=25.26s\n\
                   [   25.261000] TIPC-VERIFIER: END rc=0 uptime=25.26s\n\
                   reboot: Restarting system\n";
    assert_eq!(end_status(console), Some(0));
    let cut_only = console.replace("[   25.261000] TIPC-VERIFIER: END rc=0 uptime=25.26s\n", "");
    assert_eq!(end_status(&cut_only), None, "a cut marker is not an end");
}
