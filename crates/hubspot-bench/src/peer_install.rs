//! HubSpot's own SDKs as benchmark contenders: installs them, pinned, into a cache folder
//! under `target/` with npm and pip, and writes the small driver scripts beside them.
//!
//! An SDK that cannot be installed (no `node`, no network to the registry, a failed build)
//! is reported with the reason, and its rows are skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Node SDK and the version the bench pins.
pub const NODE_PACKAGE: &str = "@hubspot/api-client@14.0.1";
/// The Python SDK and the version the bench pins (a pre-release: HubSpot publishes only
/// alphas of it so far, so pip needs `--pre`).
pub const PYTHON_PACKAGE: &str = "hubspot-sdk==0.1.0a9";

const NODE_DRIVER: &str = include_str!("../peers/node_peer.js");
const PYTHON_DRIVER: &str = include_str!("../peers/python_peer.py");

/// An installed peer: the interpreter and the driver script to give it.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The contender's name in the figures.
    pub name: &'static str,
    /// The interpreter (`node`, or the venv's `python`).
    pub program: PathBuf,
    /// The driver script.
    pub script: PathBuf,
    /// What was installed, for the set-up line.
    pub package: &'static str,
}

/// Installs (or finds, from an earlier run) each peer under `cache`; the error of each that
/// could not be installed.
pub fn install(cache: &Path) -> (Vec<Peer>, Vec<String>) {
    let mut peers = Vec::new();
    let mut problems = Vec::new();
    match install_node(&cache.join("node")) {
        Ok(p) => peers.push(p),
        Err(e) => problems.push(format!("Node SDK ({NODE_PACKAGE}) not installed: {e:#}")),
    }
    match install_python(&cache.join("python")) {
        Ok(p) => peers.push(p),
        Err(e) => problems.push(format!(
            "Python SDK ({PYTHON_PACKAGE}) not installed: {e:#}"
        )),
    }
    (peers, problems)
}

fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| anyhow::anyhow!("{what}: could not start: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err.lines().rev().take(4).collect::<Vec<_>>().join(" / ");
        anyhow::bail!("{what} failed ({}): {tail}", out.status);
    }
    Ok(())
}

/// Installs (or finds) the Node SDK under `dir`: the small-jobs scenario needs only this one.
pub fn install_node(dir: &Path) -> anyhow::Result<Peer> {
    std::fs::create_dir_all(dir)?;
    let marker = dir.join(format!(
        "installed-{}",
        NODE_PACKAGE.replace(['/', '@'], "_")
    ));
    if !marker.exists() {
        eprintln!(
            "   installing {NODE_PACKAGE} with npm into {}",
            dir.display()
        );
        run(
            Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--no-save",
                    "--prefix",
                ])
                .arg(dir)
                .arg(NODE_PACKAGE),
            "npm install",
        )?;
        std::fs::write(&marker, "")?;
    }
    let script = dir.join("node_peer.js");
    std::fs::write(&script, NODE_DRIVER)?;
    Ok(Peer {
        name: "Node SDK",
        program: PathBuf::from("node"),
        script,
        package: NODE_PACKAGE,
    })
}

fn install_python(dir: &Path) -> anyhow::Result<Peer> {
    let python = dir.join("venv").join("bin").join("python");
    let marker = dir.join(format!("installed-{}", PYTHON_PACKAGE.replace('=', "_")));
    if !marker.exists() {
        std::fs::create_dir_all(dir)?;
        eprintln!(
            "   installing {PYTHON_PACKAGE} with pip into {}",
            dir.display()
        );
        if !python.exists() {
            run(
                Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(dir.join("venv")),
                "python3 -m venv",
            )?;
        }
        run(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--pre",
                PYTHON_PACKAGE,
            ]),
            "pip install",
        )?;
        std::fs::write(&marker, "")?;
    }
    let script = dir.join("python_peer.py");
    std::fs::write(&script, PYTHON_DRIVER)?;
    Ok(Peer {
        name: "Python SDK",
        program: python,
        script,
        package: PYTHON_PACKAGE,
    })
}
