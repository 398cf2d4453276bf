//! HubSpot 2026-09 drops the 207 response and puts `errors` and `numErrors` into the 200 body.
//! The client reads errors from whichever success body arrives, so a 200 that carries errors
//! still maps every input to its own outcome. A one-route server on 127.0.0.1 answers in that
//! shape: inputs whose id starts with `bad` fail, the others are created.

use hubspot_crm::{AccessToken, Client, ObjectType, OutcomeKind, RetryPolicy, UpsertInput};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

mod common;
use common::read_request;

/// The 2026-09 answer to one batch: status 200, `results` and `errors` side by side.
fn answer(request: &Value, next_id: &AtomicUsize) -> Value {
    let inputs = request["inputs"].as_array().cloned().unwrap_or_default();
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in inputs.iter().rev() {
        let id = input["id"].as_str().unwrap_or_default();
        let trace = input["objectWriteTraceId"].clone();
        if id.starts_with("bad") {
            errors.push(json!({
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": format!("Property values were not valid for {id}"),
                "context": {"objectWriteTraceId": [trace]},
            }));
        } else {
            let record = next_id.fetch_add(1, Ordering::SeqCst);
            results.push(json!({
                "id": record.to_string(),
                "new": true,
                "archived": false,
                "createdAt": "2026-09-20T12:00:00Z",
                "updatedAt": "2026-09-20T12:00:00Z",
                "objectWriteTraceId": trace,
                "properties": {"email": id, "hs_object_id": record.to_string()},
            }));
        }
    }
    json!({
        "status": "COMPLETE",
        "startedAt": "2026-09-20T12:00:00Z",
        "completedAt": "2026-09-20T12:00:00.100Z",
        "numErrors": errors.len(),
        "results": results,
        "errors": errors,
    })
}

/// Serves the 2026-09 shape until the test ends; counts the requests it answered.
async fn serve_2026_09() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    tokio::spawn(async move {
        let next_id = Arc::new(AtomicUsize::new(500));
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = Arc::clone(&counted);
            let next_id = Arc::clone(&next_id);
            tokio::spawn(async move {
                while let Some(body) = read_request(&mut socket).await {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let text = answer(&request, &next_id).to_string();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
                        text.len()
                    );
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (base, requests)
}

#[tokio::test]
async fn errors_in_a_200_body_fail_their_own_inputs_only() {
    let (base, requests) = serve_2026_09().await;
    let client = Client::builder()
        .base_url(base)
        .token(AccessToken::new("token-2026-09"))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("client");
    let inputs = vec![
        UpsertInput::new("ada@example.com").id_property("email"),
        UpsertInput::new("bad-1@example.com").id_property("email"),
        UpsertInput::new("grace@example.com").id_property("email"),
        UpsertInput::new("bad-2@example.com").id_property("email"),
    ];
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;

    assert_eq!(requests.load(Ordering::SeqCst), 1, "one batch, no retry");
    assert_eq!(outcomes.len(), 4);
    let positions: Vec<u64> = outcomes.iter().map(|o| o.position).collect();
    assert_eq!(positions, vec![0, 1, 2, 3]);
    for outcome in &outcomes {
        match (&outcome.kind, outcome.id.starts_with("bad")) {
            (OutcomeKind::Created { record_id, .. }, false) => {
                assert!(
                    record_id.parse::<u64>().is_ok_and(|id| id >= 500),
                    "{record_id}"
                );
            }
            (
                OutcomeKind::Failed {
                    cause,
                    message,
                    retried,
                    ..
                },
                true,
            ) => {
                assert_eq!(cause.code(), "VALIDATION_ERROR");
                assert_eq!(
                    message,
                    &format!("Property values were not valid for {}", outcome.id)
                );
                assert!(!retried);
            }
            (other, _) => panic!("input {} ended {other:?}", outcome.id),
        }
    }
    assert_eq!(
        (
            summary.created,
            summary.updated,
            summary.failed,
            summary.not_attempted
        ),
        (2, 0, 2, 0)
    );
}
