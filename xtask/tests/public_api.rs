//! `cargo xtask public-api`: the lister reads what this toolchain's rustdoc writes, and a
//! stale listing is reported as a diff or rewritten.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::generate::Outcome;
use xtask::public_api::{self, LISTED};

/// A scratch directory of its own under the target directory, emptied.
fn scratch(name: &str) -> PathBuf {
    let root = xtask::workspace_root();
    let target = public_api::target_dir(&root).expect("cargo metadata names the target dir");
    let dir = target.join("xtask-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// rustdoc's JSON of a one-file crate, as the toolchain's rustdoc writes it.
fn rustdoc_json(dir: &Path, source: &str) -> PathBuf {
    std::fs::write(dir.join("lib.rs"), source).expect("write lib.rs");
    let status = Command::new("rustdoc")
        .current_dir(dir)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--crate-name",
            "probe",
        ])
        .args(["-Z", "unstable-options", "--output-format", "json"])
        .args(["lib.rs", "-o", "."])
        .env("RUSTC_BOOTSTRAP", "1")
        .status()
        .expect("run rustdoc");
    assert!(status.success(), "rustdoc failed");
    dir.join("probe.json")
}

#[test]
fn the_lister_reads_the_json_this_toolchain_writes() {
    let root = xtask::workspace_root();
    let target = public_api::target_dir(&root).expect("target dir");
    let dir = scratch("lister-reads");
    let json = rustdoc_json(
        &dir,
        "pub struct Probe { pub count: u32 }\n\
         impl Probe { pub fn double(&self) -> u32 { self.count * 2 } }\n\
         pub(crate) fn hidden() {}\n",
    );
    let listing = public_api::list(&root, &target, &json).expect("the lister reads the file");
    let lines: Vec<&str> = listing.lines().collect();
    for wanted in [
        "pub mod probe",
        "pub struct probe::Probe",
        "pub probe::Probe::count: u32",
        "pub fn probe::Probe::double(&self) -> u32",
        "impl core::marker::Send for probe::Probe",
    ] {
        assert!(
            lines.contains(&wanted),
            "{wanted:?} missing from:\n{listing}"
        );
    }
    assert!(
        !listing.contains("hidden"),
        "a pub(crate) item is listed:\n{listing}"
    );
    assert!(
        !listing.contains("impl<T> core::convert::Into"),
        "blanket implementations are left out:\n{listing}"
    );
}

#[test]
fn the_lister_refuses_another_json_format_naming_both() {
    let root = xtask::workspace_root();
    let target = public_api::target_dir(&root).expect("target dir");
    let dir = scratch("lister-refuses");
    let json = dir.join("other.json");
    std::fs::write(&json, r#"{"format_version": 1, "index": {}}"#).expect("write");
    let err = public_api::list(&root, &target, &json).expect_err("format 1 is refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("rustdoc JSON format 1,") && message.contains("reads format "),
        "{message}"
    );
}

#[test]
fn a_stale_listing_is_a_diff_with_check_and_rewritten_without() {
    let root = scratch("stale-listing");
    let listed = LISTED[0];
    let path = root.join(listed.listing);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("create public-api/");
    let header = public_api::header(listed.package);
    std::fs::write(
        &path,
        format!("{header}pub fn a::gone()\npub fn a::kept()\n"),
    )
    .expect("write");
    let wanted = vec![(
        listed,
        format!("{header}pub fn a::added()\npub fn a::kept()\n"),
    )];

    let Outcome::Stale(diffs) = public_api::compare(&root, &wanted, true).expect("compare") else {
        panic!("a stale listing is reported");
    };
    assert_eq!(diffs.len(), 1);
    assert!(diffs[0].contains("\n+pub fn a::added()\n"), "{}", diffs[0]);
    assert!(diffs[0].contains("\n-pub fn a::gone()\n"), "{}", diffs[0]);
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("a::gone"),
        "--check writes nothing"
    );

    let Outcome::Written(files) = public_api::compare(&root, &wanted, false).expect("write") else {
        panic!("a stale listing is rewritten");
    };
    assert_eq!(files, [listed.listing]);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), wanted[0].1);
    assert!(matches!(
        public_api::compare(&root, &wanted, true).expect("compare"),
        Outcome::UpToDate
    ));
}

#[test]
fn a_missing_listing_is_written_with_its_folder() {
    let root = scratch("missing-listing");
    let listed = LISTED[1];
    let wanted = vec![(listed, public_api::header(listed.package))];
    assert!(matches!(
        public_api::compare(&root, &wanted, true).expect("compare"),
        Outcome::Stale(_)
    ));
    public_api::compare(&root, &wanted, false).expect("write");
    assert_eq!(
        std::fs::read_to_string(root.join(listed.listing)).expect("written"),
        wanted[0].1
    );
}
