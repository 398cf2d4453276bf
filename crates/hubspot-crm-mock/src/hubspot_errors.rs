//! HubSpot-shaped error bodies, built from the generated `Error` type: whole-request failures
//! (validation, authentication, unknown object type, body too large, unique-value conflicts)
//! and the 429 bodies. Each carries the fields the published `Error` requires: `category`,
//! `correlationId` and `message`.

use http::StatusCode;
use hubspot_crm_api::v2026_03::types::Error as ErrorBody;
use indexmap::IndexMap;

/// The portal id the mock pretends to be, quoted in messages that name one.
pub const MOCK_PORTAL_ID: u64 = 62_515_981;

/// A request that fails as a whole: a status and a HubSpot `Error` body.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub status: StatusCode,
    pub body: Box<ErrorBody>,
}

/// How HubSpot names one record of an object type in messages: `Contact`, `Company`, ...
fn record_label(type_name: &str) -> String {
    match type_name {
        "contacts" => "Contact".to_owned(),
        "companies" => "Company".to_owned(),
        "deals" => "Deal".to_owned(),
        "tickets" => "Ticket".to_owned(),
        other => format!("Object of type {other}"),
    }
}

fn base(category: &str, message: String) -> ErrorBody {
    ErrorBody {
        status: Some("error".to_owned()),
        category: Some(category.to_owned()),
        message: Some(message),
        correlation_id: Some(uuid::Uuid::new_v4()),
        ..ErrorBody::default()
    }
}

impl Rejection {
    /// 400 `VALIDATION_ERROR` with a message.
    pub(crate) fn validation(message: String) -> Self {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            body: Box::new(base("VALIDATION_ERROR", message)),
        }
    }

    /// 400 `VALIDATION_ERROR` with a message and a context entry.
    pub(crate) fn validation_with_context(message: String, key: &str, values: Vec<String>) -> Self {
        let mut r = Rejection::validation(message);
        r.body.context = IndexMap::from_iter([(key.to_owned(), values)]);
        r
    }

    /// 401 for a missing, malformed or unknown access token.
    pub(crate) fn unauthenticated() -> Self {
        Rejection {
            status: StatusCode::UNAUTHORIZED,
            body: Box::new(base(
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication \
                 and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
                    .to_owned(),
            )),
        }
    }

    /// 400 for an object type the portal does not have.
    pub(crate) fn unknown_object_type(object_type: &str) -> Self {
        Rejection::validation(format!("Unable to infer object type from: {object_type}"))
    }

    /// 413 for a body over the limit.
    pub(crate) fn body_too_large(limit: usize) -> Self {
        Rejection {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            body: Box::new(base(
                "VALIDATION_ERROR",
                format!("Request body exceeds the maximum of {limit} bytes"),
            )),
        }
    }

    /// 404 for a path the mock does not serve.
    pub(crate) fn not_found(path: &str) -> Self {
        Rejection {
            status: StatusCode::NOT_FOUND,
            body: Box::new(base("OBJECT_NOT_FOUND", format!("No route for {path}"))),
        }
    }

    /// A fault's error status with its message.
    pub(crate) fn fault(status: u16, message: &str) -> Self {
        Rejection {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: Box::new(base(
                if status >= 500 {
                    "INTERNAL_ERROR"
                } else {
                    "LOCKED"
                },
                message.to_owned(),
            )),
        }
    }

    /// 409 `CONFLICT` for the whole request: an input would give its record the value `value`
    /// of the unique property `property`, which the record `existing_id` holds, or (`None`)
    /// which another input of the batch claims for a different new record.
    /// `context.existingId` names the record that holds it.
    pub(crate) fn conflict(
        type_name: &str,
        property: &str,
        value: &str,
        existing_id: Option<u64>,
    ) -> Self {
        let (message, context) = match existing_id {
            Some(id) => (
                format!(
                    "{} already exists. Existing ID: {id}",
                    record_label(type_name)
                ),
                vec![
                    ("existingId".to_owned(), vec![id.to_string()]),
                    ("propertyName".to_owned(), vec![property.to_owned()]),
                ],
            ),
            None => (
                format!(
                    "Two inputs of this batch give {property} the value {value} for different records"
                ),
                vec![("propertyName".to_owned(), vec![property.to_owned()])],
            ),
        };
        let mut body = base("CONFLICT", message);
        body.context = context.into_iter().collect();
        Rejection {
            status: StatusCode::CONFLICT,
            body: Box::new(body),
        }
    }

    /// 429 with HubSpot's rate-limit body, for the rolling window or the daily quota. HubSpot's
    /// own 429 bodies have been seen without a `category`; the published `Error` requires one,
    /// so the mock sends `RATE_LIMITS` (the client reads either).
    pub(crate) fn rate_limited(daily: bool) -> Self {
        let (message, policy) = if daily {
            ("You have reached your daily limit.", "DAILY")
        } else {
            (
                "You have reached your ten_secondly_rolling limit.",
                "TEN_SECONDLY_ROLLING",
            )
        };
        Rejection {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: Box::new(ErrorBody {
                status: Some("error".to_owned()),
                category: Some("RATE_LIMITS".to_owned()),
                message: Some(message.to_owned()),
                error_type: Some("RATE_LIMIT".to_owned()),
                correlation_id: Some(uuid::Uuid::new_v4()),
                policy_name: Some(policy.to_owned()),
                group_name: Some(format!("hubspot-crm-mock:{MOCK_PORTAL_ID}")),
                ..ErrorBody::default()
            }),
        }
    }
}
