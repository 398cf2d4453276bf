//! Where the `hubspot-upsert` binary is.
//!
//! `env!("CARGO_BIN_EXE_hubspot-upsert")` exists only inside the CLI's own package, so the
//! suites use the binary cargo puts in the target directory this test was built into (the
//! test executable lives in `<target>/debug/deps/`, the binary in `<target>/debug/`). On first
//! use they run `cargo build -p hubspot-upsert --bin hubspot-upsert` (with the cargo that runs
//! the tests, `$CARGO`) so the binary is never stale; cargo does not hold its build lock while
//! tests run, so this does not deadlock. `cargo test --workspace` has built it already, and
//! then the build is a no-op.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The path of a fresh `hubspot-upsert` binary, or why there is none.
pub fn binary() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(locate_and_build).clone()
}

fn locate_and_build() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("no current exe: {e}"))?;
    // <target>/<profile>/deps/<test>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or_else(|| format!("unexpected test executable path {}", exe.display()))?;
    let bin = profile_dir.join(format!("hubspot-upsert{}", std::env::consts::EXE_SUFFIX));
    if let Ok(cargo) = std::env::var("CARGO") {
        let target_dir = profile_dir
            .parent()
            .ok_or_else(|| "target directory not found".to_string())?;
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "hubspot-upsert",
            "--bin",
            "hubspot-upsert",
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            cmd.arg("--release");
        }
        let status = cmd
            .status()
            .map_err(|e| format!("could not run cargo build: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build -p hubspot-upsert failed: {status}"));
        }
    }
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing: run `cargo build -p hubspot-upsert` first",
            bin.display()
        ))
    }
}
