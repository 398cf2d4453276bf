//! Which schemas each side of the API reaches: requests (parameters and request bodies) or
//! responses. The direction decides whether a change breaks callers: a new required field
//! breaks code that builds a request, not code that reads a response.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

/// The HTTP methods an OpenAPI path item can hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Whether a schema is reached from requests, responses, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Reached from a parameter or a request body: callers build values of it.
    pub request: bool,
    /// Reached from a response: callers read values of it.
    pub response: bool,
}

impl Usage {
    /// Both directions: what a change must be judged against when the direction is unknown.
    pub const BOTH: Usage = Usage {
        request: true,
        response: true,
    };

    /// The union of two usages.
    pub fn union(self, other: Usage) -> Usage {
        Usage {
            request: self.request || other.request,
            response: self.response || other.response,
        }
    }

    /// The directions to judge a change against: a schema no operation reaches is still a
    /// public type of the crate, so it is judged against both.
    pub fn judged(self) -> Usage {
        if self.request || self.response {
            self
        } else {
            Usage::BOTH
        }
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.request, self.response) {
            (true, true) => "request and response",
            (true, false) => "request",
            (false, true) => "response",
            (false, false) => "not used by any operation",
        })
    }
}

/// For every schema under `components/schemas`, whether requests or responses reach it,
/// following `$ref`s through schemas and through shared parameters, request bodies and
/// responses under `components`.
pub fn schema_usage(spec: &Value) -> BTreeMap<String, Usage> {
    let mut request_roots = Vec::new();
    let mut response_roots = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            if let Some(parameters) = item.get("parameters") {
                request_roots.push(parameters);
            }
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                for key in ["parameters", "requestBody"] {
                    if let Some(part) = operation.get(key) {
                        request_roots.push(part);
                    }
                }
                if let Some(responses) = operation.get("responses") {
                    response_roots.push(responses);
                }
            }
        }
    }
    let requests = reachable(spec, &request_roots);
    let responses = reachable(spec, &response_roots);
    let mut usage = BTreeMap::new();
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for name in schemas.keys() {
            usage.insert(
                name.clone(),
                Usage {
                    request: requests.contains(name),
                    response: responses.contains(name),
                },
            );
        }
    }
    usage
}

/// The names of the schemas under `components/schemas` reachable from `roots`, following
/// local `$ref`s through schemas and shared components.
pub fn reachable(spec: &Value, roots: &[&Value]) -> BTreeSet<String> {
    let mut seen_refs = BTreeSet::new();
    let mut schemas = BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    for root in roots {
        collect_refs(root, &mut pending);
    }
    while let Some(reference) = pending.pop() {
        if !seen_refs.insert(reference.clone()) {
            continue;
        }
        if let Some(name) = reference.strip_prefix(SCHEMA_PREFIX) {
            schemas.insert(name.to_owned());
        }
        // Only local references can be followed; a dangling one is reported by the comparison.
        if let Some(target) = reference.strip_prefix('#').and_then(|p| spec.pointer(p)) {
            collect_refs(target, &mut pending);
        }
    }
    schemas
}

/// Every `$ref` string inside `value`.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

/// The schema name a `$ref` to `components/schemas` names, if `schema` is one.
pub fn schema_ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(SCHEMA_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_refs_from_request_bodies_and_responses_separately() {
        let spec = json!({
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}}}
            }}},
            "components": {"schemas": {
                "In": {"properties": {"item": {"$ref": "#/components/schemas/Shared"}}},
                "Out": {"properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Shared"}}}},
                "Shared": {"properties": {"self": {"$ref": "#/components/schemas/Shared"}}},
                "Orphan": {"type": "string"}
            }}
        });
        let usage = schema_usage(&spec);
        assert_eq!(
            usage["In"],
            Usage {
                request: true,
                response: false
            }
        );
        assert_eq!(
            usage["Out"],
            Usage {
                request: false,
                response: true
            }
        );
        assert_eq!(usage["Shared"], Usage::BOTH);
        assert_eq!(usage["Orphan"], Usage::default());
        assert_eq!(usage["Orphan"].judged(), Usage::BOTH);
    }

    #[test]
    fn follows_refs_through_shared_components() {
        let spec = json!({
            "paths": {"/x": {"get": {
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "responses": {"200": {"$ref": "#/components/responses/Page"}}
            }}},
            "components": {
                "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"$ref": "#/components/schemas/Count"}}},
                "responses": {"Page": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}},
                "schemas": {"Count": {"type": "integer"}, "Page": {"type": "object"}}
            }
        });
        let usage = schema_usage(&spec);
        assert!(usage["Count"].request && !usage["Count"].response);
        assert!(usage["Page"].response && !usage["Page"].request);
    }
}
