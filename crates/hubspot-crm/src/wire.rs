//! The one wire path: every request of a bulk run goes out through the generated client of
//! the run's API version (its `batch_upsert()` builder, called by the version's adapter in
//! [`crate::api_version`]) and comes back as a [`Reply`] holding what the generated code
//! decoded: the version's success body, split into results and per-input errors, or its
//! `Error` for a refusal.
//!
//! Each attempt builds a generated client (a `String` and two
//! `Arc`s; the connection pool is shared) whose [`Inner`] carries the attempt's
//! `Authorization` and a [`LastResponse`] record. Its `post` hook records the status and
//! headers before the generated code reads the body, because `progenitor_client::Error`'s body
//! errors carry neither: a 503 with an HTML body is still a 503 with its `Retry-After`, and a
//! 200 that does not decode is still told apart from a refusal. The generated code reads the
//! body once; nothing here reads or writes HubSpot's JSON.
//!
//! Below the generated code, [`Inner::exec`] is the seam the engine's paused-time unit tests
//! use: they answer with `reqwest::Response::from(http::Response<_>)`, so they run the
//! generated encoding and decoding too.

use std::sync::Arc;
use std::time::Duration;

use hubspot_crm_api::{Exec, Inner, LastResponse, ResponseHead};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::api_version::{ApiResult, ApiVersion, WireInput};
use crate::object_type::ObjectType;

/// Default connect timeout: 10 s is generous for a TLS handshake to HubSpot.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default whole-request timeout (sending, waiting, reading the body): 30 s. A batch of 100
/// upserts normally takes a few seconds; HubSpot's own gateway gives up at 100 s (524).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the bulk engine sends with: the shared `reqwest::Client` (timeouts, no redirects,
/// connection pool), the base URL, and the optional seam below the generated code.
pub(crate) struct Wire {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) exec: Option<Arc<dyn Exec>>,
}

/// A decoded success body: its results and its per-input errors, as the version's generated
/// types.
#[derive(Debug)]
pub(crate) struct Answer<V: ApiVersion> {
    pub(crate) results: Vec<V::Record>,
    pub(crate) errors: Vec<V::InputError>,
}

/// What one attempt came back with.
#[derive(Debug)]
pub(crate) enum Reply<V: ApiVersion> {
    /// A 2xx whose body decoded as the generated success type.
    Success {
        status: u16,
        headers: HeaderMap,
        body: Answer<V>,
    },
    /// A 2xx whose body did not decode.
    Undecodable {
        status: u16,
        headers: HeaderMap,
        message: String,
    },
    /// Any other status, with the generated `Error` when its body decoded as one.
    Refused {
        status: u16,
        headers: HeaderMap,
        error: Option<V::RequestError>,
    },
    /// No complete response.
    NoResponse(NoResponse),
}

/// Why no complete response arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NoResponse {
    /// The connection failed before a response (refused, reset, TLS), or the request could
    /// not be built.
    Connect(String),
    /// No complete response within the timeout.
    Timeout,
    /// The status and headers arrived but the body broke off.
    BodyRead { status: u16, message: String },
}

impl<V: ApiVersion> Reply<V> {
    /// The status and headers, when a response arrived.
    pub(crate) fn head(&self) -> Option<(u16, &HeaderMap)> {
        match self {
            Reply::Success {
                status, headers, ..
            }
            | Reply::Undecodable {
                status, headers, ..
            }
            | Reply::Refused {
                status, headers, ..
            } => Some((*status, headers)),
            Reply::NoResponse(_) => None,
        }
    }
}

impl Wire {
    /// Sends one batch upsert of `inputs` with `authorization`.
    pub(crate) async fn send<V: ApiVersion>(
        &self,
        object_type: &ObjectType,
        inputs: Vec<WireInput>,
        authorization: HeaderValue,
    ) -> Reply<V> {
        let heads = LastResponse::new();
        let mut inner = Inner::new()
            .authorization(authorization)
            .record_into(heads.clone());
        if let Some(exec) = &self.exec {
            inner = inner.exec(exec.clone());
        }
        let client = V::api_client(&self.base_url, self.http.clone(), inner);
        let result = V::batch_upsert(&client, object_type.as_str(), inputs).await;
        sort::<V>(result, heads.take())
    }
}

/// Sorts the generated client's result into a [`Reply`], with the status and headers the
/// `post` hook recorded (`head`) where the result has none.
fn sort<V: ApiVersion>(result: ApiResult<V>, head: Option<ResponseHead>) -> Reply<V> {
    use hubspot_crm_api::v2026_09::Error as E;
    let head_parts = |head: Option<ResponseHead>| head.map(|h| (h.status.as_u16(), h.headers));
    match result {
        Ok(value) => {
            let status = value.status().as_u16();
            let headers = head_parts(head).map_or_else(|| value.headers().clone(), |(_, h)| h);
            let (results, errors) = V::split_body(value.into_inner());
            Reply::Success {
                status,
                headers,
                body: Answer { results, errors },
            }
        }
        Err(E::ErrorResponse(value)) => {
            let status = value.status().as_u16();
            let headers = head_parts(head).map_or_else(|| value.headers().clone(), |(_, h)| h);
            Reply::Refused {
                status,
                headers,
                error: Some(value.into_inner()),
            }
        }
        Err(E::InvalidResponsePayload(_, e)) => match head_parts(head) {
            Some((status, headers)) if (200..300).contains(&status) => Reply::Undecodable {
                status,
                headers,
                message: format!("HTTP {status} body did not decode: {e}"),
            },
            Some((status, headers)) => Reply::Refused {
                status,
                headers,
                error: None,
            },
            None => Reply::NoResponse(NoResponse::Connect(format!(
                "a response body did not decode, and its status was not recorded: {e}"
            ))),
        },
        Err(E::ResponseBodyError(e)) if e.is_timeout() => Reply::NoResponse(NoResponse::Timeout),
        Err(E::ResponseBodyError(e)) => Reply::NoResponse(NoResponse::BodyRead {
            status: head.map_or(0, |h| h.status.as_u16()),
            message: error_chain(&e),
        }),
        Err(E::CommunicationError(e)) if e.is_timeout() => Reply::NoResponse(NoResponse::Timeout),
        Err(E::CommunicationError(e)) => Reply::NoResponse(NoResponse::Connect(error_chain(&e))),
        Err(E::UnexpectedResponse(response)) => Reply::Refused {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            error: None,
        },
        Err(other @ (E::InvalidRequest(_) | E::InvalidUpgrade(_) | E::Custom(_))) => {
            Reply::NoResponse(NoResponse::Connect(format!(
                "the request could not be sent: {}",
                other.into_untyped()
            )))
        }
    }
}

/// The error and its sources in one line. reqwest errors name the URL, never headers.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
