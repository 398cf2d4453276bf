//! The retry rules of [`RetryPolicy`]; the request loop asks [`RetryPolicy::decide`] about
//! every retryable fault.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Default total attempts per request (first attempt included): enough to ride out a short
/// burst of 5xx or 429s, few enough to give up on a real outage within a minute.
const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Default base of the exponential backoff: 500 ms keeps the first retry quick.
const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
/// Default cap of one backoff wait: 20 s, two rolling rate-limit windows.
const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(20);
/// Default longest `Retry-After` that is honoured: a minute. HubSpot's 477 can ask for up to
/// a day; a run should report those records failed rather than hang.
const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Default least wait after a 423 Locked: HubSpot documents that the lock lasts about 2 s.
const DEFAULT_LOCKED_DELAY: Duration = Duration::from_secs(2);
/// Retry budget capacity, as in the AWS SDK standard mode.
const DEFAULT_BUDGET_CAPACITY: u32 = 500;
/// Tokens one retry takes from the budget.
const DEFAULT_RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout takes: timeouts hint at an overloaded server.
const DEFAULT_TIMEOUT_RETRY_COST: u32 = 10;
/// Tokens a success at the first attempt puts back.
const DEFAULT_SUCCESS_REFILL: u32 = 1;

/// How the client retries failed requests: which failures are retried, how long to wait, and
/// how many retries the whole client may spend.
///
/// # Which failures are retried
/// | failure | retried? | why |
/// |---|---|---|
/// | 429 `TEN_SECONDLY_ROLLING` (or no policy name) | yes | the rolling window frees up within seconds |
/// | 429 `DAILY` | never (the run stops) | the quota resets at midnight in the account's time zone |
/// | 423 Locked | yes, after at least 2 s ([`RetryPolicy::locked_delay`]) | HubSpot locks a record set for about 2 s during large syncs |
/// | 477 Migration in progress | yes, after its `Retry-After` when within [`RetryPolicy::max_retry_after`] | the header says when the account is writable again |
/// | 408, 500, 502, 503, 504, 521, 523, 524 | yes | timeouts and HubSpot's processing limits; an upsert by a unique key is idempotent, so repeating it is safe |
/// | connection errors, timeouts, body read or decode errors | yes | nothing says the request was wrong |
/// | 400, 403, 404, 409, 422 and any other status | never | repeating the same request gets the same answer and wastes quota |
/// | 401 | once, only after the token provider supplied a fresh token | the request loop asks the token provider; the retry budget is not spent |
///
/// # How long to wait
/// Exponential backoff with *full jitter*: before retry `n` (n = 1 for the first retry) the
/// wait is uniform in `[0, min(max_delay, base_delay × 2^(n-1))]`, which spreads retries of
/// many concurrent requests out instead of synchronising them. A `Retry-After` header (seconds
/// or an HTTP date) replaces the jittered wait; if it asks for longer than
/// [`RetryPolicy::max_retry_after`] the failure is not retried, because waiting less would be
/// refused again. A status-specific floor (423) applies on top.
///
/// # How many retries
/// At most [`RetryPolicy::max_attempts`] attempts per request, and a retry budget shared by the
/// whole client, modelled on the AWS SDK's *standard* retry mode: a token bucket of
/// 500 tokens ([`RetryPolicy::budget_capacity`]); each retry takes 5 tokens (10 after a
/// timeout; [`RetryPolicy::retry_costs`]), a successful retry gives its cost back and
/// a success at the first attempt adds 1. When the bucket is empty no
/// request is retried, so a HubSpot outage costs a few hundred requests, not millions.
///
/// Each default is named on its setter, with the reason for it.
///
/// ```
/// use hubspot_crm::RetryPolicy;
/// use std::time::Duration;
/// let policy = RetryPolicy::default().max_attempts(3).base_delay(Duration::from_millis(100));
/// assert_eq!(policy, RetryPolicy::default().base_delay(Duration::from_millis(100)).max_attempts(3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    locked_delay: Duration,
    budget_capacity: u32,
    retry_cost: u32,
    timeout_retry_cost: u32,
    success_refill: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            locked_delay: DEFAULT_LOCKED_DELAY,
            budget_capacity: DEFAULT_BUDGET_CAPACITY,
            retry_cost: DEFAULT_RETRY_COST,
            timeout_retry_cost: DEFAULT_TIMEOUT_RETRY_COST,
            success_refill: DEFAULT_SUCCESS_REFILL,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Total attempts per request, the first included (at least 1). Default 5: enough to ride
    /// out a short burst of 5xx or 429s, few enough to give up on a real outage within a
    /// minute.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Base of the exponential backoff. Default 500 ms, which keeps the first retry quick.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Cap of one backoff wait. Default 20 s, two rolling rate-limit windows.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Longest `Retry-After` honoured; a longer one ends the retries. Default a minute:
    /// HubSpot's 477 can ask for up to a day, and a run should report those records failed
    /// rather than hang.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// Least wait after a 423 Locked. Default 2 s, as long as HubSpot documents the lock.
    pub fn locked_delay(mut self, delay: Duration) -> Self {
        self.locked_delay = delay;
        self
    }

    /// Capacity of the client-wide retry budget, in tokens (0 disables retries). Default 500,
    /// as in the AWS SDK's standard mode; a success at the first attempt puts 1 back.
    pub fn budget_capacity(mut self, tokens: u32) -> Self {
        self.budget_capacity = tokens;
        self
    }

    /// Tokens one retry costs, and one retry after a timeout. Default 5 and 10: timeouts hint
    /// at an overloaded server.
    pub fn retry_costs(mut self, retry: u32, timeout_retry: u32) -> Self {
        self.retry_cost = retry;
        self.timeout_retry_cost = timeout_retry;
        self
    }

    /// The upper bound of the jittered wait before retry `retry` (1 for the first retry).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        let factor = 1u32 << exp;
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// The jittered wait before retry `retry`, given a uniform sample `unit` in `[0, 1)`.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        self.backoff_ceiling(retry).mul_f64(unit.clamp(0.0, 1.0))
    }

    /// Decides whether attempt number `attempt` (1 for the first), which failed with
    /// `failure`, is retried and after how long. `unit` is a uniform sample in `[0, 1)`.
    /// Does not touch the retry budget.
    pub(crate) fn decide(&self, attempt: u32, fault: &Fault, unit: f64) -> RetryDecision {
        let class = classify(fault);
        let floor = match class {
            Class::Never(reason) => return RetryDecision::GiveUp(reason),
            Class::Retry { floor_locked } if floor_locked => self.locked_delay,
            Class::Retry { .. } => Duration::ZERO,
        };
        if attempt >= self.max_attempts {
            return RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted);
        }
        let wait = match fault.retry_after() {
            Some(after) if after > self.max_retry_after => {
                return RetryDecision::GiveUp(GiveUpReason::RetryAfterTooLong(after));
            }
            Some(after) => after,
            None => self.backoff(attempt, unit),
        };
        let cost = if matches!(fault, Fault::Timeout) {
            self.timeout_retry_cost
        } else {
            self.retry_cost
        };
        RetryDecision::Retry {
            wait: wait.max(floor),
            cost,
        }
    }

    pub(crate) fn new_budget(&self) -> RetryBudget {
        RetryBudget {
            capacity: self.budget_capacity,
            success_refill: self.success_refill,
            tokens: Mutex::new(self.budget_capacity),
        }
    }
}

/// What went wrong with an attempt, as far as the retry rules care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// An HTTP status outside 2xx.
    Status {
        status: u16,
        /// The `Retry-After` header, already turned into a wait.
        retry_after: Option<Duration>,
    },
    /// The connection could not be made or broke before a response.
    Connect,
    /// No response within the timeout.
    Timeout,
    /// The response body could not be read completely.
    BodyRead,
    /// A success body did not decode.
    Decode,
}

impl Fault {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Fault::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The verdict of [`RetryPolicy::decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RetryDecision {
    /// Retry after `wait`, paying `cost` tokens from the budget.
    Retry { wait: Duration, cost: u32 },
    /// Do not retry.
    GiveUp(GiveUpReason),
}

/// Why a failure is not retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GiveUpReason {
    /// The status is never retried.
    NotRetryable,
    /// The attempts allowed are used up.
    AttemptsExhausted,
    /// `Retry-After` asked for longer than the policy allows.
    RetryAfterTooLong(Duration),
    /// The client-wide retry budget is empty.
    BudgetExhausted,
}

enum Class {
    Retry { floor_locked: bool },
    Never(GiveUpReason),
}

fn classify(fault: &Fault) -> Class {
    match fault {
        Fault::Connect | Fault::Timeout | Fault::BodyRead | Fault::Decode => Class::Retry {
            floor_locked: false,
        },
        Fault::Status { status: 423, .. } => Class::Retry { floor_locked: true },
        Fault::Status {
            status: 408 | 429 | 477 | 500 | 502 | 503 | 504 | 521 | 523 | 524,
            ..
        } => Class::Retry {
            floor_locked: false,
        },
        Fault::Status { .. } => Class::Never(GiveUpReason::NotRetryable),
    }
}

/// Whether a fault is ever retried (the table in the module docs); the request loop asks
/// [`RetryPolicy::decide`] only about these.
pub(crate) fn is_retryable(fault: &Fault) -> bool {
    matches!(classify(fault), Class::Retry { .. })
}

/// Reads `Retry-After` as seconds or as an HTTP date relative to `now`. A date in the past
/// means "now"; anything unreadable is ignored.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(raw).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The client-wide retry budget: a token bucket shared by every request of a client.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    success_refill: u32,
    tokens: Mutex<u32>,
}

impl RetryBudget {
    /// Takes `cost` tokens if there are that many.
    pub(crate) fn try_acquire(&self, cost: u32) -> bool {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if *tokens >= cost {
            *tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Records a success: a retry's cost comes back, a first-attempt success adds a little.
    pub(crate) fn on_success(&self, retry_cost_paid: Option<u32>) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let refill = retry_cost_paid.unwrap_or(self.success_refill);
        *tokens = tokens.saturating_add(refill).min(self.capacity);
    }

    /// Tokens left.
    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        *self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(500));
        assert_eq!(p.backoff_ceiling(2), Duration::from_secs(1));
        assert_eq!(p.backoff_ceiling(3), Duration::from_secs(2));
        assert_eq!(p.backoff_ceiling(7), Duration::from_secs(20));
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(20));
        assert_eq!(p.backoff(3, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn never_retried_statuses() {
        let p = RetryPolicy::default();
        for s in [400, 401, 403, 404, 409, 422, 501] {
            assert_eq!(
                p.decide(1, &status(s), 0.5),
                RetryDecision::GiveUp(GiveUpReason::NotRetryable),
                "{s}"
            );
        }
    }

    #[test]
    fn retried_statuses_and_transport_failures() {
        let p = RetryPolicy::default();
        for s in [408, 429, 477, 500, 502, 503, 504, 521, 523, 524] {
            assert!(
                matches!(
                    p.decide(1, &status(s), 0.5),
                    RetryDecision::Retry { cost: 5, .. }
                ),
                "{s}"
            );
        }
        for f in [Fault::Connect, Fault::BodyRead, Fault::Decode] {
            assert!(matches!(
                p.decide(1, &f, 0.5),
                RetryDecision::Retry { cost: 5, .. }
            ));
        }
        assert!(matches!(
            p.decide(1, &Fault::Timeout, 0.5),
            RetryDecision::Retry { cost: 10, .. }
        ));
    }

    #[test]
    fn locked_waits_at_least_two_seconds() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(1, &status(423), 0.0),
            RetryDecision::Retry {
                wait: Duration::from_secs(2),
                cost: 5
            }
        );
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = RetryPolicy::default();
        let with = |secs| Fault::Status {
            status: 477,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.decide(1, &with(7), 0.0),
            RetryDecision::Retry {
                wait: Duration::from_secs(7),
                cost: 5
            }
        );
        assert_eq!(
            p.decide(1, &with(86_400), 0.0),
            RetryDecision::GiveUp(GiveUpReason::RetryAfterTooLong(Duration::from_secs(86_400)))
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "12".parse().expect("header"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(12)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert(RETRY_AFTER, later.parse().expect("header"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        h.insert(RETRY_AFTER, past.parse().expect("header"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().expect("header"));
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn budget_drains_and_refills() {
        let p = RetryPolicy::default().budget_capacity(12);
        let b = p.new_budget();
        assert!(b.try_acquire(5));
        assert!(b.try_acquire(5));
        assert!(!b.try_acquire(5));
        assert_eq!(b.available(), 2);
        b.on_success(Some(5));
        assert_eq!(b.available(), 7);
        b.on_success(None);
        assert_eq!(b.available(), 8);
        b.on_success(Some(100));
        assert_eq!(b.available(), 12);
    }

    fn any_failure() -> impl Strategy<Value = Fault> {
        prop_oneof![
            (100u16..600, proptest::option::of(0u64..200_000)).prop_map(|(status, ra)| {
                Fault::Status {
                    status,
                    retry_after: ra.map(Duration::from_millis),
                }
            }),
            Just(Fault::Connect),
            Just(Fault::Timeout),
            Just(Fault::BodyRead),
            Just(Fault::Decode),
        ]
    }

    proptest! {
        #[test]
        fn backoff_stays_within_bounds(retry in 1u32..100, unit in 0.0f64..1.0,
                                       base_ms in 1u64..5_000, cap_ms in 1u64..120_000) {
            let p = RetryPolicy::default()
                .base_delay(Duration::from_millis(base_ms))
                .max_delay(Duration::from_millis(cap_ms));
            let wait = p.backoff(retry, unit);
            prop_assert!(wait <= Duration::from_millis(cap_ms));
            let ceiling = Duration::from_millis(base_ms)
                .saturating_mul(1u32 << (retry - 1).min(31))
                .min(Duration::from_millis(cap_ms));
            prop_assert!(wait <= ceiling);
        }

        #[test]
        fn attempts_are_bounded(max in 1u32..10, failure in any_failure(), unit in 0.0f64..1.0) {
            let p = RetryPolicy::default().max_attempts(max);
            let mut attempt = 1;
            while let RetryDecision::Retry { .. } = p.decide(attempt, &failure, unit) {
                attempt += 1;
                prop_assert!(attempt <= max);
            }
            prop_assert!(attempt <= max);
        }

        #[test]
        fn non_retryable_never_retried(failure in any_failure(), attempt in 1u32..5, unit in 0.0f64..1.0) {
            let never = match &failure {
                Fault::Status { status, .. } => [400, 401, 403, 404, 409, 422].contains(status)
                    || !is_retryable(&failure),
                _ => false,
            };
            if never {
                let is_give_up = matches!(RetryPolicy::default().decide(attempt, &failure, unit), RetryDecision::GiveUp(_));
                prop_assert!(is_give_up);
            }
        }

        #[test]
        fn waits_respect_retry_after_and_cap(failure in any_failure(), unit in 0.0f64..1.0) {
            let p = RetryPolicy::default();
            if let RetryDecision::Retry { wait, .. } = p.decide(1, &failure, unit) {
                prop_assert!(wait <= DEFAULT_MAX_RETRY_AFTER.max(DEFAULT_MAX_DELAY).max(DEFAULT_LOCKED_DELAY));
                if let Fault::Status { retry_after: Some(ra), .. } = failure {
                    prop_assert!(wait >= ra);
                }
            }
        }
    }
}
