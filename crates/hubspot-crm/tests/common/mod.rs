//! Helpers shared by the integration tests. Each test binary compiles this module whole and
//! uses a part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod canned_hubspot;

use hubspot_crm::{ApiVersion, OutcomeKind};

/// The code of a failed outcome's cause (HubSpot's category, such as `CONFLICT`, or the
/// client's own, such as `TRANSPORT`); `None` for any other outcome.
pub fn failure_category<V: ApiVersion>(kind: &OutcomeKind<V>) -> Option<String> {
    kind.failure_cause().map(|cause| cause.code().into_owned())
}
