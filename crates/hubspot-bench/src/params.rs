//! Sizes, repetitions and windows of each run mode.
//!
//! `quick` must finish in under five minutes and `full` in under twenty on a shared 2-core
//! machine; `smoke` takes seconds and only proves the harness works.

use std::time::Duration;

/// Requests in flight per client: the client's default (`ClientBuilder::concurrency`) and the
/// CLI's `--concurrency` default, so that the library and CLI runs match what users get.
pub const CONCURRENCY: usize = 4;

/// How big a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Seconds: tiny sizes, one repetition, every record accounted for.
    Smoke,
    /// Under two minutes: the scaled quota window, fewer records, three repetitions.
    Quick,
    /// Under fifteen minutes: HubSpot's real window for 40 s, 200,000 records, five repetitions.
    Full,
}

impl Mode {
    /// The mode's name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Smoke => "smoke",
            Mode::Quick => "quick",
            Mode::Full => "full",
        }
    }

    /// Parses `smoke`, `quick` or `full`.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "smoke" => Some(Mode::Smoke),
            "quick" => Some(Mode::Quick),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }
}

/// Every size the scenarios use.
#[derive(Debug, Clone)]
pub struct Params {
    /// The mode these parameters belong to.
    pub mode: Mode,
    /// Repetitions of each contender in the throughput scenarios.
    pub reps: usize,
    /// Records per capacity run.
    pub capacity_records: u64,
    /// Requests in flight while measuring the mock's capacity.
    pub capacity_concurrency: usize,
    /// Records per contender and repetition in the overhead scenario.
    pub overhead_records: u64,
    /// Turns each contender takes per repetition of the overhead scenario, alternating with
    /// the other's; each turn upserts `overhead_records / overhead_turns` records.
    pub overhead_turns: u64,
    /// Requests in flight for both contenders of the overhead scenario.
    pub overhead_concurrency: usize,
    /// Latency the mock adds in the latency-hiding scenario.
    pub latency: Duration,
    /// Concurrency levels of the latency-hiding scenario.
    pub latency_levels: Vec<usize>,
    /// Batches per in-flight slot in the latency-hiding scenario (run time ≈ this × latency).
    pub latency_batches_per_slot: u64,
    /// Requests allowed per window in the quota scenario.
    pub quota_max: u32,
    /// The rolling window of the quota scenario.
    pub quota_window: Duration,
    /// Windows' worth of requests to send (the run lasts about this many windows).
    pub quota_windows: u32,
    /// Repetitions of the quota scenario.
    pub quota_reps: usize,
    /// Records of the incremental scenario (loaded once, then 1% changed and loaded again).
    pub incremental_records: u64,
    /// NDJSON sizes for the CLI memory scenario.
    pub memory_sizes: Vec<u64>,
    /// Repetitions of each memory size.
    pub memory_reps: usize,
    /// Timed runs of `cargo xtask generate` (after one warm-up); 0 skips the scenario.
    pub regen_reps: usize,
    /// The window `(max requests, length)` the shared-quota scenario's mock enforces, and the
    /// peers scenario's limited row.
    pub shared_window: (u32, Duration),
    /// How many CLI processes share the token, one run each.
    pub shared_processes: Vec<usize>,
    /// Records of one shared-quota run, split evenly between the processes (sized so that
    /// the run lasts `shared_seconds` at the window's pace).
    pub shared_seconds: u64,
    /// Records per contender and turn in the peers scenario.
    pub peers_records: u64,
    /// Turns of each contender in the peers scenario.
    pub peers_reps: usize,
    /// Windows' worth of requests each contender sends in the peers scenario's limited row.
    pub peers_limited_windows: u32,
    /// Whether the peers scenario installs and runs HubSpot's SDKs (not in smoke runs).
    pub peers_sdks: bool,
    /// Records of each of the eight small jobs of the shared-quota scenario.
    pub shared_small_job: u64,
    /// Records per job in the small-jobs scenario, one size after the other.
    pub small_jobs_sizes: Vec<u64>,
    /// The mock's response time in the small-jobs scenario.
    pub small_jobs_latency: Duration,
    /// Turns of each contender per size in the small-jobs scenario.
    pub small_jobs_reps: usize,
}

impl Params {
    /// The parameters of `mode`.
    pub fn for_mode(mode: Mode) -> Params {
        match mode {
            Mode::Smoke => Params {
                mode,
                reps: 1,
                capacity_records: 2_000,
                capacity_concurrency: 8,
                overhead_records: 2_000,
                overhead_turns: 2,
                overhead_concurrency: 4,
                latency: Duration::from_millis(20),
                latency_levels: vec![1, 4, 16],
                latency_batches_per_slot: 2,
                quota_max: 5,
                quota_window: Duration::from_millis(200),
                quota_windows: 3,
                quota_reps: 1,
                incremental_records: 3_000,
                memory_sizes: vec![1_000, 3_000],
                memory_reps: 1,
                regen_reps: 0,
                shared_window: (20, Duration::from_millis(500)),
                shared_processes: vec![2],
                shared_seconds: 1,
                peers_records: 1_000,
                peers_reps: 1,
                peers_limited_windows: 2,
                peers_sdks: false,
                shared_small_job: 200,
                small_jobs_sizes: vec![1_000],
                small_jobs_latency: Duration::from_millis(50),
                small_jobs_reps: 1,
            },
            Mode::Quick => Params {
                mode,
                reps: 3,
                capacity_records: 50_000,
                capacity_concurrency: 16,
                overhead_records: 50_000,
                overhead_turns: 5,
                overhead_concurrency: 8,
                latency: Duration::from_millis(100),
                latency_levels: vec![1, 4, 16],
                latency_batches_per_slot: 20,
                quota_max: 19,
                quota_window: Duration::from_secs(1),
                quota_windows: 6,
                quota_reps: 2,
                incremental_records: 100_000,
                memory_sizes: vec![100_000, 1_000_000],
                memory_reps: 1,
                regen_reps: 3,
                shared_window: (190, Duration::from_secs(10)),
                shared_processes: vec![2, 4],
                shared_seconds: 12,
                peers_records: 10_000,
                peers_reps: 3,
                peers_limited_windows: 2,
                peers_sdks: true,
                shared_small_job: 2_000,
                small_jobs_sizes: vec![10_000, 19_000],
                small_jobs_latency: Duration::from_millis(50),
                small_jobs_reps: 2,
            },
            Mode::Full => Params {
                mode,
                reps: 5,
                capacity_records: 200_000,
                capacity_concurrency: 16,
                overhead_records: 200_000,
                overhead_turns: 10,
                overhead_concurrency: 8,
                latency: Duration::from_millis(100),
                latency_levels: vec![1, 4, 16],
                latency_batches_per_slot: 30,
                quota_max: 190,
                quota_window: Duration::from_secs(10),
                quota_windows: 4,
                quota_reps: 2,
                incremental_records: 1_000_000,
                memory_sizes: vec![100_000, 1_000_000],
                memory_reps: 3,
                regen_reps: 5,
                shared_window: (190, Duration::from_secs(10)),
                shared_processes: vec![2, 4],
                shared_seconds: 31,
                peers_records: 20_000,
                peers_reps: 5,
                peers_limited_windows: 2,
                peers_sdks: true,
                shared_small_job: 2_000,
                small_jobs_sizes: vec![10_000, 19_000],
                small_jobs_latency: Duration::from_millis(50),
                small_jobs_reps: 3,
            },
        }
    }
}
