//! What the CLI's integration tests share: running the binary and reading its report.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `cmd` to its end.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The report at `path`, one JSON value per line.
pub fn report_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("report exists")
        .lines()
        .map(|l| serde_json::from_str(l).expect("report line is JSON"))
        .collect()
}

/// How many report lines have each `outcome`.
pub fn outcome_counts(lines: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in lines {
        let outcome = line["outcome"].as_str().unwrap_or("?").to_string();
        *counts.entry(outcome).or_insert(0) += 1;
    }
    counts
}
