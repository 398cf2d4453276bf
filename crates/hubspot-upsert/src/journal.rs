//! The resume journal: an append-only NDJSON file of completed input ranges.
//!
//! The first line names the run (input, object type, id property) so that a journal is not
//! reused by mistake for another file. Each later line is one commit: the record indices
//! completed since the previous commit, and the report's durable length at that moment. A
//! commit is written after the report lines it covers are synced, and is itself synced before
//! the run goes on, so after a kill at any moment:
//! - every record in the journal has its report line (none lost), and
//! - report lines past the last commit are cut on resume and their records sent again
//!   (none reported twice; upsert by a unique id is idempotent).
//!
//! A kill can tear the journal's last line; a final line without its newline is ignored.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ranges::RangeSet;

/// The journal format's version, written in its first line.
const FORMAT_VERSION: u32 = 1;

/// What a journal's first line records about the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// Always `hubspot-upsert`, to recognise the file.
    pub journal: String,
    /// The format version.
    pub version: u32,
    /// The input's name (a path, or `stdin`).
    pub input: String,
    /// The object type written to.
    pub object_type: String,
    /// The id property records are matched on.
    pub id_property: String,
}

impl JournalHeader {
    /// The header for a run over `input` into `object_type` by `id_property`.
    pub fn new(input: &str, object_type: &str, id_property: &str) -> JournalHeader {
        JournalHeader {
            journal: "hubspot-upsert".into(),
            version: FORMAT_VERSION,
            input: input.into(),
            object_type: object_type.into(),
            id_property: id_property.into(),
        }
    }
}

/// One commit line.
#[derive(Debug, Serialize, Deserialize)]
struct Commit {
    /// Record indices completed since the previous commit.
    done: RangeSet,
    /// The report's durable length in bytes, when there is a report.
    report_bytes: Option<u64>,
}

/// A problem with the journal file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be read or written.
    #[error("resume journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A line that is not a journal line.
    #[error("resume journal {path}, line {line}: not a hubspot-upsert journal line ({message})")]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// The journal belongs to another run.
    #[error(
        "resume journal {path} belongs to another run (input {found_input}, object type {found_type}, id property {found_id}); \
         use a new journal file for this one"
    )]
    OtherRun {
        /// The journal file.
        path: PathBuf,
        /// The input the journal was written for.
        found_input: String,
        /// Its object type.
        found_type: String,
        /// Its id property.
        found_id: String,
    },
}

/// What an existing journal says is already done.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResumeState {
    /// Record indices completed by earlier runs.
    pub done: RangeSet,
    /// The report's length at the last commit, if the earlier runs wrote a report.
    pub report_bytes: Option<u64>,
}

/// An open journal, appending commits.
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens `path`, creating it with `header` if it does not exist, and reads what it records.
    pub fn open(
        path: &Path,
        header: &JournalHeader,
    ) -> Result<(Journal, ResumeState), JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io_err)?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(io_err)?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
        };
        if complete_lines(&text).is_empty() {
            // New, or killed while its header was being written.
            journal.file.set_len(0).map_err(io_err)?;
            let mut line = serde_json::to_vec(header).map_err(|e| io_err(e.into()))?;
            line.push(b'\n');
            journal.append(&line)?;
            sync_parent_dir(path);
            return Ok((journal, ResumeState::default()));
        }
        let complete = complete_lines(&text);
        let state = journal.parse(complete, header)?;
        if complete.len() < text.len() {
            // A torn final line from a kill: cut it so the next commit starts on a line of its own.
            journal
                .file
                .set_len(complete.len() as u64)
                .and_then(|()| journal.file.sync_data())
                .map_err(io_err)?;
        }
        Ok((journal, state))
    }

    fn parse(&self, text: &str, header: &JournalHeader) -> Result<ResumeState, JournalError> {
        let corrupt = |line: usize, message: String| JournalError::Corrupt {
            path: self.path.clone(),
            line,
            message,
        };
        let mut lines = text.lines().enumerate();
        let Some((_, first)) = lines.next() else {
            return Ok(ResumeState::default());
        };
        let found: JournalHeader =
            serde_json::from_str(first).map_err(|e| corrupt(1, e.to_string()))?;
        if found.journal != "hubspot-upsert" || found.version != FORMAT_VERSION {
            return Err(corrupt(
                1,
                format!("unknown journal format {}", found.version),
            ));
        }
        if found.input != header.input
            || found.object_type != header.object_type
            || found.id_property != header.id_property
        {
            return Err(JournalError::OtherRun {
                path: self.path.clone(),
                found_input: found.input,
                found_type: found.object_type,
                found_id: found.id_property,
            });
        }
        let mut state = ResumeState::default();
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let commit: Commit =
                serde_json::from_str(line).map_err(|e| corrupt(i + 1, e.to_string()))?;
            state.done.extend(&commit.done);
            if commit.report_bytes.is_some() {
                state.report_bytes = commit.report_bytes;
            }
        }
        Ok(state)
    }

    /// Durably records that the records in `done` are finished and reported, with the
    /// report's durable length. Returns once the line is synced to disk.
    pub fn commit(
        &mut self,
        done: &RangeSet,
        report_bytes: Option<u64>,
    ) -> Result<(), JournalError> {
        let commit = Commit {
            done: done.clone(),
            report_bytes,
        };
        let mut line = serde_json::to_vec(&commit).map_err(|e| JournalError::Io {
            path: self.path.clone(),
            source: e.into(),
        })?;
        line.push(b'\n');
        self.append(&line)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), JournalError> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| JournalError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// The text up to and including its last newline: a final line without one was torn by a kill.
fn complete_lines(text: &str) -> &str {
    text.rfind('\n').map_or("", |i| &text[..=i])
}

/// Syncs the directory holding a newly created file so the file's name survives a crash too.
fn sync_parent_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(dir = %dir.display(), error = %e, "could not sync the journal's directory");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> JournalHeader {
        JournalHeader::new("people.csv", "contacts", "email")
    }

    fn range(s: u64, e: u64) -> RangeSet {
        let mut r = RangeSet::new();
        r.insert_range(s, e);
        r
    }

    #[test]
    fn a_new_journal_resumes_nothing_and_reopens_with_its_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let (mut j, state) = Journal::open(&path, &header()).expect("create");
        assert_eq!(state, ResumeState::default());
        j.commit(&range(0, 100), Some(5000)).expect("commit");
        j.commit(&range(200, 300), Some(9000)).expect("commit");
        j.commit(&range(100, 200), None).expect("commit");
        drop(j);
        let (_, state) = Journal::open(&path, &header()).expect("reopen");
        assert_eq!(state.done.ranges(), &[(0, 300)]);
        assert_eq!(state.report_bytes, Some(9000));
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_later_commits_still_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let (mut j, _) = Journal::open(&path, &header()).expect("create");
        j.commit(&range(0, 10), Some(10)).expect("commit");
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"done\":[[10,2").expect("tear");
        drop(f);
        let (mut j, state) = Journal::open(&path, &header()).expect("reopen torn");
        assert_eq!(state.done.ranges(), &[(0, 10)]);
        j.commit(&range(10, 20), Some(20))
            .expect("commit after tear");
        drop(j);
        let (_, state) = Journal::open(&path, &header()).expect("reopen");
        assert_eq!(state.done.ranges(), &[(0, 20)]);
        assert_eq!(state.report_bytes, Some(20));
    }

    #[test]
    fn a_journal_of_another_run_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        Journal::open(&path, &header()).expect("create");
        let other = JournalHeader::new("other.csv", "contacts", "email");
        let err = Journal::open(&path, &other).err().expect("refused");
        assert!(
            err.to_string()
                .contains("belongs to another run (input people.csv")
        );
    }

    #[test]
    fn a_corrupt_middle_line_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let mut text = serde_json::to_string(&header()).expect("json");
        text.push_str("\ngarbage\n{\"done\":[],\"report_bytes\":null}\n");
        std::fs::write(&path, text).expect("write");
        let err = Journal::open(&path, &header()).err().expect("corrupt");
        assert!(
            err.to_string()
                .contains(", line 2: not a hubspot-upsert journal line")
        );
    }
}
