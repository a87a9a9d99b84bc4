//! Staff sign-in as a JSON API: sign in and out, see the session, change the password,
//! enrol TOTP. Each answer that starts a session sets the `hezhi_session` cookie and returns
//! the CSRF token the client must echo in `X-CSRF-Token`.

use crate::auth;
use crate::error::ApiError;
use crate::extract::{self, ClientAddress, OverTls, SessionCaller, json_body, lang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hezhi_app::{App, Session, SignInAttempt, SignedIn};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

fn session_view(session: &Session) -> Value {
    json!({
        "csrf_token": session.csrf_token,
        // Every role assignment the user holds acts in the session.
        "user": session.user,
        "must_change_password": session.must_change_password,
        "totp_required": session.must_enrol_totp,
        "expires_at": session.expires_at,
    })
}

/// Answers carrying a CSRF token or a secret must not be cached anywhere.
pub(super) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The answer that hands the client a new session.
pub(super) fn new_session(app: &App, signed_in: &SignedIn, tls: bool) -> Response {
    let mut response = Json(session_view(&signed_in.session)).into_response();
    let max_age = (signed_in.session.expires_at - app.now()).num_seconds();
    if let Some(cookie) = auth::session_cookie_header(&signed_in.session_id, max_age, tls) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    no_store(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    name: String,
    password: String,
    #[serde(default)]
    totp: Option<String>,
}

pub async fn sign_in(
    State(app): State<Arc<App>>,
    ClientAddress(client): ClientAddress,
    OverTls(tls): OverTls,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let lang = lang(&headers);
    let body = extract::body(body, lang)?;
    let input: SignInBody = json_body(&headers, &body, lang)?;
    let signed_in = app
        .sign_in(SignInAttempt {
            name: &input.name,
            password: &input.password,
            totp: input.totp.as_deref(),
            client,
            previous_session: auth::session_cookie(&headers),
        })
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(new_session(&app, &signed_in, tls))
}

pub async fn show(caller: SessionCaller) -> Response {
    no_store(Json(session_view(&caller.session)).into_response())
}

pub async fn sign_out(
    State(app): State<Arc<App>>,
    caller: SessionCaller,
) -> Result<Response, ApiError> {
    app.sign_out(&caller.session)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = auth::cleared_session_cookie(caller.tls) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current: String,
    new: String,
}

pub async fn change_password(
    State(app): State<Arc<App>>,
    caller: SessionCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = extract::body(body, caller.lang)?;
    let input: PasswordBody = json_body(&headers, &body, caller.lang)?;
    let signed_in = app
        .change_password(&caller.session, &input.current, &input.new, caller.client)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(new_session(&app, &signed_in, caller.tls))
}

pub async fn enrol_totp(
    State(app): State<Arc<App>>,
    caller: SessionCaller,
) -> Result<Response, ApiError> {
    let enrolment = app
        .enrol_totp(&caller.session)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(no_store(
        Json(json!({
            "secret": enrolment.secret,
            "otpauth_uri": enrolment.otpauth_uri,
        }))
        .into_response(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    code: String,
}

pub async fn confirm_totp(
    State(app): State<Arc<App>>,
    caller: SessionCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = extract::body(body, caller.lang)?;
    let input: ConfirmBody = json_body(&headers, &body, caller.lang)?;
    let signed_in = app
        .confirm_totp(&caller.session, &input.code, caller.client)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(new_session(&app, &signed_in, caller.tls))
}
