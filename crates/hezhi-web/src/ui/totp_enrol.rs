//! `GET /totp` and `POST /totp`: enrolling an authenticator app (动态口令) in the browser, for
//! the accounts that must have one (administrators and auditors, or all staff when the
//! deployment says so). The page shows a new secret as a QR code drawn on the server and as
//! text; the first code from the app confirms it, and the session is renewed.

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
use qrcodegen::{QrCode, QrCodeEcc};
use serde::Deserialize;
use std::fmt::Write;
use std::sync::Arc;

/// A QR code as SVG: one path of dark modules, four modules of quiet zone around.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                let _ = write!(path, "M{} {}h1v1h-1z", x + 4, y + 4);
            }
        }
    }
    Some(format!(
        r##"<svg class="qr" viewBox="0 0 {s} {s}" width="240" height="240" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg"><rect width="{s}" height="{s}" fill="#ffffff"/><path d="{path}" fill="#000000"/></svg>"##,
        s = size + 8,
        label = super::html::escape(label),
    ))
}

fn page_with(
    page: &Page,
    session: &Session,
    secret: Option<(&str, &str)>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut body = Html::new();
    if let Some(error) = error {
        body.raw(&page.error_block(error));
    }
    body.element("p", "", page.t(Msg::TotpSteps));
    if let Some((secret, uri)) = secret {
        if let Some(svg) = qr_svg(uri, page.t(Msg::TotpQrLabel)) {
            body.raw(&svg);
        }
        let grouped: Vec<String> = secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        body.raw("<p>")
            .text(page.t(Msg::TotpSecret))
            .raw(r#": <code class="secret">"#)
            .text(&grouped.join(" "))
            .raw("</code></p>");
    }
    body.raw(r#"<form method="post" action="/totp" class="stack">"#)
        .raw(&auth::hidden_field(session))
        .raw(r#"<label for="code">"#)
        .text(page.t(Msg::TotpCodeFromApp))
        .raw(r#"</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required autofocus><button type="submit">"#)
        .text(page.t(Msg::TotpConfirm))
        .raw("</button></form>");
    page.render(status, page.t(Msg::TotpTitle), &body)
}

pub async fn show(State(app): State<Arc<App>>, page: Page) -> Response {
    let Some(session) = &page.session else {
        return see_other("/sign-in");
    };
    if session.must_change_password {
        return see_other("/password");
    }
    match app.enrol_totp(session).await {
        Ok(enrolment) => page_with(
            &page,
            session,
            Some((&enrolment.secret, &enrolment.otpauth_uri)),
            None,
            StatusCode::OK,
        ),
        Err(error) => {
            let error = ApiError::from(error);
            page_with(
                &page,
                session,
                None,
                Some(&page.error_text(&error)),
                error.status,
            )
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
}

pub async fn confirm(
    State(app): State<Arc<App>>,
    page: Page,
    ClientAddress(client): ClientAddress,
    OverTls(tls): OverTls,
    input: Result<Form<TotpForm>, FormRejection>,
) -> Response {
    let Some(session) = &page.session else {
        return see_other("/sign-in");
    };
    let input = input.map(|Form(f)| f).unwrap_or_default();
    if !session.csrf_matches(&input.csrf_token) {
        let error = ApiError::new(StatusCode::FORBIDDEN, "csrf_token_invalid", "");
        return page_with(
            &page,
            session,
            None,
            Some(&page.error_text(&error)),
            error.status,
        );
    }
    match app.confirm_totp(session, input.code.trim(), client).await {
        Ok(signed_in) => super::signed_in(&app, &signed_in, "/cases", tls),
        // A wrong code: the pending secret stays, so the same QR code is still the one to use;
        // the page says so and asks for the next code.
        Err(error) => {
            let error = ApiError::from(error);
            page_with(
                &page,
                session,
                None,
                Some(&page.error_text(&error)),
                error.status,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_qr_code_is_drawn_as_one_path_with_a_quiet_zone() {
        let svg = super::qr_svg(
            "otpauth://totp/Hezhi:admin?secret=JBSWY3DPEHPK3PXP&issuer=Hezhi",
            "QR",
        )
        .expect("encodes");
        // Version 5 at this length and level: 37 modules, and 8 of quiet zone.
        assert!(svg.contains(r#"viewBox="0 0 45 45""#), "{svg}");
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(
            svg.contains("M4 4h1v1h-1z"),
            "the finder pattern's corner is dark"
        );
    }
}
