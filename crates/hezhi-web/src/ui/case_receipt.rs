//! `GET /cases/{id}/receipt`: the receipt handed to the person at the window — the case
//! number and the tracking code grouped for reading aloud, ready to print.

use super::html::Html;
use super::text::Msg;
use super::{Page, time};
use crate::error::ApiError;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::App;
use hezhi_domain::CaseId;
use std::sync::Arc;

/// `3036983519` → `303 698 3519`: easier to read over the phone.
pub fn grouped(code: &str) -> String {
    if code.len() == 10 {
        format!("{} {} {}", &code[..3], &code[3..6], &code[6..])
    } else {
        code.to_owned()
    }
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let session = match page.working_session() {
        Ok(session) => session.clone(),
        Err(response) => return *response,
    };
    let case = match id.ok().and_then(|Path(id)| CaseId::parse(&id)) {
        Some(id) => app
            .case(&session.principal, id)
            .await
            .map_err(ApiError::from),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such case",
        )),
    };
    let case = match case {
        Ok(case) => case,
        Err(error) => return super::refused(&page, &error),
    };
    let mut body = Html::new();
    body.raw(r#"<dl class="receipt">"#);
    for (label, value) in [
        (Msg::ReceiptNumber, case.number.to_string()),
        (
            Msg::ReceiptTrackingCode,
            grouped(case.tracking_code.as_str()),
        ),
        (Msg::IntakeTitleField, case.data.title.clone()),
        (
            Msg::ReceiptReported,
            time::format(case.reported_at, page.lang),
        ),
    ] {
        body.element("dt", "", page.t(label))
            .element("dd", "", &value);
    }
    body.raw("</dl>");
    body.element("p", "", page.t(Msg::ReceiptHowToFollow));
    body.element("p", r#"class="hint no-print""#, page.t(Msg::ReceiptPrint));
    body.raw(&format!(
        r#"<p class="no-print"><a href="/cases/{}">"#,
        case.id
    ))
    .text(page.t(Msg::ReceiptToCase))
    .raw(r#"</a> · <a href="/intake">"#)
    .text(page.t(Msg::ReceiptNext))
    .raw("</a></p>");
    page.render(StatusCode::OK, page.t(Msg::ReceiptTitle), &body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tracking_code_is_grouped_for_reading_aloud() {
        assert_eq!(super::grouped("3036983519"), "303 698 3519");
        assert_eq!(super::grouped("123"), "123");
    }
}
