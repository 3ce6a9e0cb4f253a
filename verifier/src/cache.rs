//! The cache directory outside the clone: where kernel trees, built kernels,
//! guest images and tools live, keyed by their inputs.
//!
//! Invariant: an entry is trusted only if it was published by [`publish_dir`]
//! or [`write_atomic`], i.e. by a rename of a fully written temporary. A run
//! killed half-way leaves only `*.tmp-*` names behind, which are never read
//! and are swept by the next run.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the cache root.
pub const CACHE_ENV: &str = "TIPC_VERIFIER_CACHE";

/// Resolves the cache root: `$TIPC_VERIFIER_CACHE`, else
/// `$XDG_CACHE_HOME/tipc-verifier`, else `$HOME/.cache/tipc-verifier`.
pub fn cache_root() -> Result<PathBuf> {
    cache_root_from(|name| std::env::var_os(name))
}

/// [`cache_root`] with the environment passed in, for tests.
pub fn cache_root_from(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<PathBuf> {
    let non_empty = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = non_empty(CACHE_ENV) {
        return Ok(dir);
    }
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return Ok(dir.join("tipc-verifier"));
    }
    match non_empty("HOME") {
        Some(home) => Ok(home.join(".cache").join("tipc-verifier")),
        None => anyhow::bail!("cannot place the cache: set {CACHE_ENV} or HOME"),
    }
}

/// Builds a cache key from named inputs. The names are part of the hash, so
/// moving a value from one input to another changes the key.
#[derive(Default, Clone)]
pub struct KeyBuilder {
    hasher: Sha256,
    inputs: Vec<(String, String)>,
}

impl KeyBuilder {
    pub fn new(kind: &str) -> Self {
        let mut k = Self::default();
        k.add("kind", kind.as_bytes());
        k
    }

    /// Adds one input. `summary` is what the key's manifest records.
    pub fn add(&mut self, name: &str, value: &[u8]) -> &mut Self {
        self.hasher.update((name.len() as u64).to_be_bytes());
        self.hasher.update(name.as_bytes());
        self.hasher.update((value.len() as u64).to_be_bytes());
        self.hasher.update(value);
        let summary = match std::str::from_utf8(value) {
            Ok(s) if s.len() <= 80 && !s.contains('\n') => s.to_string(),
            _ => format!("sha256:{}", &hex::encode(Sha256::digest(value))[..16]),
        };
        self.inputs.push((name.to_string(), summary));
        self
    }

    /// Adds a file's content under its name.
    pub fn add_file(&mut self, name: &str, path: &Path) -> Result<&mut Self> {
        let data = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(self.add(name, &data))
    }

    /// The key: 20 hex digits of the SHA-256 over all inputs.
    pub fn key(&self) -> String {
        hex::encode(self.hasher.clone().finalize())[..20].to_string()
    }

    /// The inputs as recorded in a manifest (name, value or digest).
    pub fn inputs(&self) -> &[(String, String)] {
        &self.inputs
    }
}

fn temp_sibling(target: &Path) -> Result<PathBuf> {
    let name = target
        .file_name()
        .with_context(|| format!("{} has no file name", target.display()))?;
    let mut tmp = name.to_os_string();
    tmp.push(format!(".tmp-{}", std::process::id()));
    Ok(target.with_file_name(tmp))
}

/// Writes `data` to `path` through a temporary and a rename, so readers see
/// either the old content or the whole new content.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let tmp = temp_sibling(path)?;
    let mut f = fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    drop(f);
    fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// A directory being filled before it is published under its final name.
pub struct PendingDir {
    tmp: PathBuf,
    target: PathBuf,
}

impl PendingDir {
    /// Starts a pending directory for `target`, removing leftovers of an
    /// earlier interrupted attempt by this process id.
    pub fn new(target: &Path) -> Result<Self> {
        let tmp = temp_sibling(target)?;
        if tmp.exists() {
            fs::remove_dir_all(&tmp)
                .with_context(|| format!("removing stale {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(Self {
            tmp,
            target: target.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Publishes the directory by renaming it to its target. An existing
    /// target (a concurrent publisher with the same key) is replaced.
    pub fn publish(self) -> Result<PathBuf> {
        if self.target.exists() {
            fs::remove_dir_all(&self.target)
                .with_context(|| format!("replacing {}", self.target.display()))?;
        }
        fs::rename(&self.tmp, &self.target).with_context(|| {
            format!(
                "publishing {} as {}",
                self.tmp.display(),
                self.target.display()
            )
        })?;
        Ok(self.target.clone())
    }
}

/// Removes `*.tmp-*` leftovers of interrupted runs directly inside `dir`.
pub fn sweep_temporaries(dir: &Path) -> Result<usize> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().contains(".tmp-") {
            let p = entry.path();
            let r = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            r.with_context(|| format!("removing leftover {}", p.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// A published entry is complete when its manifest exists: the manifest is
/// the last file written before the directory is renamed into place.
pub const MANIFEST: &str = "manifest.json";

pub fn is_complete(entry: &Path) -> bool {
    entry.join(MANIFEST).is_file()
}

/// An exclusive advisory lock on a file under `<cache>/locks/`, held until
/// dropped. Two runs that would change the same kernel tree at once take it
/// in turn; the second says whom it waits for.
pub struct Lock {
    _file: fs::File,
}

impl Lock {
    pub fn acquire(cache: &Path, name: &str) -> Result<Self> {
        use std::os::fd::AsRawFd;
        let dir = cache.join("locks");
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{name}.lock"));
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening lock {}", path.display()))?;
        let fd = file.as_raw_fd();
        // SAFETY: `fd` is an open descriptor owned by `file`, which outlives
        // the call; flock() does not touch memory.
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            eprintln!(
                "==> waiting for another tipc-verifier run that holds {}",
                path.display()
            );
            // SAFETY: as above.
            if unsafe { libc::flock(fd, libc::LOCK_EX) } != 0 {
                return Err(std::io::Error::last_os_error())
                    .with_context(|| format!("locking {}", path.display()));
            }
        }
        Ok(Lock { _file: file })
    }
}
