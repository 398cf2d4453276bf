//! The live run (wired to the hubspot-crm client once it lands).

use crate::cli::{RunArgs, Target};
use crate::error::FatalError;
use crate::exit::Exit;

/// Runs the upsert.
pub fn run(_args: &RunArgs, _target: &Target) -> Result<Exit, FatalError> {
    Err(FatalError::Client("not wired yet".into()))
}
