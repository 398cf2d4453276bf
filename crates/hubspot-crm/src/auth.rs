//! Access tokens ([`AccessToken`]) and where they come from ([`TokenProvider`]).

use std::fmt;

use futures::future::BoxFuture;
use reqwest::header::HeaderValue;

use crate::error::Error;

/// A HubSpot access token: a private-app token or an OAuth 2.0 access token.
///
/// The value is only readable through [`AccessToken::expose_secret`]; `Debug` redacts it.
///
/// Access tokens and where they come from.
///
/// [`AccessToken`] holds a private-app or OAuth access token and never shows it: its `Debug`
/// prints `AccessToken(<redacted>)` and it has no `Display`. [`TokenProvider`] supplies tokens
/// that can change (OAuth refresh); on a 401 the client asks the provider once for a new token
/// via [`TokenProvider::refresh`] and retries that request once. [`StaticToken`] is the provider
/// for a fixed token, which cannot be refreshed.
///
/// The token is sent as an `Authorization: Bearer` header marked sensitive (so HTTP tooling
/// does not log it) on each request, and the client follows no redirects, so the header never
/// travels to another host.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token value.
    pub fn new(secret: impl Into<String>) -> Self {
        AccessToken(secret.into())
    }

    /// The token value. Call this only to hand it to something that must send it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The `Authorization` header value, marked sensitive.
    pub(crate) fn header_value(&self) -> Result<HeaderValue, Error> {
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.0)).map_err(|_| {
            Error::invalid(
                "access token",
                "it contains characters that cannot appear in an HTTP header",
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// Supplies access tokens to the client, possibly refreshing them.
///
/// Implement this for OAuth tokens that expire. The client calls [`TokenProvider::token`]
/// before every request and [`TokenProvider::refresh`] at most once per request after HubSpot
/// answers 401. Many requests run at the same time, so several may report the same rejected
/// token: compare it with your current one and refresh only if they are equal.
pub trait TokenProvider: Send + Sync + 'static {
    /// The token to send now.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>>;

    /// HubSpot rejected `rejected` with a 401: return a fresh token to retry with, or
    /// `Ok(None)` when this provider cannot refresh (the 401 is then final).
    fn refresh<'a>(
        &'a self,
        rejected: &'a AccessToken,
    ) -> BoxFuture<'a, Result<Option<AccessToken>, Error>> {
        let _ = rejected;
        Box::pin(async { Ok(None) })
    }
}

/// A fixed token that is never refreshed: a private-app token, or an OAuth token you manage.
#[derive(Clone, Debug)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// A provider that always returns `token`.
    pub fn new(token: AccessToken) -> Self {
        StaticToken(token)
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_secret() {
        let token = AccessToken::new("pat-na1-SECRET");
        let shown = format!("{token:?} {:?}", StaticToken::new(token.clone()));
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn header_is_bearer_and_sensitive() {
        let value = AccessToken::new("abc")
            .header_value()
            .expect("valid header");
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().ok(), Some("Bearer abc"));
        assert!(format!("{value:?}").contains("Sensitive"));
    }

    #[test]
    fn newline_in_token_is_refused_without_echoing_it() {
        let err = AccessToken::new("abc\nSECRET").header_value().unwrap_err();
        assert!(!err.to_string().contains("SECRET"));
    }

    #[tokio::test]
    async fn static_token_cannot_refresh() {
        let provider = StaticToken::new(AccessToken::new("t"));
        let token = provider.token().await.expect("token");
        assert_eq!(token.expose_secret(), "t");
        assert!(provider.refresh(&token).await.expect("no error").is_none());
    }
}
