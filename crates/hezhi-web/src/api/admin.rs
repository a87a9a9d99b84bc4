//! Administration: users and their role assignments (system and security administrators),
//! units and grids (system administrators). Every check is in the use cases; these handlers
//! only parse and answer.

use crate::error::ApiError;
use crate::extract::{self, Caller, json_body};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hezhi_app::input::parse_enum;
use hezhi_app::{App, AppError};
use hezhi_domain::{AssignmentId, CategoryCode, RegionCode, Role, UnitId, UnitKind, UserId};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

fn app_error(caller: &Caller) -> impl Fn(AppError) -> ApiError + '_ {
    move |e| ApiError::from(e).in_lang(caller.lang)
}

fn not_found(caller: &Caller, what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such {what}"),
    )
    .in_lang(caller.lang)
}

fn user_id(text: &str, caller: &Caller) -> Result<UserId, ApiError> {
    UserId::parse(text).ok_or_else(|| not_found(caller, "user"))
}

fn assignment_id(text: &str, caller: &Caller) -> Result<AssignmentId, ApiError> {
    AssignmentId::parse(text).ok_or_else(|| not_found(caller, "role assignment"))
}

fn invalid(caller: &Caller) -> impl Fn(hezhi_domain::ValidationError) -> ApiError + '_ {
    move |e| ApiError::from(AppError::from(e)).in_lang(caller.lang)
}

pub async fn users(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let users = app
        .users(&caller.principal)
        .await
        .map_err(app_error(&caller))?;
    Ok(Json(json!({ "items": users })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    name: String,
}

pub async fn create_user(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: NewUserBody = json_body(&headers, &body, caller.lang)?;
    let user = app
        .create_user(&caller.principal, &body.name)
        .await
        .map_err(app_error(&caller))?;
    Ok((StatusCode::CREATED, Json(json!(user))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    role: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    unit: Option<String>,
}

pub async fn grant_role(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = user_id(&user, &caller)?;
    let body: GrantBody = json_body(&headers, &body, caller.lang)?;
    let role: Role = parse_enum("role", &body.role).map_err(invalid(&caller))?;
    let region = body
        .region
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .map_err(invalid(&caller))?;
    let unit = body
        .unit
        .as_deref()
        .map(|u| {
            UnitId::parse(u).ok_or_else(|| {
                hezhi_domain::ValidationError::new("unit", "unknown_unit", "no such unit")
            })
        })
        .transpose()
        .map_err(invalid(&caller))?;
    let assignment = app
        .grant_role(Some(&caller.principal), user, role, region, unit)
        .await
        .map_err(app_error(&caller))?;
    Ok((StatusCode::CREATED, Json(json!(assignment))).into_response())
}

pub async fn revoke_role(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((user, assignment)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let user = user_id(&user, &caller)?;
    let assignment = assignment_id(&assignment, &caller)?;
    app.revoke_role(Some(&caller.principal), user, assignment)
        .await
        .map_err(app_error(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn issue_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((user, assignment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let user = user_id(&user, &caller)?;
    let assignment = assignment_id(&assignment, &caller)?;
    let token = app
        .issue_token_for(&caller.principal, user, assignment)
        .await
        .map_err(app_error(&caller))?;
    Ok((StatusCode::CREATED, Json(json!({ "token": token }))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnitBody {
    name: String,
    kind: String,
    region: String,
    #[serde(default)]
    categories: Vec<String>,
}

pub async fn create_unit(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: NewUnitBody = json_body(&headers, &body, caller.lang)?;
    let kind: UnitKind = parse_enum("kind", &body.kind).map_err(invalid(&caller))?;
    let region = RegionCode::parse(&body.region).map_err(invalid(&caller))?;
    let categories = body
        .categories
        .iter()
        .map(|c| CategoryCode::parse(c).map_err(|e| e.nested("categories")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid(&caller))?;
    let unit = app
        .add_unit(
            Some(&caller.principal),
            &body.name,
            kind,
            region,
            categories,
        )
        .await
        .map_err(app_error(&caller))?;
    Ok((StatusCode::CREATED, Json(json!(unit))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGridBody {
    number: u16,
    name: String,
}

pub async fn create_grid(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(village): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let village = RegionCode::parse(&village).map_err(invalid(&caller))?;
    let body: NewGridBody = json_body(&headers, &body, caller.lang)?;
    let grid = app
        .add_grid(Some(&caller.principal), &village, body.number, &body.name)
        .await
        .map_err(app_error(&caller))?;
    Ok((StatusCode::CREATED, Json(json!(grid))).into_response())
}

/// `POST /regions/{village}/grids/import`: a GeoJSON `FeatureCollection` of grids, all or
/// nothing (`App::import_grids`).
pub async fn import_grids(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(village): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let village = RegionCode::parse(&village).map_err(invalid(&caller))?;
    let body = extract::body(body, caller.lang)?;
    let collection: Value = json_body(&headers, &body, caller.lang)?;
    let grids = app
        .import_grids(Some(&caller.principal), &village, &collection)
        .await
        .map_err(app_error(&caller))?;
    Ok(Json(json!({ "village": village, "items": grids })))
}
