//! The JSON API under `/api/v1`.

mod admin;
pub(crate) mod attachments;
mod audit;
mod cases;
mod deadline;
mod regions;
mod resident;
mod session;
pub(crate) mod stats;
mod tokens;
mod tracking;

use crate::error::ApiError;
use crate::extract::lang;
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use hezhi_app::App;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes(limits: &crate::Limits) -> Router<Arc<App>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/cases", post(cases::create).get(cases::list))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/events", get(cases::events))
        .route("/cases/{id}/reveal", post(cases::reveal))
        .route("/cases/{id}/attachments", get(attachments::list))
        .route(
            "/cases/{id}/attachments/{digest}",
            get(attachments::content),
        )
        .route(
            "/files",
            post(attachments::upload).layer(DefaultBodyLimit::max(limits.upload_body)),
        )
        .route("/cases/{id}/{command}", post(cases::command))
        .route("/regions/{code}", get(regions::show))
        .route("/units", get(regions::units).post(admin::create_unit))
        .route("/regions/{code}/grids", post(admin::create_grid))
        .route(
            "/regions/{code}/grids/import",
            // A grid file is larger than any other request; the limit of the rest still holds.
            post(admin::import_grids).layer(DefaultBodyLimit::max(crate::MAX_GEOJSON_BODY)),
        )
        .route("/grids/locate", get(regions::locate_grid))
        .route("/users", get(admin::users).post(admin::create_user))
        .route("/users/{id}/roles", post(admin::grant_role))
        .route("/users/{id}/roles/{assignment}", delete(admin::revoke_role))
        .route(
            "/users/{id}/roles/{assignment}/tokens",
            post(admin::issue_token),
        )
        .route("/categories", get(regions::categories))
        .route("/deadline-policy", get(deadline::show).put(deadline::save))
        .route("/stats", get(stats::show))
        .route("/exports/{kind}", get(stats::export))
        .route("/track", post(tracking::track))
        .route("/audit", get(audit::search))
        .route(
            "/session",
            post(session::sign_in)
                .get(session::show)
                .delete(session::sign_out),
        )
        .route("/session/password", post(session::change_password))
        .route("/session/totp", post(session::enrol_totp))
        .route("/session/totp/confirm", post(session::confirm_totp))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/resident/code", post(resident::send_code))
        .route("/resident/session", post(resident::sign_in))
}

pub async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "status": "ok", "backend": app.store().backend() }))
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

pub async fn not_found(headers: HeaderMap) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").in_lang(lang(&headers))
}

pub async fn method_not_allowed(headers: HeaderMap) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take this method",
    )
    .in_lang(lang(&headers))
}
