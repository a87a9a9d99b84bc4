//! `GET /intake`: the intake window's form (窗口受理) for walk-ins and hotline calls —
//! keyboard-first (the first field has focus, Tab follows the order people speak in, Enter
//! submits), every field labelled, with "resolved at first contact" in the same step.

use super::Page;
use super::html::Html;
use super::text::{self, Msg};
use crate::auth;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::{App, Session};
use hezhi_domain::{CaseKind, Channel};
use std::collections::HashMap;
use std::sync::Arc;

/// The category choice of a report form, grouped by kind; an option's value is
/// `kind/category`, as [`split_category`] reads it.
pub fn category_select(
    body: &mut Html,
    page: &Page,
    categories: &[hezhi_app::Category],
    selected: &str,
    attributes: &str,
) {
    body.raw(&format!(
        r#"<select id="category" name="category" {attributes}>"#
    ));
    for kind in CaseKind::ALL {
        body.raw(r#"<optgroup label=""#)
            .text(page.t(text::kind(kind)))
            .raw(r#"">"#);
        for category in categories.iter().filter(|c| c.kind == kind) {
            let kind_name = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let option = format!("{kind_name}/{}", category.code);
            let chosen = if selected == option { " selected" } else { "" };
            body.raw(r#"<option value=""#)
                .text(&option)
                .raw(&format!(r#""{chosen}>"#))
                .text(page.category_name(category))
                .raw("</option>");
        }
        body.raw("</optgroup>");
    }
    body.raw("</select>");
}

/// The kind and the category of a [`category_select`] value.
pub fn split_category(value: &str) -> Option<(&str, &str)> {
    value.trim().split_once('/')
}

/// The fields of the form, by name, as the user last entered them.
pub type Entered = HashMap<String, String>;

pub async fn show(State(app): State<Arc<App>>, page: Page) -> Response {
    let session = match page.working_session() {
        Ok(session) => session.clone(),
        Err(response) => return *response,
    };
    render(
        &app,
        &page,
        &session,
        &Entered::new(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// The form, filled with `entered`, with `error` and then `earlier` (the earlier and similar
/// cases of a check) above it.
pub async fn render(
    app: &App,
    page: &Page,
    session: &Session,
    entered: &Entered,
    error: Option<String>,
    earlier: Option<&Html>,
    status: StatusCode,
) -> Response {
    let value = |name: &str| entered.get(name).map(String::as_str).unwrap_or_default();
    let categories = app.categories().await.unwrap_or_default();
    let mut body = Html::new();
    if let Some(error) = &error {
        body.raw(&page.error_block(error));
    }
    if let Some(earlier) = earlier {
        body.raw(earlier.as_str());
    }
    body.element("p", r#"class="hint""#, page.t(Msg::IntakeHint));
    body.raw(r#"<form method="post" action="/intake" class="stack intake">"#)
        .raw(&auth::hidden_field(session));
    let key = match value("idempotency_key") {
        "" => super::form_input::random_key(),
        given => given.to_owned(),
    };
    body.raw(&super::form_input::idempotency_field(&key));

    // What and how it came in.
    body.raw(r#"<label for="category">"#)
        .text(page.t(Msg::IntakeCategory))
        .raw(" *</label>");
    category_select(
        &mut body,
        page,
        &categories,
        value("category"),
        "required autofocus",
    );
    body.raw(r#"<label for="channel">"#)
        .text(page.t(Msg::IntakeChannel))
        .raw("</label>");
    body.raw(r#"<select id="channel" name="channel">"#);
    for (code, channel) in [("window", Channel::Window), ("hotline", Channel::Hotline)] {
        let selected = if value("channel") == code {
            " selected"
        } else {
            ""
        };
        body.raw(&format!(r#"<option value="{code}"{selected}>"#))
            .text(page.t(text::channel(channel)))
            .raw("</option>");
    }
    body.raw("</select>");

    // Where and what.
    field(
        &mut body,
        page,
        "region",
        Msg::IntakeRegion,
        value("region"),
        r#"required inputmode="numeric" pattern="[0-9]{12}([0-9]{3})?""#,
    );
    body.element(
        "p",
        r#"class="hint" id="region-hint""#,
        page.t(Msg::IntakeRegionHint),
    );
    field(
        &mut body,
        page,
        "address",
        Msg::IntakeAddress,
        value("address"),
        r#"maxlength="200""#,
    );
    field(
        &mut body,
        page,
        "title",
        Msg::IntakeTitleField,
        value("title"),
        r#"required maxlength="100""#,
    );
    body.raw(r#"<label for="description">"#)
        .text(page.t(Msg::IntakeDescription))
        .raw(" *</label>");
    body.raw(
        r#"<textarea id="description" name="description" rows="5" required maxlength="5000">"#,
    )
    .text(value("description"))
    .raw("</textarea>");

    // Who.
    for (prefix, legend) in [
        ("applicant", Msg::IntakeApplicant),
        ("respondent", Msg::IntakeRespondent),
    ] {
        body.raw("<fieldset><legend>")
            .text(page.t(legend))
            .raw("</legend>");
        let required = if prefix == "applicant" {
            "required"
        } else {
            ""
        };
        field(
            &mut body,
            page,
            &format!("{prefix}_name"),
            Msg::IntakePartyName,
            value(&format!("{prefix}_name")),
            required,
        );
        field(
            &mut body,
            page,
            &format!("{prefix}_phone"),
            Msg::IntakePartyPhone,
            value(&format!("{prefix}_phone")),
            r#"inputmode="tel" autocomplete="off""#,
        );
        field(
            &mut body,
            page,
            &format!("{prefix}_id_number"),
            Msg::IntakePartyId,
            value(&format!("{prefix}_id_number")),
            r#"autocomplete="off" maxlength="18""#,
        );
        body.raw("</fieldset>");
    }
    field(
        &mut body,
        page,
        "amount_yuan",
        Msg::IntakeAmount,
        value("amount_yuan"),
        r#"inputmode="numeric" pattern="[0-9]*""#,
    );
    field(
        &mut body,
        page,
        "people_involved",
        Msg::IntakePeople,
        value("people_involved"),
        r#"inputmode="numeric" pattern="[0-9]*""#,
    );

    // Settled on the spot?
    let checked = if value("first_contact") == "on" {
        " checked"
    } else {
        ""
    };
    body.raw(&format!(r#"<p class="check"><input type="checkbox" id="first_contact" name="first_contact"{checked}> <label for="first_contact">"#))
        .text(page.t(Msg::IntakeFirstContact))
        .raw("</label></p>");
    field(
        &mut body,
        page,
        "first_contact_note",
        Msg::IntakeFirstContactNote,
        value("first_contact_note"),
        r#"maxlength="2000""#,
    );

    // Register comes first: Enter in a field presses the form's first button.
    body.raw(r#"<p class="actions"><button type="submit">"#)
        .text(page.t(Msg::IntakeSubmit))
        .raw(r#"</button> <button type="submit" name="check" value="1" formnovalidate class="secondary">"#)
        .text(page.t(Msg::IntakeCheck))
        .raw("</button></p></form>");
    page.render(status, page.t(Msg::IntakeTitle), &body)
}

/// A labelled text input.
pub fn field(body: &mut Html, page: &Page, name: &str, label: Msg, value: &str, attributes: &str) {
    let star = if attributes.contains("required") {
        " *"
    } else {
        ""
    };
    body.raw(&format!(r#"<label for="{name}">"#))
        .text(page.t(label))
        .raw(&format!(
            r#"{star}</label><input id="{name}" name="{name}" {attributes} value=""#
        ))
        .text(value)
        .raw(r#"">"#);
}
