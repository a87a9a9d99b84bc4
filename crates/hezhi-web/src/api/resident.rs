//! Residents sign in by phone: `POST /resident/code` sends a one-time code by SMS,
//! `POST /resident/session` exchanges it for a session like a staff member's (the
//! `hezhi_session` cookie and a CSRF token). See `hezhi_app::resident`.

use super::session::{new_session, no_store};
use crate::auth;
use crate::error::ApiError;
use crate::extract::{self, ClientAddress, OverTls, json_body, lang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hezhi_app::{App, ResidentSignInAttempt};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    phone: String,
}

/// 202 for any valid phone, known or not: the answer says nothing about who has signed in.
pub async fn send_code(
    State(app): State<Arc<App>>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let lang = lang(&headers);
    let body = extract::body(body, lang)?;
    let input: CodeBody = json_body(&headers, &body, lang)?;
    let sent = app
        .send_resident_code(&input.phone, client)
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(no_store(
        (
            StatusCode::ACCEPTED,
            Json(json!({ "expires_in": sent.expires_in.num_seconds() })),
        )
            .into_response(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    phone: String,
    code: String,
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
    let input: SessionBody = json_body(&headers, &body, lang)?;
    let signed_in = app
        .resident_sign_in(ResidentSignInAttempt {
            phone: &input.phone,
            code: &input.code,
            client,
            previous_session: auth::session_cookie(&headers),
        })
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(new_session(&app, &signed_in, tls))
}
