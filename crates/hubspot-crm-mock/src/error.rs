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
    /// The dedicated server thread could not be started or its runtime built.
    #[error("hubspot-crm-mock could not start its server thread: {0}")]
    Thread(std::io::Error),
}
