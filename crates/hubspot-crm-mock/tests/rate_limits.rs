//! Rate limits over loopback HTTP, with tokio's paused clock driving the rolling window.

mod common;

use std::time::Duration;

use common::*;
use hubspot_crm_mock::{MockServer, Plan};

fn one(email: &str) -> serde_json::Value {
    batch(vec![contact(email, &[])])
}

#[tokio::test(start_paused = true)]
async fn rolling_window_per_token() {
    let mock = MockServer::builder()
        .rate_limit(3, Duration::from_millis(200))
        .start()
        .await
        .expect("mock starts");
    for (i, remaining) in [2u64, 1, 0].into_iter().enumerate() {
        let reply = upsert(&mock, "contacts", &one(&format!("a{i}@x.com"))).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header_u64("x-hubspot-ratelimit-max"), 3);
        assert_eq!(reply.header_u64("x-hubspot-ratelimit-remaining"), remaining);
        assert_eq!(
            reply.header_u64("x-hubspot-ratelimit-interval-milliseconds"),
            200
        );
    }
    let limited = upsert(&mock, "contacts", &one("over@x.com")).await;
    assert_eq!(limited.status, 429);
    let err = limited.error();
    assert_eq!(err.policy_name.as_deref(), Some("TEN_SECONDLY_ROLLING"));
    assert_eq!(err.error_type.as_deref(), Some("RATE_LIMIT"));
    assert_eq!(err.status.as_deref(), Some("error"));
    assert_eq!(
        err.message.as_deref(),
        Some("You have reached your ten_secondly_rolling limit.")
    );
    // HubSpot's own 429 bodies may lack `category`; the published `Error` requires it, so the
    // mock sends one.
    assert_eq!(err.category.as_deref(), Some("RATE_LIMITS"));
    assert!(err.correlation_id.is_some());
    assert_eq!(limited.header_u64("x-hubspot-ratelimit-remaining"), 0);
    assert!(stored(&mock, "over@x.com", "email").is_none());

    // Another token has its own window.
    let other = send_bytes(
        &mock,
        "/crm/objects/2026-03/contacts/batch/upsert",
        Some("other-token"),
        serde_json::to_vec(&one("other@x.com")).expect("json"),
    )
    .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.header_u64("x-hubspot-ratelimit-remaining"), 2);

    // Once the window has rolled past the first requests, the token may send again.
    tokio::time::advance(Duration::from_millis(201)).await;
    let again = upsert(&mock, "contacts", &one("later@x.com")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header_u64("x-hubspot-ratelimit-remaining"), 2);
    assert_eq!(mock.records("contacts").len(), 5);
    let c = mock.counters();
    assert_eq!((c.status(200), c.status(429)), (5, 1));
    mock.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn daily_quota_gives_429_daily() {
    let mock = MockServer::builder()
        .daily_quota(2)
        .start()
        .await
        .expect("mock starts");
    let first = upsert(&mock, "contacts", &one("a@x.com")).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header_u64("x-hubspot-ratelimit-daily"), 2);
    assert_eq!(first.header_u64("x-hubspot-ratelimit-daily-remaining"), 1);
    assert_eq!(upsert(&mock, "contacts", &one("b@x.com")).await.status, 200);
    tokio::time::advance(Duration::from_secs(60)).await;
    let spent = upsert(&mock, "contacts", &one("c@x.com")).await;
    assert_eq!(spent.status, 429);
    assert_eq!(spent.error().policy_name.as_deref(), Some("DAILY"));
    assert_eq!(spent.message(), "You have reached your daily limit.");
    assert_eq!(spent.header_u64("x-hubspot-ratelimit-daily-remaining"), 0);
    // The rolling window is not what ran out: both earlier requests have left it.
    assert_eq!(spent.header_u64("x-hubspot-ratelimit-remaining"), 100);
    assert_eq!(mock.records("contacts").len(), 2);
    mock.shutdown().await;
}

#[tokio::test]
async fn plans_set_the_window_and_the_daily_figure() {
    for (plan, max, daily) in [
        (Plan::Free, 100, Some(250_000)),
        (Plan::Starter, 100, Some(250_000)),
        (Plan::Professional, 190, Some(625_000)),
        (Plan::Enterprise, 190, Some(1_000_000)),
        // The add-on on Enterprise with one increase.
        (Plan::ApiLimitIncrease, 250, Some(2_000_000)),
        // HubSpot sends public apps no daily headers.
        (Plan::PublicApp, 110, None),
    ] {
        let mock = MockServer::builder()
            .plan(plan)
            .start()
            .await
            .expect("mock starts");
        let reply = upsert(&mock, "contacts", &one("a@x.com")).await;
        assert_eq!(reply.header_u64("x-hubspot-ratelimit-max"), max, "{plan:?}");
        assert_eq!(reply.header_u64("x-hubspot-ratelimit-remaining"), max - 1);
        assert_eq!(
            reply.header_u64("x-hubspot-ratelimit-interval-milliseconds"),
            10_000
        );
        match daily {
            Some(daily) => {
                assert_eq!(
                    reply.header_u64("x-hubspot-ratelimit-daily"),
                    daily,
                    "{plan:?}"
                );
                assert_eq!(
                    reply.header_u64("x-hubspot-ratelimit-daily-remaining"),
                    daily - 1
                );
            }
            None => {
                assert_eq!(reply.header("x-hubspot-ratelimit-daily"), None, "{plan:?}");
                assert_eq!(reply.header("x-hubspot-ratelimit-daily-remaining"), None);
            }
        }
        mock.shutdown().await;
    }
}

#[tokio::test]
async fn no_rate_limit_never_answers_429() {
    let mock = MockServer::builder()
        .rate_limit(1, Duration::from_secs(3600))
        .no_rate_limit()
        .start()
        .await
        .expect("mock starts");
    for i in 0..5 {
        let reply = upsert(&mock, "contacts", &one(&format!("n{i}@x.com"))).await;
        assert_eq!(reply.status, 200);
        // The headers say that no window limit applies.
        assert_eq!(
            reply.header_u64("x-hubspot-ratelimit-max"),
            u64::from(u32::MAX)
        );
        assert_eq!(
            reply.header_u64("x-hubspot-ratelimit-remaining"),
            u64::from(u32::MAX)
        );
    }
    assert_eq!(mock.counters().status(429), 0);
    mock.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn configured_latency_delays_every_response() {
    let mock = MockServer::builder()
        .latency(Duration::from_millis(100))
        .start()
        .await
        .expect("mock starts");
    let t0 = tokio::time::Instant::now();
    let reply = upsert(&mock, "contacts", &one("slow@x.com")).await;
    assert_eq!(reply.status, 200);
    assert!(
        t0.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t0.elapsed()
    );
    // Refusals take the same response time.
    let t1 = tokio::time::Instant::now();
    let refused = send_bytes(
        &mock,
        "/crm/objects/2026-03/contacts/batch/upsert",
        None,
        serde_json::to_vec(&one("anon@x.com")).expect("json"),
    )
    .await;
    assert_eq!(refused.status, 401);
    assert!(
        t1.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t1.elapsed()
    );
    mock.shutdown().await;
}
