//! The scenarios, one module each, and what they share.

mod capacity;
mod incremental;
mod latency;
mod memory;
mod overhead;
mod peers;
mod quota;
mod regen;
mod shared_quota;
mod small_jobs;
mod versions;

use std::path::PathBuf;

use crate::cpus::{self, CpuSplit};
use crate::params::Params;
use crate::report::Report;

/// Scenario names, in the order a run takes them.
pub const NAMES: [&str; 11] = [
    "capacity",
    "overhead",
    "latency",
    "quota",
    "versions",
    "shared-quota",
    "peers",
    "small-jobs",
    "memory",
    "incremental",
    "regen",
];

/// Scenarios run with the core split of [`crate::cpus`]: the mock process on one CPU, the
/// harness on the others. The rest run unpinned (their figures are not throughput on the
/// loopback: pacing, peak RSS, a cargo command).
pub const PINNED: [&str; 3] = ["capacity", "overhead", "latency"];

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
    /// The CPUs this process may run on, as found at start.
    pub allowed_cpus: Vec<usize>,
    /// The core split of the [`PINNED`] scenarios; `None` with fewer than two CPUs.
    pub cpu_split: Option<CpuSplit>,
}

impl Ctx {
    /// The CPU to pin a pinned scenario's mock process to, if any.
    pub fn mock_cpu(&self) -> Option<usize> {
        self.cpu_split.as_ref().map(|split| split.mock)
    }

    /// What a pinned scenario's set-up line says about CPUs.
    pub fn cpu_note(&self) -> String {
        cpus::describe(self.cpu_split.as_ref(), &self.allowed_cpus)
    }
}

/// Runs the scenario called `name`.
pub async fn run(name: &str, ctx: &mut Ctx) -> anyhow::Result<()> {
    match name {
        "capacity" => capacity::run(ctx).await,
        "overhead" => overhead::run(ctx).await,
        "latency" => latency::run(ctx).await,
        "quota" => quota::run(ctx).await,
        "versions" => versions::run(ctx).await,
        "shared-quota" => shared_quota::run(ctx),
        "peers" => peers::run(ctx),
        "small-jobs" => small_jobs::run(ctx),
        "memory" => memory::run(ctx),
        "incremental" => incremental::run(ctx),
        "regen" => regen::run(ctx),
        other => anyhow::bail!("unknown scenario {other:?}"),
    }
}

/// Records per second.
pub fn rate(records: u64, elapsed: std::time::Duration) -> f64 {
    records as f64 / elapsed.as_secs_f64().max(1e-9)
}
