//! Where requests go and with which token: HubSpot with the token from the environment, or the
//! embedded mock started in this process (`--mock`).

use hubspot_crm::{AccessToken, ApiVersion, Client, RateLimit, RetryPolicy};
use hubspot_crm_mock::{MockServer, PropertyDefinitions};

use crate::cli::RunArgs;
use crate::error::FatalError;

/// The token handed to the embedded mock, which accepts any well-formed token.
const MOCK_TOKEN: &str = "mock-token";

/// A client of API version `V` ready to run, and the mock it talks to, if any.
pub struct Connection<V: ApiVersion> {
    /// The configured client.
    pub client: Client<V>,
    /// The embedded mock, kept alive for the run and shut down after it.
    pub mock: Option<MockServer>,
}

/// Reads the access token from the environment variable `name`. Its value is never logged.
pub fn token_from_env(name: &str) -> Result<AccessToken, FatalError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(AccessToken::new(value.trim())),
        _ => Err(FatalError::NoToken {
            env: name.to_string(),
        }),
    }
}

/// Starts the mock if asked, reads the token otherwise, and builds the client.
pub async fn connect<V: ApiVersion>(args: &RunArgs) -> Result<Connection<V>, FatalError> {
    let (base_url, token, mock) = if args.mock {
        let limits = args.plan.limits();
        let mut builder =
            MockServer::builder().rate_limit(limits.requests_per_window, limits.window);
        if let (Some(path), Some(object_type)) = (&args.property_schema, &args.object_type) {
            // The mock reads the same file with its own parser and judges values by it.
            let definitions = PropertyDefinitions::from_file(path)
                .map_err(|e| FatalError::Usage(format!("--property-schema: {e}")))?;
            builder = builder.property_definitions(object_type.to_ascii_lowercase(), &definitions);
        }
        let mock = builder
            .start()
            .await
            .map_err(|e| FatalError::Mock(e.to_string()))?;
        let url = mock.base_url();
        eprintln!(
            "--mock: using the embedded HubSpot mock at {url}, started inside this process; \
             nothing is sent to HubSpot and the records vanish when the command ends."
        );
        (url, AccessToken::new(MOCK_TOKEN), Some(mock))
    } else {
        (
            args.base_url.clone(),
            token_from_env(&args.token_env)?,
            None,
        )
    };
    let retry = RetryPolicy::default().max_attempts(args.max_retries.saturating_add(1));
    let client = Client::builder()
        .api_version(V::default())
        .base_url(base_url)
        .token(token)
        .timeout(args.timeout)
        .rate_limit(RateLimit::plan(args.plan.into()))
        .concurrency(args.concurrency as usize)
        .retry_policy(retry)
        .build()
        .map_err(|e| FatalError::Client(format!("cannot set up the HubSpot client: {e}")))?;
    Ok(Connection { client, mock })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_blank_token_names_the_variable_and_not_a_value() {
        let err = token_from_env("HUBSPOT_UPSERT_TEST_SURELY_UNSET").expect_err("unset");
        let text = err.to_string();
        assert!(text.contains("set the environment variable HUBSPOT_UPSERT_TEST_SURELY_UNSET"));
    }
}
