//! Scenario 2, client overhead: the bulk API of `hubspot-crm` (a) against a raw `reqwest`
//! loop of pre-serialized bodies (b), same records, same batches, same concurrency, against a
//! mock with no limit and no latency.
//!
//! The mock runs in its own process, so `getrusage(RUSAGE_SELF)` of this process measures the
//! client's CPU alone. Contenders alternate within each repetition (the order flips each time)
//! and the ratio is taken per repetition, so slow phases of the shared machine hit both.

use std::time::Duration;

use super::{Ctx, rate};
use crate::mock_proc::{MockProcess, MockSetup};
use crate::stats::{Figure, Target};
use crate::usage::process_cpu_time;
use crate::{client_run, raw, records};

const SCENARIO: &str = "client overhead";
/// The target for throughput (a)/(b).
const TARGET_RATIO: f64 = 0.90;
const PREFIX: &str = "ovh";

#[derive(Default)]
struct Samples {
    rate: Vec<f64>,
    cpu_us_per_record: Vec<f64>,
    mock_cpu_us_per_record: Vec<f64>,
}

/// Runs the scenario.
pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let n = p.overhead_records;
    ctx.report.setup(
        SCENARIO,
        format!(
            "{n} records in 100-input batches, {} requests in flight for both contenders; mock in \
             its own process (current_thread runtime), no limit, no latency; a fresh mock per \
             repetition, its records created then updated by two untimed raw passes, so every \
             measured pass updates; {} repetitions, order alternating; {}",
            p.overhead_concurrency,
            p.reps,
            ctx.cpu_note()
        ),
    );
    let bodies = records::raw_bodies(PREFIX, n);
    let mut a = Samples::default();
    let mut b = Samples::default();
    let mut ratios = Vec::new();
    for rep in 0..p.reps {
        let client_first = rep % 2 == 0;
        let Warm {
            mut mock,
            url,
            http,
            client,
        } = warm_up(ctx, &bodies).await?;
        let mut rate_a = 0.0;
        let mut rate_b = 0.0;
        for turn in 0..2 {
            let is_client = (turn == 0) == client_first;
            let inputs: Vec<_> = if is_client {
                (0..n).map(|i| records::client_input(PREFIX, i)).collect()
            } else {
                Vec::new()
            };
            let before = mock.stats()?;
            let cpu_before = process_cpu_time();
            let (elapsed, delivered, detail) = if is_client {
                let run = client_run::run(&client, inputs).await;
                (
                    run.elapsed,
                    run.succeeded,
                    format!("{} outcomes, {} succeeded", run.outcomes, run.succeeded),
                )
            } else {
                let run = raw::run(
                    &http,
                    &url,
                    client_run::TOKEN,
                    &bodies,
                    p.overhead_concurrency,
                )
                .await;
                (
                    run.elapsed,
                    run.ok_requests * records::BATCH_SIZE as u64,
                    format!("{} requests failed", run.failed_requests),
                )
            };
            let cpu = process_cpu_time().saturating_sub(cpu_before);
            let delta = mock.stats()?.since(&before);
            let who = if is_client { "client (a)" } else { "raw (b)" };
            ctx.report.check(
                SCENARIO,
                &format!("{who}: every record written"),
                delivered == n && delta.written() == n,
                format!("rep {rep}: {detail}; mock wrote {} of {n}", delta.written()),
            );
            let samples = if is_client { &mut a } else { &mut b };
            let r = rate(n, elapsed);
            samples.rate.push(r);
            samples.cpu_us_per_record.push(micros_per(cpu, n));
            samples
                .mock_cpu_us_per_record
                .push(micros_per(Duration::from_micros(delta.cpu_us), n));
            if is_client {
                rate_a = r;
            } else {
                rate_b = r;
            }
        }
        ratios.push(rate_a / rate_b);
    }
    let figures = [
        (
            "throughput ratio (a) client / (b) raw",
            "ratio",
            ratios,
            Target::AtLeast(TARGET_RATIO),
        ),
        ("(a) client throughput", "records/s", a.rate, Target::None),
        (
            "(b) raw reqwest throughput",
            "records/s",
            b.rate,
            Target::None,
        ),
        (
            "(a) client CPU per record",
            "µs",
            a.cpu_us_per_record,
            Target::None,
        ),
        (
            "(b) raw CPU per record",
            "µs",
            b.cpu_us_per_record,
            Target::None,
        ),
        (
            "mock CPU per record during (a)",
            "µs",
            a.mock_cpu_us_per_record,
            Target::None,
        ),
        (
            "mock CPU per record during (b)",
            "µs",
            b.mock_cpu_us_per_record,
            Target::None,
        ),
    ];
    for (name, unit, samples, target) in figures {
        ctx.report
            .figure(Figure::new(SCENARIO, name, unit, samples, target));
    }
    Ok(())
}

/// A fresh mock with every record created, and both contenders' connections open.
struct Warm {
    mock: MockProcess,
    url: String,
    http: reqwest::Client,
    client: hubspot_crm::Client,
}

/// Starts a fresh mock (the mock keeps a log of every request, and grows slower as it grows:
/// a mock shared by all repetitions made the later ones slower than the first) and warms it
/// up: the raw loop creates every record, and the client sends one batch.
async fn warm_up(ctx: &Ctx, bodies: &[bytes::Bytes]) -> anyhow::Result<Warm> {
    let concurrency = ctx.params.overhead_concurrency;
    let mock = MockProcess::spawn(
        &ctx.exe,
        MockSetup {
            cpu: ctx.mock_cpu(),
            ..MockSetup::default()
        },
    )?;
    let url = mock.upsert_url(records::OBJECT_TYPE);
    let http = raw::http_client()?;
    let client = client_run::build_client(mock.base_url(), concurrency, None)?;
    for pass in ["create", "update"] {
        let warm = raw::run(&http, &url, client_run::TOKEN, bodies, concurrency).await;
        anyhow::ensure!(
            warm.failed_requests == 0,
            "warm-up ({pass}): {} requests failed",
            warm.failed_requests
        );
    }
    let _ = client_run::run(
        &client,
        (0..100).map(|i| records::client_input(PREFIX, i)).collect(),
    )
    .await;
    Ok(Warm {
        mock,
        url,
        http,
        client,
    })
}

fn micros_per(cpu: Duration, records: u64) -> f64 {
    cpu.as_secs_f64() * 1e6 / records.max(1) as f64
}
