//! Scenario 8, peers: what a user would pick instead of this client. HubSpot's official Node
//! SDK (`@hubspot/api-client`, which posts to the v3 path the mock also serves) and its
//! generated Python SDK (`hubspot-sdk`, 2026-03 paths) upsert the same records as
//! `hubspot-crm` (the library, in a process of its own) and `hubspot-upsert` (the CLI, parsing
//! an NDJSON file), in batches of 100 with the same concurrency, into one unlimited mock.
//! Contenders take turns, the order rotating every repetition, after an untimed pass that
//! creates the records (every timed turn updates).
//!
//! Every contender is a child process started through `hubspot-bench measure-rss`, which
//! reports the child's own CPU time and peak RSS from `wait4`. Figures: CPU µs per record,
//! wall records/s, peak RSS; the ratios of CPU per record of ours over each SDK's, per
//! repetition (the turns of one repetition run back to back).
//!
//! Beside them, the floor (`hubspot-bench codec-floor`, see [`crate::codec_floor`]): the CPU
//! that the generated types alone cost for the same records (build, encode, decode) and that
//! the HTTP alone costs (pre-encoded bodies sent, answers read), with their sum over each SDK's
//! CPU per record: the least any client of the generated types can reach, reported so that
//! the targets can be read against it.
//!
//! A second row runs each contender against a mock that enforces the professional plan's
//! window, with the retries each offers switched on (the Node SDK's `numberOfApiCallRetries`
//! at its maximum of 6; the Python SDK's default `max_retries` of 2; ours by default), and
//! reports the share of 429s and the records lost.
//!
//! The SDKs are installed, pinned, into `target/bench-peers/` with npm and pip (see
//! [`crate::peer_install`]); one that cannot be installed is named in a note and its rows
//! are skipped. Smoke runs do not install them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use super::{Ctx, rate};
use crate::client_run;
use crate::mock_proc::{MockProcess, MockSetup};
use crate::params::CONCURRENCY;
use crate::peer_install::{self, Peer};
use crate::records;
use crate::stats::{Figure, Target};
use crate::usage::{ChildUsage, read_measurement};

const SCENARIO: &str = "peers";
/// Guards against regression of our CPU per record over the Node SDK's and the Python SDK's
/// (whole process, start-up included). Not speed targets: the generated types alone (the
/// floor, reported beside them) take a good part of the library's share, and at HubSpot's
/// ceiling the whole client needs a small fraction of a core (BENCHMARKS.md has the
/// figures); what users feel is the wall time of the small-jobs scenario.
const TARGET_LIB_OVER_NODE: f64 = 1.0 / 5.0;
const TARGET_LIB_OVER_PYTHON: f64 = 1.0 / 25.0;
const TARGET_CLI_OVER_NODE: f64 = 1.0 / 4.0;
const TARGET_CLI_OVER_PYTHON: f64 = 1.0 / 15.0;
/// Retries switched on for the limited row.
pub(super) const NODE_RETRIES: u32 = 6;
const PYTHON_RETRIES: u32 = 2;

#[derive(Debug, Clone)]
pub(super) enum Contender {
    Lib,
    Cli(PathBuf),
    Peer(Peer),
    /// The generated types and the HTTP alone: not a client, a floor under ours.
    Floor,
}

impl Contender {
    pub(super) fn name(&self) -> &str {
        match self {
            Contender::Lib => "hubspot-crm",
            Contender::Cli(_) => "hubspot-upsert",
            Contender::Peer(p) => p.name,
            Contender::Floor => FLOOR,
        }
    }
}

const FLOOR: &str = "generated types alone";

/// The floor's own figures, from its JSON line: CPU µs per record of the generated types'
/// work and of the HTTP.
fn floor_figures(stdout: &str, n: u64) -> Option<(f64, f64)> {
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).ok()?;
    let per_record = |key: &str| Some(line.get(key)?.as_f64()? / n.max(1) as f64);
    Some((per_record("cpu_us")?, per_record("http_cpu_us")?))
}

/// What one turn measured.
pub(super) struct Turn {
    pub(super) usage: ChildUsage,
    pub(super) elapsed: Duration,
    pub(super) stdout: String,
}

/// Runs the scenario.
pub fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let p = ctx.params.clone();
    let cli = ctx
        .cli
        .clone()
        .ok_or_else(|| anyhow!("no --cli given: the hubspot-upsert binary is needed"))?;
    let mut contenders = vec![Contender::Lib, Contender::Cli(cli), Contender::Floor];
    let mut installed = Vec::new();
    if p.peers_sdks {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| ctx.workspace.join("target"));
        let cache = target.join("bench-peers");
        let (peers, problems) = peer_install::install(&cache);
        for problem in problems {
            eprintln!("   {problem}; its rows are skipped");
            ctx.report
                .note(format!("peers: {problem}; its rows are skipped"));
        }
        for peer in peers {
            installed.push(peer.package);
            contenders.push(Contender::Peer(peer));
        }
    } else {
        ctx.report.note(
            "peers: this mode does not install HubSpot's SDKs; only hubspot-crm and \
             hubspot-upsert ran",
        );
    }
    let n = p.peers_records;
    let (max, window) = p.shared_window;
    let limited_n =
        u64::from(max) * u64::from(p.peers_limited_windows) * records::BATCH_SIZE as u64;
    ctx.report.setup(
        SCENARIO,
        format!(
            "contenders {:?} (SDKs: {:?}), each a child process measured by wait4; {n} records \
             per turn in batches of 100, {CONCURRENCY} requests in flight, {} repetitions in \
             rotating order, one unlimited mock in its own process, records created by an \
             untimed pass first; ours on a current-thread runtime; the floor ({FLOOR}: \
             build, encode, decode on one thread, and the HTTP alone, one request in flight) \
             reports its own CPU time of each part. Limited row: {limited_n} records per \
             contender into a fresh mock enforcing {max} requests per {} ms, retries on (Node SDK \
             numberOfApiCallRetries {NODE_RETRIES}, Python SDK max_retries {PYTHON_RETRIES}, \
             ours by default)",
            contenders.iter().map(Contender::name).collect::<Vec<_>>(),
            installed,
            p.peers_reps,
            window.as_millis()
        ),
    );

    let file = ndjson(&ctx.data_dir, "peer", n)?;
    let mut mock = MockProcess::spawn(&ctx.exe, MockSetup::default())?;
    // Untimed: create the records, so that every timed turn updates them.
    let warm = run_turn(
        ctx,
        &Contender::Lib,
        mock.base_url(),
        n,
        "peer",
        &file,
        None,
    )?;
    check_turn(ctx, "warm-up", &Contender::Lib, &warm, n);
    let k = contenders.len();
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut speed: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut rss: Vec<Vec<f64>> = vec![Vec::new(); k];
    // The floor's two parts, per repetition.
    let mut floor_codec = Vec::new();
    let mut floor_http = Vec::new();
    for rep in 0..p.peers_reps {
        for step in 0..k {
            let idx = (step + rep) % k;
            let before = mock.stats()?;
            let turn = run_turn(
                ctx,
                &contenders[idx],
                mock.base_url(),
                n,
                "peer",
                &file,
                None,
            )?;
            let written = mock.stats()?.since(&before).written();
            check_turn(ctx, &format!("rep {rep}"), &contenders[idx], &turn, n);
            ctx.report.check(
                SCENARIO,
                &format!("{}: the mock wrote every record", contenders[idx].name()),
                written == n,
                format!("rep {rep}: mock wrote {written} of {n}"),
            );
            if let Contender::Floor = contenders[idx] {
                let figures = floor_figures(&turn.stdout, n);
                ctx.report.check(
                    SCENARIO,
                    &format!("{FLOOR}: said what it measured"),
                    figures.is_some(),
                    format!("rep {rep}: said {}", turn.stdout.trim()),
                );
                let (codec, http) = figures.unwrap_or((f64::NAN, f64::NAN));
                floor_codec.push(codec);
                floor_http.push(http);
                cpu[idx].push(codec + http);
                continue;
            }
            cpu[idx].push(turn.usage.cpu_time.as_secs_f64() * 1e6 / n as f64);
            speed[idx].push(rate(n, turn.elapsed));
            rss[idx].push(turn.usage.peak_rss_bytes as f64 / (1024.0 * 1024.0));
        }
    }
    drop(mock);
    for (idx, c) in contenders.iter().enumerate() {
        let name = c.name();
        if let Contender::Floor = c {
            ctx.report.figure(Figure::new(
                SCENARIO,
                format!("{FLOOR}: CPU per record of building, encoding and decoding"),
                "µs",
                floor_codec.clone(),
                Target::None,
            ));
            ctx.report.figure(Figure::new(
                SCENARIO,
                "HTTP alone: CPU per record (bodies encoded beforehand, answers read, 1 in flight)",
                "µs",
                floor_http.clone(),
                Target::None,
            ));
            continue;
        }
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{name}: CPU per record (whole process)"),
            "µs",
            cpu[idx].clone(),
            Target::None,
        ));
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{name}: wall throughput"),
            "records/s",
            speed[idx].clone(),
            Target::None,
        ));
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{name}: peak RSS"),
            "MiB",
            rss[idx].clone(),
            Target::None,
        ));
    }
    let find = |name: &str| contenders.iter().position(|c| c.name() == name);
    let floor_sum = format!("floor ({FLOOR} + HTTP alone)");
    let ratios = [
        (
            "hubspot-crm",
            "hubspot-crm",
            "Node SDK",
            Target::AtMost(TARGET_LIB_OVER_NODE),
        ),
        (
            "hubspot-crm",
            "hubspot-crm",
            "Python SDK",
            Target::AtMost(TARGET_LIB_OVER_PYTHON),
        ),
        (
            "hubspot-upsert",
            "hubspot-upsert",
            "Node SDK",
            Target::AtMost(TARGET_CLI_OVER_NODE),
        ),
        (
            "hubspot-upsert",
            "hubspot-upsert",
            "Python SDK",
            Target::AtMost(TARGET_CLI_OVER_PYTHON),
        ),
        // Reported, so that the targets can be read against what no client can go below.
        (FLOOR, floor_sum.as_str(), "Node SDK", Target::None),
        (FLOOR, floor_sum.as_str(), "Python SDK", Target::None),
    ];
    for (ours, label, theirs, target) in ratios {
        let (Some(a), Some(b)) = (find(ours), find(theirs)) else {
            continue;
        };
        let samples: Vec<f64> = cpu[a].iter().zip(&cpu[b]).map(|(x, y)| x / y).collect();
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("CPU per record, {label} / {theirs} (per repetition)"),
            "ratio",
            samples,
            target,
        ));
    }

    // The limited row: each contender alone against the plan's window, retries on.
    let limited_file = ndjson(&ctx.data_dir, "peerq", limited_n)?;
    for c in contenders.iter().filter(|c| !matches!(c, Contender::Floor)) {
        let mut mock = MockProcess::spawn(
            &ctx.exe,
            MockSetup {
                rate_limit: Some((max, window)),
                ..MockSetup::default()
            },
        )?;
        let turn = run_turn(
            ctx,
            c,
            mock.base_url(),
            limited_n,
            "peerq",
            &limited_file,
            Some((max, window)),
        )?;
        let stats = mock.stats()?;
        let lost = limited_n.saturating_sub(stats.created);
        let share = stats.rate_limited as f64 / stats.requests.max(1) as f64 * 100.0;
        let name = c.name();
        ctx.report.check(
            SCENARIO,
            &format!("{name} under the plan's limit: ran to the end"),
            turn.usage.exit_code == Some(0),
            format!(
                "exit {:?}; mock created {} of {limited_n}, {} requests, {} answered 429; \
                 driver said {}",
                turn.usage.exit_code,
                stats.created,
                stats.requests,
                stats.rate_limited,
                turn.stdout.trim()
            ),
        );
        // Ours are judged; the SDKs' figures are reported beside them.
        let ours = matches!(c, Contender::Lib | Contender::Cli(_));
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{name} under the plan's limit, retries on: 429 responses"),
            "% of requests",
            vec![share],
            if ours {
                Target::Below(1.0)
            } else {
                Target::None
            },
        ));
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{name} under the plan's limit, retries on: records lost"),
            "records",
            vec![lost as f64],
            if ours {
                Target::AtMost(0.0)
            } else {
                Target::None
            },
        ));
        ctx.report.figure(Figure::new(
            SCENARIO,
            format!("{name} under the plan's limit, retries on: records/s over the ceiling"),
            "ratio",
            vec![
                rate(stats.created, turn.elapsed)
                    / (f64::from(max) * records::BATCH_SIZE as f64 / window.as_secs_f64()),
            ],
            Target::None,
        ));
    }
    Ok(())
}

/// Checks that a turn's process succeeded and, where it says, stored every record.
pub(super) fn check_turn(ctx: &mut Ctx, when: &str, c: &Contender, turn: &Turn, n: u64) {
    let said_ok = match c {
        Contender::Cli(_) => true,
        _ => {
            turn.stdout.contains(&format!("\"records_ok\":{n}"))
                || turn.stdout.contains(&format!("\"records_ok\": {n}"))
        }
    };
    ctx.report.check(
        SCENARIO,
        &format!("{}: ran, every record upserted", c.name()),
        turn.usage.exit_code == Some(0) && said_ok,
        format!(
            "{when}: exit {:?}, said {}",
            turn.usage.exit_code,
            turn.stdout.trim()
        ),
    );
}

/// The NDJSON file of `n` records of key space `prefix`, written once.
pub(super) fn ndjson(dir: &Path, prefix: &str, n: u64) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{prefix}-{n}.ndjson"));
    if !path.exists() {
        records::write_ndjson(&path, prefix, n)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}

/// Runs one contender as a child of `measure-rss` and waits for it.
pub(super) fn run_turn(
    ctx: &Ctx,
    c: &Contender,
    base_url: &str,
    n: u64,
    prefix: &str,
    file: &Path,
    limit: Option<(u32, Duration)>,
) -> anyhow::Result<Turn> {
    let measurement = ctx.data_dir.join("peer-usage.txt");
    let _ = std::fs::remove_file(&measurement);
    let mut cmd = Command::new(&ctx.exe);
    cmd.arg("measure-rss").arg(&measurement);
    match c {
        Contender::Lib => {
            cmd.arg(&ctx.exe)
                .arg("upsert-lib")
                .arg(base_url)
                .arg(n.to_string())
                .arg(prefix)
                .arg(CONCURRENCY.to_string());
            if let Some((max, window)) = limit {
                cmd.arg(format!("{max}/{}", window.as_millis()));
            }
        }
        Contender::Cli(cli) => {
            let plan = if limit.is_some() {
                "professional"
            } else {
                "api-add-on"
            };
            cmd.arg(cli)
                .args(["--base-url", base_url, "--plan", plan, "--quiet"])
                .args(["--concurrency", &CONCURRENCY.to_string()])
                .args(["-t", records::OBJECT_TYPE, "-i", records::ID_PROPERTY])
                .arg(file);
        }
        Contender::Floor => {
            cmd.arg(&ctx.exe)
                .arg("codec-floor")
                .arg(base_url)
                .arg(n.to_string())
                .arg(prefix);
        }
        Contender::Peer(peer) => {
            let retries = match (limit, peer.name) {
                (None, _) => 0,
                (Some(_), "Node SDK") => NODE_RETRIES,
                (Some(_), _) => PYTHON_RETRIES,
            };
            cmd.arg(&peer.program)
                .arg(&peer.script)
                .env("BASE_URL", base_url)
                .env("RECORDS", n.to_string())
                .env("PREFIX", prefix)
                .env("CONCURRENCY", CONCURRENCY.to_string())
                .env("RETRIES", retries.to_string());
        }
    }
    let start = Instant::now();
    let out = cmd
        .env("HUBSPOT_ACCESS_TOKEN", client_run::TOKEN)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running {} under measure-rss", c.name()))?;
    let elapsed = start.elapsed();
    let usage = std::fs::read_to_string(&measurement)
        .ok()
        .as_deref()
        .and_then(read_measurement)
        .ok_or_else(|| {
            anyhow!(
                "{}: measure-rss wrote no measurement ({}): {}",
                c.name(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
                    .chars()
                    .take(500)
                    .collect::<String>()
            )
        })?;
    Ok(Turn {
        usage,
        elapsed,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::floor_figures;

    #[test]
    fn the_floor_line_gives_cpu_per_record_of_each_part() {
        let line = r#"{"records_ok":200,"records_failed":0,"cpu_us":1000,"http_cpu_us":300}"#;
        assert_eq!(floor_figures(line, 200), Some((5.0, 1.5)));
        assert_eq!(floor_figures(r#"{"records_ok":200}"#, 200), None);
        assert_eq!(floor_figures("not json", 200), None);
    }
}
