//! The handling clock stopped and started again from the case page: the stop shows on the
//! case while it lasts and afterwards, the deadline moves by its length, and a resolution
//! under the policy sets the verification deadline.

use crate::fixture::leak_case;
use crate::harness::{Harness, on_postgres, on_sqlite};
use crate::ui::{page, sign_in};
use crate::ui_inbox::send;
use chrono::{DateTime, Utc};
use serde_json::json;

fn time(value: &serde_json::Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

async fn a_unit_stops_the_clock_while_waiting_for_a_party(h: Harness) {
    let fx = &h.fx;
    let mut case = h.dispatched_case(&leak_case()).await;
    h.step(&fx.committee_handler, &mut case, "acknowledge", json!({}))
        .await;
    let due = time(&h.show(&fx.committee_handler, &case).await["due_at"]);
    let lead = sign_in(&h, &fx.committee_handler).await;
    let html = page(&h, &lead, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(html.contains("中止计时"), "the form is offered: {html}");
    assert!(html.contains("等待当事人"), "{html}");
    assert!(!html.contains("form-resume_clock"), "nothing to resume yet");

    send(
        &h,
        &lead,
        &case.id,
        "pause_clock",
        &[
            ("reason", "awaiting_party"),
            ("note", "申请人外出务工，春节返乡后调解"),
        ],
        &[],
    )
    .await
    .expect_status(303);
    let shown = h.show(&fx.committee_handler, &case).await;
    assert_eq!(shown["clock_paused"]["reason"], "awaiting_party");
    let html = page(&h, &lead, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(html.contains("<dt>计时中止</dt>"), "{html}");
    assert!(html.contains("form-resume_clock"), "{html}");
    assert!(!html.contains("form-pause_clock"), "{html}");

    // A second stop is refused, naming why, and writes nothing.
    case.version = shown["version"].as_u64().expect("version") as u32;
    let refused = h
        .command(
            &fx.committee_handler,
            &case,
            "pause_clock",
            &json!({ "reason": "appraisal", "note": "另需鉴定" }),
        )
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (409, "clock_already_paused")
    );
    assert_eq!(
        h.show(&fx.committee_handler, &case).await["version"],
        shown["version"]
    );

    // Three days later the dispatcher starts it again: the deadline is three days later.
    h.clock.advance(chrono::Duration::days(3));
    h.step(&fx.dispatcher, &mut case, "resume_clock", json!({}))
        .await;
    let shown = h.show(&fx.committee_handler, &case).await;
    assert_eq!(
        time(&shown["due_at"]),
        due + chrono::Duration::days(3),
        "{shown}"
    );
    assert!(shown["clock_paused"].is_null());
    assert_eq!(shown["pauses"].as_array().map(Vec::len), Some(1));
    // (Three days idle end the session: sign in again.)
    let lead = sign_in(&h, &fx.committee_handler).await;
    let html = page(&h, &lead, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(html.contains("<dt>中止计时记录</dt>"), "{html}");
    assert!(html.contains("恢复计时"), "the timeline shows it: {html}");

    // Resolved under the policy: the verification has a deadline.
    h.settle(&mut case, "双方达成调解协议").await;
    let shown = h.show(&fx.committee_handler, &case).await;
    assert!(
        time(&shown["verify_due_at"]) > time(&shown["resolved_at"]),
        "{shown}"
    );
}

/// Whether the dispatcher's reminder list (signed in afresh: days pass between looks) names
/// the fixture's case.
async fn reminded(h: &Harness) -> bool {
    let dispatcher = sign_in(h, &h.fx.dispatcher).await;
    page(h, &dispatcher, "/reminders")
        .await
        .expect_status(200)
        .text()
        .contains("楼上卫生间漏水")
}

async fn reminders_follow_the_deadline_the_case_runs_against(h: Harness) {
    let fx = &h.fx;
    let mut case = h.dispatched_case(&leak_case()).await;
    h.step(&fx.committee_handler, &mut case, "acknowledge", json!({}))
        .await;
    assert!(!reminded(&h).await, "a week to go");
    h.step(
        &fx.committee_handler,
        &mut case,
        "pause_clock",
        json!({ "reason": "appraisal", "note": "房屋漏水原因待鉴定" }),
    )
    .await;
    // Past the deadline with the clock stopped: no reminder, and nothing for the sweeper.
    h.clock.advance(chrono::Duration::days(8));
    assert!(!reminded(&h).await, "the clock stands still");
    assert_eq!(h.app.sweep_deadlines(100).await.expect("sweep"), 0);
    h.step(&fx.committee_handler, &mut case, "resume_clock", json!({}))
        .await;
    assert!(!reminded(&h).await, "the deadline moved by eight days");
    h.clock.advance(chrono::Duration::hours(6 * 24 + 12));
    assert!(reminded(&h).await, "due within a day");

    // Resolved: the verification deadline is what counts now.
    h.settle(&mut case, "鉴定后双方达成协议").await;
    let shown = h.show(&fx.dispatcher, &case).await;
    let verify_due = time(&shown["verify_due_at"]);
    h.clock
        .advance(verify_due - h.now() + chrono::Duration::hours(1));
    assert!(reminded(&h).await, "verification overdue");
    assert_eq!(h.app.sweep_deadlines(100).await.expect("sweep"), 1);
    let events = h
        .get(format!("/api/v1/cases/{}/events", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200)
        .json;
    let types: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(types.ends_with(&["overdue", "escalated"]), "{types:?}");
}

#[tokio::test]
async fn reminders_follow_the_current_deadline_on_sqlite() {
    on_sqlite(reminders_follow_the_deadline_the_case_runs_against).await;
}

#[tokio::test]
async fn reminders_follow_the_current_deadline_on_postgres() {
    on_postgres(reminders_follow_the_deadline_the_case_runs_against).await;
}

#[tokio::test]
async fn stopping_the_clock_on_sqlite() {
    on_sqlite(a_unit_stops_the_clock_while_waiting_for_a_party).await;
}

#[tokio::test]
async fn stopping_the_clock_on_postgres() {
    on_postgres(a_unit_stops_the_clock_while_waiting_for_a_party).await;
}
