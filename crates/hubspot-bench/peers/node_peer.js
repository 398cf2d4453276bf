// Bench driver: upserts synthetic contacts through HubSpot's official Node SDK
// (@hubspot/api-client), in batches of 100 with CONCURRENCY requests in flight.
// Environment: BASE_URL, HUBSPOT_ACCESS_TOKEN, RECORDS, PREFIX, CONCURRENCY, RETRIES
// (the SDK's numberOfApiCallRetries, 0 for none). Prints one JSON line with what it counted.
'use strict';
const hubspot = require('@hubspot/api-client');

const env = (name) => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const records = Number(env('RECORDS'));
const prefix = env('PREFIX');
const concurrency = Number(env('CONCURRENCY'));
const retries = Number(env('RETRIES'));
const client = new hubspot.Client({
  accessToken: env('HUBSPOT_ACCESS_TOKEN'),
  basePath: env('BASE_URL'),
  numberOfApiCallRetries: retries,
});

// The same records as crates/hubspot-bench/src/records.rs.
function input(i) {
  return {
    id: `${prefix}-${String(i).padStart(8, '0')}`,
    idProperty: 'contact_external_id',
    objectWriteTraceId: `n-${i}`,
    properties: {
      email: `${prefix}-${i}@bench.example.com`,
      firstname: `First${i % 997}`,
      lastname: `Last${i % 1009}`,
      company: `Company ${i % 101}`,
      city: 'Lyon',
      country: 'France',
    },
  };
}

let next = 0;
let ok = 0;
let failed = 0;
let failedRequests = 0;
async function worker() {
  for (;;) {
    const start = next;
    if (start >= records) return;
    const end = Math.min(start + 100, records);
    next = end;
    const inputs = [];
    for (let i = start; i < end; i++) inputs.push(input(i));
    try {
      const res = await client.crm.contacts.batchApi.upsert({ inputs });
      ok += res.results.length;
      failed += inputs.length - res.results.length;
    } catch (e) {
      failed += inputs.length;
      failedRequests += 1;
    }
  }
}

Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
  console.log(JSON.stringify({ records_ok: ok, records_failed: failed, requests_failed: failedRequests }));
});
