//! [`FailureCause`]: why an input failed, as one closed set the caller can match on.

use std::borrow::Cow;
use std::fmt;

/// Why an input ended [`Failed`](crate::OutcomeKind::Failed).
///
/// HubSpot's own reasons keep HubSpot's words: [`FailureCause::HubSpot`] carries its category
/// (`VALIDATION_ERROR`, `CONFLICT`, `INVALID_EMAIL`, ...) as the string HubSpot sent, since
/// HubSpot adds categories without notice. Every other variant is the client's own cause.
///
/// [`FailureCause::code`] is the cause as one upper-case word, the same words in every
/// release: HubSpot's category, or the client's code named on each variant. The CLI's report
/// writes it in its `category` column.
///
/// ```
/// use hubspot_crm::FailureCause;
/// assert_eq!(FailureCause::HubSpot { category: "CONFLICT".into() }.code(), "CONFLICT");
/// assert_eq!(FailureCause::Status { status: 503 }.code(), "HTTP_503");
/// assert_eq!(FailureCause::Timeout.to_string(), "TIMEOUT");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureCause {
    /// HubSpot refused the input, or the whole request that carried it, and named its
    /// category. The code is that category.
    HubSpot {
        /// HubSpot's `category` (or a whole-request body's `errorType` where it has no
        /// category, such as `RATE_LIMIT`).
        category: String,
    },
    /// HubSpot refused the input in its answer without naming a category. Code `UNKNOWN`.
    Uncategorized,
    /// HubSpot answered an unsuccessful status whose body named no category. Code
    /// `HTTP_<status>`, such as `HTTP_503`.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// HubSpot refused the access token (401) and no fresh one helped, or the token provider
    /// failed. Code `AUTH`.
    Auth,
    /// The account's daily request quota is spent (`429` with `policyName: DAILY`). Code
    /// `DAILY_LIMIT`.
    DailyLimit,
    /// The connection failed, or the response broke off. Code `TRANSPORT`.
    Transport,
    /// No complete response within the client's timeout. Code `TIMEOUT`.
    Timeout,
    /// A successful response's body did not decode as the API version's generated type.
    /// Code `DECODE`.
    Decode,
    /// HubSpot's answer named neither a result nor an error for the input. Code
    /// `NOT_IN_RESPONSE`.
    NotInResponse,
    /// Refused before sending by the check against a
    /// [`PropertySchema`](crate::property_schema::PropertySchema), or a value with no text to
    /// send (such as `NaN`). Never sent, so it cost no request. Code `PROPERTY_CHECK`.
    PropertyCheck,
    /// HubSpot refused the whole request that carried the input, and the run stopped (it was
    /// cancelled, the daily limit was reached, or a failure stopped it) before bisection could
    /// tell whether this input was at fault. Code `RUN_STOPPED`.
    RunStopped,
    /// The client lost track of the input's request (a request task ended without a verdict).
    /// Code `INTERNAL`.
    Internal,
}

impl FailureCause {
    /// The cause as one upper-case word: HubSpot's category, or the code named on the
    /// variant.
    pub fn code(&self) -> Cow<'_, str> {
        let code = match self {
            FailureCause::HubSpot { category } => return Cow::Borrowed(category),
            FailureCause::Status { status } => return Cow::Owned(format!("HTTP_{status}")),
            FailureCause::Uncategorized => "UNKNOWN",
            FailureCause::Auth => "AUTH",
            FailureCause::DailyLimit => "DAILY_LIMIT",
            FailureCause::Transport => "TRANSPORT",
            FailureCause::Timeout => "TIMEOUT",
            FailureCause::Decode => "DECODE",
            FailureCause::NotInResponse => "NOT_IN_RESPONSE",
            FailureCause::PropertyCheck => "PROPERTY_CHECK",
            FailureCause::RunStopped => "RUN_STOPPED",
            FailureCause::Internal => "INTERNAL",
        };
        Cow::Borrowed(code)
    }

    /// HubSpot's category, when HubSpot named one.
    pub fn hubspot_category(&self) -> Option<&str> {
        match self {
            FailureCause::HubSpot { category } => Some(category),
            _ => None,
        }
    }
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_one_upper_case_word() {
        let causes = [
            FailureCause::HubSpot {
                category: "VALIDATION_ERROR".into(),
            },
            FailureCause::Uncategorized,
            FailureCause::Status { status: 404 },
            FailureCause::Auth,
            FailureCause::DailyLimit,
            FailureCause::Transport,
            FailureCause::Timeout,
            FailureCause::Decode,
            FailureCause::NotInResponse,
            FailureCause::PropertyCheck,
            FailureCause::RunStopped,
            FailureCause::Internal,
        ];
        let codes: Vec<String> = causes.iter().map(|c| c.code().into_owned()).collect();
        assert_eq!(
            codes,
            [
                "VALIDATION_ERROR",
                "UNKNOWN",
                "HTTP_404",
                "AUTH",
                "DAILY_LIMIT",
                "TRANSPORT",
                "TIMEOUT",
                "DECODE",
                "NOT_IN_RESPONSE",
                "PROPERTY_CHECK",
                "RUN_STOPPED",
                "INTERNAL",
            ]
        );
        for (cause, code) in causes.iter().zip(&codes) {
            assert_eq!(&cause.to_string(), code);
        }
    }

    #[test]
    fn only_hubspots_own_cause_has_a_hubspot_category() {
        let hubspot = FailureCause::HubSpot {
            category: "CONFLICT".into(),
        };
        assert_eq!(hubspot.hubspot_category(), Some("CONFLICT"));
        assert_eq!(
            FailureCause::Status { status: 409 }.hubspot_category(),
            None
        );
        assert_eq!(FailureCause::Auth.hubspot_category(), None);
    }
}
