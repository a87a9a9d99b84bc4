//! The audit log, for auditors: `GET /api/v1/audit?user=&case=&action=&from=&to=&limit=`.
//! Entries carry ids, never case contents or personal data.

use crate::error::ApiError;
use crate::extract::Caller;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use hezhi_app::{App, AuditQuery};
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn search(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()).in_lang(caller.lang)
    })?;
    let entries = app
        .search_audit(&caller.principal, &query)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(Json(json!({ "items": entries })))
}
