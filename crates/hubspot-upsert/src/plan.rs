//! What a run costs under a plan's quota: requests, and the time the 10-second window needs.

use std::fmt;
use std::time::Duration;

use crate::cli::PlanArg;

/// Most inputs HubSpot accepts in one batch upsert request.
pub const MAX_INPUTS_PER_REQUEST: u64 = 100;

/// HubSpot's rolling rate-limit window.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

impl PlanArg {
    /// Requests allowed in any rolling 10 seconds.
    pub fn requests_per_window(self) -> u64 {
        match self {
            PlanArg::Free | PlanArg::Starter => 100,
            PlanArg::Professional | PlanArg::Enterprise => 190,
            PlanArg::ApiAddOn => 250,
            PlanArg::PublicApp => 110,
        }
    }

    /// Requests allowed per day for the account, where HubSpot publishes a figure.
    pub fn requests_per_day(self) -> Option<u64> {
        match self {
            PlanArg::Free | PlanArg::Starter => Some(250_000),
            PlanArg::Professional => Some(625_000),
            PlanArg::Enterprise => Some(1_000_000),
            // The add-on adds a million to whichever plan it is bought with.
            PlanArg::ApiAddOn | PlanArg::PublicApp => None,
        }
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
    /// The least time the quota allows for those requests, however fast HubSpot answers.
    pub quota_time: Duration,
    /// The plan's daily request limit, when the requests exceed it.
    pub over_daily_limit: Option<u64>,
}

/// The cost of `records` records whose most repeated id appears `max_repeats` times.
///
/// Two inputs with the same id cannot share a request (HubSpot rejects the whole request),
/// so an id repeated `k` times needs at least `k` requests.
pub fn cost(records: u64, max_repeats: u64, plan: PlanArg) -> Cost {
    let requests = records
        .div_ceil(MAX_INPUTS_PER_REQUEST)
        .max(max_repeats.min(records));
    let per_window = plan.requests_per_window();
    // The first window's worth goes at once; every further window's worth waits 10 s more.
    let windows = requests.saturating_sub(1) / per_window;
    let quota_time = RATE_WINDOW.saturating_mul(u32::try_from(windows).unwrap_or(u32::MAX));
    Cost {
        records,
        requests,
        quota_time,
        over_daily_limit: plan.requests_per_day().filter(|&day| requests > day),
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
    fn quota_time_counts_the_windows_after_the_first() {
        assert_eq!(cost(10_000, 1, PlanArg::Starter).quota_time, Duration::ZERO);
        assert_eq!(
            cost(10_001, 1, PlanArg::Starter).quota_time,
            Duration::from_secs(10)
        );
        // 1,000,000 records: 10,000 requests; at 190 per 10 s, 52 further windows.
        assert_eq!(
            cost(1_000_000, 1, PlanArg::Professional).quota_time,
            Duration::from_secs(520)
        );
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
