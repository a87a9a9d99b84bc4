//! The indicators (`GET /api/v1/stats?region=CODE&from=YYYY-MM-DD&to=YYYY-MM-DD`) and the
//! exports (`GET /api/v1/exports/{ledger|report}`), for users whose role may see the region's
//! figures.

use crate::error::ApiError;
use crate::extract::Caller;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hezhi_app::export::{ExportFormat, ExportKind, ExportRequest};
use hezhi_app::{App, AppError, Indicators, Period};
use hezhi_domain::{CaseKind, CaseState, CategoryCode, RegionCode};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    region: String,
    from: String,
    to: String,
}

pub async fn show(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<Indicators>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()).in_lang(caller.lang)
    })?;
    let fail = |e: AppError| ApiError::from(e).in_lang(caller.lang);
    let region = RegionCode::parse(&query.region).map_err(|e| fail(e.into()))?;
    let period = Period::parse(&query.from, &query.to).map_err(|e| fail(e.into()))?;
    app.indicators(&caller.principal, &region, period)
        .await
        .map(Json)
        .map_err(fail)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub region: String,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub case_kind: Option<CaseKind>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

impl ExportQuery {
    /// The export of `kind` (`ledger` or `report`) this query asks for; each bad value is
    /// named by its field.
    pub fn request(&self, kind: &str) -> Result<ExportRequest, hezhi_domain::ValidationError> {
        Ok(ExportRequest {
            kind: ExportKind::parse(kind)?,
            region: RegionCode::parse(&self.region)?,
            period: Period::parse(&self.from, &self.to)?,
            format: ExportFormat::parse(self.format.as_deref().unwrap_or("xlsx"))?,
            case_kind: self.case_kind,
            category: self
                .category
                .as_deref()
                .map(CategoryCode::parse)
                .transpose()?,
            state: self
                .state
                .as_deref()
                .map(|s| {
                    CaseState::parse(s).ok_or_else(|| {
                        hezhi_domain::ValidationError::new(
                            "state",
                            "unknown_state",
                            format!("`{s}` is not a case state"),
                        )
                    })
                })
                .transpose()?,
        })
    }
}

/// `GET /api/v1/exports/{ledger|report}?region=&from=&to=&format=xlsx|csv|html`: the file,
/// personal data masked, the export written to the audit log.
pub async fn export(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(kind): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()).in_lang(caller.lang)
    })?;
    let fail = |e: AppError| ApiError::from(e).in_lang(caller.lang);
    let request = query.request(&kind).map_err(|e| fail(e.into()))?;
    let file = app
        .export(&caller.principal, &request, &|_| {})
        .await
        .map_err(fail)?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&file.file_name),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        file.bytes,
    )
        .into_response())
}

/// `attachment` with the name in UTF-8 (RFC 6266 / RFC 5987) and an ASCII fallback.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}
