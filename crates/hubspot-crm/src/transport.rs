//! Sending one batch request and reading its raw response.
//!
//! The client builds each request itself with `reqwest` rather than through the generated
//! `hubspot_crm_api::Client::batch_upsert`, and decodes the body with the generated types.
//! Reasons: the generated client's hooks carry no state (its inner type is `()`), so it cannot
//! ask a [`TokenProvider`](crate::TokenProvider) for a per-request token; it folds "could not
//! read the body" and "body did not decode" into one error, while the retry rules treat them
//! differently from HTTP errors; and the bulk engine needs the raw status and headers of every
//! response (rate-limit headers, `Retry-After`) before deciding how to decode. The request
//! it sends is the same: path, `api-version` header, JSON body.
//!
//! The [`Transport`] trait is the seam the engine's unit tests replace with a fake, so that
//! retry and pacing logic runs under tokio's paused time without real sockets.

use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};

use crate::object_type::ObjectType;

/// The API version in the request path and `api-version` header.
pub(crate) const API_VERSION: &str = "2026-03";

/// A complete HTTP response: status, headers and the whole body.
#[derive(Clone, Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Why no complete response arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SendError {
    /// The connection failed before a response (refused, reset, TLS).
    Connect(String),
    /// No complete response within the timeout.
    Timeout,
    /// The status and headers arrived but the body broke off.
    BodyRead { status: u16, message: String },
}

/// Sends one batch upsert request; `body` is the JSON of a
/// `BatchInputSimplePublicObjectBatchInputUpsert`, already serialized.
pub(crate) trait Transport: Send + Sync + 'static {
    fn send(
        &self,
        object_type: &ObjectType,
        body: Bytes,
        authorization: HeaderValue,
    ) -> BoxFuture<'static, Result<RawResponse, SendError>>;
}

/// The real transport over `reqwest`.
pub(crate) struct HttpTransport {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
}

impl HttpTransport {
    pub(crate) fn url(&self, object_type: &ObjectType) -> String {
        format!(
            "{}/crm/objects/{API_VERSION}/{}/batch/upsert",
            self.base_url,
            object_type.as_str()
        )
    }
}

impl Transport for HttpTransport {
    fn send(
        &self,
        object_type: &ObjectType,
        body: Bytes,
        authorization: HeaderValue,
    ) -> BoxFuture<'static, Result<RawResponse, SendError>> {
        let request = self
            .http
            .post(self.url(object_type))
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("api-version", HeaderValue::from_static(API_VERSION));
        Box::pin(async move {
            let response = request
                .body(body)
                .send()
                .await
                .map_err(describe_send_error)?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(|e| {
                if e.is_timeout() {
                    SendError::Timeout
                } else {
                    SendError::BodyRead {
                        status,
                        message: error_chain(&e),
                    }
                }
            })?;
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        })
    }
}

fn describe_send_error(e: reqwest::Error) -> SendError {
    if e.is_timeout() {
        SendError::Timeout
    } else {
        SendError::Connect(error_chain(&e))
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

/// Default connect timeout: 10 s is generous for a TLS handshake to HubSpot.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default whole-request timeout (sending, waiting, reading the body): 30 s. A batch of 100
/// upserts normally takes a few seconds; HubSpot's own gateway gives up at 100 s (524).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
