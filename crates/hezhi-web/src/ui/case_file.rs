//! `GET /cases/{id}/files/{digest}` and `…/thumbnail`: a file attached to the case, for a
//! signed-in user who may read the case; served as the API serves it.

use super::Page;
use crate::api::attachments::file_response;
use crate::error::ApiError;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hezhi_app::App;
use hezhi_domain::{CaseId, ContentDigest};
use std::sync::Arc;

async fn serve(
    app: &App,
    page: &Page,
    params: Result<Path<(String, String)>, PathRejection>,
    thumbnail: bool,
) -> Response {
    let session = match page.working_session() {
        Ok(session) => session,
        Err(response) => return *response,
    };
    let ids = params.ok().and_then(|Path((id, digest))| {
        Some((CaseId::parse(&id)?, ContentDigest::parse(&digest).ok()?))
    });
    let Some((id, digest)) = ids else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match app
        .attachment_content(&session.principal, id, &digest, thumbnail)
        .await
    {
        Ok((media_type, bytes)) => file_response(&media_type, bytes),
        Err(error) => ApiError::from(error).in_lang(page.lang).into_response(),
    }
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    serve(&app, &page, params, false).await
}

pub async fn thumbnail(
    State(app): State<Arc<App>>,
    page: Page,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    serve(&app, &page, params, true).await
}
