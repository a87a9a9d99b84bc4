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
    h.step(&fx.department_handler, &mut case, "confirm_part", json!({}))
        .await;
    h.step(
        &fx.committee_handler,
        &mut case,
        "resolve",
        json!({ "outcome": "settled", "note": "双方达成调解协议" }),
    )
    .await;
    let shown = h.show(&fx.committee_handler, &case).await;
    assert!(
        time(&shown["verify_due_at"]) > time(&shown["resolved_at"]),
        "{shown}"
    );
}

#[tokio::test]
async fn stopping_the_clock_on_sqlite() {
    on_sqlite(a_unit_stops_the_clock_while_waiting_for_a_party).await;
}

#[tokio::test]
async fn stopping_the_clock_on_postgres() {
    on_postgres(a_unit_stops_the_clock_while_waiting_for_a_party).await;
}
