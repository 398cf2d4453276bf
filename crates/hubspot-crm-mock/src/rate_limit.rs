//! HubSpot's request limits: a rolling window per access token and an optional daily quota
//! per account, with the `X-HubSpot-RateLimit-*` figures every response reports.
//!
//! Time is read from `tokio::time::Instant`, so tests with paused time drive the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;
use crate::lock::lock;
use crate::plan::Plan;

/// What one API limit increase adds to its base plan's daily figure.
const DAILY_REQUESTS_PER_INCREASE: u64 = 1_000_000;

/// The figures for the rate-limit headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateFigures {
    /// `X-HubSpot-RateLimit-Max`.
    pub max: u32,
    /// `X-HubSpot-RateLimit-Remaining`.
    pub remaining: u32,
    /// `X-HubSpot-RateLimit-Interval-Milliseconds`.
    pub interval_ms: u128,
    /// `X-HubSpot-RateLimit-Daily`, absent when the limiter has no daily figure.
    pub daily: Option<u64>,
    /// `X-HubSpot-RateLimit-Daily-Remaining`, absent with `daily`.
    pub daily_remaining: Option<u64>,
}

/// Which limit turned a request away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// The rolling window is full.
    TenSecondlyRolling,
    /// The daily quota is spent.
    Daily,
}

/// The limiter's verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Go ahead; the request was counted.
    Allowed(RateFigures),
    /// Answer 429 with this policy; the request was not counted.
    Limited(Policy, RateFigures),
}

#[derive(Debug, Default)]
struct Counts {
    /// Start times of the requests still inside each token's window, oldest first.
    windows: HashMap<String, VecDeque<Instant>>,
    /// Requests accepted today, across tokens.
    daily_used: u64,
}

/// The limiter shared by all requests of a server. The lock is held only for the bookkeeping
/// of one request, never across an await.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    plan: Plan,
    daily_quota: Option<u64>,
    counts: Mutex<Counts>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit, plan: Plan, daily_quota: Option<u64>) -> Self {
        RateLimiter {
            limit,
            plan,
            daily_quota,
            counts: Mutex::new(Counts::default()),
        }
    }

    fn window(&self) -> (u32, Duration) {
        match self.limit {
            RateLimit::Rolling { max, window } => (max, window),
            // Nothing is enforced, and the headers say so: a client that learns its pace from
            // them (as HubSpot's clients should) is not slowed to a plan's limit that the
            // server does not apply.
            RateLimit::Unlimited => (u32::MAX, self.plan.limits().window),
        }
    }

    /// The daily figure the headers report: the quota when one is set, else the plan's
    /// published figure. The add-on has none of its own (it adds to its base plan's): the mock
    /// reports it on Enterprise with one increase, 2,000,000. Public apps get no daily headers,
    /// as HubSpot sends them to private apps only.
    fn daily_figure(&self) -> Option<u64> {
        self.daily_quota.or_else(|| match self.plan {
            Plan::ApiLimitIncrease => Plan::Enterprise
                .limits()
                .requests_per_day
                .map(|base| base + DAILY_REQUESTS_PER_INCREASE),
            plan => plan.limits().requests_per_day,
        })
    }

    /// Figures to report on a response that was not counted (such as a 401).
    pub(crate) fn peek(&self) -> RateFigures {
        let (max, window) = self.window();
        let used = lock(&self.counts).daily_used;
        let daily = self.daily_figure();
        RateFigures {
            max,
            remaining: max,
            interval_ms: window.as_millis(),
            daily,
            daily_remaining: daily.map(|daily| daily.saturating_sub(used)),
        }
    }

    /// Count a request by `token` made at `now`, or turn it away.
    pub(crate) fn check(&self, token: &str, now: Instant) -> Verdict {
        let (max, window) = self.window();
        let daily = self.daily_figure();
        let mut counts = lock(&self.counts);
        let used = counts.daily_used;
        let mut figures = RateFigures {
            max,
            remaining: max,
            interval_ms: window.as_millis(),
            daily,
            daily_remaining: daily.map(|daily| daily.saturating_sub(used)),
        };
        if self.daily_quota.is_some_and(|quota| used >= quota) {
            // The daily quota is spent, not the window: the window's figure stays what it is.
            let in_window = counts.windows.get(token).map_or(0, |starts| {
                starts
                    .iter()
                    .filter(|&&start| now.saturating_duration_since(start) < window)
                    .count()
            });
            figures.remaining = max.saturating_sub(u32::try_from(in_window).unwrap_or(u32::MAX));
            figures.daily_remaining = Some(0);
            return Verdict::Limited(Policy::Daily, figures);
        }
        if let RateLimit::Rolling { .. } = self.limit {
            let starts = match counts.windows.get_mut(token) {
                Some(starts) => starts,
                None => counts.windows.entry(token.to_owned()).or_default(),
            };
            while starts
                .front()
                .is_some_and(|&start| now.saturating_duration_since(start) >= window)
            {
                starts.pop_front();
            }
            if starts.len() >= max as usize {
                figures.remaining = 0;
                return Verdict::Limited(Policy::TenSecondlyRolling, figures);
            }
            starts.push_back(now);
            figures.remaining = max.saturating_sub(u32::try_from(starts.len()).unwrap_or(u32::MAX));
        }
        counts.daily_used += 1;
        figures.daily_remaining = daily.map(|daily| daily.saturating_sub(counts.daily_used));
        Verdict::Allowed(figures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, window_ms: u64) -> RateLimiter {
        RateLimiter::new(
            RateLimit::Rolling {
                max,
                window: Duration::from_millis(window_ms),
            },
            Plan::Starter,
            None,
        )
    }

    #[test]
    fn window_fills_then_rolls() {
        let l = limiter(3, 200);
        let t0 = Instant::now();
        for expected_remaining in [2, 1, 0] {
            match l.check("a", t0) {
                Verdict::Allowed(f) => {
                    assert_eq!(f.remaining, expected_remaining);
                    assert_eq!(f.max, 3);
                    assert_eq!(f.interval_ms, 200);
                }
                other => panic!("expected allowed, got {other:?}"),
            }
        }
        assert!(matches!(
            l.check("a", t0 + Duration::from_millis(199)),
            Verdict::Limited(Policy::TenSecondlyRolling, f) if f.remaining == 0
        ));
        // Another token has its own window.
        assert!(matches!(l.check("b", t0), Verdict::Allowed(f) if f.remaining == 2));
        // The first three leave the window at exactly 200 ms.
        assert!(matches!(
            l.check("a", t0 + Duration::from_millis(200)),
            Verdict::Allowed(f) if f.remaining == 2
        ));
    }

    #[test]
    fn rolling_not_fixed_window() {
        let l = limiter(2, 100);
        let t0 = Instant::now();
        assert!(matches!(l.check("a", t0), Verdict::Allowed(_)));
        assert!(matches!(
            l.check("a", t0 + Duration::from_millis(60)),
            Verdict::Allowed(_)
        ));
        // At 110 ms only the first request has left the window.
        assert!(matches!(
            l.check("a", t0 + Duration::from_millis(110)),
            Verdict::Allowed(f) if f.remaining == 0
        ));
        assert!(matches!(
            l.check("a", t0 + Duration::from_millis(150)),
            Verdict::Limited(Policy::TenSecondlyRolling, _)
        ));
    }

    #[test]
    fn daily_quota_is_shared_and_final() {
        let l = RateLimiter::new(RateLimit::Unlimited, Plan::Starter, Some(2));
        let t0 = Instant::now();
        assert!(
            matches!(l.check("a", t0), Verdict::Allowed(f) if f.daily_remaining == Some(1) && f.daily == Some(2))
        );
        assert!(matches!(l.check("b", t0), Verdict::Allowed(f) if f.daily_remaining == Some(0)));
        assert!(matches!(
            l.check("a", t0 + Duration::from_secs(3600)),
            Verdict::Limited(Policy::Daily, _)
        ));
    }

    #[test]
    fn unlimited_reports_no_window_limit_but_the_plans_daily_figures() {
        let l = RateLimiter::new(RateLimit::Unlimited, Plan::ApiLimitIncrease, None);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(matches!(
                l.check("a", t0),
                Verdict::Allowed(f) if f.max == u32::MAX && f.remaining == u32::MAX
            ));
        }
        let figures = l.peek();
        assert_eq!(figures.interval_ms, 10_000);
        assert_eq!(figures.daily, Some(2_000_000));
        assert_eq!(figures.daily_remaining, Some(2_000_000 - 1000));
    }

    #[test]
    fn daily_figures_come_from_the_plan_or_the_quota() {
        let daily = |plan, quota| {
            RateLimiter::new(RateLimit::Unlimited, plan, quota)
                .peek()
                .daily
        };
        assert_eq!(daily(Plan::Free, None), Some(250_000));
        assert_eq!(daily(Plan::Starter, None), Some(250_000));
        assert_eq!(daily(Plan::Professional, None), Some(625_000));
        assert_eq!(daily(Plan::Enterprise, None), Some(1_000_000));
        assert_eq!(daily(Plan::ApiLimitIncrease, None), Some(2_000_000));
        assert_eq!(daily(Plan::PublicApp, None), None);
        assert_eq!(daily(Plan::PublicApp, Some(5)), Some(5));
        let figures = RateLimiter::new(RateLimit::Unlimited, Plan::PublicApp, None).peek();
        assert_eq!(figures.daily_remaining, None);
    }
}
