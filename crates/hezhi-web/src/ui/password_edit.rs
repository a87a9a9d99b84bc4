//! `GET /password` and `POST /password`: a member of staff changes his password. A session
//! that must change its password first can reach nothing else (see `Page::working_session`);
//! `App::change_password` checks the rules, ends every session of the user and starts a new
//! one, whose cookie is set here.

use super::html::Html;
use super::text::Msg;
use super::{Page, see_other};
use crate::auth;
use crate::error::ApiError;
use crate::extract::{ClientAddress, OverTls};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::{App, Session};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

pub async fn show(page: Page) -> Response {
    let Some(session) = &page.session else {
        return see_other("/sign-in");
    };
    form(&page, session, StatusCode::OK, None)
}

fn form(page: &Page, session: &Session, status: StatusCode, error: Option<&str>) -> Response {
    let mut body = Html::new();
    if let Some(error) = error {
        body.raw(&page.error_block(error));
    }
    body.element("p", "", page.t(Msg::ChangePasswordHint));
    body.raw(r#"<form method="post" action="/password" class="stack">"#)
        .raw(&auth::hidden_field(session));
    for (id, msg, autocomplete) in [
        ("current", Msg::CurrentPassword, "current-password"),
        ("new", Msg::NewPassword, "new-password"),
        ("again", Msg::NewPasswordAgain, "new-password"),
    ] {
        body.raw(&format!(r#"<label for="{id}">"#))
            .text(page.t(msg))
            .raw(&format!(
                r#"</label><input id="{id}" name="{id}" type="password" autocomplete="{autocomplete}" required>"#
            ));
    }
    body.raw(r#"<button type="submit">"#)
        .text(page.t(Msg::Save))
        .raw("</button></form>");
    page.render(status, page.t(Msg::ChangePasswordTitle), &body)
}

pub async fn update(
    State(app): State<Arc<App>>,
    page: Page,
    ClientAddress(client): ClientAddress,
    OverTls(tls): OverTls,
    input: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let Some(session) = &page.session else {
        return see_other("/sign-in");
    };
    let input = input.map(|Form(f)| f).unwrap_or(PasswordForm {
        csrf_token: String::new(),
        current: String::new(),
        new: String::new(),
        again: String::new(),
    });
    if !session.csrf_matches(&input.csrf_token) {
        let error = ApiError::new(StatusCode::FORBIDDEN, "csrf_token_invalid", "");
        return form(&page, session, error.status, Some(&page.error_text(&error)));
    }
    if input.new != input.again {
        return form(
            &page,
            session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(page.t(Msg::PasswordsDiffer)),
        );
    }
    match app
        .change_password(session, &input.current, &input.new, client)
        .await
    {
        Ok(signed_in) => {
            // An account that must also enrol an authenticator goes on to do so.
            let next = if signed_in.session.must_enrol_totp {
                "/totp"
            } else {
                "/cases"
            };
            super::signed_in(&app, &signed_in, next, tls)
        }
        Err(error) => {
            let error = ApiError::from(error);
            form(&page, session, error.status, Some(&page.error_text(&error)))
        }
    }
}
