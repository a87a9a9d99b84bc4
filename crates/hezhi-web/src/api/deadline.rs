//! The deadline policy: `GET /deadline-policy` for anyone signed in, `PUT /deadline-policy`
//! (a new version) for system administrators.

use crate::error::ApiError;
use crate::extract::{self, Caller, json_body};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use hezhi_app::App;
use hezhi_domain::deadline::{DeadlinePolicy, DeadlineRule, PauseReason};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    rules: Vec<DeadlineRule>,
    /// Unchanged when left out.
    #[serde(default)]
    warning_percent: Option<u8>,
    /// Unchanged when left out.
    #[serde(default)]
    pausable: Option<Vec<PauseReason>>,
}

pub async fn show(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<DeadlinePolicy>, ApiError> {
    app.deadline_policy()
        .await
        .map(Json)
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))
}

pub async fn save(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DeadlinePolicy>, ApiError> {
    let body = extract::body(body, caller.lang)?;
    let input: PolicyBody = json_body(&headers, &body, caller.lang)?;
    app.save_deadline_policy(
        &caller.principal,
        input.rules,
        input.warning_percent,
        input.pausable,
    )
    .await
    .map(Json)
    .map_err(|e| ApiError::from(e).in_lang(caller.lang))
}
