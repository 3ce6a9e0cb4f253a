//! The kernel source of a base, fetched from the Debian archive without
//! touching the host: a private sources list (the machine's Debian entries
//! plus the base's extra suite, see `apt_sources`), private apt lists and
//! cache in the verifier's cache, `apt-get download` of the package and
//! `dpkg-deb -x` of its tarball. Nothing is installed on the host.
//!
//! Cache layout:
//! - `apt/<base>/`: `sources.list`, `lists/`, `cache/` (apt's own state);
//! - `sources/<package>_<version>/`: `<package>.tar.xz` and the manifest,
//!   published by rename ([`cache::PendingDir`]), so a half-fetched
//!   source is never used;
//! - `logs/apt-<base>.log`: every apt and dpkg-deb command and its output.
//!
//! The version is a policy ([`VersionPolicy`]): the newest the archive
//! serves, or a pin (exact or `6.12.117` for `6.12.117-*`). A pin already
//! in the cache is used without any network access.

use crate::apt_sources;
use crate::base::Base;
use crate::cache::{self, PendingDir};
use crate::debian_version;
use crate::progress::{self, Phase};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The machine's apt configuration directory (read only).
pub const HOST_APT_ETC: &str = "/etc/apt";
/// Reads another apt configuration directory instead (tests: fixture
/// sources that name an unreachable mirror).
pub const APT_ETC_ENV: &str = "TIPC_VERIFIER_APT_ETC";

/// Which version of a base's package to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionPolicy {
    /// The highest version the archive serves.
    Latest,
    /// `--base-version V`: exactly `V`, or the highest `V-*` (also `V~*`,
    /// `V+*`) when `V` is a prefix such as `6.12.117`.
    Pin(String),
}

impl VersionPolicy {
    pub fn from_arg(pin: Option<&str>) -> Self {
        match pin.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => VersionPolicy::Pin(p.to_string()),
            None => VersionPolicy::Latest,
        }
    }

    /// Whether `version` satisfies the policy. A pin with a Debian
    /// revision (`6.12.117-1~deb12u1`) matches that version alone; one
    /// without (`6.12.117`) matches every revision of it.
    pub fn matches(&self, version: &str) -> bool {
        let VersionPolicy::Pin(pin) = self else {
            return true;
        };
        let exact = pin.contains('-');
        [version.trim(), debian_version::without_epoch(version)]
            .iter()
            .any(|v| {
                *v == pin
                    || (!exact
                        && v.strip_prefix(pin.as_str())
                            .is_some_and(|rest| rest.starts_with(['-', '~', '+'])))
            })
    }

    /// For messages: `the newest version`, `version 6.12.117 (6.12.117-*)`.
    pub fn describe(&self) -> String {
        match self {
            VersionPolicy::Latest => "the newest version".into(),
            VersionPolicy::Pin(p) if p.contains('-') => format!("version {p}"),
            VersionPolicy::Pin(p) => format!("version {p} ({p}-*)"),
        }
    }
}

/// Picks the version to use among those the archive serves. A newer point
/// release is never refused; a pin the archive no longer serves is an
/// error that lists what it serves and what to do.
pub fn choose(base: Base, policy: &VersionPolicy, served: &[String]) -> Result<String> {
    let package = base.package();
    if served.is_empty() {
        bail!(
            "the Debian archive does not serve {package} (base {base}; suites: the machine's \
             Debian entries{}); check the mirror in /etc/apt, or choose another --base",
            extra_suites_text(base)
        );
    }
    if let Some(v) = debian_version::max(
        served
            .iter()
            .map(String::as_str)
            .filter(|v| policy.matches(v)),
    ) {
        return Ok(v.to_string());
    }
    let mut listed = served.to_vec();
    debian_version::sort_desc(&mut listed);
    bail!(
        "the Debian archive no longer serves {package} {}; it serves: {}. Pass one of those \
         with --base-version (or leave --base-version out for the newest, {})",
        policy.describe(),
        listed.join(", "),
        listed[0]
    )
}

fn extra_suites_text(base: Base) -> String {
    base.extra_suites()
        .iter()
        .map(|s| format!(" + {s}"))
        .collect()
}

/// The version a pin can use from the cache alone (the highest cached
/// version matching it); `None` for [`VersionPolicy::Latest`], which must
/// ask the archive.
pub fn offline_choice(policy: &VersionPolicy, cached: &[String]) -> Option<String> {
    match policy {
        VersionPolicy::Latest => None,
        VersionPolicy::Pin(_) => debian_version::max(
            cached
                .iter()
                .map(String::as_str)
                .filter(|v| policy.matches(v)),
        )
        .map(str::to_string),
    }
}

/// A base's source tarball, ready to unpack.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub base: Base,
    pub package: String,
    /// The exact Debian version, e.g. `7.3.4-1~bpo13+1`.
    pub version: String,
    pub tarball: PathBuf,
    /// True when this run downloaded it.
    pub downloaded: bool,
}

impl Source {
    /// `linux-source-7.3 7.3.4-1~bpo13+1`.
    pub fn label(&self) -> String {
        format!("{} {}", self.package, self.version)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct SourceManifest {
    base: String,
    package: String,
    version: String,
    tarball: String,
    top_dir: String,
    bytes: u64,
}

pub fn sources_dir(cache: &Path) -> PathBuf {
    cache.join("sources")
}

/// A version as a file-name part (`:` and anything odd become `_`).
pub fn safe_version(version: &str) -> String {
    version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-~+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `sources/<package>_<version>/`.
pub fn entry_dir(cache: &Path, package: &str, version: &str) -> PathBuf {
    sources_dir(cache).join(format!("{package}_{}", safe_version(version)))
}

fn read_manifest(entry: &Path) -> Option<SourceManifest> {
    if !cache::is_complete(entry) {
        return None;
    }
    serde_json::from_slice(&fs::read(entry.join(cache::MANIFEST)).ok()?).ok()
}

/// The published source of `base` at exactly `version`, if any.
pub fn cached_source(cache: &Path, base: Base, version: &str) -> Option<Source> {
    let entry = entry_dir(cache, base.package(), version);
    let m = read_manifest(&entry)?;
    let tarball = entry.join(&m.tarball);
    let whole = fs::metadata(&tarball).is_ok_and(|md| md.is_file() && md.len() == m.bytes);
    if m.package != base.package() || m.version != version || !whole {
        return None;
    }
    Some(Source {
        base,
        package: m.package,
        version: m.version,
        tarball,
        downloaded: false,
    })
}

/// Every version of `base` published in the cache, highest first.
pub fn cached_versions(cache: &Path, base: Base) -> Vec<String> {
    let Ok(rd) = fs::read_dir(sources_dir(cache)) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| read_manifest(&e.path()))
        .filter(|m| m.package == base.package())
        .map(|m| m.version)
        .filter(|ver| cached_source(cache, base, ver).is_some())
        .collect();
    debian_version::sort_desc(&mut v);
    v
}

/// The archive, as the resolver needs it (a trait so the policy and the
/// cache logic are tested without network).
pub trait Archive {
    /// Refreshes the version lists (network).
    fn update(&self) -> Result<()>;
    /// Whether lists from an earlier update are there (for `--dry-run`).
    fn has_lists(&self) -> bool;
    /// The versions of `package` in the lists (no network).
    fn served(&self, package: &str) -> Result<Vec<String>>;
    /// Downloads `package=version` into `dir`; returns the `.deb`.
    fn download(&self, package: &str, version: &str, dir: &Path) -> Result<PathBuf>;
    /// The log the archive's commands write to.
    fn log(&self) -> PathBuf;
}

/// Finds (or fetches) the source of `base` under `policy`.
pub fn resolve(
    cache_root: &Path,
    base: Base,
    policy: &VersionPolicy,
    archive: &dyn Archive,
) -> Result<Source> {
    fs::create_dir_all(sources_dir(cache_root))?;
    let _lock = cache::Lock::acquire(cache_root, &format!("sources-{base}"))?;
    cache::sweep_temporaries(&sources_dir(cache_root))?;
    let cached = cached_versions(cache_root, base);
    if let Some(v) = offline_choice(policy, &cached) {
        if let Some(s) = cached_source(cache_root, base, &v) {
            eprintln!(
                "==> base {base}: {} {v} (cached; no network needed)",
                base.package()
            );
            return Ok(s);
        }
    }
    let phase = Phase::start(&format!(
        "base {base}: versions of {} in the Debian archive (want {})",
        base.package(),
        policy.describe()
    ));
    if let Err(e) = archive.update() {
        let what = if cached.is_empty() {
            "no version of it is cached yet: the first run needs the archive".to_string()
        } else {
            format!(
                "cached: {}; to use one without the archive, pass --base {base} --base-version {}",
                cached.join(", "),
                cached[0]
            )
        };
        return Err(e).with_context(|| {
            format!(
                "base {base}: apt-get update of the private lists failed (is the Debian mirror \
                 reachable?); log: {}; {what}",
                archive.log().display()
            )
        });
    }
    let served = archive.served(base.package())?;
    let version = choose(base, policy, &served)?;
    phase.done(&format!("chose {version}"));
    if let Some(s) = cached_source(cache_root, base, &version) {
        eprintln!("    {} {version}: cached", base.package());
        return Ok(s);
    }
    fetch(cache_root, base, &version, archive)
}

/// What `--dry-run` can say without the network.
#[derive(Debug, Clone)]
pub enum Preview {
    /// This version is in the cache and would be used.
    Cached(Source),
    /// The run would download this version (from the lists of an earlier
    /// update; the run updates them first, so it may pick a newer one).
    WouldFetch(String),
    /// No lists yet: the run would update them and pick a version.
    Unknown,
}

/// Resolution without network: the cache, then the lists of the last
/// update, if any.
pub fn preview(
    cache_root: &Path,
    base: Base,
    policy: &VersionPolicy,
    archive: &dyn Archive,
) -> Preview {
    let cached = cached_versions(cache_root, base);
    if let Some(s) =
        offline_choice(policy, &cached).and_then(|v| cached_source(cache_root, base, &v))
    {
        return Preview::Cached(s);
    }
    if !archive.has_lists() {
        return Preview::Unknown;
    }
    match archive
        .served(base.package())
        .ok()
        .and_then(|served| choose(base, policy, &served).ok())
    {
        Some(v) => match cached_source(cache_root, base, &v) {
            Some(s) => Preview::Cached(s),
            None => Preview::WouldFetch(v),
        },
        None => Preview::Unknown,
    }
}

/// Downloads the package, takes out its tarball, checks its top directory
/// and publishes `sources/<package>_<version>/`.
fn fetch(cache_root: &Path, base: Base, version: &str, archive: &dyn Archive) -> Result<Source> {
    let package = base.package();
    let phase = Phase::start(&format!("base {base}: fetching {package} {version}"));
    let entry = entry_dir(cache_root, package, version);
    let pending = PendingDir::new(&entry)?;
    let deb_dir = pending.path().join("deb");
    fs::create_dir_all(&deb_dir)?;
    let deb = archive.download(package, version, &deb_dir)?;
    let tarball = pending.path().join(base.tarball_name());
    extract_member(&deb, &base.tarball_member(), &tarball, &archive.log())?;
    fs::remove_dir_all(&deb_dir).with_context(|| format!("removing {}", deb_dir.display()))?;
    let found = tarball_top_entries(&tarball, 64)?;
    check_top_dir(&found, base.top_dir())
        .with_context(|| format!("{package} {version}: {}", tarball.display()))?;
    let bytes = fs::metadata(&tarball)?.len();
    let manifest = SourceManifest {
        base: base.name().into(),
        package: package.into(),
        version: version.into(),
        tarball: base.tarball_name(),
        top_dir: base.top_dir().into(),
        bytes,
    };
    cache::write_atomic(
        &pending.path().join(cache::MANIFEST),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    let published = pending.publish()?;
    phase.done(&format!("{} MB in the cache", bytes / 1_000_000));
    Ok(Source {
        base,
        package: package.into(),
        version: version.into(),
        tarball: published.join(base.tarball_name()),
        downloaded: true,
    })
}

/// `dpkg-deb -x` of the `.deb` next to it, then `member` moved to `dest`.
fn extract_member(deb: &Path, member: &str, dest: &Path, log: &Path) -> Result<()> {
    let dir = deb.parent().context("the .deb has no directory")?.join("x");
    let mut cmd = Command::new("dpkg-deb");
    cmd.arg("-x").arg(deb).arg(&dir);
    progress::run_logged("dpkg-deb -x", cmd, log, Duration::from_secs(15), |_| None)?;
    let file = dir.join(member);
    if !file.is_file() {
        bail!(
            "{} has no {member}: not a kernel source package as expected",
            deb.display()
        );
    }
    fs::rename(&file, dest)
        .with_context(|| format!("moving {} to {}", file.display(), dest.display()))
}

/// The first `limit` entry names of an xz tarball (`tar -tJf`, stopped
/// early: the whole listing would decompress the whole file).
pub fn tarball_top_entries(tarball: &Path, limit: usize) -> Result<Vec<String>> {
    let mut child = Command::new("tar")
        .arg("-tJf")
        .arg(tarball)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("listing {}", tarball.display()))?;
    let stdout = child.stdout.take().context("tar's stdout")?;
    let names: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(limit)
        .map_while(|l| l.ok())
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    if names.is_empty() {
        bail!("{} lists no file (not an xz tarball?)", tarball.display());
    }
    Ok(names)
}

/// Checks that every listed entry is under `expected/`, naming the top
/// directories found otherwise.
pub fn check_top_dir(entries: &[String], expected: &str) -> Result<()> {
    let top = |e: &str| {
        e.trim_start_matches("./")
            .split('/')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let mut found: Vec<String> = entries.iter().map(|e| top(e)).collect();
    found.sort();
    found.dedup();
    if found.len() == 1 && found[0] == expected {
        return Ok(());
    }
    bail!(
        "the tarball's top directory is not {expected}/: found {}",
        found
            .iter()
            .map(|f| if f.is_empty() {
                "(files at the top level)".to_string()
            } else {
                format!("{f}/")
            })
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Parses `apt-cache madison` lines (`pkg | version | uri suite/comp arch
/// Packages`) into the versions of `package`.
pub fn parse_madison(out: &str, package: &str) -> Vec<String> {
    let mut v: Vec<String> = out
        .lines()
        .filter_map(|l| {
            let mut f = l.split('|').map(str::trim);
            let (name, version) = (f.next()?, f.next()?);
            (name == package && !version.is_empty()).then(|| version.to_string())
        })
        .collect();
    debian_version::sort_desc(&mut v);
    v
}

/// The real archive: apt with private state under `apt/<base>/`.
pub struct AptArchive {
    base: Base,
    dir: PathBuf,
    etc_apt: PathBuf,
    log: PathBuf,
}

impl AptArchive {
    pub fn new(cache_root: &Path, base: Base) -> Self {
        Self {
            base,
            dir: cache_root.join("apt").join(base.name()),
            etc_apt: std::env::var_os(APT_ETC_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(HOST_APT_ETC)),
            log: cache_root.join("logs").join(format!("apt-{base}.log")),
        }
    }

    fn source_list(&self) -> PathBuf {
        self.dir.join("sources.list")
    }

    fn lists(&self) -> PathBuf {
        self.dir.join("lists")
    }

    /// The `-o` options that keep apt inside `apt/<base>/`.
    pub fn options(&self) -> Vec<String> {
        vec![
            format!("Dir::Etc::SourceList={}", self.source_list().display()),
            "Dir::Etc::SourceParts=/dev/null".into(),
            format!("Dir::State::Lists={}", self.lists().display()),
            format!("Dir::Cache={}", self.dir.join("cache").display()),
            "APT::Sandbox::User=root".into(),
            "Acquire::Languages=none".into(),
        ]
        .into_iter()
        .flat_map(|o| ["-o".to_string(), o])
        .collect()
    }

    /// The private apt configuration: read first (`APT_CONFIG`), it points
    /// apt at an empty `apt.conf.d`, so the machine's hooks (appstream,
    /// PackageKit after an update) and extra index targets stay out.
    fn apt_conf(&self) -> PathBuf {
        self.dir.join("apt.conf")
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("APT_CONFIG", self.apt_conf()).args(self.options());
        c
    }

    /// Writes the private sources list from the machine's configuration
    /// (inline keys go to files beside it).
    fn write_sources(&self) -> Result<()> {
        let host = apt_sources::read_host(&self.etc_apt)?;
        let mut entries = apt_sources::private_entries(&host, self.base.extra_suites())?;
        for (i, e) in entries.iter_mut().enumerate() {
            if e.inline_key() {
                let key = self.dir.join(format!("key-{i}.asc"));
                cache::write_atomic(&key, e.signed_by.clone().unwrap_or_default().as_bytes())?;
                e.signed_by = Some(key.display().to_string());
            }
        }
        let parts = self.dir.join("apt.conf.d");
        for d in [
            self.lists().join("partial"),
            self.dir.join("cache/archives/partial"),
            parts.clone(),
        ] {
            fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        }
        cache::write_atomic(
            &self.apt_conf(),
            format!(
                "Dir::Etc::Parts \"{}\";\nDir::Etc::Main \"/dev/null\";\n",
                parts.display()
            )
            .as_bytes(),
        )?;
        cache::write_atomic(
            &self.source_list(),
            apt_sources::render(&entries).as_bytes(),
        )
    }
}

impl Archive for AptArchive {
    fn update(&self) -> Result<()> {
        self.write_sources()?;
        let mut cmd = self.command("apt-get");
        cmd.args(["--error-on=any", "update"]);
        progress::run_logged(
            "apt-get update (private lists)",
            cmd,
            &self.log,
            Duration::from_secs(15),
            |_| None,
        )
    }

    fn has_lists(&self) -> bool {
        self.source_list().is_file()
            && fs::read_dir(self.lists())
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .any(|e| e.file_name().to_string_lossy().contains("_Packages"))
                })
                .unwrap_or(false)
    }

    fn served(&self, package: &str) -> Result<Vec<String>> {
        let mut cmd = self.command("apt-cache");
        cmd.args(["madison", package]);
        let out = progress::capture_logged("apt-cache madison", cmd, &self.log)?;
        Ok(parse_madison(&out, package))
    }

    fn download(&self, package: &str, version: &str, dir: &Path) -> Result<PathBuf> {
        let mut cmd = self.command("apt-get");
        cmd.current_dir(dir)
            .arg("download")
            .arg(format!("{package}={version}"));
        progress::run_logged(
            &format!("apt-get download {package}={version}"),
            cmd,
            &self.log,
            Duration::from_secs(10),
            |l| l.starts_with("Get:").then(|| l.chars().take(70).collect()),
        )?;
        let debs: Vec<PathBuf> = fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "deb"))
            .collect();
        match debs.as_slice() {
            [one] => Ok(one.clone()),
            _ => bail!(
                "apt-get download {package}={version} left {} .deb file(s) in {}; log: {}",
                debs.len(),
                dir.display(),
                self.log.display()
            ),
        }
    }

    fn log(&self) -> PathBuf {
        self.log.clone()
    }
}
