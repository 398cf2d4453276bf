//! The child side of [`crate::mock_proc`]: `hubspot-bench serve-mock` runs the mock on a
//! one-thread runtime (so on one core; `--cpu N` pins the process to CPU N), prints `ready <base url>`, answers `stats` lines on
//! stdin with a JSON [`MockStats`] line, and exits when stdin closes or says `quit`.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use hubspot_crm_mock::MockServer;

use crate::mock_proc::MockStats;
use crate::usage::process_cpu_time;

/// Runs the mock process with `args` (after `serve-mock`).
pub fn main(args: &[String]) -> anyhow::Result<()> {
    let mut latency = Duration::ZERO;
    let mut rate_limit: Option<(u32, Duration)> = None;
    let mut cpu: Option<usize> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow!("serve-mock: {arg} needs a value"))?;
        match arg.as_str() {
            "--latency-ms" => {
                latency = Duration::from_millis(value.parse().context("--latency-ms")?);
            }
            "--rate-limit" => {
                let (max, ms) = value
                    .split_once('/')
                    .ok_or_else(|| anyhow!("--rate-limit takes MAX/WINDOW_MS, not {value:?}"))?;
                rate_limit = Some((
                    max.parse().context("--rate-limit MAX")?,
                    Duration::from_millis(ms.parse().context("--rate-limit WINDOW_MS")?),
                ));
            }
            "--cpu" => cpu = Some(value.parse().context("--cpu")?),
            other => bail!("serve-mock: unknown option {other:?}"),
        }
    }
    // Pinned before any other thread starts, so the stdin thread and the runtime inherit it.
    if let Some(cpu) = cpu {
        crate::cpus::pin_current_thread(&[cpu])
            .with_context(|| format!("serve-mock: pinning to CPU {cpu}"))?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the mock's runtime")?;
    let mut config = MockServer::builder().latency(latency);
    config = match rate_limit {
        Some((max, window)) => config.rate_limit(max, window),
        None => config.no_rate_limit(),
    };
    let server = runtime
        .block_on(config.start())
        .context("starting the mock")?;

    // Commands arrive on a plain thread; the runtime thread serves requests in between.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    println!("ready {}", server.base_url());
    std::io::stdout().flush().context("writing to stdout")?;
    runtime.block_on(async {
        while let Some(line) = rx.recv().await {
            match line.trim() {
                "stats" => {
                    let c = server.counters();
                    let stats = MockStats {
                        cpu_us: u64::try_from(process_cpu_time().as_micros()).unwrap_or(u64::MAX),
                        requests: c.requests,
                        ok_requests: c.status(200) + c.status(207),
                        rate_limited: c.status(429),
                        created: c.records_created,
                        updated: c.records_updated,
                    };
                    let json = serde_json::to_string(&stats).context("serializing stats")?;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{json}").context("writing to stdout")?;
                    out.flush().context("writing to stdout")?;
                }
                "quit" => break,
                other => eprintln!("serve-mock: unknown command {other:?}"),
            }
        }
        server.shutdown().await;
        Ok(())
    })
}
