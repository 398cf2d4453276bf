//! Fault injection over loopback HTTP: every fault, before and after the batch is applied.

mod common;

use std::time::Duration;

use common::*;
use hubspot_crm_mock::{Fault, FaultPlan, MockServer};

fn one(email: &str) -> serde_json::Value {
    batch(vec![contact(email, &[("firstname", "F")])])
}

#[tokio::test]
async fn status_faults_answer_hubspot_errors_and_apply_nothing() {
    let faults = [
        (Fault::RateLimited429, 429),
        (Fault::DailyLimit429, 429),
        (Fault::Locked423, 423),
        (
            Fault::MigrationInProgress477 {
                retry_after_secs: 45,
            },
            477,
        ),
        (Fault::InternalError500, 500),
        (Fault::BadGateway502, 502),
        (Fault::ServiceUnavailable503, 503),
        (Fault::GatewayTimeout504, 504),
        (Fault::OriginTimeout524, 524),
    ];
    let mock = MockServer::builder()
        .faults(FaultPlan::scripted(
            faults
                .iter()
                .enumerate()
                .map(|(i, (f, _))| (i as u64, f.clone())),
        ))
        .start()
        .await
        .expect("mock starts");
    for (i, (fault, status)) in faults.iter().enumerate() {
        let reply = upsert(&mock, "contacts", &one(&format!("f{i}@x.com"))).await;
        assert_eq!(reply.status, *status, "{fault:?}");
        let err = reply.error();
        assert!(err.message.is_some(), "{fault:?}");
        assert!(err.correlation_id.is_some(), "{fault:?}");
        assert!(reply.header("x-hubspot-ratelimit-max").is_some());
        match fault {
            Fault::RateLimited429 => {
                assert_eq!(err.policy_name.as_deref(), Some("TEN_SECONDLY_ROLLING"));
            }
            Fault::DailyLimit429 => assert_eq!(err.policy_name.as_deref(), Some("DAILY")),
            Fault::MigrationInProgress477 { .. } => {
                assert_eq!(reply.header("retry-after").as_deref(), Some("45"));
            }
            _ => assert!(reply.header("retry-after").is_none()),
        }
    }
    assert!(mock.records("contacts").is_empty(), "nothing applied");
    let log = mock.request_log();
    assert_eq!(log.len(), faults.len());
    for (entry, (fault, status)) in log.iter().zip(&faults) {
        assert_eq!(entry.fault.as_ref(), Some(fault));
        assert_eq!(entry.status, Some(*status));
        assert!(!entry.applied);
    }
    // After the script, requests succeed.
    assert_eq!(
        upsert(&mock, "contacts", &one("ok@x.com")).await.status,
        200
    );
    assert_eq!(mock.counters().faults_injected, faults.len() as u64);
    mock.shutdown().await;
}

#[tokio::test]
async fn gateway_timeout_after_apply_keeps_the_write() {
    let mock = MockServer::builder()
        .faults(FaultPlan::scripted([(
            0,
            Fault::GatewayTimeout504.after_apply(),
        )]))
        .start()
        .await
        .expect("mock starts");
    let reply = upsert(&mock, "contacts", &one("kept@x.com")).await;
    assert_eq!(reply.status, 504);
    assert!(reply.error().message.is_some());
    assert_eq!(
        stored(&mock, "kept@x.com", "firstname").as_deref(),
        Some("F")
    );
    let log = mock.request_log();
    assert!(log[0].applied);
    assert_eq!(log[0].created, 1);
    // The retry finds the record: an update, not a second record.
    let retry = upsert(&mock, "contacts", &one("kept@x.com")).await;
    assert_eq!(retry.status, 200);
    assert!(!retry.ok().results[0].new);
    assert_eq!(mock.records("contacts").len(), 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn closed_connection_before_and_after_apply() {
    let mock = MockServer::builder()
        .faults(FaultPlan::scripted([
            (0, Fault::CloseConnection),
            (1, Fault::CloseConnection.after_apply()),
        ]))
        .start()
        .await
        .expect("mock starts");
    let path = "/crm/objects/2026-03/contacts/batch/upsert";
    let body = |e: &str| serde_json::to_vec(&one(e)).expect("json");
    let before = post_raw(&mock, path, Some(TOKEN), body("before@x.com")).await;
    let err = before.expect_err("no response before the connection closed");
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    assert!(mock.records("contacts").is_empty());

    let after = post_raw(&mock, path, Some(TOKEN), body("after@x.com")).await;
    assert!(after.is_err(), "no response after the write either");
    assert_eq!(
        stored(&mock, "after@x.com", "firstname").as_deref(),
        Some("F")
    );

    let log = mock.request_log();
    assert_eq!((log[0].status, log[0].applied), (None, false));
    assert_eq!((log[1].status, log[1].applied), (None, true));
    assert_eq!(mock.counters().connections_closed, 2);
    // The server keeps serving.
    assert_eq!(
        upsert(&mock, "contacts", &one("next@x.com")).await.status,
        200
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn truncated_body_after_apply() {
    let mock = MockServer::builder()
        .faults(FaultPlan::scripted([(0, Fault::TruncatedBody)]))
        .start()
        .await
        .expect("mock starts");
    let resp = post_raw(
        &mock,
        "/crm/objects/2026-03/contacts/batch/upsert",
        Some(TOKEN),
        serde_json::to_vec(&one("cut@x.com")).expect("json"),
    )
    .await
    .expect("the status line arrives");
    assert_eq!(resp.status().as_u16(), 200);
    let announced: usize = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("content-length announced");
    assert!(announced > 100);
    assert!(resp.bytes().await.is_err(), "the body is cut short");
    assert_eq!(
        stored(&mock, "cut@x.com", "firstname").as_deref(),
        Some("F")
    );
    assert!(mock.request_log()[0].applied);
    assert_eq!(
        upsert(&mock, "contacts", &one("next@x.com")).await.status,
        200
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn malformed_json_before_and_after_apply() {
    let mock = MockServer::builder()
        .faults(FaultPlan::scripted([
            (0, Fault::MalformedJson),
            (1, Fault::MalformedJson.after_apply()),
        ]))
        .start()
        .await
        .expect("mock starts");
    let path = "/crm/objects/2026-03/contacts/batch/upsert";
    for (email, applied) in [("m0@x.com", false), ("m1@x.com", true)] {
        let resp = post_raw(
            &mock,
            path,
            Some(TOKEN),
            serde_json::to_vec(&one(email)).expect("json"),
        )
        .await
        .expect("answer");
        assert_eq!(resp.status().as_u16(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .is_ok_and(|v| v.starts_with("application/json"))
        );
        let bytes = resp.bytes().await.expect("body arrives whole");
        assert!(
            serde_json::from_slice::<
                hubspot_crm_api::v2026_09::types::BatchResponseSimplePublicUpsertObject,
            >(&bytes)
            .is_err()
        );
        assert_eq!(stored(&mock, email, "email").is_some(), applied, "{email}");
    }
    mock.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn latency_fault_delays_then_applies() {
    let mock = MockServer::builder()
        .faults(FaultPlan::scripted([(
            0,
            Fault::Latency(Duration::from_secs(3)),
        )]))
        .start()
        .await
        .expect("mock starts");
    let t0 = tokio::time::Instant::now();
    let reply = upsert(&mock, "contacts", &one("late@x.com")).await;
    assert_eq!(reply.status, 200);
    assert!(t0.elapsed() >= Duration::from_secs(3));
    assert_eq!(
        stored(&mock, "late@x.com", "firstname").as_deref(),
        Some("F")
    );
    mock.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn stall_outlasts_the_client_timeout() {
    let mock = MockServer::builder()
        .faults(FaultPlan::scripted([
            (0, Fault::Stall(Duration::from_secs(120))),
            (1, Fault::Stall(Duration::from_secs(120)).after_apply()),
        ]))
        .start()
        .await
        .expect("mock starts");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    for email in ["s0@x.com", "s1@x.com"] {
        let err = client
            .post(mock.upsert_url("contacts"))
            .bearer_auth(TOKEN)
            .json(&one(email))
            .send()
            .await
            .expect_err("the client times out first");
        assert!(err.is_timeout(), "{err:?}");
    }
    assert!(
        stored(&mock, "s0@x.com", "email").is_none(),
        "stall before apply"
    );
    assert_eq!(
        stored(&mock, "s1@x.com", "firstname").as_deref(),
        Some("F"),
        "stall after apply"
    );
    // Shutdown cuts the stalls short.
    let t0 = tokio::time::Instant::now();
    mock.shutdown().await;
    assert!(t0.elapsed() < Duration::from_secs(120));
}

#[tokio::test]
async fn random_faults_follow_the_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let mock = MockServer::builder()
            .no_rate_limit()
            .seed(seed)
            .faults(FaultPlan::random(
                0.5,
                [Fault::BadGateway502, Fault::ServiceUnavailable503],
            ))
            .start()
            .await
            .expect("mock starts");
        let mut out = Vec::new();
        for i in 0..24 {
            out.push(
                upsert(&mock, "contacts", &one(&format!("r{i}@x.com")))
                    .await
                    .status,
            );
        }
        let faulted = out.iter().filter(|s| **s != 200).count() as u64;
        assert_eq!(mock.counters().faults_injected, faulted);
        assert_eq!(
            mock.records("contacts").len(),
            out.iter().filter(|s| **s == 200).count()
        );
        mock.shutdown().await;
        out
    }
    let a = statuses(11).await;
    assert!(
        a.contains(&200) && (a.contains(&502) || a.contains(&503)),
        "{a:?}"
    );
    assert_eq!(a, statuses(11).await);
    assert_ne!(a, statuses(12).await);
}
