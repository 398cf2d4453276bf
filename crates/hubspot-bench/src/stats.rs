//! Figures and their summaries: median and spread over repetitions, checked against a target.

use serde::Serialize;

/// What a figure must reach for its target to be met.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// The median must be at least this.
    AtLeast(f64),
    /// The median must be below this.
    Below(f64),
    /// The median must be at most this.
    AtMost(f64),
    /// Reported only; no target.
    None,
}

impl Target {
    /// Human-readable form, e.g. `>= 0.97`.
    pub fn describe(self) -> String {
        match self {
            Target::AtLeast(v) => format!(">= {}", trim(v)),
            Target::Below(v) => format!("< {}", trim(v)),
            Target::AtMost(v) => format!("<= {}", trim(v)),
            Target::None => "(report)".to_owned(),
        }
    }

    fn met(self, value: f64) -> Option<bool> {
        match self {
            Target::AtLeast(t) => Some(value >= t),
            Target::Below(t) => Some(value < t),
            Target::AtMost(t) => Some(value <= t),
            Target::None => None,
        }
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

/// One reported figure: every sample, its median and spread, and the target verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Scenario the figure belongs to (e.g. `quota saturation`).
    pub scenario: String,
    /// What is measured, with its conditions.
    pub name: String,
    /// Unit of the values.
    pub unit: String,
    /// Median of the samples.
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// (max - min) / median, in percent; 0 with a single sample.
    pub spread_pct: f64,
    /// Every sample, in the order measured.
    pub samples: Vec<f64>,
    /// The target, described (`>= 0.97`).
    pub target: String,
    /// Whether the median meets the target (`None` when there is no target).
    pub met: Option<bool>,
}

impl Figure {
    /// Summarises `samples` (at least one) under `target`.
    pub fn new(
        scenario: &str,
        name: impl Into<String>,
        unit: &str,
        samples: Vec<f64>,
        target: Target,
    ) -> Figure {
        let median = median(&samples);
        let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
        let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (min, max) = if samples.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (min, max)
        };
        let spread_pct = if samples.len() > 1 && median != 0.0 {
            (max - min) / median.abs() * 100.0
        } else {
            0.0
        };
        Figure {
            scenario: scenario.to_owned(),
            name: name.into(),
            unit: unit.to_owned(),
            median,
            min,
            max,
            spread_pct,
            target: target.describe(),
            met: if median.is_nan() {
                target.met(median).map(|_| false)
            } else {
                target.met(median)
            },
            samples,
        }
    }
}

/// Median of the values (mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn figure_checks_its_target() {
        let f = Figure::new(
            "s",
            "n",
            "ratio",
            vec![0.96, 0.98, 0.99],
            Target::AtLeast(0.97),
        );
        assert_eq!(f.met, Some(true));
        assert_eq!(f.target, ">= 0.97");
        let f = Figure::new("s", "n", "%", vec![2.0], Target::Below(1.0));
        assert_eq!(f.met, Some(false));
        assert_eq!(f.spread_pct, 0.0);
    }
}
