//! Progress as the run goes: a bar on a terminal, plain periodic log lines otherwise, nothing
//! with `--quiet`. Never shows the token (it is never given any).

use std::fmt;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::plan::HumanDuration;

/// How often a progress line is logged when stderr is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// Counters the display shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Records with a final outcome in this run.
    pub done: u64,
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Records failed (refused by HubSpot, or by the checks before sending).
    pub failed: u64,
    /// Records not attempted (interrupted).
    pub not_attempted: u64,
    /// Records not sent because the --state file holds their values already.
    pub unchanged: u64,
    /// Records skipped because the resume journal lists them as done.
    pub skipped: u64,
    /// Time requests spent waiting for the pacer, as the client reports it.
    pub pacer_wait: Duration,
    /// Requests sent, retries included.
    pub requests: u64,
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} failed",
            self.created, self.updated, self.failed
        )?;
        if self.unchanged > 0 {
            write!(f, ", {} unchanged", self.unchanged)?;
        }
        if self.not_attempted > 0 {
            write!(f, ", {} not attempted", self.not_attempted)?;
        }
        if self.skipped > 0 {
            write!(f, ", {} skipped (done before)", self.skipped)?;
        }
        write!(
            f,
            "; {} requests, {} waiting on the pacer",
            self.requests,
            HumanDuration(self.pacer_wait)
        )
    }
}

/// Where progress goes.
pub enum ProgressDisplay {
    /// An indicatif bar on stderr.
    Bar(ProgressBar),
    /// A log line every [`LOG_EVERY`].
    Lines {
        /// Records to do, when known.
        total: Option<u64>,
        /// When the run started, for the rate.
        started: Instant,
    },
    /// Nothing.
    Quiet,
}

impl ProgressDisplay {
    /// Picks the display: quiet if asked, a bar on a terminal, log lines otherwise.
    pub fn new(quiet: bool, terminal: bool, total: Option<u64>) -> ProgressDisplay {
        if quiet {
            return ProgressDisplay::Quiet;
        }
        if !terminal {
            return ProgressDisplay::Lines {
                total,
                started: Instant::now(),
            };
        }
        let (bar, template) = match total {
            Some(n) => (
                ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} records, {per_sec:0}, ETA {eta}\n  {msg}",
            ),
            None => (
                ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
                "{spinner} {elapsed_precise} {human_pos} records, {per_sec:0}\n  {msg}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        ProgressDisplay::Bar(bar)
    }

    /// Whether [`ProgressDisplay::log_line`] should be called every [`LOG_EVERY`].
    pub fn wants_log_lines(&self) -> bool {
        matches!(self, ProgressDisplay::Lines { .. })
    }

    /// Shows the latest counts (the bar redraws itself; log lines wait for their tick).
    pub fn update(&self, tally: &Tally) {
        if let ProgressDisplay::Bar(bar) = self {
            bar.set_position(tally.done);
            bar.set_message(tally.to_string());
        }
    }

    /// Logs one progress line, in log-line mode.
    pub fn log_line(&self, tally: &Tally) {
        if let ProgressDisplay::Lines { total, started } = self {
            tracing::info!("{}", line(tally, *total, started.elapsed()));
        }
    }

    /// Removes the bar, leaving the terminal clean for the summary.
    pub fn finish(&self) {
        if let ProgressDisplay::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }

    /// Prints a message above the bar, or as a log line.
    pub fn note(&self, message: &str) {
        match self {
            ProgressDisplay::Bar(bar) => bar.println(message),
            _ => eprintln!("{message}"),
        }
    }
}

/// A progress line: done of total, rate, and the counts.
fn line(tally: &Tally, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        tally.done as f64 / secs
    } else {
        0.0
    };
    let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
    format!(
        "progress: {}{of} records ({rate:.0}/s): {tally}",
        tally.done
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_reads_as_a_sentence() {
        let tally = Tally {
            done: 10,
            created: 6,
            updated: 3,
            failed: 1,
            requests: 2,
            pacer_wait: Duration::from_millis(1500),
            ..Tally::default()
        };
        assert_eq!(
            tally.to_string(),
            "6 created, 3 updated, 1 failed; 2 requests, 1.5s waiting on the pacer"
        );
        let resumed = Tally {
            skipped: 4,
            not_attempted: 2,
            ..tally
        };
        assert!(
            resumed
                .to_string()
                .contains(", 2 not attempted, 4 skipped (done before);")
        );
    }

    #[test]
    fn log_line_shows_done_of_total_and_rate() {
        let tally = Tally {
            done: 500,
            created: 500,
            ..Tally::default()
        };
        assert_eq!(
            line(&tally, Some(3000), Duration::from_secs(2)),
            "progress: 500 of 3000 records (250/s): 500 created, 0 updated, 0 failed; 0 requests, 0.0s waiting on the pacer"
        );
        assert!(line(&tally, None, Duration::ZERO).starts_with("progress: 500 records (0/s)"));
    }

    #[test]
    fn display_mode_follows_quiet_and_terminal() {
        assert!(matches!(
            ProgressDisplay::new(true, true, None),
            ProgressDisplay::Quiet
        ));
        assert!(ProgressDisplay::new(false, false, Some(3)).wants_log_lines());
        let bar = ProgressDisplay::new(false, true, Some(3));
        assert!(matches!(bar, ProgressDisplay::Bar(_)));
        bar.finish();
    }
}
