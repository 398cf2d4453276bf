//! The known, documented ways in which our spec deliberately differs from HubSpot's document.
//!
//! `cargo xtask upstream` lists a difference that one of these entries describes apart from
//! drift, with the entry's reason, and does not fail on it. Everything else is drift. An entry
//! that no longer matches anything is reported too, so that the list does not outlive the
//! deviations it explains.
//!
//! Add an entry only for a difference the project has decided to keep, with the reason a
//! reviewer needs; the same deviation should be explained where it lives (`openapi/README.md`
//! for the spec). What HubSpot *sends* beyond its document is not a deviation of the spec: it
//! belongs to the overlay (`openapi/crm-objects-batch-upsert.overlay.json`), which `upstream`
//! does not read.

use super::contract::{Difference, PRESENCE, PROSE_ASPECT};

/// What a deviation expects on one side of a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Anything, or nothing.
    Any,
    /// Nothing: the side does not have it.
    Absent,
    /// Something, whatever its value.
    Present,
    /// This value, rendered as in [`Difference::theirs`] (`` `3.0.1` ``).
    Is(&'static str),
}

impl Side {
    fn accepts(self, actual: Option<&str>) -> bool {
        match self {
            Side::Any => true,
            Side::Absent => actual.is_none(),
            Side::Present => actual.is_some(),
            Side::Is(value) => actual == Some(value),
        }
    }
}

/// One known deviation: the differences it covers and why we keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deviation {
    /// A short name for the report.
    pub name: &'static str,
    /// The place it covers, exactly as [`Difference::place`] spells it, with the version
    /// segment of any path written `{version}`; `*` for any place.
    pub place: &'static str,
    /// The aspect it covers ([`Difference::aspect`]).
    pub aspect: &'static str,
    /// HubSpot's side as the deviation expects it.
    pub theirs: Side,
    /// Our side as the deviation expects it.
    pub ours: Side,
    /// The API versions it applies to; empty for every version. A deviation of one
    /// version's spec is neither applied to nor reported unseen for another.
    pub versions: &'static [&'static str],
    /// Why our spec differs.
    pub reason: &'static str,
}

impl Deviation {
    /// Whether this entry applies to the spec of `version`.
    pub fn applies_to(&self, version: &str) -> bool {
        self.versions.is_empty() || self.versions.contains(&version)
    }

    /// Whether this entry covers `difference`.
    pub fn covers(&self, difference: &Difference) -> bool {
        let place_matches = self.place == "*"
            || versionless(&difference.place) == versionless(self.place)
            || difference.place == self.place;
        place_matches
            && difference.aspect == self.aspect
            && self.theirs.accepts(difference.theirs.as_deref())
            && self.ours.accepts(difference.ours.as_deref())
    }
}

/// `place` with the version segments of its paths written `{version}`.
fn versionless(place: &str) -> String {
    place
        .split('/')
        .map(|segment| {
            if crate::diff::pairing::is_version_segment(segment) {
                "{version}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The batch upsert operation, at whichever version.
const UPSERT: &str = "POST /crm/objects/{version}/{objectType}/batch/upsert";

/// Every known deviation of `openapi/crm-objects-batch-upsert-<version>.json` from HubSpot's
/// document of the same version.
pub const KNOWN: &[Deviation] = &[
    Deviation {
        name: "OpenAPI 3.0.3",
        place: "openapi",
        aspect: "version",
        theirs: Side::Is("`3.0.1`"),
        ours: Side::Is("`3.0.3`"),
        versions: &[],
        reason: "HubSpot publishes OpenAPI 3.0.1; ours declares 3.0.3, the same model with clarified \
                 wording, which progenitor reads (openapi/README.md).",
    },
    Deviation {
        name: "our own prose",
        place: "*",
        aspect: PROSE_ASPECT,
        theirs: Side::Any,
        ours: Side::Any,
        versions: &[],
        reason: "Descriptions, summaries and examples are written for this project: HubSpot's \
                 document is proprietary and its text is never copied (openapi/README.md). Only \
                 their number is reported.",
    },
    Deviation {
        name: "our operationId",
        place: UPSERT,
        aspect: "operationId",
        theirs: Side::Any,
        ours: Side::Is("`batch_upsert`"),
        versions: &[],
        reason: "The operationId is the generated method's name (`batch_upsert`). HubSpot builds \
                 its ids from the dated paths and has changed them after release.",
    },
    Deviation {
        name: "100 inputs per request",
        place: "BatchInputSimplePublicObjectBatchInputUpsert.inputs",
        aspect: "maxItems",
        theirs: Side::Absent,
        ours: Side::Is("`100`"),
        versions: &[],
        reason: "HubSpot documents the limit of 100 inputs per request (101 is answered 400) in \
                 its reference page, not in its schema; ours states it as `maxItems` so that the \
                 generated types, the mock and the contract tests carry it.",
    },
    Deviation {
        name: "private app tokens",
        place: "security scheme `private_app` (http bearer)",
        aspect: PRESENCE,
        theirs: Side::Absent,
        ours: Side::Present,
        versions: &[],
        reason: "HubSpot's developer documentation has a private app's access token sent as \
                 `Authorization: Bearer <token>`, beside OAuth 2.0 tokens, with the same scopes; \
                 HubSpot's document does not declare that bearer scheme for the operation. Ours \
                 declares it so that generated clients and the mock take both kinds of token.",
    },
    Deviation {
        name: "private app token as a bearer token",
        place: "security scheme `private_apps` (apiKey in header `private-app`)",
        aspect: PRESENCE,
        theirs: Side::Present,
        ours: Side::Absent,
        versions: &["2026-09"],
        reason: "HubSpot's 2026-09 document declares a private app's token as an API key in a \
                 `private-app` header; ours sends it as `Authorization: Bearer <token>`, as \
                 HubSpot's developer documentation does (the `private_app` scheme above).",
    },
    Deviation {
        name: "no legacy private app header",
        place: "security scheme `private_apps_legacy` (apiKey in header `private-app-legacy`)",
        aspect: PRESENCE,
        theirs: Side::Present,
        ours: Side::Absent,
        versions: &["2026-09"],
        reason: "HubSpot's 2026-09 document also lists a legacy `private-app-legacy` header, \
                 with the legacy `contacts` scope only; ours declares the bearer token, which \
                 carries the current `crm.objects.*` scopes.",
    },
];
