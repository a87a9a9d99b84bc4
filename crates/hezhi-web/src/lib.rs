#![doc = include_str!("../README.md")]
// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

mod api;
mod error;
mod extract;
mod i18n;
mod openapi;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use hezhi_app::App;
use std::sync::Arc;

pub use error::ApiError;
pub use openapi::document as openapi_document;

/// The largest request body accepted by the JSON API.
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// The largest GeoJSON grid file accepted by the grid import: room for a village's grids at
/// up to `hezhi_domain::geo::MAX_VERTICES` positions each.
pub const MAX_GEOJSON_BODY: usize = 8 * 1024 * 1024;

/// The whole HTTP surface: `/healthz` and the JSON API under `/api/v1`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(api::health))
        .nest("/api/v1", api::routes())
        // After the routes: it applies to those registered so far, nested ones included.
        .method_not_allowed_fallback(api::method_not_allowed)
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(app)
}
