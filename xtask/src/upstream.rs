//! `cargo xtask upstream <FILE>`: is our spec still HubSpot's?
//!
//! HubSpot edits a version's document after release (the 2026-03 one changed half a dozen
//! times in the parts batch upsert reaches). A maintainer saves HubSpot's current document for
//! a version (the whole `objects.json`, every operation) and runs this task on it. It picks
//! the committed spec of the same version (`openapi/crm-objects-batch-upsert-<version>.json`),
//! compares each of its operations with the same operation in HubSpot's document, and every
//! schema they reach, as a contract ([`contract`]), sets apart the differences our spec keeps
//! on purpose ([`deviations::KNOWN`], each with its reason), and prints the rest as drift, one
//! line each. Exit status: 0 when nothing but known deviations differs, 1 on drift, 2 when the
//! comparison cannot be made (no committed spec of that version, a file that is not an OpenAPI
//! document, ...).
//!
//! Our spec is compared as published: the overlay (how the client reads HubSpot's answers) is
//! not applied.

pub mod contract;
pub mod deviations;
pub mod render;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::diff::pairing;
use crate::diff::{Format, Source, Spec};
use contract::{Comparison, Difference};
use deviations::Deviation;

/// Where the committed specs live, relative to the workspace root.
pub const SPEC_DIR: &str = "openapi";
/// The committed specs are named `<SPEC_PREFIX><version>.json`.
pub const SPEC_PREFIX: &str = "crm-objects-batch-upsert-";

/// The options of `cargo xtask upstream`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// HubSpot's document, as saved by the maintainer.
    pub document: PathBuf,
    /// Our spec to compare with, instead of the committed one of the same version.
    pub spec: Option<PathBuf>,
    /// How to print the report.
    pub format: Format,
}

impl Options {
    /// Parses the arguments that follow `upstream`.
    pub fn parse(args: &[&str]) -> Result<Options> {
        let mut document: Option<PathBuf> = None;
        let mut spec: Option<PathBuf> = None;
        let mut format = Format::Text;
        let mut rest = args.iter();
        while let Some(&arg) = rest.next() {
            let mut value = |name: &str| {
                rest.next()
                    .map(|v| (*v).to_owned())
                    .with_context(|| format!("{name} needs a value"))
            };
            match arg {
                "--format" => {
                    format = match value("--format")?.as_str() {
                        "markdown" | "md" => Format::Markdown,
                        "text" => Format::Text,
                        other => bail!("unknown format `{other}`: use `markdown` or `text`"),
                    }
                }
                "--spec" => spec = Some(PathBuf::from(value("--spec")?)),
                other if other.starts_with('-') => bail!("unknown option for upstream: `{other}`"),
                other => {
                    if document.is_some() {
                        bail!("give one HubSpot document; `{other}` is a second one");
                    }
                    document = Some(PathBuf::from(other));
                }
            }
        }
        let Some(document) = document else {
            bail!(
                "name HubSpot's document: cargo xtask upstream <FILE> (save it from \
                 HubSpot/HubSpot-public-api-spec-collection, see docs/updating-api-version.md)"
            );
        };
        Ok(Options {
            document,
            spec,
            format,
        })
    }
}

/// The comparison, sorted into drift and known deviations.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where HubSpot's document came from.
    pub theirs_source: String,
    /// Where our spec came from.
    pub ours_source: String,
    /// The API version both describe.
    pub version: String,
    /// What was compared, and every difference found.
    pub comparison: Comparison,
    /// The differences no known deviation covers.
    pub drift: Vec<Difference>,
    /// The known deviations seen, each with the differences it covers.
    pub deviations: Vec<(&'static Deviation, Vec<Difference>)>,
    /// The known deviations of this version that covered nothing this time: the list may
    /// need updating.
    pub unseen: Vec<&'static Deviation>,
}

impl Report {
    /// Compares our spec with HubSpot's document and sorts the differences by the entries of
    /// `known` that apply to `version`.
    pub fn new(
        theirs: &Spec,
        ours: &Spec,
        version: &str,
        known: &'static [Deviation],
    ) -> Result<Report> {
        let comparison = contract::compare(&theirs.value, &ours.value)?;
        let mut drift = Vec::new();
        let mut deviations: Vec<(&'static Deviation, Vec<Difference>)> = Vec::new();
        let applicable: Vec<&'static Deviation> =
            known.iter().filter(|d| d.applies_to(version)).collect();
        for difference in &comparison.differences {
            match applicable.iter().copied().find(|d| d.covers(difference)) {
                Some(deviation) => match deviations.iter_mut().find(|(d, _)| *d == deviation) {
                    Some((_, covered)) => covered.push(difference.clone()),
                    None => deviations.push((deviation, vec![difference.clone()])),
                },
                None => drift.push(difference.clone()),
            }
        }
        deviations.sort_by_key(|(d, _)| known.iter().position(|k| k == *d));
        let unseen = applicable
            .into_iter()
            .filter(|k| !deviations.iter().any(|(d, _)| d == k))
            .collect();
        Ok(Report {
            theirs_source: theirs.source.clone(),
            ours_source: ours.source.clone(),
            version: version.to_owned(),
            comparison,
            drift,
            deviations,
            unseen,
        })
    }

    /// Whether our spec has drifted from HubSpot's document.
    pub fn has_drift(&self) -> bool {
        !self.drift.is_empty()
    }
}

/// The API version a document describes, from its `info.version` and the version segment of
/// its paths; an error when they disagree or neither says.
pub fn document_version(spec: &Spec) -> Result<String> {
    let info = spec
        .value
        .pointer("/info/version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty());
    let mut in_paths: Vec<&str> = spec
        .value
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.keys())
        .flat_map(|path| pairing::versions(path))
        .collect();
    in_paths.sort_unstable();
    in_paths.dedup();
    match (info, in_paths.as_slice()) {
        (Some(info), []) => Ok(info.to_owned()),
        (Some(info), paths) if paths.contains(&info) => Ok(info.to_owned()),
        (Some(info), paths) => bail!(
            "{} says `info.version` {info}, but its paths carry {}: which version it describes \
             is unclear",
            spec.source,
            paths.join(", ")
        ),
        (None, [one]) => Ok((*one).to_owned()),
        (None, []) => bail!(
            "{} has no `info.version` and no version segment in its paths: which version it \
             describes is unknown",
            spec.source
        ),
        (None, many) => bail!(
            "{} has no `info.version`, and its paths carry several versions ({})",
            spec.source,
            many.join(", ")
        ),
    }
}

/// The committed specs in `dir`, as (version, file name), by version.
pub fn committed_specs(dir: &Path) -> Result<Vec<(String, String)>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries {
        let name = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let version = name
            .strip_prefix(SPEC_PREFIX)
            .and_then(|rest| rest.strip_suffix(".json"))
            .filter(|version| !version.ends_with(".overlay") && !version.is_empty());
        if let Some(version) = version {
            found.push((version.to_owned(), name.clone()));
        }
    }
    found.sort();
    Ok(found)
}

/// The committed spec of `version` in `dir` (`<dir>/crm-objects-batch-upsert-<version>.json`),
/// checked to say that version in its `info.version`.
pub fn committed_spec(dir: &Path, shown_dir: &str, version: &str) -> Result<Spec> {
    let specs = committed_specs(dir)?;
    let Some((_, name)) = specs.iter().find(|(v, _)| v == version) else {
        let committed = if specs.is_empty() {
            "none".to_owned()
        } else {
            specs
                .iter()
                .map(|(_, name)| format!("{shown_dir}/{name}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        bail!(
            "HubSpot's document is version {version}, but no committed spec has that version: \
             {shown_dir}/{SPEC_PREFIX}{version}.json does not exist (committed: {committed}). \
             Bring that version in first (docs/updating-api-version.md), or name our side with \
             --spec FILE"
        );
    };
    let path = dir.join(name);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let spec = Spec::parse(&format!("{shown_dir}/{name}"), &text)?;
    let declared = spec.value.pointer("/info/version").and_then(Value::as_str);
    if declared != Some(version) {
        bail!(
            "{} is named for version {version} but its `info.version` is {}",
            spec.source,
            declared.map_or_else(|| "missing".to_owned(), |v| format!("`{v}`"))
        );
    }
    Ok(spec)
}

/// Loads HubSpot's document and our spec of its version, compares them and renders the report.
pub fn run(root: &Path, options: &Options) -> Result<(Report, String)> {
    let theirs = Spec::load(root, &Source::File(options.document.clone()))
        .context("loading HubSpot's document")?;
    let version = document_version(&theirs)?;
    let ours = match &options.spec {
        Some(path) => {
            let spec = Spec::load(root, &Source::File(path.clone())).context("loading our spec")?;
            let declared = spec.value.pointer("/info/version").and_then(Value::as_str);
            if declared != Some(version.as_str()) {
                bail!(
                    "HubSpot's document is version {version}, but {} says `info.version` {}: \
                     compare documents of the same version",
                    spec.source,
                    declared.unwrap_or("(none)")
                );
            }
            spec
        }
        None => committed_spec(&root.join(SPEC_DIR), SPEC_DIR, &version)?,
    };
    let report = Report::new(&theirs, &ours, &version, deviations::KNOWN)?;
    let text = match options.format {
        Format::Markdown => render::markdown(&report),
        Format::Text => render::text(&report),
    };
    Ok((report, text))
}
