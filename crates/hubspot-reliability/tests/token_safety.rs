//! Token safety: a run with a distinctive token leaves it nowhere a user or a log collector
//! could see it, and the token never travels to another host.
//!
//! Captured: tracing at TRACE level (with the `log` records of reqwest and hyper, bridged by
//! tracing-subscriber), `Debug` of every public type holding configuration or results,
//! `Display` of every error produced, and for the CLI its report file, resume journal,
//! standard output and standard error (progress lines, `RUST_LOG=trace`).

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use futures::future::BoxFuture;
use hubspot_crm::{
    AccessToken, Client, Error, ObjectType, RateLimit, RetryPolicy, StaticToken, TokenProvider,
    UpsertInput,
};
use hubspot_crm_mock::{Fault, FaultPlan, MockServer};
use hubspot_reliability::cli;

/// The distinctive tokens: none may appear in anything captured.
const FIRST: &str = "pat-na1-SENTINEL-7f3a9c-first";
const RENEWED: &str = "pat-na1-SENTINEL-7f3a9c-renewed";
const REFUSED: &str = "pat-na1-SENTINEL-7f3a9c-refused";
const MARK: &str = "SENTINEL-7f3a9c";

/// Everything the tracing subscriber writes, for the whole test binary.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .try_init()
            .expect("the only subscriber of this binary");
        buf
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.is_empty(),
        "{what}: nothing captured, so nothing checked"
    );
    assert!(
        !text.contains(MARK),
        "{what} shows the token: {}",
        &text[text.find(MARK).unwrap_or(0).saturating_sub(200)..]
    );
}

/// Expires nothing: hands out FIRST (refused by the mock), RENEWED after the 401.
struct Refreshing {
    current: Mutex<String>,
    refreshes: AtomicU64,
}

impl TokenProvider for Refreshing {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>> {
        let t = AccessToken::new(
            self.current
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        );
        Box::pin(async move { Ok(t) })
    }
    fn refresh<'a>(
        &'a self,
        rejected: &'a AccessToken,
    ) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if rejected.expose_secret() == current.as_str() {
            *current = RENEWED.to_string();
            self.refreshes.fetch_add(1, Ordering::SeqCst);
        }
        let t = AccessToken::new(current.clone());
        Box::pin(async move { Ok(Some(t)) })
    }
}

fn inputs(n: usize) -> Vec<UpsertInput> {
    (0..n)
        .map(|i| match i % 50 {
            7 => UpsertInput::new(format!("bad-{i}")).id_property("email"),
            9 => UpsertInput::new(format!("Name{i}")).id_property("firstname"),
            _ => UpsertInput::new(format!("u{i}@example.com"))
                .id_property("email")
                .property("firstname", i),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_never_shows_the_token() {
    let buf = captured();
    let mock = MockServer::builder()
        .no_rate_limit()
        .valid_tokens([RENEWED])
        .faults(FaultPlan::scripted([
            (3, Fault::BadGateway502),
            (5, Fault::CloseConnection),
            (7, Fault::MalformedJson),
            (9, Fault::RateLimited429),
        ]))
        .start()
        .await
        .expect("mock");
    let provider = Arc::new(Refreshing {
        current: Mutex::new(FIRST.to_string()),
        refreshes: AtomicU64::new(0),
    });
    let builder = Client::builder()
        .base_url(mock.base_url())
        .token_provider(provider.clone())
        .timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .rate_limit(RateLimit::new(1000, Duration::from_secs(1)));
    let client = builder.clone().build().expect("client");
    let run = client.bulk_upsert_iter(ObjectType::contacts(), inputs(600));
    let mut shown = vec![
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{run:?}"),
        format!("{:?}", run.cancel_handle()),
        format!("{:?}", *run.progress().borrow()),
    ];
    let (outcomes, summary) = run.collect_all().await;
    assert!(
        provider.refreshes.load(Ordering::SeqCst) >= 1,
        "a 401 was refreshed"
    );
    assert!(summary.failed > 0 && summary.created > 0, "{summary}");
    shown.push(format!("{outcomes:?}"));
    shown.push(format!("{summary:?} {summary}"));
    for o in &outcomes {
        shown.push(format!("{:?}", o.kind));
    }

    // A token HubSpot refuses for good, through a static provider.
    let refused = Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new(REFUSED))
        .build()
        .expect("client");
    let (outcomes, _) = refused
        .bulk_upsert_iter(ObjectType::contacts(), inputs(3))
        .collect_all()
        .await;
    assert!(outcomes.iter().all(|o| !o.kind.is_success()));
    shown.push(format!("{outcomes:?}"));

    // Every error a caller can get with the token in play, Display and Debug.
    let with_newline = AccessToken::new(format!("{FIRST}\nx"));
    let newline_client = Client::builder()
        .base_url(mock.base_url())
        .token(with_newline.clone())
        .build()
        .expect("client");
    let (outcomes, _) = newline_client
        .bulk_upsert_iter(ObjectType::contacts(), inputs(2))
        .collect_all()
        .await;
    shown.push(format!("{outcomes:?}"));
    let mut errors: Vec<Error> = vec![
        newline_client.api().await.expect_err("newline refused"),
        Client::builder()
            .base_url("http://api.hubapi.com")
            .token(AccessToken::new(FIRST))
            .build()
            .expect_err("insecure"),
        Client::builder()
            .base_url(format!("https://user:{FIRST}@example.com"))
            .token(AccessToken::new(FIRST))
            .build()
            .expect_err("credentials in the URL"),
        "contacts/x".parse::<ObjectType>().expect_err("bad type"),
    ];
    errors.push(
        Client::builder()
            .token(AccessToken::new(FIRST))
            .timeout(Duration::ZERO)
            .build()
            .expect_err("zero timeout"),
    );
    for e in &errors {
        shown.push(format!("{e} {e:?}"));
    }
    let api = client.api().await.expect("generated client");
    shown.push(format!("{api:?}"));
    shown.push(format!(
        "{:?} {:?} {:?}",
        AccessToken::new(FIRST),
        StaticToken::new(AccessToken::new(FIRST)),
        with_newline
    ));
    mock.shutdown().await;

    for (k, text) in shown.iter().enumerate() {
        assert_clean(&format!("Debug/Display #{k}"), text);
    }
    let logs = String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).to_string();
    assert!(logs.contains("TRACE"), "tracing captured at TRACE level");
    assert!(
        logs.contains("refreshed"),
        "the refresh was logged: {}",
        logs.len()
    );
    assert_clean("tracing output", &logs);
}

/// A loopback server recording the method, path and headers of everything it receives.
async fn recorder(addr: &str) -> (SocketAddr, Arc<Mutex<Vec<(String, HeaderMap)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let log = log.clone();
        async move {
            log.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((uri.to_string(), headers));
            StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let local = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (local, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_gets_no_token() {
    // The other host: another loopback address, recording what arrives.
    let (other, received) = recorder("127.0.0.2:0").await;
    let target = format!("http://{other}/crm/objects/2026-03/contacts/batch/upsert");
    let redirect = Router::new().fallback(move || {
        let target = target.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let first = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, redirect).await });

    let client = Client::builder()
        .base_url(format!("http://{first}"))
        .token(AccessToken::new(FIRST))
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("client");
    let (outcomes, summary) = client
        .bulk_upsert_iter(ObjectType::contacts(), inputs(3))
        .collect_all()
        .await;
    assert_eq!(outcomes.len(), 3);
    assert!(
        outcomes.iter().all(|o| !o.kind.is_success()),
        "{outcomes:?}"
    );
    assert_eq!(summary.requests, 1, "{summary}");
    // The escape hatch follows no redirect either.
    let api = client.api().await.expect("api");
    let body = hubspot_crm::api::v2026_09::types::BatchInputSimplePublicObjectBatchInputUpsert {
        inputs: vec![
            UpsertInput::new("a@example.com")
                .id_property("email")
                .to_api(),
        ],
    };
    let _ = api
        .batch_upsert()
        .object_type("contacts")
        .body(body)
        .send()
        .await;

    let got = received.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let carrying: Vec<&(String, HeaderMap)> = got
        .iter()
        .filter(|(_, h)| h.contains_key(header::AUTHORIZATION))
        .collect();
    assert!(
        carrying.is_empty(),
        "Authorization reached the other host: {carrying:?}"
    );
    assert!(got.is_empty(), "the redirect was followed: {got:?}");
    for (_, headers) in &got {
        assert_clean("headers at the other host", &format!("{headers:?}"));
    }
}

/// A non-loopback address of this machine, found without sending anything (a UDP "connect"
/// only picks the route); `None` when the machine has no such interface.
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("10.255.255.255:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_non_loopback_host_is_refused_before_connecting() {
    // A listener on every interface counts connection attempts.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    let host = non_loopback_ip().map_or_else(|| "10.255.255.1".to_string(), |ip| ip.to_string());
    let url = format!("http://{host}:{port}");
    let err = Client::builder()
        .base_url(url.clone())
        .token(AccessToken::new(FIRST))
        .build()
        .expect_err("plain http to a non-loopback host");
    assert_eq!(
        err.to_string(),
        format!(
            "invalid base URL: plain http to {host} would send the token unencrypted; use https, a loopback host, or .allow_insecure_http()"
        )
    );
    assert_clean("the refusal", &err.to_string());

    let bin = cli::binary().expect("hubspot-upsert");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "email\na@example.com\n").expect("input");
    let out = Command::new(bin)
        .args(["-t", "contacts", "-i", "email", "--base-url", &url])
        .arg(&input)
        .env("HUBSPOT_ACCESS_TOKEN", FIRST)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("would send the token unencrypted"),
        "{stderr}"
    );
    assert_clean("CLI stderr", &stderr);
    // Give a connection that was (wrongly) attempted no chance to go unnoticed: the CLI has
    // exited, so any connect it made has reached the listener's queue.
    tokio::task::yield_now().await;
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "nothing connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_never_shows_the_token() {
    let bin = cli::binary().expect("hubspot-upsert");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("people.csv");
    let mut csv = String::from("email,firstname\n");
    for i in 0..450 {
        if i % 60 == 7 {
            csv.push_str(&format!("not-an-email-{i},X\n"));
        } else {
            csv.push_str(&format!("p{i}@example.com,P{i}\n"));
        }
    }
    std::fs::write(&input, csv).expect("input");

    let mut texts: HashMap<String, String> = HashMap::new();
    for (label, valid) in [("accepted", FIRST), ("refused", "some-other-token")] {
        let mock = MockServer::builder()
            .no_rate_limit()
            .valid_tokens([valid])
            .faults(FaultPlan::scripted([
                (1, Fault::BadGateway502),
                (2, Fault::MalformedJson),
            ]))
            .start()
            .await
            .expect("mock");
        let report = dir.path().join(format!("{label}.report.ndjson"));
        let journal = dir.path().join(format!("{label}.journal"));
        let out = Command::new(&bin)
            .args([
                "-t",
                "contacts",
                "-i",
                "email",
                "--base-url",
                &mock.base_url(),
            ])
            .arg("--report")
            .arg(&report)
            .arg("--resume")
            .arg(&journal)
            .arg(&input)
            .env("HUBSPOT_ACCESS_TOKEN", FIRST)
            .env("RUST_LOG", "trace")
            .output()
            .expect("runs");
        assert_ne!(out.status.code(), Some(101), "no panic");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            stderr.contains("TRACE") || stderr.contains("trace"),
            "RUST_LOG=trace took effect"
        );
        texts.insert(
            format!("{label} stdout"),
            String::from_utf8_lossy(&out.stdout).to_string(),
        );
        texts.insert(format!("{label} stderr"), stderr);
        texts.insert(
            format!("{label} report"),
            std::fs::read_to_string(&report).unwrap_or_default(),
        );
        if let Ok(j) = std::fs::read_to_string(&journal) {
            texts.insert(format!("{label} journal"), j);
        }
        mock.shutdown().await;
    }
    assert!(
        texts["accepted report"].lines().count() == 450,
        "one report line per record"
    );
    assert!(texts["refused stderr"].contains("401") || texts["refused report"].contains("AUTH"));
    for (what, text) in &texts {
        // Nothing to leak in an empty output (the refused run writes no report lines: its
        // records are left to a rerun with --resume).
        if (what.ends_with("stdout") || what.ends_with("report")) && text.is_empty() {
            continue;
        }
        assert_clean(what, text);
    }
}
