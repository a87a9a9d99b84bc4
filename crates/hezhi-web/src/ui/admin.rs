//! `/admin`: administration in the browser — users and their roles, units, grids and
//! categories. Each section is shown to the administrators who hold its right (system
//! administrators: users, units, regions, grids and categories; security administrators:
//! role assignments), and every change goes through the same use case as the API and the
//! CLI, which checks the right and the region again and writes the audit log.

use super::form_input::FormInput;
use super::html::Html;
use super::text::{self, Msg};
use super::{Page, checked_form, refused, see_other};
use crate::auth;
use crate::error::ApiError;
use crate::extract::FormCaller;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::{App, AppError, Category, Session};
use hezhi_domain::access::Action;
use hezhi_domain::deadline::{DeadlinePolicy, DeadlineRule, Span};
use hezhi_domain::{
    AssignmentId, CaseKind, CategoryCode, Principal, RegionCode, RegionLevel, Role, UnitId,
    UnitKind, UserId,
};
use std::sync::Arc;

/// Whether the session administers anything (the navigation's link).
pub fn administers(session: &Session) -> bool {
    [
        Action::ManageUsers,
        Action::ManageRoleAssignments,
        Action::ManageUnits,
        Action::ManageRegions,
        Action::ManageSettings,
    ]
    .into_iter()
    .any(|a| session.principal.holds_right(a))
}

use super::invalid_value as invalid;

fn kind_name(kind: CaseKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn show(State(app): State<Arc<App>>, page: Page) -> Response {
    let session = match page.working_session() {
        Ok(session) => session.clone(),
        Err(response) => return *response,
    };
    render(&app, &page, &session, None, None).await
}

/// The page, with the outcome of the last change (`error`, or `notice` with what to show
/// once, such as a temporary password).
async fn render(
    app: &App,
    page: &Page,
    session: &Session,
    error: Option<ApiError>,
    notice: Option<String>,
) -> Response {
    let mut body = Html::new();
    let status = match &error {
        Some(error) => {
            body.raw(&page.error_block(&page.error_text(error)));
            error.status
        }
        None => StatusCode::OK,
    };
    if !administers(session) {
        body.raw(&page.error_block(page.t(Msg::AdminNotPermitted)));
        return page.render(StatusCode::FORBIDDEN, page.t(Msg::AdminTitle), &body);
    }
    if let Some(notice) = notice {
        body.raw(r#"<p class="notice" role="status">"#)
            .text(&notice)
            .raw("</p>");
    }
    let principal = &session.principal;
    let csrf = auth::hidden_field(session);
    if principal.holds_right(Action::ManageUsers)
        || principal.holds_right(Action::ManageRoleAssignments)
    {
        users(app, page, principal, &csrf, &mut body).await;
    }
    if principal.holds_right(Action::ManageUnits) {
        units(app, page, principal, &csrf, &mut body).await;
    }
    if principal.holds_right(Action::ManageRegions) {
        grids(page, &csrf, &mut body);
        categories(app, page, &csrf, &mut body).await;
    }
    if principal.holds_right(Action::ManageSettings) {
        deadlines(app, page, &csrf, &mut body).await;
    }
    page.render(status, page.t(Msg::AdminTitle), &body)
}

fn section(page: &Page, body: &mut Html, id: &str, title: Msg) {
    body.raw(&format!(
        r#"<section aria-labelledby="{id}"><h2 id="{id}">"#
    ))
    .text(page.t(title))
    .raw("</h2>");
}

fn input(body: &mut Html, page: &Page, id: &str, name: &str, label: Msg, attributes: &str) {
    body.raw(&format!(r#"<label for="{id}">"#))
        .text(page.t(label))
        .raw(&format!(
            r#"</label><input id="{id}" name="{name}" {attributes}>"#
        ));
}

fn role_options(page: &Page, body: &mut Html) {
    for role in Role::ALL {
        body.raw(&format!(r#"<option value="{}">"#, role.as_str()))
            .text(page.t(text::role(role)))
            .raw("</option>");
    }
}

async fn users(app: &App, page: &Page, principal: &Principal, csrf: &str, body: &mut Html) {
    section(page, body, "users", Msg::AdminUsers);
    let users = app.users(principal).await.unwrap_or_default();
    let manages_users = principal.holds_right(Action::ManageUsers);
    let grants = principal.holds_right(Action::ManageRoleAssignments);
    body.raw(r#"<table class="admin"><thead><tr><th scope="col">"#)
        .text(page.t(Msg::UserName))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::AdminRoles))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::Actions))
        .raw("</th></tr></thead><tbody>");
    for user in users
        .iter()
        .filter(|u| u.assignments.iter().all(|a| a.role != Role::Resident))
    {
        body.raw("<tr><td>")
            .text(&user.name)
            .raw("</td><td><ul class=\"roles\">");
        for assignment in &user.assignments {
            let scope = assignment
                .region
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| assignment.unit.map(|u| u.to_string()))
                .unwrap_or_default();
            body.raw("<li>")
                .text(page.t(text::role(assignment.role)))
                .raw(" · ")
                .text(&scope);
            if grants {
                body.raw(r#" <form method="post" action="/admin/roles/revoke" class="inline">"#)
                    .raw(csrf)
                    .raw(&format!(
                        r#"<input type="hidden" name="user" value="{}"><input type="hidden" name="assignment" value="{}"><button type="submit" class="link">"#,
                        user.id, assignment.id
                    ))
                    .text(page.t(Msg::AdminRevoke))
                    .raw("</button></form>");
            }
            body.raw("</li>");
        }
        body.raw("</ul></td><td>");
        if manages_users {
            body.raw(&format!(
                r#"<form method="post" action="/admin/users/{}/password" class="inline">"#,
                user.id
            ))
            .raw(csrf)
            .raw(r#"<button type="submit" class="secondary">"#)
            .text(page.t(Msg::AdminTemporaryPassword))
            .raw("</button></form>");
            // The phone reminders go to (never shown back: it is stored encrypted).
            body.raw(&format!(
                r#" <form method="post" action="/admin/users/{}/phone" class="inline"><label>"#,
                user.id
            ))
            .text(page.t(Msg::AdminReminderPhone))
            .raw(r#" <input name="phone" type="tel" inputmode="numeric" maxlength="20" autocomplete="off"></label>"#)
            .raw(csrf)
            .raw(r#"<button type="submit" class="secondary">"#)
            .text(page.t(Msg::AdminSave))
            .raw("</button></form>");
        }
        body.raw("</td></tr>");
    }
    body.raw("</tbody></table>");
    if manages_users {
        body.raw(r#"<form method="post" action="/admin/users" class="stack admin-form"><h3>"#)
            .text(page.t(Msg::AdminNewUser))
            .raw("</h3>")
            .raw(csrf);
        input(
            body,
            page,
            "new-user-name",
            "name",
            Msg::UserName,
            r#"required maxlength="50" autocomplete="off""#,
        );
        body.raw(r#"<button type="submit">"#)
            .text(page.t(Msg::AdminCreate))
            .raw("</button></form>");
    }
    if grants {
        body.raw(r#"<form method="post" action="/admin/roles" class="stack admin-form"><h3>"#)
            .text(page.t(Msg::AdminGrant))
            .raw("</h3>")
            .raw(csrf);
        body.raw(r#"<label for="grant-user">"#)
            .text(page.t(Msg::UserName))
            .raw(r#"</label><select id="grant-user" name="user" required>"#);
        for user in &users {
            body.raw(&format!(r#"<option value="{}">"#, user.id))
                .text(&user.name)
                .raw("</option>");
        }
        body.raw(r#"</select><label for="grant-role">"#)
            .text(page.t(Msg::AdminRole))
            .raw(r#"</label><select id="grant-role" name="role" required>"#);
        role_options(page, body);
        body.raw("</select>");
        input(
            body,
            page,
            "grant-region",
            "region",
            Msg::Region,
            r#"inputmode="numeric" maxlength="15" aria-describedby="grant-hint""#,
        );
        input(
            body,
            page,
            "grant-unit",
            "unit",
            Msg::AdminUnitId,
            r#"maxlength="36" aria-describedby="grant-hint""#,
        );
        body.raw(r#"<p class="hint" id="grant-hint">"#)
            .text(page.t(Msg::AdminGrantHint))
            .raw(r#"</p><button type="submit">"#)
            .text(page.t(Msg::AdminGrant))
            .raw("</button></form>");
    }
    body.raw("</section>");
}

/// The region an administrator's lists start from: his first scope with the right.
fn scope_of(principal: &Principal, action: Action) -> Option<RegionCode> {
    principal.with_right(action).find_map(|a| a.region.clone())
}

async fn units(app: &App, page: &Page, principal: &Principal, csrf: &str, body: &mut Html) {
    section(page, body, "units", Msg::AdminUnits);
    let listed = match scope_of(principal, Action::ManageUnits) {
        Some(region) => app.units_in_region(&region).await.unwrap_or_default(),
        None => Vec::new(),
    };
    body.raw(r#"<table class="admin"><thead><tr><th scope="col">"#)
        .text(page.t(Msg::AdminUnitName))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::Region))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::AdminUnitId))
        .raw("</th></tr></thead><tbody>");
    for unit in &listed {
        body.raw("<tr><td>")
            .text(&unit.name)
            .raw("</td><td>")
            .text(unit.region.as_str())
            .raw("</td><td><code>")
            .text(&unit.id.to_string())
            .raw("</code></td></tr>");
    }
    body.raw("</tbody></table>");
    body.raw(r#"<form method="post" action="/admin/units" class="stack admin-form"><h3>"#)
        .text(page.t(Msg::AdminNewUnit))
        .raw("</h3>")
        .raw(csrf);
    input(
        body,
        page,
        "unit-name",
        "name",
        Msg::AdminUnitName,
        r#"required maxlength="100""#,
    );
    body.raw(r#"<label for="unit-kind">"#)
        .text(page.t(Msg::Kind))
        .raw(r#"</label><select id="unit-kind" name="kind">"#);
    for kind in UnitKind::ALL {
        body.raw(&format!(r#"<option value="{}">"#, kind.as_str()))
            .text(page.t(text::unit_kind(kind)))
            .raw("</option>");
    }
    body.raw("</select>");
    input(
        body,
        page,
        "unit-region",
        "region",
        Msg::Region,
        r#"required inputmode="numeric" maxlength="15""#,
    );
    input(
        body,
        page,
        "unit-categories",
        "categories",
        Msg::AdminUnitCategories,
        r#"maxlength="500" aria-describedby="unit-categories-hint""#,
    );
    body.raw(r#"<p class="hint" id="unit-categories-hint">"#)
        .text(page.t(Msg::AdminUnitCategoriesHint))
        .raw(r#"</p><button type="submit">"#)
        .text(page.t(Msg::AdminCreate))
        .raw("</button></form></section>");
}

fn grids(page: &Page, csrf: &str, body: &mut Html) {
    section(page, body, "grids", Msg::AdminGrids);
    body.element("p", r#"class="hint""#, page.t(Msg::AdminGridsHint));
    body.raw(r#"<form method="post" action="/admin/grids" class="stack admin-form" enctype="multipart/form-data">"#)
        .raw(csrf);
    input(
        body,
        page,
        "grid-village",
        "village",
        Msg::AdminVillage,
        r#"required inputmode="numeric" pattern="[0-9]{12}" maxlength="12""#,
    );
    body.raw(r#"<label for="grid-file">"#)
        .text(page.t(Msg::AdminGridFile))
        .raw(r#"</label><input id="grid-file" name="file" type="file" accept=".geojson,.json,application/geo+json,application/json" required><button type="submit">"#)
        .text(page.t(Msg::AdminImport))
        .raw("</button></form></section>");
}

async fn categories(app: &App, page: &Page, csrf: &str, body: &mut Html) {
    section(page, body, "categories", Msg::AdminCategories);
    let all = app.categories().await.unwrap_or_default();
    body.raw(r#"<table class="admin"><thead><tr><th scope="col">"#)
        .text(page.t(Msg::Kind))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::AdminCode))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::AdminNameZh))
        .raw(r#"</th><th scope="col">"#)
        .text(page.t(Msg::AdminNameEn))
        .raw("</th></tr></thead><tbody>");
    for c in &all {
        body.raw("<tr><td>")
            .text(page.t(text::kind(c.kind)))
            .raw("</td><td><code>")
            .text(c.code.as_str())
            .raw("</code></td><td>")
            .text(&c.name_zh)
            .raw("</td><td>")
            .text(&c.name_en)
            .raw("</td></tr>");
    }
    body.raw("</tbody></table>");
    body.raw(r#"<form method="post" action="/admin/categories" class="stack admin-form"><h3>"#)
        .text(page.t(Msg::AdminSaveCategory))
        .raw("</h3>")
        .raw(csrf);
    body.raw(r#"<label for="category-kind">"#)
        .text(page.t(Msg::Kind))
        .raw(r#"</label><select id="category-kind" name="kind">"#);
    for kind in CaseKind::ALL {
        body.raw(&format!(r#"<option value="{}">"#, kind_name(kind)))
            .text(page.t(text::kind(kind)))
            .raw("</option>");
    }
    body.raw("</select>");
    input(
        body,
        page,
        "category-code",
        "code",
        Msg::AdminCode,
        r#"required maxlength="40" pattern="[a-z0-9_]+""#,
    );
    input(
        body,
        page,
        "category-zh",
        "name_zh",
        Msg::AdminNameZh,
        r#"required maxlength="50""#,
    );
    input(
        body,
        page,
        "category-en",
        "name_en",
        Msg::AdminNameEn,
        r#"required maxlength="80""#,
    );
    body.raw(r#"<button type="submit">"#)
        .text(page.t(Msg::AdminSave))
        .raw("</button></form></section>");
}

/// The units a span may be given in, with their labels.
const SPAN_UNITS: [(&str, Msg); 5] = [
    ("hours", Msg::SpanHours),
    ("days", Msg::SpanDays),
    ("working_days", Msg::SpanWorkingDays),
    ("same_day", Msg::SpanSameDay),
    ("promised", Msg::SpanPromised),
];

/// The four spans of a rule, by field name.
const SPANS: [(&str, Msg); 4] = [
    ("response", Msg::DeadlineResponse),
    ("handling", Msg::DeadlineHandling),
    ("verification", Msg::DeadlineVerification),
    ("follow_up", Msg::DeadlineFollowUp),
];

fn span_parts(span: Span) -> (&'static str, Option<u32>) {
    match span {
        Span::Hours(n) => ("hours", Some(n)),
        Span::Days(n) => ("days", Some(n)),
        Span::WorkingDays(n) => ("working_days", Some(n)),
        Span::SameDay => ("same_day", None),
        Span::Promised => ("promised", None),
    }
}

fn option_list(body: &mut Html, options: &[(String, String)], selected: &str) {
    for (value, label) in options {
        let chosen = if value == selected { " selected" } else { "" };
        body.raw(r#"<option value=""#)
            .text(value)
            .raw(&format!(r#""{chosen}>"#))
            .text(label)
            .raw("</option>");
    }
}

/// One row of the deadline table: its criteria and its four spans, every field labelled.
fn rule_row(page: &Page, body: &mut Html, i: usize, rule: Option<&DeadlineRule>) {
    let any = page.t(Msg::AnyValue).to_owned();
    let with_any = |items: Vec<(String, String)>| {
        let mut all = vec![(String::new(), any.clone())];
        all.extend(items);
        all
    };
    let urgency = rule.and_then(|r| r.urgency).and_then(|u| {
        text::URGENCIES
            .iter()
            .find(|(x, _)| *x == u)
            .map(|(_, n)| (*n).to_owned())
    });
    let kind = rule.and_then(|r| r.kind).map(kind_name);
    let level = rule.and_then(|r| r.level).map(|l| l.as_str().to_owned());
    let category = rule
        .and_then(|r| r.category.as_ref())
        .map(|c| c.as_str().to_owned());
    body.raw(r#"<fieldset class="rule"><legend>"#)
        .text(&format!("{} {}", page.t(Msg::DeadlineRule), i + 1))
        .raw("</legend>");
    let urgencies = with_any(
        text::URGENCIES
            .iter()
            .map(|(u, n)| ((*n).to_owned(), page.t(text::urgency(Some(*u))).to_owned()))
            .collect(),
    );
    let kinds = with_any(
        CaseKind::ALL
            .iter()
            .map(|k| (kind_name(*k), page.t(text::kind(*k)).to_owned()))
            .collect(),
    );
    let levels = with_any(
        RegionLevel::ALL
            .iter()
            .map(|l| (l.as_str().to_owned(), page.t(text::level(*l)).to_owned()))
            .collect(),
    );
    for (name, label, options, value) in [
        ("urgency", Msg::Urgency, &urgencies, urgency),
        ("kind", Msg::Kind, &kinds, kind),
        ("level", Msg::DeadlineLevel, &levels, level),
    ] {
        let id = format!("rule{i}-{name}");
        body.raw(r#"<div class="criterion">"#)
            .raw(&format!(r#"<label for="{id}">"#))
            .text(page.t(label))
            .raw(&format!(
                r#"</label><select id="{id}" name="rule{i}_{name}">"#
            ));
        option_list(body, options, value.as_deref().unwrap_or_default());
        body.raw("</select></div>");
    }
    let id = format!("rule{i}-category");
    body.raw(r#"<div class="criterion">"#)
        .raw(&format!(r#"<label for="{id}">"#))
        .text(page.t(Msg::AdminCode))
        .raw(&format!(
            r#"</label><input id="{id}" name="rule{i}_category" maxlength="40" pattern="[a-z0-9_]*" value=""#
        ))
        .text(category.as_deref().unwrap_or_default())
        .raw(r#""></div>"#);
    let units: Vec<(String, String)> = SPAN_UNITS
        .iter()
        .map(|(u, m)| ((*u).to_owned(), page.t(*m).to_owned()))
        .collect();
    for (span_name, label) in SPANS {
        let span = rule.map(|r| match span_name {
            "response" => r.response,
            "handling" => r.handling,
            "verification" => r.verification,
            _ => r.follow_up,
        });
        let (unit, value) = span.map_or(("working_days", None), span_parts);
        let id = format!("rule{i}-{span_name}");
        body.raw(r#"<div class="span">"#)
            .raw(&format!(r#"<label for="{id}-value">"#))
            .text(page.t(label))
            .raw(&format!(
                r#"</label><input id="{id}-value" name="rule{i}_{span_name}_value" inputmode="numeric" pattern="[0-9]*" maxlength="4" value="{}">"#,
                value.map(|v| v.to_string()).unwrap_or_default()
            ))
            .raw(&format!(r#"<label for="{id}-unit" class="unit">"#))
            .text(page.t(Msg::DeadlineUnit))
            .raw(&format!(r#"</label><select id="{id}-unit" name="rule{i}_{span_name}_unit">"#));
        option_list(body, &units, unit);
        body.raw("</select></div>");
    }
    if rule.is_some() {
        body.raw(&format!(
            r#"<p class="check"><input type="checkbox" id="rule{i}-delete" name="rule{i}_delete"> <label class="check" for="rule{i}-delete">"#
        ))
        .text(page.t(Msg::DeadlineDelete))
        .raw("</label></p>");
    }
    body.raw("</fieldset>");
}

async fn deadlines(app: &App, page: &Page, csrf: &str, body: &mut Html) {
    section(page, body, "deadlines", Msg::AdminDeadlines);
    let policy = app
        .deadline_policy()
        .await
        .unwrap_or_else(|_| DeadlinePolicy::defaults());
    body.element(
        "p",
        r#"class="hint""#,
        &format!("{} {}", page.t(Msg::DeadlineVersion), policy.version),
    );
    body.element("p", r#"class="hint""#, page.t(Msg::DeadlineHint));
    body.raw(r#"<form method="post" action="/admin/deadlines" class="stack admin-form">"#)
        .raw(csrf)
        .raw(&format!(
            r#"<input type="hidden" name="rules" value="{}">"#,
            policy.rules.len() + 1
        ));
    for (i, rule) in policy.rules.iter().enumerate() {
        rule_row(page, body, i, Some(rule));
    }
    // One empty row to add a rule.
    rule_row(page, body, policy.rules.len(), None);
    // The warning share and the reasons a clock may stop for.
    body.raw(r#"<p><label for="warning_percent">"#)
        .text(page.t(Msg::DeadlineWarningPercent))
        .raw(&format!(
            r#"</label> <input id="warning_percent" name="warning_percent" type="number" min="1" max="99" required value="{}"> %</p><fieldset><legend>"#,
            policy.warning_percent
        ))
        .text(page.t(Msg::DeadlinePausable))
        .raw("</legend>");
    for (reason, value, label) in text::PAUSE_REASONS {
        let checked = if policy.pausable.contains(&reason) {
            " checked"
        } else {
            ""
        };
        body.raw(&format!(
            r#"<p class="check"><input type="checkbox" id="pausable-{value}" name="pausable_{value}"{checked}> <label class="check" for="pausable-{value}">"#
        ))
        .text(page.t(label))
        .raw("</label></p>");
    }
    body.raw("</fieldset>");
    body.raw(r#"<button type="submit">"#)
        .text(page.t(Msg::DeadlineSave))
        .raw("</button></form></section>");
}

/// A criterion of a deadline rule: left at "any" it is none; another value must be one of
/// its kind's names.
fn criterion<T: serde::de::DeserializeOwned>(
    value: Option<String>,
    field: String,
) -> Result<Option<T>, ApiError> {
    value
        .map(|v| hezhi_app::input::parse_enum::<T>(&field, &v).map_err(|_| invalid(&field)))
        .transpose()
}

/// The rules a deadline form describes; the empty last row (no value anywhere) is no rule.
fn rules_of(input: &FormInput) -> Result<Vec<DeadlineRule>, ApiError> {
    let count: usize = input
        .field("rules")
        .trim()
        .parse()
        .map_err(|_| invalid("rules"))?;
    let mut rules = Vec::new();
    for i in 0..count.min(200) {
        let field = |name: &str| input.field(&format!("rule{i}_{name}")).trim().to_owned();
        if field("delete") == "on" {
            continue;
        }
        let blank = SPANS
            .iter()
            .all(|(s, _)| field(&format!("{s}_value")).is_empty())
            && ["urgency", "kind", "level", "category"]
                .iter()
                .all(|c| field(c).is_empty());
        if blank && i + 1 == count {
            continue;
        }
        let span = |name: &str| -> Result<Span, ApiError> {
            let value = field(&format!("{name}_value"));
            let number = || -> Result<u32, ApiError> {
                value
                    .parse()
                    .map_err(|_| invalid(&format!("rules[{i}].{name}")))
            };
            Ok(match field(&format!("{name}_unit")).as_str() {
                "hours" => Span::Hours(number()?),
                "days" => Span::Days(number()?),
                "working_days" => Span::WorkingDays(number()?),
                "same_day" => Span::SameDay,
                "promised" => Span::Promised,
                _ => return Err(invalid(&format!("rules[{i}].{name}"))),
            })
        };
        let optional = |name: &str| Some(field(name)).filter(|v| !v.is_empty());
        rules.push(DeadlineRule {
            urgency: criterion(optional("urgency"), format!("rules[{i}].urgency"))?,
            kind: criterion(optional("kind"), format!("rules[{i}].kind"))?,
            category: optional("category")
                .map(|c| {
                    CategoryCode::parse(&c).map_err(|_| invalid(&format!("rules[{i}].category")))
                })
                .transpose()?,
            level: criterion(optional("level"), format!("rules[{i}].level"))?,
            response: span("response")?,
            handling: span("handling")?,
            verification: span("verification")?,
            follow_up: span("follow_up")?,
        });
    }
    Ok(rules)
}

/// What one administration form asks for.
enum Change {
    CreateUser,
    TemporaryPassword(UserId),
    SetPhone(UserId),
    Grant,
    Revoke,
    CreateUnit,
    ImportGrids,
    SaveCategory,
    SaveDeadlines,
}

/// Carries out `change`; `Ok(Some(text))` is a notice to show once.
async fn apply(
    app: &App,
    page: &Page,
    principal: &Principal,
    change: Change,
    input: &FormInput,
) -> Result<Option<String>, ApiError> {
    let field = |name: &str| input.field(name).trim();
    let optional = |name: &str| Some(field(name)).filter(|v| !v.is_empty());
    let err = ApiError::from;
    match change {
        Change::CreateUser => {
            let user = app
                .create_user(principal, field("name"))
                .await
                .map_err(err)?;
            Ok(Some(format!(
                "{}: {}",
                page.t(Msg::AdminUserCreated),
                user.name
            )))
        }
        Change::TemporaryPassword(user) => {
            let (user, password) = app
                .issue_temporary_password(principal, user)
                .await
                .map_err(err)?;
            Ok(Some(format!(
                "{} {}: {password}",
                page.t(Msg::AdminPasswordShownOnce),
                user.name
            )))
        }
        Change::SetPhone(user) => {
            let phone = optional("phone");
            app.set_staff_phone(principal, user, phone)
                .await
                .map_err(err)?;
            Ok(Some(
                page.t(if phone.is_some() {
                    Msg::AdminReminderPhoneSet
                } else {
                    Msg::AdminReminderPhoneCleared
                })
                .to_owned(),
            ))
        }
        Change::Grant => {
            let user = UserId::parse(field("user")).ok_or_else(|| invalid("user"))?;
            let role = Role::parse(field("role")).ok_or_else(|| invalid("role"))?;
            let region = optional("region")
                .map(|r| RegionCode::parse(r).map_err(|_| invalid("region")))
                .transpose()?;
            let unit = optional("unit")
                .map(|u| UnitId::parse(u).ok_or_else(|| invalid("unit")))
                .transpose()?;
            app.grant_role(Some(principal), user, role, region, unit)
                .await
                .map_err(err)?;
            Ok(None)
        }
        Change::Revoke => {
            let user = UserId::parse(field("user")).ok_or_else(|| invalid("user"))?;
            let assignment =
                AssignmentId::parse(field("assignment")).ok_or_else(|| invalid("assignment"))?;
            app.revoke_role(Some(principal), user, assignment)
                .await
                .map_err(err)?;
            Ok(None)
        }
        Change::CreateUnit => {
            let kind = UnitKind::parse(field("kind")).ok_or_else(|| invalid("kind"))?;
            let region = RegionCode::parse(field("region")).map_err(|_| invalid("region"))?;
            let categories = field("categories")
                .split([',', '，', ' '])
                .filter(|c| !c.is_empty())
                .map(|c| CategoryCode::parse(c).map_err(|_| invalid("categories")))
                .collect::<Result<Vec<_>, _>>()?;
            let unit = app
                .add_unit(Some(principal), field("name"), kind, region, categories)
                .await
                .map_err(err)?;
            Ok(Some(format!(
                "{}: {}",
                page.t(Msg::AdminUnitCreated),
                unit.name
            )))
        }
        Change::ImportGrids => {
            let village = RegionCode::parse(field("village")).map_err(|_| invalid("village"))?;
            let file = input.files.first().ok_or_else(|| invalid("file"))?;
            let collection: serde_json::Value =
                serde_json::from_slice(&file.bytes).map_err(|_| invalid("file"))?;
            let grids = app
                .import_grids(Some(principal), &village, &collection)
                .await
                .map_err(err)?;
            Ok(Some(format!(
                "{}: {}",
                page.t(Msg::AdminGridsImported),
                grids.len()
            )))
        }
        Change::SaveDeadlines => {
            let warning_percent = optional("warning_percent")
                .map(|v| v.parse::<u8>().map_err(|_| invalid("warning_percent")))
                .transpose()?;
            let pausable = text::PAUSE_REASONS
                .iter()
                .filter(|(_, value, _)| field(&format!("pausable_{value}")) == "on")
                .map(|(reason, _, _)| *reason)
                .collect();
            let saved = app
                .save_deadline_policy(principal, rules_of(input)?, warning_percent, Some(pausable))
                .await
                .map_err(err)?;
            Ok(Some(format!(
                "{} {}",
                page.t(Msg::DeadlineSaved),
                saved.version
            )))
        }
        Change::SaveCategory => {
            let kind = hezhi_app::input::parse_enum::<CaseKind>("kind", field("kind"))
                .map_err(|e| ApiError::from(AppError::from(e)))?;
            let code = CategoryCode::parse(field("code")).map_err(|_| invalid("code"))?;
            let saved = app
                .save_category(
                    principal,
                    Category {
                        kind,
                        code,
                        name_zh: field("name_zh").to_owned(),
                        name_en: field("name_en").to_owned(),
                    },
                )
                .await
                .map_err(err)?;
            Ok(Some(format!(
                "{}: {}",
                page.t(Msg::AdminCategorySaved),
                saved.name_zh
            )))
        }
    }
}

async fn handle(
    app: &App,
    page: &Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
    change: Change,
) -> Response {
    let (session, caller, input) = match checked_form(page, caller, input) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    match apply(app, page, &caller.principal, change, &input).await {
        // A change without anything to show once: Post/Redirect/Get.
        Ok(None) => see_other("/admin"),
        Ok(notice) => render(app, page, &session, None, notice).await,
        Err(error) => render(app, page, &session, Some(error), None).await,
    }
}

pub async fn create_user(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::CreateUser).await
}

pub async fn temporary_password(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    user: Result<Path<String>, PathRejection>,
    input: Result<FormInput, ApiError>,
) -> Response {
    for_user(&app, &page, caller, user, input, Change::TemporaryPassword).await
}

pub async fn set_phone(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    user: Result<Path<String>, PathRejection>,
    input: Result<FormInput, ApiError>,
) -> Response {
    for_user(&app, &page, caller, user, input, Change::SetPhone).await
}

/// A form about the user named in the path (`/admin/users/{id}/…`).
async fn for_user(
    app: &App,
    page: &Page,
    caller: Result<FormCaller, ApiError>,
    user: Result<Path<String>, PathRejection>,
    input: Result<FormInput, ApiError>,
    change: fn(UserId) -> Change,
) -> Response {
    let Some(user) = user.ok().and_then(|Path(u)| UserId::parse(&u)) else {
        return refused(
            page,
            &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such user"),
        );
    };
    handle(app, page, caller, input, change(user)).await
}

pub async fn grant(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::Grant).await
}

pub async fn revoke(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::Revoke).await
}

pub async fn create_unit(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::CreateUnit).await
}

pub async fn import_grids(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::ImportGrids).await
}

pub async fn save_deadlines(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::SaveDeadlines).await
}

pub async fn save_category(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::SaveCategory).await
}
