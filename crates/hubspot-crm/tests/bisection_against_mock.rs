//! The bisection of a request HubSpot refuses as a whole, against the embedded mock over
//! loopback HTTP: a 409 `CONFLICT` (an input would give its record a unique value another
//! record holds: here an `email` set while upserting by the custom unique property
//! `contact_external_id`) and a 400 (one input names a non-unique `idProperty`).
//!
//! The rule under test: a refused request of several inputs is split at `len / 2`; halves
//! that succeed are done, halves that fail split again, and a refusal of one input is that
//! input's final outcome, with HubSpot's category and message, never sent again. So the other
//! inputs are applied, each input ends exactly once, and the requests are exactly those the
//! halving makes: for one bad input at position 61 of 100, the halves that hold it have 100,
//! 50, 25, 12, 6, 3, 2 and 1 inputs (8 refusals) and their siblings 50, 25, 13, 6, 3, 1 and 1
//! (7 successes): 15 requests, 14 of them for the bisection.

use std::time::Duration;

use hubspot_crm::{
    AccessToken, Client, HubSpotError, ObjectType, OutcomeKind, RateLimit, RecordOutcome,
    RetryPolicy, Summary, UpsertInput,
};
use hubspot_crm_mock::{FIRST_RECORD_ID, MockServer, RequestRecord};

mod common;
use common::failure_category;

/// Inputs per batch: one request holds them all before any split.
const N: usize = 100;
/// An email a contact already holds when the run starts.
const HOLDER_EMAIL: &str = "holder@example.com";

/// Sizes of the requests that hold one bad input at position 61 of 100 (all refused), and of
/// their sibling halves (all applied), from the halving rule; largest first.
const REFUSED_61: [usize; 8] = [100, 50, 25, 12, 6, 3, 2, 1];
const APPLIED_61: [usize; 7] = [50, 25, 13, 6, 3, 1, 1];

/// A mock without rate limit and without records.
async fn unlimited_mock() -> MockServer {
    MockServer::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("mock")
}

/// A mock without rate limit whose contacts include one holding [`HOLDER_EMAIL`] (its id is
/// [`FIRST_RECORD_ID`]).
async fn mock_with_holder() -> MockServer {
    MockServer::builder()
        .no_rate_limit()
        .existing_record(
            "contacts",
            [("email", HOLDER_EMAIL), ("firstname", "Holder")],
        )
        .start()
        .await
        .expect("mock")
}

/// A client that would retry what is retryable (quickly), so that a refusal it does not
/// resend is seen not to be resent.
fn client(mock: &MockServer) -> Client {
    Client::builder()
        .base_url(mock.base_url())
        .token(AccessToken::new("bisection-token"))
        .retry_policy(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(50)),
        )
        .rate_limit(RateLimit::new(1000, Duration::from_secs(1)))
        .build()
        .expect("client")
}

/// Contact `i`, upserted by `contact_external_id`, with `email`.
fn by_external_id(i: usize, email: &str) -> UpsertInput {
    UpsertInput::new(format!("ext-{i}"))
        .id_property("contact_external_id")
        .property("email", email)
        .property("firstname", format!("first-{i}"))
}

/// `n` contacts by external id with emails of their own, except those in `conflicting`, which
/// take `email`.
fn contacts(n: usize, conflicting: &[usize], email: &str) -> Vec<UpsertInput> {
    (0..n)
        .map(|i| {
            if conflicting.contains(&i) {
                by_external_id(i, email)
            } else {
                by_external_id(i, &format!("contact{i}@example.com"))
            }
        })
        .collect()
}

async fn run(client: &Client, inputs: Vec<UpsertInput>) -> (Vec<RecordOutcome>, Summary) {
    client
        .bulk_upsert_iter(ObjectType::contacts(), inputs)
        .collect_all()
        .await
}

/// The sizes of the logged requests answered `status`, largest first.
fn sizes(log: &[RequestRecord], status: u16) -> Vec<usize> {
    let mut sizes: Vec<usize> = log
        .iter()
        .filter(|r| r.status == Some(status))
        .map(|r| r.inputs)
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

/// The (status, size) of each logged request that held the input sent with `trace_id`, in
/// the order the mock answered them.
fn requests_holding(log: &[RequestRecord], trace_id: &str) -> Vec<(Option<u16>, usize)> {
    log.iter()
        .filter(|r| r.trace_ids.iter().any(|t| t == trace_id))
        .map(|r| (r.status, r.inputs))
        .collect()
}

/// Each input exactly once, by position 0..n.
fn assert_one_outcome_each(outcomes: &[RecordOutcome], n: usize) {
    assert_eq!(outcomes.len(), n, "one outcome per input");
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(o.position, i as u64, "positions 0..{n} once each");
    }
}

/// Every outcome but those at `failed` is a created record holding its input's email.
fn assert_others_created(outcomes: &[RecordOutcome], failed: &[usize], mock: &MockServer) {
    let stored = mock.records("contacts");
    for (i, outcome) in outcomes.iter().enumerate() {
        if failed.contains(&i) {
            continue;
        }
        let OutcomeKind::Created { record_id, .. } = &outcome.kind else {
            panic!("input {i} ended {:?}", outcome.kind);
        };
        let record = stored
            .iter()
            .find(|r| r.id == *record_id)
            .unwrap_or_else(|| panic!("input {i}: record {record_id} is not in the mock"));
        assert_eq!(
            record.properties.get("contact_external_id"),
            Some(&outcome.id),
            "input {i}"
        );
    }
}

/// The failure of `outcome`: HubSpot's whole-request error with `category` and `message`
/// (the outcome's own), and whether the input was sent more than once.
fn assert_refused(outcome: &RecordOutcome, category: &str, message: &str, retried: bool) {
    let OutcomeKind::Failed {
        message: got,
        correlation_id,
        retried: got_retried,
        error,
        ..
    } = &outcome.kind
    else {
        panic!("input {} ended {:?}", outcome.position, outcome.kind);
    };
    assert_eq!(failure_category(&outcome.kind).as_deref(), Some(category));
    assert_eq!(got, message);
    assert_eq!(*got_retried, retried, "input {}", outcome.position);
    let error = error.as_deref().expect("HubSpot's error travels with it");
    assert!(matches!(error, HubSpotError::Request(_)), "{error:?}");
    assert_eq!(error.category(), Some(category));
    assert_eq!(error.message(), Some(message));
    assert!(correlation_id.is_some(), "HubSpot's correlation id");
}

#[tokio::test]
async fn one_conflicting_input_among_100_fails_alone_at_the_cost_of_the_halving() {
    let mock = mock_with_holder().await;
    let client = client(&mock);
    let (outcomes, summary) = run(&client, contacts(N, &[61], HOLDER_EMAIL)).await;

    assert_one_outcome_each(&outcomes, N);
    assert_eq!(
        (summary.created, summary.updated, summary.failed),
        (99, 0, 1),
        "{summary}"
    );
    // Sent in every half that held it, so sent more than once; but never resent after a
    // refusal of it alone (below), and no request of the run was a retry.
    assert_refused(
        &outcomes[61],
        "CONFLICT",
        &format!("Contact already exists. Existing ID: {FIRST_RECORD_ID}"),
        true,
    );
    let error = outcomes[61].kind.hubspot_error().expect("HubSpot's error");
    assert_eq!(
        error.context().get("existingId"),
        Some(&vec![FIRST_RECORD_ID.to_string()])
    );
    assert_eq!(
        error.context().get("propertyName"),
        Some(&vec!["email".to_string()])
    );
    assert_others_created(&outcomes, &[61], &mock);

    let log = mock.request_log();
    assert_eq!(summary.requests, 15, "{summary}");
    assert_eq!(log.len(), 15);
    assert_eq!(summary.retries, 0, "{summary}");
    assert_eq!(sizes(&log, 409), REFUSED_61);
    assert_eq!(sizes(&log, 200), APPLIED_61);
    let holding: Vec<_> = REFUSED_61.iter().map(|&n| (Some(409), n)).collect();
    assert_eq!(requests_holding(&log, &outcomes[61].trace_id), holding);

    // The holder keeps its email and its values.
    let records = mock.records("contacts");
    assert_eq!(records.len(), N, "the holder and the 99 others");
    let holder = records
        .iter()
        .find(|r| r.properties.get("email").map(String::as_str) == Some(HOLDER_EMAIL))
        .expect("the holder");
    assert_eq!(holder.id, FIRST_RECORD_ID.to_string());
    assert_eq!(
        holder.properties.get("firstname").map(String::as_str),
        Some("Holder")
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn a_409_on_a_single_input_is_final() {
    let mock = mock_with_holder().await;
    let client = client(&mock);
    let (outcomes, summary) = run(&client, contacts(1, &[0], HOLDER_EMAIL)).await;

    assert_one_outcome_each(&outcomes, 1);
    assert_refused(
        &outcomes[0],
        "CONFLICT",
        &format!("Contact already exists. Existing ID: {FIRST_RECORD_ID}"),
        false,
    );
    assert_eq!((summary.requests, summary.retries), (1, 0), "{summary}");
    let log = mock.request_log();
    assert_eq!(
        requests_holding(&log, &outcomes[0].trace_id),
        [(Some(409), 1)]
    );
    assert_eq!(mock.records("contacts").len(), 1, "only the holder");
    mock.shutdown().await;
}

#[tokio::test]
async fn two_conflicting_inputs_each_fail_alone() {
    let mock = mock_with_holder().await;
    let client = client(&mock);
    let (outcomes, summary) = run(&client, contacts(N, &[10, 80], HOLDER_EMAIL)).await;

    assert_one_outcome_each(&outcomes, N);
    assert_eq!(
        (summary.created, summary.updated, summary.failed),
        (98, 0, 2),
        "{summary}"
    );
    for i in [10, 80] {
        assert_refused(
            &outcomes[i],
            "CONFLICT",
            &format!("Contact already exists. Existing ID: {FIRST_RECORD_ID}"),
            true,
        );
    }
    assert_others_created(&outcomes, &[10, 80], &mock);

    // The whole batch is refused; then each half of 50 holds one of them and is halved on
    // its own: 50, 25, 12, 6, 3, 2, 1 refused and 25, 13, 6, 3, 1, 1 applied, for either
    // (10 sits at 10 of [0, 50), 80 at 30 of [50, 100)). 1 + 2 × 13 = 27 requests.
    let log = mock.request_log();
    assert_eq!(summary.requests, 27, "{summary}");
    assert_eq!(summary.retries, 0, "{summary}");
    let half: [usize; 7] = [50, 25, 12, 6, 3, 2, 1];
    let mut refused = vec![N];
    refused.extend(half.iter().flat_map(|&n| [n, n]));
    assert_eq!(sizes(&log, 409), refused);
    let applied: Vec<usize> = [25, 13, 6, 3, 1, 1].iter().flat_map(|&n| [n, n]).collect();
    assert_eq!(sizes(&log, 200), applied);
    for i in [10, 80] {
        let mut holding = vec![(Some(409), N)];
        holding.extend(half.iter().map(|&n| (Some(409), n)));
        assert_eq!(
            requests_holding(&log, &outcomes[i].trace_id),
            holding,
            "input {i}"
        );
    }
    assert_eq!(
        mock.records("contacts").len(),
        99,
        "the holder and the 98 others"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn two_inputs_claiming_one_new_email_the_first_applied_wins() {
    // Nobody holds the email yet: the batch is refused because two of its inputs would give
    // it to two different new records. Each half then holds one claimant and goes through
    // alone; whichever half is applied first creates its record with the email, and the other
    // half is refused for it and halved down to its claimant, as for a stored holder.
    let mock = unlimited_mock().await;
    let client = client(&mock);
    let shared = "shared@example.com";
    let (outcomes, summary) = run(&client, contacts(N, &[10, 80], shared)).await;

    assert_one_outcome_each(&outcomes, N);
    assert_eq!(
        (summary.created, summary.updated, summary.failed),
        (99, 0, 1),
        "{summary}"
    );
    let (winner, loser) = match (&outcomes[10].kind, &outcomes[80].kind) {
        (OutcomeKind::Created { .. }, OutcomeKind::Failed { .. }) => (10, 80),
        (OutcomeKind::Failed { .. }, OutcomeKind::Created { .. }) => (80, 10),
        (a, b) => panic!("inputs 10 and 80 ended {a:?} and {b:?}"),
    };
    let winner_id = outcomes[winner]
        .kind
        .record_id()
        .expect("the winner's record");
    assert_refused(
        &outcomes[loser],
        "CONFLICT",
        &format!("Contact already exists. Existing ID: {winner_id}"),
        true,
    );
    assert_others_created(&outcomes, &[loser], &mock);
    let records = mock.records("contacts");
    let holder = records
        .iter()
        .find(|r| r.properties.get("email").map(String::as_str) == Some(shared))
        .expect("a record holds the email");
    assert_eq!(holder.id, winner_id);
    assert_eq!(records.len(), 99);

    // The batch (409), the winner's half (200), and the loser's half halved as above: 50, 25,
    // 12, 6, 3, 2, 1 refused and 25, 13, 6, 3, 1, 1 applied, whichever half lost.
    let log = mock.request_log();
    assert_eq!(summary.requests, 15, "{summary}");
    assert_eq!(summary.retries, 0, "{summary}");
    assert_eq!(sizes(&log, 409), [100, 50, 25, 12, 6, 3, 2, 1]);
    assert_eq!(sizes(&log, 200), [50, 25, 13, 6, 3, 1, 1]);
    mock.shutdown().await;
}

/// Contacts by email, except the one at `bad`, which names the non-unique `firstname` as its
/// id property: HubSpot refuses any request holding it with a 400.
fn contacts_with_a_non_unique_id_property(n: usize, bad: usize) -> Vec<UpsertInput> {
    (0..n)
        .map(|i| {
            if i == bad {
                UpsertInput::new(format!("Name{i}")).id_property("firstname")
            } else {
                UpsertInput::new(format!("u{i}@example.com"))
                    .id_property("email")
                    .property("firstname", format!("first-{i}"))
            }
        })
        .collect()
}

/// HubSpot's message for a request that upserts by the non-unique `firstname`.
fn assert_non_unique_message(outcome: &RecordOutcome, retried: bool) {
    let message = outcome.kind.hubspot_error().and_then(HubSpotError::message);
    let message = message.expect("HubSpot's message");
    assert!(
        message.starts_with("Unable to perform update/upsert by non-unique"),
        "{message}"
    );
    assert!(message.contains("property firstname"), "{message}");
    assert_refused(outcome, "VALIDATION_ERROR", message, retried);
}

#[tokio::test]
async fn one_input_with_a_non_unique_id_property_among_100_fails_alone_at_the_cost_of_the_halving()
{
    let mock = unlimited_mock().await;
    let client = client(&mock);
    let (outcomes, summary) = run(&client, contacts_with_a_non_unique_id_property(N, 61)).await;

    assert_one_outcome_each(&outcomes, N);
    assert_eq!(
        (summary.created, summary.updated, summary.failed),
        (99, 0, 1),
        "{summary}"
    );
    assert_non_unique_message(&outcomes[61], true);
    for (i, outcome) in outcomes.iter().enumerate().filter(|(i, _)| *i != 61) {
        assert!(
            matches!(outcome.kind, OutcomeKind::Created { .. }),
            "input {i} ended {:?}",
            outcome.kind
        );
    }
    assert_eq!(mock.records("contacts").len(), 99);

    let log = mock.request_log();
    assert_eq!(summary.requests, 15, "{summary}");
    assert_eq!(summary.retries, 0, "{summary}");
    assert_eq!(sizes(&log, 400), REFUSED_61);
    assert_eq!(sizes(&log, 200), APPLIED_61);
    let holding: Vec<_> = REFUSED_61.iter().map(|&n| (Some(400), n)).collect();
    assert_eq!(requests_holding(&log, &outcomes[61].trace_id), holding);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_400_on_a_single_input_is_final() {
    let mock = unlimited_mock().await;
    let client = client(&mock);
    let (outcomes, summary) = run(&client, contacts_with_a_non_unique_id_property(1, 0)).await;

    assert_one_outcome_each(&outcomes, 1);
    assert_non_unique_message(&outcomes[0], false);
    assert_eq!((summary.requests, summary.retries), (1, 0), "{summary}");
    let log = mock.request_log();
    assert_eq!(
        requests_holding(&log, &outcomes[0].trace_id),
        [(Some(400), 1)]
    );
    assert!(mock.records("contacts").is_empty());
    mock.shutdown().await;
}
