"""Bench driver: upserts synthetic contacts through HubSpot's generated Python SDK
(hubspot-sdk, 2026-03 paths), in batches of 100 with CONCURRENCY requests in flight.

Environment: BASE_URL, HUBSPOT_ACCESS_TOKEN, RECORDS, PREFIX, CONCURRENCY, RETRIES (the
SDK's max_retries, 0 for none). Prints one JSON line with what it counted.
"""

import asyncio
import json
import os

from hubspot_sdk import AsyncHubSpot

RECORDS = int(os.environ["RECORDS"])
PREFIX = os.environ["PREFIX"]
CONCURRENCY = int(os.environ["CONCURRENCY"])
RETRIES = int(os.environ["RETRIES"])


def record(i):
    """The same records as crates/hubspot-bench/src/records.rs."""
    return {
        "id": f"{PREFIX}-{i:08}",
        "idProperty": "contact_external_id",
        "objectWriteTraceId": f"p-{i}",
        "properties": {
            "email": f"{PREFIX}-{i}@bench.example.com",
            "firstname": f"First{i % 997}",
            "lastname": f"Last{i % 1009}",
            "company": f"Company {i % 101}",
            "city": "Lyon",
            "country": "France",
        },
    }


async def main():
    client = AsyncHubSpot(
        access_token=os.environ["HUBSPOT_ACCESS_TOKEN"],
        base_url=os.environ["BASE_URL"],
        max_retries=RETRIES,
    )
    counts = {"records_ok": 0, "records_failed": 0, "requests_failed": 0}
    state = {"next": 0}

    async def worker():
        while state["next"] < RECORDS:
            start = state["next"]
            end = min(start + 100, RECORDS)
            state["next"] = end
            inputs = [record(i) for i in range(start, end)]
            try:
                res = await client.crm.objects.contacts.batch.upsert(inputs=inputs)
                counts["records_ok"] += len(res.results)
                counts["records_failed"] += len(inputs) - len(res.results)
            except Exception:  # noqa: BLE001 - any failure loses the batch; counted
                counts["records_failed"] += len(inputs)
                counts["requests_failed"] += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    await client.close()
    print(json.dumps(counts))


asyncio.run(main())
