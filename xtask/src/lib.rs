//! The project's automation tasks, as a library so that tests can call them.

pub mod bench;
pub mod diff;
pub mod generate;
pub mod overlay;
pub mod rewrite;
pub mod spec_json;

use std::path::PathBuf;

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
