//! Rewriting a marked section of `RELIABILITY.md` from a real run.
//!
//! The suites print their figures on standard output (run with `--nocapture` to see them);
//! with `RELIABILITY_WRITE=1` in the environment they also replace the text between
//! `<!-- NAME:begin -->` and `<!-- NAME:end -->` in the workspace's `RELIABILITY.md`, so the
//! document always shows the figures of a run, never hand-typed ones.

use std::path::PathBuf;

/// The workspace's `RELIABILITY.md`.
pub fn reliability_md() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../RELIABILITY.md")
}

/// Whether this run should rewrite the document.
pub fn writing() -> bool {
    std::env::var("RELIABILITY_WRITE").is_ok_and(|v| v == "1")
}

/// Replaces the section `name` of `RELIABILITY.md` with `body` when [`writing`]; returns
/// whether it wrote. Fails when the markers are missing.
pub fn write_section(name: &str, body: &str) -> Result<bool, String> {
    if !writing() {
        return Ok(false);
    }
    let path = reliability_md();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let (Some(b), Some(e)) = (text.find(&begin), text.find(&end)) else {
        return Err(format!(
            "{} lacks the markers of section {name}",
            path.display()
        ));
    };
    if e < b {
        return Err(format!("section {name}: end marker before begin marker"));
    }
    let mut out = String::with_capacity(text.len() + body.len());
    out.push_str(&text[..b + begin.len()]);
    out.push('\n');
    out.push_str(body.trim_end());
    out.push('\n');
    out.push_str(&text[e..]);
    std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(true)
}

/// Escapes `|` and newlines for a Markdown table cell.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "⏎")
}
