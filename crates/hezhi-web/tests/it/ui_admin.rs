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

async fn post(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_the_system_in_its_pages_on_sqlite() {
    on_sqlite(administrators_manage_users_roles_units_grids_and_categories).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_the_system_in_its_pages_on_postgres() {
    on_postgres(administrators_manage_users_roles_units_grids_and_categories).await;
}
