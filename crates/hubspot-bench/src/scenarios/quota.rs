//! Scenario 1, quota saturation: the mock enforces a rolling window of `max` requests per
//! `window`, the client is told the same limit, and a run sends `windows × max` full batches.
//!
//! # The figure
//! The judged figure is records/s achieved over the nominal ceiling, `max × 100 / window`:
//! 1.0 for a client that spreads its requests evenly from the first one. The pacer spreads
//! them (see `hubspot_crm::rate_limit`), because a client that sends a window's worth at once
//! sees the same slots free up at every rollover as every other process of the token.
//!
//! Reported beside it: requests answered over the most a rolling window can answer from a
//! cold start in the elapsed time `d`, `max × (floor(d / window) + 1)`, which counts a burst
//! of `max` at the start and at each rollover. Before the pacer shared windows with other
//! processes it burst, and this was the judged figure (1.000); a spreading client gives up
//! that one window's head start, so it reads about `windows / (windows + 1)` here.

use super::{Ctx, rate};
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup};
use crate::records;
use crate::stats::{Figure, Target};

const SCENARIO: &str = "quota saturation";
/// The target for records/s over the nominal ceiling (as in the shared-quota scenario).
const TARGET_FRACTION_OF_CEILING: f64 = 0.95;
/// The bound on 429s, as a percentage of requests.
const TARGET_429_PERCENT: f64 = 1.0;

/// Runs the scenario.
pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let window = p.quota_window;
    let requests = u64::from(p.quota_max) * u64::from(p.quota_windows);
    let n = requests * records::BATCH_SIZE as u64;
    let ceiling = f64::from(p.quota_max) * records::BATCH_SIZE as f64 / window.as_secs_f64();
    ctx.report.setup(
        SCENARIO,
        format!(
            "mock in its own process enforces {} requests per rolling {} ms (ceiling {ceiling:.0} \
             records/s); client configured with the same limit, default concurrency; {n} records \
             ({requests} full batches, about {} windows); fresh mock per repetition, {} repetitions",
            p.quota_max,
            window.as_millis(),
            p.quota_windows,
            p.quota_reps
        ),
    );
    let mut fraction = Vec::new();
    let mut nominal = Vec::new();
    let mut share_429 = Vec::new();
    let mut lost = Vec::new();
    let mut seconds = Vec::new();
    for rep in 0..p.quota_reps {
        let mut mock = MockProcess::spawn(
            &ctx.exe,
            MockSetup {
                latency: std::time::Duration::ZERO,
                rate_limit: Some((p.quota_max, window)),
                cpu: None,
            },
        )?;
        let client = client_run::build_client(
            mock.base_url(),
            crate::params::CONCURRENCY,
            Some((p.quota_max, window)),
        )?;
        let inputs: Vec<_> = (0..n).map(|i| records::client_input("quota", i)).collect();
        let run = client_run::run(&client, inputs).await;
        let stats = mock.stats()?;
        let d = run.elapsed.as_secs_f64();
        let windows_open = (d / window.as_secs_f64()).floor() + 1.0;
        let bound = f64::from(p.quota_max) * windows_open;
        let answered = stats.ok_requests as f64;
        fraction.push(answered / bound);
        nominal.push(rate(run.succeeded, run.elapsed) / ceiling);
        share_429.push(stats.rate_limited as f64 / (stats.requests.max(1)) as f64 * 100.0);
        lost.push((n - run.succeeded.min(n)) as f64);
        seconds.push(d);
        ctx.report.check(
            SCENARIO,
            "no record lost",
            run.outcomes == n && run.succeeded == n && stats.created == n,
            format!(
                "rep {rep}: {} outcomes, {} succeeded, mock created {} of {n}; mock saw {} \
                 requests, {} answered 429; client counted {} requests, {} 429s",
                run.outcomes,
                run.succeeded,
                stats.created,
                stats.requests,
                stats.rate_limited,
                run.requests,
                run.rate_limited
            ),
        );
    }
    let figures = [
        (
            "records/s over the nominal ceiling",
            "ratio",
            nominal,
            Target::AtLeast(TARGET_FRACTION_OF_CEILING),
        ),
        (
            "429 responses",
            "% of requests",
            share_429,
            Target::Below(TARGET_429_PERCENT),
        ),
        ("records lost", "records", lost, Target::AtMost(0.0)),
        (
            "answered / most a cold window answers in the elapsed time (counts rollover bursts)",
            "ratio",
            fraction,
            Target::None,
        ),
        ("run length", "s", seconds, Target::None),
    ];
    for (name, unit, samples, target) in figures {
        ctx.report
            .figure(Figure::new(SCENARIO, name, unit, samples, target));
    }
    Ok(())
}
