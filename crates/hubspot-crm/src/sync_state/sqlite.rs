//! [`SqliteSyncState`], the default [`SyncStore`]: one SQLite file.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};

use super::{Accepted, SeenKeys, StoredRecord, SyncScope, SyncStateError, SyncStore};

/// The `format` written in `meta`, to recognise a state file.
const FORMAT: &str = "hubspot-crm sync state";

/// The schema versions, each the migration that brings a file to it from the one before.
const MIGRATIONS: &[&str] = &[
    // 1: what HubSpot accepted, and what the file is for.
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE records (
         key TEXT PRIMARY KEY,
         fingerprint INTEGER NOT NULL,
         record_id NOT NULL,
         synced_at INTEGER NOT NULL
     ) WITHOUT ROWID;",
    // 2: the keys the last complete input did not hold, so that they can be listed.
    "CREATE TABLE not_in_last_input (key TEXT PRIMARY KEY) WITHOUT ROWID;",
];

/// The schema version this crate writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Pages of SQLite's cache (`PRAGMA cache_size`, negative: KiB): 16 MiB keeps the upper levels
/// of a million records' tree in memory; lookups below them are served by the OS page cache.
const CACHE_KIB: i64 = 16 * 1024;

/// The default [`SyncStore`], one SQLite file (SQLite is compiled into
/// the crate: no server, nothing to install).
///
/// The file can be opened with the `sqlite3` shell to see what was synced (when no run holds
/// it):
///
/// ```text
/// meta(name, value)                  format, object_type, id_property, base_url, account, created_at
/// records(key, fingerprint, record_id, synced_at)   one row per record HubSpot accepted
/// not_in_last_input(key)             keys the last complete input did not hold
/// ```
///
/// `synced_at` is in seconds since 1970 (`datetime(synced_at, 'unixepoch')`); `fingerprint` is
/// the XXH3-64 of the properties sent, as a signed 64-bit integer. `PRAGMA user_version` is the
/// schema version; a file of an older version is upgraded when opened, one of a newer version
/// refused.
///
/// # Safety against kills and a second run
/// The file is in WAL mode, and every [`SyncStore::save`] is one transaction (up to 100
/// records, one request's worth), written after HubSpot answered: a run killed at any point
/// (SIGKILL included) leaves every committed transaction, and nothing that HubSpot did not
/// accept; on the rerun only the records of requests in flight at the kill are sent again.
/// With `synchronous = NORMAL` a commit reaches the operating system before the run goes on
/// (so a killed process loses nothing) and the disk at each checkpoint: a power cut can lose
/// the last commits, which only means those records are sent again.
///
/// The connection holds SQLite's exclusive lock from opening to closing, so a second run on the
/// same file (another process or the same) gets [`SyncStateError::InUse`] at once and writes
/// nothing; the operating system drops the lock when a process dies, so a killed run does not
/// leave the file locked.
pub struct SqliteSyncState {
    path: PathBuf,
    conn: Connection,
    /// Whether lookups run in a read transaction left open: SQLite checks the file at the
    /// start of every transaction, which per lookup would be a large share of an unchanged
    /// record's CPU (BENCHMARKS.md, incremental scenario), and the lock is ours anyway.
    /// Every write ends it first, so a write is never held back by it.
    reading: Cell<bool>,
}

impl std::fmt::Debug for SqliteSyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSyncState")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteSyncState {
    /// Opens the state at `path`, creating it when missing, and takes its lock for as long as
    /// the value lives. The file is checked (a damaged or foreign file is refused with an error
    /// naming it) and upgraded to the current schema.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteSyncState, SyncStateError> {
        Self::open_with(path.as_ref(), SCHEMA_VERSION)
    }

    /// Opens a file and brings it to schema `version` only, as an older program would have.
    #[doc(hidden)]
    pub fn open_at_schema_version(
        path: impl AsRef<Path>,
        version: i64,
    ) -> Result<SqliteSyncState, SyncStateError> {
        Self::open_with(path.as_ref(), version)
    }

    fn open_with(path: &Path, target: i64) -> Result<SqliteSyncState, SyncStateError> {
        let path_buf = path.to_path_buf();
        // A file marked read-only is refused even where the process could write it anyway (as
        // root): its owner meant it to stay as it is.
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
            return Err(SyncStateError::ReadOnly { path: path_buf });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| SyncStateError::Open {
            path: path_buf.clone(),
            message: e.to_string(),
        })?;
        let mut state = SqliteSyncState {
            path: path_buf,
            conn,
            reading: Cell::new(false),
        };
        if state.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(SyncStateError::ReadOnly { path: state.path });
        }
        state.setup(target)?;
        Ok(state)
    }

    fn setup(&mut self, target: i64) -> Result<(), SyncStateError> {
        // No waiting for a lock: a second run is refused at once.
        self.conn
            .busy_timeout(std::time::Duration::ZERO)
            .map_err(|e| self.error(e))?;
        self.conn
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(|e| self.error(e))?;
        // The first read of the file: a file that is not SQLite fails here.
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| self.error(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SyncStateError::Storage {
                path: self.path.clone(),
                message: format!("SQLite kept journal mode {mode} instead of WAL"),
            });
        }
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.error(e))?;
        self.conn
            .pragma_update(None, "cache_size", -CACHE_KIB)
            .map_err(|e| self.error(e))?;
        // Take the write lock now and keep it (exclusive locking mode) until the connection
        // closes: a second run fails here.
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.error(e))?;
        let result = self.check_and_migrate(target);
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.conn.execute_batch(end).map_err(|e| self.error(e));
        result.and(ended)
    }

    fn check_and_migrate(&mut self, target: i64) -> Result<(), SyncStateError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.error(e))?;
        if version > SCHEMA_VERSION {
            return Err(SyncStateError::NewerSchema {
                path: self.path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version == 0 {
            let tables: i64 = self
                .conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
                .map_err(|e| self.error(e))?;
            if tables > 0 {
                return Err(SyncStateError::NotAState {
                    path: self.path.clone(),
                    reason: "a SQLite database with other tables".into(),
                });
            }
        } else {
            let format: Option<String> = self
                .conn
                .query_row("SELECT value FROM meta WHERE name = 'format'", [], |row| {
                    row.get(0)
                })
                .optional()
                .map_err(|e| self.error(e))?;
            if format.as_deref() != Some(FORMAT) {
                return Err(SyncStateError::NotAState {
                    path: self.path.clone(),
                    reason: format!("its meta table names the format {format:?}"),
                });
            }
            // A truncated or partly overwritten file: SQLite reads it lazily, so look now,
            // before the run relies on it.
            let check: String = self
                .conn
                .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
                .map_err(|e| self.error(e))?;
            if check != "ok" {
                return Err(SyncStateError::Damaged {
                    path: self.path.clone(),
                    detail: check,
                });
            }
        }
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let to = index as i64 + 1;
            if to <= version || to > target {
                continue;
            }
            self.conn
                .execute_batch(migration)
                .map_err(|e| self.error(e))?;
            self.conn
                .pragma_update(None, "user_version", to)
                .map_err(|e| self.error(e))?;
            if to == 1 {
                self.set_meta("format", FORMAT)?;
                self.set_meta("created_at", &Utc::now().to_rfc3339())?;
            }
            tracing::info!(path = %self.path.display(), version = to, "sync state schema upgraded");
        }
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> Result<i64, SyncStateError> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.error(e))
    }

    /// What the state is for, once a run has bound it.
    pub fn scope(&self) -> Result<Option<SyncScope>, SyncStateError> {
        let Some(object_type) = self.meta("object_type")? else {
            return Ok(None);
        };
        Ok(Some(SyncScope {
            object_type,
            id_property: self.meta("id_property")?.unwrap_or_default(),
            base_url: self.meta("base_url")?.unwrap_or_default(),
            account: self.meta("account")?,
        }))
    }

    /// How many records the state holds.
    pub fn len(&self) -> Result<u64, SyncStateError> {
        self.conn
            .query_row("SELECT count(*) FROM records", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.error(e))
    }

    /// Whether the state holds no record.
    pub fn is_empty(&self) -> Result<bool, SyncStateError> {
        self.len().map(|n| n == 0)
    }

    /// Calls `each` with every key the last complete input did not hold (in key order), and
    /// returns how many there are. A deletion in the source is yours to act on: this crate
    /// does not archive records.
    pub fn not_in_last_input(&self, mut each: impl FnMut(&str)) -> Result<u64, SyncStateError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key FROM not_in_last_input ORDER BY key")
            .map_err(|e| self.error(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.error(e))?;
        let mut n = 0;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            let key: String = row.get(0).map_err(|e| self.error(e))?;
            each(&key);
            n += 1;
        }
        Ok(n)
    }

    fn meta(&self, name: &str) -> Result<Option<String>, SyncStateError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| self.error(e))
    }

    fn set_meta(&self, name: &str, value: &str) -> Result<(), SyncStateError> {
        self.end_reading()?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
                [name, value],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Ends the read transaction the lookups left open, if any (it wrote nothing).
    fn end_reading(&self) -> Result<(), SyncStateError> {
        if self.reading.replace(false) {
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// Sorts SQLite's errors into the ones a user can act on.
    fn error(&self, e: rusqlite::Error) -> SyncStateError {
        let path = self.path.clone();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                SyncStateError::InUse { path }
            }
            Some(ErrorCode::NotADatabase) => SyncStateError::NotAState {
                path,
                reason: "not a SQLite database".into(),
            },
            Some(ErrorCode::DatabaseCorrupt) => SyncStateError::Damaged {
                path,
                detail: e.to_string(),
            },
            Some(ErrorCode::ReadOnly) => SyncStateError::ReadOnly { path },
            _ => SyncStateError::Storage {
                path,
                message: e.to_string(),
            },
        }
    }
}

impl SyncStore for SqliteSyncState {
    fn bind(&mut self, scope: &SyncScope) -> Result<(), SyncStateError> {
        match self.scope()? {
            None => {
                self.end_reading()?;
                let tx = self
                    .conn
                    .unchecked_transaction()
                    .map_err(|e| self.error(e))?;
                let set = |name: &str, value: &str| {
                    tx.execute(
                        "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
                        [name, value],
                    )
                };
                let written = set("object_type", &scope.object_type)
                    .and_then(|_| set("id_property", &scope.id_property))
                    .and_then(|_| set("base_url", &scope.base_url))
                    .and_then(|_| match &scope.account {
                        Some(account) => set("account", account).map(drop),
                        None => Ok(()),
                    });
                match written.and_then(|()| tx.commit()) {
                    Ok(()) => Ok(()),
                    Err(e) => Err(self.error(e)),
                }
            }
            Some(recorded) => {
                let differs = |what, recorded: &str, given: &str| {
                    Err(SyncStateError::OtherScope {
                        path: self.path.clone(),
                        what,
                        recorded: recorded.to_owned(),
                        given: given.to_owned(),
                    })
                };
                if !recorded
                    .object_type
                    .eq_ignore_ascii_case(&scope.object_type)
                {
                    return differs("object type", &recorded.object_type, &scope.object_type);
                }
                if !recorded
                    .id_property
                    .eq_ignore_ascii_case(&scope.id_property)
                {
                    return differs("id property", &recorded.id_property, &scope.id_property);
                }
                // Scheme and host are read without regard to case.
                if !recorded
                    .base_url
                    .trim_end_matches('/')
                    .eq_ignore_ascii_case(scope.base_url.trim_end_matches('/'))
                {
                    return differs("base URL", &recorded.base_url, &scope.base_url);
                }
                match (&recorded.account, &scope.account) {
                    (Some(r), Some(g)) if r != g => differs("account", r, g),
                    (None, Some(g)) => self.set_meta("account", g),
                    _ => Ok(()),
                }
            }
        }
    }

    fn learn_account(&mut self, account: &str) -> Result<(), SyncStateError> {
        match self.meta("account")? {
            Some(recorded) if recorded != account => Err(SyncStateError::OtherScope {
                path: self.path.clone(),
                what: "account",
                recorded,
                given: account.to_owned(),
            }),
            Some(_) => Ok(()),
            None => self.set_meta("account", account),
        }
    }

    fn get(&mut self, key: &str) -> Result<Option<StoredRecord>, SyncStateError> {
        if !self.reading.get() {
            self.conn
                .execute_batch("BEGIN")
                .map_err(|e| self.error(e))?;
            self.reading.set(true);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT fingerprint, record_id, synced_at FROM records WHERE key = ?1")
            .map_err(|e| self.error(e))?;
        stmt.query_row([key], |row| {
            let fingerprint: i64 = row.get(0)?;
            let record_id = match row.get_ref(1)? {
                ValueRef::Integer(n) => n.to_string(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                other => format!("{other:?}"),
            };
            let synced_at: i64 = row.get(2)?;
            Ok(StoredRecord {
                fingerprint: fingerprint as u64,
                record_id,
                synced_at: DateTime::from_timestamp(synced_at, 0).unwrap_or_default(),
            })
        })
        .optional()
        .map_err(|e| self.error(e))
    }

    fn save(&mut self, accepted: &[Accepted]) -> Result<(), SyncStateError> {
        let now = Utc::now().timestamp();
        self.end_reading()?;
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.error(e))?;
        let written = (|| {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO records (key, fingerprint, record_id, synced_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for record in accepted {
                // HubSpot's ids are numeric strings: kept as integers, they take half the room.
                let record_id = match record.record_id.parse::<i64>() {
                    Ok(n) if n.to_string() == record.record_id => Value::Integer(n),
                    _ => Value::Text(record.record_id.clone()),
                };
                stmt.execute(params![
                    record.key,
                    record.fingerprint as i64,
                    record_id,
                    now
                ])?;
            }
            Ok::<(), rusqlite::Error>(())
        })();
        match written.and_then(|()| tx.commit()) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    fn close_input(&mut self, seen: &SeenKeys) -> Result<u64, SyncStateError> {
        self.end_reading()?;
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.error(e))?;
        let counted = (|| {
            tx.execute("DELETE FROM not_in_last_input", [])?;
            let mut keys = tx.prepare("SELECT key FROM records")?;
            let mut insert = tx.prepare("INSERT INTO not_in_last_input (key) VALUES (?1)")?;
            let mut rows = keys.query([])?;
            let mut gone = 0u64;
            while let Some(row) = rows.next()? {
                let key = row.get_ref(0)?.as_str()?;
                if !seen.contains(key) {
                    insert.execute([key])?;
                    gone += 1;
                }
            }
            Ok::<u64, rusqlite::Error>(gone)
        })();
        match counted {
            Ok(gone) => match tx.commit() {
                Ok(()) => Ok(gone),
                Err(e) => Err(self.error(e)),
            },
            Err(e) => Err(self.error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> SyncScope {
        SyncScope {
            object_type: "contacts".into(),
            id_property: "email".into(),
            base_url: "http://127.0.0.1:9".into(),
            account: None,
        }
    }

    fn accepted(key: &str, fingerprint: u64, record_id: &str) -> Accepted {
        Accepted {
            key: key.into(),
            fingerprint,
            record_id: record_id.into(),
        }
    }

    #[test]
    fn entries_survive_a_reopen_and_ids_read_back_as_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let mut state = SqliteSyncState::open(&path).expect("create");
        state.bind(&scope()).expect("bind");
        state
            .save(&[
                accepted("a@x.io", 1, "101"),
                accepted("b@x.io", u64::MAX, "00x"),
            ])
            .expect("save");
        drop(state);
        let mut state = SqliteSyncState::open(&path).expect("reopen");
        state.bind(&scope()).expect("same scope");
        let a = state.get("a@x.io").expect("get").expect("a stored");
        assert_eq!((a.fingerprint, a.record_id.as_str()), (1, "101"));
        let b = state.get("b@x.io").expect("get").expect("b stored");
        assert_eq!((b.fingerprint, b.record_id.as_str()), (u64::MAX, "00x"));
        assert!(state.get("c@x.io").expect("get").is_none());
        assert_eq!(state.len().expect("len"), 2);
        assert_eq!(state.schema_version().expect("version"), SCHEMA_VERSION);
    }

    #[test]
    fn another_scope_is_refused_and_an_account_is_learned_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let mut state = SqliteSyncState::open(&path).expect("create");
        state.bind(&scope()).expect("bind");
        for (other, what) in [
            (
                SyncScope {
                    object_type: "companies".into(),
                    ..scope()
                },
                "object type",
            ),
            (
                SyncScope {
                    id_property: "external_id".into(),
                    ..scope()
                },
                "id property",
            ),
            (
                SyncScope {
                    base_url: "https://api.hubapi.com".into(),
                    ..scope()
                },
                "base URL",
            ),
        ] {
            let err = state.bind(&other).expect_err("refused");
            assert!(
                matches!(&err, SyncStateError::OtherScope { what: w, .. } if *w == what),
                "{err}"
            );
        }
        state.learn_account("111").expect("learned");
        state.learn_account("111").expect("same again");
        let err = state.learn_account("222").expect_err("another account");
        assert_eq!(
            err.to_string(),
            format!(
                "sync state {}: it is the state of account \"111\", not \"222\"; a state records what one account's object type received through one id property, so use another state file for this run",
                path.display()
            )
        );
        let err = state
            .bind(&SyncScope {
                account: Some("222".into()),
                ..scope()
            })
            .expect_err("another account");
        assert!(err.to_string().contains("account \"111\""), "{err}");
    }

    #[test]
    fn keys_not_in_the_input_are_counted_and_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = SqliteSyncState::open(dir.path().join("s.db")).expect("create");
        state.bind(&scope()).expect("bind");
        state
            .save(&[
                accepted("a", 1, "1"),
                accepted("b", 2, "2"),
                accepted("c", 3, "3"),
            ])
            .expect("save");
        let mut seen = SeenKeys::default();
        seen.insert("b");
        seen.insert("new");
        assert_eq!(state.close_input(&seen).expect("close"), 2);
        let mut listed = Vec::new();
        let n = state
            .not_in_last_input(|k| listed.push(k.to_string()))
            .expect("list");
        assert_eq!((n, listed), (2, vec!["a".to_string(), "c".to_string()]));
    }
}
