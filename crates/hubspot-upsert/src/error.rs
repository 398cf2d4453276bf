//! Fatal errors: each ends the program with exit status 1 and a one-line cause.

use crate::input::InputError;
use crate::journal::JournalError;
use crate::report::ReportError;

/// A failure that stops the whole run.
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    /// The input is unreadable or malformed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The report could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The resume journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The --state file cannot be used.
    #[error(transparent)]
    State(#[from] hubspot_crm::sync_state::SyncStateError),
    /// No access token in the environment.
    #[error(
        "no access token: set the environment variable {env} to a HubSpot private app or OAuth access token \
         (or try --mock, or --dry-run, which need none)"
    )]
    NoToken {
        /// The variable that was looked in.
        env: String,
    },
    /// The arguments do not fit together.
    #[error("{0}")]
    Usage(String),
    /// The HubSpot client could not be set up, or refused the run.
    #[error("{0}")]
    Client(String),
    /// The embedded mock could not start.
    #[error("cannot start the embedded mock: {0}")]
    Mock(String),
    /// Writing to standard output failed.
    #[error("cannot write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
}
