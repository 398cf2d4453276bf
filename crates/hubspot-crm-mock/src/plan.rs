//! HubSpot's subscription plans and the request limits HubSpot publishes for each: one table,
//! [`Plan::limits`], in the same words as the client's own copy (the mock never depends on the
//! client, so it keeps its own).

use std::time::Duration;

/// A HubSpot subscription, or the kind of app, that sets the request limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Plan {
    /// The free CRM tools.
    Free,
    /// Starter.
    #[default]
    Starter,
    /// Professional.
    Professional,
    /// Enterprise.
    Enterprise,
    /// The API limit increase add-on, bought on top of a Professional or Enterprise plan.
    ApiLimitIncrease,
    /// A public (OAuth) marketplace app: its limits hold per installing account.
    PublicApp,
}

/// HubSpot's published limits for one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Requests allowed per access token in any rolling [`PlanLimits::window`].
    pub requests_per_window: u32,
    /// The length of the rolling window.
    pub window: Duration,
    /// Requests allowed per account per day, when HubSpot publishes one figure for the plan:
    /// `None` for the add-on (it adds 1,000,000 to its base plan's figure) and for public apps
    /// (HubSpot publishes no daily figure for them).
    pub requests_per_day: Option<u64>,
    /// Inputs allowed in one batch request.
    pub inputs_per_request: usize,
}

impl Plan {
    /// HubSpot's published limits for this plan.
    pub fn limits(self) -> PlanLimits {
        let (requests_per_window, requests_per_day) = match self {
            Plan::Free | Plan::Starter => (100, Some(250_000)),
            Plan::Professional => (190, Some(625_000)),
            Plan::Enterprise => (190, Some(1_000_000)),
            Plan::ApiLimitIncrease => (250, None),
            Plan::PublicApp => (110, None),
        };
        PlanLimits {
            requests_per_window,
            window: Duration::from_secs(10),
            requests_per_day,
            inputs_per_request: 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_table() {
        let table = [
            (Plan::Free, 100, Some(250_000)),
            (Plan::Starter, 100, Some(250_000)),
            (Plan::Professional, 190, Some(625_000)),
            (Plan::Enterprise, 190, Some(1_000_000)),
            (Plan::ApiLimitIncrease, 250, None),
            (Plan::PublicApp, 110, None),
        ];
        for (plan, per_window, per_day) in table {
            let limits = plan.limits();
            assert_eq!(limits.requests_per_window, per_window, "{plan:?}");
            assert_eq!(limits.requests_per_day, per_day, "{plan:?}");
            assert_eq!(limits.window, Duration::from_secs(10), "{plan:?}");
            assert_eq!(limits.inputs_per_request, 100, "{plan:?}");
        }
    }
}
