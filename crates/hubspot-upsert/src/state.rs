//! `--state`: opening the sync state, and what the dry run and `gone` read from it. The live run
//! hands the state to the client (`Client::bulk_upsert_synced`), which compares and records.

use std::io::Write;
use std::path::Path;

use hubspot_crm::property_schema::PropertySchema;
use hubspot_crm::sync_state::{SeenKeys, SyncScope, fingerprint, record_key};
use hubspot_crm::sync_state::{SqliteSyncState, SyncStateError, SyncStore};
use hubspot_crm::{ObjectType, UpsertInput};

use crate::cli::{RunArgs, Target};

use crate::error::FatalError;
use crate::input::InputRecord;

/// Opens the state file for a live run (created when missing) and checks that it is for this
/// run's `scope`, before the report is opened or anything is read.
pub fn open(path: &Path, scope: &SyncScope) -> Result<SqliteSyncState, FatalError> {
    let mut state = SqliteSyncState::open(path)?;
    state.bind(scope)?;
    Ok(state)
}

/// What this run's state must be for: the client's base URL is `--base-url` without its
/// trailing `/`.
pub fn scope(args: &RunArgs, target: &Target, object_type: &ObjectType) -> SyncScope {
    SyncScope {
        object_type: object_type.as_str().to_owned(),
        id_property: target.id_property.clone(),
        base_url: args.base_url.trim_end_matches('/').to_owned(),
        account: args.account.clone(),
    }
}

/// `hubspot-upsert gone --state FILE`: prints the keys the last complete input did not hold.
pub fn print_gone(path: &Path) -> Result<(), FatalError> {
    if !path.exists() {
        return Err(FatalError::Usage(format!(
            "--state {}: no such file",
            path.display()
        )));
    }
    let state = SqliteSyncState::open(path)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = None;
    state.not_in_last_input(|key| {
        if failed.is_none()
            && let Err(e) = writeln!(out, "{key}")
        {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(FatalError::Stdout(e));
    }
    out.flush().map_err(FatalError::Stdout)
}

/// What `--dry-run --state` asks of the state: would this record be sent?
pub struct StatePreview {
    state: Option<SqliteSyncState>,
    id_property: String,
    schema: Option<PropertySchema>,
    seen: SeenKeys,
    /// The first failure reading the state (the records are then counted as to be sent).
    pub error: Option<SyncStateError>,
}

impl StatePreview {
    /// Opens the state at `path` for `scope`, without creating it: a missing file means every
    /// record would be sent.
    pub fn open(
        path: &Path,
        scope: &SyncScope,
        schema: Option<PropertySchema>,
    ) -> Result<StatePreview, FatalError> {
        let state = if path.exists() {
            let mut state = SqliteSyncState::open(path)?;
            state.bind(scope)?;
            Some(state)
        } else {
            None
        };
        Ok(StatePreview {
            state,
            id_property: scope.id_property.clone(),
            schema,
            seen: SeenKeys::default(),
            error: None,
        })
    }

    /// Whether the file existed.
    pub fn exists(&self) -> bool {
        self.state.is_some()
    }

    /// True when the live run would not send `record` (checked and sendable): its values, as
    /// the client would send them, are the ones the state holds, and its key is not repeated
    /// earlier in the input.
    pub fn unchanged(&mut self, record: &InputRecord) -> bool {
        let Some(id) = record.id.as_deref() else {
            return false;
        };
        let key = record_key(id, &self.id_property);
        if !self.seen.insert(&key) || self.error.is_some() {
            return false;
        }
        let Some(state) = self.state.as_mut() else {
            return false;
        };
        // The same input, and the same normalization, as the feed and the client make.
        let mut input = UpsertInput::new(id)
            .id_property(self.id_property.as_str())
            .properties(record.properties.iter().map(|(k, v)| (k, v.as_str())));
        if let Some(schema) = &self.schema {
            match schema.check(input) {
                Ok(checked) => input = checked,
                Err(_) => return false,
            }
        }
        match state.get(&key) {
            Ok(Some(stored)) => stored.fingerprint == fingerprint(&input.as_api().properties),
            Ok(None) => false,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}
