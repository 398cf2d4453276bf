//! The access token never leaves for another host: redirects are not followed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use hubspot_crm::{AccessToken, Client, ObjectType, OutcomeKind, UpsertInput};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

    let api = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api_addr = api.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = api.accept().await {
            let mut buf = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{other_addr}/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });

    let client = Client::builder()
        .base_url(format!("http://{api_addr}"))
        .token(AccessToken::new("SECRET-token"))
        .build()
        .expect("client");
    let inputs = vec![UpsertInput::new("a@example.com").id_property("email")];
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await;
    assert!(
        matches!(&outcomes[0].kind, OutcomeKind::Failed { cause, retried: false, .. } if cause.code() == "HTTP_307"),
        "{:?}",
        outcomes[0].kind
    );
    assert_eq!(summary.requests, 1);
    assert_eq!(
        contacted.load(Ordering::SeqCst),
        0,
        "the other host was never contacted"
    );
    assert!(!format!("{outcomes:?}").contains("SECRET"));
}
