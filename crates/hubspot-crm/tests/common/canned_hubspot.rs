//! `CannedHubSpot`: the one fake of HubSpot below the mock in these tests, a loopback HTTP
//! server (axum, on 127.0.0.1 and an ephemeral port) that answers every request with one
//! given status, headers and body, and records the requests it got.
//!
//! Why the mock cannot serve these tests: the mock behaves as HubSpot does and sends only what
//! HubSpot's published schema allows, built from its own store. Some of the client's promises
//! are about answers it never sends by design:
//! - a body with **every** optional field of a version's spec set (`propertiesWithHistory`,
//!   `links`, `subCategory`, nested `errors`...), so that each field is seen to reach the
//!   outcome whole (`contract_guard.rs`);
//! - a 2026-09 answer sent as a 207, which 2026-09's spec no longer declares, read liberally
//!   (`contract_guard.rs`);
//! - a redirect to another host, which HubSpot's API does not send but a proxy or a wrong base
//!   URL can (`redirect_and_token.rs`).
//!
//! Anything the mock can answer is tested against the mock instead.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The answer a [`CannedHubSpot`] gives to every request.
#[derive(Clone, Debug)]
pub struct CannedAnswer {
    status: StatusCode,
    headers: HeaderMap,
    body: Option<Value>,
}

impl CannedAnswer {
    /// `status` with `body` as JSON (`content-type: application/json`).
    pub fn json(status: u16, body: Value) -> Self {
        CannedAnswer {
            status: status_code(status),
            headers: HeaderMap::new(),
            body: Some(body),
        }
    }

    /// `status` without a body.
    pub fn empty(status: u16) -> Self {
        CannedAnswer {
            status: status_code(status),
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// The answer with one more header.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("header {name}: {value:?} is not a header value: {e}"));
        self.headers.append(HeaderName::from_static(name), value);
        self
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or_else(|e| panic!("status {status}: {e}"))
}

impl IntoResponse for CannedAnswer {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => {
                let mut response = body.to_string().into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            None => ().into_response(),
        };
        *response.status_mut() = self.status;
        response.headers_mut().extend(self.headers);
        response
    }
}

/// One request a [`CannedHubSpot`] got.
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    /// The method, such as `POST`.
    pub method: Method,
    /// The path and query, such as `/crm/objects/2026-03/contacts/batch/upsert`.
    pub uri: Uri,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The body as JSON, or `Value::Null` when it was not JSON.
    pub body: Value,
}

#[derive(Debug)]
struct Shared {
    answer: CannedAnswer,
    received: Mutex<Vec<ReceivedRequest>>,
}

/// A loopback server that answers every request with one [`CannedAnswer`]; it stops when
/// dropped.
#[derive(Debug)]
pub struct CannedHubSpot {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl CannedHubSpot {
    /// Starts a server on 127.0.0.1 and an ephemeral port that answers `answer` to every
    /// request, whatever its method and path.
    pub async fn start(answer: CannedAnswer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            answer,
            received: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .fallback(answer_request)
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the canned server runs");
        });
        CannedHubSpot {
            addr,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:<port>`, the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests answered so far, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for CannedHubSpot {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer_request(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> CannedAnswer {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared
        .received
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(ReceivedRequest {
            method,
            uri,
            headers,
            body,
        });
    shared.answer.clone()
}
