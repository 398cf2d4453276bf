//! The committed spec and generated client must be what `cargo xtask generate` produces now.
//!
//! As in rust-analyzer's codegen tests: when they differ, the test rewrites the files (so the
//! fix is to rerun and commit) and fails, so a stale client cannot land. On CI (`CI` set) it
//! only fails.

use xtask::generate::{self, Outcome};

#[test]
fn generated_client_matches_the_spec() {
    let root = xtask::workspace_root();
    let on_ci = std::env::var_os("CI").is_some();
    let outcome = generate::run(&root, on_ci).expect("generation failed");
    match outcome {
        Outcome::UpToDate => {}
        Outcome::Written(files) => panic!(
            "these files were stale and have been regenerated; review and commit them: {files:?}"
        ),
        Outcome::Stale(diffs) => panic!(
            "the committed generated files are stale; run `cargo xtask generate`:\n{}",
            diffs.join("\n")
        ),
    }
}
