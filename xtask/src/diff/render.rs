//! The report as Markdown (for a pull request) or plain text (for a terminal).
//!
//! Both put the counts first, then one block per subject (the document, each operation, each
//! schema) with its breaking changes before its compatible ones, and gather the
//! documentation-only changes in a last block so that they do not crowd the one screen a
//! reviewer reads. HubSpot's changes come first; the overlay side ("how we read it") follows
//! in a section of its own.
//!
//! Across a version bump every operation's path moves (`/2026-03/` to `/2026-09/`). When
//! several operations move by the same version and nothing else in their paths changes, the
//! move is said once, as a `paths` line of the document block, and each operation's block shows
//! only its other changes. An operation whose `operationId` is built from its path (HubSpot's
//! documents) is headed by its method and path alone.

use std::fmt::Write as _;

use super::reading::Reading;
use super::{Change, Kind, Mark, Report, Subject, VersionMove};

/// The report as Markdown: a heading, the counts, one table per subject, and a list of
/// documentation changes.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## API changes: {}\n", title(report));
    let _ = writeln!(
        out,
        "Old spec: `{}`; new spec: `{}`.\n",
        report.old_source, report.new_source
    );
    if report.changes.is_empty() {
        out.push_str("No changes.\n");
        markdown_reading(&mut out, report);
        return out;
    }
    let _ = writeln!(out, "{}\n", counts(report, "**", "**"));
    let moves = shared_moves(report);
    for (subject, changes) in groups(report, &moves) {
        let _ = writeln!(out, "### {}\n", heading(subject, "`"));
        out.push_str("| Mark | Where | Change | Detail |\n|---|---|---|---|\n");
        for change in changes {
            let mark = match change.mark {
                Mark::Breaking => "**breaking**".to_owned(),
                other => other.to_string(),
            };
            let _ = writeln!(
                out,
                "| {mark} | {} | {} | {} |",
                cell(&location(change, "`")),
                change.kind,
                cell(&change.detail)
            );
        }
        out.push('\n');
        if *subject == Subject::Document {
            for moved in &moves {
                let _ = writeln!(
                    out,
                    "<details><summary>The {} operations moved from {} to {}</summary>\n",
                    moved.operations.len(),
                    moved.version.from,
                    moved.version.to,
                );
                for endpoint in &moved.operations {
                    let _ = writeln!(out, "- `{endpoint}`");
                }
                out.push_str("\n</details>\n\n");
            }
        }
    }
    let docs = documentation(report);
    if !docs.is_empty() {
        out.push_str("### Documentation changes\n\n");
        let long = docs.len() > DOCUMENTATION_LISTED;
        if long {
            let _ = writeln!(
                out,
                "<details><summary>{}</summary>\n",
                documentation_summary(report)
            );
        }
        // Several documentation changes at one place (an operation's summary and description)
        // share a line.
        let mut merged: Vec<(String, Vec<String>)> = Vec::new();
        for (place, what) in docs {
            match merged.last_mut() {
                Some((last, whats)) if *last == place => whats.push(what),
                _ => merged.push((place, vec![what])),
            }
        }
        for (place, whats) in merged {
            let _ = writeln!(out, "- {place}: {}", whats.join(", "));
        }
        if long {
            out.push_str("\n</details>\n");
        }
    }
    markdown_reading(&mut out, report);
    out
}

/// The overlay section of the Markdown report; nothing when the reading is unchanged.
fn markdown_reading(out: &mut String, report: &Report) {
    let reading = &report.reading;
    if reading.is_empty() {
        return;
    }
    out.push_str("\n## How we read it: the overlay\n\n");
    let _ = writeln!(out, "{}\n", overlay_sources(reading, "`"));
    if !reading.effect.is_empty() || !reading.absorbed.is_empty() {
        let _ = writeln!(
            out,
            "Read through the overlays, {}\n",
            counts_read(report, "**", "**")
        );
    }
    if !reading.actions.is_empty() {
        out.push_str("### Overlay actions\n\n| Change | Target | Detail |\n|---|---|---|\n");
        for action in &reading.actions {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                action.kind,
                cell(&action.target),
                cell(&action.detail)
            );
        }
        out.push('\n');
    }
    if !reading.unmatched.is_empty() {
        out.push_str("### Actions that match nothing in the new spec\n\n");
        for target in &reading.unmatched {
            let _ = writeln!(
                out,
                "- `{target}`: `cargo xtask generate` refuses the overlay until this action is fixed"
            );
        }
        out.push('\n');
    }
    if !reading.effect.is_empty() {
        out.push_str("### What the reading changes for callers\n\n| Mark | Where | Change | Detail |\n|---|---|---|---|\n");
        for change in &reading.effect {
            let mark = match change.mark {
                Mark::Breaking => "**breaking**".to_owned(),
                other => other.to_string(),
            };
            let _ = writeln!(
                out,
                "| {mark} | {}, {} | {} | {} |",
                heading(&change.subject, "`"),
                cell(&location(change, "`")),
                change.kind,
                cell(&change.detail)
            );
        }
        out.push('\n');
    }
    if !reading.absorbed.is_empty() {
        out.push_str(
            "### HubSpot's changes the reading absorbs (the generated crate does not change)\n\n",
        );
        for change in absorbed(report) {
            let _ = writeln!(
                out,
                "- {}, {}: {}",
                heading(&change.subject, "`"),
                location(change, "`"),
                change.detail
            );
        }
    }
}

/// The overlay section of the text report.
fn text_reading(out: &mut String, report: &Report) {
    let reading = &report.reading;
    if reading.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nHow we read it: the overlay");
    let _ = writeln!(out, "{}", overlay_sources(reading, ""));
    if !reading.effect.is_empty() || !reading.absorbed.is_empty() {
        let _ = writeln!(
            out,
            "read through the overlays, {}",
            counts_read(report, "", "")
        );
    }
    for action in &reading.actions {
        let _ = writeln!(
            out,
            "  action {:<8} {}: {}",
            action.kind,
            action.target,
            action.detail.replace('→', "->")
        );
    }
    for target in &reading.unmatched {
        let _ = writeln!(
            out,
            "  UNMATCHED       {target}: matches nothing in the new spec; generate refuses it"
        );
    }
    for change in &reading.effect {
        let mark = match change.mark {
            Mark::Breaking => "BREAKING".to_owned(),
            other => other.to_string(),
        };
        let _ = writeln!(
            out,
            "  {mark:<10}  {}, {}: {} - {}",
            heading(&change.subject, ""),
            location(change, ""),
            change.kind,
            change.detail.replace('→', "->")
        );
    }
    for change in absorbed(report) {
        let _ = writeln!(
            out,
            "  absorbed    {}, {}: {} (the generated crate does not change)",
            heading(&change.subject, ""),
            location(change, ""),
            change.detail.replace('→', "->")
        );
    }
}

fn overlay_sources(reading: &Reading, quote: &str) -> String {
    let name = |source: &Option<String>| match source {
        Some(source) => format!("{quote}{source}{quote}"),
        None => "none".to_owned(),
    };
    format!(
        "Old overlay: {}; new overlay: {}.",
        name(&reading.old_source),
        name(&reading.new_source)
    )
}

fn absorbed(report: &Report) -> impl Iterator<Item = &Change> {
    report
        .reading
        .absorbed
        .iter()
        .filter_map(|&index| report.changes.get(index))
}

/// The report as indented plain text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "API changes: {}", title(report).replace('→', "->"));
    let _ = writeln!(out, "old spec: {}", report.old_source);
    let _ = writeln!(out, "new spec: {}", report.new_source);
    if report.changes.is_empty() {
        out.push_str("\nNo changes.\n");
        text_reading(&mut out, report);
        return out;
    }
    let _ = writeln!(out, "{}", counts(report, "", ""));
    let moves = shared_moves(report);
    for (subject, changes) in groups(report, &moves) {
        let _ = writeln!(out, "\n{}", heading(subject, ""));
        for change in changes {
            let mark = match change.mark {
                Mark::Breaking => "BREAKING".to_owned(),
                other => other.to_string(),
            };
            let _ = writeln!(
                out,
                "  {mark:<10}  {}: {} - {}",
                location(change, ""),
                change.kind,
                change.detail.replace('→', "->")
            );
        }
    }
    let docs = documentation(report);
    if docs.len() > DOCUMENTATION_LISTED {
        let _ = writeln!(
            out,
            "\n{} (`--format markdown` lists them)",
            documentation_summary(report)
        );
    } else if !docs.is_empty() {
        out.push_str("\nDocumentation changes\n");
        for (subject, location) in docs {
            let _ = writeln!(
                out,
                "  {}: {}",
                subject.replace('`', ""),
                location.replace('`', "")
            );
        }
    }
    text_reading(&mut out, report);
    out
}

fn title(report: &Report) -> String {
    match (&report.old_version, &report.new_version) {
        (Some(old), Some(new)) => format!("{old} → {new}"),
        _ => format!("{} → {}", report.old_source, report.new_source),
    }
}

fn counts(report: &Report, strong: &str, end: &str) -> String {
    let reading_matters = !report.reading.effect.is_empty() || !report.reading.absorbed.is_empty();
    let breaking = report.count_published(Mark::Breaking);
    let verdict = if reading_matters {
        "in the schema as HubSpot publishes it (what callers of the generated crate see follows the overlay, below)"
    } else if breaking > 0 {
        "callers of the generated crate must change their code"
    } else {
        "existing callers keep compiling"
    };
    format!(
        "{strong}{breaking} breaking{end}, {} compatible, {} documentation: {verdict}.",
        report.count_published(Mark::Compatible),
        report.count_published(Mark::Documentation)
    )
}

/// The counts of what callers of the generated crate see, through the overlays.
fn counts_read(report: &Report, strong: &str, end: &str) -> String {
    let breaking = report.count(Mark::Breaking);
    let verdict = if breaking > 0 {
        "callers of the generated crate must change their code"
    } else {
        "existing callers keep compiling"
    };
    format!(
        "{strong}{breaking} breaking{end}, {} compatible, {} documentation: {verdict}.",
        report.count(Mark::Compatible),
        report.count(Mark::Documentation)
    )
}

/// A version move shared by several operations, said once in the document block.
struct SharedMove<'r> {
    /// The versions moved between.
    version: &'r VersionMove,
    /// The `paths` line standing for the operations' own `endpoint` changes.
    change: Change,
    /// The moved operations' endpoints in the new spec, in report order.
    operations: Vec<&'r str>,
    /// The operations' own `endpoint` changes, left out of their blocks.
    covered: Vec<&'r Change>,
}

/// The version moves that two or more operations share, in report order.
fn shared_moves(report: &Report) -> Vec<SharedMove<'_>> {
    let mut by_move: Vec<(&VersionMove, Vec<&Change>)> = Vec::new();
    for change in &report.changes {
        let Some(moved) = &change.moved else { continue };
        match by_move.iter_mut().find(|(m, _)| *m == moved) {
            Some((_, changes)) => changes.push(change),
            None => by_move.push((moved, vec![change])),
        }
    }
    by_move
        .into_iter()
        .filter(|(_, changes)| changes.len() > 1)
        .map(|(moved, covered)| {
            let operations: Vec<&str> = covered
                .iter()
                .filter_map(|c| match &c.subject {
                    Subject::Operation { endpoint, .. } => Some(endpoint.as_str()),
                    _ => None,
                })
                .collect();
            let consequence = if moved.same_id {
                "their generated methods keep their names and send requests to the new paths"
            } else {
                "the same operations at the new version (their `operationId`s, built from the paths, move with them)"
            };
            let detail = format!(
                "{} operations move from version `{}` to `{}`, and nothing else in their paths changes: {consequence}",
                covered.len(),
                moved.from,
                moved.to
            );
            SharedMove {
                version: moved,
                change: Change {
                    subject: Subject::Document,
                    location: "paths".to_owned(),
                    kind: Kind::Changed,
                    mark: Mark::Compatible,
                    detail,
                    moved: Some(moved.clone()),
                },
                operations,
                covered,
            }
        })
        .collect()
}

static DOCUMENT: Subject = Subject::Document;

/// The non-documentation changes by subject, in report order, breaking ones first. The
/// `endpoint` changes of shared version moves are left out, and the moves join the document's
/// block (first in the report).
fn groups<'r>(
    report: &'r Report,
    moves: &'r [SharedMove<'r>],
) -> Vec<(&'r Subject, Vec<&'r Change>)> {
    let covered = |change: &Change| {
        moves
            .iter()
            .any(|m| m.covered.iter().any(|c| std::ptr::eq(*c, change)))
    };
    let mut groups: Vec<(&Subject, Vec<&Change>)> = Vec::new();
    for change in report
        .changes
        .iter()
        .filter(|c| c.mark != Mark::Documentation && !covered(c))
    {
        match groups.iter_mut().find(|(s, _)| **s == change.subject) {
            Some((_, changes)) => changes.push(change),
            None => groups.push((&change.subject, vec![change])),
        }
    }
    if !moves.is_empty() {
        if groups.first().map(|(s, _)| *s) != Some(&DOCUMENT) {
            groups.insert(0, (&DOCUMENT, Vec::new()));
        }
        groups[0].1.extend(moves.iter().map(|m| &m.change));
    }
    for (_, changes) in &mut groups {
        changes.sort_by_key(|c| c.mark);
    }
    groups
}

/// The documentation changes as (where, what) pairs, Markdown-quoted, such as
/// ("Schema `X`, `field`", "description changed").
fn documentation(report: &Report) -> Vec<(String, String)> {
    report
        .changes
        .iter()
        .filter(|c| c.mark == Mark::Documentation)
        .map(|c| {
            let subject = match &c.subject {
                Subject::Operation { id, endpoint } => {
                    format!("Operation {}", operation_name(id, endpoint, "`"))
                }
                Subject::Schema { name, .. } => format!("Schema `{name}`"),
                Subject::Document => "Document".to_owned(),
            };
            // "description changed" at `description` says it once.
            let first_word = c.detail.split(' ').next().unwrap_or_default();
            let place = if c.location.is_empty() || c.location == first_word {
                subject
            } else {
                format!("{subject}, {}", location(c, "`"))
            };
            (place, c.detail.clone())
        })
        .collect()
}

/// Beyond this many documentation changes (a version bump rewrites many summaries), the text
/// report only counts them and the Markdown report folds their list.
const DOCUMENTATION_LISTED: usize = 10;

/// "21 documentation changes, in 11 operations and 3 schemas".
fn documentation_summary(report: &Report) -> String {
    let docs: Vec<&Change> = report
        .changes
        .iter()
        .filter(|c| c.mark == Mark::Documentation)
        .collect();
    let mut operations: Vec<&Subject> = Vec::new();
    let mut schemas: Vec<&Subject> = Vec::new();
    let mut document = false;
    for change in &docs {
        match &change.subject {
            Subject::Document => document = true,
            Subject::Operation { .. } => operations.push(&change.subject),
            Subject::Schema { .. } => schemas.push(&change.subject),
        }
    }
    operations.dedup();
    schemas.dedup();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut places = Vec::new();
    if document {
        places.push("the document".to_owned());
    }
    if !operations.is_empty() {
        places.push(plural(operations.len(), "operation", "operations"));
    }
    if !schemas.is_empty() {
        places.push(plural(schemas.len(), "schema", "schemas"));
    }
    let places = match places.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    format!(
        "{}, in {places}",
        plural(docs.len(), "documentation change", "documentation changes")
    )
}

/// Whether an operation's `operationId` is built from its path (HubSpot's
/// `post-/crm/objects/2026-03/{objectType}/batch/upsert_...`), or is the endpoint itself for an
/// operation without one: such an operation is named by its endpoint alone.
fn id_names_path(id: &str, endpoint: &str) -> bool {
    let path = endpoint.split_once(' ').map_or(endpoint, |(_, path)| path);
    id.contains(path)
}

/// How an operation is named in a list: its `operationId`, or its endpoint (see
/// [`id_names_path`]).
fn operation_name(id: &str, endpoint: &str, quote: &str) -> String {
    let name = if id_names_path(id, endpoint) {
        endpoint
    } else {
        id
    };
    format!("{quote}{name}{quote}")
}

fn heading(subject: &Subject, quote: &str) -> String {
    match subject {
        Subject::Document => "Document".to_owned(),
        Subject::Operation { id, endpoint } if id_names_path(id, endpoint) => {
            format!("Operation {quote}{endpoint}{quote}")
        }
        Subject::Operation { id, endpoint } => {
            format!("Operation {quote}{id}{quote} ({endpoint})")
        }
        Subject::Schema { name, usage } => format!("Schema {quote}{name}{quote} ({usage})"),
    }
}

fn location(change: &Change, quote: &str) -> String {
    let location = &change.location;
    if location.is_empty() {
        return match change.subject {
            Subject::Schema { .. } => "type".to_owned(),
            _ => "operation".to_owned(),
        };
    }
    match &change.subject {
        // Field paths of schemas are quoted; operation locations already quote their names.
        Subject::Schema { .. } | Subject::Document => format!("{quote}{location}{quote}"),
        Subject::Operation { .. } if quote.is_empty() => location.replace('`', ""),
        Subject::Operation { .. } => location.clone(),
    }
}

/// Escapes a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
