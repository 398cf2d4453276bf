//! `xtask` acts on the workspace cargo runs it for, not on the one it was compiled in.
//!
//! With a shared `CARGO_TARGET_DIR`, cargo reuses one xtask binary for every clone (it sees
//! it as fresh), so the directory compiled into it can be another clone's. These tests run the
//! binary built here on a copy of the workspace kept under the target dir, holding just what
//! `generate --check` reads, with `CARGO_MANIFEST_DIR` set as `cargo run` (so `cargo xtask`)
//! sets it for the process it starts.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xtask::generate::GENERATED_FILE;

const MARK: &str = "// changed in the copy of the workspace only";

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a directory of the copy");
    for entry in fs::read_dir(from).expect("read a directory of the workspace") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// A fresh copy of the parts of the workspace that `generate --check` reads: the spec
/// folder, the generated crate's sources and manifest, and xtask's manifest.
fn copy_of_workspace(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf();
    let copy = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if copy.exists() {
        fs::remove_dir_all(&copy).expect("remove an old copy");
    }
    copy_dir(&root.join("openapi"), &copy.join("openapi"));
    copy_dir(
        &root.join("crates/hubspot-crm-api/src"),
        &copy.join("crates/hubspot-crm-api/src"),
    );
    for manifest in ["xtask/Cargo.toml", "crates/hubspot-crm-api/Cargo.toml"] {
        fs::create_dir_all(copy.join(manifest).parent().expect("a folder")).expect("mkdir");
        fs::copy(root.join(manifest), copy.join(manifest)).expect("copy a manifest");
    }
    copy
}

/// `xtask generate --check` run in `dir` with `CARGO_MANIFEST_DIR` set to `manifest_dir`.
fn generate_check(dir: &Path, manifest_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--check"])
        .current_dir(dir)
        .env("CARGO_MANIFEST_DIR", manifest_dir)
        .output()
        .expect("xtask runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_binary_built_in_one_workspace_checks_the_copy_cargo_runs_it_in() {
    let copy = copy_of_workspace("workspace-root-copy");
    let fresh = generate_check(&copy, &copy.join("xtask"));
    assert!(fresh.status.success(), "{}", text(&fresh.stderr));
    let expected: String = xtask::generate::VERSIONS
        .iter()
        .map(|v| format!("{} is up to date\n", v.generated))
        .collect();
    assert_eq!(text(&fresh.stdout), expected);

    let generated = copy.join(GENERATED_FILE);
    let mut code = fs::read_to_string(&generated).expect("generated file");
    code.push_str(MARK);
    code.push('\n');
    fs::write(&generated, code).expect("change the copy");

    let stale = generate_check(&copy, &copy.join("xtask"));
    assert!(
        !stale.status.success(),
        "the change in the copy went unseen"
    );
    assert!(
        text(&stale.stdout).contains(&format!("-{MARK}")),
        "the diff is of the copy: {}",
        text(&stale.stdout)
    );
    assert!(text(&stale.stderr).contains("generated files are stale"));

    let original = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .join(GENERATED_FILE);
    let original = fs::read_to_string(original).expect("the workspace's generated file");
    assert!(!original.contains(MARK), "the workspace itself was changed");
}

#[test]
fn without_a_run_time_xtask_manifest_dir_the_compile_time_workspace_is_used() {
    let copy = copy_of_workspace("workspace-root-fallback");
    let generated = copy.join(GENERATED_FILE);
    fs::write(&generated, format!("{MARK}\n")).expect("change the copy");

    let compiled_in = generate_check(&copy, Path::new(env!("CARGO_MANIFEST_DIR")));
    // Another package's directory (as when a test of another crate starts xtask): ignored.
    let other_package = generate_check(&copy, &copy.join("crates/hubspot-crm-api"));
    let unset = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--check"])
        .current_dir(&copy)
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("xtask runs");
    for (case, output) in [("another package", &other_package), ("unset", &unset)] {
        assert!(
            !text(&output.stdout).contains(MARK),
            "{case}: read the copy"
        );
        assert_eq!(output.status.code(), compiled_in.status.code(), "{case}");
        assert_eq!(output.stdout, compiled_in.stdout, "{case}");
    }
}
