//! The one KTAP writer (KTAP version 1, as kselftest and KUnit print it):
//! comment lines, then top-level tests, each with its subtests indented by
//! four spaces, and an optional closing tally comment.

use std::fmt::Write as _;

/// One subtest: a name, a verdict and the first line of its detail as the
/// trailing comment ('#' in it written as "no.", so that no line turns
/// into a directive such as SKIP or TODO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtest {
    pub name: String,
    pub ok: bool,
    pub reason: String,
}

impl Subtest {
    pub fn new(name: &str, ok: bool, detail: &str) -> Self {
        Self {
            name: name.to_string(),
            ok,
            reason: detail.lines().next().unwrap_or("").replace('#', "no."),
        }
    }
}

/// A top-level test and its subtests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    pub name: String,
    pub ok: bool,
    pub subtests: Vec<Subtest>,
}

/// A whole KTAP document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// `# ...` lines right after the version line.
    pub comments: Vec<String>,
    pub tests: Vec<Test>,
    /// Ends with `# N passed, M failed`.
    pub summary: bool,
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "not ok"
    }
}

impl Document {
    pub fn render(&self) -> String {
        let mut s = String::from("KTAP version 1\n");
        for c in &self.comments {
            let _ = writeln!(s, "# {c}");
        }
        let _ = writeln!(s, "1..{}", self.tests.len());
        for (i, t) in self.tests.iter().enumerate() {
            let _ = writeln!(
                s,
                "    KTAP version 1\n    # Subtest: {}\n    1..{}",
                t.name,
                t.subtests.len()
            );
            for (j, st) in t.subtests.iter().enumerate() {
                let _ = write!(s, "    {} {} {}", verdict(st.ok), j + 1, st.name);
                if !st.reason.is_empty() {
                    let _ = write!(s, " # {}", st.reason);
                }
                s.push('\n');
            }
            let _ = writeln!(s, "{} {} {}", verdict(t.ok), i + 1, t.name);
        }
        if self.summary {
            let passed = self.tests.iter().filter(|t| t.ok).count();
            let _ = writeln!(s, "# {passed} passed, {} failed", self.tests.len() - passed);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_nests_subtests_and_keeps_reasons_free_of_directives() {
        let doc = Document {
            comments: vec!["base 7.3: linux-source-7.3 7.3.4-1~bpo13+1".into()],
            tests: vec![
                Test {
                    name: "7.3.patched.veth_rdm".into(),
                    ok: false,
                    subtests: vec![
                        Subtest::new("delivered", true, "200 of 200\nsecond line"),
                        Subtest::new("path", false, "seen on # veth1 SKIP"),
                        Subtest::new("quiet", true, ""),
                    ],
                },
                Test {
                    name: "7.3.differential".into(),
                    ok: true,
                    subtests: vec![],
                },
            ],
            summary: true,
        };
        assert_eq!(
            doc.render(),
            "KTAP version 1\n# base 7.3: linux-source-7.3 7.3.4-1~bpo13+1\n1..2\n\
             \x20   KTAP version 1\n    # Subtest: 7.3.patched.veth_rdm\n    1..3\n\
             \x20   ok 1 delivered # 200 of 200\n\
             \x20   not ok 2 path # seen on no. veth1 SKIP\n\
             \x20   ok 3 quiet\n\
             not ok 1 7.3.patched.veth_rdm\n\
             \x20   KTAP version 1\n    # Subtest: 7.3.differential\n    1..0\n\
             ok 2 7.3.differential\n\
             # 1 passed, 1 failed\n"
        );
    }
}
