//! Finding the project checkout (the directory with `patches/` and `vm/`).

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// The marker file that identifies the project root.
const MARKER: &str = "vm/kconfig/base.config";

/// Looks for the project root from `start` upwards.
pub fn find_from(start: &Path) -> Result<PathBuf> {
    for dir in start.ancestors() {
        if dir.join(MARKER).is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    bail!(
        "not inside the tipc-crossover project (no {MARKER} in {} or above); run from the checkout or pass --project",
        start.display()
    )
}

/// The project root: `explicit` if given, else found from the current directory.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) => find_from(p),
        None => find_from(&std::env::current_dir()?),
    }
}
