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
        ("TIPC_CROSSOVER_ASSEMBLE", CrossoverAction::Assemble),
    ];
    let rust: Vec<(String, u32)> = rust
        .iter()
        .map(|(n, a)| (n.to_string(), *a as u32))
        .collect();
    assert_eq!(values, rust, "{series}");
}

/// A function of the C interface: name, parameter types and return type,
/// in the spelling of one side, whitespace normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prototype {
    name: String,
    params: Vec<String>,
    ret: String,
}

/// Strips `/* */` and `//` comments.
fn without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The function declarations of a C header (`TYPE NAME(PARAMS);`), each
/// parameter reduced to its type.
fn c_prototypes(header: &str) -> Vec<Prototype> {
    let text = without_comments(header);
    text.split(';')
        .map(squash)
        .filter(|d| d.ends_with(')') && d.contains('(') && !d.starts_with('#'))
        .filter(|d| !d.starts_with("enum") || !d.contains('{'))
        .filter_map(|d| {
            // The declaration proper starts after the last preprocessor or
            // type definition line the split left in front of it.
            let d = d.rsplit(['}', '#']).next().unwrap_or(&d).trim().to_string();
            let open = d.find('(')?;
            let head = d[..open].trim();
            let name_at = head
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let name = &head[name_at..];
            let ret = squash(&head[..name_at].replace('*', " * "));
            let params = d[open + 1..d.len() - 1]
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty() && *p != "void")
                .map(|p| {
                    // Drop the parameter name: the last word, after any '*'.
                    let ty = p.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
                    squash(&ty.replace('*', " * ")).replace("* *", "**")
                })
                .collect();
            Some(Prototype {
                name: name.to_string(),
                params,
                ret,
            })
        })
        .collect()
}

/// The `extern "C"` functions of a Rust file: those it exports
/// (`#[no_mangle] pub [unsafe] extern "C" fn`) and those it imports (the
/// `extern "C" { fn ...; }` block).
fn rust_prototypes(source: &str) -> (Vec<Prototype>, Vec<Prototype>) {
    let text = without_comments(source);
    let parse = |sig: &str| -> Option<Prototype> {
        let sig = squash(sig);
        let after_fn = &sig[sig.find("fn ")? + 3..];
        let open = after_fn.find('(')?;
        let close = after_fn.rfind(')')?;
        let name = after_fn[..open].trim().to_string();
        let params = after_fn[open + 1..close]
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| squash(p.split_once(':').map_or(p, |(_, t)| t)))
            .collect();
        let ret = after_fn[close + 1..]
            .trim()
            .strip_prefix("->")
            .map_or("()".to_string(), |r| squash(r.trim_end_matches(['{', ';'])));
        Some(Prototype { name, params, ret })
    };
    let mut exported = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("#[no_mangle]") {
        rest = &rest[at + 12..];
        let end = rest.find('{').unwrap_or(rest.len());
        exported.extend(parse(&rest[..end]));
    }
    let mut imported = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("extern \"C\" {") {
        rest = &rest[at + 12..];
        let end = rest.find('}').unwrap_or(rest.len());
        for decl in rest[..end].split(';') {
            if decl.contains("fn ") {
                imported.extend(parse(decl));
            }
        }
    }
    (exported, imported)
}

/// The Rust spellings a C type may have at the interface: a pointer to an
/// opaque C struct may also be a `c_void` pointer of the same mutability.
fn rust_types_of(c: &str) -> Option<&'static [&'static str]> {
    Some(match c {
        "u32" => &["u32"],
        "u64" => &["u64"],
        "int" => &["c_int"],
        "bool" => &["bool"],
        "size_t" => &["usize"],
        "void" => &["()"],
        "const u8 *" => &["*const u8"],
        "const void *" => &["*const c_void"],
        "struct net *" => &["*mut bindings::net", "*mut c_void"],
        "const struct net *" => &["*const bindings::net", "*const c_void"],
        // Opaque to C: a `KBox` the Rust side hands out and takes back.
        "struct tipc_crossover_slot *" => &["*mut c_void"],
        "spinlock_t *" => &["*mut bindings::spinlock_t"],
        "enum tipc_crossover_action" => &["c_uint"],
        _ => return None,
    })
}

#[test]
fn the_rust_prototypes_match_crossover_h() {
    for s in series::SERIES {
        let tree = series::replay(&series::series_dir(s.series)).expect("patches replay");
        let text = |path: &str| match tree.get(path) {
            Some(FileState::Created(lines)) => series::text_of(lines),
            _ => panic!("{} does not create {path}", s.series),
        };
        let c = c_prototypes(&text("net/tipc/crossover.h"));
        assert!(c.len() >= 6, "{}: {c:#?}", s.series);
        let (exported, imported) = rust_prototypes(&text("net/tipc/crossover.rs"));
        assert!(!exported.is_empty() && !imported.is_empty(), "{}", s.series);
        // Every function crossing the boundary, either way, is declared in
        // crossover.h with the same types.
        for r in exported.iter().chain(&imported) {
            let decl = c
                .iter()
                .find(|p| p.name == r.name)
                .unwrap_or_else(|| panic!("{}: {} is not in crossover.h", s.series, r.name));
            let fits = |c: &str, rust: &str| {
                rust_types_of(c)
                    .unwrap_or_else(|| panic!("{}: C type {c:?} of {}", s.series, r.name))
                    .contains(&rust)
            };
            assert_eq!(
                r.params.len(),
                decl.params.len(),
                "{}: {}",
                s.series,
                r.name
            );
            for (c, rust) in decl.params.iter().zip(&r.params) {
                assert!(
                    fits(c, rust),
                    "{}: {} takes {c:?} in crossover.h, {rust:?} in Rust",
                    s.series,
                    r.name
                );
            }
            assert!(
                fits(&decl.ret, &r.ret),
                "{}: {} returns {:?} in crossover.h, {:?} in Rust",
                s.series,
                r.name,
                decl.ret,
                r.ret
            );
        }
        // And every function crossover.h declares is one of them.
        for d in &c {
            assert!(
                exported.iter().chain(&imported).any(|r| r.name == d.name),
                "{}: {} is declared in crossover.h but neither exported nor used by crossover.rs",
                s.series,
                d.name
            );
        }
    }
}

#[test]
fn the_prototype_check_sees_a_wrong_type() {
    let header = "/* x */\n#include <linux/types.h>\nstruct net;\n\
                  enum tipc_crossover_action tipc_crossover_classify(u32 user, u32 mtyp);\n\
                  u32 tipc_crossover_proof(u64 cookie, const u8 *node_id,\n\t\t\t u32 cluster_id);\n\
                  struct net *tipc_crossover_peer_find(u64 c, const u8 *id, u32 cl, u32 p);\n";
    let c = c_prototypes(header);
    assert_eq!(
        c,
        vec![
            Prototype {
                name: "tipc_crossover_classify".into(),
                params: vec!["u32".into(), "u32".into()],
                ret: "enum tipc_crossover_action".into()
            },
            Prototype {
                name: "tipc_crossover_proof".into(),
                params: vec!["u64".into(), "const u8 *".into(), "u32".into()],
                ret: "u32".into()
            },
            Prototype {
                name: "tipc_crossover_peer_find".into(),
                params: vec![
                    "u64".into(),
                    "const u8 *".into(),
                    "u32".into(),
                    "u32".into()
                ],
                ret: "struct net *".into()
            },
        ]
    );
    let (exported, _) = rust_prototypes(
        "#[no_mangle]\npub extern \"C\" fn tipc_crossover_classify(user: u32, mtyp: u64) -> c_uint {\n}\n",
    );
    assert_eq!(exported[0].params, ["u32", "u64"]);
    assert!(!rust_types_of(&c[0].params[1])
        .unwrap()
        .contains(&exported[0].params[1].as_str()));
    assert_eq!(exported[0].ret, "c_uint");
}
