//! Scenario 3, latency hiding: the mock adds a fixed latency to every response; the client
//! keeps 1, 4 and 16 requests in flight. The ideal is `concurrency × 100 records / latency`;
//! the figure is achieved / ideal at each level.

use super::{Ctx, rate};
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup};
use crate::records;
use crate::stats::{Figure, Target};

const SCENARIO: &str = "latency hiding";
/// The target at every level.
const TARGET_FRACTION_OF_IDEAL: f64 = 0.9;
const PREFIX: &str = "lat";

/// Runs the scenario.
pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let latency_ms = p.latency.as_millis();
    ctx.report.setup(
        SCENARIO,
        format!(
            "mock in its own process adds {latency_ms} ms to every response, no limit; client \
             concurrency {:?}, {} batches of 100 per in-flight slot; {} repetitions, level order \
             rotating; {}",
            p.latency_levels,
            p.latency_batches_per_slot,
            p.reps,
            ctx.cpu_note()
        ),
    );
    let mut mock = MockProcess::spawn(
        &ctx.exe,
        MockSetup {
            latency: p.latency,
            rate_limit: None,
            cpu: ctx.mock_cpu(),
        },
    )?;
    let mut clients = Vec::new();
    for &c in &p.latency_levels {
        let client = client_run::build_client(mock.base_url(), c, None)?;
        // Warm-up: open the connections this level will use.
        let n = c as u64 * records::BATCH_SIZE as u64;
        let _ = client_run::run(&client, inputs(n)).await;
        clients.push(client);
    }
    let mut fractions: Vec<Vec<f64>> = vec![Vec::new(); p.latency_levels.len()];
    for rep in 0..p.reps {
        for k in 0..p.latency_levels.len() {
            let level = (k + rep) % p.latency_levels.len();
            let c = p.latency_levels[level];
            let n = c as u64 * p.latency_batches_per_slot * records::BATCH_SIZE as u64;
            let before = mock.stats()?;
            let run = client_run::run(&clients[level], inputs(n)).await;
            let delta = mock.stats()?.since(&before);
            ctx.report.check(
                SCENARIO,
                &format!("concurrency {c}: every record written"),
                run.succeeded == n && delta.written() == n,
                format!(
                    "rep {rep}: {} outcomes, {} succeeded, mock wrote {} of {n}",
                    run.outcomes,
                    run.succeeded,
                    delta.written()
                ),
            );
            let ideal = c as f64 * records::BATCH_SIZE as f64 / p.latency.as_secs_f64();
            fractions[level].push(rate(n, run.elapsed) / ideal);
        }
    }
    for (level, samples) in fractions.into_iter().enumerate() {
        let c = p.latency_levels[level];
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!(
                "concurrency {c}: achieved / ideal ({} records/s)",
                c * records::BATCH_SIZE * 1000 / latency_ms.max(1) as usize
            ),
            "ratio",
            samples,
            Target::AtLeast(TARGET_FRACTION_OF_IDEAL),
        ));
    }
    Ok(())
}

fn inputs(n: u64) -> Vec<hubspot_crm::UpsertInput> {
    (0..n).map(|i| records::client_input(PREFIX, i)).collect()
}
