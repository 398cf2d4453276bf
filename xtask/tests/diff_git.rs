//! `cargo xtask diff --base REV`: the old spec is read from git, and found again when it was
//! renamed to a new dated file since that revision.

mod common;

use std::path::PathBuf;

use common::git;
use xtask::diff::{Options, Source, Spec};
use xtask::generate::SPEC_FILE;

/// A scratch repository whose only commit holds the 2026-03 spec at `committed_as`.
fn repository(test: &str, committed_as: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-diff-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("openapi")).expect("creating the scratch repository");
    let spec = xtask::workspace_root().join(SPEC_FILE);
    std::fs::copy(&spec, dir.join(committed_as)).expect("copying the spec");
    git(&dir, &["init", "--quiet"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "--quiet", "-m", "spec"]);
    dir
}

#[test]
fn base_defaults_to_the_spec_at_head() {
    let options = Options::parse(&[]).expect("no options is valid");
    assert_eq!(
        options.old,
        Source::Git {
            rev: "HEAD".into(),
            path: SPEC_FILE.into()
        }
    );
    assert_eq!(options.new, Source::File(SPEC_FILE.into()));
    let dir = repository("head", SPEC_FILE);
    let spec = Spec::load(&dir, &options.old);
    let _ = std::fs::remove_dir_all(&dir);
    let spec = spec.unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(spec.source, format!("{SPEC_FILE} at HEAD"));
    assert_eq!(
        spec.value.pointer("/info/version").and_then(|v| v.as_str()),
        Some("2026-09")
    );
}

#[test]
fn a_spec_renamed_since_the_base_revision_is_found_under_openapi() {
    let dir = repository("renamed", "openapi/crm-objects-batch-upsert-2025-09.json");
    let source = Source::Git {
        rev: "HEAD".into(),
        path: SPEC_FILE.into(),
    };
    let spec = Spec::load(&dir, &source);
    let _ = std::fs::remove_dir_all(&dir);
    let spec = spec.unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(
        spec.source,
        "openapi/crm-objects-batch-upsert-2025-09.json at HEAD"
    );
}

#[test]
fn an_unknown_revision_is_named_in_the_error() {
    let dir = repository("unknown-rev", SPEC_FILE);
    let source = Source::Git {
        rev: "no-such-rev".into(),
        path: SPEC_FILE.into(),
    };
    let err = Spec::load(&dir, &source).map(|_| ()).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(format!("{err:#}").contains("no-such-rev"), "{err:#}");
}
