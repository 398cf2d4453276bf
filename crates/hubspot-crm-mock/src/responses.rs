//! Turning outcomes into HTTP responses: success bodies (200, 207) from the generated types of
//! the version the request was sent to,
//! error bodies, the rate-limit headers, result ordering, and the corrupted bodies of the
//! truncated-body and malformed-JSON faults.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use futures::StreamExt;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use hubspot_crm_api::v2026_03::types::{
    BatchResponseSimplePublicUpsertObject, BatchResponseSimplePublicUpsertObjectWithErrors,
    SimplePublicUpsertObject, StandardError,
};
use hubspot_crm_api::v2026_09::types as v09;

use crate::api_version::{ApiVersion, error_2026_09, record_2026_09};
use crate::hubspot_errors::Rejection;
use crate::random::mix;
use crate::rate_limit::RateFigures;

/// `X-HubSpot-RateLimit-Max`.
pub const HEADER_MAX: &str = "x-hubspot-ratelimit-max";
/// `X-HubSpot-RateLimit-Remaining`.
pub const HEADER_REMAINING: &str = "x-hubspot-ratelimit-remaining";
/// `X-HubSpot-RateLimit-Interval-Milliseconds`.
pub const HEADER_INTERVAL: &str = "x-hubspot-ratelimit-interval-milliseconds";
/// `X-HubSpot-RateLimit-Daily`.
pub const HEADER_DAILY: &str = "x-hubspot-ratelimit-daily";
/// `X-HubSpot-RateLimit-Daily-Remaining`.
pub const HEADER_DAILY_REMAINING: &str = "x-hubspot-ratelimit-daily-remaining";

/// How long a truncated body waits after its first half before the connection is dropped.
const TRUNCATION_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

const JSON: HeaderValue = HeaderValue::from_static("application/json;charset=utf-8");

/// Headers every upsert response carries (the daily pair when the limiter has a daily figure).
pub(crate) fn rate_headers(f: &RateFigures) -> HeaderMap {
    let mut h = HeaderMap::with_capacity(8);
    h.insert(CONTENT_TYPE, JSON);
    h.insert(
        HeaderName::from_static(HEADER_MAX),
        HeaderValue::from(f.max),
    );
    h.insert(
        HeaderName::from_static(HEADER_REMAINING),
        HeaderValue::from(f.remaining),
    );
    h.insert(
        HeaderName::from_static(HEADER_INTERVAL),
        HeaderValue::from(u64::try_from(f.interval_ms).unwrap_or(u64::MAX)),
    );
    if let (Some(daily), Some(remaining)) = (f.daily, f.daily_remaining) {
        h.insert(
            HeaderName::from_static(HEADER_DAILY),
            HeaderValue::from(daily),
        );
        h.insert(
            HeaderName::from_static(HEADER_DAILY_REMAINING),
            HeaderValue::from(remaining),
        );
    }
    h
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Serialising the generated types cannot fail: their maps have string keys.
    serde_json::to_vec(value).unwrap_or_else(|e| {
        format!("{{\"status\":\"error\",\"message\":\"could not serialise the response: {e}\"}}")
            .into_bytes()
    })
}

/// A whole-request failure as a response.
pub(crate) fn rejection(r: &Rejection, mut headers: HeaderMap) -> Response {
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, JSON);
    }
    (r.status, headers, to_json(&r.body)).into_response()
}

/// A whole-request failure that also carries `Retry-After` (seconds).
pub(crate) fn rejection_retry_after(r: &Rejection, mut headers: HeaderMap, secs: u64) -> Response {
    headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    rejection(r, headers)
}

/// Put results in an order that is not the input order (for two or more), deterministic from
/// the seed and the request index.
pub(crate) fn reorder<T>(items: Vec<T>, seed: u64, index: u64) -> Vec<T> {
    let n = items.len();
    if n < 2 {
        return items;
    }
    let mut order: Vec<usize> = (0..n).collect();
    let base = mix(seed, index);
    for i in (1..n).rev() {
        let j = usize::try_from(mix(base, i as u64) % (i as u64 + 1)).unwrap_or(0);
        order.swap(i, j);
    }
    if order.iter().enumerate().all(|(i, &o)| i == o) {
        order.swap(0, 1);
    }
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// The success body in `version`'s shape. 2026-03 and v3: 200 when nothing failed, 207 with
/// the per-input errors otherwise. 2026-09: always 200, with `errors` and `numErrors` when
/// some inputs failed.
pub(crate) fn success_body(
    version: ApiVersion,
    results: Vec<SimplePublicUpsertObject>,
    failed: Vec<StandardError>,
    started_at: DateTime<Utc>,
) -> (StatusCode, Vec<u8>) {
    let completed_at = Utc::now().trunc_subsecs(3);
    if !version.partial_success_is_207() {
        let body = v09::BatchResponseSimplePublicUpsertObject {
            completed_at,
            num_errors: (!failed.is_empty())
                .then(|| i32::try_from(failed.len()).unwrap_or(i32::MAX)),
            errors: failed.into_iter().map(error_2026_09).collect(),
            links: Default::default(),
            requested_at: None,
            results: results.into_iter().map(record_2026_09).collect(),
            started_at,
            status: "COMPLETE".to_owned(),
        };
        return (StatusCode::OK, to_json(&body));
    }
    if failed.is_empty() {
        let body = BatchResponseSimplePublicUpsertObject {
            completed_at,
            links: Default::default(),
            requested_at: None,
            results,
            started_at,
            status: "COMPLETE".to_owned(),
        };
        (StatusCode::OK, to_json(&body))
    } else {
        let body = BatchResponseSimplePublicUpsertObjectWithErrors {
            completed_at,
            num_errors: Some(i32::try_from(failed.len()).unwrap_or(i32::MAX)),
            errors: failed,
            links: Default::default(),
            requested_at: None,
            results,
            started_at,
            status: "COMPLETE".to_owned(),
        };
        (StatusCode::MULTI_STATUS, to_json(&body))
    }
}

/// A body announced at full length, of which only the first half is sent before the
/// connection is closed.
pub(crate) fn truncated(status: StatusCode, mut headers: HeaderMap, body: Vec<u8>) -> Response {
    let full = body.len();
    let half = Bytes::from(body).slice(..full / 2);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(full));
    // The error comes after a pause so that the status line, headers and first half are
    // flushed to the client before the connection is dropped.
    let first = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(half) });
    let cut = futures::stream::once(async {
        tokio::time::sleep(TRUNCATION_PAUSE).await;
        Err(std::io::Error::other("body truncated by an injected fault"))
    });
    let chunks = first.chain(cut);
    let mut response = Response::new(Body::from_stream(chunks));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// A 200 whose `application/json` body is not JSON.
pub(crate) fn malformed(headers: HeaderMap) -> Response {
    const BODY: &str =
        "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"1\",\"properties\":{\"email\":";
    (StatusCode::OK, headers, BODY).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorder_never_keeps_input_order_and_is_seeded() {
        for n in 2..40usize {
            for index in 0..20 {
                let items: Vec<usize> = (0..n).collect();
                let out = reorder(items.clone(), 7, index);
                assert_ne!(out, items, "n={n} index={index}");
                let mut sorted = out.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, items, "a permutation");
                assert_eq!(out, reorder(items.clone(), 7, index), "deterministic");
            }
        }
        assert_eq!(reorder(vec![1], 7, 0), vec![1]);
        let items: Vec<usize> = (0..50).collect();
        assert_ne!(reorder(items.clone(), 7, 0), reorder(items, 8, 0));
    }
}
