//! Hostile input: garbage bytes, a 50 MB body, a 10,000-input array. Each gets a clear 4xx
//! and the server keeps serving.

mod common;

use common::*;
use hubspot_crm_mock::MockServer;

const PATH: &str = "/crm/objects/2026-03/contacts/batch/upsert";

async fn still_serves(mock: &MockServer) {
    let reply = upsert(mock, "contacts", &batch(vec![contact("alive@x.com", &[])])).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn garbage_bytes_are_400() {
    let mock = MockServer::start().await.expect("mock starts");
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let reply = send_bytes(&mock, PATH, Some(TOKEN), garbage).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error().category.as_deref(), Some("VALIDATION_ERROR"));
    assert!(reply.message().starts_with("Invalid input JSON"));
    let empty = send_bytes(&mock, PATH, Some(TOKEN), Vec::new()).await;
    assert_eq!(empty.status, 400);
    assert!(mock.records("contacts").is_empty());
    still_serves(&mock).await;
    mock.shutdown().await;
}

#[tokio::test]
async fn fifty_megabytes_is_413() {
    let mock = MockServer::start().await.expect("mock starts");
    let mut huge = b"{\"inputs\":[{\"id\":\"a@x.com\",\"properties\":{\"firstname\":\"".to_vec();
    huge.resize(50 * 1024 * 1024, b'a');
    let reply = send_bytes(&mock, PATH, Some(TOKEN), huge).await;
    assert_eq!(reply.status, 413);
    assert!(
        reply.message().contains("exceeds the maximum"),
        "{}",
        reply.message()
    );
    assert!(mock.records("contacts").is_empty());
    still_serves(&mock).await;
    mock.shutdown().await;
}

#[tokio::test]
async fn ten_thousand_inputs_are_400() {
    let mock = MockServer::start().await.expect("mock starts");
    let inputs = (0..10_000)
        .map(|i| contact(&format!("c{i}@x.com"), &[("firstname", "X")]))
        .collect();
    let reply = upsert(&mock, "contacts", &batch(inputs)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error().category.as_deref(), Some("VALIDATION_ERROR"));
    assert!(reply.message().contains("10000"), "{}", reply.message());
    assert!(mock.records("contacts").is_empty());
    assert_eq!(mock.request_log()[0].inputs, 10_000);
    still_serves(&mock).await;
    mock.shutdown().await;
}

#[tokio::test]
async fn a_smaller_configured_limit_applies() {
    let mock = MockServer::builder()
        .max_body_bytes(1024)
        .start()
        .await
        .expect("mock starts");
    let inputs = (0..50)
        .map(|i| contact(&format!("c{i}@x.com"), &[]))
        .collect();
    let reply = upsert(&mock, "contacts", &batch(inputs)).await;
    assert_eq!(reply.status, 413);
    assert!(mock.records("contacts").is_empty());
    mock.shutdown().await;
}
