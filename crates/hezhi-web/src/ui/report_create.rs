//! `POST /report`: reports the case through `App::report_case`, then attaches each photo,
//! every step under the form's idempotency key, so a form sent again after a lost answer
//! makes one case with its photos once. A position places the report in the grid that
//! contains it, when that grid lies in the chosen place; then the receipt is shown.

use super::form_input::FormInput;
use super::intake_new::{Entered, split_category};
use super::report_new;
use super::{Page, checked_form, see_other};
use crate::error::ApiError;
use crate::extract::FormCaller;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::input::{CaseInput, PartyInput, PositionInput};
use hezhi_app::{App, AppError};
use hezhi_domain::{CaseId, Principal, RegionCode, Role};
use std::sync::Arc;

use super::invalid_value as invalid;

/// The channel a report comes by: a grid worker's patrol, a resident's phone, or a desk.
fn channel(principal: &Principal) -> &'static str {
    let roles: Vec<Role> = principal.assignments.iter().map(|a| a.role).collect();
    if roles.contains(&Role::GridWorker) {
        "grid_report"
    } else if roles.iter().all(|r| *r == Role::Resident) {
        "online"
    } else {
        "window"
    }
}

fn position(input: &FormInput) -> Result<Option<PositionInput>, ApiError> {
    let (lat, lon) = (input.field("lat").trim(), input.field("lon").trim());
    match (lat.is_empty(), lon.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => Ok(Some(PositionInput {
            lat: lat.parse().map_err(|_| invalid("lat"))?,
            lon: lon.parse().map_err(|_| invalid("lon"))?,
        })),
        (true, false) => Err(invalid("lat")),
        (false, true) => Err(invalid("lon")),
    }
}

/// The region the case is registered in: the grid chosen, else the grid that contains the
/// position if it lies in the place, else the place itself.
async fn region(
    app: &App,
    input: &FormInput,
    position: Option<PositionInput>,
) -> Result<RegionCode, ApiError> {
    let place = RegionCode::parse(input.field("place").trim()).map_err(|_| invalid("place"))?;
    let grid = input.field("grid").trim();
    if !grid.is_empty() {
        let grid = RegionCode::parse(grid).map_err(|_| invalid("grid"))?;
        return if grid.is_within(&place) {
            Ok(grid)
        } else {
            Err(invalid("grid"))
        };
    }
    if let Some(p) = position
        && let Ok(located) = app.locate_grid(p.lat, p.lon).await
        && located.code.is_within(&place)
    {
        return Ok(located.code);
    }
    Ok(place)
}

async fn report(app: &App, principal: &Principal, input: &FormInput) -> Result<CaseId, ApiError> {
    let (kind, category) =
        split_category(input.field("category")).ok_or_else(|| invalid("category"))?;
    let position = position(input)?;
    let region = region(app, input, position).await?;
    let optional = |name: &str| Some(input.field(name).trim().to_owned()).filter(|v| !v.is_empty());
    let parties = match optional("contact_name") {
        Some(name) => vec![PartyInput {
            role: "applicant".into(),
            name,
            phone: optional("contact_phone"),
            id_number: None,
            address: None,
        }],
        None if optional("contact_phone").is_some() => return Err(invalid("contact_name")),
        None => Vec::new(),
    };
    let case = CaseInput {
        kind: kind.to_owned(),
        category: category.to_owned(),
        channel: channel(principal).to_owned(),
        region: region.to_string(),
        address: optional("address"),
        position,
        title: input.field("title").trim().to_owned(),
        description: input.field("description").trim().to_owned(),
        parties,
        amount_yuan: None,
        people_involved: None,
        case_leader: None,
    };
    // Files are checked before anything is written, so a bad photo reports nothing.
    for file in &input.files {
        hezhi_app::attachment::check_file(&file.bytes)
            .map_err(|e| ApiError::from(AppError::from(e)))?;
    }
    let reported = app
        .report_case(principal, &case, input.idempotency("/report", "report")?)
        .await
        .map_err(ApiError::from)?;
    let id = reported.receipt.id;
    let mut version = reported.receipt.version;
    for (n, file) in input.files.iter().enumerate() {
        let attached = app
            .attach_file(
                principal,
                id,
                Some(version),
                &file.name,
                &file.bytes,
                input.idempotency("/report", &format!("file{n}"))?,
            )
            .await
            .map_err(ApiError::from)?;
        version = attached.receipt.version;
    }
    Ok(id)
}

pub async fn create(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    let (session, caller, input) = match checked_form(&page, caller, input) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    match report(&app, &caller.principal, &input).await {
        Ok(id) => see_other(&format!("/cases/{id}/receipt")),
        Err(error) => {
            let status = if error.status.is_server_error() {
                error.status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut message = page.error_text(&error);
            if !input.files.is_empty() {
                message.push(' ');
                message.push_str(page.t(super::text::Msg::ReportChooseFilesAgain));
            }
            let entered: Entered = input
                .fields
                .iter()
                .filter(|(name, _)| name != "csrf_token")
                .cloned()
                .collect();
            let place = match RegionCode::parse(input.field("place").trim()) {
                Ok(code) => app.region(&code).await.ok(),
                Err(_) => None,
            };
            report_new::render(
                &app,
                &page,
                &session,
                place,
                &entered,
                Some(message),
                status,
            )
            .await
        }
    }
}
