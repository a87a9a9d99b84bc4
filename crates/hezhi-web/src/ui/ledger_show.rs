//! `GET /ledger`: the dispute ledger (矛盾纠纷排查化解台账) of a region and period — one row per
//! case reported, personal data masked, narrowed by kind, category and state — with links to
//! export the same rows as Excel or CSV. For the users who may see the region's figures.

use super::html::Html;
use super::overview_show::home;
use super::text::{self, Msg};
use super::{Page, time, url_encode};
use crate::api::stats::ExportQuery;
use crate::error::ApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Days;
use hezhi_app::{App, AppError};
use hezhi_domain::{CaseKind, CaseState};
use serde::Deserialize;
use std::sync::Arc;

/// The most rows shown on the page; the export has them all.
const SHOWN: usize = 500;

#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    case_kind: Option<String>,
    category: Option<String>,
    state: Option<String>,
}

/// A query value, or `None` when it was left empty.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    query: Result<Query<LedgerQuery>, QueryRejection>,
) -> Response {
    let session = match page.working_session() {
        Ok(session) => session.clone(),
        Err(response) => return *response,
    };
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let today = app.now().with_timezone(&time::china()).date_naive();
    let month_ago = today.checked_sub_days(Days::new(29)).unwrap_or(today);
    let region = given(&query.region)
        .or_else(|| home(&session).map(|r| r.as_str().to_owned()))
        .unwrap_or_default();
    let asked = ExportQuery {
        region,
        from: given(&query.from).unwrap_or_else(|| month_ago.to_string()),
        to: given(&query.to).unwrap_or_else(|| today.to_string()),
        format: None,
        case_kind: None,
        category: given(&query.category),
        state: given(&query.state),
    };
    let mut body = Html::new();
    let no_region = asked.region.is_empty();
    let outcome = async {
        if no_region {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not_permitted",
                "no region to show",
            ));
        }
        let mut request = asked.request("ledger").map_err(AppError::from)?;
        request.case_kind = given(&query.case_kind)
            .map(|k| hezhi_app::input::parse_enum::<CaseKind>("case_kind", &k))
            .transpose()
            .map_err(AppError::from)?;
        app.ledger(&session.principal, &request, SHOWN)
            .await
            .map_err(ApiError::from)
    }
    .await;
    filters(&page, &asked, &query, &mut body);
    let status = match outcome {
        Ok((region, sheet, total)) => {
            body.raw(r#"<p class="place"><strong>"#)
                .text(&region.name)
                .raw("</strong> ")
                .text(&format!("{} — {}", asked.from, asked.to))
                .raw(" · ")
                .text(&format!("{} {total}", page.t(Msg::LedgerTotal)));
            let query = format!(
                "region={}&amp;from={}&amp;to={}{}{}{}",
                url_encode(region.code.as_str()),
                url_encode(&asked.from),
                url_encode(&asked.to),
                given(&query.case_kind)
                    .map(|k| format!("&amp;case_kind={}", url_encode(&k)))
                    .unwrap_or_default(),
                asked
                    .category
                    .as_deref()
                    .map(|c| format!("&amp;category={}", url_encode(c)))
                    .unwrap_or_default(),
                asked
                    .state
                    .as_deref()
                    .map(|s| format!("&amp;state={}", url_encode(s)))
                    .unwrap_or_default(),
            );
            for (format, label) in [("xlsx", Msg::ExportLedger), ("csv", Msg::ExportLedgerCsv)] {
                body.raw(&format!(
                    r#" · <a href="/api/v1/exports/ledger?{query}&amp;format={format}">"#
                ))
                .text(page.t(label))
                .raw("</a>");
            }
            body.raw("</p>");
            if total > SHOWN {
                body.element("p", r#"class="hint""#, page.t(Msg::LedgerFirstRows));
            }
            body.raw(r#"<div class="wide"><table class="ledger"><thead><tr>"#);
            for column in &sheet.columns {
                body.element("th", r#"scope="col""#, &column.header);
            }
            body.raw("</tr></thead><tbody>");
            if sheet.rows.is_empty() {
                body.raw(&format!(r#"<tr><td colspan="{}">"#, sheet.columns.len()))
                    .text(page.t(Msg::NoCases))
                    .raw("</td></tr>");
            }
            for row in &sheet.rows {
                body.raw("<tr>");
                for cell in row {
                    body.element("td", "", &cell.to_string());
                }
                body.raw("</tr>");
            }
            body.raw("</tbody></table></div>");
            StatusCode::OK
        }
        Err(error) => {
            body.raw(&page.error_block(&page.error_text(&error)));
            error.status
        }
    };
    page.render(status, page.t(Msg::LedgerTitle), &body)
}

fn filters(page: &Page, asked: &ExportQuery, query: &LedgerQuery, body: &mut Html) {
    body.raw(r#"<form method="get" action="/ledger" class="filters">"#);
    let input = |body: &mut Html, name: &str, label: Msg, kind: &str, value: &str| {
        body.raw(&format!(r#"<p><label for="ledger-{name}">"#))
            .text(page.t(label))
            .raw(&format!(
                r#"</label><input id="ledger-{name}" name="{name}" type="{kind}" value=""#
            ))
            .text(value)
            .raw(r#""></p>"#);
    };
    input(body, "region", Msg::Region, "text", &asked.region);
    input(body, "from", Msg::PeriodFrom, "date", &asked.from);
    input(body, "to", Msg::PeriodTo, "date", &asked.to);
    let select =
        |body: &mut Html, name: &str, label: Msg, options: Vec<(String, String)>, chosen: &str| {
            body.raw(&format!(r#"<p><label for="ledger-{name}">"#))
                .text(page.t(label))
                .raw(&format!(
                    r#"</label><select id="ledger-{name}" name="{name}"><option value="">"#
                ))
                .text(page.t(Msg::AnyValue))
                .raw("</option>");
            for (value, text) in options {
                let selected = if value == chosen { " selected" } else { "" };
                body.raw(&format!(r#"<option value="{value}"{selected}>"#))
                    .text(&text)
                    .raw("</option>");
            }
            body.raw("</select></p>");
        };
    let kinds = CaseKind::ALL
        .iter()
        .map(|k| {
            let value = serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (value, page.t(text::kind(*k)).to_owned())
        })
        .collect();
    select(
        body,
        "case_kind",
        Msg::Kind,
        kinds,
        &given(&query.case_kind).unwrap_or_default(),
    );
    let states = CaseState::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), page.t(text::state(*s)).to_owned()))
        .collect();
    select(
        body,
        "state",
        Msg::State,
        states,
        asked.state.as_deref().unwrap_or_default(),
    );
    input(
        body,
        "category",
        Msg::Category,
        "text",
        asked.category.as_deref().unwrap_or_default(),
    );
    body.raw(r#"<p><button type="submit">"#)
        .text(page.t(Msg::Show))
        .raw("</button></p></form>");
}
