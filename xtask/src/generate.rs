//! `cargo xtask generate [--check]`: each spec in `openapi/` becomes a module of the generated
//! client, one per API version ([`VERSIONS`]).
//!
//! The steps: read the spec and the overlay, check both are in canonical form (sorted keys,
//! two-space indentation), apply the overlay's tolerant reading ([`crate::overlay`]), then the
//! rewrites of [`crate::rewrite`], run progenitor's builder-style generator, pretty-print the
//! tokens with prettyplease (pure Rust, so the output does not depend on the installed
//! rustfmt), and prepend a header naming the spec, the overlays and their SHA-256.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::overlay::{self, OVERLAY_FILE};
use crate::rewrite;

/// One API version the workspace speaks: its spec, its own overlay (when it needs one beside
/// the shared [`OVERLAY_FILE`]) and the module generated from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiVersion {
    /// HubSpot's name of the version: the dated segment of the path, such as `2026-09`.
    pub name: &'static str,
    /// The spec, relative to the workspace root.
    pub spec: &'static str,
    /// The overlay for this version alone, applied after the shared one.
    pub overlay: Option<&'static str>,
    /// The generated module, relative to the workspace root.
    pub generated: &'static str,
}

/// Every version the workspace speaks, oldest first. Adding one: its spec (and overlay, if it
/// needs one) in `openapi/`, an entry here, a `pub mod` line in `hubspot-crm-api/src/lib.rs`,
/// and its adapter in `hubspot-crm`.
pub const VERSIONS: &[ApiVersion] = &[
    ApiVersion {
        name: "2026-03",
        spec: "openapi/crm-objects-batch-upsert-2026-03.json",
        overlay: None,
        generated: "crates/hubspot-crm-api/src/v2026_03.rs",
    },
    ApiVersion {
        name: "2026-09",
        spec: "openapi/crm-objects-batch-upsert-2026-09.json",
        overlay: Some("openapi/crm-objects-batch-upsert-2026-09.overlay.json"),
        generated: "crates/hubspot-crm-api/src/v2026_09.rs",
    },
];

/// The spec of HubSpot's current version (the newest of [`VERSIONS`]), relative to the
/// workspace root; `cargo xtask diff` compares it by default.
pub const SPEC_FILE: &str = "openapi/crm-objects-batch-upsert-2026-09.json";
/// The module generated from [`SPEC_FILE`], relative to the workspace root.
pub const GENERATED_FILE: &str = "crates/hubspot-crm-api/src/v2026_09.rs";

/// What a generation of one version produced, before anything is written.
#[derive(Debug)]
pub struct Rendered {
    /// The version rendered.
    pub version: ApiVersion,
    /// The spec in canonical form.
    pub spec: String,
    /// The shared overlay in canonical form, when the workspace has one.
    pub overlay: Option<String>,
    /// The version's own overlay in canonical form, when it has one.
    pub version_overlay: Option<String>,
    /// The overlay actions that were applied, in order (the shared overlay's first).
    pub overlay_actions: Vec<overlay::Applied>,
    /// The generated Rust source.
    pub code: String,
    /// The rewrites that were applied to the spec before generation.
    pub rewrites: Vec<rewrite::Applied>,
}

/// What [`run`] did.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing differed.
    UpToDate,
    /// These files were rewritten.
    Written(Vec<&'static str>),
    /// `--check`: these unified diffs show what is stale.
    Stale(Vec<String>),
}

/// Renders the spec of HubSpot's current version ([`SPEC_FILE`]) at `root` into generated
/// code without writing anything.
pub fn render(root: &Path) -> Result<Rendered> {
    let current = VERSIONS
        .iter()
        .find(|v| v.spec == SPEC_FILE)
        .context("SPEC_FILE is one of VERSIONS")?;
    render_version(root, current)
}

/// Renders one version's spec at `root` into generated code without writing anything.
pub fn render_version(root: &Path, version: &ApiVersion) -> Result<Rendered> {
    let spec_file = version.spec;
    let spec_path = root.join(spec_file);
    let text = std::fs::read_to_string(&spec_path)
        .with_context(|| format!("reading {}", spec_path.display()))?;
    let mut value: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {spec_file} as JSON"))?;
    let spec = canonical_json(&value);
    let (overlay, mut overlay_actions) = apply_overlay(root, OVERLAY_FILE, spec_file, &mut value)?;
    let version_overlay = match version.overlay {
        Some(file) => {
            let (text, applied) = apply_overlay(root, file, spec_file, &mut value)?;
            overlay_actions.extend(applied);
            text
        }
        None => None,
    };
    let rewrites = rewrite::apply_all(&mut value).context("rewriting the spec for progenitor")?;
    let openapi: openapiv3::OpenAPI = serde_json::from_value(value)
        .with_context(|| format!("{spec_file} is not an OpenAPI 3.0 document"))?;
    let tokens = generate_tokens(&openapi, spec_file)?;
    let file: syn::File = syn::parse2(tokens).context("progenitor produced unparsable Rust")?;
    let body = prettyplease::unparse(&file);
    let mut header = format!(
        "// @generated by `cargo xtask generate` from {spec_file}\n// (sha256 {})",
        sha256_hex(&spec)
    );
    for (file, text) in [
        (Some(OVERLAY_FILE), overlay.as_deref()),
        (version.overlay, version_overlay.as_deref()),
    ] {
        if let (Some(file), Some(text)) = (file, text) {
            header.push_str(&format!(
                " read through {file}\n// (sha256 {})",
                sha256_hex(text)
            ));
        }
    }
    header.push_str(". Do not edit by hand: edit the spec or the overlay and regenerate.\n");
    let code = format!("{header}\n{body}");
    Ok(Rendered {
        version: *version,
        spec,
        overlay,
        version_overlay,
        overlay_actions,
        code,
        rewrites,
    })
}

/// Applies the overlay `file`, when the workspace has it, to the spec `value` read from
/// `spec_file`; returns the overlay in canonical form and the actions applied.
fn apply_overlay(
    root: &Path,
    file: &str,
    spec_file: &str,
    value: &mut Value,
) -> Result<(Option<String>, Vec<overlay::Applied>)> {
    let path = root.join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok((None, Vec::new())),
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    let parsed: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {file} as JSON"))?;
    let document = overlay::Overlay::from_value(&parsed)
        .with_context(|| format!("{file} is not a usable overlay"))?;
    let applied = document
        .apply(value)
        .with_context(|| format!("applying {file} to {spec_file}"))?;
    Ok((Some(canonical_json(&parsed)), applied))
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Generates (or with `check`, verifies) the committed files of every version under `root`.
pub fn run(root: &Path, check: bool) -> Result<Outcome> {
    let rendered = VERSIONS
        .iter()
        .map(|version| render_version(root, version))
        .collect::<Result<Vec<_>>>()?;
    let mut targets: Vec<(&'static str, &str)> = Vec::new();
    if let Some(overlay) = rendered.iter().find_map(|r| r.overlay.as_deref()) {
        targets.push((OVERLAY_FILE, overlay));
    }
    for r in &rendered {
        targets.push((r.version.spec, &r.spec));
        if let (Some(file), Some(text)) = (r.version.overlay, &r.version_overlay) {
            targets.push((file, text));
        }
        targets.push((r.version.generated, &r.code));
    }
    let mut stale = Vec::new();
    for (relative, wanted) in targets {
        let path = root.join(relative);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != wanted {
            stale.push((relative, current, wanted));
        }
    }
    if stale.is_empty() {
        return Ok(Outcome::UpToDate);
    }
    if check {
        let diffs = stale
            .iter()
            .map(|(relative, current, wanted)| unified_diff(relative, current, wanted))
            .collect();
        return Ok(Outcome::Stale(diffs));
    }
    for r in &rendered {
        for action in &r.overlay_actions {
            println!(
                "{}: overlay action applied at {}: {}",
                r.version.name,
                action.matched.join(", "),
                action.description
            );
        }
        for rule in &r.rewrites {
            println!(
                "{}: rewrite applied to {}: {}",
                r.version.name, rule.operation, rule.rule
            );
        }
    }
    let mut written = Vec::new();
    for (relative, _, wanted) in stale {
        let path = root.join(relative);
        std::fs::write(&path, wanted).with_context(|| format!("writing {}", path.display()))?;
        written.push(relative);
    }
    Ok(Outcome::Written(written))
}

/// A unified diff from `current` to `wanted`, headed by the file name.
pub fn unified_diff(name: &str, current: &str, wanted: &str) -> String {
    similar::TextDiff::from_lines(current, wanted)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{name} (committed)"),
            &format!("{name} (generated)"),
        )
        .to_string()
}

/// Pretty-prints JSON with every object's keys sorted and a final newline.
pub fn canonical_json(value: &Value) -> String {
    let sorted = sort_keys(value);
    let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
    text.push('\n');
    text
}

fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        // The client's state, for its hooks: how it authorizes (a fixed token or a token
        // source asked per request), what sends (reqwest, or a test seam below the generated
        // code) and where response heads are recorded. Hand-written in hubspot-crm-api/src/hooks.rs.
        .with_inner_type(INNER_TYPE.parse().expect("INNER_TYPE is a Rust path"))
        // That module implements `ClientHooks` (pre: Authorization; exec: the seam; post:
        // status and headers before the body is read); a missing impl is a compile error.
        .with_hooks(HooksMode::Expected)
        // Property maps keep the order they were written and read in: request bodies are
        // deterministic and `hubspot-crm` uses the generated map as its `Properties`. The
        // alias (hubspot-crm-api/src/lib.rs) is `indexmap::IndexMap` with foldhash's seeded
        // hasher (why: the alias's docs; the figure: BENCHMARKS.md, peers scenario), and
        // typify appends `<K, V>` to this path, so a hasher can only be chosen through an
        // alias.
        .with_map_type("crate::OrderedMap");
    settings
}

/// The generated client's inner type, defined by hand beside the generated code.
const INNER_TYPE: &str = "crate::hooks::Inner";

/// Runs progenitor, turning its panics (it asserts on specs it cannot handle) into errors.
fn generate_tokens(spec: &openapiv3::OpenAPI, spec_file: &str) -> Result<proc_macro2::TokenStream> {
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        Generator::new(&settings()).generate_tokens(spec)
    }));
    panic::set_hook(previous_hook);
    match result {
        Ok(generated) => generated.map_err(|err| anyhow!("progenitor rejected the spec: {err}")),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Err(anyhow!(
                "progenitor panicked while generating from {spec_file}: {message}. \
                 The spec likely uses a construct progenitor 0.15 cannot handle \
                 (for example success and default responses of different types); \
                 add a rewrite in xtask/src/rewrite.rs"
            ))
        }
    }
}
