//! `POST /intake`: reports the case through `App::report_case` under the form's idempotency
//! key (a form sent twice makes one case), and when it was settled on the spot also accepts
//! it and resolves it at first contact; then shows the receipt (Post/Redirect/Get). A refusal
//! shows the form again with what was entered and the reason. The form's second button,
//! "find earlier and similar cases", writes nothing and shows the form again with them.

use super::intake_check;
use super::intake_new::{self, Entered};
use super::{Page, refused, see_other};
use crate::error::ApiError;
use crate::extract::FormCaller;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::input::{CaseInput, PartyInput};
use hezhi_app::service::request_hash;
use hezhi_app::{App, AppError, IdempotencyRequest};
use hezhi_domain::{Command, Outcome, Principal};
use std::sync::Arc;

use super::invalid_value as invalid;

/// The report the form describes.
fn input_of(entered: &Entered) -> Result<CaseInput, ApiError> {
    let value = |name: &str| entered.get(name).map(|v| v.trim()).unwrap_or_default();
    let optional = |name: &str| Some(value(name).to_owned()).filter(|v| !v.is_empty());
    let (kind, category) =
        intake_new::split_category(value("category")).ok_or_else(|| invalid("category"))?;
    let number = |name: &str| -> Result<Option<u64>, ApiError> {
        optional(name)
            .map(|v| v.parse().map_err(|_| invalid(name)))
            .transpose()
    };
    let mut parties = Vec::new();
    for (prefix, role) in [("applicant", "applicant"), ("respondent", "respondent")] {
        if let Some(name) = optional(&format!("{prefix}_name")) {
            parties.push(PartyInput {
                role: role.into(),
                name,
                phone: optional(&format!("{prefix}_phone")),
                id_number: optional(&format!("{prefix}_id_number")),
                address: None,
            });
        }
    }
    Ok(CaseInput {
        kind: kind.to_owned(),
        category: category.to_owned(),
        channel: optional("channel").unwrap_or_else(|| "window".into()),
        region: value("region").to_owned(),
        address: optional("address"),
        position: None,
        title: value("title").to_owned(),
        description: value("description").to_owned(),
        parties,
        amount_yuan: number("amount_yuan")?,
        people_involved: number("people_involved")?
            .map(|n| u32::try_from(n).map_err(|_| invalid("people_involved")))
            .transpose()?,
        case_leader: None,
    })
}

/// Reports, and for a matter settled on the spot, accepts and resolves it too.
async fn report(
    app: &App,
    principal: &Principal,
    entered: &Entered,
    body: &[u8],
) -> Result<hezhi_domain::CaseId, ApiError> {
    let input = input_of(entered)?;
    let key = entered
        .get("idempotency_key")
        .map(String::as_str)
        .unwrap_or_default();
    let idempotency = IdempotencyRequest::new(key, request_hash(&[b"POST", b"/intake", body]))
        .map_err(|e| ApiError::from(AppError::from(e)))?;
    let outcome = app
        .report_case(principal, &input, Some(idempotency))
        .await
        .map_err(ApiError::from)?;
    let id = outcome.receipt.id;
    let settled = entered.get("first_contact").is_some_and(|v| v == "on");
    if settled && !outcome.replayed {
        let note = entered
            .get("first_contact_note")
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        let note = if note.is_empty() {
            input.title.clone()
        } else {
            note
        };
        let accepted = app
            .run_command(
                principal,
                id,
                Some(outcome.receipt.version),
                Command::Accept { note: None },
                None,
            )
            .await
            .map_err(ApiError::from)?;
        let outcome = if input.kind == "dispute" {
            Outcome::Settled
        } else {
            Outcome::Handled
        };
        app.run_command(
            principal,
            id,
            Some(accepted.receipt.version),
            Command::ResolveAtFirstContact { outcome, note },
            None,
        )
        .await
        .map_err(ApiError::from)?;
    }
    Ok(id)
}

pub async fn create(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let fields = input.map(|Form(f)| f).unwrap_or_default();
    let entered: Entered = fields.iter().cloned().collect();
    let session = caller.session().clone();
    let token = entered
        .get("csrf_token")
        .map(String::as_str)
        .unwrap_or_default();
    let caller = match caller.check_form_token(token) {
        Ok(caller) => caller,
        Err(error) => return refused(&page, &error),
    };
    if entered.get("check").is_some_and(|v| v == "1") {
        // A check writes nothing: the form comes back, as entered, with what was found.
        let now = app.now();
        return match intake_check::find(&app, &caller.principal, &entered, now).await {
            Ok(earlier) => {
                let block = intake_check::render(&page, &earlier, now);
                intake_new::render(
                    &app,
                    &page,
                    &session,
                    &entered,
                    None,
                    Some(&block),
                    StatusCode::OK,
                )
                .await
            }
            Err(error) => {
                let error = ApiError::from(error);
                let message = page.error_text(&error);
                intake_new::render(
                    &app,
                    &page,
                    &session,
                    &entered,
                    Some(message),
                    None,
                    error.status,
                )
                .await
            }
        };
    }
    // The request the idempotency key is bound to: the fields without the CSRF token, which
    // a retry from a new page would change.
    let body: Vec<u8> = fields
        .iter()
        .filter(|(name, _)| name != "csrf_token")
        .flat_map(|(name, value)| [name.as_bytes(), b"=", value.as_bytes(), b"&"].concat())
        .collect();
    match report(&app, &caller.principal, &entered, &body).await {
        Ok(id) => see_other(&format!("/cases/{id}/receipt")),
        Err(error) => {
            let status = if error.status.is_server_error() {
                error.status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let message = page.error_text(&error);
            intake_new::render(&app, &page, &session, &entered, Some(message), None, status).await
        }
    }
}
