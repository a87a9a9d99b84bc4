//! The closed loop of DESIGN §3 over HTTP, from the report to the archive.

use crate::fixture::{GRID, leak_case, rfc3339, triage_body};
use crate::harness::{CaseRef, Harness, on_postgres, on_sqlite};
use serde_json::json;

async fn a_case_runs_the_whole_loop_over_http(h: Harness) {
    let fx = &h.fx;
    let reported = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .idempotency_key("intake-2026-03-02-0001")
        .json(&leak_case())
        .send()
        .await
        .expect_status(201);
    assert_eq!(reported.str("number"), "370811-2026-000001");
    assert_eq!(reported.str("state"), "reported");
    assert_eq!(reported.version(), 1);
    assert_eq!(reported.etag(), Some("\"1\""));
    let tracking_code = reported.str("tracking_code");
    assert!(
        tracking_code.len() == 10 && tracking_code.bytes().all(|b| b.is_ascii_digit()),
        "tracking code {tracking_code}"
    );
    let id = reported.str("id").to_owned();
    assert_eq!(
        reported
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/cases/{id}").as_str())
    );
    let mut case = CaseRef { id, version: 1 };

    let due = h.now() + chrono::Duration::days(15);
    let steps = [
        (
            &fx.clerk,
            "accept",
            json!({ "note": "材料齐全，予以受理" }),
            "accepted",
        ),
        (
            &fx.dispatcher,
            "triage",
            triage_body("dispute", "neighbour", "orange"),
            "triaged",
        ),
        (
            &fx.dispatcher,
            "dispatch",
            fx.dispatch_to_committee_with_department(due),
            "dispatched",
        ),
        (
            &fx.committee_handler,
            "acknowledge",
            json!({}),
            "in_progress",
        ),
        (
            &fx.department_handler,
            "confirm_part",
            json!({ "note": "已核实房屋结构，漏水点在楼上卫生间" }),
            "in_progress",
        ),
        (
            &fx.committee_handler,
            "resolve",
            json!({ "outcome": "settled", "note": "双方达成调解协议，楼上维修并赔偿3000元" }),
            "resolved",
        ),
        (
            &fx.grid_worker,
            "verify",
            json!({ "note": "已上门核实维修完毕" }),
            "verified",
        ),
        (
            &fx.grid_worker,
            "follow_up",
            json!({ "satisfaction": "satisfied", "note": "申请人表示满意" }),
            "followed_up",
        ),
        (&fx.dispatcher, "archive", json!({}), "archived"),
    ];
    for (who, command, body, state) in &steps {
        h.clock.advance(chrono::Duration::hours(5));
        let now = h.step(who, &mut case, command, body.clone()).await;
        assert_eq!(&now, state, "after {command}");
    }

    let shown = h
        .get(format!("/api/v1/cases/{}", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    assert_eq!(shown.etag(), Some("\"10\""));
    let view = &shown.json;
    assert_eq!(view["state"], "archived");
    assert_eq!(view["version"], 10);
    assert_eq!(view["number"], "370811-2026-000001");
    assert_eq!(view["region"], GRID);
    assert_eq!(view["urgency"], "orange");
    assert_eq!(view["outcome"], "settled");
    assert_eq!(view["satisfaction"], "satisfied");
    assert_eq!(view["overdue"], false);
    assert_eq!(view["due_at"], rfc3339(due));
    assert_eq!(view["assignment"]["lead_unit"], fx.committee.to_string());
    assert_eq!(
        view["assignment"]["supporting"][0]["unit"],
        fx.department.to_string()
    );
    assert!(view["closed_at"].is_string());
    assert_eq!(view["parties"][0]["phone"], "138****8000");
    assert_eq!(view["parties"][0]["id_number"], "370811********3389");
    assert_eq!(view["parties"][1]["phone"], "139****1234");
    assert_no_personal_data_in(&shown.text());

    let events = h
        .get(format!("/api/v1/cases/{}/events", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let items = events.json["items"].as_array().expect("items");
    let expected = [
        ("reported", &fx.clerk, "intake_clerk"),
        ("accepted", &fx.clerk, "intake_clerk"),
        ("triaged", &fx.dispatcher, "dispatcher"),
        ("dispatched", &fx.dispatcher, "dispatcher"),
        ("acknowledged", &fx.committee_handler, "unit_handler"),
        ("part_confirmed", &fx.department_handler, "unit_handler"),
        ("resolved", &fx.committee_handler, "unit_handler"),
        ("verified", &fx.grid_worker, "grid_worker"),
        ("followed_up", &fx.grid_worker, "grid_worker"),
        ("archived", &fx.dispatcher, "dispatcher"),
    ];
    assert_eq!(items.len(), expected.len(), "{}", events.text());
    for (i, (event, (kind, who, role))) in items.iter().zip(expected).enumerate() {
        assert_eq!(event["sequence"], i + 1);
        assert_eq!(event["type"], kind, "event {}", i + 1);
        assert_eq!(event["actor"], who.id.to_string(), "actor of {kind}");
        assert_eq!(event["role"], role, "role of {kind}");
        assert_eq!(event["case_id"], case.id);
    }
    let at = |i: usize| {
        items[i]["at"]
            .as_str()
            .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
            .expect("event time")
    };
    assert_eq!(at(0), crate::harness::start_of_test());
    assert!((1..items.len()).all(|i| at(i) > at(i - 1)), "times ascend");
    let reported_case = &items[0]["case"];
    assert_eq!(reported_case["parties"][0]["phone"], "138****8000");
    assert_eq!(
        reported_case["parties"][0]["id_number"],
        "370811********3389"
    );
    assert_eq!(items[3]["lead_unit"], fx.committee.to_string());
    assert_no_personal_data_in(&events.text());

    assert_eq!(h.counts().await, (1, 10));
}

/// Neither the phone numbers nor the ID number of [`leak_case`] appear in clear.
#[track_caller]
pub fn assert_no_personal_data_in(body: &str) {
    for secret in ["13800138000", "13905371234", "370811199203213389"] {
        assert!(!body.contains(secret), "`{secret}` leaked in {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_runs_the_whole_loop_over_http_on_sqlite() {
    on_sqlite(a_case_runs_the_whole_loop_over_http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_runs_the_whole_loop_over_http_on_postgres() {
    on_postgres(a_case_runs_the_whole_loop_over_http).await;
}
