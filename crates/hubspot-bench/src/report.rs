//! The machine-readable result of a run, written as JSON for `cargo xtask bench`.

use serde::Serialize;

use crate::stats::Figure;

/// Everything one run measured and checked.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// `smoke`, `quick` or `full`.
    pub mode: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// Wall time of the whole run, in seconds.
    pub wall_seconds: f64,
    /// The command line of this run.
    pub command: String,
    /// Each scenario's set-up, one line each.
    pub setups: Vec<Setup>,
    /// The figures, in scenario order.
    pub figures: Vec<Figure>,
    /// Accounting checks (no record lost, every request answered).
    pub checks: Vec<Check>,
    /// Observations worth reading next to the figures.
    pub notes: Vec<String>,
    /// When set (smoke runs: debug build, tiny sizes), figures are recorded without a verdict.
    #[serde(skip)]
    pub unjudged: bool,
}

/// How a scenario was run.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// Scenario name.
    pub scenario: String,
    /// Conditions: sizes, concurrency, windows, repetitions, where the mock ran.
    pub detail: String,
}

/// One accounting check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Scenario the check belongs to.
    pub scenario: String,
    /// What was checked.
    pub name: String,
    /// Whether it held.
    pub ok: bool,
    /// Counts behind the verdict.
    pub detail: String,
}

impl Report {
    /// Records a scenario's set-up.
    pub fn setup(&mut self, scenario: &str, detail: impl Into<String>) {
        self.setups.push(Setup {
            scenario: scenario.to_owned(),
            detail: detail.into(),
        });
    }

    /// Records a figure and prints it to stderr.
    pub fn figure(&mut self, mut figure: Figure) {
        if self.unjudged {
            figure.met = None;
            figure.target = format!("{} (not judged in smoke)", figure.target);
        }
        eprintln!(
            "  {} / {}: median {:.4} {} (min {:.4}, max {:.4}, n={}) target {} {}",
            figure.scenario,
            figure.name,
            figure.median,
            figure.unit,
            figure.min,
            figure.max,
            figure.samples.len(),
            figure.target,
            match figure.met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "",
            }
        );
        self.figures.push(figure);
    }

    /// Records an accounting check and prints failures to stderr.
    pub fn check(&mut self, scenario: &str, name: &str, ok: bool, detail: impl Into<String>) {
        let detail = detail.into();
        if !ok {
            eprintln!("  CHECK FAILED {scenario} / {name}: {detail}");
        }
        self.checks.push(Check {
            scenario: scenario.to_owned(),
            name: name.to_owned(),
            ok,
            detail,
        });
    }

    /// Records a note and prints it to stderr.
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        eprintln!("  note: {note}");
        self.notes.push(note);
    }

    /// Whether every accounting check held.
    pub fn all_checks_ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}
