#!/usr/bin/env bash
# Contract test: run schemathesis against the hubspot-crm-mock binary with each version's
# strict spec (HubSpot's published schema, openapi/crm-objects-batch-upsert-<version>.json, NOT
# read through the overlays the client is generated from), response-conformance checks on, and
# fail when any response breaks it. The mock must send only what HubSpot publishes, on each
# version's path.
#
# Usage: crates/hubspot-crm-mock/contract/schemathesis.sh [MOCK_BINARY]
#   MOCK_BINARY defaults to $MOCK_BIN, then debug/hubspot-crm-mock under $CARGO_TARGET_DIR
#   (default target/) (build it first: cargo build -p hubspot-crm-mock). ST_MAX_EXAMPLES (default 100) bounds the examples per
#   phase; ST_SEED (default 1) makes runs repeatable.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
specs=("$root"/openapi/crm-objects-batch-upsert-[0-9][0-9][0-9][0-9]-[0-9][0-9].json)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="${1:-${MOCK_BIN:-$target_dir/debug/hubspot-crm-mock}}"
max_examples="${ST_MAX_EXAMPLES:-100}"
seed="${ST_SEED:-1}"

if [[ ! -x "$bin" ]]; then
    echo "schemathesis.sh: no mock binary at $bin; run 'cargo build -p hubspot-crm-mock' first" >&2
    exit 2
fi
if [[ ! -f "${specs[0]}" ]]; then
    echo "schemathesis.sh: no OpenAPI document in $root/openapi" >&2
    exit 2
fi

# schemathesis, pinned; installed with pip when missing or at another version.
if ! command -v st >/dev/null 2>&1 || [[ "$(st --version 2>/dev/null)" != *"$SCHEMATHESIS_VERSION"* ]]; then
    echo "schemathesis.sh: installing schemathesis==$SCHEMATHESIS_VERSION" >&2
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi

workdir="$(mktemp -d)"
log="$workdir/mock.log"
mock_pid=""
cleanup() {
    if [[ -n "$mock_pid" ]] && kill -0 "$mock_pid" 2>/dev/null; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# Port 0: the mock picks a free loopback port and prints it. No rate limit, so that the run
# exercises the operation rather than the 429 path (429 bodies are covered by cargo tests).
# Only the token below is accepted, so that schemathesis's check that invalid credentials are
# refused holds for requests the mock would otherwise answer 200.
token="schemathesis-contract-token"
RUST_LOG=warn "$bin" --port 0 --no-rate-limit --seed "$seed" --token "$token" >"$log" 2>&1 &
mock_pid=$!
base_url=""
for _ in $(seq 1 100); do
    base_url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n1 || true)"
    [[ -n "$base_url" ]] && break
    if ! kill -0 "$mock_pid" 2>/dev/null; then
        echo "schemathesis.sh: the mock exited early:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$base_url" ]]; then
    echo "schemathesis.sh: the mock did not report its address within 10 s" >&2
    exit 1
fi
echo "schemathesis.sh: mock at $base_url; running schemathesis $SCHEMATHESIS_VERSION" >&2

# Run from the scratch directory: schemathesis keeps its example database (.schemathesis/)
# in the working directory.
cd "$workdir"

# Checks, all of them except:
# - positive_data_acceptance: schema-valid bodies are legitimately refused by HubSpot (and the
#   mock) when a property does not exist on the object type or the objectType is unknown;
#   the spec cannot express the portal's property set.
# schemathesis.toml beside this script steers part of the generated requests to object types
# and ids the mock's portal has, so that 200 and 207 bodies are checked as well as errors.
for spec in "${specs[@]}"; do
    echo "schemathesis.sh: checking the mock against $(basename "$spec")" >&2
    st --config-file "$here/schemathesis.toml" run "$spec" \
        --url "$base_url" \
        --header "Authorization: Bearer $token" \
        --checks all \
        --exclude-checks positive_data_acceptance \
        --max-examples "$max_examples" \
        --seed "$seed" \
        --request-timeout 10 \
        --no-color
done
