//! The project's automation tasks, as a library so that tests can call them.

pub mod bench;
pub mod diff;
pub mod generate;
pub mod modules;
pub mod overlay;
pub mod public_api;
pub mod rewrite;
pub mod spec_json;
pub mod upstream;

use std::path::{Path, PathBuf};

/// The workspace root: the parent of this crate's directory.
///
/// The directory is the one cargo names at run time: `cargo run` (and so `cargo xtask`) and
/// `cargo test` set `CARGO_MANIFEST_DIR` for the process they start. Only when that is unset,
/// or names another package, does it fall back to the directory this binary was compiled
/// from. A binary is reused across clones that share a `CARGO_TARGET_DIR` (cargo sees it as
/// fresh), so the compile-time directory can be another clone, or one that no longer exists.
pub fn workspace_root() -> PathBuf {
    let run_time = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| is_xtask_dir(dir));
    let manifest_dir = run_time.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Whether `dir` holds this crate's manifest (not that of a package that ran xtask).
fn is_xtask_dir(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|manifest| {
        manifest
            .lines()
            .any(|line| line.split_whitespace().collect::<String>() == r#"name="xtask""#)
    })
}
