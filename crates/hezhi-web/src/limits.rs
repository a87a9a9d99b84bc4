//! Limits that protect the server from one client: how long a request may take, and how
//! often one client address may try to sign in or submit.
//!
//! Both run as middleware over the whole router (see [`crate::router_with`]). The rates are
//! token buckets per client address and kind of request, kept in memory (a server restart
//! forgets them; behind a reverse proxy, `trust_proxy_headers` makes the address the proxy's
//! `X-Forwarded-For` one; a request without an address, from the router called in process,
//! is not counted). The failed sign-in count of `hezhi_app` still applies on top:
//! this limit also bounds the attempts that succeed or that try many accounts.

use crate::error::ApiError;
use axum::extract::{FromRequestParts as _, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The limits a server runs with; every one configurable (see the `hezhi` config), with the
/// defaults below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body of the JSON API and of forms without files (bytes).
    pub json_body: usize,
    /// The largest body of one file upload (bytes); a form with files may carry
    /// [`crate::ui::MAX_FILES_PER_FORM`] of them. Files themselves are refused past
    /// `hezhi_media::MAX_FILE_SIZE` whatever this says.
    pub upload_body: usize,
    /// The longest a request may take before it is answered 503 `request_timeout`. Exports,
    /// which grow with the region and period asked for, are exempt.
    pub request_timeout: Duration,
    /// Sign-in attempts (staff and residents, sign-in codes, tracking-code lookups) one
    /// client address may make per minute; bursts up to the same number.
    pub sign_in_per_minute: u32,
    /// Submissions (reports of new cases, uploads) one client address may make per minute;
    /// bursts up to the same number.
    pub submissions_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body: crate::MAX_JSON_BODY,
            upload_body: crate::api::attachments::MAX_UPLOAD_BODY,
            request_timeout: Duration::from_secs(30),
            sign_in_per_minute: 20,
            submissions_per_minute: 120,
        }
    }
}

impl Limits {
    /// The largest form with files.
    pub fn form_body(&self) -> usize {
        crate::ui::MAX_FILES_PER_FORM * self.upload_body + 256 * 1024
    }
}

/// The kinds of request a rate applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    SignIn,
    Submission,
}

/// What a request is, for the rates: sign-in and look-up forms and endpoints, and the ones
/// that report cases or upload files.
fn kind(method: &Method, path: &str) -> Option<Kind> {
    if method != Method::POST {
        return None;
    }
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    match path {
        "/session"
        | "/sign-in"
        | "/resident/code"
        | "/resident/session"
        | "/resident/sign-in"
        | "/track"
        | "/totp"
        | "/session/totp/confirm" => Some(Kind::SignIn),
        "/cases" | "/files" | "/intake" | "/resident/report" | "/report" => Some(Kind::Submission),
        _ => None,
    }
}

/// Addresses remembered at most; past it, full buckets (clients idle for a minute) are
/// forgotten first.
const MAX_CLIENTS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets per client address and kind.
#[derive(Debug)]
pub struct Rates {
    limits: Limits,
    buckets: Mutex<HashMap<(Option<IpAddr>, Kind), Bucket>>,
}

impl Rates {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn per_minute(&self, kind: Kind) -> u32 {
        match kind {
            Kind::SignIn => self.limits.sign_in_per_minute,
            Kind::Submission => self.limits.submissions_per_minute,
        }
    }

    /// Takes one token for `client`'s `kind` of request at `now`: `Ok` when there was one,
    /// else the seconds until there is.
    fn take(&self, client: Option<IpAddr>, kind: Kind, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(self.per_minute(kind).max(1));
        let per_second = capacity / 60.0;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&(client, kind)) {
            buckets.retain(|_, b| now.duration_since(b.at) < Duration::from_secs(60));
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry((client, kind)).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let refilled = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second)
            .min(capacity);
        bucket.at = now;
        if refilled >= 1.0 {
            bucket.tokens = refilled - 1.0;
            Ok(())
        } else {
            bucket.tokens = refilled;
            Err(((1.0 - refilled) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// What the middleware of [`crate::router_with`] needs: the rates, the request time limit,
/// and the application (to render a refusal as a page in the user's language and session).
#[derive(Clone, Debug)]
pub struct Guard {
    pub rates: Arc<Rates>,
    pub request_timeout: Duration,
    pub app: Arc<hezhi_app::App>,
}

/// A refusal: the JSON error under `/api`, else a page.
async fn refuse(
    guard: &Guard,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    mut error: ApiError,
) -> Response {
    error.lang = crate::extract::lang(&headers);
    let retry_after = error.retry_after;
    if uri.path().starts_with("/api/") {
        return error.into_response();
    }
    let mut request = Request::new(axum::body::Body::empty());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    let (mut parts, _) = request.into_parts();
    let Ok(page) = crate::ui::Page::from_request_parts(&mut parts, &guard.app).await;
    let mut response = crate::ui::refused(&page, &error);
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Answers 429 `too_many_requests` with `Retry-After` once a client address has used up its
/// rate of sign-ins or submissions; then 503 `request_timeout` when a request takes longer
/// than the limit. A write whose request timed out may still have been committed: a retry
/// with the same `Idempotency-Key` gets its receipt. Exports, which grow with the region and
/// period asked for, have no time limit.
pub async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let (method, uri, headers) = (
        request.method().clone(),
        request.uri().clone(),
        request.headers().clone(),
    );
    if let Some(kind) = kind(&method, uri.path()) {
        let (parts, body) = request.into_parts();
        // Without an address (the router called in process, not served) nothing is counted.
        let client = crate::auth::client_address(&parts);
        if let Some(client) = client
            && let Err(seconds) = guard.rates.take(Some(client), kind, Instant::now())
        {
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "more than {} such requests a minute from this address",
                    guard.rates.per_minute(kind)
                ),
            );
            error.retry_after = Some(i64::try_from(seconds).unwrap_or(i64::MAX));
            return refuse(&guard, method, uri, headers, error).await;
        }
        return timed(
            &guard,
            Request::from_parts(parts, body),
            next,
            (method, uri, headers),
        )
        .await;
    }
    timed(&guard, request, next, (method, uri, headers)).await
}

async fn timed(
    guard: &Guard,
    request: Request,
    next: Next,
    (method, uri, headers): (Method, Uri, HeaderMap),
) -> Response {
    if uri.path().starts_with("/api/v1/exports/") || uri.path() == "/ledger" {
        return next.run(request).await;
    }
    let limit = guard.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut error = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                format!("the request took longer than {} s", limit.as_secs()),
            );
            error.retry_after = Some(1);
            refuse(guard, method, uri, headers, error).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_ins_and_submissions_are_told_apart_from_the_rest() {
        assert_eq!(kind(&Method::POST, "/api/v1/session"), Some(Kind::SignIn));
        assert_eq!(kind(&Method::POST, "/sign-in"), Some(Kind::SignIn));
        assert_eq!(kind(&Method::POST, "/api/v1/track"), Some(Kind::SignIn));
        assert_eq!(kind(&Method::POST, "/api/v1/cases"), Some(Kind::Submission));
        assert_eq!(kind(&Method::POST, "/intake"), Some(Kind::Submission));
        assert_eq!(kind(&Method::GET, "/api/v1/cases"), None);
        assert_eq!(kind(&Method::POST, "/api/v1/cases/x/accept"), None);
        assert_eq!(kind(&Method::DELETE, "/api/v1/session"), None);
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let rates = Rates::new(Limits {
            sign_in_per_minute: 6,
            ..Limits::default()
        });
        let (a, b) = (
            Some(IpAddr::from([10, 0, 0, 1])),
            Some(IpAddr::from([10, 0, 0, 2])),
        );
        let start = Instant::now();
        for _ in 0..6 {
            assert_eq!(rates.take(a, Kind::SignIn, start), Ok(()));
        }
        // Six a minute: one more every ten seconds.
        assert_eq!(rates.take(a, Kind::SignIn, start), Err(10));
        // Another address, and another kind, have their own buckets.
        assert_eq!(rates.take(b, Kind::SignIn, start), Ok(()));
        assert_eq!(rates.take(a, Kind::Submission, start), Ok(()));
        assert_eq!(
            rates.take(a, Kind::SignIn, start + Duration::from_secs(5)),
            Err(5)
        );
        assert_eq!(
            rates.take(a, Kind::SignIn, start + Duration::from_secs(10)),
            Ok(())
        );
        assert_eq!(
            rates.take(a, Kind::SignIn, start + Duration::from_secs(11)),
            Err(9)
        );
        // A long pause refills the burst, no more.
        let later = start + Duration::from_secs(3600);
        for _ in 0..6 {
            assert_eq!(rates.take(a, Kind::SignIn, later), Ok(()));
        }
        assert!(rates.take(a, Kind::SignIn, later).is_err());
    }
}
