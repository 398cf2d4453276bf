//! Helpers shared by the integration tests. Each test binary compiles this module whole and
//! uses a part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod canned_hubspot;

use hubspot_crm::{ApiVersion, OutcomeKind};

/// The category of a failed outcome (HubSpot's, such as `CONFLICT`, or the client's own, such
/// as `TRANSPORT`); `None` for any other outcome. The one place the tests read it.
pub fn failure_category<V: ApiVersion>(kind: &OutcomeKind<V>) -> Option<&str> {
    match kind {
        OutcomeKind::Failed { category, .. } => Some(category),
        _ => None,
    }
}
