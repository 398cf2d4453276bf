//! Shared helpers for the loopback tests: send a request, and decode every response with the
//! generated types of `hubspot-crm-api` at 2026-03, the path these tests send to unless they
//! say otherwise (a response that does not decode fails the test).

#![allow(dead_code)]

use hubspot_crm_api::v2026_03::types::{
    BatchResponseSimplePublicUpsertObject, BatchResponseSimplePublicUpsertObjectWithErrors,
    Error as ErrorBody,
};
use hubspot_crm_mock::MockServer;
use serde_json::{Value, json};

/// A response, already decoded by its status.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Decoded,
}

/// The body of a response, decoded as the spec says for its status.
#[derive(Debug)]
pub enum Decoded {
    Ok(BatchResponseSimplePublicUpsertObject),
    Partial(BatchResponseSimplePublicUpsertObjectWithErrors),
    Error(ErrorBody),
}

impl Reply {
    pub fn ok(&self) -> &BatchResponseSimplePublicUpsertObject {
        match &self.body {
            Decoded::Ok(b) => b,
            other => panic!("expected 200, got {} {other:?}", self.status),
        }
    }

    pub fn partial(&self) -> &BatchResponseSimplePublicUpsertObjectWithErrors {
        match &self.body {
            Decoded::Partial(b) => b,
            other => panic!("expected 207, got {} {other:?}", self.status),
        }
    }

    pub fn error(&self) -> &ErrorBody {
        match &self.body {
            Decoded::Error(b) => b,
            other => panic!("expected an error body, got {} {other:?}", self.status),
        }
    }

    pub fn message(&self) -> &str {
        self.error().message.as_deref().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn header_u64(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("missing header {name}"))
            .parse()
            .unwrap_or_else(|e| panic!("header {name} not a number: {e}"))
    }
}

/// Decode a body as the spec says for `status`; panics (fails the test) when it does not.
pub fn decode(status: u16, bytes: &[u8]) -> Decoded {
    let text = String::from_utf8_lossy(bytes);
    match status {
        200 => Decoded::Ok(
            serde_json::from_slice(bytes)
                .unwrap_or_else(|e| panic!("200 body does not decode: {e}: {text}")),
        ),
        207 => Decoded::Partial(
            serde_json::from_slice(bytes)
                .unwrap_or_else(|e| panic!("207 body does not decode: {e}: {text}")),
        ),
        _ => Decoded::Error(
            serde_json::from_slice(bytes)
                .unwrap_or_else(|e| panic!("{status} body does not decode as Error: {e}: {text}")),
        ),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .build()
        .expect("a reqwest client builds")
}

pub const TOKEN: &str = "test-token";

/// POST raw bytes to a path of the mock, with a bearer token unless `token` is None.
pub async fn post_raw(
    mock: &MockServer,
    path: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut req = client()
        .post(format!("{}{path}", mock.base_url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await
}

/// POST bytes and decode the answer.
pub async fn send_bytes(
    mock: &MockServer,
    path: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let resp = post_raw(mock, path, token, body)
        .await
        .expect("the mock answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("the body arrives whole");
    Reply {
        status,
        headers,
        body: decode(status, &bytes),
    }
}

/// POST a JSON body to the 2026-03 upsert path of `object_type` with the test token.
pub async fn upsert(mock: &MockServer, object_type: &str, body: &Value) -> Reply {
    send_bytes(
        mock,
        &format!("/crm/objects/2026-03/{object_type}/batch/upsert"),
        Some(TOKEN),
        serde_json::to_vec(body).expect("json"),
    )
    .await
}

/// A contacts input keyed by email.
pub fn contact(email: &str, props: &[(&str, &str)]) -> Value {
    let mut properties = serde_json::Map::new();
    for (k, v) in props {
        properties.insert((*k).to_owned(), json!(v));
    }
    json!({ "id": email, "idProperty": "email", "properties": properties })
}

/// The same with a trace id.
pub fn traced(mut input: Value, trace: &str) -> Value {
    input["objectWriteTraceId"] = json!(trace);
    input
}

pub fn batch(inputs: Vec<Value>) -> Value {
    json!({ "inputs": inputs })
}

/// The stored value of `prop` on the contact with `email`.
pub fn stored(mock: &MockServer, email: &str, prop: &str) -> Option<String> {
    mock.records("contacts")
        .into_iter()
        .find(|r| r.properties.get("email").map(String::as_str) == Some(email))
        .and_then(|r| r.properties.get(prop).cloned())
}
