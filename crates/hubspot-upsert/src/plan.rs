//! What a run costs under a plan's quota: requests, and the time the 10-second window needs.

use std::fmt;
use std::time::Duration;

use hubspot_crm::{Plan, PlanLimits, RateLimit};

use crate::cli::PlanArg;

impl From<PlanArg> for Plan {
    fn from(plan: PlanArg) -> Plan {
        match plan {
            PlanArg::Free => Plan::Free,
            PlanArg::Starter => Plan::Starter,
            PlanArg::Professional => Plan::Professional,
            PlanArg::Enterprise => Plan::Enterprise,
            PlanArg::ApiAddOn => Plan::ApiLimitIncrease,
            PlanArg::PublicApp => Plan::PublicApp,
        }
    }
}

impl PlanArg {
    /// The plan's limits, from the client's table of HubSpot's plans.
    pub fn limits(self) -> PlanLimits {
        Plan::from(self).limits()
    }

    /// The plan's name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            PlanArg::Free => "free",
            PlanArg::Starter => "starter",
            PlanArg::Professional => "professional",
            PlanArg::Enterprise => "enterprise",
            PlanArg::ApiAddOn => "api-add-on",
            PlanArg::PublicApp => "public-app",
        }
    }
}

/// The cost of sending a number of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Records to send.
    pub records: u64,
    /// Requests needed, without retries.
    pub requests: u64,
    /// The least time the pacer takes for those requests under the plan's quota, alone on the
    /// token, however fast HubSpot answers (see `RateLimit::least_time`).
    pub quota_time: Duration,
    /// The plan's daily request limit, when the requests exceed it.
    pub over_daily_limit: Option<u64>,
}

/// The cost of `records` records whose most repeated id appears `max_repeats` times.
///
/// Two inputs with the same id cannot share a request (HubSpot rejects the whole request),
/// so an id repeated `k` times needs at least `k` requests.
pub fn cost(records: u64, max_repeats: u64, plan: PlanArg) -> Cost {
    let limits = plan.limits();
    let requests = records
        .div_ceil(limits.inputs_per_request as u64)
        .max(max_repeats.min(records));
    // The pacer's own model: a window's worth at once, the rest at the window's pace once the
    // first window's requests leave it.
    let quota_time = RateLimit::plan(Plan::from(plan)).least_time(requests);
    Cost {
        records,
        requests,
        quota_time,
        over_daily_limit: limits.requests_per_day.filter(|&day| requests > day),
    }
}

/// A duration as hours, minutes and seconds, for people.
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if h > 0 {
            write!(f, "{h}h {m:02}m {s:02}s")
        } else if m > 0 {
            write!(f, "{m}m {s:02}s")
        } else {
            write!(f, "{}.{}s", s, self.0.subsec_millis() / 100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_batches_of_a_hundred() {
        assert_eq!(cost(0, 0, PlanArg::Starter).requests, 0);
        assert_eq!(cost(1, 1, PlanArg::Starter).requests, 1);
        assert_eq!(cost(100, 1, PlanArg::Starter).requests, 1);
        assert_eq!(cost(101, 1, PlanArg::Starter).requests, 2);
        assert_eq!(cost(3000, 1, PlanArg::Starter).requests, 30);
    }

    #[test]
    fn a_repeated_id_needs_a_request_per_repeat() {
        assert_eq!(cost(50, 7, PlanArg::Starter).requests, 7);
        assert_eq!(cost(5000, 7, PlanArg::Starter).requests, 50);
    }

    #[test]
    fn quota_time_is_the_burst_then_the_windows_pace() {
        // A window's worth goes at once.
        assert_eq!(cost(10_000, 1, PlanArg::Starter).quota_time, Duration::ZERO);
        assert_eq!(
            cost(19_000, 1, PlanArg::Professional).quota_time,
            Duration::ZERO
        );
        // The next request waits for the first to leave the window: 10 s and the margin.
        assert_eq!(
            cost(10_001, 1, PlanArg::Starter).quota_time,
            Duration::from_millis(10_250)
        );
        // 1,000,000 records: 10,000 requests; 190 at once, then 9,810 at a lone client's
        // pace of 186.675 per 10 s, the first of them at 10.25 s.
        let t = cost(1_000_000, 1, PlanArg::Professional).quota_time;
        let expected = 10.25 + 9_809.0 * 10.0 / 186.675;
        assert!((t.as_secs_f64() - expected).abs() < 0.01, "{t:?}");
    }

    #[test]
    fn the_daily_limit_is_flagged_when_exceeded() {
        assert_eq!(cost(25_000_000, 1, PlanArg::Starter).over_daily_limit, None);
        assert_eq!(
            cost(25_000_100, 1, PlanArg::Starter).over_daily_limit,
            Some(250_000)
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(
            HumanDuration(Duration::from_millis(2500)).to_string(),
            "2.5s"
        );
        assert_eq!(
            HumanDuration(Duration::from_secs(520)).to_string(),
            "8m 40s"
        );
        assert_eq!(
            HumanDuration(Duration::from_secs(3725)).to_string(),
            "1h 02m 05s"
        );
    }
}
