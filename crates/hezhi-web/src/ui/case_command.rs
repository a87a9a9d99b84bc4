//! `POST /cases/{id}/{command}`: a command form of the case page. The form carries the
//! session's CSRF token, the version the user saw and an idempotency key; files chosen in it
//! (a verification photo, a resolution's documents) are attached first, each by its own
//! `attach` command, and then the command itself runs, all through `App::run_command` like
//! the API's. The browser is sent back to the case (Post/Redirect/Get); a refused command
//! re-renders the case page with the reason. A retried submission replays every step.

use super::form_input::FormInput;
use super::{Page, case_show, checked_form, see_other, time};
use crate::error::ApiError;
use crate::extract::{self, FormCaller};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::App;
use hezhi_domain::{CaseId, Command, CommandKind, Principal};
use serde_json::{Map, Value, json};
use std::sync::Arc;

use super::invalid_value as invalid;

/// The command's JSON from the form's fields: empty fields left out, repeated
/// `supporting_units` gathered, times read as China time.
fn command_of(kind: CommandKind, fields: &[(String, String)]) -> Result<Command, ApiError> {
    let mut object = Map::new();
    let mut supporting = Vec::new();
    for (name, value) in fields {
        let value = value.trim();
        match name.as_str() {
            "csrf_token" | "version" | "idempotency_key" => {}
            // Text left empty is sent as such, so that a required one is refused as missing.
            "note" | "reason" => {
                object.insert(name.clone(), json!(value));
            }
            _ if value.is_empty() => {}
            "supporting_units" => supporting.push(json!(value)),
            "due_at" | "until" | "promised_due_at" => {
                let at = time::parse_input(value).ok_or_else(|| invalid(name))?;
                object.insert(name.clone(), json!(at));
            }
            _ => {
                object.insert(name.clone(), json!(value));
            }
        }
    }
    if !supporting.is_empty() {
        object.insert("supporting_units".into(), Value::Array(supporting));
    }
    object.insert("command".into(), json!(kind.as_str()));
    extract::from_json_value(Value::Object(object), crate::i18n::Lang::Zh)
}

/// Attaches the form's files, then runs the command (unless it was only `attach`).
async fn carry_out(
    app: &App,
    principal: &Principal,
    id: CaseId,
    kind: CommandKind,
    input: &FormInput,
) -> Result<(), ApiError> {
    let path = format!("/cases/{id}/{}", kind.as_str());
    let mut version = input.field("version").trim().parse::<u32>().ok();
    if kind == CommandKind::Attach && input.files.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            "choose a file",
        )
        .with_field("file"));
    }
    // Checked before any file is attached, so that a bad form attaches nothing.
    let command = match kind {
        CommandKind::Attach => None,
        _ => Some(command_of(kind, &input.fields)?),
    };
    for (n, file) in input.files.iter().enumerate() {
        let outcome = app
            .attach_file(
                principal,
                id,
                version,
                &file.name,
                &file.bytes,
                input.idempotency(&path, &format!("file{n}"))?,
            )
            .await
            .map_err(ApiError::from)?;
        version = Some(outcome.receipt.version);
    }
    if let Some(command) = command {
        app.run_command(
            principal,
            id,
            version,
            command,
            input.idempotency(&path, "command")?,
        )
        .await
        .map_err(ApiError::from)?;
    }
    Ok(())
}

pub async fn run(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    params: Result<Path<(String, String)>, PathRejection>,
    input: Result<FormInput, ApiError>,
) -> Response {
    let (session, caller, input) = match checked_form(&page, caller, input) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let Ok(Path((id, name))) = params else {
        return case_show::render(&app, &page, &session, None, None).await;
    };
    let Some(id) = CaseId::parse(&id) else {
        return case_show::render(&app, &page, &session, None, None).await;
    };
    let kind = CommandKind::parse(&name).filter(|k| *k != CommandKind::Report);
    let Some(kind) = kind else {
        let error = ApiError::new(StatusCode::NOT_FOUND, "unknown_command", "no such command");
        return case_show::render(&app, &page, &session, Some(id), Some(error)).await;
    };
    match carry_out(&app, &caller.principal, id, kind, &input).await {
        Ok(()) => see_other(&format!("/cases/{id}")),
        Err(error) => case_show::render(&app, &page, &session, Some(id), Some(error)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_become_the_command() {
        let fields = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect()
        };
        let accept = command_of(
            CommandKind::Accept,
            &fields(&[
                ("csrf_token", "x"),
                ("version", "1"),
                ("idempotency_key", "k"),
                ("note", ""),
            ]),
        )
        .expect("accept");
        assert_eq!(
            accept,
            Command::Accept {
                note: Some(String::new())
            }
        );
        let lead = "01900000-0000-7000-8000-000000000001";
        let support = "01900000-0000-7000-8000-000000000002";
        let dispatch = command_of(
            CommandKind::Dispatch,
            &fields(&[
                ("lead_unit", lead),
                ("supporting_units", support),
                ("due_at", "2026-03-09T18:00"),
            ]),
        )
        .expect("dispatch");
        let Command::Dispatch {
            lead_unit,
            supporting_units,
            due_at,
            note,
        } = dispatch
        else {
            panic!("not a dispatch: {dispatch:?}");
        };
        assert_eq!(lead_unit.to_string(), lead);
        assert_eq!(supporting_units.len(), 1);
        assert_eq!(
            due_at.to_rfc3339(),
            "2026-03-09T10:00:00+00:00",
            "China time"
        );
        assert_eq!(note, None);
        let error = command_of(CommandKind::Dispatch, &fields(&[("due_at", "soon")]))
            .expect_err("a bad time");
        assert_eq!(error.field.as_deref(), Some("due_at"));
        let extension = command_of(
            CommandKind::RequestExtension,
            &fields(&[("until", "2026-03-20T12:00"), ("reason", "等待鉴定")]),
        )
        .expect("extension");
        assert!(matches!(extension, Command::RequestExtension { .. }));
    }
}
