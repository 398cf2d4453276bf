//! The contract comparison of `cargo xtask upstream`: each operation of our spec against the
//! same operation in HubSpot's document, and every schema either reaches.
//!
//! What is compared is what a client or the mock relies on: paths, parameters, request bodies,
//! response codes and content types, and in schemas the fields, types, formats, enums,
//! required lists, nullability, items, maps, bounds and defaults. Descriptions, summaries,
//! titles and examples are prose: they are counted (one of the known deviations says ours are
//! our own) but never compared word for word. `x-` extensions are HubSpot's own and ignored.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use crate::diff::pairing::{self, Key};
use crate::diff::usage::{METHODS, reachable, schema_ref_name};
use crate::spec_json::{deref, members, members_at, parameters, required, responses};

/// Keywords that only document a value.
const PROSE: [&str; 6] = [
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// One difference between HubSpot's document and ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where: a schema or field path (`SimplePublicUpsertObject.warnings`,
    /// `StandardError.context{}[]`), an operation part
    /// (`POST /crm/objects/2026-03/{objectType}/batch/upsert, response 207`), or a document part
    /// (`openapi`, `servers`).
    pub place: String,
    /// What differs there: [`PRESENCE`], [`REQUIRED`], [`NULLABLE`], [`ENUM`], [`PROSE_ASPECT`],
    /// or a keyword (`type`, `format`, `maxItems`, `operationId`, ...).
    pub aspect: String,
    /// HubSpot's side, rendered (`` `integer` ``, `required`); `None` when HubSpot's document
    /// has nothing there.
    pub theirs: Option<String>,
    /// Our side, rendered; `None` when our spec has nothing there.
    pub ours: Option<String>,
}

/// The thing at `place` exists on one side only; the side that has it may say `required`.
pub const PRESENCE: &str = "presence";
/// A field is required on one side, optional on the other.
pub const REQUIRED: &str = "required";
/// A value is nullable on one side only.
pub const NULLABLE: &str = "nullable";
/// An enum value (in `theirs` or `ours`) exists on one side only.
pub const ENUM: &str = "enum";
/// A description, summary, title or example differs (never printed word for word).
pub const PROSE_ASPECT: &str = "prose";
/// An OAuth scope the operation accepts (in `theirs` or `ours`) is named on one side only.
pub const SCOPE: &str = "scope";

impl Difference {
    /// The line a reviewer reads: `SimplePublicUpsertObject.warnings: in HubSpot's document,
    /// not in ours`.
    pub fn line(&self) -> String {
        let place = &self.place;
        let side = |value: &Option<String>| value.clone().unwrap_or_else(|| "absent".to_owned());
        match self.aspect.as_str() {
            PRESENCE => match (&self.theirs, &self.ours) {
                (Some(note), None) => format!(
                    "{place}: in HubSpot's document{}, not in ours",
                    parenthesized(note)
                ),
                (None, Some(note)) => format!(
                    "{place}: in ours{}, not in HubSpot's document",
                    parenthesized(note)
                ),
                _ => format!("{place}: present on one side only"),
            },
            ENUM | SCOPE => match (&self.theirs, &self.ours) {
                (Some(value), None) => format!(
                    "{place}: {} {value} in HubSpot's document, not in ours",
                    self.aspect_name()
                ),
                (None, Some(value)) => format!(
                    "{place}: {} {value} in ours, not in HubSpot's document",
                    self.aspect_name()
                ),
                _ => format!("{place}: {} differs", self.aspect_name()),
            },
            REQUIRED | NULLABLE => format!(
                "{place}: {} in HubSpot's document, {} in ours",
                side(&self.theirs),
                side(&self.ours)
            ),
            PROSE_ASPECT => format!("{place}: {} differs", side(&self.theirs)),
            aspect => format!(
                "{place}: {aspect} {} in HubSpot's document, {} in ours",
                side(&self.theirs),
                side(&self.ours)
            ),
        }
    }

    fn aspect_name(&self) -> &str {
        match self.aspect.as_str() {
            ENUM => "enum value",
            other => other,
        }
    }
}

fn parenthesized(note: &str) -> String {
    if note.is_empty() {
        String::new()
    } else {
        format!(" ({note})")
    }
}

/// One operation of our spec and what became of it in HubSpot's document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationMatch {
    /// `METHOD /path` in our spec.
    pub ours: String,
    /// `METHOD /path` in HubSpot's document, when it has the operation.
    pub theirs: Option<String>,
}

/// The OAuth scopes of the compared operations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    /// Every scope HubSpot's document lists for the operations (any one of them is accepted).
    pub theirs: BTreeSet<String>,
    /// Every scope our spec names (in its security requirements or its OAuth scheme).
    pub ours: BTreeSet<String>,
}

/// The whole comparison.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Our operations, each with HubSpot's counterpart.
    pub operations: Vec<OperationMatch>,
    /// How many operations HubSpot's document holds in all.
    pub theirs_operations: usize,
    /// The named schemas compared (reached from the operations on either side).
    pub schemas: Vec<String>,
    /// Every difference, in document order: document, operations, schemas, scopes.
    pub differences: Vec<Difference>,
    /// The scopes, when either side names any.
    pub scopes: Option<Scopes>,
}

/// Compares `ours` with `theirs`, both OpenAPI documents as published.
pub fn compare(theirs: &Value, ours: &Value) -> Result<Comparison> {
    let mut comparer = Comparer {
        theirs,
        ours,
        out: Vec::new(),
    };
    comparer.document();
    let their_ops = operations(theirs);
    let our_ops = operations(ours);
    // Our operations first: each is looked for in HubSpot's document.
    let mut pairs = pairing::pair(&pairing_keys(&our_ops), &pairing_keys(&their_ops));
    pairs.sort();
    let mut matches = Vec::new();
    let mut scopes = Scopes::default();
    let mut paired: Vec<(&Op<'_>, &Op<'_>)> = Vec::new();
    let mut our_roots: Vec<&Value> = Vec::new();
    let mut their_roots: Vec<&Value> = Vec::new();
    for (o, t) in pairs {
        let Some(o) = o else { continue };
        let our_op = &our_ops[o];
        match t {
            None => {
                comparer.push(&our_op.endpoint(), PRESENCE, None, Some(""));
                matches.push(OperationMatch {
                    ours: our_op.endpoint(),
                    theirs: None,
                });
            }
            Some(t) => {
                let their_op = &their_ops[t];
                comparer
                    .operation(their_op, our_op)
                    .with_context(|| format!("comparing {}", our_op.endpoint()))?;
                scopes.theirs.extend(operation_scopes(theirs, their_op));
                paired.push((their_op, our_op));
                our_roots.push(our_op.value);
                their_roots.push(their_op.value);
                our_roots.extend(our_op.item.get("parameters"));
                their_roots.extend(their_op.item.get("parameters"));
                matches.push(OperationMatch {
                    ours: our_op.endpoint(),
                    theirs: Some(their_op.endpoint()),
                });
            }
        }
    }
    let (their_paired, our_paired): (Vec<&Op<'_>>, Vec<&Op<'_>>) = paired.into_iter().unzip();
    comparer.security_schemes(&their_paired, &our_paired);
    let their_reached = reachable(theirs, &their_roots);
    let mut names: BTreeSet<String> = their_reached.clone();
    names.extend(reachable(ours, &our_roots));
    let their_schemas = members_at(theirs, "/components/schemas");
    let our_schemas = members_at(ours, "/components/schemas");
    for name in &names {
        match (their_schemas.get(name), our_schemas.get(name)) {
            (Some(t), Some(o)) => comparer.schema(name, t, o),
            (Some(_), None) => comparer.push(name, PRESENCE, Some(""), None),
            // HubSpot's document can refer to a schema it does not define (a `$ref` to nothing).
            (None, Some(_)) if their_reached.contains(name) => comparer.push(
                name,
                PRESENCE,
                None,
                Some("HubSpot's document refers to it without defining it"),
            ),
            (None, Some(_)) => comparer.push(name, PRESENCE, None, Some("")),
            (None, None) => {}
        }
    }
    scopes.ours = named_scopes(ours, &our_ops);
    if !matches.is_empty() && !scopes.theirs.is_empty() {
        for scope in scopes.ours.difference(&scopes.theirs) {
            comparer.push("scopes", SCOPE, None, Some(&format!("`{scope}`")));
        }
    }
    let has_scopes = !scopes.theirs.is_empty() || !scopes.ours.is_empty();
    Ok(Comparison {
        operations: matches,
        theirs_operations: their_ops.len(),
        schemas: names.into_iter().collect(),
        differences: comparer.out,
        scopes: has_scopes.then_some(scopes),
    })
}

struct Comparer<'a> {
    theirs: &'a Value,
    ours: &'a Value,
    out: Vec<Difference>,
}

/// An operation as found in a document.
struct Op<'a> {
    id: String,
    method: &'static str,
    path: &'a str,
    value: &'a Value,
    item: &'a Value,
}

impl Op<'_> {
    fn endpoint(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// What [`pairing::pair`] reads of each operation.
fn pairing_keys<'o>(ops: &'o [Op<'_>]) -> Vec<Key<'o>> {
    ops.iter()
        .map(|op| Key {
            id: &op.id,
            method: op.method,
            path: op.path,
        })
        .collect()
}

fn operations(spec: &Value) -> Vec<Op<'_>> {
    let mut found = Vec::new();
    for (path, item) in members(spec, "paths") {
        for method in METHODS {
            let Some(value) = item.get(method) else {
                continue;
            };
            let id = value
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            found.push(Op {
                id,
                method,
                path,
                value,
                item,
            });
        }
    }
    found
}

impl<'a> Comparer<'a> {
    fn push(&mut self, place: &str, aspect: &str, theirs: Option<&str>, ours: Option<&str>) {
        self.out.push(Difference {
            place: place.to_owned(),
            aspect: aspect.to_owned(),
            theirs: theirs.map(str::to_owned),
            ours: ours.map(str::to_owned),
        });
    }

    /// A keyword whose values differ, both rendered short.
    fn keyword(&mut self, place: &str, key: &str, theirs: Option<&Value>, ours: Option<&Value>) {
        if theirs != ours {
            self.push(
                place,
                key,
                theirs.map(short).as_deref(),
                ours.map(short).as_deref(),
            );
        }
    }

    /// Prose keywords that differ at `place`, counted, never quoted.
    fn prose(&mut self, place: &str, theirs: &Value, ours: &Value) {
        for key in PROSE {
            let (t, o) = (prose_value(theirs.get(key)), prose_value(ours.get(key)));
            if t != o {
                self.push(place, PROSE_ASPECT, Some(key), Some(key));
            }
        }
    }

    fn document(&mut self) {
        let (theirs, ours) = (self.theirs, self.ours);
        if theirs.get("openapi") != ours.get("openapi") {
            self.keyword(
                "openapi",
                "version",
                theirs.get("openapi"),
                ours.get("openapi"),
            );
        }
        self.keyword(
            "info.version",
            "value",
            theirs.pointer("/info/version"),
            ours.pointer("/info/version"),
        );
        let urls = |spec: &Value| -> BTreeSet<String> {
            spec.get("servers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| s.get("url").and_then(Value::as_str))
                .map(|url| url.trim_end_matches('/').to_owned())
                .collect()
        };
        let (t, o) = (urls(theirs), urls(ours));
        for url in t.difference(&o) {
            self.push(&format!("servers `{url}`"), PRESENCE, Some(""), None);
        }
        for url in o.difference(&t) {
            self.push(&format!("servers `{url}`"), PRESENCE, None, Some(""));
        }
    }

    /// The security schemes the compared operations accept (each side's own list, or its
    /// document's when an operation has none): the kinds of credential and, for OAuth 2.0,
    /// where tokens come from. Schemes a document declares for other operations are not
    /// compared.
    fn security_schemes(&mut self, their_ops: &[&Op<'a>], our_ops: &[&Op<'a>]) {
        let used = |spec: &'a Value, ops: &[&Op<'a>]| -> BTreeMap<String, (String, &'a Value)> {
            let schemes = members_at(spec, "/components/securitySchemes");
            let mut found = BTreeMap::new();
            for op in ops {
                for name in operation_schemes(spec, op) {
                    if let Some(scheme) = schemes.get(&name) {
                        found.insert(scheme_kind(scheme), (name, scheme));
                    }
                }
            }
            found
        };
        let (t, o) = (used(self.theirs, their_ops), used(self.ours, our_ops));
        for (kind, (name, _)) in &t {
            if !o.contains_key(kind) {
                let place = format!("security scheme `{name}` ({kind})");
                self.push(&place, PRESENCE, Some(""), None);
            }
        }
        for (kind, (name, _)) in &o {
            if !t.contains_key(kind) {
                let place = format!("security scheme `{name}` ({kind})");
                self.push(&place, PRESENCE, None, Some(""));
            }
        }
        if let (Some((_, ts)), Some((on, os))) = (t.get("oauth2"), o.get("oauth2")) {
            for flow_key in ["authorizationUrl", "tokenUrl"] {
                let pointer = format!("/flows/authorizationCode/{flow_key}");
                self.keyword(
                    &format!("security scheme `{on}` (oauth2)"),
                    flow_key,
                    ts.pointer(&pointer),
                    os.pointer(&pointer),
                );
            }
        }
    }

    fn operation(&mut self, theirs: &Op<'a>, ours: &Op<'a>) -> Result<()> {
        let place = ours.endpoint();
        if theirs.path != ours.path || theirs.method != ours.method {
            self.push(
                &place,
                "endpoint",
                Some(&format!("`{}`", theirs.endpoint())),
                Some(&format!("`{}`", ours.endpoint())),
            );
        }
        if theirs.id != ours.id {
            self.push(
                &place,
                "operationId",
                Some(&format!("`{}`", theirs.id)),
                Some(&format!("`{}`", ours.id)),
            );
        }
        self.prose(&place, theirs.value, ours.value);
        let flag = |v: &Value, key: &str| v.get(key).and_then(Value::as_bool).unwrap_or(false);
        if flag(theirs.value, "deprecated") != flag(ours.value, "deprecated") {
            let show = |v: &Value| Some(flag(v, "deprecated").to_string());
            self.push(
                &place,
                "deprecated",
                show(theirs.value).as_deref(),
                show(ours.value).as_deref(),
            );
        }
        self.parameters(&place, theirs, ours)?;
        self.request_body(&place, theirs.value, ours.value)?;
        self.responses(&place, theirs.value, ours.value)
    }

    fn parameters(&mut self, place: &str, theirs: &Op<'a>, ours: &Op<'a>) -> Result<()> {
        let t = parameters(self.theirs, theirs.item, theirs.value, &theirs.endpoint())?;
        let o = parameters(self.ours, ours.item, ours.value, &ours.endpoint())?;
        let keys: BTreeSet<&(String, String)> = t.keys().chain(o.keys()).collect();
        for key in keys {
            let here = format!("{place}, parameter `{}` ({})", key.1, key.0);
            let is_required = |p: &Value| p.get("required").and_then(Value::as_bool) == Some(true);
            let note = |p: &Value| {
                if is_required(p) {
                    "required"
                } else {
                    "optional"
                }
            };
            match (t.get(key), o.get(key)) {
                (Some(p), None) => self.push(&here, PRESENCE, Some(note(p)), None),
                (None, Some(p)) => self.push(&here, PRESENCE, None, Some(note(p))),
                (Some(tp), Some(op)) => {
                    if is_required(tp) != is_required(op) {
                        self.push(&here, REQUIRED, Some(note(tp)), Some(note(op)));
                    }
                    self.prose(&here, tp, op);
                    for k in ["style", "explode"] {
                        let (a, b) = (
                            parameter_default(tp, k, &key.0),
                            parameter_default(op, k, &key.0),
                        );
                        self.keyword(&here, k, Some(&a), Some(&b));
                    }
                    for k in ["deprecated", "allowEmptyValue", "allowReserved"] {
                        self.keyword(&here, k, tp.get(k), op.get(k));
                    }
                    let empty = Value::Object(Map::new());
                    self.schema(
                        &here,
                        tp.get("schema").unwrap_or(&empty),
                        op.get("schema").unwrap_or(&empty),
                    );
                }
                (None, None) => {}
            }
        }
        Ok(())
    }

    fn request_body(&mut self, place: &str, theirs: &Value, ours: &Value) -> Result<()> {
        let here = format!("{place}, request body");
        let t = theirs
            .get("requestBody")
            .map(|b| deref(self.theirs, b))
            .transpose()?;
        let o = ours
            .get("requestBody")
            .map(|b| deref(self.ours, b))
            .transpose()?;
        let is_required = |b: &Value| b.get("required").and_then(Value::as_bool) == Some(true);
        let note = |b: &Value| {
            if is_required(b) {
                "required"
            } else {
                "optional"
            }
        };
        match (t, o) {
            (Some(b), None) => self.push(&here, PRESENCE, Some(note(b)), None),
            (None, Some(b)) => self.push(&here, PRESENCE, None, Some(note(b))),
            (Some(tb), Some(ob)) => {
                if is_required(tb) != is_required(ob) {
                    self.push(&here, REQUIRED, Some(note(tb)), Some(note(ob)));
                }
                self.prose(&here, tb, ob);
                self.content(&here, tb, ob);
            }
            (None, None) => {}
        }
        Ok(())
    }

    fn responses(&mut self, place: &str, theirs: &Value, ours: &Value) -> Result<()> {
        let t = responses(self.theirs, theirs)?;
        let o = responses(self.ours, ours)?;
        let codes: BTreeSet<&String> = t.keys().chain(o.keys()).collect();
        for code in codes {
            let here = format!("{place}, response {code}");
            match (t.get(code), o.get(code)) {
                (Some(r), None) => self.push(&here, PRESENCE, Some(&body_note(r)), None),
                (None, Some(r)) => self.push(&here, PRESENCE, None, Some(&body_note(r))),
                (Some(tr), Some(or)) => {
                    self.prose(&here, tr, or);
                    self.content(&here, tr, or);
                    let headers = |r: &Value| -> BTreeSet<String> {
                        members(r, "headers")
                            .keys()
                            .map(|h| h.to_lowercase())
                            .collect()
                    };
                    let (th, oh) = (headers(tr), headers(or));
                    for h in th.difference(&oh) {
                        self.push(&format!("{here}, header `{h}`"), PRESENCE, Some(""), None);
                    }
                    for h in oh.difference(&th) {
                        self.push(&format!("{here}, header `{h}`"), PRESENCE, None, Some(""));
                    }
                }
                (None, None) => {}
            }
        }
        Ok(())
    }

    /// Compares the media types of two bodies and the schema of each.
    fn content(&mut self, place: &str, theirs: &Value, ours: &Value) {
        let t = members(theirs, "content");
        let o = members(ours, "content");
        let types: BTreeSet<&String> = t.keys().chain(o.keys()).collect();
        for media in types {
            let here = format!("{place} `{media}`");
            match (t.get(media), o.get(media)) {
                (Some(_), None) => self.push(&here, PRESENCE, Some(""), None),
                (None, Some(_)) => self.push(&here, PRESENCE, None, Some("")),
                (Some(tm), Some(om)) => {
                    self.prose(&here, tm, om);
                    let empty = Value::Object(Map::new());
                    self.schema(
                        &format!("{place} body"),
                        tm.get("schema").unwrap_or(&empty),
                        om.get("schema").unwrap_or(&empty),
                    );
                }
                (None, None) => {}
            }
        }
    }

    /// Compares two schemas found at `place`. A named schema (`$ref`) is compared once, under
    /// its own name, by [`compare`].
    fn schema(&mut self, place: &str, theirs: &Value, ours: &Value) {
        match (schema_ref_name(theirs), schema_ref_name(ours)) {
            (Some(a), Some(b)) if a == b => return,
            (Some(a), Some(b)) => {
                let (a, b) = (format!("`{a}`"), format!("`{b}`"));
                self.push(place, "type", Some(&a), Some(&b));
                return;
            }
            (Some(a), None) => {
                let a = format!("`{a}`");
                self.push(place, "type", Some(&a), Some("an inline schema"));
                return;
            }
            (None, Some(b)) => {
                let b = format!("`{b}`");
                self.push(place, "type", Some("an inline schema"), Some(&b));
                return;
            }
            (None, None) => {}
        }
        self.prose(place, theirs, ours);
        self.keyword(place, "type", theirs.get("type"), ours.get("type"));
        self.keyword(place, "format", theirs.get("format"), ours.get("format"));
        let nullable = |s: &Value| s.get("nullable").and_then(Value::as_bool) == Some(true);
        if nullable(theirs) != nullable(ours) {
            let show = |s: &Value| {
                if nullable(s) {
                    "nullable"
                } else {
                    "not nullable"
                }
            };
            self.push(place, NULLABLE, Some(show(theirs)), Some(show(ours)));
        }
        self.enumeration(place, theirs, ours);
        self.properties(place, theirs, ours);
        match (theirs.get("items"), ours.get("items")) {
            (Some(t), Some(o)) => self.schema(&format!("{place}[]"), t, o),
            (None, None) => {}
            (t, o) => self.keyword(
                place,
                "items",
                t.map(|_| Value::from("an item schema")).as_ref(),
                o.map(|_| Value::from("an item schema")).as_ref(),
            ),
        }
        let t = additional(theirs.get("additionalProperties"));
        let o = additional(ours.get("additionalProperties"));
        match (t, o) {
            (Additional::Schema(t), Additional::Schema(o)) => {
                self.schema(&format!("{place}{{}}"), t, o)
            }
            (t, o) if t != o => {
                self.push(
                    place,
                    "additionalProperties",
                    Some(&t.describe()),
                    Some(&o.describe()),
                );
            }
            _ => {}
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            let list = |s: &Value| s.get(key).and_then(Value::as_array).cloned();
            match (list(theirs), list(ours)) {
                (Some(t), Some(o)) if t.len() == o.len() => {
                    for (index, (ts, os)) in t.iter().zip(&o).enumerate() {
                        self.schema(&format!("{place} ({key} {index})"), ts, os);
                    }
                }
                (None, None) => {}
                (t, o) => {
                    let count = |l: &Option<Vec<Value>>| l.as_ref().map(|l| Value::from(l.len()));
                    self.keyword(place, key, count(&t).as_ref(), count(&o).as_ref());
                }
            }
        }
        if let (Some(t), Some(o)) = (theirs.get("not"), ours.get("not")) {
            self.schema(&format!("{place} (not)"), t, o);
        }
        let keys: BTreeSet<&String> = keys(theirs).chain(keys(ours)).collect();
        for key in keys {
            let handled = [
                "type",
                "format",
                "nullable",
                "enum",
                "properties",
                "required",
                "items",
                "additionalProperties",
                "allOf",
                "oneOf",
                "anyOf",
            ];
            if handled.contains(&key.as_str())
                || PROSE.contains(&key.as_str())
                || key.starts_with("x-")
                || (key == "not" && theirs.get("not").is_some() && ours.get("not").is_some())
            {
                continue;
            }
            self.keyword(place, key, theirs.get(key), ours.get(key));
        }
    }

    fn enumeration(&mut self, place: &str, theirs: &Value, ours: &Value) {
        let values = |s: &Value| -> Option<Vec<String>> {
            s.get("enum")
                .and_then(Value::as_array)
                .map(|v| v.iter().map(short).collect())
        };
        match (values(theirs), values(ours)) {
            (None, None) => {}
            (Some(_), None) => self.push(place, "enum", Some("a list of values"), Some("none")),
            (None, Some(_)) => self.push(place, "enum", Some("none"), Some("a list of values")),
            (Some(t), Some(o)) => {
                for value in t.iter().filter(|v| !o.contains(v)) {
                    self.push(place, ENUM, Some(value), None);
                }
                for value in o.iter().filter(|v| !t.contains(v)) {
                    self.push(place, ENUM, None, Some(value));
                }
            }
        }
    }

    fn properties(&mut self, place: &str, theirs: &Value, ours: &Value) {
        let (tp, op) = (members(theirs, "properties"), members(ours, "properties"));
        let (tr, or) = (required(theirs), required(ours));
        let names: BTreeSet<&String> = tp
            .keys()
            .chain(op.keys())
            .chain(tr.iter())
            .chain(or.iter())
            .collect();
        let join = |name: &str| {
            if place.is_empty() {
                name.to_owned()
            } else {
                format!("{place}.{name}")
            }
        };
        let note = |required: bool| if required { "required" } else { "optional" };
        for name in names {
            let here = join(name);
            let (t_req, o_req) = (tr.contains(name), or.contains(name));
            match (tp.get(name), op.get(name)) {
                (Some(_), None) => self.push(&here, PRESENCE, Some(note(t_req)), None),
                (None, Some(_)) => self.push(&here, PRESENCE, None, Some(note(o_req))),
                (Some(t), Some(o)) => {
                    if t_req != o_req {
                        self.push(&here, REQUIRED, Some(note(t_req)), Some(note(o_req)));
                    }
                    self.schema(&here, t, o);
                }
                // Required without a schema (a field any value may fill).
                (None, None) => {
                    if t_req != o_req {
                        self.push(&here, REQUIRED, Some(note(t_req)), Some(note(o_req)));
                    }
                }
            }
        }
    }
}

/// The `additionalProperties` of a schema, with the spellings of "any value" made one.
#[derive(Debug, PartialEq)]
enum Additional<'a> {
    /// Absent, `true` or `{}`: any extra field is allowed.
    Any,
    /// `false`: no extra field.
    None,
    /// A schema for the values of a map.
    Schema(&'a Value),
}

impl Additional<'_> {
    fn describe(&self) -> String {
        match self {
            Additional::Any => "any (absent or `true`)".to_owned(),
            Additional::None => "`false`".to_owned(),
            Additional::Schema(schema) => match schema_ref_name(schema) {
                Some(name) => format!("a map of `{name}`"),
                None => "a map".to_owned(),
            },
        }
    }
}

fn additional(value: Option<&Value>) -> Additional<'_> {
    match value {
        None | Some(Value::Bool(true)) => Additional::Any,
        Some(Value::Bool(false)) => Additional::None,
        Some(schema) if without_prose(schema).as_object().is_some_and(Map::is_empty) => {
            Additional::Any
        }
        Some(schema) => Additional::Schema(schema),
    }
}

/// A schema with its prose keywords left out, to tell "`{}`" from a real schema.
fn without_prose(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !PROSE.contains(&k.as_str()) && !k.starts_with("x-"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A prose value, with an empty string and `null` read as absent (HubSpot writes
/// `"description": ""` and `"example": null` where it has nothing to say).
fn prose_value(value: Option<&Value>) -> Option<&Value> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.is_empty() => None,
        other => other,
    }
}

/// A parameter's `style` or `explode`, with OpenAPI's default for its location when absent.
fn parameter_default(parameter: &Value, key: &str, location: &str) -> Value {
    if let Some(value) = parameter.get(key) {
        return value.clone();
    }
    let style = parameter
        .get("style")
        .and_then(Value::as_str)
        .unwrap_or(match location {
            "query" | "cookie" => "form",
            _ => "simple",
        });
    match key {
        "style" => Value::from(style),
        _ => Value::from(style == "form"),
    }
}

/// `body `X`` for a response whose body is a named schema, for a presence line.
fn body_note(response: &Value) -> String {
    members(response, "content")
        .values()
        .find_map(|media| media.get("schema").and_then(schema_ref_name))
        .map(|name| format!("body `{name}`"))
        .unwrap_or_default()
}

/// An operation's security requirements: its own, or its document's when it has none.
fn requirements<'s>(spec: &'s Value, op: &Op<'s>) -> impl Iterator<Item = &'s Map<String, Value>> {
    op.value
        .get("security")
        .or_else(|| spec.get("security"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// The names of the security schemes an operation accepts.
fn operation_schemes(spec: &Value, op: &Op<'_>) -> BTreeSet<String> {
    requirements(spec, op)
        .flat_map(|r| r.keys().cloned())
        .collect()
}

/// What kind of credential a security scheme takes: `oauth2`, `http bearer`,
/// ``apiKey in header `x` ``.
fn scheme_kind(scheme: &Value) -> String {
    let field = |key: &str| scheme.get(key).and_then(Value::as_str).unwrap_or("");
    match field("type") {
        "http" => format!("http {}", field("scheme").to_lowercase()),
        "apiKey" => format!("apiKey in {} `{}`", field("in"), field("name")),
        other => other.to_owned(),
    }
}

/// Every scope in an operation's security requirements (the document's when it has none).
fn operation_scopes(spec: &Value, op: &Op<'_>) -> BTreeSet<String> {
    requirements(spec, op)
        .flat_map(|requirement| requirement.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The scopes our spec names: those in the operations' security requirements and those its
/// OAuth 2.0 schemes list.
fn named_scopes(spec: &Value, ops: &[Op<'_>]) -> BTreeSet<String> {
    let mut scopes: BTreeSet<String> = ops
        .iter()
        .flat_map(|op| operation_scopes(spec, op))
        .collect();
    for scheme in members_at(spec, "/components/securitySchemes").values() {
        for flow in members(scheme, "flows").values() {
            scopes.extend(members(flow, "scopes").keys().cloned());
        }
    }
    scopes
}

fn keys(schema: &Value) -> impl Iterator<Item = &String> {
    schema.as_object().into_iter().flat_map(|map| map.keys())
}

/// A compact rendering of a JSON value: in backticks.
fn short(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => format!("`{other}`"),
    }
}
