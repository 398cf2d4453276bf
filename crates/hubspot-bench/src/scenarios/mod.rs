//! The scenarios, one module each, and what they share.

mod capacity;
mod latency;
mod memory;
mod overhead;
mod quota;
mod regen;

use std::path::PathBuf;

use crate::params::Params;
use crate::report::Report;

/// Scenario names, in the order a run takes them.
pub const NAMES: [&str; 6] = [
    "capacity", "overhead", "latency", "quota", "memory", "regen",
];

/// What every scenario needs: the sizes, where the programs are, and the report to fill.
pub struct Ctx {
    /// Sizes and repetitions of this run.
    pub params: Params,
    /// This executable (started again as `serve-mock`).
    pub exe: PathBuf,
    /// The `hubspot-upsert` binary, for the memory scenario.
    pub cli: Option<PathBuf>,
    /// The workspace root (for `cargo xtask generate`).
    pub workspace: PathBuf,
    /// Where generated input files are kept between runs.
    pub data_dir: PathBuf,
    /// The report being filled.
    pub report: Report,
}

/// Runs the scenario called `name`.
pub async fn run(name: &str, ctx: &mut Ctx) -> anyhow::Result<()> {
    match name {
        "capacity" => capacity::run(ctx).await,
        "overhead" => overhead::run(ctx).await,
        "latency" => latency::run(ctx).await,
        "quota" => quota::run(ctx).await,
        "memory" => memory::run(ctx),
        "regen" => regen::run(ctx),
        other => anyhow::bail!("unknown scenario {other:?}"),
    }
}

/// Records per second.
pub fn rate(records: u64, elapsed: std::time::Duration) -> f64 {
    records as f64 / elapsed.as_secs_f64().max(1e-9)
}
