//! A unit's inbox in the pages: what waits for acknowledgement, whether the unit leads or
//! supports, and the case page's forms to acknowledge, confirm a supporting part and resolve
//! with the agreement attached.

use crate::fixture::leak_case;
use crate::harness::{Harness, on_postgres, on_sqlite};
use crate::ui::{Browser, csrf_field, page, sign_in};
use crate::ui_files::{hidden_in_form, post_form};
use hezhi_media::sample;

/// Sends the form `form_id` of the case page with `fields` and `files`, as the browser would.
pub(crate) async fn send(
    h: &Harness,
    who: &Browser,
    case: &str,
    command: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> crate::harness::Reply {
    let html = page(h, who, &format!("/cases/{case}"))
        .await
        .expect_status(200)
        .text();
    let form_id = format!("form-{command}");
    let csrf = csrf_field(&html);
    let version = hidden_in_form(&html, &form_id, "version");
    let key = hidden_in_form(&html, &form_id, "idempotency_key");
    let mut all = vec![
        ("csrf_token", csrf.as_str()),
        ("version", version.as_str()),
        ("idempotency_key", key.as_str()),
    ];
    all.extend_from_slice(fields);
    post_form(h, who, &format!("/cases/{case}/{command}"), &all, files).await
}

async fn a_unit_works_its_inbox_from_acknowledgement_to_resolution(h: Harness) {
    let fx = &h.fx;
    let case = h.dispatched_case(&leak_case()).await;
    let lead = sign_in(&h, &fx.committee_handler).await;
    let support = sign_in(&h, &fx.department_handler).await;

    let inbox = page(&h, &lead, "/cases?state=dispatched")
        .await
        .expect_status(200)
        .text();
    assert!(
        inbox.contains(r#"<a href="/cases?state=dispatched" aria-current="page">待签收</a>"#),
        "{inbox}"
    );
    assert!(
        inbox.contains("楼上卫生间漏水") && inbox.contains(">主责</span>"),
        "{inbox}"
    );
    let theirs = page(&h, &support, "/cases?open=on")
        .await
        .expect_status(200)
        .text();
    assert!(theirs.contains(">配合（待确认）</span>"), "{theirs}");

    // The lead acknowledges; the supporting unit confirms its part; the lead resolves with the
    // agreement attached.
    let case_page = page(&h, &lead, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(
        case_page.contains(r#"id="form-acknowledge""#) && case_page.contains(r#"id="form-return""#)
    );
    assert!(
        !case_page.contains(r#"id="form-resolve""#),
        "not before acknowledging"
    );
    send(
        &h,
        &lead,
        &case.id,
        "acknowledge",
        &[("note", "已签收，安排调解员")],
        &[],
    )
    .await
    .expect_status(303);
    let handling = page(&h, &lead, "/cases?state=in_progress")
        .await
        .expect_status(200)
        .text();
    assert!(handling.contains("楼上卫生间漏水"), "{handling}");
    // Resolving before the supporting unit confirms is refused in words.
    let agreement = sample::pdf("mediation agreement");
    let early = send(
        &h,
        &lead,
        &case.id,
        "resolve",
        &[
            ("outcome", "settled"),
            ("note", "双方达成调解协议"),
            ("referral", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(early.status.as_u16(), 409, "{}", early.text());
    send(
        &h,
        &support,
        &case.id,
        "confirm_part",
        &[("note", "已现场查看")],
        &[],
    )
    .await
    .expect_status(303);
    let confirmed = page(&h, &support, "/cases?open=on")
        .await
        .expect_status(200)
        .text();
    assert!(confirmed.contains(">配合（已确认）</span>"), "{confirmed}");
    send(
        &h,
        &lead,
        &case.id,
        "resolve",
        &[
            ("outcome", "settled"),
            ("note", "双方达成调解协议"),
            ("referral", ""),
        ],
        &[("file", "调解协议书.pdf", &agreement)],
    )
    .await
    .expect_status(303);
    let shown = h.show(&fx.dispatcher, &case).await;
    assert_eq!(shown["state"], "resolved");
    let resolved = page(&h, &lead, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(resolved.contains("调解协议书.pdf"), "{resolved}");
    assert!(
        resolved.contains("已签收，安排调解员"),
        "the timeline keeps the note"
    );
}

async fn a_unit_returns_a_case_with_a_reason(h: Harness) {
    let fx = &h.fx;
    let case = h.dispatched_case(&leak_case()).await;
    let lead = sign_in(&h, &fx.committee_handler).await;
    let missing = send(&h, &lead, &case.id, "return", &[("reason", "")], &[]).await;
    assert_eq!(missing.status.as_u16(), 422);
    assert!(missing.text().contains("此项为必填"), "{}", missing.text());
    send(
        &h,
        &lead,
        &case.id,
        "return",
        &[("reason", "不属于本单位职责")],
        &[],
    )
    .await
    .expect_status(303);
    let dispatcher = sign_in(&h, &fx.dispatcher).await;
    let returned = page(&h, &dispatcher, "/cases?attention=returned")
        .await
        .expect_status(200)
        .text();
    assert!(returned.contains("楼上卫生间漏水"), "{returned}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_works_its_inbox_on_sqlite() {
    on_sqlite(a_unit_works_its_inbox_from_acknowledgement_to_resolution).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_works_its_inbox_on_postgres() {
    on_postgres(a_unit_works_its_inbox_from_acknowledgement_to_resolution).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_returns_a_case_with_a_reason_on_sqlite() {
    on_sqlite(a_unit_returns_a_case_with_a_reason).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_returns_a_case_with_a_reason_on_postgres() {
    on_postgres(a_unit_returns_a_case_with_a_reason).await;
}

async fn extensions_supervision_and_escalation_are_forms_of_the_case_page(h: Harness) {
    let fx = &h.fx;
    let case = h.dispatched_case(&leak_case()).await;
    let lead = sign_in(&h, &fx.committee_handler).await;
    let dispatcher = sign_in(&h, &fx.dispatcher).await;
    send(&h, &lead, &case.id, "acknowledge", &[("note", "")], &[])
        .await
        .expect_status(303);

    // The unit asks for more time, in China time; the centre sees it in its list and
    // approves it; the due time moves.
    let page_html = page(&h, &lead, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(
        page_html.contains(r#"<label for="request_extension-until">申请延期至</label>"#),
        "{page_html}"
    );
    send(
        &h,
        &lead,
        &case.id,
        "request_extension",
        &[
            ("until", "2026-03-20T18:00"),
            ("reason", "需等待房屋安全鉴定结果"),
        ],
        &[],
    )
    .await
    .expect_status(303);
    let waiting = page(&h, &dispatcher, "/cases?attention=extension")
        .await
        .expect_status(200)
        .text();
    assert!(waiting.contains("楼上卫生间漏水"), "{waiting}");
    let shown = page(&h, &dispatcher, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(
        shown.contains("需等待房屋安全鉴定结果"),
        "the reason is on the case: {shown}"
    );
    assert!(
        shown.contains(r#"id="form-approve_extension""#)
            && shown.contains(r#"id="form-refuse_extension""#)
    );
    send(
        &h,
        &dispatcher,
        &case.id,
        "approve_extension",
        &[("note", "同意")],
        &[],
    )
    .await
    .expect_status(303);
    let due = h.show(&fx.dispatcher, &case).await["due_at"].clone();
    assert_eq!(due, "2026-03-20T10:00:00Z", "18:00 China time");

    // A supervision note needs its text; an escalation goes to the county.
    let empty = send(&h, &dispatcher, &case.id, "supervise", &[("note", "")], &[]).await;
    assert_eq!(empty.status.as_u16(), 422);
    send(
        &h,
        &dispatcher,
        &case.id,
        "supervise",
        &[("note", "请于本周内办结")],
        &[],
    )
    .await
    .expect_status(303);
    send(
        &h,
        &dispatcher,
        &case.id,
        "escalate",
        &[("reason", "涉及多个部门，需区级协调")],
        &[],
    )
    .await
    .expect_status(303);
    let after = h.show(&fx.dispatcher, &case).await;
    assert_eq!(after["supervision_count"], 1, "{after}");
    assert_eq!(after["escalated_to"], "370811", "{after}");
    let shown = page(&h, &dispatcher, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(shown.contains("<dt>督办次数</dt><dd>1</dd>"), "{shown}");
    assert!(
        shown.contains("<dt>已提级至</dt><dd>370811</dd>"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_supervision_and_escalation_in_the_pages_on_sqlite() {
    on_sqlite(extensions_supervision_and_escalation_are_forms_of_the_case_page).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_supervision_and_escalation_in_the_pages_on_postgres() {
    on_postgres(extensions_supervision_and_escalation_are_forms_of_the_case_page).await;
}
