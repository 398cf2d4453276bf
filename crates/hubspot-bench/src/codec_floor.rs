//! The floor under any client of the generated types: what building the inputs, encoding the
//! request bodies and decoding HubSpot's answers into the generated types cost in CPU, with
//! no HTTP, no engine and no policy in the count.
//!
//! `hubspot-bench codec-floor BASE_URL RECORDS PREFIX` first POSTs records `0..RECORDS` of key
//! space PREFIX to the mock (serialized beforehand, one request at a time, on a current-thread
//! runtime) and keeps each answer's bytes: the bodies the client decodes for the same records.
//! The CPU time of that phase is the HTTP alone: send the bytes, read the answer's. Then, on
//! this thread alone and with the runtime shut down, it does per batch of 100 only what any
//! caller of `hubspot-crm-api` must do for them:
//!
//! - build the generated inputs from the same records (`records::record_properties`, a trace
//!   id shaped as the client's), as `hubspot-crm`'s builders do;
//! - encode the generated request body with `serde_json::to_vec`, as
//!   `reqwest::RequestBuilder::json` does inside the generated `send()`;
//! - decode the answer into the generated `BatchResponseSimplePublicUpsertObject`
//!   with `serde_json::from_slice`, as progenitor's `ResponseValue::from_response` does;
//! - drop both.
//!
//! It prints one JSON line: `records_ok` (results decoded), `records_failed`, `cpu_us` (the
//! process's CPU time over that loop alone) and `http_cpu_us` (over the HTTP phase). The peers
//! scenario reports both beside the contenders: no client built on the generated types and
//! reqwest can spend less per record than their sum.

use std::hint::black_box;

use anyhow::Context;
use hubspot_crm::api::v2026_09::types::{
    BatchInputSimplePublicObjectBatchInputUpsert, BatchResponseSimplePublicUpsertObject,
    SimplePublicObjectBatchInputUpsert,
};

use crate::records::{self, BATCH_SIZE, ID_PROPERTY};
use crate::usage::process_cpu_time;
use crate::{client_run, mock_proc, raw};

/// Runs `hubspot-bench codec-floor BASE_URL RECORDS PREFIX`.
pub fn main(args: &[String]) -> anyhow::Result<()> {
    let [base_url, n, prefix] = args else {
        anyhow::bail!("usage: hubspot-bench codec-floor BASE_URL RECORDS PREFIX");
    };
    let n: u64 = n.parse().context("RECORDS")?;
    let url = mock_proc::upsert_url(base_url, records::OBJECT_TYPE);
    let bodies = records::raw_bodies(prefix, n);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let http = runtime.block_on(async { raw::http_client() })?;
    let start = process_cpu_time();
    let answers =
        runtime.block_on(async { raw::answers(&http, &url, client_run::TOKEN, &bodies).await })?;
    let http_cpu = process_cpu_time().saturating_sub(start);
    drop((http, runtime, bodies));

    let start = process_cpu_time();
    let mut decoded = 0u64;
    for (batch, answer) in answers.iter().enumerate() {
        let first = batch as u64 * BATCH_SIZE as u64;
        let end = (first + BATCH_SIZE as u64).min(n);
        let body = BatchInputSimplePublicObjectBatchInputUpsert {
            inputs: (first..end).map(|i| generated_input(prefix, i)).collect(),
        };
        let bytes = serde_json::to_vec(&body).context("encoding a request body")?;
        black_box(&bytes);
        let response: BatchResponseSimplePublicUpsertObject = serde_json::from_slice(answer)
            .with_context(|| format!("decoding the answer to batch {batch}"))?;
        decoded += response.results.len() as u64;
        black_box(&response);
    }
    let cpu = process_cpu_time().saturating_sub(start);
    println!(
        "{{\"records_ok\":{decoded},\"records_failed\":{},\"cpu_us\":{},\"http_cpu_us\":{}}}",
        n.saturating_sub(decoded),
        cpu.as_micros(),
        http_cpu.as_micros()
    );
    Ok(())
}

/// Record `i` as the generated input type, built directly: the same id, id property,
/// properties and shape of trace id as the input `hubspot-crm` sends for it.
fn generated_input(prefix: &str, i: u64) -> SimplePublicObjectBatchInputUpsert {
    SimplePublicObjectBatchInputUpsert {
        id: records::record_id(prefix, i),
        id_property: Some(ID_PROPERTY.to_owned()),
        object_write_trace_id: Some(format!("hsc-{}-{i}", records::RAW_RUN_TAG)),
        properties: records::record_properties(prefix, i)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_encodes_the_bytes_the_client_sends() {
        let body = BatchInputSimplePublicObjectBatchInputUpsert {
            inputs: (0..3).map(|i| generated_input("p", i)).collect(),
        };
        let ours = serde_json::to_vec(&body).expect("encodes");
        let raw = records::raw_bodies("p", 3);
        assert_eq!(raw.len(), 1);
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&raw[0])
        );
    }
}
