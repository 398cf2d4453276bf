//! Scenario 9, small jobs: the runs most users make, a few hundred to a few tens of thousands
//! of records, each into a window nobody else uses. `hubspot-crm` (the library, in a process
//! of its own), `hubspot-upsert` (the CLI) and HubSpot's Node SDK (no limiter of its own)
//! upsert 10,000 and 19,000 records (100 and 190 requests: the professional plan's window
//! holds 190) into a fresh mock that enforces the professional plan's window and answers
//! every request 50 ms after it arrived, 4 requests in flight, the order rotating every
//! repetition.
//!
//! # The figures
//! - Wall time of each contender's whole process (start-up included, as a user waits for
//!   it), per size. Targets for ours: 10,000 records in at most 1.6 s (within 1.25× of the
//!   ~1.3 s that 4 in flight at 50 ms allow), 19,000 in at most 3 s.
//! - Our wall time over the Node SDK's on the same job in the same repetition: at most 1.
//! - 429 responses and records lost, from the mock's counters: 0 for ours.

use anyhow::anyhow;

use super::Ctx;
use super::peers::{self, Contender};
use crate::mock_proc::{MockProcess, MockSetup};
use crate::params::CONCURRENCY;
use crate::peer_install;
use crate::stats::{Figure, Target};

const SCENARIO: &str = "small jobs";
/// The targets for the wall time of ours, by size.
const TARGETS: [(u64, f64); 2] = [(10_000, 1.6), (19_000, 3.0)];
/// Ours over the Node SDK's wall time on the same job.
const TARGET_OVER_NODE: f64 = 1.0;

/// Runs the scenario.
pub fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let cli = ctx
        .cli
        .clone()
        .ok_or_else(|| anyhow!("no --cli given: the hubspot-upsert binary is needed"))?;
    let mut contenders = vec![Contender::Lib, Contender::Cli(cli)];
    let mut installed = Vec::new();
    if p.peers_sdks {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| ctx.workspace.join("target"));
        match peer_install::install_node(&target.join("bench-peers").join("node")) {
            Ok(peer) => {
                installed.push(peer.package);
                contenders.push(Contender::Peer(peer));
            }
            Err(e) => ctx.report.note(format!(
                "small jobs: Node SDK ({}) not installed: {e:#}; its rows are skipped",
                peer_install::NODE_PACKAGE
            )),
        }
    }
    let (max, window) = p.shared_window;
    let latency = p.small_jobs_latency;
    ctx.report.setup(
        SCENARIO,
        format!(
            "contenders {:?} (SDK: {installed:?}), each a child process, timed from spawn to \
             exit (start-up included); sizes {:?} records in batches of 100, {CONCURRENCY} \
             requests in flight; a fresh mock in its own process per turn, enforcing {max} \
             requests per {} ms (empty at the start) and answering each request {} ms after it \
             arrived; ours told the plan's limit, the Node SDK with numberOfApiCallRetries {}; \
             {} repetitions, order rotating",
            contenders.iter().map(Contender::name).collect::<Vec<_>>(),
            p.small_jobs_sizes,
            window.as_millis(),
            latency.as_millis(),
            peers::NODE_RETRIES,
            p.small_jobs_reps,
        ),
    );
    let k = contenders.len();
    for &n in &p.small_jobs_sizes {
        let file = peers::ndjson(&ctx.data_dir, "small", n)?;
        let mut wall: Vec<Vec<f64>> = vec![Vec::new(); k];
        let mut limited: Vec<Vec<f64>> = vec![Vec::new(); k];
        let mut lost: Vec<Vec<f64>> = vec![Vec::new(); k];
        for rep in 0..p.small_jobs_reps {
            for step in 0..k {
                let idx = (step + rep) % k;
                let c = &contenders[idx];
                let mut mock = MockProcess::spawn(
                    &ctx.exe,
                    MockSetup {
                        latency,
                        rate_limit: Some((max, window)),
                        cpu: None,
                    },
                )?;
                let turn = peers::run_turn(
                    ctx,
                    c,
                    mock.base_url(),
                    n,
                    "small",
                    &file,
                    Some((max, window)),
                )?;
                let stats = mock.stats()?;
                peers::check_turn(ctx, &format!("{n} records, rep {rep}"), c, &turn, n);
                ctx.report.check(
                    SCENARIO,
                    &format!("{}: the mock stored every record once", c.name()),
                    stats.created == n,
                    format!(
                        "{n} records, rep {rep}: mock created {}, updated {}",
                        stats.created, stats.updated
                    ),
                );
                wall[idx].push(turn.elapsed.as_secs_f64());
                limited[idx].push(stats.rate_limited as f64);
                lost[idx].push(n.saturating_sub(stats.created) as f64);
            }
        }
        let target_s = TARGETS.iter().find(|(size, _)| *size == n).map(|t| t.1);
        for (idx, c) in contenders.iter().enumerate() {
            let ours = matches!(c, Contender::Lib | Contender::Cli(_));
            let name = c.name();
            ctx.report.figure(Figure::new(
                SCENARIO,
                format!("{name}: {n} records, wall time"),
                "s",
                wall[idx].clone(),
                match target_s {
                    Some(t) if ours => Target::AtMost(t),
                    _ => Target::None,
                },
            ));
            ctx.report.figure(Figure::new(
                SCENARIO,
                format!("{name}: {n} records, 429 responses"),
                "requests",
                limited[idx].clone(),
                if ours {
                    Target::AtMost(0.0)
                } else {
                    Target::None
                },
            ));
            if ours {
                ctx.report.figure(Figure::new(
                    SCENARIO,
                    format!("{name}: {n} records, records lost"),
                    "records",
                    lost[idx].clone(),
                    Target::AtMost(0.0),
                ));
            }
        }
        let node = contenders.iter().position(|c| c.name() == "Node SDK");
        for (idx, c) in contenders.iter().enumerate() {
            let (Some(node), Contender::Lib | Contender::Cli(_)) = (node, c) else {
                continue;
            };
            let samples = wall[idx].iter().zip(&wall[node]).map(|(a, b)| a / b);
            ctx.report.figure(Figure::new(
                SCENARIO,
                format!(
                    "{}: {n} records, wall time / Node SDK's (per repetition)",
                    c.name()
                ),
                "ratio",
                samples.collect(),
                Target::AtMost(TARGET_OVER_NODE),
            ));
        }
    }
    Ok(())
}
