//! `GET /cases`: the signed-in user's queue within his scope (`App::list_cases` filters by
//! his role assignments in SQL), filtered by state, urgency and region, a page at a time.

use super::html::Html;
use super::text::{self, Msg};
use super::{Page, time, url_encode};
use crate::error::ApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use hezhi_app::input::parse_enum;
use hezhi_app::{App, AppError, Attention, CaseFilter, CaseOrder, PageRequest};
use hezhi_domain::{Case, CaseId, CaseState, RegionCode, Urgency, ValidationError};
use serde::Deserialize;
use std::sync::Arc;

const PAGE_SIZE: u32 = 25;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    region: String,
    /// `newest`, or the default: the work queue (urgency, then time left).
    #[serde(default)]
    order: String,
    /// `on`: only open cases.
    #[serde(default)]
    open: String,
    /// `on`: only open cases past their due time.
    #[serde(default)]
    overdue: String,
    /// `returned` or `extension`: one of the lists of cases waiting on the centre.
    #[serde(default)]
    attention: String,
    #[serde(default)]
    cursor: String,
}

impl ListQuery {
    fn filter(&self, now: DateTime<Utc>) -> Result<(CaseFilter, PageRequest), AppError> {
        let invalid = |field: &str, value: &str| {
            AppError::from(ValidationError::new(
                field,
                "invalid_value",
                format!("`{value}` is not a valid {field}"),
            ))
        };
        let checkbox = |field: &str, value: &str| match value {
            "" => Ok(false),
            "on" => Ok(true),
            other => Err(invalid(field, other)),
        };
        let filter = CaseFilter {
            state: match self.state.as_str() {
                "" => None,
                s => Some(CaseState::parse(s).ok_or_else(|| invalid("state", s))?),
            },
            urgency: match self.urgency.as_str() {
                "" => None,
                u => Some(parse_enum::<Urgency>("urgency", u)?),
            },
            region: match self.region.trim() {
                "" => None,
                r => Some(RegionCode::parse(r)?),
            },
            open_only: checkbox("open", &self.open)?,
            overdue_at: checkbox("overdue", &self.overdue)?.then_some(now),
            attention: match self.attention.as_str() {
                "" => None,
                a => Some(Attention::parse(a).ok_or_else(|| invalid("attention", a))?),
            },
            order: match self.order.as_str() {
                "newest" => CaseOrder::Newest,
                "" | "queue" => CaseOrder::Queue,
                other => return Err(invalid("order", other)),
            },
            ..CaseFilter::default()
        };
        let page = PageRequest {
            after: match self.cursor.as_str() {
                "" => None,
                c => Some(CaseId::parse(c).ok_or_else(|| invalid("cursor", c))?),
            },
            limit: PAGE_SIZE,
        };
        Ok((filter, page))
    }

    /// The query of the same filters on another page.
    fn with_cursor(&self, cursor: &str) -> String {
        format!(
            "/cases?order=newest&attention={}&open={}&overdue={}&state={}&urgency={}&region={}&cursor={}",
            url_encode(&self.attention),
            url_encode(&self.open),
            url_encode(&self.overdue),
            url_encode(&self.state),
            url_encode(&self.urgency),
            url_encode(self.region.trim()),
            url_encode(cursor)
        )
    }
}

pub async fn list(
    State(app): State<Arc<App>>,
    page: Page,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let session = match page.working_session() {
        Ok(session) => session,
        Err(response) => return *response,
    };
    let mut body = Html::new();
    let (query, error) = match query {
        Ok(Query(query)) => (query, None),
        Err(rejection) => (
            ListQuery::default(),
            Some(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                rejection.body_text(),
            )),
        ),
    };
    filter_form(&page, &query, &mut body);
    let result = match error {
        Some(error) => Err(error),
        None => match query.filter(app.now()) {
            Ok((filter, request)) => app
                .list_cases(&session.principal, filter, request)
                .await
                .map_err(ApiError::from),
            Err(error) => Err(ApiError::from(error)),
        },
    };
    let status = match result {
        Ok(cases) => {
            let now = app.now();
            if cases.items.is_empty() {
                body.element("p", r#"class="empty""#, page.t(Msg::NoCases));
            } else {
                body.raw(r#"<ol class="cases">"#);
                for case in &cases.items {
                    row(&page, case, now, &mut body);
                }
                body.raw("</ol>");
            }
            let queue = query.order != "newest";
            if queue && cases.items.len() >= PAGE_SIZE as usize {
                body.element("p", r#"class="hint""#, page.t(Msg::QueueHead));
            }
            body.raw(r#"<nav class="pages">"#);
            if !query.cursor.is_empty() && !queue {
                body.raw(&format!(r#"<a href="{}">"#, query.with_cursor("")))
                    .text(page.t(Msg::FirstPage))
                    .raw("</a> ");
            }
            if let Some(next) = cases.next {
                body.raw(&format!(
                    r#"<a href="{}" rel="next">"#,
                    query.with_cursor(&next.to_string())
                ))
                .text(page.t(Msg::NextPage))
                .raw("</a>");
            }
            body.raw("</nav>");
            StatusCode::OK
        }
        Err(error) => {
            body.raw(&page.error_block(&page.error_text(&error)));
            error.status
        }
    };
    page.render(status, page.t(Msg::CasesTitle), &body)
}

fn select(
    page: &Page,
    body: &mut Html,
    name: &str,
    label: Msg,
    current: &str,
    options: &[(&str, &str)],
) {
    body.raw(&format!(r#"<div class="field"><label for="f-{name}">"#))
        .text(page.t(label))
        .raw(&format!(
            r#"</label><select id="f-{name}" name="{name}"><option value="">"#
        ))
        .text(page.t(Msg::AnyValue))
        .raw("</option>");
    for (value, text) in options {
        let selected = if *value == current { " selected" } else { "" };
        body.raw(&format!(r#"<option value="{value}"{selected}>"#))
            .text(text)
            .raw("</option>");
    }
    body.raw("</select></div>");
}

/// The lists a dispatcher switches between: the whole queue, the cases units returned, and
/// the extension requests waiting for a decision. Shown to those who may dispatch.
fn views(page: &Page, query: &ListQuery, body: &mut Html) {
    body.raw(r#"<nav class="views" aria-label=""#)
        .text(page.t(Msg::ViewsLabel))
        .raw(r#""><ul>"#);
    for (attention, label) in [
        ("", Msg::ViewAll),
        ("returned", Msg::ViewReturned),
        ("extension", Msg::ViewExtension),
    ] {
        let current = if query.attention == attention {
            r#" aria-current="page""#
        } else {
            ""
        };
        let href = match attention {
            "" => "/cases".to_owned(),
            a => format!("/cases?attention={a}"),
        };
        body.raw(&format!(r#"<li><a href="{href}"{current}>"#))
            .text(page.t(label))
            .raw("</a></li>");
    }
    body.raw("</ul></nav>");
}

/// The units the signed-in user works for (unit handlers and mediators).
fn own_units(page: &Page) -> Vec<hezhi_domain::UnitId> {
    page.session.as_ref().map_or_else(Vec::new, |session| {
        session
            .principal
            .assignments
            .iter()
            .filter_map(|a| a.unit)
            .collect()
    })
}

/// A unit's inbox (部门待办): what waits for its acknowledgement, what it is handling, and
/// everything still open.
fn unit_views(page: &Page, query: &ListQuery, body: &mut Html) {
    body.raw(r#"<nav class="views" aria-label=""#)
        .text(page.t(Msg::ViewsLabel))
        .raw(r#""><ul>"#);
    for (state, open, label) in [
        ("dispatched", "", Msg::ViewToAcknowledge),
        ("in_progress", "", Msg::ViewHandling),
        ("", "on", Msg::ViewAllOpen),
    ] {
        let current = if query.state == state && query.open == open && query.attention.is_empty() {
            r#" aria-current="page""#
        } else {
            ""
        };
        let href = if state.is_empty() {
            format!("/cases?open={open}")
        } else {
            format!("/cases?state={state}")
        };
        body.raw(&format!(r#"<li><a href="{href}"{current}>"#))
            .text(page.t(label))
            .raw("</a></li>");
    }
    body.raw("</ul></nav>");
}

fn filter_form(page: &Page, query: &ListQuery, body: &mut Html) {
    let dispatches = page
        .session
        .as_ref()
        .is_some_and(|session| super::may_take(session, hezhi_domain::CommandKind::Dispatch));
    if dispatches {
        views(page, query, body);
    } else if !own_units(page).is_empty() {
        unit_views(page, query, body);
    }
    body.raw(r#"<form method="get" action="/cases" class="filters">"#);
    if !query.attention.is_empty() {
        body.raw(r#"<input type="hidden" name="attention" value=""#)
            .text(&query.attention)
            .raw(r#"">"#);
    }
    let states: Vec<(&str, &str)> = CaseState::ALL
        .iter()
        .map(|s| (s.as_str(), page.t(text::state(*s))))
        .collect();
    select(page, body, "state", Msg::State, &query.state, &states);
    let urgencies: Vec<(&str, &str)> = text::URGENCIES
        .iter()
        .map(|(u, name)| (*name, page.t(text::urgency(Some(*u)))))
        .collect();
    select(
        page,
        body,
        "urgency",
        Msg::Urgency,
        &query.urgency,
        &urgencies,
    );
    let newest = query.order == "newest";
    body.raw(r#"<div class="field"><label for="f-order">"#)
        .text(page.t(Msg::OrderLabel))
        .raw(r#"</label><select id="f-order" name="order"><option value="queue">"#)
        .text(page.t(Msg::OrderQueue))
        .raw(&format!(
            r#"</option><option value="newest"{}>"#,
            if newest { " selected" } else { "" }
        ))
        .text(page.t(Msg::OrderNewest))
        .raw("</option></select></div>");
    body.raw(r#"<div class="field"><label for="f-region">"#)
        .text(page.t(Msg::Region))
        .raw(r#"</label><input id="f-region" name="region" inputmode="numeric" maxlength="15" value=""#)
        .text(query.region.trim())
        .raw("\"></div>");
    for (name, value, label) in [
        ("open", &query.open, Msg::OpenOnly),
        ("overdue", &query.overdue, Msg::OverdueOnly),
    ] {
        let checked = if value == "on" { " checked" } else { "" };
        body.raw(&format!(
            r#"<p class="check"><input type="checkbox" id="f-{name}" name="{name}"{checked}> <label class="check" for="f-{name}">"#
        ))
        .text(page.t(label))
        .raw("</label></p>");
    }
    body.raw(r#"<button type="submit">"#)
        .text(page.t(Msg::Filter))
        .raw("</button></form>");
}

/// The colour class of an urgency badge.
pub fn urgency_class(urgency: Option<Urgency>) -> &'static str {
    match urgency {
        Some(Urgency::Red) => "badge red",
        Some(Urgency::Orange) => "badge orange",
        Some(Urgency::Yellow) => "badge yellow",
        Some(Urgency::Green) => "badge green",
        None => "badge none",
    }
}

/// The due time and how long is left, or how long it is overdue.
pub fn deadline(page: &Page, case: &Case, now: DateTime<Utc>, body: &mut Html) {
    let Some(due) = case.due_at else {
        body.text(page.t(Msg::NoDeadline));
        return;
    };
    body.raw(&format!(r#"<time datetime="{}">"#, due.to_rfc3339()))
        .text(&time::format(due, page.lang))
        .raw("</time>");
    if case.is_overdue(now) {
        body.raw(r#" <strong class="overdue">"#)
            .text(page.t(Msg::Overdue))
            .raw(" ")
            .text(&time::span(now - due, page.lang))
            .raw("</strong>");
    } else if case.state.is_open() {
        body.raw(r#" <span class="left">"#)
            .text(page.t(Msg::TimeLeft))
            .raw(" ")
            .text(&time::span(due - now, page.lang))
            .raw("</span>");
    }
}

pub fn row(page: &Page, case: &Case, now: DateTime<Utc>, body: &mut Html) {
    body.raw(&format!(
        r#"<li><a class="case" href="/cases/{}">"#,
        case.id
    ))
    .element("span", r#"class="number""#, &case.number.to_string())
    .element("span", r#"class="title""#, &case.data.title)
    .raw("</a>")
    .element(
        "span",
        &format!(r#"class="{}""#, urgency_class(case.urgency)),
        page.t(text::urgency(case.urgency)),
    )
    .raw(" ")
    .element("span", r#"class="state""#, page.t(text::state(case.state)));
    if let Some(attention) = Attention::of(case) {
        let (class, label) = match attention {
            Attention::Returned => ("returned", Msg::BadgeReturned),
            Attention::Extension => ("extension", Msg::BadgeExtension),
        };
        body.raw(" ")
            .element("span", &format!(r#"class="badge {class}""#), page.t(label));
    }
    // In a unit's inbox: whether the unit leads or supports, and whether its part is done.
    if let Some(assignment) = &case.assignment {
        for unit in own_units(page) {
            let label = if assignment.lead_unit == unit {
                Some(Msg::BadgeLead)
            } else {
                assignment
                    .supporting
                    .iter()
                    .find(|p| p.unit == unit)
                    .map(|p| {
                        if p.confirmed_at.is_some() {
                            Msg::BadgePartDone
                        } else {
                            Msg::BadgePartPending
                        }
                    })
            };
            if let Some(label) = label {
                body.raw(" ")
                    .element("span", r#"class="badge role""#, page.t(label));
            }
        }
    }
    body.raw(r#"<span class="due">"#)
        .text(page.t(Msg::Due))
        .raw(": ");
    deadline(page, case, now, body);
    body.raw("</span></li>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn the_queue_notice_names_the_page_size() {
        for lang in [Lang::Zh, Lang::En] {
            assert!(
                Msg::QueueHead.text(lang).contains(&PAGE_SIZE.to_string()),
                "{lang:?}"
            );
        }
    }

    #[test]
    fn the_list_query_defaults_to_the_queue_and_refuses_bad_values() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 1, 8, 0, 0).unwrap();
        let query = |order: &str| ListQuery {
            state: String::new(),
            urgency: String::new(),
            region: String::new(),
            order: order.into(),
            attention: String::new(),
            open: String::new(),
            overdue: String::new(),
            cursor: String::new(),
        };
        assert_eq!(query("").filter(now).expect("ok").0.order, CaseOrder::Queue);
        assert_eq!(
            query("newest").filter(now).expect("ok").0.order,
            CaseOrder::Newest
        );
        assert!(query("oldest").filter(now).is_err());
        let mut open = query("");
        open.open = "on".into();
        open.overdue = "on".into();
        let (filter, _) = open.filter(now).expect("ok");
        assert!(filter.open_only);
        assert_eq!(filter.overdue_at, Some(now));
        open.open = "yes".into();
        assert!(open.filter(now).is_err(), "a checkbox is `on` or absent");
    }
}
