//! Scenario 1, quota saturation: the mock enforces a rolling window of `max` requests per
//! `window`, the client is told the same limit, and a run sends `windows × max` full batches.
//!
//! # The figure
//! From a cold start a rolling window admits `max` requests at once and `max` more each time
//! the window rolls, so in an elapsed time `d` at most `max × (floor(d / window) + 1)` requests
//! can have been answered. The figure is requests answered over that bound, i.e. records/s
//! achieved over the ceiling the window allows in the same time. It is 1.0 for a client that
//! spends each window fully, whether it bursts or spaces its requests evenly, and below 1.0 by
//! whatever a client leaves unused. The nominal ratio (records/s over `max × 100 / window`) is
//! reported beside it: it exceeds 1.0 by the cold-start burst, up to `windows / (windows - 1)`.

use super::{Ctx, rate};
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup};
use crate::records;
use crate::stats::{Figure, Target};

const SCENARIO: &str = "quota saturation";
/// The target for achieved over ceiling.
const TARGET_FRACTION_OF_CEILING: f64 = 0.97;
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
            hubspot_crm::DEFAULT_CONCURRENCY,
            Some((p.quota_max, window)),
        )?;
        let inputs = (0..n).map(|i| records::client_input("quota", i)).collect();
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
            "achieved / ceiling the window allows in the elapsed time",
            "ratio",
            fraction,
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
            "records/s over nominal ceiling (includes cold-start burst)",
            "ratio",
            nominal,
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
