//! `GET /sign-in`: the staff sign-in form.
//!
//! Before there is a session there is no session CSRF token, so the form carries its own:
//! a random value both in a `SameSite=Strict` cookie and in the form, which another site
//! can neither read nor set (double submit). It keeps other sites from signing a browser
//! in under their own account.

use super::html::Html;
use super::text::Msg;
use super::{Page, see_other};
use crate::auth::CSRF_FIELD;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// The cookie with the sign-in form's own CSRF token.
pub const SIGN_IN_COOKIE: &str = "hezhi_sign_in";

pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub async fn show(page: Page) -> Response {
    if page
        .session
        .as_ref()
        .is_some_and(|s| s.restriction().is_none())
    {
        return see_other("/cases");
    }
    form(&page, StatusCode::OK, None, "")
}

/// The form, with an error above it when a try failed, and the name tried.
pub fn form(page: &Page, status: StatusCode, error: Option<&str>, name: &str) -> Response {
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
    body.element("p", "", page.t(Msg::SignInHint));
    body.raw(r#"<p><a href="/resident/sign-in">"#)
        .text(page.t(Msg::ResidentLink))
        .raw(r#"</a> · <a href="/track">"#)
        .text(page.t(Msg::TrackTitle))
        .raw("</a></p>");
    body.raw(&format!(
        r#"<form method="post" action="/sign-in" class="stack"><input type="hidden" name="{CSRF_FIELD}" value="{token}">"#
    ));
    body.raw(r#"<label for="name">"#)
        .text(page.t(Msg::UserName))
        .raw(r#"</label><input id="name" name="name" autocomplete="username" required autofocus value=""#)
        .text(name)
        .raw(r#"">"#);
    body.raw(r#"<label for="password">"#)
        .text(page.t(Msg::Password))
        .raw(r#"</label><input id="password" name="password" type="password" autocomplete="current-password" required>"#);
    body.raw(r#"<label for="totp">"#)
        .text(page.t(Msg::TotpCode))
        .raw(r#"</label><input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8">"#);
    body.raw(r#"<button type="submit">"#)
        .text(page.t(Msg::SignIn))
        .raw("</button></form>");
    let mut response = page.render(status, page.t(Msg::SignIn), &body);
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "{SIGN_IN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/sign-in; Max-Age=3600"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}
