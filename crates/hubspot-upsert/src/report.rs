//! The per-record report: NDJSON, one line per input record, written as outcomes arrive.
//!
//! # The report's format
//! One JSON object per line, as [`ReportLine`] (and `hubspot-upsert schema report`) describes
//! it. Fields and their text stay the same across releases; new optional fields may appear.
//! `error_category` is one upper-case word:
//! - HubSpot's own category, as HubSpot sent it: `VALIDATION_ERROR`, `CONFLICT`,
//!   `OBJECT_NOT_FOUND`, `RATE_LIMIT`, ... (HubSpot adds categories without notice);
//! - the client's causes (`hubspot_crm::FailureCause::code`): `UNKNOWN` (HubSpot refused the
//!   record without a category), `HTTP_<status>` (an unsuccessful status without a category),
//!   `AUTH`, `DAILY_LIMIT`, `TRANSPORT`, `TIMEOUT`, `DECODE`, `NOT_IN_RESPONSE`,
//!   `PROPERTY_CHECK` (refused before sending by `--property-schema` or a value with no text),
//!   `RUN_STOPPED`, `INTERNAL`;
//! - this tool's checks before sending (`checks::RowProblem::code`): `MISSING_ID`,
//!   `UNKNOWN_PROPERTY`, `MALFORMED_ROW`.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What happened to one input record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// HubSpot created a new record.
    Created,
    /// HubSpot updated an existing record.
    Updated,
    /// The record was refused, by HubSpot or by the input checks; see the error fields.
    Failed,
    /// The record was never sent (the run was interrupted or stopped by a fatal error).
    NotAttempted,
    /// Not sent: the --state file says HubSpot accepted these very values before.
    Unchanged,
}

/// One line of the report, as `hubspot-upsert schema report` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReportLine {
    /// 1-based line of the input where the record starts.
    pub line: u64,
    /// The record's id (the value of the id property), when it had one.
    pub id: Option<String>,
    /// What happened to the record.
    pub outcome: Outcome,
    /// HubSpot's record id (a numeric string) for created, updated and unchanged records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// For created and updated records: HubSpot's `createdAt`, when the record was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// For created and updated records: HubSpot's `updatedAt`, when the record last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// For failures: a short machine-readable category, such as HubSpot's
    /// `VALIDATION_ERROR`, the client's `TIMEOUT` or this tool's `MISSING_ID` (the list is in
    /// the module's docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_category: Option<String>,
    /// For failures: the message explaining what was wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// For failures HubSpot explained: the `code` of each of its error details, such as
    /// `INVALID_EMAIL`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
}

/// A failure to write the report.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report {path}: {source}")]
pub struct ReportError {
    /// The report file.
    pub path: PathBuf,
    /// The underlying I/O error.
    #[source]
    pub source: io::Error,
}

/// Appends report lines to a file and tells how many bytes are durably written.
pub struct ReportWriter {
    path: PathBuf,
    out: BufWriter<File>,
    /// Bytes written so far (buffered or not), from the start of the file.
    written: u64,
    line: Vec<u8>,
}

impl ReportWriter {
    /// Creates (or empties) the report file.
    pub fn create(path: &Path) -> Result<ReportWriter, ReportError> {
        let file = File::create(path).map_err(|source| ReportError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ReportWriter::over(path, file, 0))
    }

    /// Reopens a report from an interrupted run, cutting it back to `keep` bytes: the part
    /// covered by the resume journal. Lines past that point belong to records that will be
    /// sent again, so keeping them would report those records twice.
    pub fn resume(path: &Path, keep: u64) -> Result<ReportWriter, ReportError> {
        let err = |source| ReportError {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(err)?;
        let len = file.metadata().map_err(err)?.len();
        if len < keep {
            return Err(err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "it has {len} bytes but the resume journal recorded {keep}; \
                     pass the report file of the run being resumed"
                ),
            )));
        }
        file.set_len(keep).map_err(err)?;
        file.seek(SeekFrom::Start(keep)).map_err(err)?;
        Ok(ReportWriter::over(path, file, keep))
    }

    fn over(path: &Path, file: File, written: u64) -> ReportWriter {
        ReportWriter {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            written,
            line: Vec::with_capacity(256),
        }
    }

    /// Appends one line (buffered).
    pub fn write(&mut self, entry: &ReportLine) -> Result<(), ReportError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, entry).map_err(|e| self.error(e.into()))?;
        self.line.push(b'\n');
        self.out.write_all(&self.line).map_err(|e| ReportError {
            path: self.path.clone(),
            source: e,
        })?;
        self.written += self.line.len() as u64;
        Ok(())
    }

    /// Flushes and syncs to disk, returning the file's length, now durable.
    pub fn commit(&mut self) -> Result<u64, ReportError> {
        self.out.flush().map_err(|e| self.error(e))?;
        self.out.get_ref().sync_data().map_err(|e| self.error(e))?;
        Ok(self.written)
    }

    fn error(&self, source: io::Error) -> ReportError {
        ReportError {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(line: u64) -> ReportLine {
        ReportLine {
            line,
            id: Some(format!("p{line}@x.io")),
            outcome: Outcome::Failed,
            record_id: None,
            created_at: None,
            updated_at: None,
            error_category: Some("VALIDATION_ERROR".into()),
            error_message: Some("bad email".into()),
            error_codes: vec!["INVALID_EMAIL".into()],
        }
    }

    #[test]
    fn lines_are_ndjson_with_snake_case_outcomes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.ndjson");
        let mut w = ReportWriter::create(&path).expect("create");
        w.write(&ReportLine {
            line: 2,
            id: Some("a@x.io".into()),
            outcome: Outcome::Created,
            record_id: Some("101".into()),
            created_at: None,
            updated_at: None,
            error_category: None,
            error_message: None,
            error_codes: Vec::new(),
        })
        .expect("write");
        w.write(&failed(3)).expect("write");
        let len = w.commit().expect("commit");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(len, text.len() as u64);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"line":2,"id":"a@x.io","outcome":"created","record_id":"101"}"#
        );
        let back: ReportLine = serde_json::from_str(lines[1]).expect("parses back");
        assert_eq!(back, failed(3));
    }

    #[test]
    fn resume_cuts_the_uncommitted_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.ndjson");
        let mut w = ReportWriter::create(&path).expect("create");
        w.write(&failed(2)).expect("write");
        let kept = w.commit().expect("commit");
        w.write(&failed(3)).expect("write");
        w.commit().expect("commit");
        drop(w);
        let mut w = ReportWriter::resume(&path, kept).expect("resume");
        w.write(&failed(4)).expect("write");
        w.commit().expect("commit");
        let lines: Vec<u64> = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .map(|l| serde_json::from_str::<ReportLine>(l).expect("line").line)
            .collect();
        assert_eq!(lines, vec![2, 4]);
    }

    #[test]
    fn resume_refuses_a_report_shorter_than_the_journal_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.ndjson");
        std::fs::write(&path, "{}\n").expect("write");
        let err = ReportWriter::resume(&path, 100).err().expect("too short");
        assert!(
            err.to_string()
                .contains("has 3 bytes but the resume journal recorded 100")
        );
    }
}
