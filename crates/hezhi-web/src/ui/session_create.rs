//! `POST /sign-in`: signs a member of staff in through `App::sign_in` (lockout, TOTP and the
//! audit records are all there), sets the session cookie and goes on to the cases — or to
//! the password page when the password must be changed first.

use super::session_new::{SIGN_IN_COOKIE, form};
use super::text::Msg;
use super::{Page, cookie};
use crate::auth;
use crate::error::ApiError;
use crate::extract::{ClientAddress, OverTls};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hezhi_app::{App, SignInAttempt};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

/// Compares without stopping at the first difference.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub async fn create(
    State(app): State<Arc<App>>,
    page: Page,
    ClientAddress(client): ClientAddress,
    OverTls(tls): OverTls,
    headers: HeaderMap,
    input: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let Ok(Form(input)) = input else {
        return form(
            &page,
            StatusCode::BAD_REQUEST,
            Some(page.t(Msg::SignInExpired)),
            "",
        );
    };
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(expected, &input.csrf_token) {
        return form(
            &page,
            StatusCode::FORBIDDEN,
            Some(page.t(Msg::SignInExpired)),
            &input.name,
        );
    }
    let totp = input.totp.trim();
    let attempt = SignInAttempt {
        name: input.name.trim(),
        password: &input.password,
        totp: (!totp.is_empty()).then_some(totp),
        client,
        previous_session: auth::session_cookie(&headers),
    };
    let signed_in = match app.sign_in(attempt).await {
        Ok(signed_in) => signed_in,
        Err(error) => {
            let error = ApiError::from(error);
            // A failed sign-in is shown on the page itself, with the status the API gives.
            return form(
                &page,
                error.status,
                Some(&page.error_text(&error)),
                &input.name,
            );
        }
    };
    let next = if signed_in.session.must_change_password {
        "/password"
    } else {
        "/cases"
    };
    super::signed_in(&app, &signed_in, next, tls)
}
