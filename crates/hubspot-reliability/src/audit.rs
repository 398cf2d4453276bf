//! Reading the mock's request log: which requests were retries, and whether any request that
//! must never be retried was.
//!
//! A request is identified by the set of `objectWriteTraceId`s in its body (the client gives
//! every input one, stable across retries and bisection halves). A request whose set was sent
//! before is a *retry*. The rules checked:
//! - after a 400 or 409 on one input, or a 403, 404, 422 or `DAILY` 429, none of its inputs
//!   is ever sent again;
//! - after a 400 or 409 on several inputs, its inputs are only sent again in strict subsets
//!   (the bisection halves), never as the same request;
//! - a request's inputs get at most two 401s (the first, then one retry with a refreshed
//!   token) and nothing is sent after the second;
//! - no request is sent more than `max_attempts` times (plus one resend after a 401 refresh).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hubspot_crm_mock::{Fault, RequestRecord};

/// What the log shows.
#[derive(Clone, Debug, Default)]
pub struct Audit {
    /// Requests logged.
    pub requests: u64,
    /// Requests whose inputs had been sent as the same request before.
    pub retries: u64,
    /// The most times one request was sent.
    pub max_sends: u64,
    /// Responses by status (`closed` for a connection closed without one).
    pub by_status: BTreeMap<String, u64>,
    /// Requests a fault struck.
    pub faults: u64,
    /// Requests that did not end in a readable 200/207: another status, a closed connection,
    /// or a fault that spoiled the body (truncated, malformed, stalled).
    pub not_ok: u64,
    /// Whole-request 400s and 409s on more than one input (each answered by bisection).
    pub bisected: u64,
    /// Broken rules, in words.
    pub violations: Vec<String>,
}

/// Statuses that end a request's inputs for good.
fn final_status(r: &RequestRecord) -> bool {
    matches!(r.status, Some(403 | 404 | 422))
        || (matches!(r.status, Some(400 | 409)) && r.trace_ids.len() == 1)
        || r.fault == Some(Fault::DailyLimit429)
}

/// Checks the log against the rules above.
pub fn audit(log: &[RequestRecord], max_attempts: u32) -> Audit {
    let mut a = Audit {
        requests: log.len() as u64,
        ..Audit::default()
    };
    let mut sends: HashMap<Vec<&str>, u64> = HashMap::new();
    let mut unauthorized: HashMap<Vec<&str>, u64> = HashMap::new();
    // Trace ids that must never be sent again, with the request that ended them.
    let mut ended: HashMap<&str, u64> = HashMap::new();
    // Trace ids of a multi-input 400 that may only come back in strict subsets.
    let mut split: HashMap<&str, (u64, BTreeSet<&str>)> = HashMap::new();
    // Keys that got their second 401.
    let mut closed_keys: HashMap<Vec<&str>, u64> = HashMap::new();

    for r in log {
        let status = r
            .status
            .map_or_else(|| "closed".to_string(), |s| s.to_string());
        *a.by_status.entry(status).or_insert(0) += 1;
        if r.fault.is_some() {
            a.faults += 1;
        }
        let spoiled = r
            .fault
            .as_ref()
            .is_some_and(|f| !matches!(f, Fault::Latency(_)));
        if spoiled || !matches!(r.status, Some(200 | 207)) {
            a.not_ok += 1;
        }
        if r.trace_ids.is_empty() {
            continue;
        }
        let mut key: Vec<&str> = r.trace_ids.iter().map(String::as_str).collect();
        key.sort_unstable();
        let set: BTreeSet<&str> = key.iter().copied().collect();

        for id in &key {
            if let Some(by) = ended.get(id) {
                a.violations.push(format!(
                    "request #{} resent input {id}, which request #{by} ended for good",
                    r.index
                ));
            }
            if let Some((by, whole)) = split.get(id)
                && (set == *whole || !set.is_subset(whole))
            {
                a.violations.push(format!(
                    "request #{} resent input {id} of the whole-batch 400/409 #{by} other than as a bisection half",
                    r.index
                ));
            }
        }
        if let Some(by) = closed_keys.get(&key) {
            a.violations.push(format!(
                "request #{} was sent again after its second 401 (#{by})",
                r.index
            ));
        }

        let n = sends.entry(key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            a.retries += 1;
        }
        a.max_sends = a.max_sends.max(*n);
        let refreshes = unauthorized.get(&key).copied().unwrap_or(0).min(1);
        if *n > u64::from(max_attempts) + refreshes {
            a.violations.push(format!(
                "request #{} is send number {n} of the same inputs; the policy allows {max_attempts}",
                r.index
            ));
        }

        if final_status(r) {
            for id in &key {
                ended.insert(id, r.index);
            }
        }
        if matches!(r.status, Some(400 | 409)) && key.len() > 1 {
            a.bisected += 1;
            for id in &key {
                split.insert(id, (r.index, set.clone()));
            }
        }
        if r.status == Some(401) {
            let u = unauthorized.entry(key.clone()).or_insert(0);
            *u += 1;
            if *u >= 2 {
                closed_keys.insert(key, r.index);
            }
        }
    }
    a
}
