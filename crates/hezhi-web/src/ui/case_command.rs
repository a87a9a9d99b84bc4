//! `POST /cases/{id}/{command}`: a command form of the case page. The form carries the
//! session's CSRF token and the version the user saw; the command goes through
//! `App::run_command` like the API's, and the browser is sent back to the case
//! (Post/Redirect/Get). A refused command re-renders the case page with the reason.

use super::{Page, case_show, refused, see_other, time};
use crate::error::ApiError;
use crate::extract::{self, FormCaller};
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::App;
use hezhi_domain::{CaseId, Command, CommandKind};
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn invalid(field: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_value",
        format!("invalid {field}"),
    )
    .with_field(field)
}

/// The command's JSON from the form's fields: empty fields left out, repeated
/// `supporting_units` gathered, the due time read as China time.
fn command_of(kind: CommandKind, fields: &[(String, String)]) -> Result<Command, ApiError> {
    let mut object = Map::new();
    let mut supporting = Vec::new();
    for (name, value) in fields {
        let value = value.trim();
        match name.as_str() {
            "csrf_token" | "version" => {}
            _ if value.is_empty() => {}
            "supporting_units" => supporting.push(json!(value)),
            "due_at" => {
                let at = time::parse_input(value).ok_or_else(|| invalid("due_at"))?;
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

pub async fn run(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    params: Result<Path<(String, String)>, PathRejection>,
    input: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let fields = input.map(|Form(f)| f).unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let session = caller.session().clone();
    let caller = match caller.check_form_token(field("csrf_token")) {
        Ok(caller) => caller,
        Err(error) => return refused(&page, &error),
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
    let version = field("version").trim().parse::<u32>().ok();
    let result = match command_of(kind, &fields) {
        Ok(command) => app
            .run_command(&caller.principal, id, version, command, None)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => see_other(&format!("/cases/{id}")),
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
            &fields(&[("csrf_token", "x"), ("version", "1"), ("note", "")]),
        )
        .expect("accept");
        assert_eq!(accept, Command::Accept { note: None });
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
    }
}
