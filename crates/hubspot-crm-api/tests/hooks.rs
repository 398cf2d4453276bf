//! The generated client's hooks (`src/hooks.rs`): `pre` sets `Authorization`, `exec` can be
//! replaced by a seam that answers without sockets, `post` records the status and headers of
//! responses whose body the generated code then fails to read or decode.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use hubspot_crm_api::v2026_09::types::{
    BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert,
};
use hubspot_crm_api::v2026_09::{Client, Error};
use hubspot_crm_api::{Exec, Inner, LastResponse, TokenSource};
use reqwest::header::{AUTHORIZATION, HeaderValue};

/// Answers every request with `status`, `body` and a `retry-after`, keeping what it was sent.
struct Canned {
    status: u16,
    body: &'static str,
    seen: Mutex<Vec<reqwest::Request>>,
}

impl Exec for Canned {
    fn exec(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'static, reqwest::Result<reqwest::Response>> {
        let response = http::Response::builder()
            .status(self.status)
            .header("retry-after", "7")
            .body(self.body)
            .expect("a valid response");
        self.seen.lock().expect("seen").push(request);
        Box::pin(async move { Ok(reqwest::Response::from(response)) })
    }
}

fn canned(status: u16, body: &'static str) -> Arc<Canned> {
    Arc::new(Canned {
        status,
        body,
        seen: Mutex::new(Vec::new()),
    })
}

fn body() -> BatchInputSimplePublicObjectBatchInputUpsert {
    BatchInputSimplePublicObjectBatchInputUpsert {
        inputs: vec![SimplePublicObjectBatchInputUpsert {
            id: "ada@example.com".into(),
            id_property: Some("email".into()),
            object_write_trace_id: None,
            properties: [
                ("b".to_owned(), "2".to_owned()),
                ("a".to_owned(), "1".to_owned()),
            ]
            .into_iter()
            .collect(),
        }],
    }
}

struct Rotating(Mutex<u32>);

impl TokenSource for Rotating {
    fn authorization(&self) -> BoxFuture<'_, Result<HeaderValue, String>> {
        let mut n = self.0.lock().expect("n");
        *n += 1;
        let value = HeaderValue::from_str(&format!("Bearer token-{n}")).map_err(|e| e.to_string());
        Box::pin(async move { value })
    }
}

#[tokio::test]
async fn pre_sets_authorization_and_exec_answers_without_sockets() {
    let fake = canned(
        200,
        r#"{"completedAt":"2024-08-15T17:09:13.648Z","startedAt":"2024-08-15T17:09:13.648Z","status":"COMPLETE","results":[]}"#,
    );
    let client = Client::new(
        "http://fake.invalid",
        Inner::new()
            .token_source(Arc::new(Rotating(Mutex::new(0))))
            .exec(fake.clone()),
    );
    for _ in 0..2 {
        let response = client
            .batch_upsert()
            .object_type("contacts")
            .body(body())
            .send()
            .await
            .expect("a 200");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.status, "COMPLETE");
    }
    let seen = fake.seen.lock().expect("seen");
    let auth: Vec<&HeaderValue> = seen.iter().map(|r| &r.headers()[AUTHORIZATION]).collect();
    assert_eq!(auth, ["Bearer token-1", "Bearer token-2"]);
    assert!(auth.iter().all(|v| v.is_sensitive()));
    assert_eq!(seen[0].headers()["api-version"], "2026-09");
    assert_eq!(
        seen[0].url().as_str(),
        "http://fake.invalid/crm/objects/2026-09/contacts/batch/upsert"
    );
    // The generated encoding, properties in the order they were set.
    let sent = seen[0]
        .body()
        .and_then(reqwest::Body::as_bytes)
        .expect("a body");
    assert_eq!(
        std::str::from_utf8(sent).expect("utf-8"),
        r#"{"inputs":[{"id":"ada@example.com","idProperty":"email","properties":{"b":"2","a":"1"}}]}"#
    );
    assert!(!format!("{client:?}").contains("token-"), "{client:?}");
}

#[tokio::test]
async fn post_records_the_head_of_a_response_whose_body_does_not_decode() {
    let fake = canned(503, "<html>Service Unavailable</html>");
    let record = LastResponse::new();
    let mut fixed = HeaderValue::from_static("Bearer fixed-secret");
    fixed.set_sensitive(false);
    let client = Client::new(
        "http://fake.invalid",
        Inner::new()
            .authorization(fixed)
            .exec(fake.clone())
            .record_into(record.clone()),
    );
    let err = client
        .batch_upsert()
        .object_type("contacts")
        .body(body())
        .send()
        .await
        .expect_err("a 503");
    // The generated error keeps the bytes but neither status nor headers...
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    assert_eq!(err.status(), None);
    // ...which the post hook recorded before the body was read.
    let head = record.take().expect("a recorded head");
    assert_eq!(head.status.as_u16(), 503);
    assert_eq!(head.headers["retry-after"], "7");
    assert!(record.take().is_none(), "taken once");
    let seen = fake.seen.lock().expect("seen");
    assert!(
        seen[0].headers()[AUTHORIZATION].is_sensitive(),
        "marked sensitive by the hook"
    );
    assert!(!format!("{client:?}").contains("fixed-secret"));
}

#[tokio::test]
async fn a_token_source_that_fails_sends_nothing() {
    struct Broken;
    impl TokenSource for Broken {
        fn authorization(&self) -> BoxFuture<'_, Result<HeaderValue, String>> {
            Box::pin(async { Err("the token provider is down".to_string()) })
        }
    }
    let fake = canned(200, "{}");
    let client = Client::new(
        "http://fake.invalid",
        Inner::new()
            .token_source(Arc::new(Broken))
            .exec(fake.clone()),
    );
    let err = client
        .batch_upsert()
        .object_type("contacts")
        .body(body())
        .send()
        .await
        .expect_err("no token");
    assert!(
        matches!(&err, Error::Custom(m) if m == "the token provider is down"),
        "{err:?}"
    );
    assert!(fake.seen.lock().expect("seen").is_empty());
}
