//! Checks that the Rust mirror of the C interface matches the C header the
//! series adds (`net/tipc/crossover.h`).

#[path = "../tests/support/series.rs"]
#[allow(dead_code)]
mod series;

use crate::crossover_msg::CrossoverAction;
use series::FileState;

/// The enumerators of `enum tipc_crossover_action` in `header`, in order,
/// with their explicit values.
fn c_enum_values(header: &str, name: &str) -> Vec<(String, u32)> {
    let start = header
        .find(&format!("enum {name} {{"))
        .unwrap_or_else(|| panic!("enum {name} not found"));
    let body = &header[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
    body.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (ident, value) = item
                .split_once('=')
                .unwrap_or_else(|| panic!("{item}: give every enumerator an explicit value"));
            let value = value
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{item}: value"));
            (ident.trim().to_string(), value)
        })
        .collect()
}

#[test]
fn crossover_action_matches_the_c_enum() {
    // The pure module is shared: its enum must match the header of both
    // series (7.3 and the 6.12 backport).
    for s in series::SERIES {
        let tree = series::replay(&series::series_dir(s.series)).expect("patches replay");
        let Some(FileState::Created(lines)) = tree.get("net/tipc/crossover.h") else {
            panic!("{} does not create net/tipc/crossover.h", s.series);
        };
        check_enum(&series::text_of(lines), s.series);
    }
}

fn check_enum(header: &str, series: &str) {
    let values = c_enum_values(header, "tipc_crossover_action");
    let rust = [
        ("TIPC_CROSSOVER_BEARER", CrossoverAction::Bearer),
        ("TIPC_CROSSOVER_SK_RCV", CrossoverAction::SkRcv),
        ("TIPC_CROSSOVER_MCAST_RCV", CrossoverAction::McastRcv),
        (
            "TIPC_CROSSOVER_ASSEMBLE_MCAST",
            CrossoverAction::AssembleMcast,
        ),
    ];
    let rust: Vec<(String, u32)> = rust
        .iter()
        .map(|(n, a)| (n.to_string(), *a as u32))
        .collect();
    assert_eq!(values, rust, "{series}");
}
