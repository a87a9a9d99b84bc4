//! `GET /report`: reporting from a phone — a grid worker on patrol (巡查上报) or a resident
//! (群众上报) — with photos and, when the browser may tell it, the position, which places the
//! report in the grid that contains it.
//!
//! First the place: a grid worker starts at his own grid; anyone else picks it level by
//! level, or lets the browser's position find the grid. Then the form. Without JavaScript
//! every step works by links and a plain form; with it, "use my position" fills the position
//! in, and a submission whose answer is lost is sent again with the same idempotency key.

use super::Page;
use super::html::Html;
use super::intake_new::{Entered, category_select, field};
use super::text::Msg;
use super::{form_input, url_encode};
use crate::auth;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::{App, Region, Session};
use hezhi_domain::access::{Action, Relation, permits};
use hezhi_domain::{CommandKind, RegionCode, RegionLevel, Role};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    place: Option<String>,
    lat: Option<String>,
    lon: Option<String>,
}

/// Whether the session may report at all (in its region, or anywhere for a resident).
pub fn may_report(session: &Session) -> bool {
    session.principal.assignments.iter().any(|a| {
        permits(
            a.role,
            Relation::Inside,
            Action::Command(CommandKind::Report),
        )
    })
}

pub fn is_resident(session: &Session) -> bool {
    session
        .principal
        .assignments
        .iter()
        .all(|a| a.role == Role::Resident)
}

/// Where a staff member's choice of place starts: the region of his first assignment that
/// may report.
fn home(session: &Session) -> Option<RegionCode> {
    session
        .principal
        .assignments
        .iter()
        .filter(|a| {
            permits(
                a.role,
                Relation::Inside,
                Action::Command(CommandKind::Report),
            )
        })
        .find_map(|a| a.region.clone())
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    query: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let session = match page.working_session() {
        Ok(session) => session.clone(),
        Err(response) => return *response,
    };
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let mut notice = None;
    let mut place = None;
    if let (Some(lat), Some(lon)) = (&query.lat, &query.lon) {
        match (lat.trim().parse::<f64>(), lon.trim().parse::<f64>()) {
            (Ok(lat), Ok(lon)) => match app.locate_grid(lat, lon).await {
                Ok(grid) => place = Some(grid),
                Err(_) => notice = Some(page.t(Msg::ReportNoGridHere).to_owned()),
            },
            _ => notice = Some(page.t(Msg::ReportNoGridHere).to_owned()),
        }
    }
    if place.is_none() {
        let code = query
            .place
            .as_deref()
            .and_then(|p| RegionCode::parse(p.trim()).ok())
            .or_else(|| home(&session));
        if let Some(code) = code {
            place = app.region(&code).await.ok();
        }
    }
    render(
        &app,
        &page,
        &session,
        place,
        &Entered::new(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// The place picker or, once a village or grid is chosen, the form filled with `entered`.
pub async fn render(
    app: &App,
    page: &Page,
    session: &Session,
    place: Option<Region>,
    entered: &Entered,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut body = Html::new();
    if !may_report(session) {
        body.raw(&page.error_block(page.t(Msg::ReportNotPermitted)));
        return page.render(StatusCode::FORBIDDEN, page.t(Msg::ReportTitle), &body);
    }
    if let Some(error) = &error {
        body.raw(&page.error_block(error));
    }
    match place {
        Some(place) if place.level >= RegionLevel::Village => {
            form(app, page, session, &place, entered, &mut body).await;
        }
        place => picker(app, page, place, &mut body).await,
    }
    page.render(status, page.t(Msg::ReportTitle), &body)
}

/// A status line the script writes to, with its messages in the page's language.
fn status_output(page: &Page, body: &mut Html, marker: &str) {
    body.raw(&format!(
        r#"<output class="hint" {marker} aria-live="polite""#
    ));
    for (key, msg) in [
        ("working", Msg::LocateWorking),
        ("done", Msg::LocateDone),
        ("failed", Msg::LocateFailed),
        ("sending", Msg::RetrySending),
    ] {
        body.raw(&format!(r#" data-{key}=""#))
            .text(page.t(msg))
            .raw(r#"""#);
    }
    body.raw("></output>");
}

/// "Use my position": hidden until the script finds the browser can tell it.
fn locate_button(page: &Page, body: &mut Html, attribute: &str) {
    body.raw(&format!(
        r#"<p><button type="button" class="secondary" {attribute} hidden>"#
    ))
    .text(page.t(Msg::UseMyPosition))
    .raw("</button> ");
    status_output(page, body, "data-locate-status");
    body.raw("</p>");
}

/// The choice of place, one level at a time, with the way back up.
async fn picker(app: &App, page: &Page, place: Option<Region>, body: &mut Html) {
    body.element("p", r#"class="hint""#, page.t(Msg::ReportPickPlace));
    locate_button(page, body, r#"data-locate-to="/report""#);
    let children = match &place {
        Some(region) => {
            body.raw(r#"<p class="place">"#).text(&region.name);
            let up = region.parent.as_ref().map_or_else(
                || "/report?place=".to_owned(),
                |p| format!("/report?place={p}"),
            );
            body.raw(&format!(r#" · <a href="{up}">"#))
                .text(page.t(Msg::ReportUp))
                .raw("</a></p>");
            app.region_with_children(&region.code)
                .await
                .map(|(_, children)| children)
                .unwrap_or_default()
        }
        None => app.top_regions().await.unwrap_or_default(),
    };
    body.raw(r#"<ul class="places">"#);
    for child in children {
        body.raw(&format!(
            r#"<li><a href="/report?place={}">"#,
            url_encode(child.code.as_str())
        ))
        .text(&child.name)
        .raw("</a></li>");
    }
    body.raw("</ul>");
}

async fn form(
    app: &App,
    page: &Page,
    session: &Session,
    place: &Region,
    entered: &Entered,
    body: &mut Html,
) {
    let value = |name: &str| entered.get(name).map(String::as_str).unwrap_or_default();
    let categories = app.categories().await.unwrap_or_default();
    body.raw(r#"<p class="place">"#)
        .text(page.t(Msg::ReportPlace))
        .raw(": <strong>")
        .text(&place.name)
        .raw("</strong>");
    if let Some(parent) = &place.parent {
        body.raw(&format!(r#" · <a href="/report?place={parent}">"#))
            .text(page.t(Msg::ReportChangePlace))
            .raw("</a>");
    }
    body.raw("</p>");
    body.raw(
        r#"<form method="post" action="/report" class="stack report" enctype="multipart/form-data" data-retry>"#,
    )
    .raw(&auth::hidden_field(session));
    let key = match value("idempotency_key") {
        "" => form_input::random_key(),
        given => given.to_owned(),
    };
    body.raw(&form_input::idempotency_field(&key));
    body.raw(r#"<input type="hidden" name="place" value=""#)
        .text(place.code.as_str())
        .raw(r#"">"#);
    if place.level == RegionLevel::Village {
        let grids = app
            .region_with_children(&place.code)
            .await
            .map(|(_, children)| children)
            .unwrap_or_default();
        if !grids.is_empty() {
            body.raw(r#"<label for="grid">"#)
                .text(page.t(Msg::ReportGrid))
                .raw(r#"</label><select id="grid" name="grid"><option value="">"#)
                .text(page.t(Msg::NoneChosen))
                .raw("</option>");
            for grid in grids {
                let chosen = if value("grid") == grid.code.as_str() {
                    " selected"
                } else {
                    ""
                };
                body.raw(&format!(r#"<option value="{}"{chosen}>"#, grid.code))
                    .text(&grid.name)
                    .raw("</option>");
            }
            body.raw("</select>");
        }
    }
    body.raw(r#"<label for="category">"#)
        .text(page.t(Msg::ReportWhat))
        .raw(" *</label>");
    category_select(body, page, &categories, value("category"), "required");
    field(
        body,
        page,
        "title",
        Msg::IntakeTitleField,
        value("title"),
        r#"required maxlength="100""#,
    );
    body.raw(r#"<label for="description">"#)
        .text(page.t(Msg::IntakeDescription))
        .raw(" *</label>")
        .raw(r#"<textarea id="description" name="description" rows="4" required maxlength="5000">"#)
        .text(value("description"))
        .raw("</textarea>");
    field(
        body,
        page,
        "address",
        Msg::IntakeAddress,
        value("address"),
        r#"maxlength="200""#,
    );
    // Position: filled in by the browser when allowed; typed in otherwise.
    body.raw(r#"<fieldset class="position"><legend>"#)
        .text(page.t(Msg::ReportPosition))
        .raw("</legend>");
    locate_button(page, body, "data-locate");
    field(
        body,
        page,
        "lat",
        Msg::Latitude,
        value("lat"),
        r#"inputmode="decimal" autocomplete="off""#,
    );
    field(
        body,
        page,
        "lon",
        Msg::Longitude,
        value("lon"),
        r#"inputmode="decimal" autocomplete="off""#,
    );
    body.raw("</fieldset>");
    body.raw(r#"<label for="report-file">"#)
        .text(page.t(Msg::ReportPhotos))
        .raw(
            r#"</label><input id="report-file" name="file" type="file" multiple accept="image/jpeg,image/png,image/webp,application/pdf" aria-describedby="report-file-hint">"#,
        )
        .raw(r#"<p class="hint" id="report-file-hint">"#)
        .text(page.t(Msg::FilesHint))
        .raw("</p>");
    // Who to call back: for a resident himself, for a grid worker the person concerned.
    body.raw("<fieldset><legend>")
        .text(page.t(Msg::ReportContact))
        .raw("</legend>");
    field(
        body,
        page,
        "contact_name",
        Msg::IntakePartyName,
        value("contact_name"),
        r#"maxlength="50" autocomplete="name""#,
    );
    field(
        body,
        page,
        "contact_phone",
        Msg::IntakePartyPhone,
        value("contact_phone"),
        r#"inputmode="tel" autocomplete="tel""#,
    );
    body.raw("</fieldset>");
    body.raw(r#"<p class="actions"><button type="submit">"#)
        .text(page.t(Msg::ReportSubmit))
        .raw(r#"</button> "#);
    status_output(page, body, "data-retry-status");
    body.raw("</p></form>");
}
