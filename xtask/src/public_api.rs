//! `cargo xtask public-api [--check]`: the public API of each published hand-written crate,
//! one item a line, committed under `public-api/` so that a change to it shows in review as
//! a diff, as a change of the spec does.
//!
//! The listing is cargo-public-api's (its `public-api` library, run by the small package in
//! `xtask/public-api-lister/`): every public item with its full path and signature, the
//! implementations of traits on public types (derived and auto traits included, blanket
//! implementations left out), sorted. It is read from rustdoc's JSON output, which is
//! unstable: the stable toolchain's rustdoc emits it with `RUSTC_BOOTSTRAP=1`, set for rustdoc
//! alone (the xtask binary stands in as cargo's rustdoc and sets it), so the dependencies are
//! checked as for any `cargo doc` and their artifacts are shared with it; the lister refuses a
//! JSON format other than the one its pinned `public-api` reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::generate::Outcome;

/// A published crate whose public API is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The package's name.
    pub package: &'static str,
    /// The committed listing, relative to the workspace root.
    pub listing: &'static str,
}

/// The published library crates written by hand. (`hubspot-crm-api` is generated: its surface
/// follows the spec, which `generate --check` already holds to; `hubspot-upsert` is a binary.)
pub const LISTED: &[Listed] = &[
    Listed {
        package: "hubspot-crm",
        listing: "public-api/hubspot-crm.txt",
    },
    Listed {
        package: "hubspot-crm-mock",
        listing: "public-api/hubspot-crm-mock.txt",
    },
];

/// The lister's manifest, relative to the workspace root.
pub const LISTER_MANIFEST: &str = "xtask/public-api-lister/Cargo.toml";

/// The first line of every listing.
pub fn header(package: &str) -> String {
    format!(
        "# The public API of {package}, as `cargo xtask public-api` lists it; do not edit by hand.\n"
    )
}

/// The cargo that runs xtask (`cargo xtask` sets `CARGO`), or the one on `PATH`.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The workspace's target directory, as cargo resolves it (`CARGO_TARGET_DIR`, config, or
/// `target/`).
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    let output = cargo()
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading cargo metadata's output")?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata names no target_directory")
}

/// Set to the real rustdoc when the xtask binary runs as cargo's rustdoc ([`run_as_rustdoc`]).
pub const RUSTDOC_WRAPPER_ENV: &str = "XTASK_RUSTDOC";

/// Runs `rustdoc` (the program named by [`RUSTDOC_WRAPPER_ENV`]) with this process's
/// arguments and `RUSTC_BOOTSTRAP=1`, and returns its exit status: what the xtask binary does
/// when cargo runs it as rustdoc.
pub fn run_as_rustdoc(rustdoc: &std::ffi::OsStr) -> std::process::ExitCode {
    let status = Command::new(rustdoc)
        .args(std::env::args_os().skip(1))
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove(RUSTDOC_WRAPPER_ENV)
        .status();
    match status {
        Ok(status) if status.success() => std::process::ExitCode::SUCCESS,
        Ok(status) => std::process::ExitCode::from(
            status
                .code()
                .and_then(|code| u8::try_from(code).ok())
                .unwrap_or(1),
        ),
        Err(err) => {
            eprintln!("error: running {}: {err}", rustdoc.to_string_lossy());
            std::process::ExitCode::FAILURE
        }
    }
}

/// Builds `package`'s rustdoc JSON and returns its path.
fn rustdoc_json(root: &Path, target: &Path, package: &str) -> Result<PathBuf> {
    let status = cargo()
        .current_dir(root)
        .args(["rustdoc", "--quiet", "--locked", "--lib", "-p", package])
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        // rustdoc's JSON output is unstable: the stable toolchain's rustdoc emits it with
        // RUSTC_BOOTSTRAP=1, which this binary, standing in as cargo's rustdoc, sets for rustdoc
        // alone. Set for all of cargo, build scripts that watch it (proc-macro2, anyhow,
        // thiserror) would rerun and every crate above them would rebuild, here and again in
        // the next ordinary build.
        .env(
            "RUSTDOC",
            std::env::current_exe().context("locating the xtask binary")?,
        )
        .env(
            RUSTDOC_WRAPPER_ENV,
            std::env::var_os("RUSTDOC").unwrap_or_else(|| "rustdoc".into()),
        )
        .status()
        .with_context(|| format!("running cargo rustdoc for {package}"))?;
    if !status.success() {
        bail!("cargo rustdoc -p {package} (JSON output) failed");
    }
    let path = target
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_")));
    if !path.is_file() {
        bail!("cargo rustdoc wrote no {}", path.display());
    }
    Ok(path)
}

/// Runs the lister on one rustdoc JSON file and returns the items it lists, one a line. It
/// builds from its own lock file into `target/public-api-lister/`, once.
pub fn list(root: &Path, target: &Path, json: &Path) -> Result<String> {
    let output = cargo()
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--locked",
            "--manifest-path",
            LISTER_MANIFEST,
        ])
        .arg("--target-dir")
        .arg(target.join("public-api-lister"))
        .arg("--")
        .arg(json)
        .output()
        .context("running xtask/public-api-lister")?;
    if !output.status.success() {
        bail!(
            "xtask/public-api-lister failed on {}: {}",
            json.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).context("the listing is not UTF-8")
}

/// The listing of each of [`LISTED`] as the sources stand, header included.
pub fn render(root: &Path) -> Result<Vec<(Listed, String)>> {
    let target = target_dir(root)?;
    LISTED
        .iter()
        .map(|listed| {
            let json = rustdoc_json(root, &target, listed.package)?;
            let items = list(root, &target, &json)?;
            Ok((*listed, format!("{}{items}", header(listed.package))))
        })
        .collect()
}

/// Compares the wanted listings with the committed files under `root`; rewrites the stale
/// ones, or with `check` returns their diffs.
pub fn compare(root: &Path, wanted: &[(Listed, String)], check: bool) -> Result<Outcome> {
    let mut stale = Vec::new();
    for (listed, text) in wanted {
        let path = root.join(listed.listing);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if &current != text {
            stale.push((listed.listing, current, text));
        }
    }
    if stale.is_empty() {
        return Ok(Outcome::UpToDate);
    }
    if check {
        let diffs = stale
            .iter()
            .map(|(listing, current, wanted)| diff(listing, current, wanted))
            .collect();
        return Ok(Outcome::Stale(diffs));
    }
    let mut written = Vec::new();
    for (listing, _, text) in stale {
        let path = root.join(listing);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(listing);
    }
    Ok(Outcome::Written(written))
}

/// A unified diff from the committed listing to the one the sources give: `+` is an item
/// the sources add to the public API, `-` one they take away.
pub fn diff(listing: &str, committed: &str, wanted: &str) -> String {
    similar::TextDiff::from_lines(committed, wanted)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{listing} (committed)"),
            &format!("{listing} (from the sources)"),
        )
        .to_string()
}

/// Lists the public API of every crate of [`LISTED`] and writes (or with `check`, compares).
pub fn run(root: &Path, check: bool) -> Result<Outcome> {
    let wanted = render(root)?;
    compare(root, &wanted, check)
}
