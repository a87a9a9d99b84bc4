//! Regions, units and categories: the reference data a client needs to fill in a case.

use crate::error::ApiError;
use crate::extract::{self, Caller};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hezhi_app::{App, AppError};
use hezhi_domain::RegionCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

fn region_code(text: &str, caller: &Caller) -> Result<RegionCode, ApiError> {
    RegionCode::parse(text).map_err(|e| ApiError::from(AppError::from(e)).in_lang(caller.lang))
}

pub async fn show(
    State(app): State<Arc<App>>,
    caller: Caller,
    code: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let code = region_code(&extract::path(code, caller.lang)?, &caller)?;
    let (region, children) = app
        .region_with_children(&code)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    let mut body = json!(region);
    body["children"] = json!(children);
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    region: Option<String>,
}

pub async fn units(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<UnitQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()).in_lang(caller.lang)
    })?;
    let Some(region) = query.region else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            "region is required",
        )
        .with_field("region")
        .in_lang(caller.lang));
    };
    let code = region_code(&region, &caller)?;
    let units = app
        .units_in_region(&code)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(Json(json!({ "items": units })))
}

pub async fn categories(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let categories = app
        .categories()
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(Json(json!({ "items": categories })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocateQuery {
    lat: Option<f64>,
    lon: Option<f64>,
}

/// `GET /grids/locate?lat=&lon=`: the grid whose shape contains the point, or 404.
pub async fn locate_grid(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<LocateQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()).in_lang(caller.lang)
    })?;
    let required = |field: &'static str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            format!("{field} is required"),
        )
        .with_field(field)
        .in_lang(caller.lang)
    };
    let lat = query.lat.ok_or_else(|| required("lat"))?;
    let lon = query.lon.ok_or_else(|| required("lon"))?;
    let grid = app
        .locate_grid(lat, lon)
        .await
        .map_err(|e| ApiError::from(e).in_lang(caller.lang))?;
    Ok(Json(json!(grid)))
}
