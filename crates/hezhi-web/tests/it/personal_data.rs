//! Parties' personal data through the API: masked wherever a case is shown, found by exact
//! phone or ID number within the caller's scope, and shown in the clear only by an audited
//! reveal to the roles that must contact the parties.

use crate::fixture::{GRID, OTHER_VILLAGE, case_in, leak_case};
use crate::harness::{CaseRef, Harness, on_postgres, on_sqlite};
use hezhi_store::AuditFilter;
use serde_json::{Value, json};

/// The phone and ID number of the applicant of [`leak_case`].
const PHONE: &str = "13800138000";
const ID_NUMBER: &str = "370811199203213389";

fn with_applicant(mut body: Value, phone: &str, id_number: Option<&str>) -> Value {
    body["parties"] = json!([{ "role": "applicant", "name": "陈某某", "phone": phone,
        "id_number": id_number, "address": "南张村3排5号" }]);
    body
}

async fn a_clerk_finds_a_persons_other_cases_by_phone_or_id_number_within_scope(h: Harness) {
    let fx = &h.fx;
    let first = h.report(&fx.clerk, &leak_case()).await;
    h.clock.advance(chrono::Duration::minutes(1));
    // The same person again in the town, the phone written another way and no ID number.
    let again = h
        .report(
            &fx.clerk,
            &with_applicant(
                case_in(GRID, "dispute", "labour", "拖欠工资"),
                "+86 138-0013-8000",
                None,
            ),
        )
        .await;
    h.clock.advance(chrono::Duration::minutes(1));
    // The same person in the neighbouring town.
    let beside = h
        .report(
            &fx.other_dispatcher,
            &with_applicant(
                case_in(OTHER_VILLAGE, "dispute", "neighbour", "占道停车"),
                PHONE,
                Some(ID_NUMBER),
            ),
        )
        .await;
    h.clock.advance(chrono::Duration::minutes(1));
    let someone_else = h
        .report(
            &fx.clerk,
            &with_applicant(
                case_in(GRID, "dispute", "neighbour", "噪音扰民"),
                "13900001111",
                None,
            ),
        )
        .await;

    let ids = |cases: &[&CaseRef]| -> Vec<String> { cases.iter().map(|c| c.id.clone()).collect() };
    let by_phone = format!("party_phone={PHONE}");
    assert_eq!(h.list(&fx.clerk, &by_phone).await, ids(&[&again, &first]));
    assert_eq!(
        h.list(&fx.dispatcher, &by_phone).await,
        ids(&[&again, &first])
    );
    assert_eq!(
        h.list(&fx.other_dispatcher, &by_phone).await,
        ids(&[&beside]),
        "each town finds the person only in its own cases"
    );
    assert_eq!(
        h.list(&fx.clerk, "party_phone=%2B86%20138-0013-8000").await,
        ids(&[&again, &first]),
        "the number is normalized before it is hashed"
    );
    assert_eq!(
        h.list(&fx.clerk, &format!("party_id_number={ID_NUMBER}"))
            .await,
        ids(&[&first])
    );
    assert_eq!(
        h.list(
            &fx.clerk,
            &format!("party_phone={PHONE}&party_id_number={ID_NUMBER}&state=reported")
        )
        .await,
        ids(&[&first])
    );
    assert_eq!(
        h.list(&fx.clerk, "party_phone=13900001111").await,
        ids(&[&someone_else])
    );
    assert_eq!(h.list(&fx.clerk, "party_phone=13700000000").await, ids(&[]));
    assert_eq!(h.list(&fx.admin, &by_phone).await, ids(&[]));
    assert_eq!(h.list(&fx.resident, &by_phone).await, ids(&[]));

    // The list shows no personal data at all.
    let reply = h
        .get(format!("/api/v1/cases?{by_phone}"))
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(200);
    assert!(!reply.text().contains(PHONE));
    assert!(!reply.text().contains("138****8000"));

    for (query, code, field) in [
        ("party_phone=123", "invalid_phone", "party_phone"),
        ("party_phone=", "invalid_phone", "party_phone"),
        (
            "party_id_number=370811199203213388",
            "invalid_id_number",
            "party_id_number",
        ),
        (
            "party_id_number=abc",
            "invalid_id_number",
            "party_id_number",
        ),
    ] {
        let reply = h
            .get(format!("/api/v1/cases?{query}"))
            .by(&fx.clerk)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 422, "{query}: {}", reply.text());
        assert_eq!(reply.code(), code, "{query}");
        assert_eq!(reply.field(), Some(field), "{query}");
        assert!(reply.is_error_body());
    }
}

/// The reveal entries of the audit log, newest first.
async fn reveals(h: &Harness) -> Vec<hezhi_store::AuditEntry> {
    h.store
        .search_audit(&AuditFilter {
            action: Some("personal_data_revealed".into()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .expect("audit search")
}

async fn reveal(
    h: &Harness,
    who: &crate::fixture::Person,
    case: &CaseRef,
    body: Value,
) -> crate::harness::Reply {
    h.post(format!("/api/v1/cases/{}/reveal", case.id))
        .by(who)
        .json(&body)
        .send()
        .await
}

async fn a_reveal_shows_the_parties_in_the_clear_only_to_contacting_roles_and_is_audited(
    h: Harness,
) {
    let fx = &h.fx;
    let mut body = leak_case();
    body["parties"][0]["address"] = json!("南张村7排2号");
    let mut case = h.triaged_case(&body).await;

    // Shown masked.
    let shown = h.show(&fx.dispatcher, &case).await;
    assert_eq!(shown["parties"][0]["phone"], "138****8000");
    assert_eq!(shown["parties"][0]["id_number"], "370811********3389");
    assert_eq!(shown["parties"][0]["address"], "南张村****");
    let history = h
        .get(format!("/api/v1/cases/{}/events", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    assert!(!history.text().contains(PHONE) && !history.text().contains("7排2号"));

    let reason = "电话联系申请人核实漏水情况";
    let reply = reveal(&h, &fx.clerk, &case, json!({ "reason": reason }))
        .await
        .expect_status(200);
    assert_eq!(
        reply
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(reply.json["case"], json!(case.id));
    assert_eq!(reply.json["parties"][0]["phone"], PHONE);
    assert_eq!(reply.json["parties"][0]["id_number"], ID_NUMBER);
    assert_eq!(reply.json["parties"][0]["address"], "南张村7排2号");
    assert_eq!(reply.json["parties"][1]["phone"], "13905371234");
    assert_eq!(reply.json["parties"][1]["id_number"], Value::Null);

    let audited = reveals(&h).await;
    assert_eq!(audited.len(), 1);
    let entry = &audited[0];
    assert_eq!(entry.actor, Some(fx.clerk.id));
    assert_eq!(entry.case.map(|c| c.to_string()), Some(case.id.clone()));
    assert_eq!(entry.chain, "370811", "on the county's chain");
    assert_eq!(entry.detail["case"], json!(case.id));
    assert_eq!(entry.detail["county"], "370811");
    assert_eq!(entry.detail["reason"], reason);
    assert!(!entry.detail.to_string().contains(PHONE));

    // Roles that do not contact parties are refused, whatever they may read.
    for who in [&fx.grid_worker, &fx.resident, &fx.admin] {
        let reply = reveal(&h, who, &case, json!({ "reason": "想看看" })).await;
        assert_eq!(reply.status.as_u16(), 403, "{}: {}", who.name, reply.text());
        assert_eq!(reply.code(), "personal_data_not_permitted");
        assert!(!reply.text().contains(PHONE));
    }
    // A contacting role outside the case's scope does not see that it exists.
    for who in [&fx.other_dispatcher, &fx.committee_handler] {
        reveal(&h, who, &case, json!({ "reason": "核实" }))
            .await
            .expect_status(404);
    }
    // Once the committee handles the case, its handler may reveal.
    let due = h.now() + chrono::Duration::days(7);
    let dispatch = fx.dispatch_to_committee_with_department(due);
    h.step(&fx.dispatcher, &mut case, "dispatch", dispatch)
        .await;
    reveal(
        &h,
        &fx.committee_handler,
        &case,
        json!({ "reason": "上门调解前联系当事人" }),
    )
    .await
    .expect_status(200);
    reveal(&h, &fx.dispatcher, &case, json!({ "reason": "督办回访" }))
        .await
        .expect_status(200);

    // A reason is required, and short.
    for (body, code, field) in [
        (json!({}), "invalid_body", "reason"),
        (json!({ "reason": "   " }), "required", "reason"),
        (json!({ "reason": "因".repeat(201) }), "too_long", "reason"),
        (
            json!({ "reason": "ok", "extra": 1 }),
            "invalid_body",
            "extra",
        ),
    ] {
        let reply = reveal(&h, &fx.clerk, &case, body.clone()).await;
        assert_eq!(reply.status.as_u16(), 422, "{body}: {}", reply.text());
        assert_eq!(reply.code(), code, "{body}");
        assert_eq!(reply.field(), Some(field), "{body}");
    }
    reveal(&h, &fx.clerk, &case, json!({ "reason": "因".repeat(200) }))
        .await
        .expect_status(200);
    let reply = h
        .post(format!("/api/v1/cases/{}/reveal", case.id))
        .by(&fx.clerk)
        .raw(Some("text/plain"), "reason")
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 415);

    // Every answered reveal was audited, and nothing else was.
    assert_eq!(reveals(&h).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_finds_a_persons_other_cases_by_phone_or_id_number_within_scope_on_sqlite() {
    on_sqlite(a_clerk_finds_a_persons_other_cases_by_phone_or_id_number_within_scope).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_finds_a_persons_other_cases_by_phone_or_id_number_within_scope_on_postgres() {
    on_postgres(a_clerk_finds_a_persons_other_cases_by_phone_or_id_number_within_scope).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reveal_is_audited_and_refused_to_other_roles_on_sqlite() {
    on_sqlite(a_reveal_shows_the_parties_in_the_clear_only_to_contacting_roles_and_is_audited)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reveal_is_audited_and_refused_to_other_roles_on_postgres() {
    on_postgres(a_reveal_shows_the_parties_in_the_clear_only_to_contacting_roles_and_is_audited)
        .await;
}
