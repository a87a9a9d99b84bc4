//! Reading requests: who is asking, in which language, which version they saw, and a JSON
//! body parsed with errors that name the field.

use crate::auth;
use crate::error::ApiError;
use crate::i18n::Lang;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use hezhi_app::{App, IdempotencyRequest, Session};
use hezhi_domain::Principal;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;

pub fn lang(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The authenticated caller. Every `/api/v1` handler that reads or writes cases takes one.
/// Credentials are an `Authorization: Bearer` token or the session cookie; a request
/// authenticated by the cookie that changes state must also carry the session's CSRF token
/// in `X-CSRF-Token`, and a session that must first change its password or enrol TOTP may do
/// nothing else. Without valid credentials the request ends here with 401.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub lang: Lang,
}

fn unauthenticated(detail: &str, lang: Lang) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail).in_lang(lang)
}

fn csrf_refused(lang: Lang) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf_token_invalid",
        "a request authenticated by the session cookie must send the session's CSRF token",
    )
    .in_lang(lang)
}

/// The live session whose cookie the request carries.
async fn cookie_session(parts: &Parts, app: &App, lang: Lang) -> Result<Session, ApiError> {
    let Some(session_id) = auth::session_cookie(&parts.headers) else {
        return Err(unauthenticated("no bearer token or session cookie", lang));
    };
    app.session(session_id)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))
}

/// Refuses a state-changing request whose `X-CSRF-Token` is not the session's.
fn check_csrf_header(parts: &Parts, session: &Session, lang: Lang) -> Result<(), ApiError> {
    if !auth::changes_state(&parts.method) {
        return Ok(());
    }
    let presented = parts
        .headers
        .get(auth::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if session.csrf_matches(presented) {
        Ok(())
    } else {
        Err(csrf_refused(lang))
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let lang = lang(&parts.headers);
        if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
            let token = authorization
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty());
            let Some(token) = token else {
                return Err(unauthenticated("no bearer token", lang));
            };
            let principal = app
                .authenticate(token)
                .await
                .map_err(|e| ApiError::from(e).in_lang(lang))?;
            return Ok(Caller { principal, lang });
        }
        let session = cookie_session(parts, app, lang).await?;
        check_csrf_header(parts, &session, lang)?;
        if let Some(restriction) = session.restriction() {
            return Err(ApiError::from(restriction).in_lang(lang));
        }
        Ok(Caller {
            principal: session.principal,
            lang,
        })
    }
}

/// The caller of the session endpoints: signed in by the cookie (a bearer token has no
/// session), CSRF-checked like [`Caller`], but also while the session is restricted to
/// changing its password or enrolling TOTP.
#[derive(Debug, Clone)]
pub struct SessionCaller {
    pub session: Session,
    pub lang: Lang,
    pub client: Option<IpAddr>,
    /// Whether the request came over TLS (the renewed cookie is then `Secure`).
    pub tls: bool,
}

impl FromRequestParts<Arc<App>> for SessionCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let lang = lang(&parts.headers);
        let session = cookie_session(parts, app, lang).await?;
        check_csrf_header(parts, &session, lang)?;
        Ok(SessionCaller {
            session,
            lang,
            client: auth::client_address(parts),
            tls: auth::came_over_tls(parts),
        })
    }
}

/// For HTML forms, which cannot set headers: a signed-in session whose CSRF token is still
/// to be checked against the form's hidden `csrf_token` field (see
/// [`crate::auth::hidden_field`]). A handler gets a [`Caller`] only through
/// [`FormCaller::check_form_token`], so it cannot forget the check.
#[derive(Debug, Clone)]
pub struct FormCaller {
    session: Session,
    lang: Lang,
}

impl FormCaller {
    /// The caller, if `submitted` (the form's `csrf_token`) is the session's token and the
    /// session is not restricted.
    pub fn check_form_token(self, submitted: &str) -> Result<Caller, ApiError> {
        if !self.session.csrf_matches(submitted) {
            return Err(csrf_refused(self.lang));
        }
        if let Some(restriction) = self.session.restriction() {
            return Err(ApiError::from(restriction).in_lang(self.lang));
        }
        Ok(Caller {
            principal: self.session.principal,
            lang: self.lang,
        })
    }

    /// The session, to render the next form's hidden field.
    pub fn session(&self) -> &Session {
        &self.session
    }
}

impl FromRequestParts<Arc<App>> for FormCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let lang = lang(&parts.headers);
        let session = cookie_session(parts, app, lang).await?;
        Ok(FormCaller { session, lang })
    }
}

/// The client's address, for throttling (see [`crate::auth::client_address`]); `None` when
/// the server was not started with connect info, as in tests that call the router directly.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The address as a throttling key; requests without one share the key `local`.
    pub fn key(&self) -> String {
        self.0
            .map_or_else(|| "local".to_owned(), |address| address.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(auth::client_address(parts)))
    }
}

/// Whether the request came over TLS (see [`crate::auth::came_over_tls`]).
#[derive(Debug, Clone, Copy)]
pub struct OverTls(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for OverTls {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(OverTls(auth::came_over_tls(parts)))
    }
}

/// The raw body, or the JSON error when it could not be read (over
/// [`crate::MAX_JSON_BODY`]: 413) instead of axum's plain-text rejection.
pub fn body(body: Result<Bytes, BytesRejection>, lang: Lang) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let error = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                rejection.body_text(),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                rejection.body_text(),
            )
        };
        error.in_lang(lang)
    })
}

/// The path parameters. A segment that does not even decode (`%FF`) names nothing that
/// exists: 404 with the JSON error instead of axum's plain-text 400.
pub fn query<T>(
    query: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
    lang: Lang,
) -> Result<axum::extract::Query<T>, ApiError> {
    query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()).in_lang(lang)
    })
}

pub fn path<T>(path: Result<Path<T>, PathRejection>, lang: Lang) -> Result<T, ApiError> {
    path.map(|Path(value)| value).map_err(|rejection| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", rejection.body_text()).in_lang(lang)
    })
}

/// Parses a JSON body, insisting on `Content-Type: application/json`.
pub fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    lang: Lang,
) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json")
                || (v.starts_with("application/") && v.ends_with("+json"))
        });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected Content-Type: application/json",
        )
        .in_lang(lang));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| body_error(error, lang))?;
    deserializer.end().map_err(|error| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", error.to_string()).in_lang(lang)
    })?;
    Ok(value)
}

/// Deserializes an already-parsed JSON value, with errors shaped like [`json_body`]'s.
pub fn from_json_value<T: DeserializeOwned>(value: Value, lang: Lang) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| body_error(error, lang))
}

/// A body that is not JSON is 400 `invalid_json`; JSON of the wrong shape is 422
/// `invalid_body`, naming the field by its path (`parties[0].phone`) where serde knows it.
fn body_error(error: serde_path_to_error::Error<serde_json::Error>, lang: Lang) -> ApiError {
    use serde_json::error::Category;
    let path = error.path().to_string();
    let inner = error.into_inner();
    let detail = inner.to_string();
    if !matches!(inner.classify(), Category::Data) {
        return ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", detail).in_lang(lang);
    }
    let mut api = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        detail.clone(),
    );
    // A missing or unknown field is reported at its parent's path, with the name in the text.
    let named = field_in_message(&detail);
    let field = match (path.as_str(), named) {
        (".", Some(name)) => Some(name),
        (".", None) => None,
        (parent, Some(name)) if detail.contains("missing field") => {
            Some(format!("{parent}.{name}"))
        }
        (parent, _) => Some(parent.to_owned()),
    };
    if let Some(field) = field {
        api = api.with_field(field);
    }
    api.in_lang(lang)
}

/// serde names the field in backticks: "missing field `title`", "unknown field `foo`".
fn field_in_message(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("field `")?;
    let (field, _) = rest.split_once('`')?;
    Some(field.to_owned())
}

/// The version in `If-Match` (`"3"`, `3` or `W/"3"`). `Ok(None)` when absent.
pub fn if_match(headers: &HeaderMap, lang: Lang) -> Result<Option<u32>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse().map(Some).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_value",
            "If-Match must carry a case version",
        )
        .with_field("If-Match")
        .in_lang(lang)
    })
}

/// The ETag value of a version.
pub fn etag(version: u32) -> String {
    format!("\"{version}\"")
}

/// The `Idempotency-Key` of a write, bound to a hash of the request it came with.
pub fn idempotency(
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    lang: Lang,
) -> Result<Option<IdempotencyRequest>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    let hash = hezhi_app::service::request_hash(&[method.as_bytes(), path.as_bytes(), body]);
    IdempotencyRequest::new(key, hash)
        .map(Some)
        .map_err(|e| ApiError::from(hezhi_app::AppError::from(e)).in_lang(lang))
}
