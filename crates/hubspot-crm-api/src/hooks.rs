//! The generated clients' inner state and their [`ClientHooks`]: the only hand-written code
//! the generated clients run. Every version's `Client` (`v2026_03::Client`,
//! `v2026_09::Client`) has the same [`Inner`] and the same hooks.
//!
//! `xtask/src/generate.rs` names [`Inner`] as progenitor's inner type and asks for hooks the
//! crate must supply (`HooksMode::Expected`); every generated operation then calls, in order:
//! - `pre`: sets `Authorization` (a fixed header value given to [`Inner::authorization`], or
//!   one asked of the [`TokenSource`] given to [`Inner::token_source`] before each request);
//! - `exec`: sends the request, through reqwest, or through the [`Exec`] installed with
//!   [`Inner::exec`] (a seam for tests and middleware: responses can be built without sockets
//!   with `reqwest::Response::from(http::Response<_>)`);
//! - `post`: records the response's status and headers in the client's [`LastResponse`], if it
//!   has one, before the generated code reads the body. `progenitor_client::Error`'s body
//!   errors (`ResponseBodyError`, `InvalidResponsePayload`) carry neither, and a caller deciding
//!   whether to retry a 503 with an HTML body still needs its status and `Retry-After`.

use std::fmt;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

/// Supplies the `Authorization` header value of each request (for example `Bearer <token>`,
/// marked sensitive), and may refresh it between requests.
pub trait TokenSource: Send + Sync + 'static {
    /// The header value for the next request; an error message (without the token) when none
    /// can be had. The request is then not sent and fails with `Error::Custom`.
    fn authorization(&self) -> BoxFuture<'_, Result<HeaderValue, String>>;
}

/// Sends a built request in place of the generated client's `reqwest::Client`.
pub trait Exec: Send + Sync + 'static {
    /// Sends `request` and returns its response (with the body not yet read).
    fn exec(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'static, reqwest::Result<reqwest::Response>>;
}

/// How the client authorizes its requests. Its `Debug` never shows the header value.
#[derive(Clone, Default)]
enum Auth {
    /// No `Authorization` header (or one set on the `reqwest::Client`'s default headers).
    #[default]
    None,
    /// The same header value on every request; marked sensitive.
    Fixed(HeaderValue),
    /// A value asked of the source before every request.
    Source(Arc<dyn TokenSource>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Fixed(_) => "Fixed(<redacted>)",
            Auth::Source(_) => "Source(<redacted>)",
        })
    }
}

/// The status and headers of a response, as the `post` hook saw them.
#[derive(Clone, Debug)]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
}

/// Where the `post` hook records the status and headers of the responses a client receives:
/// after a call, [`LastResponse::take`] gives the last one. Meant for a client that makes one
/// call at a time (calls made concurrently through one client overwrite each other's record).
#[derive(Clone, Debug, Default)]
pub struct LastResponse(Arc<Mutex<Option<ResponseHead>>>);

impl LastResponse {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the last recorded response head, leaving none.
    pub fn take(&self) -> Option<ResponseHead> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn record(&self, response: &reqwest::Response) {
        let head = ResponseHead {
            status: response.status(),
            headers: response.headers().clone(),
        };
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(head);
    }
}

/// A generated `Client`'s inner state: how it authorizes, sends and records. Cheap to
/// clone; its `Debug` never shows a token.
///
/// ```
/// use hubspot_crm_api::v2026_09::Client;
/// use hubspot_crm_api::{Inner, LastResponse};
/// use reqwest::header::HeaderValue;
/// let mut token = HeaderValue::from_static("Bearer pat-na1-example");
/// token.set_sensitive(true);
/// let client = Client::new(
///     "https://api.hubapi.com",
///     Inner::new().authorization(token).record_into(LastResponse::new()),
/// );
/// assert!(!format!("{client:?}").contains("pat-na1"));
/// ```
#[derive(Clone, Default)]
pub struct Inner {
    auth: Auth,
    exec: Option<Arc<dyn Exec>>,
    last_response: Option<LastResponse>,
}

impl Inner {
    /// No authorization, reqwest sends, nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `value` as the `Authorization` header of every request; it is marked sensitive.
    pub fn authorization(mut self, mut value: HeaderValue) -> Self {
        value.set_sensitive(true);
        self.auth = Auth::Fixed(value);
        self
    }

    /// Asks `source` for the `Authorization` header before every request.
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.auth = Auth::Source(source);
        self
    }

    /// Sends requests through `exec` instead of the `reqwest::Client`.
    pub fn exec(mut self, exec: Arc<dyn Exec>) -> Self {
        self.exec = Some(exec);
        self
    }

    /// Records the status and headers of every response into `record`.
    pub fn record_into(mut self, record: LastResponse) -> Self {
        self.last_response = Some(record);
        self
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("auth", &self.auth)
            .field(
                "exec",
                &if self.exec.is_some() {
                    "custom"
                } else {
                    "reqwest"
                },
            )
            .field("records_responses", &self.last_response.is_some())
            .finish()
    }
}

/// Implements the hooks for one version's generated `Client`. A blanket impl over
/// `ClientInfo<Inner>` is not allowed by the orphan rule (`ClientHooks` is progenitor's), so each
/// version's client names itself here.
macro_rules! hooks_for {
    ($client:ty) => {
        impl ClientHooks<Inner> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &OperationInfo,
            ) -> Result<(), Error<E>> {
                let value = match &self.inner().auth {
                    Auth::None => return Ok(()),
                    Auth::Fixed(value) => value.clone(),
                    Auth::Source(source) => {
                        let mut value = source.authorization().await.map_err(Error::Custom)?;
                        value.set_sensitive(true);
                        value
                    }
                };
                request.headers_mut().insert(AUTHORIZATION, value);
                Ok(())
            }

            async fn post<E>(
                &self,
                result: &reqwest::Result<reqwest::Response>,
                _info: &OperationInfo,
            ) -> Result<(), Error<E>> {
                if let (Some(record), Ok(response)) = (&self.inner().last_response, result) {
                    record.record(response);
                }
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                _info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                match &self.inner().exec {
                    Some(exec) => exec.exec(request).await,
                    None => self.client().execute(request).await,
                }
            }
        }
    };
}

hooks_for!(crate::v2026_03::Client);
hooks_for!(crate::v2026_09::Client);
