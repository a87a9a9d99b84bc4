//! `/admin`: administration in the browser — users and their roles, units, grids and
//! categories. Each section is shown to the administrators who hold its right (system
//! administrators: users, units, regions, grids and categories; security administrators:
//! role assignments), and every change goes through the same use case as the API and the
//! CLI, which checks the right and the region again and writes the audit log.

use super::form_input::FormInput;
use super::html::Html;
use super::text::{self, Msg};
use super::{Page, refused, see_other};
use crate::auth;
use crate::error::ApiError;
use crate::extract::FormCaller;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::{App, AppError, Category, Session};
use hezhi_domain::access::Action;
use hezhi_domain::{
    AssignmentId, CaseKind, CategoryCode, Principal, RegionCode, Role, UnitId, UnitKind, UserId,
    ValidationError,
};
use std::sync::Arc;

/// Whether the session administers anything (the navigation's link).
pub fn administers(session: &Session) -> bool {
    [
        Action::ManageUsers,
        Action::ManageRoleAssignments,
        Action::ManageUnits,
        Action::ManageRegions,
    ]
    .into_iter()
    .any(|a| session.principal.holds_right(a))
}

fn invalid(field: &str) -> ApiError {
    ApiError::from(AppError::from(ValidationError::new(
        field,
        "invalid_value",
        format!("invalid {field}"),
    )))
}

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

/// What one administration form asks for.
enum Change {
    CreateUser,
    TemporaryPassword(UserId),
    Grant,
    Revoke,
    CreateUnit,
    ImportGrids,
    SaveCategory,
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
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let session = caller.session().clone();
    let input = match input {
        Ok(input) => input,
        Err(error) => return refused(page, &error),
    };
    let caller = match caller.check_form_token(input.field("csrf_token")) {
        Ok(caller) => caller,
        Err(error) => return refused(page, &error),
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
    let Some(user) = user.ok().and_then(|Path(u)| UserId::parse(&u)) else {
        return refused(
            &page,
            &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such user"),
        );
    };
    handle(&app, &page, caller, input, Change::TemporaryPassword(user)).await
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

pub async fn save_category(
    State(app): State<Arc<App>>,
    page: Page,
    caller: Result<FormCaller, ApiError>,
    input: Result<FormInput, ApiError>,
) -> Response {
    handle(&app, &page, caller, input, Change::SaveCategory).await
}
