//! Several pacers that share one token against one simulated rolling window, under tokio's
//! paused time: they learn of each other only through the rate-limit headers and 429s, as
//! separate processes do.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::{DEFAULT_PAUSE_AFTER_429, Pacer, Plan, RateLimit};

/// HubSpot's window for one token: counts a request when it arrives, turns it away (uncounted)
/// when `max` arrived in the `interval` before.
struct SimWindow {
    max: u32,
    interval: Duration,
    arrivals: Mutex<VecDeque<Instant>>,
    answered: AtomicU64,
    limited: AtomicU64,
}

impl SimWindow {
    /// An empty window of the Professional plan: 190 requests per rolling 10 s.
    fn professional() -> Self {
        SimWindow {
            max: Plan::Professional.requests_per_interval(),
            interval: Duration::from_secs(10),
            arrivals: Mutex::new(VecDeque::new()),
            answered: AtomicU64::new(0),
            limited: AtomicU64::new(0),
        }
    }

    /// Counts a request arriving now; the headers of its response and whether it was a 429.
    fn arrive(&self) -> (HeaderMap, bool) {
        let now = Instant::now();
        let mut arrivals = self.arrivals.lock().expect("window");
        while arrivals.front().is_some_and(|a| *a + self.interval <= now) {
            arrivals.pop_front();
        }
        let limited = arrivals.len() >= self.max as usize;
        if limited {
            self.limited.fetch_add(1, Ordering::Relaxed);
        } else {
            arrivals.push_back(now);
            self.answered.fetch_add(1, Ordering::Relaxed);
        }
        let remaining = self.max as usize - arrivals.len().min(self.max as usize);
        let mut h = HeaderMap::new();
        h.insert("x-hubspot-ratelimit-max", self.max.into());
        h.insert("x-hubspot-ratelimit-remaining", remaining.into());
        h.insert(
            "x-hubspot-ratelimit-interval-milliseconds",
            (self.interval.as_millis() as u64).into(),
        );
        (h, limited)
    }
}

/// What a simulation measured.
#[derive(Debug)]
struct Measured {
    /// 429s as a share of all requests.
    share_429: f64,
    /// Requests answered over the window's nominal pace (`max` per interval) for the time
    /// from the first pacer's start to the end.
    throughput: f64,
    /// Requests answered per pacer, to see that none was starved.
    per_pacer: Vec<u64>,
}

/// One request in a slot the pacer granted at `granted_at`: 2 to 40 ms to reach the window,
/// as long to come back, then what the pacer learns from the answer (a 429 pauses it).
/// Whether the request was answered rather than refused.
async fn send(
    pacer: &Pacer,
    window: &SimWindow,
    rng: &mut fastrand::Rng,
    granted_at: Instant,
) -> bool {
    tokio::time::sleep(Duration::from_micros(rng.u64(2_000..40_000))).await;
    let (headers, limited) = window.arrive();
    tokio::time::sleep(Duration::from_micros(rng.u64(2_000..40_000))).await;
    pacer.observe(&headers, granted_at);
    if limited {
        pacer.pause(DEFAULT_PAUSE_AFTER_429);
    }
    !limited
}

/// `pacers` clients, each with `concurrency` requests in flight and the Starter plan's limit
/// configured (they learn the Professional plan's 190 per 10 s from the headers), start at
/// random moments in the first two seconds and keep sending until `run`. Each request takes
/// 2 to 40 ms to reach the window and as long to come back.
async fn simulate(pacers: usize, concurrency: usize, run: Duration, seed: u64) -> Measured {
    let window = Arc::new(SimWindow::professional());
    let t0 = Instant::now();
    let end = t0 + run;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counters = Vec::new();
    let mut first_start = end;
    let mut tasks = Vec::new();
    for _ in 0..pacers {
        let pacer = Arc::new(Pacer::new(RateLimit::default()));
        let start = t0 + Duration::from_millis(rng.u64(0..2_000));
        first_start = first_start.min(start);
        let answered = Arc::new(AtomicU64::new(0));
        counters.push(answered.clone());
        for _ in 0..concurrency {
            let (pacer, window, answered) = (pacer.clone(), window.clone(), answered.clone());
            let mut rng = fastrand::Rng::with_seed(rng.u64(..));
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(start).await;
                loop {
                    let grant = pacer.acquire().await;
                    if grant.at >= end {
                        break;
                    }
                    if send(&pacer, &window, &mut rng, grant.at).await {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("worker");
    }
    let answered = window.answered.load(Ordering::Relaxed) as f64;
    let limited = window.limited.load(Ordering::Relaxed) as f64;
    let span = (end - first_start).as_secs_f64();
    let nominal = f64::from(window.max) * span / window.interval.as_secs_f64();
    Measured {
        share_429: limited / (answered + limited).max(1.0),
        throughput: answered / nominal,
        per_pacer: counters.iter().map(|c| c.load(Ordering::Relaxed)).collect(),
    }
}

fn run_sim(pacers: usize, seed: u64) -> Measured {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(simulate(pacers, 4, Duration::from_secs(60), seed))
}

fn assert_shares_the_window(pacers: usize) {
    for seed in 1..=5 {
        let m = run_sim(pacers, seed);
        eprintln!("{pacers} pacers, seed {seed}: {m:?}");
        assert!(m.share_429 < 0.01, "{pacers} pacers, seed {seed}: {m:?}");
        assert!(m.throughput >= 0.95, "{pacers} pacers, seed {seed}: {m:?}");
        // The window starts cold, so 60 s may hold one window more than 6 at the nominal
        // pace: more than that would have been 429s.
        assert!(
            m.throughput <= 1.0 + 10.0 / 60.0,
            "{pacers} pacers, seed {seed}: {m:?}"
        );
        // Nobody is starved. Shares are not equal: a pacer that started up to two seconds
        // before the others keeps more of the window than they win in their first interval.
        let total: u64 = m.per_pacer.iter().sum();
        for (i, got) in m.per_pacer.iter().enumerate() {
            assert!(
                *got as f64 >= total as f64 / pacers as f64 / 10.0,
                "{pacers} pacers, seed {seed}: pacer {i} got {got} of {total}"
            );
        }
    }
}

#[test]
fn two_pacers_share_one_window() {
    assert_shares_the_window(2);
}

#[test]
fn four_pacers_share_one_window() {
    assert_shares_the_window(4);
}

/// Alone, a pacer keeps half the headroom (rule 5): over a minute from a cold start it fills
/// at least 97% of the window's nominal pace, and never meets a 429.
#[test]
fn one_pacer_alone_uses_the_window() {
    for seed in 1..=5 {
        let m = run_sim(1, seed);
        eprintln!("1 pacer, seed {seed}: {m:?}");
        assert_eq!(m.share_429, 0.0, "seed {seed}: {m:?}");
        assert!(m.throughput >= 0.97, "seed {seed}: {m:?}");
    }
}

/// `pacers` jobs, each with `requests` requests to send (retrying the 429s) and `concurrency`
/// in flight, as separate CLI runs of equal files are: pacer `k` starts `stagger × k` after
/// the first, so their shares differ and they finish at different times. Throughput is over
/// the time from the first start to the last answer, as the bench measures it; the tail,
/// where only some jobs remain, counts.
async fn simulate_jobs(
    pacers: usize,
    requests: u64,
    concurrency: usize,
    stagger: Duration,
    seed: u64,
) -> Measured {
    let window = Arc::new(SimWindow::professional());
    let t0 = Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counters = Vec::new();
    let last_answer = Arc::new(Mutex::new(t0));
    let mut tasks = Vec::new();
    for k in 0..pacers {
        let pacer = Arc::new(Pacer::new(RateLimit::plan(Plan::Professional)));
        let start = t0 + stagger * k as u32;
        let tickets = Arc::new(AtomicU64::new(requests));
        let answered = Arc::new(AtomicU64::new(0));
        counters.push(answered.clone());
        for _ in 0..concurrency {
            let (pacer, window, answered, tickets, last_answer) = (
                pacer.clone(),
                window.clone(),
                answered.clone(),
                tickets.clone(),
                last_answer.clone(),
            );
            let mut rng = fastrand::Rng::with_seed(rng.u64(..));
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(start).await;
                while tickets
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(1))
                    .is_ok()
                {
                    loop {
                        let grant = pacer.acquire().await;
                        if send(&pacer, &window, &mut rng, grant.at).await {
                            answered.fetch_add(1, Ordering::Relaxed);
                            let mut last = last_answer.lock().expect("last answer");
                            *last = (*last).max(Instant::now());
                            break;
                        }
                    }
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("worker");
    }
    let answered = window.answered.load(Ordering::Relaxed) as f64;
    let limited = window.limited.load(Ordering::Relaxed) as f64;
    let span = (*last_answer.lock().expect("last answer") - t0).as_secs_f64();
    let nominal = f64::from(window.max) * span / window.interval.as_secs_f64();
    Measured {
        share_429: limited / (answered + limited).max(1.0),
        throughput: answered / nominal,
        per_pacer: counters.iter().map(|c| c.load(Ordering::Relaxed)).collect(),
    }
}

fn run_jobs(pacers: usize, stagger_ms: u64, seed: u64) -> Measured {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    // 31 s at the window's pace in all, as the bench's full run: 589 requests split evenly.
    let requests = 589u64.div_ceil(pacers as u64);
    rt.block_on(simulate_jobs(
        pacers,
        requests,
        4,
        Duration::from_millis(stagger_ms),
        seed,
    ))
}

/// Jobs started within 150 ms of each other (as the bench starts its processes) reach 0.95 of
/// the window's pace over the whole run, tail included. Jobs started half a second or more
/// apart reach less (at least 0.90): the newcomer's cautious start and the first one's pace
/// both fill the cold window early, and the gap that leaves before the window rolls over
/// echoes for a few intervals.
fn assert_jobs_share_the_window(pacers: usize) {
    let mut missed = Vec::new();
    for (seed, stagger_ms, floor) in [
        (1, 0, 0.95),
        (2, 20, 0.95),
        (3, 150, 0.95),
        (4, 500, 0.90),
        (5, 2_000, 0.90),
    ] {
        let m = run_jobs(pacers, stagger_ms, seed);
        eprintln!("{pacers} jobs, stagger {stagger_ms} ms: {m:?}");
        if m.share_429 >= 0.01 || m.throughput < floor || m.throughput > 1.0 + 10.0 / 31.0 {
            missed.push(format!("stagger {stagger_ms} ms (floor {floor}): {m:?}"));
        }
    }
    assert!(missed.is_empty(), "{pacers} jobs: {missed:#?}");
}

#[test]
fn two_jobs_of_equal_size_finish_at_the_windows_pace() {
    assert_jobs_share_the_window(2);
}

#[test]
fn four_jobs_of_equal_size_finish_at_the_windows_pace() {
    assert_jobs_share_the_window(4);
}
