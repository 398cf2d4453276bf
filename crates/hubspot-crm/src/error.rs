//! The crate's one error type, [`Error`], and [`ErrorKind`] to match on it coarsely.
//!
//! Errors never contain the access token: messages are built from HubSpot's response bodies
//! (which do not echo the `Authorization` header) and from our own descriptions.

use std::time::Duration;

/// What went wrong with a call, a build or an input.
///
/// Match on [`Error::kind`] when you only care about the class of failure. Every variant that
/// comes from a HubSpot response carries HubSpot's `correlationId` when the response had one;
/// quote it when asking HubSpot for help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// HubSpot refused the credentials (401) or their scopes (403), or the token provider
    /// could not supply a token.
    #[error("authentication failed{}: {message}{}", status_suffix(*status), corr_suffix(correlation_id))]
    Auth {
        /// The HTTP status, when the failure came from a response.
        status: Option<u16>,
        /// HubSpot's or the token provider's explanation.
        message: String,
        /// HubSpot's id for the failed request.
        correlation_id: Option<String>,
    },
    /// The account's daily request quota is spent (`429` with `policyName: DAILY`); it resets
    /// at midnight in the account's time zone, so retrying within the run is pointless.
    #[error(
        "daily API request limit reached: {message}{}",
        corr_suffix(correlation_id)
    )]
    RateLimitDaily {
        /// HubSpot's explanation.
        message: String,
        /// HubSpot's id for the failed request.
        correlation_id: Option<String>,
    },
    /// The ten-second rolling limit was hit and retries did not get through.
    #[error("rate limited by HubSpot: {message}{}", corr_suffix(correlation_id))]
    RateLimited {
        /// HubSpot's explanation.
        message: String,
        /// HubSpot's id for the failed request.
        correlation_id: Option<String>,
    },
    /// HubSpot rejected the request's content (400, 409, 422).
    #[error(
        "HubSpot rejected the request (HTTP {status}, {category}): {message}{}",
        corr_suffix(correlation_id)
    )]
    Validation {
        /// The HTTP status.
        status: u16,
        /// HubSpot's category, such as `VALIDATION_ERROR`.
        category: String,
        /// HubSpot's explanation.
        message: String,
        /// HubSpot's id for the failed request.
        correlation_id: Option<String>,
    },
    /// Any other unsuccessful HTTP status (404, 5xx after retries, unexpected redirects, ...).
    #[error(
        "HubSpot answered HTTP {status} ({category}): {message}{}",
        corr_suffix(correlation_id)
    )]
    Http {
        /// The HTTP status.
        status: u16,
        /// HubSpot's category, or a description of the status when the body had none.
        category: String,
        /// HubSpot's explanation.
        message: String,
        /// HubSpot's id for the failed request.
        correlation_id: Option<String>,
    },
    /// The request could not be sent or its response could not be read (connection refused,
    /// reset, TLS failure, body cut short).
    #[error("transport error: {message}")]
    Transport {
        /// What failed, without the request's headers.
        message: String,
    },
    /// No complete response arrived within the configured timeout.
    #[error("request timed out after {after:?}")]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// A response arrived but its body was not what the API describes.
    #[error("could not decode HubSpot's response (HTTP {status}): {message}")]
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// What did not decode.
        message: String,
    },
    /// An argument or configuration value was refused before any request was sent.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument or setting, e.g. `base URL` or `object type`.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
}

/// The class of an [`Error`], for matching without destructuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::Auth`].
    Auth,
    /// See [`Error::RateLimitDaily`].
    RateLimitDaily,
    /// See [`Error::RateLimited`].
    RateLimited,
    /// See [`Error::Validation`].
    Validation,
    /// See [`Error::Http`].
    Http,
    /// See [`Error::Transport`].
    Transport,
    /// See [`Error::Timeout`].
    Timeout,
    /// See [`Error::Decode`].
    Decode,
    /// See [`Error::InvalidInput`].
    InvalidInput,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Auth { .. } => ErrorKind::Auth,
            Error::RateLimitDaily { .. } => ErrorKind::RateLimitDaily,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Validation { .. } => ErrorKind::Validation,
            Error::Http { .. } => ErrorKind::Http,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
        }
    }

    /// HubSpot's `correlationId` for the failed request, when the response carried one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Auth { correlation_id, .. }
            | Error::RateLimitDaily { correlation_id, .. }
            | Error::RateLimited { correlation_id, .. }
            | Error::Validation { correlation_id, .. }
            | Error::Http { correlation_id, .. } => correlation_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the response that caused the error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } => *status,
            Error::RateLimitDaily { .. } | Error::RateLimited { .. } => Some(429),
            Error::Validation { status, .. }
            | Error::Http { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what,
            reason: reason.into(),
        }
    }
}

fn corr_suffix(correlation_id: &Option<String>) -> String {
    match correlation_id {
        Some(id) => format!(" (correlation id {id})"),
        None => String::new(),
    }
}

fn status_suffix(status: Option<u16>) -> String {
    match status {
        Some(s) => format!(" (HTTP {s})"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_status_category_and_correlation_id() {
        let err = Error::Validation {
            status: 400,
            category: "VALIDATION_ERROR".into(),
            message: "bad email".into(),
            correlation_id: Some("abc-123".into()),
        };
        assert_eq!(
            err.to_string(),
            "HubSpot rejected the request (HTTP 400, VALIDATION_ERROR): bad email (correlation id abc-123)"
        );
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.correlation_id(), Some("abc-123"));
        assert_eq!(err.status(), Some(400));
    }

    #[test]
    fn auth_without_status_has_no_status_text() {
        let err = Error::Auth {
            status: None,
            message: "provider failed".into(),
            correlation_id: None,
        };
        assert_eq!(err.to_string(), "authentication failed: provider failed");
        assert_eq!(err.status(), None);
    }
}
