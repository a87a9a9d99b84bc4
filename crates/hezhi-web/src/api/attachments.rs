//! Files: upload one (`POST /files`), then attach it to a case with the `attach` command;
//! list a case's attachments and fetch their content or thumbnails.

use crate::error::ApiError;
use crate::extract::{self, Caller};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hezhi_app::{App, AttachmentFile, CaseAttachment};
use hezhi_domain::{CaseId, ContentDigest};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The largest upload: one file of the largest accepted size, and room for a form's fields.
pub const MAX_UPLOAD_BODY: usize = hezhi_media::MAX_FILE_SIZE + 64 * 1024;

pub fn file_view(file: &AttachmentFile) -> Value {
    json!({
        "digest": file.digest,
        "media_type": file.media_type,
        "size": file.size,
        "width": file.width,
        "height": file.height,
        "taken_at": file.taken_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        "position": file.position.map(|p| json!({ "lat": p.lat, "lon": p.lon })),
        "has_thumbnail": file.has_thumbnail,
    })
}

fn attachment_view(attachment: &CaseAttachment) -> Value {
    let mut view = file_view(&attachment.file);
    if let Some(fields) = view.as_object_mut() {
        fields.insert("name".into(), json!(attachment.name));
        fields.insert("attached_at".into(), json!(attachment.attached_at));
        fields.insert(
            "attached_by_role".into(),
            json!(attachment.attached_by_role),
        );
    }
    view
}

pub async fn upload(
    State(app): State<Arc<App>>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = extract::body(body, caller.lang)?;
    let file = app
        .store_attachment_file(&caller.principal, &body)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok((StatusCode::CREATED, Json(file_view(&file))).into_response())
}

fn ids(
    caller: &Caller,
    id: &str,
    digest: Option<&str>,
) -> Result<(CaseId, Option<ContentDigest>), ApiError> {
    let not_found = || {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such case or file")
            .in_lang(caller.lang)
    };
    let id = CaseId::parse(id).ok_or_else(not_found)?;
    let digest = digest
        .map(|d| ContentDigest::parse(d).map_err(|_| not_found()))
        .transpose()?;
    Ok((id, digest))
}

pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let (id, _) = ids(&caller, &extract::path(id, caller.lang)?, None)?;
    let attachments = app
        .case_attachments(&caller.principal, id)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(Json(
        json!({ "items": attachments.iter().map(attachment_view).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentQuery {
    #[serde(default)]
    thumbnail: bool,
}

pub async fn content(
    State(app): State<Arc<App>>,
    caller: Caller,
    params: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ContentQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (id, digest) = extract::path(params, caller.lang)?;
    let (id, digest) = ids(&caller, &id, Some(&digest))?;
    let Query(query) = extract::query(query, caller.lang)?;
    let digest =
        digest.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such file"))?;
    let (media_type, bytes) = app
        .attachment_content(&caller.principal, id, &digest, query.thumbnail)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(file_response(&media_type, bytes))
}

/// A stored file as a response: never sniffed by the browser, never run as a page, and kept
/// by no shared cache (the same digest always has the same bytes, but not everyone may see
/// them).
pub fn file_response(media_type: &str, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    response
}
