//! Errors from starting a mock server.

use std::net::SocketAddr;

/// Why a mock server could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The address could not be bound (in use, or not a local address).
    #[error("hubspot-crm-mock could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A record given to [`crate::MockConfig::existing_record`] cannot be stored.
    #[error(
        "hubspot-crm-mock cannot start with the existing {object_type} record #{index}: {reason}"
    )]
    ExistingRecord {
        /// The object type it was given for.
        object_type: String,
        /// Its position among the existing records, from 0.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The dedicated server thread could not be started or its runtime built.
    #[error("hubspot-crm-mock could not start its server thread: {0}")]
    Thread(std::io::Error),
}
