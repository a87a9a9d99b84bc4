//! Cases: report, read, list, history, and every lifecycle command.

use crate::error::ApiError;
use crate::extract::{self, Caller, etag, idempotency, if_match, json_body};
use crate::i18n::Lang;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hezhi_app::input::parse_enum;
use hezhi_app::{App, AppError, CaseInput, WriteOutcome};
use hezhi_app::{Attention, CaseFilter, CaseOrder, PageRequest};
use hezhi_domain::{
    Case, CaseId, CaseState, CategoryCode, Command, CommandKind, Event, IdNumber, Party, Phone,
    RegionCode, UnitId, Urgency, ValidationError, masked_address,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

fn app_error(caller: &Caller) -> impl Fn(AppError) -> ApiError + '_ {
    move |e| ApiError::from(e).in_lang(caller.lang)
}

fn case_id(text: &str, caller: &Caller) -> Result<CaseId, ApiError> {
    CaseId::parse(text).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such case").in_lang(caller.lang)
    })
}

/// Parties as the API shows them: phone, ID number and address masked. Only
/// [`reveal`] shows them in the clear.
fn masked_parties(parties: &[Party]) -> Value {
    parties
        .iter()
        .map(|p| {
            json!({
                "role": p.role,
                "name": p.name,
                "phone": p.phone.as_ref().map(|v| v.masked()),
                "id_number": p.id_number.as_ref().map(|v| v.masked()),
                "address": p.address.as_deref().map(masked_address),
            })
        })
        .collect()
}

/// Parties in the clear, in the same shape as [`masked_parties`].
fn revealed_parties(parties: &[Party]) -> Value {
    parties
        .iter()
        .map(|p| {
            json!({
                "role": p.role,
                "name": p.name,
                "phone": p.phone.as_ref().map(Phone::as_str),
                "id_number": p.id_number.as_ref().map(IdNumber::as_str),
                "address": p.address,
            })
        })
        .collect()
}

fn case_view(case: &Case, now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut view = json!(case);
    view["parties"] = masked_parties(&case.data.parties);
    view["overdue"] = json!(case.is_overdue(now));
    view
}

fn event_view(event: &Event) -> Value {
    let mut view = json!(event);
    if let hezhi_domain::EventKind::Reported { case, .. } = &event.kind {
        view["case"]["parties"] = masked_parties(&case.parties);
    }
    view
}

fn summary(case: &Case, now: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "id": case.id,
        "number": case.number,
        "state": case.state,
        "kind": case.data.kind,
        "category": case.data.category,
        "channel": case.data.channel,
        "region": case.data.region,
        "title": case.data.title,
        "urgency": case.urgency,
        "due_at": case.due_at,
        "overdue": case.is_overdue(now),
        "reported_at": case.reported_at,
        "updated_at": case.updated_at,
        "version": case.version,
    })
}

fn written(outcome: WriteOutcome) -> Response {
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Json(json!(outcome.receipt))).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag(outcome.receipt.version)) {
        headers.insert(header::ETAG, value);
    }
    if outcome.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = extract::body(body, caller.lang)?;
    let input: CaseInput = json_body(&headers, &body, caller.lang)?;
    let key = idempotency(&headers, "POST", "/api/v1/cases", &body, caller.lang)?;
    let outcome = app
        .report_case(&caller.principal, &input, key)
        .await
        .map_err(app_error(&caller))?;
    let mut response = written(outcome.clone());
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/cases/{}", outcome.receipt.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn show(
    State(app): State<Arc<App>>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = case_id(&extract::path(id, caller.lang)?, &caller)?;
    let case = app
        .case(&caller.principal, id)
        .await
        .map_err(app_error(&caller))?;
    let mut response = Json(case_view(&case, app.now())).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(case.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

pub async fn events(
    State(app): State<Arc<App>>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = case_id(&extract::path(id, caller.lang)?, &caller)?;
    let events = app
        .events(&caller.principal, id)
        .await
        .map_err(app_error(&caller))?;
    Ok(Json(
        json!({ "items": events.iter().map(event_view).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    region: Option<String>,
    category: Option<String>,
    urgency: Option<String>,
    unit: Option<String>,
    overdue: Option<bool>,
    open: Option<bool>,
    party_phone: Option<String>,
    party_id_number: Option<String>,
    attention: Option<String>,
    order: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// The same validation error, about the query parameter `field`.
fn named(field: &'static str) -> impl Fn(ValidationError) -> ValidationError {
    move |error| ValidationError {
        field: field.to_owned(),
        ..error
    }
}

impl ListQuery {
    fn parse(
        self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(CaseFilter, PageRequest), AppError> {
        let invalid = |field: &str, value: &str| {
            AppError::from(hezhi_domain::ValidationError::new(
                field,
                "invalid_value",
                format!("`{value}` is not a valid {field}"),
            ))
        };
        let filter = CaseFilter {
            state: self
                .state
                .as_deref()
                .map(|s| CaseState::parse(s).ok_or_else(|| invalid("state", s)))
                .transpose()?,
            region: self.region.as_deref().map(RegionCode::parse).transpose()?,
            category: self
                .category
                .as_deref()
                .map(CategoryCode::parse)
                .transpose()?,
            urgency: self
                .urgency
                .as_deref()
                .map(|u| parse_enum::<Urgency>("urgency", u))
                .transpose()?,
            unit: self
                .unit
                .as_deref()
                .map(|u| UnitId::parse(u).ok_or_else(|| invalid("unit", u)))
                .transpose()?,
            overdue_at: self.overdue.unwrap_or(false).then_some(now),
            due_before: None,
            open_only: self.open.unwrap_or(false),
            scopes: None,
            attention: self
                .attention
                .as_deref()
                .map(|a| Attention::parse(a).ok_or_else(|| invalid("attention", a)))
                .transpose()?,
            order: match self.order.as_deref() {
                None | Some("newest") => CaseOrder::Newest,
                Some("queue") => CaseOrder::Queue,
                Some(other) => return Err(invalid("order", other)),
            },
            party_phone: self
                .party_phone
                .as_deref()
                .map(|p| Phone::parse(p).map_err(named("party_phone")))
                .transpose()?,
            party_id_number: self
                .party_id_number
                .as_deref()
                .map(|p| IdNumber::parse(p).map_err(named("party_id_number")))
                .transpose()?,
        };
        let page = PageRequest {
            after: self
                .cursor
                .as_deref()
                .map(|c| CaseId::parse(c).ok_or_else(|| invalid("cursor", c)))
                .transpose()?,
            limit: self.limit.unwrap_or(50),
        };
        if !(1..=200).contains(&page.limit) {
            return Err(invalid("limit", &page.limit.to_string()));
        }
        Ok((filter, page))
    }
}

pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = extract::query(query, caller.lang)?;
    let now = app.now();
    let (filter, page) = query.parse(now).map_err(app_error(&caller))?;
    let page = app
        .list_cases(&caller.principal, filter, page)
        .await
        .map_err(app_error(&caller))?;
    Ok(Json(json!({
        "items": page.items.iter().map(|c| summary(c, now)).collect::<Vec<_>>(),
        "next_cursor": page.next,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealInput {
    reason: String,
}

/// `POST /cases/{id}/reveal`: the parties in the clear, for a role that must contact them,
/// with a reason that goes into the audit log before the answer is sent.
pub async fn reveal(
    State(app): State<Arc<App>>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = case_id(&extract::path(id, caller.lang)?, &caller)?;
    let body = extract::body(body, caller.lang)?;
    let input: RevealInput = json_body(&headers, &body, caller.lang)?;
    let parties = app
        .reveal_parties(&caller.principal, id, &input.reason)
        .await
        .map_err(app_error(&caller))?;
    let mut response =
        Json(json!({ "case": id, "parties": revealed_parties(&parties) })).into_response();
    // Personal data in the clear is not for caches.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Names the field of a malformed unit id in a command body. serde cannot: inside the
/// tagged `Command` enum it loses the path to the value it refused.
fn check_unit_ids(fields: &serde_json::Map<String, Value>, lang: Lang) -> Result<(), ApiError> {
    let bad = |field: String| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "not a unit id",
        )
        .with_field(field)
        .in_lang(lang)
    };
    let is_id = |value: &Value| {
        value
            .as_str()
            .is_some_and(|text| UnitId::parse(text).is_some())
    };
    if let Some(lead) = fields.get("lead_unit")
        && !is_id(lead)
    {
        return Err(bad("lead_unit".into()));
    }
    if let Some(Value::Array(units)) = fields.get("supporting_units")
        && let Some(index) = units.iter().position(|unit| !is_id(unit))
    {
        return Err(bad(format!("supporting_units[{index}]")));
    }
    Ok(())
}

pub async fn command(
    State(app): State<Arc<App>>,
    caller: Caller,
    params: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (id, name) = extract::path(params, caller.lang)?;
    let kind = CommandKind::parse(&name)
        .filter(|k| *k != CommandKind::Report)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_command",
                format!("no command `{name}`"),
            )
            .in_lang(caller.lang)
        })?;
    let id = case_id(&id, &caller)?;
    let body = extract::body(body, caller.lang)?;
    let mut fields: serde_json::Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        json_body(&headers, &body, caller.lang)?
    };
    check_unit_ids(&fields, caller.lang)?;
    fields.insert("command".into(), json!(kind.as_str()));
    let command: Command = extract::from_json_value(Value::Object(fields), caller.lang)?;
    let version = if_match(&headers, caller.lang)?;
    let path = format!("/api/v1/cases/{id}/{name}#{}", version.unwrap_or(0));
    let key = idempotency(&headers, "POST", &path, &body, caller.lang)?;
    let outcome = app
        .run_command(&caller.principal, id, version, command, key)
        .await
        .map_err(app_error(&caller))?;
    Ok(written(outcome))
}
