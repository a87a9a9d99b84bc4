//! The deadline policy over the API: the shipped defaults until an administrator saves a new
//! version; bad rules refused and nothing saved; nobody else may change it.

use crate::harness::{Harness, on_postgres, on_sqlite};
use hezhi_store::AuditFilter;
use serde_json::{Value, json};

async fn policy(h: &Harness) -> Value {
    h.get("/api/v1/deadline-policy")
        .by(&h.fx.dispatcher)
        .send()
        .await
        .expect_status(200)
        .json
}

async fn administrators_save_versions_of_the_deadline_policy(h: Harness) {
    let fx = &h.fx;
    let defaults = policy(&h).await;
    assert_eq!(defaults["version"], 1);
    assert_eq!(defaults["rules"][1]["urgency"], "red");
    assert_eq!(
        defaults["rules"][1]["response"],
        json!({ "unit": "hours", "value": 1 })
    );

    let mut rules = defaults["rules"].clone();
    rules[1]["handling"] = json!({ "unit": "hours", "value": 12 });
    let put = |who, body: Value| {
        h.post("/api/v1/deadline-policy")
            .method(axum::http::Method::PUT)
            .by(who)
            .json(&body)
            .send()
    };

    // Not for a dispatcher.
    let refused = put(&fx.dispatcher, json!({ "rules": rules })).await;
    assert_eq!(refused.status.as_u16(), 403);
    // Bad rules: a span of zero hours, no rule for every case, an unknown unit, no body.
    let mut zero = rules.clone();
    zero[2]["response"] = json!({ "unit": "hours", "value": 0 });
    let bad = put(&fx.admin, json!({ "rules": zero })).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code(), bad.field()),
        (422, "invalid_span", Some("rules[2].response"))
    );
    let specific: Vec<Value> = rules
        .as_array()
        .expect("rules")
        .iter()
        .skip(1)
        .cloned()
        .collect();
    let no_fallback = put(&fx.admin, json!({ "rules": specific })).await;
    assert_eq!(
        (no_fallback.status.as_u16(), no_fallback.code()),
        (422, "no_fallback_rule")
    );
    let mut unknown = rules.clone();
    unknown[0]["handling"] = json!({ "unit": "fortnights", "value": 1 });
    assert_eq!(
        put(&fx.admin, json!({ "rules": unknown }))
            .await
            .status
            .as_u16(),
        422
    );
    assert_eq!(put(&fx.admin, json!({})).await.status.as_u16(), 422);
    assert_eq!(policy(&h).await["version"], 1, "nothing was saved");

    let saved = put(&fx.admin, json!({ "rules": rules }))
        .await
        .expect_status(200);
    assert_eq!(saved.json["version"], 2);
    let now = policy(&h).await;
    assert_eq!(now["version"], 2);
    assert_eq!(
        now["rules"][1]["handling"],
        json!({ "unit": "hours", "value": 12 })
    );
    assert_eq!(
        put(&fx.admin, json!({ "rules": rules }))
            .await
            .expect_status(200)
            .json["version"],
        3
    );

    let audited = h
        .store
        .search_audit(&AuditFilter {
            action: Some("deadline_policy_saved".into()),
            limit: 50,
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    assert_eq!(audited.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_save_versions_of_the_deadline_policy_on_sqlite() {
    on_sqlite(administrators_save_versions_of_the_deadline_policy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_save_versions_of_the_deadline_policy_on_postgres() {
    on_postgres(administrators_save_versions_of_the_deadline_policy).await;
}

async fn triage_sets_the_deadlines_of_the_policy_in_force_and_records_its_version(h: Harness) {
    let fx = &h.fx;
    let triage = |urgency: &str, promised: Option<String>| {
        let mut body = crate::fixture::triage_body("dispute", "neighbour", urgency);
        if let Some(at) = promised {
            body["promised_due_at"] = json!(at);
        }
        body
    };
    // Reported on Monday 2 March 2026, 09:00 China time.
    let mut yellow = h.report(&fx.clerk, &crate::fixture::leak_case()).await;
    h.step(&fx.clerk, &mut yellow, "accept", json!({})).await;
    h.step(
        &fx.dispatcher,
        &mut yellow,
        "triage",
        triage("yellow", None),
    )
    .await;
    let shown = h.show(&fx.dispatcher, &yellow).await;
    assert_eq!(shown["policy_version"], 1);
    assert_eq!(
        shown["due_at"], "2026-04-01T01:00:00Z",
        "a dispute in mediation: 30 days"
    );
    assert_eq!(
        shown["response_due_at"], "2026-03-03T16:00:00Z",
        "answered by the end of the next working day, China time"
    );

    // Orange: the date promised at triage; one in the past is refused.
    let mut orange = h.report(&fx.clerk, &crate::fixture::leak_case()).await;
    h.step(&fx.clerk, &mut orange, "accept", json!({})).await;
    let past = h
        .command(
            &fx.dispatcher,
            &orange,
            "triage",
            &triage("orange", Some("2026-01-01T00:00:00Z".into())),
        )
        .await;
    assert_eq!(
        (past.status.as_u16(), past.field()),
        (422, Some("promised_due_at"))
    );
    h.step(
        &fx.dispatcher,
        &mut orange,
        "triage",
        triage("orange", Some("2026-05-15T10:00:00Z".into())),
    )
    .await;
    assert_eq!(
        h.show(&fx.dispatcher, &orange).await["due_at"],
        "2026-05-15T10:00:00Z"
    );

    // A new version applies to cases triaged from now on; the first keeps its own.
    let mut rules = serde_json::to_value(hezhi_domain::deadline::DeadlinePolicy::defaults().rules)
        .expect("rules");
    rules[4]["handling"] = json!({ "unit": "working_days", "value": 10 });
    h.post("/api/v1/deadline-policy")
        .method(axum::http::Method::PUT)
        .by(&fx.admin)
        .json(&json!({ "rules": rules }))
        .send()
        .await
        .expect_status(200);
    let mut later = h.report(&fx.clerk, &crate::fixture::leak_case()).await;
    h.step(&fx.clerk, &mut later, "accept", json!({})).await;
    h.step(&fx.dispatcher, &mut later, "triage", triage("yellow", None))
        .await;
    let shown = h.show(&fx.dispatcher, &later).await;
    assert_eq!(shown["policy_version"], 2);
    assert_eq!(
        shown["due_at"], "2026-03-16T16:00:00Z",
        "10 working days: the end of Monday 16 March"
    );
    let first = h.show(&fx.dispatcher, &yellow).await;
    assert_eq!(
        (first["policy_version"].clone(), first["due_at"].clone()),
        (json!(1), json!("2026-04-01T01:00:00Z"))
    );

    // A deadline reaching a year the calendar does not cover is refused, nothing written.
    h.clock.advance(chrono::Duration::days(300));
    let mut year_end = h.report(&fx.clerk, &crate::fixture::leak_case()).await;
    h.step(&fx.clerk, &mut year_end, "accept", json!({})).await;
    let refused = h
        .command(
            &fx.dispatcher,
            &year_end,
            "triage",
            &crate::fixture::triage_body("request", "urban_management", "yellow"),
        )
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (409, "calendar_year_not_covered"),
        "{}",
        refused.text()
    );
    assert_eq!(h.show(&fx.dispatcher, &year_end).await["state"], "accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_sets_the_policy_deadlines_on_sqlite() {
    on_sqlite(triage_sets_the_deadlines_of_the_policy_in_force_and_records_its_version).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_sets_the_policy_deadlines_on_postgres() {
    on_postgres(triage_sets_the_deadlines_of_the_policy_in_force_and_records_its_version).await;
}

/// The types of a case's events, oldest first.
async fn event_types(h: &Harness, id: &str) -> Vec<String> {
    h.get(format!("/api/v1/cases/{id}/events"))
        .by(&h.fx.dispatcher)
        .send()
        .await
        .expect_status(200)
        .json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn the_sweeper_warns_then_marks_overdue_and_escalates_once_each(h: Harness) {
    let fx = &h.fx;
    let mut case = h.report(&fx.clerk, &crate::fixture::leak_case()).await;
    h.step(&fx.clerk, &mut case, "accept", json!({})).await;
    h.step(
        &fx.dispatcher,
        &mut case,
        "triage",
        crate::fixture::triage_body("dispute", "neighbour", "red"),
    )
    .await;
    // Red: handled within 24 hours of the report; the warning comes at 18.
    assert_eq!(h.app.sweep_deadlines(100).await.expect("sweep"), 0);
    h.clock.advance(chrono::Duration::hours(19));
    assert_eq!(h.app.sweep_deadlines(100).await.expect("sweep"), 1);
    assert_eq!(
        h.app.sweep_deadlines(100).await.expect("sweep"),
        0,
        "warned once"
    );
    assert_eq!(
        event_types(&h, &case.id).await.last().map(String::as_str),
        Some("deadline_warned")
    );

    h.clock.advance(chrono::Duration::hours(6));
    assert_eq!(h.app.sweep_deadlines(100).await.expect("sweep"), 1);
    assert_eq!(
        h.app.sweep_deadlines(100).await.expect("sweep"),
        0,
        "overdue once"
    );
    let all = event_types(&h, &case.id).await;
    assert_eq!(
        &all[all.len() - 3..],
        ["deadline_warned", "overdue", "escalated"]
    );
    let shown = h.show(&fx.dispatcher, &case).await;
    assert_eq!(
        shown["escalated_to"], "370811",
        "from the town's centre to the county's"
    );
    assert_eq!(shown["overdue"], true);
    // The system, not a person, did it.
    let last = h
        .get(format!("/api/v1/cases/{}/events", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    assert_eq!(last.json["items"][all.len() - 1]["role"], "system");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_warns_then_escalates_once_on_sqlite() {
    on_sqlite(the_sweeper_warns_then_marks_overdue_and_escalates_once_each).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_warns_then_escalates_once_on_postgres() {
    on_postgres(the_sweeper_warns_then_marks_overdue_and_escalates_once_each).await;
}

async fn the_system_role_is_never_given_to_a_user(h: Harness) {
    let security = h
        .person(
            "secadmin_sys",
            hezhi_domain::Role::SecurityAdmin,
            Some("37"),
            None,
        )
        .await;
    let target = h
        .person(
            "plain_user",
            hezhi_domain::Role::Leader,
            Some("370811"),
            None,
        )
        .await;
    let refused = h
        .post(format!("/api/v1/users/{}/roles", target.id))
        .by(&security)
        .json(&json!({ "role": "system", "region": "370811" }))
        .send()
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.field()),
        (422, Some("role")),
        "{}",
        refused.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_role_is_never_given_to_a_user_on_sqlite() {
    on_sqlite(the_system_role_is_never_given_to_a_user).await;
}

async fn reminders_list_the_cases_near_or_past_their_deadline(h: Harness) {
    let fx = &h.fx;
    let mut red = h
        .report(
            &fx.clerk,
            &crate::fixture::case_in(crate::fixture::GRID, "dispute", "neighbour", "燃气泄漏纠纷"),
        )
        .await;
    h.step(&fx.clerk, &mut red, "accept", json!({})).await;
    h.step(
        &fx.dispatcher,
        &mut red,
        "triage",
        crate::fixture::triage_body("dispute", "neighbour", "red"),
    )
    .await;
    let mut yellow = h
        .report(
            &fx.clerk,
            &crate::fixture::case_in(crate::fixture::GRID, "dispute", "labour", "拖欠工资"),
        )
        .await;
    h.step(&fx.clerk, &mut yellow, "accept", json!({})).await;
    h.step(
        &fx.dispatcher,
        &mut yellow,
        "triage",
        crate::fixture::triage_body("dispute", "labour", "yellow"),
    )
    .await;
    h.clock.advance(chrono::Duration::hours(19));
    h.app.sweep_deadlines(100).await.expect("sweep");

    let dispatcher = crate::ui::sign_in(&h, &fx.dispatcher).await;
    let html = crate::ui::page(&h, &dispatcher, "/reminders")
        .await
        .expect_status(200)
        .text();
    assert!(
        html.contains(r#"<a href="/reminders">到期提醒</a>"#),
        "{html}"
    );
    assert!(html.contains("燃气泄漏纠纷"), "due within 24 hours: {html}");
    assert!(!html.contains("拖欠工资"), "due in 30 days: {html}");
    let case_page = crate::ui::page(&h, &dispatcher, &format!("/cases/{}", red.id))
        .await
        .expect_status(200)
        .text();
    assert!(
        case_page.contains("<strong>临期提醒</strong> · 系统"),
        "{case_page}"
    );
    // The next town's dispatcher is reminded of nothing of ours.
    let other = crate::ui::sign_in(&h, &fx.other_dispatcher).await;
    let theirs = crate::ui::page(&h, &other, "/reminders")
        .await
        .expect_status(200)
        .text();
    assert!(
        !theirs.contains("燃气泄漏纠纷") && theirs.contains("没有临近或超过期限的事件"),
        "{theirs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_list_the_cases_near_or_past_their_deadline_on_sqlite() {
    on_sqlite(reminders_list_the_cases_near_or_past_their_deadline).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_list_the_cases_near_or_past_their_deadline_on_postgres() {
    on_postgres(reminders_list_the_cases_near_or_past_their_deadline).await;
}
