//! Helpers shared by the xtask tests that build scratch git repositories.

use std::path::Path;
use std::process::Command;

/// Runs `git -C dir args...` with a throwaway identity; panics with the arguments on failure.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=xtask test",
            "-c",
            "user.email=xtask@example.invalid",
        ])
        .args(args)
        .output()
        .map(|output| output.status);
    assert!(
        matches!(status, Ok(s) if s.success()),
        "git {args:?} failed: {status:?}"
    );
}
