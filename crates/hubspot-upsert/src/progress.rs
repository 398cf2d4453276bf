//! Progress as the run goes: a bar on a terminal, plain periodic log lines otherwise, nothing
//! with `--quiet`. Never shows the token (it is never given any).

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hubspot_crm::{Plan, RateLimit};
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

/// The time left, from the pacer's model and the pace measured so far.
///
/// A rate measured from the start misleads both ways: while the pacer bursts into the
/// window's free room, records go far faster than the window's pace, so a rate-based estimate
/// promises too little; once the window is full the run waits for the burst's requests to
/// leave it, and the rate over that wait promises too much. So the estimate is the larger of
/// what the pacer's model leaves ([`RateLimit::least_time`] for all requests, less the time
/// elapsed: exact for a client alone on the token) and the remaining records at the pace
/// measured (since the start while the burst's window lasts; after it, only since then).
/// The measured pace covers what the model does not know: HubSpot's response time, other
/// processes on the token.
#[derive(Debug)]
pub struct Eta {
    limit: RateLimit,
    /// Requests the whole input needs, without retries.
    requests: u64,
    total: u64,
    /// Records done when the first window's requests began to leave it.
    steady_from: Option<(Duration, u64)>,
}

impl Eta {
    /// An estimate for `total` records sent under `plan`'s limits.
    pub fn new(plan: Plan, total: u64) -> Eta {
        let limits = plan.limits();
        Eta {
            limit: RateLimit::plan(plan),
            requests: total.div_ceil(limits.inputs_per_request as u64),
            total,
            steady_from: None,
        }
    }

    /// The time left after `done` records in `elapsed`; `None` before any record is done.
    pub fn estimate(&mut self, done: u64, elapsed: Duration) -> Option<Duration> {
        let left = self.total.saturating_sub(done);
        if left == 0 {
            return Some(Duration::ZERO);
        }
        let model = self.limit.least_time(self.requests).saturating_sub(elapsed);
        // The first window's requests leave it one interval (and the margin) after the start.
        let burst_ends = self.limit.least_time(u64::from(self.limit.max()) + 1);
        let (since, done_then) = if elapsed < burst_ends {
            (Duration::ZERO, 0)
        } else {
            *self.steady_from.get_or_insert((elapsed, done))
        };
        let span = elapsed.saturating_sub(since).as_secs_f64();
        let measured = done.saturating_sub(done_then);
        if measured == 0 || span <= 0.0 {
            return (done > 0 || since > Duration::ZERO).then_some(model);
        }
        let paced = Duration::from_secs_f64(left as f64 * span / measured as f64);
        Some(model.max(paced))
    }
}

/// Where progress goes.
pub enum ProgressDisplay {
    /// An indicatif bar on stderr, and the ETA it shows.
    Bar(ProgressBar, Option<Mutex<Eta>>),
    /// A log line every [`LOG_EVERY`].
    Lines {
        /// Records to do, when known.
        total: Option<u64>,
        /// When the run started, for the rate.
        started: Instant,
        /// The time left, when the total is known.
        eta: Option<Mutex<Eta>>,
    },
    /// Nothing.
    Quiet,
}

impl ProgressDisplay {
    /// Picks the display: quiet if asked, a bar on a terminal, log lines otherwise. The ETA
    /// follows the pacer's model for `plan` (see [`Eta`]).
    pub fn new(quiet: bool, terminal: bool, total: Option<u64>, plan: Plan) -> ProgressDisplay {
        if quiet {
            return ProgressDisplay::Quiet;
        }
        let eta = total.map(|n| Mutex::new(Eta::new(plan, n)));
        if !terminal {
            return ProgressDisplay::Lines {
                total,
                started: Instant::now(),
                eta,
            };
        }
        let (bar, template) = match total {
            Some(n) => (
                ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} records, {per_sec:0}, ETA {prefix}\n  {msg}",
            ),
            None => (
                ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
                "{spinner} {elapsed_precise} {human_pos} records, {per_sec:0}\n  {msg}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix("-");
        bar.enable_steady_tick(Duration::from_millis(200));
        ProgressDisplay::Bar(bar, eta)
    }

    /// Whether [`ProgressDisplay::log_line`] should be called every [`LOG_EVERY`].
    pub fn wants_log_lines(&self) -> bool {
        matches!(self, ProgressDisplay::Lines { .. })
    }

    /// Shows the latest counts (the bar redraws itself; log lines wait for their tick).
    pub fn update(&self, tally: &Tally) {
        if let ProgressDisplay::Bar(bar, eta) = self {
            bar.set_position(tally.done);
            if let Some(left) = eta.as_ref().and_then(|e| estimate(e, tally, bar.elapsed())) {
                bar.set_prefix(HumanDuration(left).to_string());
            }
            bar.set_message(tally.to_string());
        }
    }

    /// Logs one progress line, in log-line mode.
    pub fn log_line(&self, tally: &Tally) {
        if let ProgressDisplay::Lines {
            total,
            started,
            eta,
        } = self
        {
            let elapsed = started.elapsed();
            let left = eta.as_ref().and_then(|e| estimate(e, tally, elapsed));
            tracing::info!("{}", line(tally, *total, elapsed, left));
        }
    }

    /// Removes the bar, leaving the terminal clean for the summary.
    pub fn finish(&self) {
        if let ProgressDisplay::Bar(bar, _) = self {
            bar.finish_and_clear();
        }
    }

    /// Prints a message above the bar, or as a log line.
    pub fn note(&self, message: &str) {
        match self {
            ProgressDisplay::Bar(bar, _) => bar.println(message),
            _ => eprintln!("{message}"),
        }
    }
}

/// The ETA after `tally`.
fn estimate(eta: &Mutex<Eta>, tally: &Tally, elapsed: Duration) -> Option<Duration> {
    let mut eta = eta.lock().unwrap_or_else(|p| p.into_inner());
    eta.estimate(tally.done, elapsed)
}

/// A progress line: done of total, rate, the time left when known, and the counts.
fn line(tally: &Tally, total: Option<u64>, elapsed: Duration, left: Option<Duration>) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        tally.done as f64 / secs
    } else {
        0.0
    };
    let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
    let eta = left
        .map(|l| format!(", ETA {}", HumanDuration(l)))
        .unwrap_or_default();
    format!(
        "progress: {}{of} records ({rate:.0}/s{eta}): {tally}",
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
            line(
                &tally,
                Some(3000),
                Duration::from_secs(2),
                Some(Duration::from_secs(10))
            ),
            "progress: 500 of 3000 records (250/s, ETA 10.0s): 500 created, 0 updated, 0 failed; 0 requests, 0.0s waiting on the pacer"
        );
        assert!(
            line(&tally, None, Duration::ZERO, None).starts_with("progress: 500 records (0/s):")
        );
    }

    fn professional() -> Plan {
        Plan::Professional
    }

    #[test]
    fn eta_of_a_job_within_the_window_follows_the_measured_pace() {
        // 10,000 records: the window takes them at once; HubSpot's answers set the pace.
        let mut eta = Eta::new(professional(), 10_000);
        assert_eq!(eta.estimate(0, Duration::from_millis(10)), None);
        let left = eta
            .estimate(2_500, Duration::from_millis(300))
            .expect("eta");
        assert!(left.abs_diff(Duration::from_millis(900)) < Duration::from_micros(1));
        assert_eq!(
            eta.estimate(10_000, Duration::from_millis(1_300)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn eta_during_the_burst_counts_the_windows_pace_to_come() {
        // 100,000 records, 1,000 requests: 190 at once, then 810 at 186.675 per 10 s from
        // 10.25 s. Two seconds in, 15,000 records done: the pace measured would say 11 s
        // more; the model says the run ends at 53.6 s.
        let mut eta = Eta::new(professional(), 100_000);
        let end = RateLimit::plan(professional()).least_time(1_000);
        let left = eta
            .estimate(15_000, Duration::from_secs(2))
            .expect("an estimate");
        assert_eq!(left, end - Duration::from_secs(2));
        assert!(left > Duration::from_secs(51), "{left:?}");
    }

    #[test]
    fn eta_after_the_burst_measures_the_pace_from_then() {
        let mut eta = Eta::new(professional(), 100_000);
        let end = RateLimit::plan(professional())
            .least_time(1_000)
            .as_secs_f64();
        // The first reading after the burst's window starts the measured pace.
        let first = eta
            .estimate(19_000, Duration::from_millis(10_300))
            .expect("eta");
        assert!(
            (first.as_secs_f64() - (end - 10.3)).abs() < 1e-6,
            "{first:?}"
        );
        // Others share the token: 1,000 records in 10 s, half the pace a lone client has.
        let left = eta
            .estimate(20_000, Duration::from_millis(20_300))
            .expect("eta");
        assert!(left.abs_diff(Duration::from_secs(800)) < Duration::from_millis(1));
    }

    #[test]
    fn display_mode_follows_quiet_and_terminal() {
        assert!(matches!(
            ProgressDisplay::new(true, true, None, professional()),
            ProgressDisplay::Quiet
        ));
        assert!(ProgressDisplay::new(false, false, Some(3), professional()).wants_log_lines());
        let bar = ProgressDisplay::new(false, true, Some(3), professional());
        assert!(matches!(bar, ProgressDisplay::Bar(_, Some(_))));
        bar.finish();
    }
}
