//! The differential table: same path on both kernels unless a case names
//! the change and its reason.

use std::collections::BTreeMap;
use std::path::PathBuf;
use tipc_verifier::differential;
use tipc_verifier::report::{self, ScenarioRun};
use tipc_verifier::scenario::{self, CasePath, MsgPath};

fn run(kernel: &str, paths: &[(&str, CasePath)]) -> ScenarioRun {
    let paths: BTreeMap<String, CasePath> =
        paths.iter().map(|(c, p)| (c.to_string(), *p)).collect();
    ScenarioRun::new(
        kernel,
        "veth_classes",
        PathBuf::from("/nonexistent"),
        Vec::new(),
        Vec::new(),
        BTreeMap::new(),
        paths,
    )
}

/// Every case of veth_classes as it behaves: group unicast on the bearer
/// on stock, across on patched.
fn observed(kernel: &str) -> Vec<(&'static str, CasePath)> {
    scenario::veth_classes()
        .cases
        .iter()
        .map(|c| {
            let path = if c.patched.is_some() && kernel == "stock" {
                CasePath::Bearer
            } else {
                CasePath::Crossover
            };
            (c.id, path)
        })
        .collect()
}

#[test]
fn intended_changes_pass_and_name_their_reason() {
    let runs = vec![
        run("stock", &observed("stock")),
        run("patched", &observed("patched")),
    ];
    let rows = differential::table(&runs);
    assert_eq!(rows.len(), scenario::veth_classes().cases.len());
    assert!(rows.iter().all(|r| r.ok), "{rows:#?}");
    let unicast = rows.iter().find(|r| r.case == "group_unicast").unwrap();
    assert_eq!(unicast.changed_to, Some(MsgPath::Crossover));
    assert!(
        unicast.detail().contains("changed on purpose: patch 4"),
        "{}",
        unicast.detail()
    );
    let rdm = rows.iter().find(|r| r.case == "rdm_1byte").unwrap();
    assert!(rdm.reason.is_empty());
    assert_eq!(
        rdm.detail(),
        "stock crossover, patched crossover: same path"
    );
}

#[test]
fn an_unannounced_change_fails_its_row() {
    let mut patched = observed("patched");
    for (case, path) in &mut patched {
        if *case == "seqpacket" {
            *path = CasePath::Bearer;
        }
    }
    let rows = differential::table(&[run("stock", &observed("stock")), run("patched", &patched)]);
    let failing: Vec<_> = rows
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.case.as_str())
        .collect();
    assert_eq!(failing, ["seqpacket"]);
    let ktap = report::ktap(&[], &rows);
    assert!(ktap.contains("not ok 1 differential"), "{ktap}");
    assert!(
        ktap.contains(
            "not ok 4 veth_classes_seqpacket # stock crossover, patched bearer: paths differ"
        ),
        "{ktap}"
    );
}

#[test]
fn without_both_kernels_there_is_no_table() {
    let rows = differential::table(&[run("patched", &observed("patched"))]);
    assert!(rows.is_empty());
    assert!(!report::ktap(&[], &rows).contains("differential"));
}

#[test]
fn cases_the_captures_cannot_see_are_left_out() {
    let scn = scenario::netns_recreate();
    let observable: Vec<_> = scn
        .cases
        .iter()
        .filter(|c| scn.path_observable(c))
        .map(|c| c.id)
        .collect();
    // ns2 is never captured (it is deleted); the flood is cut short.
    assert_eq!(observable, ["after_recreate"]);
}
