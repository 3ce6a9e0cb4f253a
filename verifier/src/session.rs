//! What every command that boots guests prepares before its first kernel
//! build, in one place: the host requirements, each base's source (so that
//! an unreachable archive or a pin it no longer serves fails before
//! anything is built), the guest agent and the guest image.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::kbuild::BuildContext;
use crate::progress::Phase;
use crate::{guest_image, setup};

/// The guest image every guest of the command boots.
pub struct Guests {
    pub initrd: PathBuf,
}

/// Prepares a command that builds kernels for `contexts` and boots them.
pub fn prepare(project: &Path, cache: &Path, contexts: &[&BuildContext]) -> Result<Guests> {
    setup::ensure(cache, false, false)?;
    for ctx in contexts {
        ctx.source()?;
    }
    let phase = Phase::start("guest agent: cargo build --release -p tipc-agent");
    let agent = guest_image::build_agent(project)?;
    phase.done("ready");
    let initrd = guest_image::ensure_image(project, cache, &agent)?;
    Ok(Guests { initrd })
}
