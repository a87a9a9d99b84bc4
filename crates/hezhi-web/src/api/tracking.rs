//! `POST /api/v1/track`: a resident follows his case with its tracking code and his phone,
//! without signing in.

use crate::error::ApiError;
use crate::extract::{ClientAddress, json_body, lang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use hezhi_app::App;
use hezhi_app::tracking::PublicCase;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackBody {
    tracking_code: String,
    phone: String,
}

pub async fn track(
    State(app): State<Arc<App>>,
    client: ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PublicCase>, ApiError> {
    let lang = lang(&headers);
    let body = crate::extract::body(body, lang)?;
    let body: TrackBody = json_body(&headers, &body, lang)?;
    let case = app
        .track(&body.tracking_code, &body.phone, &client.key())
        .await
        .map_err(|e| ApiError::from(e).in_lang(lang))?;
    Ok(Json(case))
}
