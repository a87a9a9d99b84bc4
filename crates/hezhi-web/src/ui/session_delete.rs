//! `POST /sign-out`: ends the session (CSRF-checked) and clears its cookie.

use super::{Page, refused, see_other};
use crate::auth;
use crate::error::ApiError;
use crate::extract::{FormCaller, OverTls};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::header;
use axum::response::Response;
use hezhi_app::App;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn delete(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    OverTls(tls): OverTls,
    input: Result<Form<SignOutForm>, FormRejection>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let token = input.map(|Form(f)| f.csrf_token).unwrap_or_default();
    // Signing out is allowed to a restricted session too: only the token is checked.
    if !caller.session().csrf_matches(&token) {
        return refused(&page, &csrf_error());
    }
    if let Err(error) = app.sign_out(caller.session()).await {
        return refused(&page, &ApiError::from(error));
    }
    let mut response = see_other("/sign-in");
    if let Some(cookie) = auth::cleared_session_cookie(tls) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn csrf_error() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "csrf_token_invalid",
        "the form's CSRF token is not the session's",
    )
}
