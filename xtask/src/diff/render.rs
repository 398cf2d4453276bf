//! The report as Markdown (for a pull request) or plain text (for a terminal).
//!
//! Both put the counts first, then one block per subject (the document, each operation, each
//! schema) with its breaking changes before its compatible ones, and gather the
//! documentation-only changes in a last block so that they do not crowd the one screen a
//! reviewer reads.

use std::fmt::Write as _;

use super::{Change, Mark, Report, Subject};

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
        return out;
    }
    let _ = writeln!(out, "{}\n", counts(report, "**", "**"));
    for (subject, changes) in groups(report) {
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
    }
    let docs = documentation(report);
    if !docs.is_empty() {
        out.push_str("### Documentation changes\n\n");
        for (subject, location) in docs {
            let _ = writeln!(out, "- {subject}: {location}");
        }
    }
    out
}

/// The report as indented plain text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "API changes: {}", title(report).replace('→', "->"));
    let _ = writeln!(out, "old spec: {}", report.old_source);
    let _ = writeln!(out, "new spec: {}", report.new_source);
    if report.changes.is_empty() {
        out.push_str("\nNo changes.\n");
        return out;
    }
    let _ = writeln!(out, "{}", counts(report, "", ""));
    for (subject, changes) in groups(report) {
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
    if !docs.is_empty() {
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
    out
}

fn title(report: &Report) -> String {
    match (&report.old_version, &report.new_version) {
        (Some(old), Some(new)) => format!("{old} → {new}"),
        _ => format!("{} → {}", report.old_source, report.new_source),
    }
}

fn counts(report: &Report, strong: &str, end: &str) -> String {
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

/// The non-documentation changes by subject, in report order, breaking ones first.
fn groups(report: &Report) -> Vec<(&Subject, Vec<&Change>)> {
    let mut groups: Vec<(&Subject, Vec<&Change>)> = Vec::new();
    for change in report
        .changes
        .iter()
        .filter(|c| c.mark != Mark::Documentation)
    {
        match groups.iter_mut().find(|(s, _)| **s == change.subject) {
            Some((_, changes)) => changes.push(change),
            None => groups.push((&change.subject, vec![change])),
        }
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
                Subject::Operation { id, .. } => format!("Operation `{id}`"),
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

fn heading(subject: &Subject, quote: &str) -> String {
    match subject {
        Subject::Document => "Document".to_owned(),
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
