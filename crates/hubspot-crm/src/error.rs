//! [`Error`]: a configuration or an argument refused before any request was sent, or a token
//! provider that could not supply a token.
//!
//! Failures of requests are never an `Error`: each input of a bulk run ends with its own
//! [`RecordOutcome`](crate::RecordOutcome), whose [`FailureCause`](crate::FailureCause) says
//! why it failed.

/// A configuration or an argument refused before any request was sent, or a token provider
/// that could not supply a token.
///
/// The message names what was refused and why; it never contains the access token.
///
/// ```
/// use hubspot_crm::{Error, ObjectType};
/// let err = "contacts/x".parse::<ObjectType>().unwrap_err();
/// assert!(matches!(err, Error::InvalidInput { what: "object type", .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or configuration value was refused before any request was sent.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument or setting, e.g. `base URL` or `object type`.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A [`TokenProvider`](crate::TokenProvider) could not supply a token (an OAuth refresh
    /// failed, say). Implementations return it; a bulk run reports it on each input it
    /// stops, with cause [`FailureCause::Auth`](crate::FailureCause::Auth).
    #[error("the token provider could not supply a token: {message}")]
    TokenProvider {
        /// The provider's explanation, which must not contain a token.
        message: String,
    },
}

impl Error {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_what_and_why() {
        let err = Error::invalid("base URL", "it has no host");
        assert_eq!(err.to_string(), "invalid base URL: it has no host");
    }
}
