//! `cargo xtask diff`: what changed between two versions of the spec, for a caller of the
//! generated Rust crate.
//!
//! This module holds the report's data model, the command-line options and the loading of the
//! two specs (from files, or from a git revision and the working tree) and of their overlays.
//! The comparison itself is in [`compare`], the pairing of operations across a version bump
//! (HubSpot's own documents carry the version in every path and `operationId`) in [`pairing`],
//! the overlay side ("what we changed in how we read it") in [`reading`], the request/response
//! reachability of schemas in [`usage`], and the Markdown and text output in [`render`].
//!
//! A spec read from a git revision is read through the overlay committed at that revision (if
//! any); a spec read from a file, through the working tree's overlay.

pub mod compare;
pub mod pairing;
pub mod reading;
pub mod render;
pub mod usage;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::generate::SPEC_FILE;
use crate::overlay::{OVERLAY_FILE, Overlay};
use reading::{LoadedOverlay, Reading};

/// How a change affects code that calls the generated crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// Code that compiled and worked against the old crate may stop compiling or working.
    Breaking,
    /// Existing code keeps compiling and working.
    Compatible,
    /// Only descriptions or other documentation changed.
    Documentation,
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mark::Breaking => "breaking",
            Mark::Compatible => "compatible",
            Mark::Documentation => "documentation",
        })
    }
}

/// What happened to the thing a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// It exists only in the new spec.
    Added,
    /// It exists only in the old spec.
    Removed,
    /// It exists in both, differently.
    Changed,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
        })
    }
}

/// The part of the spec a change belongs to; the report groups changes by subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Document-level fields: `info`, `servers`, the OpenAPI version.
    Document,
    /// An operation, named by its `operationId` (the generated method's name) or, without one,
    /// by method and path. Operations are paired across the two specs by `operationId`, or by
    /// method and path with the version segment of the path set aside ([`pairing`]).
    Operation {
        /// The `operationId` (the new one when it changed), or `METHOD /path`.
        id: String,
        /// `METHOD /path` in the new spec, or in the old one when the operation was removed.
        endpoint: String,
    },
    /// A schema under `components/schemas` (a generated type).
    Schema {
        /// The schema's name, which is the generated type's name.
        name: String,
        /// Whether requests, responses or both reach it, in either spec.
        usage: usage::Usage,
    },
}

/// One reported change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What the change belongs to.
    pub subject: Subject,
    /// Where inside the subject: a field path such as `results[].id`, `response 207`,
    /// `endpoint`, or empty for the subject as a whole.
    pub location: String,
    /// Added, removed or changed.
    pub kind: Kind,
    /// Breaking, compatible or documentation.
    pub mark: Mark,
    /// What changed and, for breaking changes, why it breaks callers.
    pub detail: String,
    /// For an operation's `endpoint` change whose paths differ in their version segment only
    /// (`/crm/objects/2026-03/...` → `/crm/objects/2026-09/...`): the version it moved
    /// between. The report says such moves once for all the operations that share them.
    pub moved: Option<VersionMove>,
}

/// The version an operation's path moved between, when nothing else in the path changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionMove {
    /// The version segment(s) of the old path, such as `2026-03` or `v3`.
    pub from: String,
    /// The version segment(s) of the new path.
    pub to: String,
    /// Whether the `operationId` stayed the same (this project's specs: the generated method
    /// keeps its name); otherwise it changed with the version only (HubSpot's documents, whose
    /// ids are built from the paths).
    pub same_id: bool,
}

/// The comparison of two specs.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where the old spec came from, for the heading.
    pub old_source: String,
    /// Where the new spec came from, for the heading.
    pub new_source: String,
    /// The old spec's `info.version`, when it has one.
    pub old_version: Option<String>,
    /// The new spec's `info.version`, when it has one.
    pub new_version: Option<String>,
    /// What HubSpot changed: every change between the two specs as published, grouped by
    /// subject: document, then operations, then schemas.
    pub changes: Vec<Change>,
    /// What we changed in how we read it: the overlays compared, and what they add to or
    /// hide from [`Report::changes`]. Empty when neither spec is read through an overlay.
    pub reading: Reading,
}

impl Report {
    /// Compares two parsed specs as published, without overlays.
    pub fn new(old: &Spec, new: &Spec) -> Result<Report> {
        Report::with_overlays(old, new, None, None)
    }

    /// Compares two parsed specs, each also read through its overlay.
    pub fn with_overlays(
        old: &Spec,
        new: &Spec,
        old_overlay: Option<&LoadedOverlay>,
        new_overlay: Option<&LoadedOverlay>,
    ) -> Result<Report> {
        let changes = compare::compare(&old.value, &new.value)?;
        let reading = if old_overlay.is_none() && new_overlay.is_none() {
            Reading::default()
        } else {
            Reading::new(&old.value, &new.value, old_overlay, new_overlay, &changes)?
        };
        let version = |spec: &Spec| {
            spec.value
                .pointer("/info/version")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Ok(Report {
            old_source: old.source.clone(),
            new_source: new.source.clone(),
            old_version: version(old),
            new_version: version(new),
            changes,
            reading,
        })
    }

    /// How many of HubSpot's changes, in the specs as published, carry `mark`.
    pub fn count_published(&self, mark: Mark) -> usize {
        self.changes.iter().filter(|c| c.mark == mark).count()
    }

    /// How many changes that a caller of the generated crate sees carry `mark`: HubSpot's
    /// changes that the overlay does not absorb, and the changes the overlay itself causes.
    pub fn count(&self, mark: Mark) -> usize {
        let hubspot = self
            .changes
            .iter()
            .enumerate()
            .filter(|(index, c)| c.mark == mark && !self.reading.absorbed.contains(index))
            .count();
        hubspot
            + self
                .reading
                .effect
                .iter()
                .filter(|c| c.mark == mark)
                .count()
    }

    /// Whether any change breaks callers.
    pub fn has_breaking(&self) -> bool {
        self.count(Mark::Breaking) > 0
    }
}

/// A spec read from somewhere, with a name for that place.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where it came from: a path, or `path at REV`.
    pub source: String,
    /// The parsed document.
    pub value: Value,
}

impl Spec {
    /// Parses `text` as an OpenAPI 3 document read from `source`.
    pub fn parse(source: &str, text: &str) -> Result<Spec> {
        let value: Value =
            serde_json::from_str(text).with_context(|| format!("{source} is not valid JSON"))?;
        let Some(version) = value.get("openapi").and_then(Value::as_str) else {
            bail!("{source} is not an OpenAPI document: it has no `openapi` version string");
        };
        if !version.starts_with("3.") {
            bail!("{source} is OpenAPI {version}; only OpenAPI 3.x documents can be compared");
        }
        Ok(Spec {
            source: source.to_owned(),
            value,
        })
    }

    /// Reads and parses the spec `source` names, relative to the workspace `root`.
    pub fn load(root: &Path, source: &Source) -> Result<Spec> {
        match source {
            Source::File(path) => {
                // A relative path is read from the current directory when it exists there,
                // otherwise from the workspace root (cargo runs xtask wherever it was invoked).
                let full = if path.is_absolute() || path.exists() {
                    path.clone()
                } else {
                    root.join(path)
                };
                let text = std::fs::read_to_string(&full)
                    .with_context(|| format!("reading {}", full.display()))?;
                Spec::parse(&path.display().to_string(), &text)
            }
            Source::Git { rev, path } => {
                let (path, text) = git_show_spec(root, rev, path)?;
                Spec::parse(&format!("{path} at {rev}"), &text)
            }
        }
    }
}

/// Where to read a spec from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file: absolute, relative to the current directory, or relative to the workspace root.
    File(PathBuf),
    /// A file as committed at a git revision. When the file does not exist at that revision
    /// (the spec was copied under a new dated name since), the only `.json` file under
    /// `openapi/` at that revision (overlays aside) is used instead.
    Git {
        /// Any revision `git show` accepts.
        rev: String,
        /// The path inside the repository.
        path: String,
    },
}

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Headings and tables, to paste into a pull request.
    Markdown,
    /// Indented plain text, for a terminal.
    Text,
}

/// The options of `cargo xtask diff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The old spec.
    pub old: Source,
    /// The new spec.
    pub new: Source,
    /// How to print the report.
    pub format: Format,
    /// Exit non-zero when anything breaks.
    pub deny_breaking: bool,
}

impl Options {
    /// Parses the arguments that follow `diff`.
    pub fn parse(args: &[&str]) -> Result<Options> {
        let mut base: Option<String> = None;
        let mut old: Option<PathBuf> = None;
        let mut new: Option<PathBuf> = None;
        let mut format = Format::Markdown;
        let mut deny_breaking = false;
        let mut rest = args.iter();
        while let Some(&arg) = rest.next() {
            let mut value = |name: &str| {
                rest.next()
                    .map(|v| (*v).to_owned())
                    .with_context(|| format!("{name} needs a value"))
            };
            match arg {
                "--base" => base = Some(value("--base")?),
                "--old" => old = Some(PathBuf::from(value("--old")?)),
                "--new" => new = Some(PathBuf::from(value("--new")?)),
                "--format" => {
                    format = match value("--format")?.as_str() {
                        "markdown" | "md" => Format::Markdown,
                        "text" => Format::Text,
                        other => bail!("unknown format `{other}`: use `markdown` or `text`"),
                    }
                }
                "--deny-breaking" => deny_breaking = true,
                other => bail!("unknown option for diff: `{other}`"),
            }
        }
        let old = match (base, old) {
            (Some(_), Some(_)) => bail!("give either --base or --old, not both"),
            (_, Some(path)) => Source::File(path),
            (base, None) => Source::Git {
                rev: base.unwrap_or_else(|| "HEAD".to_owned()),
                path: SPEC_FILE.to_owned(),
            },
        };
        let new = Source::File(new.unwrap_or_else(|| PathBuf::from(SPEC_FILE)));
        Ok(Options {
            old,
            new,
            format,
            deny_breaking,
        })
    }
}

/// The overlay a spec from `source` is read through: the one committed at the revision for
/// a git source, the working tree's for a file; `None` when there is none.
pub fn load_overlay(root: &Path, source: &Source) -> Result<Option<LoadedOverlay>> {
    let (name, text) = match source {
        Source::Git { rev, .. } => match git_show(root, rev, OVERLAY_FILE)? {
            Some(text) => (format!("{OVERLAY_FILE} at {rev}"), text),
            None => return Ok(None),
        },
        Source::File(_) => {
            let path = root.join(OVERLAY_FILE);
            if !path.exists() {
                return Ok(None);
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            (OVERLAY_FILE.to_owned(), text)
        }
    };
    let overlay = Overlay::parse(&name, &text)?;
    Ok(Some(LoadedOverlay {
        source: name,
        overlay,
    }))
}

/// Loads both specs and their overlays, compares them and renders the report.
pub fn run(root: &Path, options: &Options) -> Result<(Report, String)> {
    let old = Spec::load(root, &options.old).context("loading the old spec")?;
    let new = Spec::load(root, &options.new).context("loading the new spec")?;
    let old_overlay = load_overlay(root, &options.old).context("loading the old overlay")?;
    let new_overlay = load_overlay(root, &options.new).context("loading the new overlay")?;
    let report = Report::with_overlays(&old, &new, old_overlay.as_ref(), new_overlay.as_ref())?;
    let text = match options.format {
        Format::Markdown => render::markdown(&report),
        Format::Text => render::text(&report),
    };
    Ok((report, text))
}

/// `git show REV:PATH`, falling back to the single spec under `openapi/` at `rev`.
fn git_show_spec(root: &Path, rev: &str, path: &str) -> Result<(String, String)> {
    if let Some(text) = git_show(root, rev, path)? {
        return Ok((path.to_owned(), text));
    }
    let listing = git(root, &["ls-tree", "--name-only", rev, "openapi/"])
        .with_context(|| format!("listing openapi/ at {rev}"))?;
    let candidates: Vec<&str> = listing
        .lines()
        .filter(|name| name.ends_with(".json") && !name.ends_with(".overlay.json"))
        .collect();
    match candidates.as_slice() {
        [only] => match git_show(root, rev, only)? {
            Some(text) => Ok(((*only).to_owned(), text)),
            None => bail!("{only} is listed at {rev} but `git show` cannot read it"),
        },
        [] => bail!("{path} does not exist at {rev}, and {rev} has no .json file under openapi/"),
        many => bail!(
            "{path} does not exist at {rev}, which has several specs under openapi/ ({}); \
             name the old one with --old",
            many.join(", ")
        ),
    }
}

/// The content of `path` at `rev`, or `None` when it does not exist there.
fn git_show(root: &Path, rev: &str, path: &str) -> Result<Option<String>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("{rev}:{path}")])
        .output()
        .context("running git (is it installed?)")?;
    if output.status.success() {
        let text = String::from_utf8(output.stdout)
            .with_context(|| format!("{path} at {rev} is not UTF-8"))?;
        return Ok(Some(text));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("does not exist") || stderr.contains("exists on disk, but not in") {
        return Ok(None);
    }
    bail!("git show {rev}:{path} failed: {}", stderr.trim())
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .context("running git (is it installed?)")?;
    if !output.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).context("git printed something that is not UTF-8")
}
