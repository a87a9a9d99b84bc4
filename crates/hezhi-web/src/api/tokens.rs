//! API tokens: revocation (tokens are issued on the command line).

use crate::error::ApiError;
use crate::extract::{self, Caller};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hezhi_app::App;
use hezhi_domain::TokenId;
use std::sync::Arc;

/// Revokes a token of the caller's own, or — for a security administrator — one bound to a
/// role assignment within his scope. It stops working at once on this server and within five
/// seconds on the others.
pub async fn revoke(
    State(app): State<Arc<App>>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let text = extract::path(id, caller.lang)?;
    let id = TokenId::parse(&text).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such token").in_lang(caller.lang)
    })?;
    app.revoke_token(Some(&caller.principal), id)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(StatusCode::NO_CONTENT)
}
