//! `GET /overview`: where a region stands (态势总览) — for leaders, supervisors, case
//! leaders and dispatchers, over their own region. A period of China dates (the last 30 days
//! unless chosen); counts by state, urgency, category and the region's children, each child a
//! link one level down; a map of the grids (or tiles of the children where no grid is drawn)
//! coloured by the cases open now; the daily trend; the overdue cases, most urgent first; and
//! the indicators of the period from the rollups (`App::indicators`), with links to the
//! exports.

use super::case_list::{deadline, urgency_class};
use super::html::Html;
use super::svg::{self, Area};
use super::text::{self, Msg};
use super::{Page, time, url_encode};
use crate::error::ApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate, TimeZone};
use hezhi_app::overview::{Counts, Overview};
use hezhi_app::{App, AppError, Indicators, Period, Session};
use hezhi_domain::access::Action;
use hezhi_domain::{CaseState, RegionCode};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The longest period shown at once.
const MAX_DAYS: u64 = 366;

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The region a user's overview starts at: his first with the right to see figures.
pub fn home(session: &Session) -> Option<RegionCode> {
    session
        .principal
        .with_right(Action::Export)
        .find_map(|a| a.region.clone())
}

use super::invalid_value as invalid;

/// The period, as China dates `[from, to]` (both days included).
fn period(query: &OverviewQuery, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let date = |text: &Option<String>, field: &str, default: NaiveDate| match text
        .as_deref()
        .map(str::trim)
    {
        None | Some("") => Ok(default),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid(field)),
    };
    let to = date(&query.to, "to", today)?;
    let from = date(
        &query.from,
        "from",
        to.checked_sub_days(Days::new(29)).unwrap_or(to),
    )?;
    if from > to {
        return Err(invalid("from"));
    }
    if (to - from).num_days() >= MAX_DAYS as i64 {
        return Err(invalid("from"));
    }
    Ok((from, to))
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    query: Result<Query<OverviewQuery>, QueryRejection>,
) -> Response {
    let session = match page.working_session() {
        Ok(session) => session.clone(),
        Err(response) => return *response,
    };
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let today = app.now().with_timezone(&time::china()).date_naive();
    let mut body = Html::new();
    let outcome = async {
        let (from, to) = period(&query, today)?;
        let region = match query.region.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => {
                RegionCode::parse(code).map_err(|_| invalid("region"))?
            }
            _ => home(&session).ok_or_else(|| {
                ApiError::new(StatusCode::FORBIDDEN, "not_permitted", "no region to show")
            })?,
        };
        let start = |d: NaiveDate| {
            time::china()
                .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
                .single()
                .map(|t| t.with_timezone(&chrono::Utc))
                .ok_or_else(|| invalid("from"))
        };
        let end_day = to
            .checked_add_days(Days::new(1))
            .ok_or_else(|| invalid("to"))?;
        let overview = app
            .overview(&session.principal, &region, start(from)?, start(end_day)?)
            .await
            .map_err(ApiError::from)?;
        let period = Period::new(from, to).map_err(|e| ApiError::from(AppError::from(e)))?;
        let indicators = app
            .indicators(&session.principal, &region, period)
            .await
            .map_err(ApiError::from)?;
        Ok::<_, ApiError>((overview, indicators, from, to))
    }
    .await;
    let (overview, indicators, from, to) = match outcome {
        Ok(found) => found,
        Err(error) => {
            body.raw(&page.error_block(&page.error_text(&error)));
            period_form(
                &page,
                query.region.as_deref().unwrap_or_default(),
                "",
                "",
                &mut body,
            );
            return page.render(error.status, page.t(Msg::OverviewTitle), &body);
        }
    };
    let (from_text, to_text) = (from.to_string(), to.to_string());
    body.raw(r#"<p class="place">"#);
    if let Some(parent) = &overview.region.parent
        && hezhi_app::App::may_see_figures(&session.principal, parent)
    {
        body.raw(&format!(
            r#"<a href="/overview?region={}&amp;from={from_text}&amp;to={to_text}">"#,
            url_encode(parent.as_str())
        ))
        .text(page.t(Msg::ReportUp))
        .raw("</a> · ");
    }
    body.raw("<strong>")
        .text(&overview.region.name)
        .raw("</strong> ")
        .text(&format!("{from_text} — {to_text}"))
        .raw("</p>");
    period_form(
        &page,
        overview.region.code.as_str(),
        &from_text,
        &to_text,
        &mut body,
    );
    let categories = app.categories().await.unwrap_or_default();
    totals(&page, &overview, &indicators, &mut body);
    indicator_section(&page, &indicators, &mut body);
    map(&page, &overview, &mut body);
    trend(&page, &overview, from, to, &mut body);
    breakdowns(
        &page,
        &overview,
        &categories,
        &from_text,
        &to_text,
        &mut body,
    );
    overdue(&app, &page, &overview, &mut body);
    page.render(StatusCode::OK, page.t(Msg::OverviewTitle), &body)
}

fn period_form(page: &Page, region: &str, from: &str, to: &str, body: &mut Html) {
    body.raw(r#"<form method="get" action="/overview" class="filters">"#)
        .raw(r#"<input type="hidden" name="region" value=""#)
        .text(region)
        .raw(r#"">"#);
    for (name, label, value) in [("from", Msg::PeriodFrom, from), ("to", Msg::PeriodTo, to)] {
        body.raw(&format!(r#"<p><label for="{name}">"#))
            .text(page.t(label))
            .raw(&format!(
                r#"</label><input id="{name}" name="{name}" type="date" value=""#
            ))
            .text(value)
            .raw(r#""></p>"#);
    }
    body.raw(r#"<p><button type="submit">"#)
        .text(page.t(Msg::Show))
        .raw("</button></p></form>");
}

fn sum(counts: &Counts) -> u64 {
    counts.iter().map(|(_, n)| n).sum()
}

/// The headline figures: reported and closed in the period from the indicators (the same
/// numbers `hezhi stats` and the exports give), open and overdue now from the cases.
fn totals(page: &Page, overview: &Overview, indicators: &Indicators, body: &mut Html) {
    let reported = indicators.counts.reported;
    let closed = indicators.counts.closed;
    let open_now = sum(&overview.open_by_child);
    body.raw(r#"<dl class="totals">"#);
    for (label, value) in [
        (Msg::TotalReported, reported),
        (Msg::TotalClosed, closed),
        (Msg::TotalOpenNow, open_now),
        (Msg::TotalOverdue, overview.overdue.len() as u64),
    ] {
        body.raw("<div>")
            .element("dt", "", page.t(label))
            .element("dd", "", &value.to_string())
            .raw("</div>");
    }
    body.raw("</dl>");
}

/// The indicators of the region and period (考核指标): each rate with its numerator and
/// denominator, the counts, and links to the exports of the same region and period.
fn indicator_section(page: &Page, indicators: &Indicators, body: &mut Html) {
    let counts = &indicators.counts;
    body.raw(r#"<section aria-labelledby="indicators"><h2 id="indicators">"#)
        .text(page.t(Msg::IndicatorsTitle))
        .raw("</h2>")
        .element("p", r#"class="hint""#, page.t(Msg::IndicatorsNote))
        .raw(r#"<table class="counts"><thead><tr><th scope="col">"#)
        .text(page.t(Msg::IndicatorFigure))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::IndicatorValue))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::IndicatorBasis))
        .raw("</th></tr></thead><tbody>");
    for rate in &indicators.rates {
        let shown = rate
            .percent
            .map_or_else(|| "—".to_owned(), |p| format!("{p:.2}%"));
        body.raw("<tr><td>")
            .text(page.t(text::rate(rate.key)))
            .raw("</td><td>")
            .text(&shown)
            .raw("</td><td>")
            .text(&format!("{} / {}", rate.numerator, rate.denominator))
            .raw("</td></tr>");
    }
    for (label, value) in [
        (Msg::CountReported, counts.reported),
        (Msg::CountDispatched, counts.dispatched),
        (Msg::CountClosed, counts.closed),
        (Msg::CountDue, counts.due_for_closure),
        (Msg::CountScreened, counts.screened),
        (Msg::CountPrevented, counts.prevented),
        (Msg::CountMediations, counts.mediations),
        (Msg::CountSettled, counts.mediations_settled),
        (Msg::CountFollowedUp, counts.followed_up),
        (Msg::CountAmount, counts.amount_yuan),
        (Msg::CountPeople, counts.people),
    ] {
        body.raw("<tr><td>")
            .text(page.t(label))
            .raw("</td><td>")
            .text(&value.to_string())
            .raw("</td><td></td></tr>");
    }
    body.raw("</tbody></table><p>");
    let query = format!(
        "region={}&amp;from={}&amp;to={}",
        url_encode(indicators.region.code.as_str()),
        indicators.period.from,
        indicators.period.to
    );
    for (i, (kind, format, label)) in [
        ("ledger", "xlsx", Msg::ExportLedger),
        ("ledger", "csv", Msg::ExportLedgerCsv),
        ("report", "html", Msg::ExportReport),
        ("report", "xlsx", Msg::ExportReportXlsx),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            body.raw(" · ");
        }
        body.raw(&format!(
            r#"<a href="/api/v1/exports/{kind}?{query}&amp;format={format}">"#
        ))
        .text(page.t(label))
        .raw("</a>");
    }
    body.raw("</p></section>");
}

fn map(page: &Page, overview: &Overview, body: &mut Html) {
    body.raw(r#"<section aria-labelledby="map"><h2 id="map">"#)
        .text(page.t(Msg::MapTitle))
        .raw("</h2>");
    let open: HashMap<&str, u64> = overview
        .open_by_grid
        .iter()
        .map(|(code, n)| (code.as_str(), *n))
        .collect();
    if overview.grids.is_empty() {
        let names: HashMap<&str, &str> = overview
            .children
            .iter()
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        let by_child: HashMap<&str, u64> = overview
            .open_by_child
            .iter()
            .map(|(code, n)| (code.as_str(), *n))
            .collect();
        let tiles: Vec<(String, u64)> = overview
            .children
            .iter()
            .map(|c| {
                (
                    names
                        .get(c.code.as_str())
                        .copied()
                        .unwrap_or_default()
                        .to_owned(),
                    by_child.get(c.code.as_str()).copied().unwrap_or(0),
                )
            })
            .collect();
        body.raw(&svg::tiles(page.t(Msg::MapTitle), &tiles));
    } else {
        let names: HashMap<&str, &str> = overview
            .grid_regions
            .iter()
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        let areas: Vec<Area<'_>> = overview
            .grids
            .iter()
            .map(|g| Area {
                shape: &g.shape,
                label: names
                    .get(g.grid.as_str())
                    .map_or_else(|| g.grid.to_string(), |n| (*n).to_owned()),
                open: open.get(g.grid.as_str()).copied().unwrap_or(0),
            })
            .collect();
        body.raw(&svg::map(page.t(Msg::MapTitle), &areas));
        let off_grid: u64 = overview
            .open_by_grid
            .iter()
            .filter(|(code, _)| code.len() < hezhi_domain::RegionLevel::Grid.code_len())
            .map(|(_, n)| n)
            .sum();
        if off_grid > 0 {
            body.element(
                "p",
                r#"class="hint""#,
                &format!("{}: {off_grid}", page.t(Msg::MapOffGrid)),
            );
        }
    }
    body.raw(&svg::legend(page.t(Msg::MapLegend)));
    body.raw("</section>");
}

fn trend(page: &Page, overview: &Overview, from: NaiveDate, to: NaiveDate, body: &mut Html) {
    let counted: HashMap<&str, u64> = overview
        .trend
        .iter()
        .map(|(day, n)| (day.as_str(), *n))
        .collect();
    let days: Vec<(String, u64)> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            let key = d.to_string();
            let n = counted.get(key.as_str()).copied().unwrap_or(0);
            (key, n)
        })
        .collect();
    body.raw(r#"<section aria-labelledby="trend"><h2 id="trend">"#)
        .text(page.t(Msg::TrendTitle))
        .raw("</h2>")
        .raw(&svg::trend(page.t(Msg::TrendTitle), &days))
        .raw("</section>");
}

/// A table of counts: a label for each key, the count, and optionally a link.
fn table(
    page: &Page,
    body: &mut Html,
    id: &str,
    title: Msg,
    rows: Vec<(String, u64, Option<String>)>,
) {
    body.raw(&format!(
        r#"<section aria-labelledby="{id}"><h2 id="{id}">"#
    ))
    .text(page.t(title))
    .raw(r#"</h2><table class="counts"><thead><tr><th scope="col">"#)
    .text(page.t(title))
    .raw(r#"</th><th scope="col">"#)
    .text(page.t(Msg::CountColumn))
    .raw("</th></tr></thead><tbody>");
    if rows.is_empty() {
        body.raw(r#"<tr><td colspan="2">"#)
            .text(page.t(Msg::NoCases))
            .raw("</td></tr>");
    }
    for (label, n, link) in rows {
        body.raw("<tr><td>");
        match link {
            Some(href) => {
                body.raw(&format!(r#"<a href="{href}">"#))
                    .text(&label)
                    .raw("</a>");
            }
            None => {
                body.text(&label);
            }
        }
        body.raw("</td><td>").text(&n.to_string()).raw("</td></tr>");
    }
    body.raw("</tbody></table></section>");
}

fn breakdowns(
    page: &Page,
    overview: &Overview,
    categories: &[hezhi_app::Category],
    from: &str,
    to: &str,
    body: &mut Html,
) {
    let states = overview
        .by_state
        .iter()
        .map(|(key, n)| {
            let label = CaseState::parse(key).map_or(key.as_str(), |s| page.t(text::state(s)));
            (label.to_owned(), *n, None)
        })
        .collect();
    table(page, body, "by-state", Msg::ByState, states);
    let urgencies = overview
        .by_urgency
        .iter()
        .map(|(key, n)| {
            let urgency = text::URGENCIES
                .iter()
                .find(|(_, name)| name == key)
                .map(|(u, _)| *u);
            (page.t(text::urgency(urgency)).to_owned(), *n, None)
        })
        .collect();
    table(page, body, "by-urgency", Msg::ByUrgency, urgencies);
    let by_category = overview
        .by_category
        .iter()
        .map(|(key, n)| {
            let name = key
                .split_once('/')
                .and_then(|(kind, code)| {
                    categories.iter().find(|c| {
                        c.code.as_str() == code
                            && serde_json::to_value(c.kind)
                                .ok()
                                .and_then(|v| v.as_str().map(|k| k == kind))
                                .unwrap_or(false)
                    })
                })
                .map_or(key.as_str(), |c| page.category_name(c));
            (name.to_owned(), *n, None)
        })
        .collect();
    table(page, body, "by-category", Msg::ByCategory, by_category);
    let names: HashMap<&str, &str> = overview
        .children
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    let by_child = overview
        .by_child
        .iter()
        .map(|(code, n)| match names.get(code.as_str()) {
            Some(name) => (
                (*name).to_owned(),
                *n,
                Some(format!(
                    "/overview?region={}&amp;from={from}&amp;to={to}",
                    url_encode(code)
                )),
            ),
            // Registered at the region itself, above its children.
            None => (page.t(Msg::AtThisLevel).to_owned(), *n, None),
        })
        .collect();
    table(page, body, "by-region", Msg::ByRegion, by_child);
}

fn overdue(app: &App, page: &Page, overview: &Overview, body: &mut Html) {
    body.raw(r#"<section aria-labelledby="overdue"><h2 id="overdue">"#)
        .text(page.t(Msg::OverdueList))
        .raw("</h2>");
    if overview.overdue.is_empty() {
        body.element("p", "", page.t(Msg::NoCases));
    } else {
        body.raw(r#"<ul class="cases">"#);
        let now = app.now();
        for case in &overview.overdue {
            body.raw(&format!(
                r#"<li><a class="case" href="/cases/{}">"#,
                case.id
            ))
            .element("span", r#"class="number""#, &case.number.to_string())
            .element("span", r#"class="title""#, &case.data.title)
            .raw("</a> ")
            .element(
                "span",
                &format!(r#"class="{}""#, urgency_class(case.urgency)),
                page.t(text::urgency(case.urgency)),
            )
            .raw(" ");
            deadline(page, case, now, body);
            body.raw("</li>");
        }
        body.raw("</ul>");
    }
    body.raw("</section>");
}
