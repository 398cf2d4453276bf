//! HubSpot's published limits per plan, in one table: [`Plan::limits`].

use std::time::Duration;

/// A HubSpot plan, for the limits HubSpot publishes for it ([`Plan::limits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Plan {
    /// Free: 100 requests per 10 s, 250,000 per day.
    Free,
    /// Starter: 100 requests per 10 s, 250,000 per day.
    Starter,
    /// Professional: 190 requests per 10 s, 625,000 per day.
    Professional,
    /// Enterprise: 190 requests per 10 s, 1,000,000 per day.
    Enterprise,
    /// With the API limit increase add-on: 250 requests per 10 s; each increase adds
    /// 1,000,000 requests per day to the plan it is bought with.
    ApiLimitIncrease,
    /// A public marketplace (OAuth) app: 110 requests per 10 s per installing account, and no
    /// daily figure.
    PublicApp,
}

/// HubSpot's published limits for one plan.
///
/// ```
/// use hubspot_crm::Plan;
/// use std::time::Duration;
/// let pro = Plan::Professional.limits();
/// assert_eq!(pro.requests_per_window, 190);
/// assert_eq!(pro.window, Duration::from_secs(10));
/// assert_eq!(pro.requests_per_day, Some(625_000));
/// assert_eq!(pro.inputs_per_request, 100);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanLimits {
    /// Requests the app may send in any rolling `window`.
    pub requests_per_window: u32,
    /// HubSpot's rolling rate-limit window: 10 seconds on every plan.
    pub window: Duration,
    /// Requests the account may send per day, where HubSpot publishes one figure for the plan
    /// (the add-on's depends on the plan it is bought with; public apps have none).
    pub requests_per_day: Option<u64>,
    /// Most inputs one batch upsert request may carry.
    pub inputs_per_request: usize,
}

impl Plan {
    /// The plan's limits, as HubSpot publishes them.
    pub const fn limits(self) -> PlanLimits {
        let (requests_per_window, requests_per_day) = match self {
            Plan::Free | Plan::Starter => (100, Some(250_000)),
            Plan::Professional => (190, Some(625_000)),
            Plan::Enterprise => (190, Some(1_000_000)),
            Plan::ApiLimitIncrease => (250, None),
            Plan::PublicApp => (110, None),
        };
        PlanLimits {
            requests_per_window,
            window: WINDOW,
            requests_per_day,
            inputs_per_request: INPUTS_PER_REQUEST,
        }
    }
}

/// HubSpot's rolling rate-limit window, the same on every plan.
pub(crate) const WINDOW: Duration = Duration::from_secs(10);

/// Most inputs in one batch upsert request, the same on every plan.
pub(crate) const INPUTS_PER_REQUEST: usize = 100;
