//! The HTTP routes: batch upsert (on the 2026-09, 2026-03 and v3 paths, each answering in its
//! version's shape), the mock-only read-back route, and a HubSpot-shaped 404 for everything
//! else.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use chrono::{SubsecRound, Utc};
use http::header::{AUTHORIZATION, CONTENT_LENGTH};
use http::{HeaderMap, StatusCode, Uri};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::activity::RequestRecord;
use crate::api_version::ApiVersion;
use crate::app::App;
use crate::connection::ConnHandle;
use crate::faults::Fault;
use crate::hubspot_errors::Rejection;
use crate::rate_limit::{Policy, Verdict};
use crate::responses;
use crate::validation::check_batch;

/// The batch upsert path of API version 2026-09, HubSpot's current version.
pub const UPSERT_PATH: &str = "/crm/objects/2026-09/{objectType}/batch/upsert";
/// The batch upsert path of API version 2026-03.
pub const UPSERT_PATH_2026_03: &str = "/crm/objects/2026-03/{objectType}/batch/upsert";
/// The same operation on the v3 path (the 2026-03 schema).
pub const UPSERT_PATH_V3: &str = "/crm/v3/objects/{objectType}/batch/upsert";
/// The mock-only read-back route: the stored records of an object type as JSON.
pub const MOCK_RECORDS_PATH: &str = "/__mock/objects/{objectType}";

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        // One handler; each path tells it its version.
        .route(
            UPSERT_PATH,
            post(batch_upsert).layer(Extension(ApiVersion::V2026_09)),
        )
        .route(
            UPSERT_PATH_2026_03,
            post(batch_upsert).layer(Extension(ApiVersion::V2026_03)),
        )
        .route(
            UPSERT_PATH_V3,
            post(batch_upsert).layer(Extension(ApiVersion::V3)),
        )
        .route(MOCK_RECORDS_PATH, get(mock_records))
        .fallback(not_found)
        .with_state(app)
}

async fn not_found(uri: Uri) -> Response {
    responses::rejection(&Rejection::not_found(uri.path()), HeaderMap::new())
}

async fn mock_records(State(app): State<Arc<App>>, Path(object_type): Path<String>) -> Response {
    match app.schemas.resolve(&object_type) {
        Some((name, _)) => {
            let records = app.records(name);
            Json(serde_json::json!({ "objectType": name, "results": records })).into_response()
        }
        None => responses::rejection(
            &Rejection::unknown_object_type(&object_type),
            HeaderMap::new(),
        ),
    }
}

/// The bearer token of a request, if the header is well-formed.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && !token.chars().any(|c| c.is_whitespace() || c.is_control()))
    .then_some(token)
}

/// Read at most `limit` bytes of body; past it, read and discard up to `drain` bytes so that a
/// client still sending receives the 413, then answer.
async fn read_body(
    body: Body,
    hint: Option<usize>,
    limit: usize,
    drain: usize,
) -> Result<Vec<u8>, Rejection> {
    use futures::StreamExt;
    if hint.is_some_and(|n| n > drain) {
        return Err(Rejection::body_too_large(limit));
    }
    let mut buf = Vec::with_capacity(hint.unwrap_or(0).min(limit));
    let mut total = 0usize;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| Rejection::validation(format!("Could not read the request body: {e}")))?;
        total = total.saturating_add(chunk.len());
        if total > limit {
            if total > drain {
                break;
            }
            continue;
        }
        buf.extend_from_slice(&chunk);
    }
    if total > limit {
        return Err(Rejection::body_too_large(limit));
    }
    Ok(buf)
}

/// Wait `duration`, or less if the server is shutting down.
async fn pause(app: &App, duration: std::time::Duration) {
    pause_until(&app.shutdown, Instant::now() + duration).await;
}

/// Wait until `deadline`, or less if the server is shutting down; not at all once it has
/// passed. A tokio timer whose deadline has passed still waits for the runtime's next timer
/// turn, and a busy runtime turns its timers only every few dozen task polls: a response
/// that went through such a timer would be held back until then and leave in a burst with
/// others, and a benchmark would measure how fast a client turns a burst around rather than
/// its throughput (BENCHMARKS.md, Findings).
async fn pause_until(shutdown: &watch::Receiver<bool>, deadline: Instant) {
    if Instant::now() >= deadline {
        return;
    }
    let mut shutdown = shutdown.clone();
    tokio::select! {
        () = tokio::time::sleep_until(deadline) => {}
        _ = shutdown.wait_for(|stopping| *stopping) => {}
    }
}

async fn batch_upsert(
    Extension(version): Extension<ApiVersion>,
    State(app): State<Arc<App>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(object_type): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let index = app.next_index.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    // Logged even when the client hangs up first (a stall past its timeout): hyper then
    // drops this future, and the guard records the request as closed without an answer.
    let mut guard = LogOnDrop {
        app: Arc::clone(&app),
        entry: RequestRecord {
            index,
            api_version: version,
            object_type,
            status: None,
            inputs: 0,
            fault: None,
            applied: false,
            created: 0,
            updated: 0,
            trace_ids: Vec::new(),
        },
        inputs_failed: 0,
        logged: false,
    };
    let LogOnDrop {
        entry,
        inputs_failed,
        ..
    } = &mut guard;
    let response = upsert(&app, &conn, &headers, body, entry, inputs_failed).await;
    // The configured latency is the response time: a response leaves no earlier than
    // `latency` after its request arrived, however long the work took. HubSpot works on many
    // requests in parallel; this server works on one at a time per core, and adding the
    // latency after the work would stack each queued request's work onto the latency of the
    // requests behind it.
    pause_until(&app.shutdown, started + app.config.latency).await;
    if !conn.is_closed() {
        entry.status = Some(response.status().as_u16());
    }
    tracing::info!(
        target: "hubspot_crm_mock::request",
        "#{} {} POST {} {} -> {} inputs={} created={} updated={} applied={} fault={} {}ms",
        entry.index,
        conn.peer,
        entry.api_version,
        entry.object_type,
        entry.status.map_or_else(|| "closed".to_owned(), |s| s.to_string()),
        entry.inputs,
        entry.created,
        entry.updated,
        entry.applied,
        entry.fault.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string),
        started.elapsed().as_millis(),
    );
    guard.record();
    response
}

/// The log entry of a request being answered; recorded once, by [`LogOnDrop::record`] or, if
/// the request future is dropped before that, on drop.
struct LogOnDrop {
    app: Arc<App>,
    entry: RequestRecord,
    inputs_failed: usize,
    logged: bool,
}

impl LogOnDrop {
    fn record(&mut self) {
        if !self.logged {
            self.logged = true;
            let entry = std::mem::take(&mut self.entry);
            self.app.activity.record(entry, self.inputs_failed);
        }
    }
}

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        if !self.logged {
            // The client went away mid-request: no answer reached it.
            self.entry.status = None;
            self.record();
        }
    }
}

/// The body of [`batch_upsert`]: every rule in order, filling in the log entry.
async fn upsert(
    app: &App,
    conn: &ConnHandle,
    headers: &HeaderMap,
    body: Body,
    entry: &mut RequestRecord,
    inputs_failed: &mut usize,
) -> Response {
    let config = &app.config;

    // Authentication.
    let token = match bearer(headers) {
        Some(t) if config.valid_tokens.as_ref().is_none_or(|v| v.contains(t)) => t,
        _ => {
            note_refused_body(app, body, headers, entry).await;
            let headers = responses::rate_headers(&app.limiter.peek());
            return responses::rejection(&Rejection::unauthenticated(), headers);
        }
    };

    // Rate limits.
    let figures = match app.limiter.check(token, Instant::now()) {
        Verdict::Allowed(f) => f,
        Verdict::Limited(policy, f) => {
            note_refused_body(app, body, headers, entry).await;
            let r = Rejection::rate_limited(policy == Policy::Daily);
            return responses::rejection(&r, responses::rate_headers(&f));
        }
    };
    let out_headers = responses::rate_headers(&figures);

    // Body.
    let hint = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let bytes = match read_body(body, hint, config.max_body_bytes, config.drain_limit_bytes).await {
        Ok(b) => b,
        Err(r) => return responses::rejection(&r, out_headers),
    };
    entry.trace_ids = trace_ids_hint(&bytes);

    // Faults that strike before the batch is applied.
    let fault = config.faults.fault_for(entry.index, config.seed).cloned();
    entry.fault.clone_from(&fault);
    if let Some(fault) = &fault {
        if let Fault::Latency(d) = fault {
            pause(app, *d).await;
        } else if !fault.applies_batch() {
            return strike(app, conn, fault, out_headers, None).await;
        }
    }

    // Object type, then the body's rules.
    let Some((type_name, schema)) = app.schemas.resolve(&entry.object_type) else {
        return responses::rejection(
            &Rejection::unknown_object_type(&entry.object_type),
            out_headers,
        );
    };
    let max_inputs = config.plan.limits().inputs_per_request;
    let checked = match check_batch(&bytes, type_name, schema, max_inputs) {
        Ok(c) => c,
        Err(r) => {
            entry.inputs = count_inputs_hint(&bytes);
            return responses::rejection(&r, out_headers);
        }
    };
    entry.inputs = checked.received;
    *inputs_failed = checked.failed.len();

    // Apply.
    let started_at = Utc::now().trunc_subsecs(3);
    let applied = match app.apply(type_name, schema, checked.valid, started_at) {
        Ok(applied) => applied,
        Err(conflict) => {
            let rejection = Rejection::conflict(
                type_name,
                &conflict.property,
                &conflict.value,
                conflict.existing_id,
            );
            return responses::rejection(&rejection, out_headers);
        }
    };
    entry.applied = applied.created + applied.updated > 0;
    entry.created = applied.created;
    entry.updated = applied.updated;
    let results = responses::reorder(applied.results, config.seed, entry.index);
    let (status, body) =
        responses::success_body(entry.api_version, results, checked.failed, started_at);

    match fault {
        Some(Fault::AfterApply(inner)) => {
            strike(app, conn, &inner, out_headers, Some((status, body))).await
        }
        Some(Fault::TruncatedBody) => responses::truncated(status, out_headers, body),
        _ => (status, out_headers, body).into_response(),
    }
}

/// How many inputs a rejected body held, when it is a JSON object with an `inputs` array.
fn count_inputs_hint(bytes: &[u8]) -> usize {
    #[derive(serde::Deserialize)]
    struct Shape {
        inputs: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Shape>(bytes).map_or(0, |s| s.inputs.len())
}

/// The `objectWriteTraceId` of each input, when the body is a JSON object with an `inputs`
/// array; for the request log only.
fn trace_ids_hint(bytes: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Input {
        #[serde(rename = "objectWriteTraceId")]
        trace_id: Option<serde_json::Value>,
    }
    #[derive(serde::Deserialize)]
    struct Shape {
        inputs: Vec<Input>,
    }
    serde_json::from_slice::<Shape>(bytes).map_or_else(
        |_| Vec::new(),
        |s| {
            s.inputs
                .into_iter()
                .map(|i| match i.trace_id {
                    Some(serde_json::Value::String(t)) => t,
                    _ => String::new(),
                })
                .collect()
        },
    )
}

/// Reads the body of a request refused before its body mattered (authentication, rate
/// limit), within the usual size limits, to log its trace ids and input count.
async fn note_refused_body(app: &App, body: Body, headers: &HeaderMap, entry: &mut RequestRecord) {
    let hint = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let config = &app.config;
    if let Ok(bytes) = read_body(body, hint, config.max_body_bytes, config.drain_limit_bytes).await
    {
        entry.trace_ids = trace_ids_hint(&bytes);
    }
}

/// Answer with a fault. `success` is the success response of an applied batch, for faults
/// that strike after applying.
async fn strike(
    app: &App,
    conn: &ConnHandle,
    fault: &Fault,
    headers: HeaderMap,
    success: Option<(StatusCode, Vec<u8>)>,
) -> Response {
    if let Some((status, message)) = fault.error_status() {
        let r = Rejection::fault(status, message);
        return match fault {
            Fault::MigrationInProgress477 { retry_after_secs } => {
                responses::rejection_retry_after(&r, headers, *retry_after_secs)
            }
            _ => responses::rejection(&r, headers),
        };
    }
    match fault {
        Fault::RateLimited429 | Fault::DailyLimit429 => responses::rejection(
            &Rejection::rate_limited(*fault == Fault::DailyLimit429),
            headers,
        ),
        Fault::Stall(d) => {
            pause(app, *d).await;
            match success {
                Some((status, body)) => (status, headers, body).into_response(),
                None => responses::rejection(
                    &Rejection::fault(504, "The request timed out at the gateway."),
                    headers,
                ),
            }
        }
        Fault::Latency(d) => {
            pause(app, *d).await;
            match success {
                Some((status, body)) => (status, headers, body).into_response(),
                None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
        Fault::CloseConnection => {
            conn.close();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Fault::TruncatedBody => match success {
            Some((status, body)) => responses::truncated(status, headers, body),
            None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Fault::MalformedJson => responses::malformed(headers),
        Fault::AfterApply(inner) => Box::pin(strike(app, conn, inner, headers, success)).await,
        // Error-status faults were answered above.
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("ascii"));
        h
    }

    #[tokio::test]
    async fn a_passed_deadline_answers_without_waiting_for_a_timer_turn() {
        use futures::FutureExt;
        let (_stop, shutdown) = watch::channel(false);
        let passed = Instant::now() - std::time::Duration::from_millis(1);
        assert_eq!(pause_until(&shutdown, passed).now_or_never(), Some(()));
        assert_eq!(
            pause_until(&shutdown, Instant::now()).now_or_never(),
            Some(())
        );
        let ahead = Instant::now() + std::time::Duration::from_secs(60);
        assert_eq!(pause_until(&shutdown, ahead).now_or_never(), None);
    }

    #[test]
    fn bearer_shapes() {
        assert_eq!(bearer(&with_auth("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&with_auth("bearer abc")), Some("abc"));
        assert_eq!(bearer(&with_auth("Bearer ")), None);
        assert_eq!(bearer(&with_auth("Basic abc")), None);
        assert_eq!(bearer(&with_auth("Bearer a b")), None);
        assert_eq!(bearer(&with_auth("abc")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
