//! Scenario 5, mock capacity: the mock's own records/s on one core.
//!
//! The mock runs in its own process on a one-thread runtime; the raw baseline drives it from
//! this process with many requests in flight, so the mock is the bottleneck. Two figures: wall
//! records/s, and records per CPU-second of the mock process (steadier on a shared machine).

use std::time::Duration;

use super::{Ctx, rate};
use crate::mock_proc::{MockProcess, MockSetup};
use crate::stats::{Figure, Target};
use crate::{client_run, raw, records};

const SCENARIO: &str = "mock capacity";
/// The target: the mock must not be what limits scenarios 2 and 3.
const TARGET_RECORDS_PER_SEC: f64 = 50_000.0;

/// Runs the scenario.
pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    ctx.report.setup(
        SCENARIO,
        format!(
            "mock in its own process on a current_thread runtime (one core), no limit, no latency; \
             raw reqwest driver with {} requests in flight; {} records in 100-input batches, \
             fresh mock per repetition, {} repetitions; {}",
            p.capacity_concurrency,
            p.capacity_records,
            p.reps,
            ctx.cpu_note()
        ),
    );
    let bodies = records::raw_bodies("cap", p.capacity_records);
    let http = raw::http_client()?;
    let mut wall = Vec::new();
    let mut per_cpu = Vec::new();
    for rep in 0..p.reps {
        let mut mock = MockProcess::spawn(
            &ctx.exe,
            MockSetup {
                cpu: ctx.mock_cpu(),
                ..MockSetup::default()
            },
        )?;
        let url = mock.upsert_url(records::OBJECT_TYPE);
        // One small warm-up request opens connections and touches the code paths.
        let _ = raw::run(&http, &url, client_run::TOKEN, &bodies[..1], 1).await;
        let before = mock.stats()?;
        let run = raw::run(
            &http,
            &url,
            client_run::TOKEN,
            &bodies[1..],
            p.capacity_concurrency,
        )
        .await;
        let delta = mock.stats()?.since(&before);
        let expected = p.capacity_records - 100.min(p.capacity_records);
        ctx.report.check(
            SCENARIO,
            "every record written",
            run.failed_requests == 0 && delta.written() == expected,
            format!(
                "rep {rep}: {} requests failed; mock wrote {} of {expected}",
                run.failed_requests,
                delta.written()
            ),
        );
        wall.push(rate(expected, run.elapsed));
        let cpu = Duration::from_micros(delta.cpu_us);
        per_cpu.push(rate(expected, cpu));
    }
    ctx.report.figure(Figure::new(
        SCENARIO,
        "mock records/s (wall, one core)",
        "records/s",
        wall,
        Target::AtLeast(TARGET_RECORDS_PER_SEC),
    ));
    ctx.report.figure(Figure::new(
        SCENARIO,
        "mock records per CPU-second",
        "records/s",
        per_cpu,
        Target::AtLeast(TARGET_RECORDS_PER_SEC),
    ));
    Ok(())
}
