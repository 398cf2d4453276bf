//! The `upstream` report as plain text (a terminal) or Markdown (a pull request): what was
//! compared, the drift one line each, then the known deviations apart, each with its reason.

use std::fmt::Write as _;

use super::Report;
use super::contract::{Difference, PROSE_ASPECT};

/// Where the list of known deviations lives, for the report's readers.
pub const DEVIATIONS_FILE: &str = "xtask/src/upstream/deviations.rs";

/// The report as plain text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Upstream check, version {}: {}",
        report.version,
        verdict(report)
    );
    for line in preamble(report, "") {
        let _ = writeln!(out, "{line}");
    }
    if report.has_drift() {
        let _ = writeln!(
            out,
            "\nDrift ({}): HubSpot's document and ours differ here",
            report.drift.len()
        );
        for difference in &report.drift {
            let _ = writeln!(out, "  {}", difference.line());
        }
    }
    if !report.deviations.is_empty() {
        let _ = writeln!(
            out,
            "\nKnown deviations, kept on purpose (listed in {DEVIATIONS_FILE})"
        );
        for (deviation, covered) in &report.deviations {
            let _ = writeln!(out, "  {}: {}", deviation.name, deviation.reason);
            for line in covered_lines(covered) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if !report.unseen.is_empty() {
        let _ = writeln!(
            out,
            "\nKnown deviations not seen this time (HubSpot's document may now agree; update {DEVIATIONS_FILE})"
        );
        for deviation in &report.unseen {
            let _ = writeln!(out, "  {}", deviation.name);
        }
    }
    out.replace('→', "->")
}

/// The report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Upstream check, version {}: {}\n",
        report.version,
        verdict(report)
    );
    for line in preamble(report, "`") {
        let _ = writeln!(out, "- {line}");
    }
    out.push('\n');
    if report.has_drift() {
        let _ = writeln!(
            out,
            "### Drift ({}): HubSpot's document and ours differ here\n",
            report.drift.len()
        );
        for difference in &report.drift {
            let _ = writeln!(out, "- {}", difference.line());
        }
        out.push('\n');
    }
    if !report.deviations.is_empty() {
        let _ = writeln!(
            out,
            "### Known deviations, kept on purpose\n\nListed, with their reasons, in `{DEVIATIONS_FILE}`.\n"
        );
        for (deviation, covered) in &report.deviations {
            let _ = writeln!(out, "- **{}**: {}", deviation.name, deviation.reason);
            for line in covered_lines(covered) {
                let _ = writeln!(out, "  - {line}");
            }
        }
        out.push('\n');
    }
    if !report.unseen.is_empty() {
        let _ = writeln!(
            out,
            "### Known deviations not seen this time\n\nHubSpot's document may now agree with ours; update `{DEVIATIONS_FILE}`.\n"
        );
        for deviation in &report.unseen {
            let _ = writeln!(out, "- {}", deviation.name);
        }
    }
    out
}

fn verdict(report: &Report) -> String {
    match report.drift.len() {
        0 => "our spec matches HubSpot's document".to_owned(),
        1 => "1 difference of contract (drift)".to_owned(),
        n => format!("{n} differences of contract (drift)"),
    }
}

/// What was compared with what.
fn preamble(report: &Report, quote: &str) -> Vec<String> {
    let comparison = &report.comparison;
    let mut lines = vec![
        format!(
            "HubSpot's document: {quote}{}{quote} ({} operations)",
            report.theirs_source, comparison.theirs_operations
        ),
        format!("Our spec: {quote}{}{quote}", report.ours_source),
    ];
    let operations: Vec<String> = comparison
        .operations
        .iter()
        .map(|op| format!("{quote}{}{quote}", op.ours))
        .collect();
    lines.push(format!(
        "Compared: {} and the {} schemas {}",
        operations.join(", "),
        comparison.schemas.len(),
        if operations.len() == 1 {
            "it reaches"
        } else {
            "they reach"
        }
    ));
    if let Some(scopes) = &comparison.scopes {
        let missing = scopes.ours.difference(&scopes.theirs).count();
        let among = if missing == 0 {
            "all among them".to_owned()
        } else {
            format!("{missing} not among them (drift, below)")
        };
        lines.push(format!(
            "Scopes: HubSpot's document lists {} for the operation (any one is accepted); ours names {}, {among}",
            scopes.theirs.len(),
            scopes.ours.len()
        ));
    }
    lines
}

/// The differences a deviation covers: prose is counted, anything else listed.
fn covered_lines(covered: &[Difference]) -> Vec<String> {
    if covered.iter().all(|d| d.aspect == PROSE_ASPECT) {
        let places = {
            let mut places: Vec<&str> = covered.iter().map(|d| d.place.as_str()).collect();
            places.dedup();
            places.len()
        };
        return vec![format!(
            "{} descriptions, summaries or examples differ, in {places} places",
            covered.len()
        )];
    }
    covered.iter().map(Difference::line).collect()
}
