//! `GET /api/v1/audit`: auditors find entries by user, case, action and time, within their
//! region; nobody else may search; bad filters are refused naming the field; entries carry
//! ids, not personal data; every search is recorded.

use crate::fixture::{Person, leak_case, rfc3339};
use crate::harness::{Harness, Reply, on_postgres, on_sqlite};
use hezhi_domain::{RegionCode, Role};
use serde_json::json;

/// An auditor bound to `region` (the fixture has none).
async fn auditor(h: &Harness, name: &str, region: &str) -> Person {
    let app = hezhi_app::App::new(h.store.clone(), h.clock.clone());
    let (user, token) = app
        .add_user(hezhi_app::NewUser {
            name: name.to_owned(),
            role: Role::Auditor,
            region: Some(RegionCode::parse(region).expect("region")),
            unit: None,
        })
        .await
        .expect("auditor");
    app.shutdown().await;
    Person {
        id: user.id,
        name: name.to_owned(),
        token,
    }
}

async fn search(h: &Harness, who: &Person, query: &str) -> Reply {
    h.get(format!("/api/v1/audit?{query}")).by(who).send().await
}

/// The actions of the entries found, newest first.
fn actions(reply: &Reply) -> Vec<String> {
    reply.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items in {}", reply.text()))
        .iter()
        .map(|item| item["action"].as_str().expect("action").to_owned())
        .collect()
}

async fn an_auditor_finds_entries_by_user_case_action_and_time(h: Harness) {
    let fx = &h.fx;
    let auditor = auditor(&h, "auditor", "37").await;
    let start = h.now();
    let mut case = h.report(&fx.clerk, &leak_case()).await;
    h.clock.advance(chrono::Duration::minutes(10));
    h.step(&fx.clerk, &mut case, "accept", json!({})).await;
    h.clock.advance(chrono::Duration::minutes(10));

    let of_case = search(&h, &auditor, &format!("case={}", case.id))
        .await
        .expect_status(200);
    assert_eq!(actions(&of_case), ["case.accepted", "case.reported"]);
    let first = &of_case.json["items"][1];
    assert_eq!(first["case"], case.id.as_str());
    assert_eq!(first["actor"], fx.clerk.id.to_string());
    assert_eq!(first["chain"], "370811");
    assert!(first["seq"].as_u64().is_some() && first["hash"].is_string());
    // Ids, not contents: nothing of the parties or the story.
    let text = of_case.text();
    for private in [
        "陈某某",
        "13800138000",
        "370811199203213389",
        "漏水",
        "南张村3排5号",
    ] {
        assert!(!text.contains(private), "{private} in {text}");
    }

    for user in [fx.clerk.name.clone(), fx.clerk.id.to_string()] {
        let by_clerk = search(&h, &auditor, &format!("user={user}&action=case.accepted"))
            .await
            .expect_status(200);
        assert_eq!(actions(&by_clerk), ["case.accepted"], "user={user}");
    }
    let window = format!(
        "from={}&to={}",
        rfc3339(start + chrono::Duration::minutes(5)),
        rfc3339(start + chrono::Duration::minutes(15))
    );
    let in_window = search(&h, &auditor, &format!("{window}&action=case.accepted"))
        .await
        .expect_status(200);
    assert_eq!(actions(&in_window), ["case.accepted"]);
    let before = search(
        &h,
        &auditor,
        &format!("to={}&case={}", rfc3339(start), case.id),
    )
    .await
    .expect_status(200);
    assert!(actions(&before).is_empty(), "`to` is exclusive");
    let one = search(&h, &auditor, "limit=1").await.expect_status(200);
    assert_eq!(actions(&one).len(), 1);
    let created = search(&h, &auditor, "action=user_created&limit=1000")
        .await
        .expect_status(200);
    assert_eq!(
        actions(&created).len(),
        10,
        "the fixture's nine users and the auditor were recorded"
    );
    assert_eq!(created.json["items"][0]["chain"], "-");

    // Every search above was recorded, by whom and with what filter.
    let searches = search(&h, &auditor, "action=audit_searched&limit=1000")
        .await
        .expect_status(200);
    let items = searches.json["items"].as_array().expect("items");
    assert!(items.len() >= 7, "{}", searches.text());
    assert!(
        items
            .iter()
            .all(|item| item["actor"] == auditor.id.to_string())
    );
    assert!(
        items
            .iter()
            .any(|item| item["detail"]["case"] == case.id.as_str())
    );
}

async fn an_auditor_sees_only_the_chains_of_the_counties_in_his_region(h: Harness) {
    let fx = &h.fx;
    let next_county = auditor(&h, "auditor-370812", "370812").await;
    let province = auditor(&h, "auditor-37", "37").await;
    let case = h.report(&fx.clerk, &leak_case()).await;
    let query = format!("case={}", case.id);
    let elsewhere = search(&h, &next_county, &query).await.expect_status(200);
    assert!(actions(&elsewhere).is_empty(), "{}", elsewhere.text());
    let system = search(&h, &next_county, "action=user_created")
        .await
        .expect_status(200);
    assert!(
        !actions(&system).is_empty(),
        "the system chain is everyone's"
    );
    let above = search(&h, &province, &query).await.expect_status(200);
    assert_eq!(actions(&above), ["case.reported"]);
}

async fn only_auditors_search_the_audit_log(h: Harness) {
    let fx = &h.fx;
    for who in [
        &fx.dispatcher,
        &fx.clerk,
        &fx.admin,
        &fx.resident,
        &fx.committee_handler,
    ] {
        let reply = search(&h, who, "").await.expect_status(403);
        assert_eq!(reply.code(), "audit_not_permitted", "{}", who.name);
        assert!(reply.is_error_body());
    }
    let anonymous = h.get("/api/v1/audit").send().await.expect_status(401);
    assert!(anonymous.is_error_body());
    // A refused search is not a search.
    let auditor = auditor(&h, "auditor", "37").await;
    let searches = search(&h, &auditor, "action=audit_searched")
        .await
        .expect_status(200);
    assert!(actions(&searches).is_empty(), "{}", searches.text());
}

async fn bad_filters_are_refused_naming_the_field(h: Harness) {
    let auditor = auditor(&h, "auditor", "37").await;
    for (query, field, code) in [
        ("user=nobody", "user", "unknown_user"),
        ("case=not-a-case", "case", "invalid_value"),
        ("action=Case%20Accepted", "action", "invalid_value"),
        ("from=yesterday", "from", "invalid_time"),
        ("to=2026-03-02", "to", "invalid_time"),
        (
            "from=2026-03-02T10:00:00%2B08:00&to=2026-03-02T09:00:00%2B08:00",
            "to",
            "invalid_time_range",
        ),
        ("limit=0", "limit", "invalid_value"),
        ("limit=1001", "limit", "invalid_value"),
        ("limit=many", "limit", "invalid_value"),
    ] {
        let reply = search(&h, &auditor, query).await;
        assert_eq!(reply.status.as_u16(), 422, "{query}: {}", reply.text());
        assert!(reply.is_error_body(), "{query}");
        assert_eq!(reply.field(), Some(field), "{query}");
        assert_eq!(reply.code(), code, "{query}");
    }
    let english = h
        .get("/api/v1/audit?from=yesterday")
        .by(&auditor)
        .english()
        .send()
        .await
        .expect_status(422);
    assert!(english.message().contains("RFC 3339"), "{}", english.text());
    let chinese = search(&h, &auditor, "from=yesterday").await;
    assert!(chinese.message().contains("时间格式"), "{}", chinese.text());
    let unknown = search(&h, &auditor, "who=me").await.expect_status(400);
    assert_eq!(unknown.code(), "invalid_query");
    // Nothing was searched, so nothing was recorded.
    let searches = search(&h, &auditor, "action=audit_searched")
        .await
        .expect_status(200);
    assert!(actions(&searches).is_empty(), "{}", searches.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_finds_entries_by_user_case_action_and_time_on_sqlite() {
    on_sqlite(an_auditor_finds_entries_by_user_case_action_and_time).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_finds_entries_by_user_case_action_and_time_on_postgres() {
    on_postgres(an_auditor_finds_entries_by_user_case_action_and_time).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_sees_only_the_chains_of_the_counties_in_his_region_on_sqlite() {
    on_sqlite(an_auditor_sees_only_the_chains_of_the_counties_in_his_region).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_sees_only_the_chains_of_the_counties_in_his_region_on_postgres() {
    on_postgres(an_auditor_sees_only_the_chains_of_the_counties_in_his_region).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_auditors_search_the_audit_log_on_sqlite() {
    on_sqlite(only_auditors_search_the_audit_log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_auditors_search_the_audit_log_on_postgres() {
    on_postgres(only_auditors_search_the_audit_log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_refused_naming_the_field_on_sqlite() {
    on_sqlite(bad_filters_are_refused_naming_the_field).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_refused_naming_the_field_on_postgres() {
    on_postgres(bad_filters_are_refused_naming_the_field).await;
}
