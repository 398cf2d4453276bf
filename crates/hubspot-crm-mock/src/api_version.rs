//! The API versions the mock serves, and how each one's success body is built.
//!
//! The mock's rules and store speak 2026-03's generated types (the v3 path shares them). A
//! 2026-09 answer is built from 2026-09's generated types: every result and per-input error is
//! moved field by field into that version's type, so a field one version has and the other
//! does not (2026-03's `warnings`) is a compile error here, not a silent extra in a response.
//! Whole-request `Error` bodies are the same schema in every version; the JSON Schema test
//! checks each version's answers against its own spec.

use hubspot_crm_api::v2026_03::types as v03;
use hubspot_crm_api::v2026_09::types as v09;

/// The version a request was sent to, by its path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `/crm/v3/objects/{objectType}/batch/upsert`: the 2026-03 schema.
    V3,
    /// `/crm/objects/2026-03/{objectType}/batch/upsert`: a partial success is a 207.
    V2026_03,
    /// `/crm/objects/2026-09/{objectType}/batch/upsert`: a partial success is a 200 with
    /// `errors`, and results have no `warnings`.
    #[default]
    V2026_09,
}

impl ApiVersion {
    /// HubSpot's name of the version, the path segment: `v3`, `2026-03`, `2026-09`.
    pub fn name(self) -> &'static str {
        match self {
            ApiVersion::V3 => "v3",
            ApiVersion::V2026_03 => "2026-03",
            ApiVersion::V2026_09 => "2026-09",
        }
    }

    /// Whether a partial success is answered 207 (true) or 200 with `errors` (false).
    pub(crate) fn partial_success_is_207(self) -> bool {
        !matches!(self, ApiVersion::V2026_09)
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A 2026-03 result as 2026-09's type: the same fields but `warnings`, which 2026-09 does
/// not have (the mock never sends any).
pub(crate) fn record_2026_09(r: v03::SimplePublicUpsertObject) -> v09::SimplePublicUpsertObject {
    v09::SimplePublicUpsertObject {
        archived: r.archived,
        archived_at: r.archived_at,
        created_at: r.created_at,
        id: r.id,
        new: r.new,
        object_write_trace_id: r.object_write_trace_id,
        properties: r.properties,
        properties_with_history: r
            .properties_with_history
            .into_iter()
            .map(|(name, values)| (name, values.into_iter().map(value_2026_09).collect()))
            .collect(),
        updated_at: r.updated_at,
        url: r.url,
    }
}

fn value_2026_09(v: v03::ValueWithTimestamp) -> v09::ValueWithTimestamp {
    v09::ValueWithTimestamp {
        source_id: v.source_id,
        source_label: v.source_label,
        source_type: v.source_type,
        timestamp: v.timestamp,
        updated_by_user_id: v.updated_by_user_id,
        value: v.value,
    }
}

/// A 2026-03 per-input error as 2026-09's type (the schema is unchanged).
pub(crate) fn error_2026_09(e: v03::StandardError) -> v09::StandardError {
    v09::StandardError {
        category: e.category,
        context: e.context,
        errors: e.errors.into_iter().map(detail_2026_09).collect(),
        id: e.id,
        links: e.links,
        message: e.message,
        status: e.status,
        sub_category: e.sub_category,
    }
}

fn detail_2026_09(d: v03::ErrorDetail) -> v09::ErrorDetail {
    v09::ErrorDetail {
        code: d.code,
        context: d.context,
        in_: d.in_,
        message: d.message,
        sub_category: d.sub_category,
    }
}
