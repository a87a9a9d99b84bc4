//! The web application: pages rendered on the server that work without JavaScript, one
//! file per page action (noun, then verb). Chinese unless the `lang` cookie or
//! `Accept-Language` asks for English; times in China time; every string in [`text`].

mod admin;
mod case_command;
mod case_file;
mod case_list;
mod case_receipt;
mod case_show;
mod form_input;
pub use form_input::MAX_FILES_PER_FORM;
mod html;
mod intake_check;
mod intake_create;
mod intake_new;
mod ledger_show;
mod overview_show;
mod password_edit;
mod preference_update;
mod reminder_list;
mod report_create;
mod report_new;
mod resident_session;
mod session_create;
mod session_delete;
mod session_new;
mod svg;
mod text;
mod time;
mod totp_enrol;
mod track_show;

use crate::auth;
use crate::error::ApiError;
use crate::i18n::{Lang, error_message};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hezhi_app::{App, Session};
use hezhi_domain::Action;
use html::{Html, escape};
use std::sync::Arc;
use text::Msg;

/// The cookie that holds the chosen language (`zh` or `en`).
pub const LANG_COOKIE: &str = "lang";
/// The cookie that asks for large text (`large`).
pub const TEXT_COOKIE: &str = "text";

const APP_CSS: &str = include_str!("../../assets/app.css");
const APP_JS: &str = include_str!("../../assets/app.js");

pub fn routes(limits: &crate::Limits) -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/assets/app.css", get(stylesheet))
        .route("/preferences", get(preference_update::update))
        .route(
            "/sign-in",
            get(session_new::show).post(session_create::create),
        )
        .route("/sign-out", post(session_delete::delete))
        .route(
            "/password",
            get(password_edit::show).post(password_edit::update),
        )
        .route("/cases", get(case_list::list))
        .route("/intake", get(intake_new::show).post(intake_create::create))
        .route(
            "/report",
            get(report_new::show)
                .post(report_create::create)
                .layer(DefaultBodyLimit::max(limits.form_body())),
        )
        .route("/assets/app.js", get(script))
        .route("/overview", get(overview_show::show))
        .route("/reminders", get(reminder_list::list))
        .route("/ledger", get(ledger_show::show))
        .route("/totp", get(totp_enrol::show).post(totp_enrol::confirm))
        .route("/admin", get(admin::show))
        .route("/admin/users", post(admin::create_user))
        .route(
            "/admin/users/{id}/password",
            post(admin::temporary_password),
        )
        .route("/admin/users/{id}/phone", post(admin::set_phone))
        .route("/admin/roles", post(admin::grant))
        .route("/admin/roles/revoke", post(admin::revoke))
        .route("/admin/units", post(admin::create_unit))
        .route(
            "/admin/grids",
            post(admin::import_grids)
                .layer(DefaultBodyLimit::max(crate::MAX_GEOJSON_BODY + 64 * 1024)),
        )
        .route("/admin/categories", post(admin::save_category))
        .route("/admin/deadlines", post(admin::save_deadlines))
        .route(
            "/resident/sign-in",
            get(resident_session::show).post(resident_session::sign_in),
        )
        .route("/resident/code", post(resident_session::send_code))
        .route("/track", get(track_show::show).post(track_show::lookup))
        .route("/cases/{id}", get(case_show::show))
        .route("/cases/{id}/receipt", get(case_receipt::show))
        .route("/cases/{id}/files/{digest}", get(case_file::show))
        .route(
            "/cases/{id}/files/{digest}/thumbnail",
            get(case_file::thumbnail),
        )
        .route(
            "/cases/{id}/{command}",
            post(case_command::run).layer(DefaultBodyLimit::max(limits.form_body())),
        )
}

async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Redirect {
    match auth::session_cookie(&headers) {
        Some(id) if app.session(id).await.is_ok() => Redirect::to("/cases"),
        _ => Redirect::to("/sign-in"),
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_JS,
    )
        .into_response()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// The language of the pages: the `lang` cookie, else `Accept-Language`, else Chinese.
pub fn page_lang(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => crate::extract::lang(headers),
    }
}

/// What every page needs to know about the request: language, text size, where it is, and
/// the signed-in session if there is a live one.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub large_text: bool,
    /// The path and query of the request, to come back to after a switch.
    pub here: String,
    pub session: Option<Session>,
}

impl FromRequestParts<Arc<App>> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let session = match auth::session_cookie(&parts.headers) {
            Some(id) => app.session(id).await.ok(),
            None => None,
        };
        Ok(Page {
            lang: page_lang(&parts.headers),
            large_text: cookie(&parts.headers, TEXT_COOKIE) == Some("large"),
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
            session,
        })
    }
}

impl Page {
    /// A category's name in the page's language.
    pub fn category_name<'a>(&self, category: &'a hezhi_app::Category) -> &'a str {
        match self.lang {
            Lang::Zh => &category.name_zh,
            Lang::En => &category.name_en,
        }
    }

    pub fn t(&self, msg: Msg) -> &'static str {
        msg.text(self.lang)
    }

    /// The session, if it may do ordinary work; otherwise where to send the browser.
    pub fn working_session(&self) -> Result<&Session, Box<Response>> {
        let Some(session) = &self.session else {
            return Err(Box::new(Redirect::to("/sign-in").into_response()));
        };
        if session.must_change_password {
            return Err(Box::new(Redirect::to("/password").into_response()));
        }
        if session.must_enrol_totp {
            return Err(Box::new(Redirect::to("/totp").into_response()));
        }
        Ok(session)
    }

    /// The text of an error for people, with the field it concerns.
    pub fn error_text(&self, error: &ApiError) -> String {
        let message = error_message(error.code, self.lang).unwrap_or(&error.detail);
        match &error.field {
            Some(field) => format!("{message}（{}: {field}）", self.t(Msg::FieldLabel)),
            None => message.to_owned(),
        }
    }

    /// An error as a block at the top of a form.
    pub fn error_block(&self, error: &str) -> String {
        format!(
            r#"<p class="error" role="alert" id="error">{}</p>"#,
            escape(error)
        )
    }

    /// The whole document around `body`.
    pub fn render(&self, status: StatusCode, title: &str, body: &Html) -> Response {
        let lang = match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        };
        let class = if self.large_text {
            r#" class="large""#
        } else {
            ""
        };
        let mut doc = Html::new();
        doc.raw(&format!(
            r#"<!doctype html><html lang="{lang}"{class}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>"#
        ))
        .text(title)
        .raw(" · ")
        .text(self.t(Msg::AppName))
        .raw(r#"</title><link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js" defer></script></head><body>"#);
        doc.raw(r##"<a class="skip" href="#main">"##)
            .text(self.t(Msg::SkipToContent))
            .raw("</a>");
        self.header(&mut doc);
        doc.raw(r#"<main id="main">"#)
            .element("h1", "", title)
            .raw(body.as_str())
            .raw("</main>");
        self.footer(&mut doc);
        doc.raw("</body></html>");
        let mut response = (status, doc.into_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // Pages carry a CSRF token and personal data (masked): not for caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            ),
        );
        response
    }

    fn header(&self, doc: &mut Html) {
        doc.raw(r#"<header class="top"><a class="brand" href="/">"#)
            .text(self.t(Msg::AppName))
            .raw("</a>");
        if let Some(session) = &self.session {
            doc.raw(r#"<nav aria-label=""#)
                .text(self.t(Msg::Navigation))
                .raw(r#""><ul>"#);
            let restricted = session.restriction().is_some();
            let resident = report_new::is_resident(session);
            if !restricted && resident {
                doc.raw(r#"<li><a href="/cases">"#)
                    .text(self.t(Msg::NavMyCases))
                    .raw("</a></li>");
            } else if !restricted && session.principal.holds_right(Action::ListCases) {
                doc.raw(r#"<li><a href="/cases">"#)
                    .text(self.t(Msg::NavCases))
                    .raw("</a></li>");
                doc.raw(r#"<li><a href="/cases?open=on">"#)
                    .text(self.t(Msg::NavOpenCases))
                    .raw("</a></li>");
                doc.raw(r#"<li><a href="/reminders">"#)
                    .text(self.t(Msg::NavReminders))
                    .raw("</a></li>");
            }
            if !restricted && overview_show::home(session).is_some() {
                doc.raw(r#"<li><a href="/overview">"#)
                    .text(self.t(Msg::NavOverview))
                    .raw("</a></li>");
                doc.raw(r#"<li><a href="/ledger">"#)
                    .text(self.t(Msg::NavLedger))
                    .raw("</a></li>");
            }
            if !restricted && admin::administers(session) {
                doc.raw(r#"<li><a href="/admin">"#)
                    .text(self.t(Msg::NavAdmin))
                    .raw("</a></li>");
            }
            let takes_reports = may_take(session, hezhi_domain::CommandKind::Accept);
            if !restricted && takes_reports {
                doc.raw(r#"<li><a href="/intake">"#)
                    .text(self.t(Msg::NavIntake))
                    .raw("</a></li>");
            } else if !restricted && report_new::may_report(session) {
                doc.raw(r#"<li><a href="/report">"#)
                    .text(self.t(Msg::NavReport))
                    .raw("</a></li>");
            }
            if !resident {
                doc.raw(r#"<li><a href="/password">"#)
                    .text(self.t(Msg::NavPassword))
                    .raw("</a></li>");
            }
            doc.raw(r#"<li><form method="post" action="/sign-out">"#)
                .raw(&auth::hidden_field(session))
                .raw(r#"<button type="submit" class="link">"#)
                .text(self.t(Msg::SignOut))
                .raw("</button></form></li></ul></nav>");
            let roles: Vec<&str> = session
                .principal
                .assignments
                .iter()
                .map(|a| self.t(text::role(a.role)))
                .collect();
            doc.raw(r#"<p class="who">"#)
                .text(self.t(Msg::SignedInAs))
                .raw(": ")
                .text(&session.user.name)
                .raw(" (")
                .text(&roles.join(", "))
                .raw(")</p>");
        }
        doc.raw("</header>");
    }

    fn footer(&self, doc: &mut Html) {
        let back = url_encode(&self.here);
        doc.raw(r#"<footer><p>"#)
            .text(self.t(Msg::Language))
            .raw(": ");
        for (code, msg) in [("zh", Msg::LanguageZh), ("en", Msg::LanguageEn)] {
            let current = (code == "en") == (self.lang == Lang::En);
            if current {
                doc.raw(r#"<strong aria-current="true">"#)
                    .text(self.t(msg))
                    .raw("</strong> ");
            } else {
                let hreflang = if code == "en" { "en" } else { "zh-CN" };
                doc.raw(&format!(
                    r#"<a href="/preferences?lang={code}&amp;back={back}" hreflang="{hreflang}" lang="{hreflang}">"#
                ))
                .text(self.t(msg))
                .raw("</a> ");
            }
        }
        doc.raw("</p><p>").text(self.t(Msg::TextSize)).raw(": ");
        let (value, msg) = if self.large_text {
            ("normal", Msg::TextNormal)
        } else {
            ("large", Msg::TextLarge)
        };
        doc.raw(&format!(
            r#"<a href="/preferences?text={value}&amp;back={back}">"#
        ))
        .text(self.t(msg))
        .raw("</a></p></footer>");
    }
}

/// Percent-encoding for a query value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether one of the staff roles of `session` may take `command` on cases inside its region.
pub fn may_take(session: &Session, command: hezhi_domain::CommandKind) -> bool {
    session.principal.assignments.iter().any(|a| {
        a.role != hezhi_domain::Role::Resident
            && hezhi_domain::access::permits(
                a.role,
                hezhi_domain::Relation::Inside,
                Action::Command(command),
            )
    })
}

/// Post/Redirect/Get: after a form, the browser loads `to` with GET.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A value a page's form or address cannot use: 422, naming the field.
pub fn invalid_value(field: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_value",
        format!("invalid {field}"),
    )
    .with_field(field)
}

/// A form that writes, checked: the signed-in session (else to the sign-in page), the form
/// read (urlencoded or multipart), and its CSRF token (else refused, nothing changed).
pub fn checked_form(
    page: &Page,
    caller: Result<crate::extract::FormCaller, ApiError>,
    input: Result<form_input::FormInput, ApiError>,
) -> Result<(Session, crate::extract::Caller, form_input::FormInput), Box<Response>> {
    let Ok(caller) = caller else {
        return Err(Box::new(see_other("/sign-in")));
    };
    let session = caller.session().clone();
    let input = input.map_err(|error| Box::new(refused(page, &error)))?;
    let caller = caller
        .check_form_token(input.field("csrf_token"))
        .map_err(|error| Box::new(refused(page, &error)))?;
    Ok((session, caller, input))
}

/// After a sign-in, a password change or an authenticator's confirmation: the new session's
/// cookie, and on to `next`.
pub fn signed_in(
    app: &App,
    signed_in: &hezhi_app::SignedIn,
    next: &str,
    over_tls: bool,
) -> Response {
    let mut response = see_other(next);
    let max_age = (signed_in.session.expires_at - app.now()).num_seconds();
    if let Some(cookie) = auth::session_cookie_header(&signed_in.session_id, max_age, over_tls) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A form whose CSRF token or session is not right: the page says so, nothing changed.
pub fn refused(page: &Page, error: &ApiError) -> Response {
    let mut body = Html::new();
    body.raw(&page.error_block(&page.error_text(error)));
    if page.session.is_none() {
        body.raw(r#"<p><a href="/sign-in">"#)
            .text(page.t(Msg::SignIn))
            .raw("</a></p>");
    }
    page.render(error.status, page.t(Msg::ErrorTitle), &body)
}
