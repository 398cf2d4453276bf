//! The pacing rules: one rolling-window limiter shared by every request of a client.
//!
//! # The rule
//! A request is admitted at time `t` only if fewer than `max` requests were admitted in the
//! half-open window `(t - interval, t]`. So in *any* window of length `interval`, at most
//! `max` requests start, which is how HubSpot counts ("requests per rolling 10 seconds").
//! This is deliberately not a GCRA/token bucket with burst `max`: such a limiter lets a full
//! burst through, then refills at `max / interval`, so a rolling window straddling the burst
//! sees almost `2 × max` requests and HubSpot answers 429.
//!
//! Requests wait in one first-come-first-served queue (a fair `tokio` mutex), retries
//! included, so a retry does not jump ahead of requests that waited longer.
//!
//! # Learning from HubSpot
//! After every response the limiter reads `X-HubSpot-RateLimit-Max` and
//! `X-HubSpot-RateLimit-Interval-Milliseconds` and adopts them (HubSpot knows the account's
//! real plan). It reads `X-HubSpot-RateLimit-Remaining`: when HubSpot has counted more
//! requests in the window than this client sent (other processes using the same app), the
//! difference is recorded as requests made now, so the client slows down as `Remaining` runs
//! low instead of running into a 429. A 429 pauses every request of the client: for the
//! `Retry-After` if the response had one, otherwise for [`DEFAULT_PAUSE_AFTER_429`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// HubSpot's rate-limit interval: a rolling 10 seconds.
pub const HUBSPOT_INTERVAL: Duration = Duration::from_secs(10);
/// How long every request pauses after a 429 without `Retry-After`: a tenth of the window,
/// enough for the oldest requests to leave it.
pub const DEFAULT_PAUSE_AFTER_429: Duration = Duration::from_secs(1);

const HEADER_MAX: &str = "x-hubspot-ratelimit-max";
const HEADER_REMAINING: &str = "x-hubspot-ratelimit-remaining";
const HEADER_INTERVAL_MS: &str = "x-hubspot-ratelimit-interval-milliseconds";

/// A HubSpot plan, for its per-app request limit per rolling 10 seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Plan {
    /// Free: 100 requests per 10 s.
    Free,
    /// Starter: 100 requests per 10 s.
    Starter,
    /// Professional: 190 requests per 10 s.
    Professional,
    /// Enterprise: 190 requests per 10 s.
    Enterprise,
    /// With the API limit increase add-on: 250 requests per 10 s.
    ApiLimitIncrease,
    /// A public marketplace (OAuth) app: 110 requests per 10 s per installing account.
    PublicApp,
}

impl Plan {
    /// Requests allowed per rolling 10 seconds.
    pub fn requests_per_interval(self) -> u32 {
        match self {
            Plan::Free | Plan::Starter => 100,
            Plan::Professional | Plan::Enterprise => 190,
            Plan::ApiLimitIncrease => 250,
            Plan::PublicApp => 110,
        }
    }
}

/// How fast a client may send requests: at most `max` in any rolling `interval`.
///
/// ```
/// use hubspot_crm::{Plan, RateLimit};
/// use std::time::Duration;
/// assert_eq!(RateLimit::plan(Plan::Professional), RateLimit::new(190, Duration::from_secs(10)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    max: u32,
    interval: Duration,
    margin: Option<Duration>,
    learn: bool,
}

impl RateLimit {
    /// The limit of a plan, over HubSpot's 10-second window.
    pub fn plan(plan: Plan) -> Self {
        RateLimit::new(plan.requests_per_interval(), HUBSPOT_INTERVAL)
    }

    /// At most `max` (at least 1) requests in any rolling `interval`.
    pub fn new(max: u32, interval: Duration) -> Self {
        RateLimit {
            max: max.max(1),
            interval,
            margin: None,
            learn: true,
        }
    }

    /// Extra time added to the window (default: a fortieth of the interval, 250 ms for
    /// HubSpot's 10 s). HubSpot counts a request when it arrives, the pacer when it starts;
    /// two requests started exactly one interval apart can arrive closer than that when the
    /// network delays the first more than the second.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    /// Whether to adopt the limit HubSpot reports in its `X-HubSpot-RateLimit-*` headers
    /// (default true).
    pub fn learn_from_headers(mut self, learn: bool) -> Self {
        self.learn = learn;
        self
    }

    /// Requests per interval.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// The interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl Default for RateLimit {
    /// The Starter plan's 100 requests per 10 s, the safe choice when the plan is unknown.
    fn default() -> Self {
        RateLimit::plan(Plan::Starter)
    }
}

/// The limiter itself: shared by all tasks of a client.
#[derive(Debug)]
pub(crate) struct Pacer {
    /// Held by the request whose turn it is; tokio's mutex is fair, so turns are FIFO.
    queue: tokio::sync::Mutex<()>,
    state: Mutex<Window>,
    learn: bool,
    margin: Option<Duration>,
}

#[derive(Debug)]
struct Window {
    max: u32,
    /// The interval plus the safety margin.
    interval: Duration,
    /// Start times of admitted (or HubSpot-counted) requests still inside the window, oldest first.
    grants: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl Window {
    fn expire(&mut self, now: Instant) {
        while let Some(first) = self.grants.front() {
            if *first + self.interval <= now {
                self.grants.pop_front();
            } else {
                break;
            }
        }
    }

    /// When the next request may start, or `None` if it may start now.
    fn next_slot(&self, now: Instant) -> Option<Instant> {
        let mut at = now;
        if let Some(p) = self.paused_until {
            at = at.max(p);
        }
        let max = self.max as usize;
        if self.grants.len() >= max {
            let must_leave = self.grants[self.grants.len() - max];
            at = at.max(must_leave + self.interval);
        }
        (at > now).then_some(at)
    }
}

impl Pacer {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Pacer {
            queue: tokio::sync::Mutex::new(()),
            state: Mutex::new(Window {
                max: limit.max,
                interval: with_margin(limit.interval, limit.margin),
                grants: VecDeque::new(),
                paused_until: None,
            }),
            learn: limit.learn,
            margin: limit.margin,
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this request's turn and slot; returns how long it waited.
    pub(crate) async fn acquire(&self) -> Duration {
        let started = Instant::now();
        let _turn = self.queue.lock().await;
        loop {
            let now = Instant::now();
            let slot = {
                let mut w = self.window();
                w.expire(now);
                let slot = w.next_slot(now);
                if slot.is_none() {
                    w.grants.push_back(now);
                }
                slot
            };
            match slot {
                None => return now.saturating_duration_since(started),
                // Re-check after sleeping: a 429 may have extended the pause meanwhile.
                Some(at) => tokio::time::sleep_until(at).await,
            }
        }
    }

    /// Pauses every request of the client for `pause` from now.
    pub(crate) fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut w = self.window();
        w.paused_until = Some(w.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Learns from a response's `X-HubSpot-RateLimit-*` headers. Use by others that the
    /// headers reveal is recorded up to [`MAX_RECORDED_OUTSIDE_USE`] requests per window.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        if !self.learn {
            return;
        }
        let read =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let now = Instant::now();
        let mut w = self.window();
        if let Some(max) = read(HEADER_MAX).filter(|m| *m > 0) {
            let max = u32::try_from(max).unwrap_or(u32::MAX);
            if max != w.max {
                tracing::debug!(old = w.max, new = max, "rate limit learned from HubSpot");
                w.max = max;
            }
        }
        if let Some(ms) = read(HEADER_INTERVAL_MS).filter(|ms| *ms > 0) {
            w.interval = with_margin(Duration::from_millis(ms), self.margin);
        }
        if let Some(remaining) = read(HEADER_REMAINING) {
            w.expire(now);
            // Bounded: a server that advertises a huge window (`u32::MAX` when it enforces
            // none) and few remaining must not make us record billions of requests.
            let used_per_hubspot = u64::from(w.max)
                .saturating_sub(remaining)
                .min(MAX_RECORDED_OUTSIDE_USE);
            let mut ours = w.grants.len() as u64;
            while ours < used_per_hubspot {
                w.grants.push_back(now);
                ours += 1;
            }
        }
    }

    /// The limit in force now.
    #[cfg(test)]
    pub(crate) fn current(&self) -> (u32, Duration) {
        let w = self.window();
        (w.max, w.interval)
    }
}

/// The most requests the pacer records in its window on the word of the rate-limit headers:
/// far above any HubSpot plan's window (250), and it keeps a server that advertises an
/// unbounded window from costing unbounded memory.
const MAX_RECORDED_OUTSIDE_USE: u64 = 100_000;

fn with_margin(interval: Duration, margin: Option<Duration>) -> Duration {
    interval + margin.unwrap_or(interval / 40)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    #[tokio::test(start_paused = true)]
    async fn admits_max_then_waits_for_the_oldest_to_leave() {
        let pacer = Pacer::new(RateLimit::new(3, Duration::from_secs(10)).margin(Duration::ZERO));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.acquire().await, Duration::ZERO);
        }
        tokio::time::advance(Duration::from_secs(4)).await;
        let waited = pacer.acquire().await;
        assert_eq!(waited, Duration::from_secs(6));
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_everyone() {
        let pacer = Arc::new(Pacer::new(RateLimit::new(100, Duration::from_secs(10))));
        pacer.pause(Duration::from_secs(3));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let p = pacer.clone();
            tasks.push(tokio::spawn(async move { p.acquire().await }));
        }
        for t in tasks {
            assert_eq!(t.await.expect("task"), Duration::from_secs(3));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn learns_limit_and_outside_usage_from_headers() {
        let pacer = Pacer::new(RateLimit::new(100, Duration::from_secs(10)).margin(Duration::ZERO));
        pacer.observe(&headers(&[(HEADER_MAX, "5"), (HEADER_INTERVAL_MS, "2000")]));
        assert_eq!(pacer.current(), (5, Duration::from_secs(2)));
        pacer.acquire().await;
        // HubSpot says 1 left: 4 used although we sent 1, so 3 are someone else's.
        pacer.observe(&headers(&[(HEADER_REMAINING, "1")]));
        assert_eq!(pacer.acquire().await, Duration::ZERO);
        assert_eq!(pacer.acquire().await, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_advertised_window_costs_bounded_memory() {
        let pacer = Pacer::new(RateLimit::new(100, Duration::from_secs(10)));
        let max = u32::MAX.to_string();
        pacer.observe(&headers(&[(HEADER_MAX, &max), (HEADER_REMAINING, "0")]));
        assert_eq!(pacer.window().grants.len() as u64, MAX_RECORDED_OUTSIDE_USE);
        assert_eq!(pacer.acquire().await, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn fifo_order_is_kept() {
        let pacer = Arc::new(Pacer::new(RateLimit::new(1, Duration::from_secs(1))));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let p = pacer.clone();
            let o = order.clone();
            tasks.push(tokio::spawn(async move {
                p.acquire().await;
                o.lock().expect("lock").push(i);
            }));
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(*order.lock().expect("lock"), vec![0, 1, 2, 3, 4]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Requests arriving at random times are never admitted more than `max` times in any
        /// rolling window, and none waits longer than needed to respect that.
        #[test]
        fn never_more_than_max_in_any_window(
            max in 1u32..20,
            interval_ms in 100u64..5_000,
            arrivals in proptest::collection::vec(0u64..20_000, 1..200),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("runtime");
            let interval = Duration::from_millis(interval_ms);
            let admitted = rt.block_on(async move {
                let pacer = Arc::new(Pacer::new(RateLimit::new(max, interval)));
                let t0 = Instant::now();
                let mut tasks = Vec::new();
                for at in arrivals {
                    let p = pacer.clone();
                    tasks.push(tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(at)).await;
                        p.acquire().await;
                        Instant::now() - t0
                    }));
                }
                let mut times = Vec::new();
                for t in tasks {
                    times.push(t.await.expect("task"));
                }
                times.sort();
                times
            });
            // Any window of length `interval` starting at an admission holds at most `max`.
            for (i, start) in admitted.iter().enumerate() {
                let inside = admitted[i..].iter().take_while(|t| **t < *start + interval).count();
                prop_assert!(inside <= max as usize, "{inside} admitted within {interval:?} from {start:?}");
            }
        }
    }
}
