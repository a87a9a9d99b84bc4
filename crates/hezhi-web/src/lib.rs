#![doc = include_str!("../README.md")]
// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

mod api;
pub mod auth;
mod error;
mod extract;
mod i18n;
pub mod limits;
mod openapi;
mod ui;

use axum::Extension;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use hezhi_app::App;
use std::sync::Arc;

pub use auth::WebSettings;
pub use error::ApiError;
pub use extract::{Caller, FormCaller, SessionCaller};
pub use limits::Limits;
pub use openapi::document as openapi_document;

/// The largest request body accepted by the JSON API.
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// The largest GeoJSON grid file accepted by the grid import: room for a village's grids at
/// up to `hezhi_domain::geo::MAX_VERTICES` positions each.
pub const MAX_GEOJSON_BODY: usize = 8 * 1024 * 1024;

/// The whole HTTP surface: `/healthz`, the JSON API under `/api/v1` and the web pages, for a server
/// reached over plain HTTP without a proxy in front (tests, a laptop).
pub fn router(app: Arc<App>) -> Router {
    router_with(app, WebSettings::default())
}

/// [`router`], told how the server is reached (TLS, a trusted reverse proxy).
///
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`, so that failed
/// sign-ins are also counted per client address.
pub fn router_with(app: Arc<App>, settings: WebSettings) -> Router {
    let limits = settings.limits;
    let guard = limits::Guard {
        rates: limits::Rates::new(limits),
        request_timeout: limits.request_timeout,
        app: Arc::clone(&app),
    };
    Router::new()
        .route("/healthz", get(api::health))
        .nest("/api/v1", api::routes(&limits))
        .merge(ui::routes(&limits))
        // After the routes: it applies to those registered so far, nested ones included.
        .method_not_allowed_fallback(api::method_not_allowed)
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(limits.json_body))
        // Inside the settings' layer: the guard reads them to find the client's address.
        .layer(axum::middleware::from_fn_with_state(guard, limits::guard))
        .layer(Extension(settings))
        .with_state(app)
}
