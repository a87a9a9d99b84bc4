//! `GET /track` and `POST /track`: a resident follows his case with the tracking code and the
//! phone number of a party, without an account, and sees only its public steps. The lookup
//! changes nothing, but goes by POST so that the phone number stays out of addresses and logs.

use super::html::Html;
use super::text::{self, Msg};
use super::{Page, time};
use crate::error::ApiError;
use crate::extract::ClientAddress;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::App;
use hezhi_app::tracking::PublicCase;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    tracking_code: String,
    #[serde(default)]
    phone: String,
}

pub async fn show(page: Page) -> Response {
    render(&page, "", "", None, None, StatusCode::OK)
}

pub async fn lookup(
    State(app): State<Arc<App>>,
    page: Page,
    address: ClientAddress,
    form: Result<Form<TrackForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or(TrackForm {
        tracking_code: String::new(),
        phone: String::new(),
    });
    match app
        .track(&form.tracking_code, &form.phone, &address.key())
        .await
    {
        Ok(case) => render(
            &page,
            &form.tracking_code,
            &form.phone,
            Some(&case),
            None,
            StatusCode::OK,
        ),
        Err(error) => {
            let error = ApiError::from(error);
            let message = page.error_text(&error);
            render(
                &page,
                &form.tracking_code,
                &form.phone,
                None,
                Some(message),
                error.status,
            )
        }
    }
}

fn render(
    page: &Page,
    code: &str,
    phone: &str,
    case: Option<&PublicCase>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut body = Html::new();
    if let Some(error) = &error {
        body.raw(&page.error_block(error));
    }
    body.element("p", r#"class="hint""#, page.t(Msg::TrackHint));
    body.raw(r#"<form method="post" action="/track" class="stack">"#);
    body.raw(r#"<label for="tracking_code">"#).text(page.t(Msg::ReceiptTrackingCode)).raw(r#" *</label><input id="tracking_code" name="tracking_code" required inputmode="numeric" autocomplete="off" autofocus value=""#).text(code).raw(r#"">"#);
    body.raw(r#"<label for="phone">"#).text(page.t(Msg::IntakePartyPhone)).raw(r#" *</label><input id="phone" name="phone" required inputmode="tel" autocomplete="tel" value=""#).text(phone).raw(r#"">"#);
    body.raw(r#"<button type="submit">"#)
        .text(page.t(Msg::TrackSubmit))
        .raw("</button></form>");
    if let Some(case) = case {
        body.raw(r#"<section class="public-case"><h2>"#)
            .text(&case.title)
            .raw("</h2><dl>");
        body.element("dt", "", page.t(Msg::ReceiptNumber)).element(
            "dd",
            "",
            &case.number.to_string(),
        );
        body.element("dt", "", page.t(Msg::TrackState)).element(
            "dd",
            "",
            page.t(text::state(case.state)),
        );
        body.element("dt", "", page.t(Msg::ReceiptReported))
            .element("dd", "", &time::format(case.reported_at, page.lang));
        body.raw("</dl><ol class=\"timeline\">");
        for step in &case.timeline {
            let name = text::event(step.kind).map_or(step.kind, |msg| page.t(msg));
            body.raw("<li>")
                .text(&time::format(step.at, page.lang))
                .raw(" · ")
                .text(name)
                .raw("</li>");
        }
        body.raw("</ol></section>");
    }
    page.render(status, page.t(Msg::TrackTitle), &body)
}
