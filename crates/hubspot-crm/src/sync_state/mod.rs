//! Incremental sync: a bulk run that sends only the records whose values changed since HubSpot
//! last accepted them.
//!
//! A *sync state* remembers, per record key (the value of the id property), a fingerprint of the
//! properties HubSpot last accepted for it, HubSpot's record id, and when. A run given a state
//! ([`Client::bulk_upsert_synced`](crate::Client::bulk_upsert_synced)) compares each input with
//! it before batching: an input whose fingerprint matches is not sent and ends
//! [`OutcomeKind::Unchanged`] with the stored record id; every
//! other input is sent as usual, and its entry is written only once HubSpot reported it created
//! or updated. A failed, refused or unanswered input keeps its old entry (or none), so the next
//! run sends it again.
//!
//! # The fingerprint
//! [`fingerprint`] hashes the properties as they are sent: after the
//! [`PropertySchema`] check and its normalization (an option given by
//! its label counts as its value, trimmed whitespace does not count), in the order of their
//! names, so that the order of columns or keys in the source does not count either. It is
//! XXH3-64, a fixed and published algorithm, because fingerprints are stored on disk and
//! compared by later runs: the same values must hash alike in every version of this crate, of
//! Rust and of HubSpot's API, on every platform. That is a correctness need, not a matter of
//! speed: std's `DefaultHasher` promises none of it (its algorithm may change with any Rust
//! release). It is not cryptographic and needs not be: it only compares one record's
//! values with the same record's previous values, so a change goes unseen only when both
//! hash alike, a chance of 2⁻⁶⁴ per change (about one in 10¹⁹ even at a billion changes).
//!
//! # Where the state is kept
//! [`SyncStore`] is the trait a run talks to; [`SqliteSyncState`] is the default, one SQLite
//! file (see [`SqliteSyncState`]). An application that keeps its bookkeeping in its own database
//! implements [`SyncStore`] over it.
//!
//! # What a state cannot see
//! The state knows what HubSpot *accepted*, not what HubSpot holds now: a value edited by hand
//! in HubSpot, a record merged or deleted there, is invisible to it, and the next run skips that
//! record while its source values stay the same. [`SyncOptions::full`] sends everything and
//! refreshes the state; run it after a change of mapping, or when HubSpot's data may have been
//! edited.
//!
//! # Another account
//! A state used against an account that never received its records would skip them there. A
//! store is bound to one [`SyncScope`]: object type, id property, base URL, and HubSpot's
//! account id when it is known: given with [`SyncOptions::account`], or learned from the
//! `url` HubSpot returns with a record (`https://app.hubspot.com/contacts/<account>/...`). A
//! run for another scope is refused before anything is read or sent. A state whose account
//! was never known cannot tell two accounts behind the same base URL apart: keep one state
//! file per account, and give the account id.

mod sqlite;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::api_version::{ApiVersion, UpsertedRecord};
use crate::input::UpsertInput;
use crate::outcome::OutcomeKind;
use crate::properties::Properties;
use crate::property_schema::PropertySchema;

pub use sqlite::SqliteSyncState;

/// What a state is for: a run is refused unless it writes to the same place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncScope {
    /// The object type, as given to the run (`contacts`, `2-1234567`, ...), compared without
    /// regard to case.
    pub object_type: String,
    /// The id property whose values are the state's keys, such as `email`.
    pub id_property: String,
    /// The client's base URL, such as `https://api.hubapi.com`.
    pub base_url: String,
    /// HubSpot's account (portal) id, when known.
    pub account: Option<String>,
}

/// What a state holds for one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    /// The [`fingerprint`] of the properties HubSpot last accepted.
    pub fingerprint: u64,
    /// HubSpot's record id.
    pub record_id: String,
    /// When HubSpot's answer accepting them arrived.
    pub synced_at: DateTime<Utc>,
}

/// A record HubSpot reported created or updated, to be written to the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The record's key ([`record_key`]).
    pub key: String,
    /// The [`fingerprint`] of the properties sent.
    pub fingerprint: u64,
    /// HubSpot's record id.
    pub record_id: String,
}

/// Keys a run has read, kept as 64-bit hashes (16 to 32 bytes each in memory): a million keys
/// take about 20 MB. Two keys hashing alike make the later one be sent and not counted as gone,
/// which is harmless. The hash is the fingerprint's XXH3-64; nothing of it is stored, so any
/// 64-bit hash would do.
#[derive(Debug, Default)]
pub struct SeenKeys(HashSet<u64>);

impl SeenKeys {
    /// Adds `key`; false when it (or a key hashing alike) was seen before.
    pub fn insert(&mut self, key: &str) -> bool {
        self.0.insert(xxh3_64(key.as_bytes()))
    }

    /// Whether `key` was read.
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains(&xxh3_64(key.as_bytes()))
    }

    /// How many distinct keys were read.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where a run's state is kept. [`SqliteSyncState`] is the default; implement it to keep the
/// state in your own database.
///
/// A run calls [`SyncStore::bind`] once before anything else, then [`SyncStore::get`] for each
/// input (in input order), [`SyncStore::save`] once per answered request (up to 100 records,
/// which must be written together: one transaction), and [`SyncStore::close_input`] when the
/// whole input was read. Its calls are synchronous and made from the run's task, so each
/// should take microseconds (a local lookup), not a network round trip per call.
///
/// What an implementation must hold for the state to stay true: [`SyncStore::save`] is the only
/// write of entries, and once it returned they stay written (a crash after it loses nothing
/// that the next run would then skip wrongly; a crash before it only means those records are
/// sent again).
pub trait SyncStore: Send {
    /// Checks that the state is for `scope` and records the scope in a new state. An account
    /// id in `scope` is compared with the recorded one when both are known.
    fn bind(&mut self, scope: &SyncScope) -> Result<(), SyncStateError>;

    /// Records the account id learned during the run; refused when the state names another.
    fn learn_account(&mut self, account: &str) -> Result<(), SyncStateError>;

    /// What HubSpot last accepted for `key`.
    fn get(&mut self, key: &str) -> Result<Option<StoredRecord>, SyncStateError>;

    /// Writes `accepted` (replacing earlier entries of the same keys), all or nothing.
    fn save(&mut self, accepted: &[Accepted]) -> Result<(), SyncStateError>;

    /// Called when the whole input was read: notes which stored keys the input did not hold
    /// (so they can be listed), and returns how many.
    fn close_input(&mut self, seen: &SeenKeys) -> Result<u64, SyncStateError>;
}

/// A problem with a sync state. Each names the state (for the SQLite store, its file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncStateError {
    /// The file cannot be opened or created.
    #[error("sync state {}: cannot open it: {message}", path.display())]
    Open {
        /// The state file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The file is not a SQLite database, or a SQLite database that is not a sync state.
    #[error("sync state {}: not a sync state file: {reason}", path.display())]
    NotAState {
        /// The state file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The file is damaged (truncated, overwritten in part).
    #[error("sync state {}: the file is damaged ({detail}); restore it from a backup, or move it away to start afresh (the next run then sends every record)", path.display())]
    Damaged {
        /// The state file.
        path: PathBuf,
        /// What SQLite found.
        detail: String,
    },
    /// The file was written by a newer version of this crate.
    #[error("sync state {}: schema version {found} is newer than this program knows ({known}); use a newer hubspot-crm / hubspot-upsert", path.display())]
    NewerSchema {
        /// The state file.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The newest version this crate writes.
        known: i64,
    },
    /// The file (or its directory) cannot be written.
    #[error("sync state {}: the file is read-only; a run must write to its state (check the permissions of the file and its directory)", path.display())]
    ReadOnly {
        /// The state file.
        path: PathBuf,
    },
    /// Another run holds the state.
    #[error("sync state {}: another run is using it; two runs on one state at once are refused (wait for the other to end)", path.display())]
    InUse {
        /// The state file.
        path: PathBuf,
    },
    /// The state was written for another object type, id property, base URL or account.
    #[error("sync state {}: it is the state of {what} {recorded:?}, not {given:?}; a state records what one account's object type received through one id property, so use another state file for this run", path.display())]
    OtherScope {
        /// The state file.
        path: PathBuf,
        /// What differs: `object type`, `id property`, `base URL` or `account`.
        what: &'static str,
        /// What the state records.
        recorded: String,
        /// What this run uses.
        given: String,
    },
    /// A read or write failed during the run.
    #[error("sync state {}: {message}", path.display())]
    Storage {
        /// The state file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A failure of a store other than SQLite.
    #[error("sync state: {0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// The key a record is kept under: its id value, lower-cased when the id property is `email`
/// (HubSpot matches email addresses without regard to case, and echoes them lower-cased).
pub fn record_key(id: &str, id_property: &str) -> String {
    if id_property.eq_ignore_ascii_case("email") {
        id.to_lowercase()
    } else {
        id.to_owned()
    }
}

/// The fingerprint of `properties`: XXH3-64 over each name and value (with their lengths), in
/// the order of the names. See the [module documentation](self) for why this hash.
pub fn fingerprint(properties: &Properties) -> u64 {
    let mut pairs: Vec<(&String, &String)> = properties.iter().collect();
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut hasher = Xxh3::new();
    for (name, value) in pairs {
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(&(value.len() as u64).to_le_bytes());
        hasher.update(value.as_bytes());
    }
    hasher.digest()
}

/// HubSpot's account id in a record's `url` (`https://app.hubspot.com/contacts/62515981/record/0-1/51`
/// gives `62515981`): the first path segment made only of digits.
pub fn account_from_record_url(url: &str) -> Option<String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.split_once('/')?.1;
    path.split('/')
        .find(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

/// How a run uses a sync state: which store, which id property its keys are values of, whether
/// to send everything, and the account when you know it.
///
/// ```no_run
/// use futures::StreamExt;
/// use hubspot_crm::{AccessToken, Client, ObjectType, UpsertInput};
/// use hubspot_crm::sync_state::{SqliteSyncState, SyncOptions};
/// # async fn demo(rows: Vec<UpsertInput>) -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder().token(AccessToken::new("pat-na1-...")).build()?;
/// let state = SqliteSyncState::open("contacts.sync-state")?;
/// let sync = SyncOptions::new(state, "email").account("62515981");
/// let mut run = client.bulk_upsert_synced(ObjectType::contacts(), sync, futures::stream::iter(rows))?;
/// while let Some(outcome) = run.next().await { /* ... */ }
/// let summary = run.summary();
/// println!("{} unchanged, {} in the state but not in this input", summary.unchanged, summary.not_in_input);
/// # Ok(()) }
/// ```
pub struct SyncOptions {
    pub(crate) store: Box<dyn SyncStore>,
    pub(crate) id_property: String,
    pub(crate) full: bool,
    pub(crate) account: Option<String>,
    pub(crate) schema: Option<Arc<PropertySchema>>,
}

impl fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncOptions")
            .field("id_property", &self.id_property)
            .field("full", &self.full)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl SyncOptions {
    /// Uses `store` for records identified by `id_property` (inputs naming another id property
    /// are sent every time and not recorded).
    pub fn new(store: impl SyncStore + 'static, id_property: impl Into<String>) -> SyncOptions {
        SyncOptions {
            store: Box::new(store),
            id_property: id_property.into(),
            full: false,
            account: None,
            schema: None,
        }
    }

    /// Sends every input whatever the state says, and refreshes the state with what HubSpot
    /// accepts: after a change of mapping, or when HubSpot's data may have been edited there.
    pub fn full(mut self, full: bool) -> SyncOptions {
        self.full = full;
        self
    }

    /// The HubSpot account (portal) id the client writes to: recorded in a new state, and a
    /// state recording another is refused.
    pub fn account(mut self, account: impl Into<String>) -> SyncOptions {
        self.account = Some(account.into());
        self
    }

    /// Checks inputs against these property definitions (instead of the client's for the
    /// object type, if any) before comparing and sending them.
    pub fn property_schema(mut self, schema: Arc<PropertySchema>) -> SyncOptions {
        self.schema = Some(schema);
        self
    }
}

/// What the engine does with one input.
pub(crate) enum Decision {
    /// Send it.
    Send,
    /// Not sent: HubSpot holds these values already.
    Unchanged {
        /// HubSpot's record id, from the state.
        record_id: String,
    },
}

/// A sync state in use by one run: the engine's side.
pub(crate) struct SyncRun {
    store: Box<dyn SyncStore>,
    id_property: String,
    full: bool,
    seen: SeenKeys,
    /// Key and fingerprint of each input sent and not yet answered, by position.
    pending: HashMap<u64, (String, u64)>,
    account_known: bool,
}

impl SyncRun {
    /// Binds the options' store to `scope`'s object type and base URL.
    pub(crate) fn start(
        options: SyncOptions,
        object_type: &str,
        base_url: &str,
    ) -> Result<(SyncRun, Option<Arc<PropertySchema>>), SyncStateError> {
        let SyncOptions {
            mut store,
            id_property,
            full,
            account,
            schema,
        } = options;
        store.bind(&SyncScope {
            object_type: object_type.to_owned(),
            id_property: id_property.clone(),
            base_url: base_url.to_owned(),
            account: account.clone(),
        })?;
        Ok((
            SyncRun {
                store,
                id_property,
                full,
                seen: SeenKeys::default(),
                pending: HashMap::new(),
                account_known: account.is_some(),
            },
            schema,
        ))
    }

    /// Compares an input (checked and normalized already) with the state.
    pub(crate) fn consider(
        &mut self,
        position: u64,
        input: &UpsertInput,
    ) -> Result<Decision, SyncStateError> {
        let tracked = input
            .as_api()
            .id_property
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(&self.id_property));
        if !tracked {
            return Ok(Decision::Send);
        }
        let key = record_key(input.id(), &self.id_property);
        let print = fingerprint(&input.as_api().properties);
        // A key read before in this input is always sent: the earlier one may be on its way
        // with other values, and the last one given must be the one HubSpot ends with.
        let first = self.seen.insert(&key);
        if first
            && !self.full
            && let Some(stored) = self.store.get(&key)?
            && stored.fingerprint == print
        {
            return Ok(Decision::Unchanged {
                record_id: stored.record_id,
            });
        }
        self.pending.insert(position, (key, print));
        Ok(Decision::Send)
    }

    /// Writes the entries of the inputs HubSpot reported created or updated, in one call to the
    /// store; the others keep their old entries.
    pub(crate) fn settle<'a, V: ApiVersion>(
        &mut self,
        done: impl Iterator<Item = (u64, &'a OutcomeKind<V>)>,
    ) -> Result<(), SyncStateError> {
        let mut accepted = Vec::new();
        let mut learned = None;
        for (position, kind) in done {
            let Some((key, fingerprint)) = self.pending.remove(&position) else {
                continue;
            };
            let Some(record_id) = kind.record_id() else {
                continue;
            };
            if !self.account_known
                && learned.is_none()
                && let Some(url) = kind.record().and_then(UpsertedRecord::url)
            {
                learned = account_from_record_url(url);
            }
            accepted.push(Accepted {
                key,
                fingerprint,
                record_id: record_id.to_owned(),
            });
        }
        if let Some(account) = learned {
            self.store.learn_account(&account)?;
            self.account_known = true;
        }
        if !accepted.is_empty() {
            self.store.save(&accepted)?;
        }
        Ok(())
    }

    /// The whole input was read and answered: how many stored keys it did not hold.
    pub(crate) fn close_input(&mut self) -> Result<u64, SyncStateError> {
        self.store.close_input(&self.seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_fingerprint_ignores_order_and_sees_every_change() {
        let a = fingerprint(&props(&[("firstname", "Ada"), ("city", "London")]));
        let b = fingerprint(&props(&[("city", "London"), ("firstname", "Ada")]));
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint(&props(&[("firstname", "Ada"), ("city", "Paris")]))
        );
        assert_ne!(a, fingerprint(&props(&[("firstname", "Ada")])));
        // Lengths keep names and values apart: "ab"="c" is not "a"="bc".
        assert_ne!(
            fingerprint(&props(&[("ab", "c")])),
            fingerprint(&props(&[("a", "bc")]))
        );
        // The algorithm is fixed: a state written today reads the same tomorrow.
        assert_eq!(fingerprint(&props(&[])), xxh3_64(b""));
        assert_eq!(
            fingerprint(&props(&[("a", "b")])),
            xxh3_64(b"\x01\0\0\0\0\0\0\0a\x01\0\0\0\0\0\0\0b")
        );
    }

    #[test]
    fn email_keys_are_folded_to_lower_case_and_others_kept() {
        assert_eq!(record_key("Ada@Example.com", "email"), "ada@example.com");
        assert_eq!(record_key("AB-1", "external_id"), "AB-1");
    }

    #[test]
    fn the_account_is_read_from_a_record_url() {
        assert_eq!(
            account_from_record_url("https://app.hubspot.com/contacts/62515981/record/0-1/51"),
            Some("62515981".to_string())
        );
        assert_eq!(
            account_from_record_url("https://app-eu1.hubspot.com/contacts/139/record/2-77/9"),
            Some("139".to_string())
        );
        assert_eq!(account_from_record_url("https://app.hubspot.com/"), None);
        assert_eq!(account_from_record_url("not a url"), None);
    }

    #[test]
    fn seen_keys_tell_a_repeat() {
        let mut seen = SeenKeys::default();
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        assert!(seen.contains("a") && !seen.contains("b"));
        assert_eq!(seen.len(), 1);
    }
}
