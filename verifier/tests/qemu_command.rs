use std::path::PathBuf;
use std::time::Duration;
use tipc_verifier::qemu::*;

fn spec(name: &str) -> VmSpec {
    VmSpec {
        name: name.into(),
        kernel: PathBuf::from("/k/bzImage"),
        initrd: PathBuf::from("/k/initramfs.cpio.gz"),
        share: PathBuf::from("/out/share"),
        memory_mb: 512,
        net: None,
        extra_append: String::new(),
        timeout: Duration::from_secs(60),
        icount: false,
        single_thread: false,
    }
}

#[test]
fn a_guest_that_patches_kernel_text_keeps_two_vcpus_in_one_thread() {
    let mut s = spec("g");
    s.single_thread = true;
    let a = args(&command(&s, Accel::Tcg));
    assert_eq!(value_after(&a, "-accel"), ["tcg,thread=single"]);
    assert_eq!(value_after(&a, "-smp"), ["2"]);
    let plain = args(&command(&spec("g"), Accel::Tcg));
    assert_eq!(value_after(&plain, "-accel"), ["tcg,thread=multi"]);
}

fn args(c: &std::process::Command) -> Vec<String> {
    c.get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn value_after(a: &[String], flag: &str) -> Vec<String> {
    a.windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| w[1].clone())
        .collect()
}

#[test]
fn single_guest_uses_tcg_serial_stdio_and_the_share() {
    let c = command(&spec("g"), Accel::Tcg);
    assert_eq!(c.get_program(), QEMU);
    let a = args(&c);
    assert_eq!(value_after(&a, "-accel"), vec!["tcg,thread=multi"]);
    assert_eq!(value_after(&a, "-smp"), vec!["2"], "every kernel is SMP");
    assert!(
        !a.contains(&"-cpu".to_string()),
        "TCG keeps the default CPU model"
    );
    assert_eq!(value_after(&a, "-kernel"), vec!["/k/bzImage"]);
    assert_eq!(value_after(&a, "-initrd"), vec!["/k/initramfs.cpio.gz"]);
    assert_eq!(value_after(&a, "-serial"), vec!["stdio"]);
    assert!(
        a.contains(&"-no-reboot".to_string()),
        "the guest's reboot -f must end QEMU"
    );
    let virtfs = value_after(&a, "-virtfs");
    assert_eq!(virtfs.len(), 1);
    assert!(virtfs[0].starts_with("local,path=/out/share,mount_tag=share,"));
    assert!(
        value_after(&a, "-netdev").is_empty(),
        "one guest has no NIC"
    );
    assert!(value_after(&a, "-append")[0].contains("console=ttyS0"));
}

#[test]
fn kvm_is_only_used_when_asked() {
    let a = args(&command(&spec("g"), Accel::Kvm));
    assert_eq!(value_after(&a, "-accel"), vec!["kvm"]);
    assert_eq!(value_after(&a, "-cpu"), vec!["host"]);
    assert_eq!(value_after(&a, "-smp"), vec!["2"]);
}

#[test]
fn linked_guests_cross_ports_on_loopback_only() {
    let (a, b) = linked_pair(spec("a"), spec("b")).unwrap();
    let (na, nb) = (a.net.clone().unwrap(), b.net.clone().unwrap());
    assert_eq!(na.local_port, nb.remote_port);
    assert_eq!(na.remote_port, nb.local_port);
    assert_ne!(na.local_port, na.remote_port);
    assert_ne!(na.mac, nb.mac);
    for s in [&a, &b] {
        let argv = args(&command(s, Accel::Tcg));
        let netdev = value_after(&argv, "-netdev");
        assert_eq!(netdev.len(), 1);
        assert!(netdev[0].starts_with("dgram,"));
        assert_eq!(
            netdev[0].matches("host=127.0.0.1").count(),
            2,
            "only 127.0.0.1 is used: {}",
            netdev[0]
        );
        assert!(value_after(&argv, "-device")[0].starts_with("virtio-net-pci,netdev=net0,mac="));
    }
}

#[test]
fn extra_kernel_arguments_are_appended() {
    let mut s = spec("g");
    s.extra_append = "kasan.fault=panic".into();
    assert_eq!(
        append_line(&s),
        "console=ttyS0 panic=-1 rdinit=/init acpi=noirq kasan.fault=panic"
    );
}

#[test]
fn icount_applies_to_tcg_only() {
    let mut s = spec("timed");
    s.icount = true;
    let tcg = args(&command(&s, Accel::Tcg));
    assert_eq!(value_after(&tcg, "-icount"), vec!["shift=0".to_string()]);
    // -icount needs single-threaded TCG; one vCPU keeps it the only clock.
    assert_eq!(value_after(&tcg, "-accel"), vec!["tcg,thread=single"]);
    assert_eq!(value_after(&tcg, "-smp"), vec!["1"]);
    assert_eq!(guest_cpus(&s, Accel::Tcg), 1);
    let kvm = args(&command(&s, Accel::Kvm));
    assert!(!kvm.contains(&"-icount".to_string()));
    assert_eq!(value_after(&kvm, "-smp"), vec!["2"]);
    assert!(!args(&command(&spec("plain"), Accel::Tcg)).contains(&"-icount".to_string()));
}
