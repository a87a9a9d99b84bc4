//! The branches of the lifecycle beside the straight path: decline, resolution at first
//! contact, return and re-dispatch, rework, extensions, supervision and escalation.

use crate::fixture::{case_in, leak_case, rfc3339};
use crate::harness::{Harness, on_postgres, on_sqlite};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

async fn a_reported_case_can_be_declined_with_a_suggested_channel_and_archived(h: Harness) {
    let fx = &h.fx;
    let mut case = h
        .report(
            &fx.clerk,
            &case_in(
                crate::fixture::VILLAGE,
                "dispute",
                "contract",
                "借款合同纠纷",
            ),
        )
        .await;
    let no_reason = h
        .command(
            &fx.clerk,
            &case,
            "decline",
            &json!({ "suggested_channel": "litigation" }),
        )
        .await
        .expect_status(422);
    assert_eq!(
        (no_reason.code(), no_reason.field()),
        ("invalid_body", Some("reason"))
    );
    let blank_reason = h
        .command(
            &fx.clerk,
            &case,
            "decline",
            &json!({ "reason": "   ", "suggested_channel": "litigation" }),
        )
        .await
        .expect_status(422);
    assert_eq!(
        (blank_reason.code(), blank_reason.field()),
        ("required", Some("reason"))
    );
    let state = h
        .step(
            &fx.clerk,
            &mut case,
            "decline",
            json!({ "reason": "已进入诉讼程序，不属于调解受理范围", "suggested_channel": "litigation" }),
        )
        .await;
    assert_eq!(state, "declined");
    let view = h.show(&fx.dispatcher, &case).await;
    assert!(view["closed_at"].is_string(), "a declined case is closed");
    let accept = h
        .command(&fx.dispatcher, &case, "accept", &json!({}))
        .await
        .expect_status(409);
    assert_eq!(accept.code(), "command_not_allowed");
    let state = h
        .step(&fx.dispatcher, &mut case, "archive", json!({}))
        .await;
    assert_eq!(state, "archived");
    assert_eq!(h.counts().await, (1, 3));
}

async fn a_case_resolved_at_first_contact_is_verified_without_rework(h: Harness) {
    let fx = &h.fx;
    let mut case = h
        .report(
            &fx.clerk,
            &case_in(
                crate::fixture::VILLAGE,
                "consultation",
                "legal",
                "咨询继承问题",
            ),
        )
        .await;
    h.step(&fx.clerk, &mut case, "accept", json!({})).await;
    let not_settled = h
        .command(
            &fx.clerk,
            &case,
            "resolve_at_first_contact",
            &json!({ "outcome": "not_settled", "note": "无法当场解答" }),
        )
        .await
        .expect_status(422);
    assert_eq!(
        (not_settled.code(), not_settled.field()),
        ("invalid_outcome", Some("outcome"))
    );
    let state = h
        .step(
            &fx.clerk,
            &mut case,
            "resolve_at_first_contact",
            json!({ "outcome": "handled", "note": "当场解答继承顺序问题" }),
        )
        .await;
    assert_eq!(state, "resolved");
    let view = h.show(&fx.dispatcher, &case).await;
    assert_eq!(view["resolved_at_first_contact"], true);
    assert!(view.get("assignment").is_none());
    let rework = h
        .command(
            &fx.dispatcher,
            &case,
            "rework",
            &json!({ "reason": "答复不完整" }),
        )
        .await
        .expect_status(422);
    assert_eq!(
        (rework.code(), rework.field()),
        ("rework_needs_a_unit", Some("reason"))
    );
    h.step(&fx.dispatcher, &mut case, "verify", json!({})).await;
    h.step(
        &fx.clerk,
        &mut case,
        "follow_up",
        json!({ "satisfaction": "basically_satisfied" }),
    )
    .await;
    assert_eq!(
        h.step(&fx.dispatcher, &mut case, "archive", json!({}))
            .await,
        "archived"
    );
}

async fn a_returned_case_is_dispatched_again_to_another_unit(h: Harness) {
    let fx = &h.fx;
    let mut case = h.triaged_case(&leak_case()).await;
    let due = h.now() + Duration::days(5);
    h.step(
        &fx.dispatcher,
        &mut case,
        "dispatch",
        fx.dispatch_to(fx.department, due),
    )
    .await;
    assert_eq!(
        h.list(&fx.department_handler, "").await,
        vec![case.id.clone()]
    );
    let not_lead = h
        .command(
            &fx.committee_handler,
            &case,
            "return",
            &json!({ "reason": "x" }),
        )
        .await
        .expect_status(404);
    assert_eq!(
        not_lead.code(),
        "not_found",
        "the committee cannot see it yet"
    );
    let state = h
        .step(
            &fx.department_handler,
            &mut case,
            "return",
            json!({ "reason": "属邻里纠纷，应由街道调委会调处" }),
        )
        .await;
    assert_eq!(state, "triaged");
    assert_eq!(
        h.list(&fx.dispatcher, "attention=returned").await,
        vec![case.id.clone()],
        "the dispatcher's list of returned cases"
    );
    let returned_page = crate::ui::page(
        &h,
        &crate::ui::sign_in(&h, &fx.dispatcher).await,
        "/cases?attention=returned",
    )
    .await
    .expect_status(200)
    .text();
    assert!(
        returned_page.contains(r#"<a href="/cases?attention=returned" aria-current="page">"#),
        "{returned_page}"
    );
    assert!(returned_page.contains(&case.id), "{returned_page}");
    assert!(
        returned_page.contains(r#"<span class="badge returned">被退回</span>"#),
        "{returned_page}"
    );
    let unit_page = crate::ui::page(
        &h,
        &crate::ui::sign_in(&h, &fx.department_handler).await,
        "/cases",
    )
    .await
    .expect_status(200)
    .text();
    assert!(
        !unit_page.contains("attention=returned"),
        "the centre's lists are for those who dispatch: {unit_page}"
    );
    let view = h.show(&fx.dispatcher, &case).await;
    assert_eq!(view["returned_count"], 1);
    assert!(view.get("assignment").is_none());
    assert!(view.get("due_at").is_none());

    let state = h
        .step(
            &fx.dispatcher,
            &mut case,
            "dispatch",
            fx.dispatch_to(fx.committee, due),
        )
        .await;
    assert_eq!(state, "dispatched");
    assert!(
        h.list(&fx.dispatcher, "attention=returned")
            .await
            .is_empty()
    );
    let gone = h
        .get(format!("/api/v1/cases/{}", case.id))
        .by(&fx.department_handler)
        .send()
        .await
        .expect_status(404);
    assert_eq!(gone.code(), "not_found");
    assert_eq!(
        h.list(&fx.department_handler, "").await,
        Vec::<String>::new(),
        "the unit that returned the case no longer lists it"
    );
    assert_eq!(
        h.list(&fx.committee_handler, "").await,
        vec![case.id.clone()]
    );
    assert_eq!(
        h.step(&fx.committee_handler, &mut case, "acknowledge", json!({}))
            .await,
        "in_progress"
    );
    let events = h
        .get(format!("/api/v1/cases/{}/events", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let kinds: Vec<&str> = events.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        kinds,
        [
            "reported",
            "accepted",
            "triaged",
            "dispatched",
            "returned",
            "dispatched",
            "acknowledged"
        ]
    );
    assert_eq!(
        events.json["items"][4]["unit"],
        fx.department.to_string(),
        "the return names the unit"
    );
}

async fn a_resolution_that_fails_verification_goes_back_for_rework(h: Harness) {
    let fx = &h.fx;
    let mut case = h.dispatched_case(&leak_case()).await;
    h.step(&fx.committee_handler, &mut case, "acknowledge", json!({}))
        .await;
    let resolve = json!({ "outcome": "settled", "note": "已调解" });
    let pending = h
        .command(&fx.committee_handler, &case, "resolve", &resolve)
        .await
        .expect_status(409);
    assert_eq!(pending.code(), "supporting_units_pending");
    let lead_is_not_supporting = h
        .command(&fx.committee_handler, &case, "confirm_part", &json!({}))
        .await
        .expect_status(403);
    assert_eq!(lead_is_not_supporting.code(), "forbidden");
    h.step(&fx.department_handler, &mut case, "confirm_part", json!({}))
        .await;
    let twice = h
        .command(&fx.department_handler, &case, "confirm_part", &json!({}))
        .await
        .expect_status(409);
    assert_eq!(twice.code(), "part_already_confirmed");
    let not_lead = h
        .command(&fx.department_handler, &case, "resolve", &resolve)
        .await
        .expect_status(403);
    assert_eq!(not_lead.code(), "forbidden");
    let referral_without_need = h
        .command(
            &fx.committee_handler,
            &case,
            "resolve",
            &json!({ "outcome": "settled", "note": "已调解", "referral": "litigation" }),
        )
        .await
        .expect_status(422);
    assert_eq!(
        (referral_without_need.code(), referral_without_need.field()),
        ("referral_only_when_not_settled", Some("referral"))
    );
    h.step(&fx.committee_handler, &mut case, "resolve", resolve.clone())
        .await;

    let state = h
        .step(
            &fx.grid_worker,
            &mut case,
            "rework",
            json!({ "reason": "上门核实仍在漏水" }),
        )
        .await;
    assert_eq!(state, "in_progress");
    let view = h.show(&fx.dispatcher, &case).await;
    assert_eq!(view["rework_count"], 1);
    assert!(view.get("outcome").is_none(), "the outcome is withdrawn");
    let state = h
        .step(
            &fx.committee_handler,
            &mut case,
            "resolve",
            json!({ "outcome": "not_settled", "note": "调解不成", "referral": "litigation" }),
        )
        .await;
    assert_eq!(state, "resolved");
    assert_eq!(
        h.step(&fx.grid_worker, &mut case, "verify", json!({}))
            .await,
        "verified"
    );
    let view = h.show(&fx.dispatcher, &case).await;
    assert_eq!(view["outcome"], "not_settled");
    assert_eq!(view["referral"], "litigation");
}

async fn extensions_are_requested_then_approved_or_refused(h: Harness) {
    let fx = &h.fx;
    let mut case = h.dispatched_case(&leak_case()).await;
    let due = time(&h.show(&fx.dispatcher, &case).await["due_at"]);
    let early = h
        .command(
            &fx.committee_handler,
            &case,
            "request_extension",
            &json!({ "until": rfc3339(due - Duration::days(1)), "reason": "需要鉴定" }),
        )
        .await
        .expect_status(422);
    assert_eq!(
        (early.code(), early.field()),
        ("extension_not_later", Some("until"))
    );
    let until = due + Duration::days(10);
    h.step(
        &fx.committee_handler,
        &mut case,
        "request_extension",
        json!({ "until": rfc3339(until), "reason": "需要房屋安全鉴定" }),
    )
    .await;
    let view = h.show(&fx.dispatcher, &case).await;
    assert_eq!(time(&view["pending_extension"]["until"]), until);
    assert_eq!(
        h.list(&fx.dispatcher, "attention=extension").await,
        vec![case.id.clone()],
        "the dispatcher's list of extension requests"
    );
    let dispatcher_page = crate::ui::page(
        &h,
        &crate::ui::sign_in(&h, &fx.dispatcher).await,
        &format!("/cases/{}", case.id),
    )
    .await
    .expect_status(200)
    .text();
    assert!(
        dispatcher_page.contains("<dt>延期申请（待审批）</dt>")
            && dispatcher_page.contains("需要房屋安全鉴定"),
        "the request is on the case page for the decision: {dispatcher_page}"
    );
    let again = h
        .command(
            &fx.committee_handler,
            &case,
            "request_extension",
            &json!({ "until": rfc3339(until + Duration::days(1)), "reason": "再延" }),
        )
        .await
        .expect_status(409);
    assert_eq!(again.code(), "extension_already_pending");
    let by_handler = h
        .command(
            &fx.committee_handler,
            &case,
            "approve_extension",
            &json!({}),
        )
        .await
        .expect_status(403);
    assert_eq!(by_handler.code(), "forbidden");
    h.step(
        &fx.dispatcher,
        &mut case,
        "approve_extension",
        json!({ "note": "同意延期" }),
    )
    .await;
    let view = h.show(&fx.dispatcher, &case).await;
    assert_eq!(time(&view["due_at"]), until);
    assert_eq!(time(&view["assignment"]["due_at"]), until);
    assert!(
        h.list(&fx.dispatcher, "attention=extension")
            .await
            .is_empty()
    );
    assert_eq!(view["extensions_granted"], 1);
    assert!(view.get("pending_extension").is_none());
    let nothing_pending = h
        .command(&fx.dispatcher, &case, "approve_extension", &json!({}))
        .await
        .expect_status(409);
    assert_eq!(nothing_pending.code(), "no_pending_extension");

    h.step(
        &fx.committee_handler,
        &mut case,
        "request_extension",
        json!({ "until": rfc3339(until + Duration::days(30)), "reason": "当事人外出务工" }),
    )
    .await;
    let no_note = h
        .command(&fx.dispatcher, &case, "refuse_extension", &json!({}))
        .await
        .expect_status(422);
    assert_eq!(no_note.field(), Some("note"));
    h.step(
        &fx.dispatcher,
        &mut case,
        "refuse_extension",
        json!({ "note": "可电话联系当事人，不予延期" }),
    )
    .await;
    let view = h.show(&fx.dispatcher, &case).await;
    assert_eq!(time(&view["due_at"]), until, "a refusal keeps the due time");
    assert!(view.get("pending_extension").is_none());
    assert_eq!(view["extensions_granted"], 1);
}

async fn supervision_and_escalation_are_recorded_on_an_open_case(h: Harness) {
    let fx = &h.fx;
    let mut case = h.dispatched_case(&leak_case()).await;
    let blank = h
        .command(&fx.dispatcher, &case, "supervise", &json!({ "note": "" }))
        .await
        .expect_status(422);
    assert_eq!((blank.code(), blank.field()), ("required", Some("note")));
    let by_handler = h
        .command(
            &fx.committee_handler,
            &case,
            "supervise",
            &json!({ "note": "催" }),
        )
        .await
        .expect_status(403);
    assert_eq!(by_handler.code(), "forbidden");
    h.step(
        &fx.dispatcher,
        &mut case,
        "supervise",
        json!({ "note": "请三日内反馈进展" }),
    )
    .await;
    assert_eq!(h.show(&fx.dispatcher, &case).await["supervision_count"], 1);

    for to in ["370811", "3708", "37"] {
        h.step(
            &fx.dispatcher,
            &mut case,
            "escalate",
            json!({ "reason": "涉及多部门，需上级协调" }),
        )
        .await;
        assert_eq!(h.show(&fx.dispatcher, &case).await["escalated_to"], to);
    }
    let top = h
        .command(
            &fx.dispatcher,
            &case,
            "escalate",
            &json!({ "reason": "再上报" }),
        )
        .await
        .expect_status(409);
    assert_eq!(top.code(), "no_higher_level");
    assert_eq!(
        h.show(&fx.committee_handler, &case).await["state"],
        "dispatched",
        "supervision and escalation leave the state alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_case_can_be_declined_with_a_suggested_channel_and_archived_on_sqlite() {
    on_sqlite(a_reported_case_can_be_declined_with_a_suggested_channel_and_archived).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_case_can_be_declined_with_a_suggested_channel_and_archived_on_postgres() {
    on_postgres(a_reported_case_can_be_declined_with_a_suggested_channel_and_archived).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_resolved_at_first_contact_is_verified_without_rework_on_sqlite() {
    on_sqlite(a_case_resolved_at_first_contact_is_verified_without_rework).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_resolved_at_first_contact_is_verified_without_rework_on_postgres() {
    on_postgres(a_case_resolved_at_first_contact_is_verified_without_rework).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_case_is_dispatched_again_to_another_unit_on_sqlite() {
    on_sqlite(a_returned_case_is_dispatched_again_to_another_unit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_case_is_dispatched_again_to_another_unit_on_postgres() {
    on_postgres(a_returned_case_is_dispatched_again_to_another_unit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolution_that_fails_verification_goes_back_for_rework_on_sqlite() {
    on_sqlite(a_resolution_that_fails_verification_goes_back_for_rework).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolution_that_fails_verification_goes_back_for_rework_on_postgres() {
    on_postgres(a_resolution_that_fails_verification_goes_back_for_rework).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_are_requested_then_approved_or_refused_on_sqlite() {
    on_sqlite(extensions_are_requested_then_approved_or_refused).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_are_requested_then_approved_or_refused_on_postgres() {
    on_postgres(extensions_are_requested_then_approved_or_refused).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervision_and_escalation_are_recorded_on_an_open_case_on_sqlite() {
    on_sqlite(supervision_and_escalation_are_recorded_on_an_open_case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervision_and_escalation_are_recorded_on_an_open_case_on_postgres() {
    on_postgres(supervision_and_escalation_are_recorded_on_an_open_case).await;
}
