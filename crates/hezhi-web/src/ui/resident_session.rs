//! Residents sign in with their phone (群众端): `GET /resident/sign-in` asks for the number,
//! `POST /resident/code` sends a one-time code by SMS and asks for it, and
//! `POST /resident/sign-in` exchanges it for a session, then opens the report page. Codes,
//! limits and lockout are `hezhi_app::resident`'s. Like the staff form, these forms carry
//! their own CSRF token in a cookie until there is a session.

use super::html::Html;
use super::session_create::same;
use super::session_new::{SIGN_IN_COOKIE, random_token};
use super::text::Msg;
use super::{Page, cookie};
use crate::auth::{self, CSRF_FIELD};
use crate::error::ApiError;
use crate::extract::{ClientAddress, OverTls};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hezhi_app::{App, ResidentSignInAttempt};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
pub struct ResidentForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

/// Which of the two forms to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Phone,
    Code,
}

fn render(
    page: &Page,
    status: StatusCode,
    step: Step,
    error: Option<&str>,
    phone: &str,
) -> Response {
    let Some(token) = random_token() else {
        let mut body = Html::new();
        body.raw(
            &page
                .error_block(crate::i18n::error_message("internal", page.lang).unwrap_or_default()),
        );
        return page.render(
            StatusCode::INTERNAL_SERVER_ERROR,
            page.t(Msg::ErrorTitle),
            &body,
        );
    };
    let mut body = Html::new();
    if let Some(error) = error {
        body.raw(&page.error_block(error));
    }
    let action = match step {
        Step::Phone => "/resident/code",
        Step::Code => "/resident/sign-in",
    };
    body.element(
        "p",
        "",
        page.t(match step {
            Step::Phone => Msg::ResidentSignInHint,
            Step::Code => Msg::ResidentCodeSent,
        }),
    );
    body.raw(&format!(
        r#"<form method="post" action="{action}" class="stack"><input type="hidden" name="{CSRF_FIELD}" value="{token}">"#
    ));
    let autofocus = if step == Step::Phone {
        " autofocus"
    } else {
        ""
    };
    body.raw(r#"<label for="phone">"#)
        .text(page.t(Msg::ResidentPhone))
        .raw(&format!(
            r#"</label><input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required maxlength="20"{autofocus} value=""#
        ))
        .text(phone)
        .raw(r#"">"#);
    if step == Step::Code {
        body.raw(r#"<label for="code">"#)
            .text(page.t(Msg::ResidentCode))
            .raw(r#"</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>"#);
    }
    body.raw(r#"<button type="submit">"#)
        .text(page.t(match step {
            Step::Phone => Msg::ResidentSendCode,
            Step::Code => Msg::SignIn,
        }))
        .raw("</button></form>");
    body.raw(r#"<p><a href="/track">"#)
        .text(page.t(Msg::TrackTitle))
        .raw("</a></p>");
    let mut response = page.render(status, page.t(Msg::ResidentSignInTitle), &body);
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "{SIGN_IN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/resident; Max-Age=3600"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

pub async fn show(page: Page) -> Response {
    render(&page, StatusCode::OK, Step::Phone, None, "")
}

/// The form as sent, if its token matches the cookie's.
fn checked(
    page: &Page,
    headers: &HeaderMap,
    input: Result<Form<ResidentForm>, FormRejection>,
) -> Result<ResidentForm, Box<Response>> {
    let Form(input) = input.map_err(|_| {
        Box::new(render(
            page,
            StatusCode::BAD_REQUEST,
            Step::Phone,
            Some(page.t(Msg::SignInExpired)),
            "",
        ))
    })?;
    let expected = cookie(headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(expected, &input.csrf_token) {
        return Err(Box::new(render(
            page,
            StatusCode::FORBIDDEN,
            Step::Phone,
            Some(page.t(Msg::SignInExpired)),
            &input.phone,
        )));
    }
    Ok(input)
}

pub async fn send_code(
    State(app): State<Arc<App>>,
    page: Page,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    input: Result<Form<ResidentForm>, FormRejection>,
) -> Response {
    let input = match checked(&page, &headers, input) {
        Ok(input) => input,
        Err(response) => return *response,
    };
    match app.send_resident_code(input.phone.trim(), client).await {
        Ok(_) => render(&page, StatusCode::OK, Step::Code, None, input.phone.trim()),
        Err(error) => {
            let error = ApiError::from(error);
            render(
                &page,
                error.status,
                Step::Phone,
                Some(&page.error_text(&error)),
                &input.phone,
            )
        }
    }
}

pub async fn sign_in(
    State(app): State<Arc<App>>,
    page: Page,
    ClientAddress(client): ClientAddress,
    OverTls(tls): OverTls,
    headers: HeaderMap,
    input: Result<Form<ResidentForm>, FormRejection>,
) -> Response {
    let input = match checked(&page, &headers, input) {
        Ok(input) => input,
        Err(response) => return *response,
    };
    let attempt = ResidentSignInAttempt {
        phone: input.phone.trim(),
        code: input.code.trim(),
        client,
        previous_session: auth::session_cookie(&headers),
    };
    match app.resident_sign_in(attempt).await {
        Ok(signed_in) => super::signed_in(&app, &signed_in, "/report", tls),
        Err(error) => {
            let error = ApiError::from(error);
            render(
                &page,
                error.status,
                Step::Code,
                Some(&page.error_text(&error)),
                &input.phone,
            )
        }
    }
}
