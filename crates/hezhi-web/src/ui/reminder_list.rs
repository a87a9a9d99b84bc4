//! `GET /reminders`: 到期提醒 — the cases in the user's scope whose current deadline (of
//! handling, verification or follow-up; none while the clock is stopped) has passed or comes
//! within a day, the most urgent first. The deadline sweeper puts its
//! warnings and overdue notices on each case's timeline; this list is where people meet them.

use super::Page;
use super::case_list::row;
use super::html::Html;
use super::text::Msg;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::{App, CaseFilter, CaseOrder, PageRequest};
use std::sync::Arc;

/// How far ahead a deadline makes a case a reminder.
const AHEAD: chrono::Duration = chrono::Duration::hours(24);

/// The most reminders listed at once.
const LISTED: u32 = 100;

pub async fn list(State(app): State<Arc<App>>, page: Page) -> Response {
    let session = match page.working_session() {
        Ok(session) => session,
        Err(response) => return *response,
    };
    let now = app.now();
    let filter = CaseFilter {
        due_before: Some(now + AHEAD),
        order: CaseOrder::Queue,
        ..CaseFilter::default()
    };
    let mut body = Html::new();
    body.element("p", r#"class="hint""#, page.t(Msg::RemindersHint));
    let status = match app
        .list_cases(
            &session.principal,
            filter,
            PageRequest {
                after: None,
                limit: LISTED,
            },
        )
        .await
    {
        Ok(cases) if cases.items.is_empty() => {
            body.element("p", r#"class="empty""#, page.t(Msg::NoReminders));
            StatusCode::OK
        }
        Ok(cases) => {
            body.raw(r#"<ol class="cases">"#);
            for case in &cases.items {
                row(&page, case, now, &mut body);
            }
            body.raw("</ol>");
            StatusCode::OK
        }
        Err(error) => {
            let error = ApiError::from(error);
            body.raw(&page.error_block(&page.error_text(&error)));
            error.status
        }
    };
    page.render(status, page.t(Msg::RemindersTitle), &body)
}
