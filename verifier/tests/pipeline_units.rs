use tipc_verifier::guest_image::parse_ldd;
use tipc_verifier::kbuild::missing_options;
use tipc_verifier::scenario::{self, parse_tcpdump_stats, TcpdumpStats};

#[test]
fn config_check_finds_options_that_did_not_survive() {
    let frag = "# comment\nCONFIG_TIPC=y\nCONFIG_RUST=y\n# CONFIG_MODVERSIONS is not set\n# CONFIG_KASAN is not set\n".to_string();
    let config = "CONFIG_TIPC=y\n# CONFIG_RUST is not set\nCONFIG_KASAN=y\n";
    assert_eq!(
        missing_options(std::slice::from_ref(&frag), config),
        vec!["CONFIG_RUST=y", "# CONFIG_KASAN is not set"]
    );
    // An option absent because its dependency is off is fine when it was meant unset.
    let config = "CONFIG_TIPC=y\nCONFIG_RUST=y\n";
    assert!(missing_options(&[frag], config).is_empty());
    // CONFIG_FOO=y must not be satisfied by CONFIG_FOOBAR=y.
    assert_eq!(
        missing_options(&["CONFIG_FOO=y".into()], "CONFIG_FOOBAR=y\n"),
        vec!["CONFIG_FOO=y"]
    );
    // A later fragment overrides an earlier one, as merge_config.sh does
    // (patched-c.config unsets what patched.config sets).
    let frags = [
        "CONFIG_TIPC_CROSSOVER_RUST=y\nCONFIG_TIPC=y\n".to_string(),
        "# CONFIG_TIPC_CROSSOVER_RUST is not set\n".to_string(),
    ];
    let off = "CONFIG_TIPC=y\n# CONFIG_TIPC_CROSSOVER_RUST is not set\n";
    assert!(missing_options(&frags, off).is_empty());
    let on = "CONFIG_TIPC=y\nCONFIG_TIPC_CROSSOVER_RUST=y\n";
    assert_eq!(
        missing_options(&frags, on),
        vec!["# CONFIG_TIPC_CROSSOVER_RUST is not set"]
    );
    let frags = [
        frags[1].clone(),
        "CONFIG_TIPC_CROSSOVER_RUST=y\n".to_string(),
    ];
    assert!(missing_options(&frags, on).is_empty());
    assert_eq!(
        missing_options(&frags, off),
        vec!["CONFIG_TIPC_CROSSOVER_RUST=y"]
    );
}

#[test]
fn ldd_output_gives_library_paths() {
    let out = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibpcap.so.0.8 => /lib/x86_64-linux-gnu/libpcap.so.0.8 (0x00007f)\n\
               \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
    let libs = parse_ldd(out);
    let libs: Vec<&str> = libs.iter().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(
        libs,
        vec![
            "/lib/x86_64-linux-gnu/libpcap.so.0.8",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib64/ld-linux-x86-64.so.2"
        ]
    );
    assert!(parse_ldd("\tnot a dynamic executable\n").is_empty());
}

#[test]
fn tcpdump_statistics_tell_whether_the_file_is_complete() {
    let stderr = "tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n\
                  412 packets captured\n412 packets received by filter\n3 packets dropped by kernel\n";
    let s = parse_tcpdump_stats(stderr).unwrap();
    assert_eq!(
        s,
        TcpdumpStats {
            captured: 412,
            received_by_filter: 412,
            dropped_by_kernel: 3
        }
    );
    assert!(!s.complete());
    // Seen in a real guest: stopped before the buffered block was read.
    let lost = parse_tcpdump_stats(
        "0 packets captured\n200 packets received by filter\n0 packets dropped by kernel\n",
    )
    .unwrap();
    assert!(!lost.complete());
    // Seen in a real guest: one link probe arrived on the veth during the stop.
    let probe = parse_tcpdump_stats(
        "234 packets captured\n235 packets received by filter\n0 packets dropped by kernel\n",
    )
    .unwrap();
    assert!(probe.complete());
    // Seen in a real guest (veth_classes, stock kernel): three in flight.
    let three = parse_tcpdump_stats(
        "264 packets captured\n267 packets received by filter\n0 packets dropped by kernel\n",
    )
    .unwrap();
    assert!(three.complete());
    let whole = parse_tcpdump_stats(
        "200 packets captured\n200 packets received by filter\n0 packets dropped by kernel\n",
    )
    .unwrap();
    assert!(whole.complete());
    assert_eq!(
        parse_tcpdump_stats("tcpdump: listening on lo\n"),
        None,
        "killed before it printed statistics"
    );
}

#[test]
fn guest_script_captures_before_the_bearer_and_before_traffic() {
    let scn = scenario::veth_rdm();
    let script = scn.guest_scripts().remove(0).1;
    // The steps after the shell library (whose functions run the agent too).
    let s = &script[script.find("\nrc=0\n").expect("the steps start")..];
    let pos = |needle: &str| {
        s.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing from the script"))
    };
    let first_capture = pos("capture_start ns1-lo ns1 lo");
    let bearer = pos("bearer ns1 veth1\n");
    let first_send = pos("tipc-agent send");
    assert!(first_capture < bearer, "discovery must be captured");
    assert!(bearer < pos("wait_links ns1 1"));
    assert!(pos("wait_links ns2 1") < first_send);
    assert!(
        pos("tipc-agent recv") < first_send,
        "the receiver binds first"
    );
    assert!(first_send < pos("capture_stop_all\n"));
    assert!(
        script.contains("IP=/usr/sbin/ip"),
        "busybox's ip applet must not be used"
    );
    assert!(s.ends_with("exit $rc\n"));
}
