//! The comparison of two specs: operations matched by `operationId` (the generated method's
//! name) or, across a version bump, by method and path with the version set aside
//! ([`pairing`]), schemas matched by name (the generated type's name), and
//! every difference marked by what it does to a caller of the generated crate.
//!
//! The rules, for progenitor's output: a required field is a plain `T` and an optional one an
//! `Option<T>`, so any change of required-ness or nullability changes a field's Rust type; a
//! string enum is a Rust enum that callers may `match` exhaustively; each operation is one
//! builder method whose return type is the type of its success responses.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use super::pairing::{self, Key};
use super::usage::{self, METHODS, Usage, schema_ref_name};
use super::{Change, Kind, Mark, Subject, VersionMove};
use crate::spec_json::{deref, members, members_at, parameters, required, responses};

/// Keywords that only document a schema.
const DOC_KEYWORDS: [&str; 5] = [
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
];
/// Keywords bounding a value from above: lowering or adding one narrows what is accepted.
const UPPER_BOUNDS: [&str; 5] = [
    "maxItems",
    "maxLength",
    "maximum",
    "maxProperties",
    "exclusiveMaximum",
];
/// Keywords bounding a value from below: raising or adding one narrows what is accepted.
const LOWER_BOUNDS: [&str; 5] = [
    "minItems",
    "minLength",
    "minimum",
    "minProperties",
    "exclusiveMinimum",
];
/// Other validation keywords: any change to them may narrow what is accepted.
const OTHER_CONSTRAINTS: [&str; 3] = ["pattern", "uniqueItems", "multipleOf"];
/// Keywords compared on their own in [`Comparer::schema`]; anything else that differs is
/// reported as unclassified.
const HANDLED: [&str; 11] = [
    "$ref",
    "type",
    "format",
    "nullable",
    "enum",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "default",
    "deprecated",
];
/// Schema combinators: a change to one is reported as a change of type.
const COMBINATORS: [&str; 4] = ["allOf", "oneOf", "anyOf", "not"];

/// Compares two OpenAPI documents and lists the changes, document first, then operations,
/// then schemas, each group in name order.
pub fn compare(old: &Value, new: &Value) -> Result<Vec<Change>> {
    let mut comparer = Comparer {
        old_spec: old,
        new_spec: new,
        changes: Vec::new(),
    };
    comparer.document();
    comparer.operations()?;
    comparer.schemas();
    Ok(comparer.changes)
}

struct Comparer<'a> {
    old_spec: &'a Value,
    new_spec: &'a Value,
    changes: Vec<Change>,
}

/// One operation as found in a spec.
struct Operation<'a> {
    /// The `operationId`, or `METHOD /path` without one.
    id: String,
    method: &'static str,
    path: &'a str,
    value: &'a Value,
    path_item: &'a Value,
}

impl Operation<'_> {
    fn endpoint(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

impl<'a> Comparer<'a> {
    fn push(&mut self, subject: &Subject, location: &str, kind: Kind, mark: Mark, detail: String) {
        self.changes.push(Change {
            subject: subject.clone(),
            location: location.to_owned(),
            kind,
            mark,
            detail,
            moved: None,
        });
    }

    fn document(&mut self) {
        let subject = Subject::Document;
        let (old, new) = (self.old_spec, self.new_spec);
        let text = |spec: &Value, pointer: &str| spec.pointer(pointer).map(short);
        for (pointer, location, mark) in [
            ("/info/version", "info.version", Mark::Compatible),
            ("/openapi", "openapi", Mark::Compatible),
            ("/info/title", "info.title", Mark::Documentation),
        ] {
            let (before, after) = (text(old, pointer), text(new, pointer));
            if before != after {
                let detail = format!("{} → {}", or_none(&before), or_none(&after));
                self.push(&subject, location, Kind::Changed, mark, detail);
            }
        }
        if old.pointer("/info/description") != new.pointer("/info/description") {
            self.push(
                &subject,
                "info.description",
                Kind::Changed,
                Mark::Documentation,
                "changed".to_owned(),
            );
        }
        if old.get("servers") != new.get("servers") {
            self.push(
                &subject,
                "servers",
                Kind::Changed,
                Mark::Compatible,
                "server list changed; the generated client takes its base URL from the caller"
                    .to_owned(),
            );
        }
    }

    fn operations(&mut self) -> Result<()> {
        let old_ops = operations(self.old_spec);
        let new_ops = operations(self.new_spec);
        type Pair<'o, 'a> = (Option<&'o Operation<'a>>, Option<&'o Operation<'a>>);
        let mut pairs: Vec<Pair<'_, 'a>> =
            pairing::pair(&pairing_keys(&old_ops), &pairing_keys(&new_ops))
                .into_iter()
                .map(|(o, n)| (o.map(|i| &old_ops[i]), n.map(|j| &new_ops[j])))
                .collect();
        // In name order: the new name of an operation found in both, the old one of a removed one.
        let name = |pair: &Pair<'_, 'a>| pair.1.or(pair.0).map(|op| op.id.clone());
        pairs.sort_by_key(name);
        for pair in pairs {
            match pair {
                (Some(old), None) => {
                    let subject = operation_subject(old);
                    self.push(
                        &subject,
                        "",
                        Kind::Removed,
                        Mark::Breaking,
                        format!(
                            "operation removed: the generated method `{}` no longer exists",
                            old.id
                        ),
                    );
                }
                (None, Some(new)) => {
                    let subject = operation_subject(new);
                    self.push(
                        &subject,
                        "",
                        Kind::Added,
                        Mark::Compatible,
                        format!("new operation: new generated method `{}`", new.id),
                    );
                }
                (Some(old), Some(new)) => self
                    .operation(old, new)
                    .with_context(|| format!("comparing operation {}", new.id))?,
                (None, None) => {}
            }
        }
        Ok(())
    }

    fn operation(&mut self, old: &Operation<'a>, new: &Operation<'a>) -> Result<()> {
        let subject = operation_subject(new);
        // HubSpot builds its operationIds from the paths, version included: an id that changes
        // with the version only, or that is built from its own path on both sides (HubSpot
        // changed the scheme of its ids between `/v3/` and the dated versions), is part of the
        // move, reported with the endpoint below.
        let id_follows_version = old.id != new.id
            && (pairing::unversioned(&old.id) == pairing::unversioned(&new.id)
                || (old.id.contains(old.path) && new.id.contains(new.path)));
        if old.id != new.id && !id_follows_version {
            self.push(
                &subject,
                "operationId",
                Kind::Changed,
                Mark::Breaking,
                format!(
                    "`{}` → `{}`: the generated method is renamed, and calls to `{}` no longer compile",
                    old.id, new.id, old.id
                ),
            );
        }
        if old.endpoint() != new.endpoint() {
            // A version move: same method, same path but for its version, and an operationId
            // that stayed or moved with the version.
            let moved = (old.method == new.method && (old.id == new.id || id_follows_version))
                .then(|| pairing::version_move(old.path, new.path))
                .flatten();
            let consequence = match (&moved, id_follows_version, old.id == new.id) {
                (_, _, true) => {
                    "the generated method keeps its name and sends requests to the new endpoint"
                        .to_owned()
                }
                (Some((_, to)), true, _) => format!(
                    "the same operation at version {to}; its `operationId` carries the path and moves with it"
                ),
                _ => "requests go to the new endpoint".to_owned(),
            };
            self.changes.push(Change {
                subject: subject.clone(),
                location: "endpoint".to_owned(),
                kind: Kind::Changed,
                mark: Mark::Compatible,
                detail: format!("`{}` → `{}`: {consequence}", old.endpoint(), new.endpoint()),
                moved: moved.map(|(from, to)| VersionMove {
                    from,
                    to,
                    same_id: old.id == new.id,
                }),
            });
        }
        for key in ["summary", "description"] {
            if old.value.get(key) != new.value.get(key) {
                self.push(
                    &subject,
                    key,
                    Kind::Changed,
                    Mark::Documentation,
                    format!("{key} changed"),
                );
            }
        }
        self.deprecation(&subject, "", old.value, new.value);
        self.parameters(&subject, old, new)?;
        self.request_body(&subject, old.value, new.value)?;
        self.responses(&subject, old.value, new.value)
    }

    fn parameters(
        &mut self,
        subject: &Subject,
        old: &Operation<'a>,
        new: &Operation<'a>,
    ) -> Result<()> {
        let old_params = parameters(self.old_spec, old.path_item, old.value, &old.endpoint())?;
        let new_params = parameters(self.new_spec, new.path_item, new.value, &new.endpoint())?;
        let keys: BTreeSet<&(String, String)> =
            old_params.keys().chain(new_params.keys()).collect();
        for key in keys {
            let location = format!("parameter `{}` ({})", key.1, key.0);
            let is_required = |p: &Value| p.get("required").and_then(Value::as_bool) == Some(true);
            match (old_params.get(key), new_params.get(key)) {
                (Some(_), None) => self.push(
                    subject,
                    &location,
                    Kind::Removed,
                    Mark::Breaking,
                    "parameter removed: its builder method no longer exists".to_owned(),
                ),
                (None, Some(p)) if is_required(p) => self.push(
                    subject,
                    &location,
                    Kind::Added,
                    Mark::Breaking,
                    "new required parameter: every call must now set it".to_owned(),
                ),
                (None, Some(_)) => self.push(
                    subject,
                    &location,
                    Kind::Added,
                    Mark::Compatible,
                    "new optional parameter".to_owned(),
                ),
                (Some(o), Some(n)) => {
                    self.required_flip(
                        subject,
                        &location,
                        (is_required(o), is_required(n)),
                        "becomes required: calls that omit it now fail",
                    );
                    self.description(subject, &location, o, n);
                    self.deprecation(subject, &location, o, n);
                    let empty = Value::Object(Map::new());
                    let old_schema = o.get("schema").unwrap_or(&empty);
                    let new_schema = n.get("schema").unwrap_or(&empty);
                    self.schema(subject, &location, old_schema, new_schema, REQUEST);
                }
                (None, None) => {}
            }
        }
        Ok(())
    }

    fn request_body(&mut self, subject: &Subject, old: &Value, new: &Value) -> Result<()> {
        let location = "request body";
        let old_body = old
            .get("requestBody")
            .map(|b| deref(self.old_spec, b))
            .transpose()?;
        let new_body = new
            .get("requestBody")
            .map(|b| deref(self.new_spec, b))
            .transpose()?;
        let is_required = |b: &Value| b.get("required").and_then(Value::as_bool) == Some(true);
        match (old_body, new_body) {
            (None, None) => {}
            (Some(_), None) => self.push(
                subject,
                location,
                Kind::Removed,
                Mark::Breaking,
                "request body removed: the builder's `body` method no longer exists".to_owned(),
            ),
            (None, Some(body)) => {
                let (mark, detail) = if is_required(body) {
                    (
                        Mark::Breaking,
                        "new required request body: every call must now set it",
                    )
                } else {
                    (Mark::Compatible, "new optional request body")
                };
                self.push(subject, location, Kind::Added, mark, detail.to_owned());
            }
            (Some(o), Some(n)) => {
                self.required_flip(
                    subject,
                    location,
                    (is_required(o), is_required(n)),
                    "becomes required: calls without a body now fail",
                );
                self.description(subject, location, o, n);
                self.content(subject, location, o, n, REQUEST);
            }
        }
        Ok(())
    }

    fn responses(&mut self, subject: &Subject, old: &Value, new: &Value) -> Result<()> {
        let old_responses = responses(self.old_spec, old)?;
        let new_responses = responses(self.new_spec, new)?;
        let codes: BTreeSet<&String> = old_responses.keys().chain(new_responses.keys()).collect();
        for code in codes {
            let location = format!("response {code}");
            match (old_responses.get(code), new_responses.get(code)) {
                (Some(response), None) => {
                    let body = body_type(response);
                    self.push(
                        subject,
                        &location,
                        Kind::Removed,
                        Mark::Breaking,
                        format!(
                            "response removed{body}: the method's success or error type changes, \
                             and code that handles this status or names its type must change"
                        ),
                    );
                }
                (None, Some(response)) => {
                    let (mark, detail) = added_response(code, response, &old_responses);
                    self.push(subject, &location, Kind::Added, mark, detail);
                }
                (Some(o), Some(n)) => {
                    self.description(subject, &location, o, n);
                    self.content(subject, &location, o, n, RESPONSE);
                }
                (None, None) => {}
            }
        }
        Ok(())
    }

    /// Compares the `content` maps (media type to schema) of two bodies.
    fn content(
        &mut self,
        subject: &Subject,
        location: &str,
        old: &Value,
        new: &Value,
        usage: Usage,
    ) {
        let old_content = members(old, "content");
        let new_content = members(new, "content");
        let types: BTreeSet<&String> = old_content.keys().chain(new_content.keys()).collect();
        let single = old_content.len() == 1 && new_content.len() == 1;
        for media in types {
            // With one media type on each side, a renamed media type is compared as the same body.
            let (o, n) = if single {
                (old_content.values().next(), new_content.values().next())
            } else {
                (old_content.get(media), new_content.get(media))
            };
            let here = format!("{location} body");
            match (o, n) {
                (Some(o), Some(n)) => {
                    if single && old_content.keys().next() != new_content.keys().next() {
                        let from = old_content.keys().next().map(String::as_str).unwrap_or("");
                        let to = new_content.keys().next().map(String::as_str).unwrap_or("");
                        self.push(
                            subject,
                            &here,
                            Kind::Changed,
                            Mark::Breaking,
                            format!("content type `{from}` → `{to}`: the generated code may type this body differently"),
                        );
                    }
                    let empty = Value::Object(Map::new());
                    let old_schema = o.get("schema").unwrap_or(&empty);
                    let new_schema = n.get("schema").unwrap_or(&empty);
                    self.schema(subject, &here, old_schema, new_schema, usage);
                    if single {
                        break;
                    }
                }
                (Some(_), None) => self.push(
                    subject,
                    &here,
                    Kind::Removed,
                    Mark::Breaking,
                    format!("content type `{media}` removed"),
                ),
                (None, Some(_)) => self.push(
                    subject,
                    &here,
                    Kind::Added,
                    Mark::Compatible,
                    format!("content type `{media}` added"),
                ),
                (None, None) => {}
            }
        }
    }

    fn schemas(&mut self) {
        let old_schemas = members_at(self.old_spec, "/components/schemas");
        let new_schemas = members_at(self.new_spec, "/components/schemas");
        let old_usage = usage::schema_usage(self.old_spec);
        let new_usage = usage::schema_usage(self.new_spec);
        let names: BTreeSet<&String> = old_schemas.keys().chain(new_schemas.keys()).collect();
        for name in names {
            let usage = old_usage
                .get(name)
                .copied()
                .unwrap_or_default()
                .union(new_usage.get(name).copied().unwrap_or_default());
            let subject = Subject::Schema {
                name: name.clone(),
                usage,
            };
            match (old_schemas.get(name), new_schemas.get(name)) {
                (Some(_), None) => self.push(
                    &subject,
                    "",
                    Kind::Removed,
                    Mark::Breaking,
                    format!("schema removed: the type `types::{name}` no longer exists"),
                ),
                (None, Some(_)) => self.push(
                    &subject,
                    "",
                    Kind::Added,
                    Mark::Compatible,
                    format!("new schema: new type `types::{name}`"),
                ),
                (Some(o), Some(n)) => self.schema(&subject, "", o, n, usage.judged()),
                (None, None) => {}
            }
        }
    }

    /// Compares two schemas found at `location` in `subject`, judged for `usage`.
    fn schema(
        &mut self,
        subject: &Subject,
        location: &str,
        old: &Value,
        new: &Value,
        usage: Usage,
    ) {
        if old == new {
            return;
        }
        match (schema_ref_name(old), schema_ref_name(new)) {
            // A named schema's own changes are reported under that schema.
            (Some(a), Some(b)) if a == b => return,
            (Some(a), Some(b)) => {
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Breaking,
                    format!("type `{a}` → `{b}`"),
                );
                return;
            }
            (Some(a), None) => {
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Breaking,
                    format!("type `{a}` → an inline schema"),
                );
                return;
            }
            (None, Some(b)) => {
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Breaking,
                    format!("an inline schema → type `{b}`"),
                );
                return;
            }
            (None, None) => {}
        }
        for key in DOC_KEYWORDS {
            if old.get(key) != new.get(key) {
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Documentation,
                    format!("{key} changed"),
                );
            }
        }
        for key in ["type", "format"] {
            if old.get(key) != new.get(key) {
                let (from, to) = (old.get(key).map(short), new.get(key).map(short));
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Breaking,
                    format!(
                        "{key} {} → {}: the field's Rust type changes",
                        or_none(&from),
                        or_none(&to)
                    ),
                );
            }
        }
        let nullable = |s: &Value| s.get("nullable").and_then(Value::as_bool) == Some(true);
        match (nullable(old), nullable(new)) {
            (false, true) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Breaking,
                "becomes nullable: its Rust type becomes an `Option`".to_owned(),
            ),
            (true, false) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Breaking,
                "is no longer nullable: its Rust type is no longer an `Option`".to_owned(),
            ),
            _ => {}
        }
        self.enumeration(subject, location, old, new, usage);
        self.properties(subject, location, old, new, usage);
        match (old.get("items"), new.get("items")) {
            (Some(o), Some(n)) => self.schema(subject, &join(location, "[]"), o, n, usage),
            // A change between array and non-array also changes `type`, reported above.
            (None, None) => {}
            _ if old.get("type") != new.get("type") => {}
            _ => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Breaking,
                "`items` added or removed: the element type changes".to_owned(),
            ),
        }
        match (
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        ) {
            (Some(o @ Value::Object(_)), Some(n @ Value::Object(_))) => {
                self.schema(subject, &join(location, "{}"), o, n, usage)
            }
            (o, n) if o != n => {
                let show = |v: Option<&Value>| v.map(short).unwrap_or_else(|| "absent".to_owned());
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Breaking,
                    format!("additionalProperties {} → {}: the Rust type changes between a struct and a map", show(o), show(n)),
                );
            }
            _ => {}
        }
        for key in COMBINATORS {
            if old.get(key) != new.get(key) {
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Breaking,
                    format!("`{key}` changed: the generated type changes"),
                );
            }
        }
        self.constraints(subject, location, old, new, usage);
        if old.get("default") != new.get("default") {
            let (from, to) = (old.get("default").map(short), new.get("default").map(short));
            self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Compatible,
                format!("default {} → {}", or_none(&from), or_none(&to)),
            );
        }
        self.deprecation(subject, location, old, new);
        let keys: BTreeSet<&String> = keys(old).chain(keys(new)).collect();
        for key in keys {
            let known = HANDLED.contains(&key.as_str())
                || DOC_KEYWORDS.contains(&key.as_str())
                || COMBINATORS.contains(&key.as_str())
                || UPPER_BOUNDS.contains(&key.as_str())
                || LOWER_BOUNDS.contains(&key.as_str())
                || OTHER_CONSTRAINTS.contains(&key.as_str());
            if !known && old.get(key) != new.get(key) {
                self.push(
                    subject,
                    location,
                    Kind::Changed,
                    Mark::Breaking,
                    format!(
                        "`{key}` changed; this tool does not classify it, so review it by hand"
                    ),
                );
            }
        }
    }

    fn enumeration(
        &mut self,
        subject: &Subject,
        location: &str,
        old: &Value,
        new: &Value,
        usage: Usage,
    ) {
        let values = |s: &Value| -> Option<Vec<String>> {
            s.get("enum")
                .and_then(Value::as_array)
                .map(|v| v.iter().map(short).collect())
        };
        match (values(old), values(new)) {
            (None, None) => {}
            (None, Some(_)) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Breaking,
                "becomes an enum: its Rust type becomes a generated enum".to_owned(),
            ),
            (Some(_), None) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Breaking,
                "is no longer an enum: the generated enum is replaced by a plain type".to_owned(),
            ),
            (Some(before), Some(after)) => {
                for value in before.iter().filter(|v| !after.contains(v)) {
                    self.push(
                        subject,
                        location,
                        Kind::Removed,
                        Mark::Breaking,
                        format!("enum value {value} removed: its Rust variant no longer exists"),
                    );
                }
                for value in after.iter().filter(|v| !before.contains(v)) {
                    let (mark, detail) = if usage.response {
                        (
                            Mark::Breaking,
                            format!(
                                "enum value {value} added: responses may carry it, and an exhaustive `match` on the generated enum no longer compiles"
                            ),
                        )
                    } else {
                        (
                            Mark::Compatible,
                            format!("enum value {value} added (requests only)"),
                        )
                    };
                    self.push(subject, location, Kind::Added, mark, detail);
                }
            }
        }
    }

    fn properties(
        &mut self,
        subject: &Subject,
        location: &str,
        old: &Value,
        new: &Value,
        usage: Usage,
    ) {
        let old_props = members(old, "properties");
        let new_props = members(new, "properties");
        let old_required = required(old);
        let new_required = required(new);
        let names: BTreeSet<&String> = old_props.keys().chain(new_props.keys()).collect();
        for name in names {
            let here = join(location, name);
            let is_old_required = old_required.contains(name);
            let is_new_required = new_required.contains(name);
            match (old_props.get(name), new_props.get(name)) {
                (Some(_), None) => self.push(
                    subject,
                    &here,
                    Kind::Removed,
                    Mark::Breaking,
                    "field removed: code that reads or sets it no longer compiles".to_owned(),
                ),
                (None, Some(schema)) => {
                    let kind = describe(schema);
                    let (mark, detail) = match (is_new_required, usage.request) {
                        (true, true) => (
                            Mark::Breaking,
                            format!(
                                "new required field ({kind}): code that builds this type must now set it"
                            ),
                        ),
                        (true, false) => (
                            Mark::Compatible,
                            format!("new required field ({kind}), in responses only"),
                        ),
                        (false, _) => (Mark::Compatible, format!("new optional field ({kind})")),
                    };
                    self.push(subject, &here, Kind::Added, mark, detail);
                }
                (Some(o), Some(n)) => {
                    let detail = match (is_old_required, is_new_required) {
                        (false, true) if usage.request => Some(
                            "becomes required: code that builds this type must now set it, and its Rust type changes from `Option<T>` to `T`",
                        ),
                        (false, true) => {
                            Some("becomes required: its Rust type changes from `Option<T>` to `T`")
                        }
                        (true, false) if usage.response => Some(
                            "becomes optional: responses may omit it, and its Rust type changes from `T` to `Option<T>`",
                        ),
                        (true, false) => {
                            Some("becomes optional: its Rust type changes from `T` to `Option<T>`")
                        }
                        _ => None,
                    };
                    if let Some(detail) = detail {
                        self.push(
                            subject,
                            &here,
                            Kind::Changed,
                            Mark::Breaking,
                            detail.to_owned(),
                        );
                    }
                    self.schema(subject, &here, o, n, usage);
                }
                (None, None) => {}
            }
        }
    }

    fn constraints(
        &mut self,
        subject: &Subject,
        location: &str,
        old: &Value,
        new: &Value,
        usage: Usage,
    ) {
        let number = |s: &Value, key: &str| s.get(key).and_then(Value::as_f64);
        let all = UPPER_BOUNDS
            .iter()
            .chain(LOWER_BOUNDS.iter())
            .chain(OTHER_CONSTRAINTS.iter());
        for key in all {
            let (o, n) = (old.get(*key), new.get(*key));
            if o == n {
                continue;
            }
            let narrows = if UPPER_BOUNDS.contains(key) {
                match (number(old, key), number(new, key)) {
                    (Some(a), Some(b)) => b < a,
                    (None, Some(_)) => true,
                    _ => false,
                }
            } else if LOWER_BOUNDS.contains(key) {
                match (number(old, key), number(new, key)) {
                    (Some(a), Some(b)) => b > a,
                    (None, Some(_)) => true,
                    _ => false,
                }
            } else {
                n.is_some()
            };
            let change = format!(
                "{key} {} → {}",
                or_none(&o.map(short)),
                or_none(&n.map(short))
            );
            let (mark, detail) = if narrows && usage.request {
                (
                    Mark::Breaking,
                    format!("{change}: requests that were accepted may now be rejected"),
                )
            } else if narrows {
                (
                    Mark::Compatible,
                    format!("{change} (narrower, in responses only)"),
                )
            } else {
                (Mark::Compatible, format!("{change} (wider)"))
            };
            self.push(subject, location, Kind::Changed, mark, detail);
        }
    }

    /// A parameter or body turning required (breaking, with `became_required` as the detail) or
    /// optional (compatible); `flip` is (required before, required after).
    fn required_flip(
        &mut self,
        subject: &Subject,
        location: &str,
        flip: (bool, bool),
        became_required: &str,
    ) {
        match flip {
            (false, true) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Breaking,
                became_required.to_owned(),
            ),
            (true, false) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Compatible,
                "becomes optional".to_owned(),
            ),
            _ => {}
        }
    }

    /// A changed `description`: documentation only.
    fn description(&mut self, subject: &Subject, location: &str, old: &Value, new: &Value) {
        if old.get("description") != new.get("description") {
            self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Documentation,
                "description changed".to_owned(),
            );
        }
    }

    fn deprecation(&mut self, subject: &Subject, location: &str, old: &Value, new: &Value) {
        let deprecated = |v: &Value| v.get("deprecated").and_then(Value::as_bool) == Some(true);
        match (deprecated(old), deprecated(new)) {
            (false, true) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Compatible,
                "deprecated: plan to stop using it".to_owned(),
            ),
            (true, false) => self.push(
                subject,
                location,
                Kind::Changed,
                Mark::Compatible,
                "no longer deprecated".to_owned(),
            ),
            _ => {}
        }
    }
}

const REQUEST: Usage = Usage {
    request: true,
    response: false,
};
const RESPONSE: Usage = Usage {
    request: false,
    response: true,
};

/// What [`pairing::pair`] reads of each operation.
fn pairing_keys<'o>(operations: &'o [Operation<'_>]) -> Vec<Key<'o>> {
    operations
        .iter()
        .map(|op| Key {
            id: &op.id,
            method: op.method,
            path: op.path,
        })
        .collect()
}

/// Every operation of `spec`, in path order.
fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(value) = item.get(method) else {
                continue;
            };
            let id = value
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            found.push(Operation {
                id,
                method,
                path,
                value,
                path_item: item,
            });
        }
    }
    found
}

fn operation_subject(operation: &Operation<'_>) -> Subject {
    Subject::Operation {
        id: operation.id.clone(),
        endpoint: operation.endpoint(),
    }
}

/// How a new response is marked: an error response, or a success response with the same body
/// type as an existing one, leaves the method's types alone.
fn added_response(
    code: &str,
    response: &Value,
    old_responses: &BTreeMap<String, &Value>,
) -> (Mark, String) {
    let body = body_type(response);
    if !code.starts_with('2') {
        return (Mark::Compatible, format!("new response{body}"));
    }
    let schema_of = |r: &Value| r.pointer("/content/application~1json/schema").cloned();
    let same_type = old_responses
        .iter()
        .filter(|(c, _)| c.starts_with('2'))
        .any(|(_, r)| schema_of(r) == schema_of(response));
    if same_type {
        (
            Mark::Compatible,
            format!("new success response{body}, of the same type as an existing one"),
        )
    } else {
        (
            Mark::Breaking,
            format!("new success response{body}: the method's success type may change"),
        )
    }
}

/// ` (body `Name`)` for a response whose body is a named schema, else nothing.
fn body_type(response: &Value) -> String {
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return String::new();
    };
    content
        .values()
        .find_map(|media| media.get("schema").and_then(schema_ref_name))
        .map(|name| format!(" (body `{name}`)"))
        .unwrap_or_default()
}

/// A short description of a schema for the report: `string`, `array of StandardError`, ...
fn describe(schema: &Value) -> String {
    if let Some(name) = schema_ref_name(schema) {
        return format!("`{name}`");
    }
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    let format = schema.get("format").and_then(Value::as_str);
    match (kind, schema.get("items")) {
        ("array", Some(items)) => format!("array of {}", describe(items)),
        _ => match format {
            Some(format) => format!("`{kind}`, `{format}`"),
            None => format!("`{kind}`"),
        },
    }
}

fn keys(schema: &Value) -> impl Iterator<Item = &String> {
    schema.as_object().into_iter().flat_map(|map| map.keys())
}

/// A compact rendering of a JSON value: strings in backticks, anything else as JSON.
fn short(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => format!("`{other}`"),
    }
}

fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("none")
}

/// Extends a field path: `a` + `b` is `a.b`; `[]` and `{}` (array items, map values) attach
/// without a dot.
fn join(location: &str, part: &str) -> String {
    match (location.is_empty(), part) {
        (true, _) => part.to_owned(),
        (false, "[]" | "{}") => format!("{location}{part}"),
        (false, _) => format!("{location}.{part}"),
    }
}
