//! The generated `Client` sends the request HubSpot expects and maps each status to the right
//! side of its result, against a one-shot HTTP responder on 127.0.0.1.

use hubspot_crm_api::Inner;
use hubspot_crm_api::v2026_09::types::{
    BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert,
};
use hubspot_crm_api::v2026_09::{Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves exactly one request with `status` and `body`; returns the base URL and a handle
/// that yields the raw request text.
async fn respond_once(
    status: &'static str,
    body: String,
) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request);
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json;charset=utf-8\r\n\
             x-hubspot-ratelimit-remaining: 0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(response.as_bytes()).await.unwrap();
        socket.shutdown().await.ok();
        String::from_utf8_lossy(&request).into_owned()
    });
    (format!("http://{addr}"), handle)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn one_input() -> BatchInputSimplePublicObjectBatchInputUpsert {
    BatchInputSimplePublicObjectBatchInputUpsert {
        inputs: vec![SimplePublicObjectBatchInputUpsert {
            id: "ada@example.com".into(),
            id_property: Some("email".into()),
            object_write_trace_id: Some("t-1".into()),
            properties: [("firstname".to_owned(), "Ada".to_owned())]
                .into_iter()
                .collect(),
        }],
    }
}

#[tokio::test]
async fn a_207_is_a_success_that_carries_errors() {
    let (base, request) = respond_once("207 Multi-Status", fixture("batch_207.json")).await;
    let client = Client::new(&base, Inner::new());
    let response = client
        .batch_upsert()
        .object_type("contacts")
        .body(one_input())
        .send()
        .await
        .expect("207 is a success");
    assert_eq!(response.status().as_u16(), 207);
    assert_eq!(response.errors.len(), 2);
    assert_eq!(response.num_errors, Some(2));

    let request = request.await.unwrap();
    assert!(request.starts_with("POST /crm/objects/2026-09/contacts/batch/upsert HTTP/1.1"));
    let body = &request[request.find("\r\n\r\n").unwrap() + 4..];
    let sent: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"inputs": [{"id": "ada@example.com", "idProperty": "email",
            "objectWriteTraceId": "t-1", "properties": {"firstname": "Ada"}}]})
    );
}

#[tokio::test]
async fn a_200_decodes_into_the_same_type_with_no_errors() {
    let (base, _request) = respond_once("200 OK", fixture("batch_200.json")).await;
    let response = Client::new(&base, Inner::new())
        .batch_upsert()
        .object_type("contacts")
        .body(one_input())
        .send()
        .await
        .expect("200 is a success");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.errors.is_empty());
    assert_eq!(response.results.len(), 2);
}

#[tokio::test]
async fn a_429_is_an_error_response_with_headers_and_policy() {
    let (base, _request) = respond_once(
        "429 Too Many Requests",
        fixture("error_429_ten_secondly.json"),
    )
    .await;
    let err = Client::new(&base, Inner::new())
        .batch_upsert()
        .object_type("contacts")
        .body(one_input())
        .send()
        .await
        .expect_err("429 is an error");
    let Error::ErrorResponse(response) = err else {
        panic!("expected a typed error response, got {err:?}");
    };
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["x-hubspot-ratelimit-remaining"], "0");
    assert_eq!(
        response.policy_name.as_deref(),
        Some("TEN_SECONDLY_ROLLING")
    );
}

#[tokio::test]
async fn a_400_is_an_error_response_with_the_duplicate_ids() {
    let (base, _request) =
        respond_once("400 Bad Request", fixture("error_400_duplicates.json")).await;
    let err = Client::new(&base, Inner::new())
        .batch_upsert()
        .object_type("contacts")
        .body(one_input())
        .send()
        .await
        .expect_err("400 is an error");
    let Error::ErrorResponse(response) = err else {
        panic!("expected a typed error response, got {err:?}");
    };
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(response.category.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(response.context["ids"], vec!["ada@example.com".to_owned()]);
}
