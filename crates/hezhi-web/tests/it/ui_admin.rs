//! Administration in the browser: a system administrator creates a user and gives him a
//! temporary password, a unit, a village's grids and a category; a security administrator
//! grants and revokes the user's role; the user signs in with the temporary password and must
//! change it; nobody else reaches the page.

use crate::fixture::{GRID, VILLAGE};
use crate::grids::village_file;
use crate::harness::{Harness, on_postgres, on_sqlite};
use crate::ui::{
    Browser, FORM, csrf_field, form, location, page, sign_in, sign_in_enrolling_totp,
    submit_sign_in,
};
use crate::ui_files::post_form;
use hezhi_domain::Role;

pub(crate) async fn post(
    h: &Harness,
    who: &Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> crate::harness::Reply {
    let html = page(h, who, "/admin").await.expect_status(200).text();
    let csrf = csrf_field(&html);
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    h.post(path)
        .cookie(&who.session)
        .raw(Some(FORM), form(&all))
        .send()
        .await
}

/// The text after `marker` up to the next `<`.
fn after<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))
        + marker.len();
    html[start..].split('<').next().expect("text")
}

async fn administrators_manage_users_roles_units_grids_and_categories(h: Harness) {
    let fx = &h.fx;
    let sysadmin = sign_in_enrolling_totp(&h, &fx.admin).await;
    let security = h
        .person("secadmin_a", Role::SecurityAdmin, Some("37"), None)
        .await;
    let secadmin = sign_in_enrolling_totp(&h, &security).await;

    let html = page(&h, &sysadmin, "/admin")
        .await
        .expect_status(200)
        .text();
    assert!(html.contains(r#"<a href="/admin">系统管理</a>"#), "{html}");
    for section in ["用户与角色", "单位", "网格", "纠纷类型"] {
        assert!(
            html.contains(&format!(">{section}</h2>")),
            "{section}: {html}"
        );
    }
    assert!(
        !html.contains(r#"action="/admin/roles""#),
        "granting is the security administrator's"
    );

    // A user, and his temporary password shown once.
    let created = post(&h, &sysadmin, "/admin/users", &[("name", "wang_wei")])
        .await
        .expect_status(200);
    assert!(
        created.text().contains("已创建用户: wang_wei"),
        "{}",
        created.text()
    );
    let taken = post(&h, &sysadmin, "/admin/users", &[("name", "wang_wei")]).await;
    assert_eq!(taken.status.as_u16(), 422);
    let user = h
        .app
        .store()
        .user_by_name("wang_wei")
        .await
        .expect("read")
        .expect("created");
    let shown = post(
        &h,
        &sysadmin,
        &format!("/admin/users/{}/password", user.id),
        &[],
    )
    .await
    .expect_status(200);
    let text = shown.text();
    let password = after(&text, "wang_wei: ").trim().to_owned();
    assert!(password.len() >= 12, "{text}");

    // The security administrator grants him the grid, then a second role, and revokes it.
    let grants = page(&h, &secadmin, "/admin")
        .await
        .expect_status(200)
        .text();
    assert!(grants.contains(r#"action="/admin/roles""#), "{grants}");
    assert!(
        !grants.contains(r#"action="/admin/units""#),
        "units are the system administrator's"
    );
    let user_id = user.id.to_string();
    post(
        &h,
        &secadmin,
        "/admin/roles",
        &[
            ("user", &user_id),
            ("role", "grid_worker"),
            ("region", GRID),
            ("unit", ""),
        ],
    )
    .await
    .expect_status(303);
    let bad = post(
        &h,
        &secadmin,
        "/admin/roles",
        &[
            ("user", &user_id),
            ("role", "grid_worker"),
            ("region", "99x"),
            ("unit", ""),
        ],
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    post(
        &h,
        &secadmin,
        "/admin/roles",
        &[
            ("user", &user_id),
            ("role", "leader"),
            ("region", "370811002"),
            ("unit", ""),
        ],
    )
    .await
    .expect_status(303);
    let user = h
        .app
        .store()
        .user(user.id)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(user.assignments.len(), 2);
    let leader = user
        .assignments
        .iter()
        .find(|a| a.role == Role::Leader)
        .expect("leader");
    post(
        &h,
        &secadmin,
        "/admin/roles/revoke",
        &[("user", &user_id), ("assignment", &leader.id.to_string())],
    )
    .await
    .expect_status(303);
    let user = h
        .app
        .store()
        .user(user.id)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(
        user.assignments.iter().map(|a| a.role).collect::<Vec<_>>(),
        [Role::GridWorker]
    );

    // He signs in with the temporary password and must change it first.
    let first = submit_sign_in(&h, "wang_wei", &password)
        .await
        .expect_status(303);
    assert_eq!(location(&first), "/password");

    // A unit, a village's grids, a category.
    let unit = post(
        &h,
        &sysadmin,
        "/admin/units",
        &[
            ("name", "南张街道综治中心"),
            ("kind", "governance_centre"),
            ("region", "370811002"),
            ("categories", ""),
        ],
    )
    .await
    .expect_status(200);
    assert!(unit.text().contains("已创建单位: 南张街道综治中心"));
    let html = page(&h, &sysadmin, "/admin")
        .await
        .expect_status(200)
        .text();
    let csrf = csrf_field(&html);
    let geojson = serde_json::to_vec(&village_file()).expect("json");
    let imported = post_form(
        &h,
        &sysadmin,
        "/admin/grids",
        &[("csrf_token", &csrf), ("village", VILLAGE)],
        &[("file", "grids.geojson", &geojson)],
    )
    .await
    .expect_status(200);
    assert!(
        imported.text().contains("已导入网格数: 2"),
        "{}",
        imported.text()
    );
    let not_json = post_form(
        &h,
        &sysadmin,
        "/admin/grids",
        &[("csrf_token", &csrf), ("village", VILLAGE)],
        &[("file", "grids.geojson", b"<kml/>")],
    )
    .await;
    assert_eq!(not_json.status.as_u16(), 422);
    let saved = post(
        &h,
        &sysadmin,
        "/admin/categories",
        &[
            ("kind", "dispute"),
            ("code", "pet_keeping"),
            ("name_zh", "饲养宠物"),
            ("name_en", "Pet keeping"),
        ],
    )
    .await
    .expect_status(200);
    assert!(
        saved
            .text()
            .contains("<code>pet_keeping</code></td><td>饲养宠物</td>"),
        "{}",
        saved.text()
    );
    let clerk = sign_in(&h, &fx.clerk).await;
    let intake = page(&h, &clerk, "/intake").await.expect_status(200).text();
    assert!(
        intake.contains(r#"value="dispute/pet_keeping""#),
        "the new category is offered"
    );

    // Without the CSRF token nothing changes; without a right the page is refused.
    let forged = h
        .post("/admin/users")
        .cookie(&sysadmin.session)
        .raw(Some(FORM), form(&[("name", "mallory")]))
        .send()
        .await;
    assert_eq!(forged.status.as_u16(), 403);
    assert!(
        h.app
            .store()
            .user_by_name("mallory")
            .await
            .expect("read")
            .is_none()
    );
    let dispatcher = sign_in(&h, &fx.dispatcher).await;
    let nav = page(&h, &dispatcher, "/cases")
        .await
        .expect_status(200)
        .text();
    assert!(!nav.contains(r#"href="/admin""#));
    assert_eq!(page(&h, &dispatcher, "/admin").await.status.as_u16(), 403);
    let refused = h
        .post("/admin/users")
        .cookie(&dispatcher.session)
        .raw(
            Some(FORM),
            form(&[("csrf_token", &csrf_field(&nav)), ("name", "eve")]),
        )
        .send()
        .await;
    assert_eq!(refused.status.as_u16(), 403);
    assert!(
        h.app
            .store()
            .user_by_name("eve")
            .await
            .expect("read")
            .is_none()
    );
}

/// The form fields of the deadline table for `rules`, plus the empty row for a new rule.
fn deadline_fields(rules: &[hezhi_domain::deadline::DeadlineRule]) -> Vec<(String, String)> {
    use hezhi_domain::deadline::Span;
    let mut fields = vec![("rules".to_owned(), (rules.len() + 1).to_string())];
    for (i, rule) in rules.iter().enumerate() {
        let json = serde_json::to_value(rule).expect("json");
        for criterion in ["urgency", "kind", "level", "category"] {
            let value = json[criterion].as_str().unwrap_or_default().to_owned();
            fields.push((format!("rule{i}_{criterion}"), value));
        }
        for (name, span) in [
            ("response", rule.response),
            ("handling", rule.handling),
            ("verification", rule.verification),
            ("follow_up", rule.follow_up),
        ] {
            let (unit, value) = match span {
                Span::Hours(n) => ("hours", n.to_string()),
                Span::Days(n) => ("days", n.to_string()),
                Span::WorkingDays(n) => ("working_days", n.to_string()),
                Span::SameDay => ("same_day", String::new()),
                Span::Promised => ("promised", String::new()),
            };
            fields.push((format!("rule{i}_{name}_unit"), unit.to_owned()));
            fields.push((format!("rule{i}_{name}_value"), value));
        }
    }
    let last = rules.len();
    for criterion in ["urgency", "kind", "level", "category"] {
        fields.push((format!("rule{last}_{criterion}"), String::new()));
    }
    for name in ["response", "handling", "verification", "follow_up"] {
        fields.push((format!("rule{last}_{name}_unit"), "working_days".to_owned()));
        fields.push((format!("rule{last}_{name}_value"), String::new()));
    }
    fields
}

async fn a_system_administrator_edits_the_deadline_table(h: Harness) {
    use hezhi_domain::deadline::{DeadlinePolicy, Span};
    let sysadmin = sign_in_enrolling_totp(&h, &h.fx.admin).await;
    let html = page(&h, &sysadmin, "/admin")
        .await
        .expect_status(200)
        .text();
    assert!(html.contains(">办理时限</h2>"), "{html}");
    assert!(html.contains("当前生效版本： 1"), "{html}");
    assert_eq!(
        html.matches(r#"<fieldset class="rule">"#).count(),
        7,
        "six rules and an empty row"
    );
    assert!(html.contains(r#"<label for="rule1-response-value">响应时限</label>"#));
    // The warning share and the reasons a clock may stop for, as shipped.
    assert!(
        html.contains(
            r#"name="warning_percent" type="number" min="1" max="99" required value="75""#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"name="pausable_awaiting_party" checked"#),
        "{html}"
    );
    assert!(
        html.contains(r#"name="pausable_appraisal" checked"#),
        "{html}"
    );
    assert!(
        html.contains(r#"name="pausable_awaiting_authority">"#),
        "{html}"
    );

    let mut fields = deadline_fields(&DeadlinePolicy::defaults().rules);
    let set = |fields: &mut Vec<(String, String)>, name: &str, value: &str| {
        if let Some(field) = fields.iter_mut().find(|(n, _)| n == name) {
            field.1 = value.to_owned();
        }
    };
    // Red handled within 12 hours; green removed; orange disputes within 15 days, added.
    set(&mut fields, "rule1_handling_value", "12");
    fields.push(("rule5_delete".to_owned(), "on".to_owned()));
    set(&mut fields, "rule6_urgency", "orange");
    set(&mut fields, "rule6_kind", "dispute");
    for (name, value) in [
        ("response", "1"),
        ("handling", "15"),
        ("verification", "2"),
        ("follow_up", "5"),
    ] {
        set(&mut fields, &format!("rule6_{name}_value"), value);
    }
    set(&mut fields, "rule6_handling_unit", "days");
    let csrf = csrf_field(&html);
    let mut body: Vec<(&str, &str)> = vec![
        ("csrf_token", csrf.as_str()),
        // Warn at 80%; clocks stop only for an appraisal.
        ("warning_percent", "80"),
        ("pausable_appraisal", "on"),
    ];
    body.extend(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())));

    // A span without its number is refused, and nothing is saved.
    let mut broken = body.clone();
    if let Some(field) = broken
        .iter_mut()
        .find(|(n, _)| *n == "rule2_response_value")
    {
        field.1 = "";
    }
    let refused = h
        .post("/admin/deadlines")
        .cookie(&sysadmin.session)
        .raw(Some(FORM), form(&broken))
        .send()
        .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.text());
    assert_eq!(h.app.deadline_policy().await.expect("policy").version, 1);

    let saved = h
        .post("/admin/deadlines")
        .cookie(&sysadmin.session)
        .raw(Some(FORM), form(&body))
        .send()
        .await
        .expect_status(200);
    assert!(
        saved.text().contains("已保存，新版本号 2"),
        "{}",
        saved.text()
    );
    let policy = h.app.deadline_policy().await.expect("policy");
    assert_eq!(policy.version, 2);
    assert_eq!(policy.warning_percent, 80);
    assert_eq!(
        policy.pausable,
        vec![hezhi_domain::deadline::PauseReason::Appraisal]
    );
    assert_eq!(policy.rules.len(), 6);
    assert_eq!(policy.rules[1].handling, Span::Hours(12));
    assert!(
        policy
            .rules
            .iter()
            .all(|r| r.urgency != Some(hezhi_domain::Urgency::Green))
    );
    let added = policy.rules.last().expect("added");
    assert_eq!(
        (added.urgency, added.kind, added.handling),
        (
            Some(hezhi_domain::Urgency::Orange),
            Some(hezhi_domain::CaseKind::Dispute),
            Span::Days(15)
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_administrator_edits_the_deadline_table_on_sqlite() {
    on_sqlite(a_system_administrator_edits_the_deadline_table).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_administrator_edits_the_deadline_table_on_postgres() {
    on_postgres(a_system_administrator_edits_the_deadline_table).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_the_system_in_its_pages_on_sqlite() {
    on_sqlite(administrators_manage_users_roles_units_grids_and_categories).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_the_system_in_its_pages_on_postgres() {
    on_postgres(administrators_manage_users_roles_units_grids_and_categories).await;
}
