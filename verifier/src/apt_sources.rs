//! The machine's apt configuration, read (never changed) to find its Debian
//! mirrors, and the private sources list the kernel source is fetched with.
//!
//! Read: `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.list` in
//! the one-line form (`deb [signed-by=... arch=...] URI suite comp...`),
//! `/etc/apt/sources.list.d/*.sources` in the deb822 form (stanzas of
//! `Types`, `URIs`, `Suites`, `Components`, `Signed-By`, `Enabled`). Any
//! other file name (`*.disabled-by-farm`, `*.save`, ...) is ignored, as apt
//! ignores it. `deb-src` entries are ignored.
//!
//! The Debian archive entries are those with component `main` and a suite
//! named like a Debian codename (`bookworm`, `bookworm-updates`,
//! `bookworm-security`, ...); the main mirror is the one serving a bare
//! codename. A base's extra suite (`trixie-backports`) is served from the
//! main mirror, with the same `Signed-By`.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// The Debian codenames and suite aliases a suite name starts with.
const DEBIAN_NAMES: &[&str] = &[
    "buzz",
    "rex",
    "bo",
    "hamm",
    "slink",
    "potato",
    "woody",
    "sarge",
    "etch",
    "lenny",
    "squeeze",
    "wheezy",
    "jessie",
    "stretch",
    "buster",
    "bullseye",
    "bookworm",
    "trixie",
    "forky",
    "duke",
    "sid",
    "experimental",
    "oldoldstable",
    "oldstable",
    "stable",
    "testing",
    "unstable",
];

/// What may follow `<codename>-` in a Debian suite.
const DEBIAN_SUFFIXES: &[&str] = &[
    "updates",
    "security",
    "backports",
    "backports-sloppy",
    "proposed-updates",
];

/// The component the kernel source is in.
pub const MAIN: &str = "main";

/// One `deb` entry: a URI with its suites (a one-line entry has one suite,
/// a deb822 stanza may have several; a stanza with several URIs becomes
/// one entry per URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub uri: String,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    /// A keyring path, or (deb822 only) an inline ASCII-armored key.
    pub signed_by: Option<String>,
    /// `arch=` / `Architectures:`, as written.
    pub architectures: Option<String>,
    /// The file it was read from, for messages.
    pub origin: String,
}

impl SourceEntry {
    /// Whether `signed_by` holds a key rather than a path.
    pub fn inline_key(&self) -> bool {
        self.signed_by
            .as_deref()
            .is_some_and(|s| s.contains("BEGIN PGP"))
    }
}

/// Whether `suite` is named like a Debian suite: a codename or alias,
/// alone or followed by `-updates`, `-security`, `-backports`, ...
pub fn is_debian_suite(suite: &str) -> bool {
    let (name, suffix) = match suite.split_once('-') {
        Some((n, s)) => (n, Some(s)),
        None => (suite, None),
    };
    DEBIAN_NAMES.contains(&name) && suffix.is_none_or(|s| DEBIAN_SUFFIXES.contains(&s))
}

/// A bare codename or alias (`bookworm`, not `bookworm-updates`).
pub fn is_bare_debian_suite(suite: &str) -> bool {
    !suite.contains('-') && is_debian_suite(suite)
}

/// Parses the one-line form. Comments, blank lines, `deb-src` and
/// malformed lines are skipped.
pub fn parse_one_line(text: &str, origin: &str) -> Vec<SourceEntry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb") else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue; // deb-src, or not an entry
        }
        let rest = rest.trim_start();
        let (options, rest) = match rest.strip_prefix('[') {
            Some(r) => match r.split_once(']') {
                Some((opts, after)) => (opts, after),
                None => continue,
            },
            None => ("", rest),
        };
        let mut signed_by = None;
        let mut architectures = None;
        for opt in options.split_whitespace() {
            match opt.split_once('=') {
                Some(("signed-by", v)) => signed_by = Some(v.to_string()),
                Some(("arch", v)) => architectures = Some(v.to_string()),
                _ => {}
            }
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(SourceEntry {
            uri: uri.to_string(),
            suites: vec![suite.to_string()],
            components: words.map(str::to_string).collect(),
            signed_by,
            architectures,
            origin: origin.to_string(),
        });
    }
    out
}

/// Parses the deb822 form: stanzas separated by blank lines, `#` lines
/// are comments (also inside a stanza), a line starting with white space
/// continues the previous field (an inline key in `Signed-By`).
pub fn parse_deb822(text: &str, origin: &str) -> Vec<SourceEntry> {
    let mut stanzas: Vec<BTreeMap<String, String>> = Vec::new();
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    let mut last_field: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            if !current.is_empty() {
                stanzas.push(std::mem::take(&mut current));
            }
            last_field = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(v) = last_field.as_ref().and_then(|f| current.get_mut(f)) {
                let l = line.trim();
                v.push('\n');
                v.push_str(if l == "." { "" } else { l });
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            current.insert(k.clone(), v.trim().to_string());
            last_field = Some(k);
        }
    }
    if !current.is_empty() {
        stanzas.push(current);
    }
    let mut out = Vec::new();
    for s in stanzas {
        let words = |k: &str| -> Vec<String> {
            s.get(k)
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        if !words("types").iter().any(|t| t == "deb") {
            continue;
        }
        if s.get("enabled")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"))
        {
            continue;
        }
        let suites = words("suites");
        if suites.is_empty() {
            continue;
        }
        let signed_by = s
            .get("signed-by")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        for uri in words("uris") {
            out.push(SourceEntry {
                uri,
                suites: suites.clone(),
                components: words("components"),
                signed_by: signed_by.clone(),
                architectures: s.get("architectures").map(|v| v.trim().to_string()),
                origin: origin.to_string(),
            });
        }
    }
    out
}

/// What was read from the machine's apt configuration.
#[derive(Debug, Default)]
pub struct HostSources {
    pub entries: Vec<SourceEntry>,
    /// Files read, in order.
    pub read: Vec<PathBuf>,
    /// Files in `sources.list.d` that apt ignores too (other suffixes).
    pub ignored: Vec<PathBuf>,
}

/// Reads `<etc_apt>/sources.list` and `<etc_apt>/sources.list.d/*.list`,
/// `*.sources`, in apt's order (the main file, then the directory sorted).
pub fn read_host(etc_apt: &Path) -> Result<HostSources> {
    let mut host = HostSources::default();
    let main = etc_apt.join("sources.list");
    if main.is_file() {
        let text =
            fs::read_to_string(&main).with_context(|| format!("reading {}", main.display()))?;
        host.entries
            .extend(parse_one_line(&text, &main.display().to_string()));
        host.read.push(main);
    }
    let dir = etc_apt.join("sources.list.d");
    let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    for f in files.into_iter().filter(|f| f.is_file()) {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let one_line = name.ends_with(".list");
        if !one_line && !name.ends_with(".sources") {
            host.ignored.push(f);
            continue;
        }
        let text = fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        let origin = f.display().to_string();
        host.entries.extend(if one_line {
            parse_one_line(&text, &origin)
        } else {
            parse_deb822(&text, &origin)
        });
        host.read.push(f);
    }
    Ok(host)
}

/// The Debian archive entries: those with component `main`, reduced to
/// their Debian suites and to `main` (the kernel source is in `main`).
pub fn debian_entries(entries: &[SourceEntry]) -> Vec<SourceEntry> {
    entries
        .iter()
        .filter(|e| e.components.iter().any(|c| c == MAIN))
        .filter(|e| is_debian_archive_uri(&e.uri))
        .filter_map(|e| {
            let suites: Vec<String> = e
                .suites
                .iter()
                .filter(|s| is_debian_suite(s))
                .cloned()
                .collect();
            (!suites.is_empty()).then(|| SourceEntry {
                suites,
                components: vec![MAIN.to_string()],
                ..e.clone()
            })
        })
        .collect()
}

/// Whether `uri` names a Debian archive (`.../debian` or
/// `.../debian-security`): third-party repositories also use suites named
/// `bookworm` and component `main`.
pub fn is_debian_archive_uri(uri: &str) -> bool {
    let path = uri.trim_end_matches('/');
    path.ends_with("/debian") || path.ends_with("/debian-security")
}

/// The main mirror: the first Debian entry serving a bare codename.
pub fn main_mirror(entries: &[SourceEntry]) -> Option<&SourceEntry> {
    entries
        .iter()
        .find(|e| e.suites.iter().any(|s| is_bare_debian_suite(s)))
}

/// The entries of the private sources list: the host's Debian entries,
/// then each extra suite on the main mirror (unless the host already has
/// it), with the main mirror's `Signed-By` and architectures.
pub fn private_entries(host: &HostSources, extra_suites: &[&str]) -> Result<Vec<SourceEntry>> {
    let mut out = debian_entries(&host.entries);
    if out.is_empty() {
        let read: Vec<String> = host.read.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "no Debian archive entry (component main, a suite like bookworm) in the apt \
             configuration ({}); add the Debian mirror to /etc/apt/sources.list.d/",
            if read.is_empty() {
                "no sources file found".to_string()
            } else {
                format!("read: {}", read.join(", "))
            }
        );
    }
    let Some(mirror) = main_mirror(&out).cloned() else {
        if extra_suites.is_empty() {
            return Ok(out);
        }
        bail!(
            "no main Debian mirror in the apt configuration (no entry serves a bare codename \
             like bookworm), so {} cannot be added",
            extra_suites.join(", ")
        );
    };
    for suite in extra_suites {
        let have = out
            .iter()
            .any(|e| e.uri == mirror.uri && e.suites.iter().any(|s| s == suite));
        if !have {
            out.push(SourceEntry {
                uri: mirror.uri.clone(),
                suites: vec![suite.to_string()],
                components: vec![MAIN.to_string()],
                signed_by: mirror.signed_by.clone(),
                architectures: mirror.architectures.clone(),
                origin: format!("added for {suite} on the main mirror ({})", mirror.origin),
            });
        }
    }
    Ok(out)
}

/// The one-line form of `entries`, one line per suite. Inline keys must
/// have been written to files first (their `signed-by` is left out here).
pub fn render(entries: &[SourceEntry]) -> String {
    let mut s = String::from(
        "# written by tipc-verifier: the machine's Debian entries plus the base's suites\n",
    );
    for e in entries {
        let mut opts = Vec::new();
        if let Some(k) = e.signed_by.as_deref().filter(|_| !e.inline_key()) {
            opts.push(format!("signed-by={k}"));
        }
        if let Some(a) = &e.architectures {
            opts.push(format!(
                "arch={}",
                a.split_whitespace().collect::<Vec<_>>().join(",")
            ));
        }
        let opts = if opts.is_empty() {
            String::new()
        } else {
            format!("[{}] ", opts.join(" "))
        };
        for suite in &e.suites {
            let _ = writeln!(s, "deb {opts}{} {suite} {}", e.uri, e.components.join(" "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites() {
        assert!(is_debian_suite("bookworm"));
        assert!(is_debian_suite("bookworm-security"));
        assert!(is_debian_suite("trixie-backports"));
        assert!(!is_debian_suite("nodistro"));
        assert!(!is_debian_suite("jammy"));
        assert!(!is_debian_suite("bookworm-pgdg"));
        assert!(is_bare_debian_suite("bookworm"));
        assert!(!is_bare_debian_suite("bookworm-updates"));
    }
}
