//! The access token never leaves for another host: redirects are not followed.
//!
//! The redirect comes from [`CannedHubSpot`], not from the mock: HubSpot's API does not
//! redirect an upsert, so the mock never does, but a proxy or a wrong base URL can (see
//! `common/canned_hubspot.rs`). The other host is a bare listener that only counts the
//! connections it accepts: it is never meant to answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use hubspot_crm::{AccessToken, Client, ObjectType, OutcomeKind, UpsertInput};
use tokio::net::TcpListener;

mod common;
use common::canned_hubspot::{CannedAnswer, CannedHubSpot};
use common::failure_category;

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let other = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let other_addr = other.local_addr().expect("addr");
    let contacted = Arc::new(AtomicU32::new(0));
    let counter = contacted.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = other.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });

    let api = CannedHubSpot::start(
        CannedAnswer::empty(307).header("location", &format!("http://{other_addr}/steal")),
    )
    .await;

    let client = Client::builder()
        .base_url(api.base_url())
        .token(AccessToken::new("SECRET-token"))
        .build()
        .expect("client");
    let inputs = vec![UpsertInput::new("a@example.com").id_property("email")];
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert_eq!(
        failure_category(&outcomes[0].kind).as_deref(),
        Some("HTTP_307"),
        "{:?}",
        outcomes[0].kind
    );
    assert!(
        matches!(
            &outcomes[0].kind,
            OutcomeKind::Failed { retried: false, .. }
        ),
        "{:?}",
        outcomes[0].kind
    );
    assert_eq!(summary.requests, 1);
    assert_eq!(api.requests().len(), 1);
    assert_eq!(
        contacted.load(Ordering::SeqCst),
        0,
        "the other host was never contacted"
    );
    assert!(!format!("{outcomes:?}").contains("SECRET"));
}
