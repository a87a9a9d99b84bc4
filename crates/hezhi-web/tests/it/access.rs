//! Who sees what (DESIGN §5): region-bound staff their subtree, a unit the cases assigned to
//! it, a resident his own, administrators no case contents at all.

use crate::fixture::{GRID, OTHER_VILLAGE, case_in, leak_case};
use crate::harness::{CaseRef, Harness, on_postgres, on_sqlite};
use serde_json::json;

async fn each_role_sees_only_the_cases_in_its_scope(h: Harness) {
    let fx = &h.fx;
    // In town 370811002: one dispatched to the committee (with the department supporting),
    // one dispatched to the department alone, one only reported, one reported online by the
    // resident.
    let to_committee = h.dispatched_case(&leak_case()).await;
    h.clock.advance(chrono::Duration::minutes(1));
    let mut to_department = h
        .triaged_case(&case_in(
            GRID,
            "dispute",
            "property_management",
            "物业不作为",
        ))
        .await;
    let due = h.now() + chrono::Duration::days(5);
    h.step(
        &fx.dispatcher,
        &mut to_department,
        "dispatch",
        fx.dispatch_to(fx.department, due),
    )
    .await;
    h.clock.advance(chrono::Duration::minutes(1));
    let reported = h
        .report(
            &fx.grid_worker,
            &case_in(GRID, "hazard", "gas_safety", "燃气管道老化"),
        )
        .await;
    h.clock.advance(chrono::Duration::minutes(1));
    let mut online = case_in(GRID, "request", "public_services", "路灯不亮");
    online["channel"] = json!("online");
    let residents = h.report(&fx.resident, &online).await;
    h.clock.advance(chrono::Duration::minutes(1));
    // In town 370811003.
    let beside = h
        .report(
            &fx.other_dispatcher,
            &case_in(OTHER_VILLAGE, "dispute", "neighbour", "占道停车"),
        )
        .await;

    let ids = |cases: &[&CaseRef]| -> Vec<String> { cases.iter().map(|c| c.id.clone()).collect() };
    let all_in_town = ids(&[&residents, &reported, &to_department, &to_committee]);
    assert_eq!(h.list(&fx.dispatcher, "").await, all_in_town);
    assert_eq!(h.list(&fx.clerk, "").await, all_in_town);
    assert_eq!(
        h.list(&fx.grid_worker, "").await,
        all_in_town,
        "all four are in his grid"
    );
    assert_eq!(h.list(&fx.other_dispatcher, "").await, ids(&[&beside]));
    assert_eq!(
        h.list(&fx.committee_handler, "").await,
        ids(&[&to_committee])
    );
    assert_eq!(
        h.list(&fx.department_handler, "").await,
        ids(&[&to_department, &to_committee]),
        "lead or supporting"
    );
    assert_eq!(h.list(&fx.other_county_handler, "").await, ids(&[]));
    assert_eq!(h.list(&fx.resident, "").await, ids(&[&residents]));
    assert_eq!(h.list(&fx.admin, "").await, ids(&[]));

    // Asking for another scope through a filter does not widen it: a filter narrows within
    // the reader's scope (the committee leads one case the department supports).
    let other_unit = format!("unit={}", fx.committee);
    assert_eq!(
        h.list(&fx.department_handler, &other_unit).await,
        ids(&[&to_committee])
    );
    assert_eq!(
        h.list(&fx.other_county_handler, &other_unit).await,
        ids(&[])
    );
    assert_eq!(
        h.list(&fx.other_dispatcher, "region=370811002").await,
        ids(&[])
    );
    assert_eq!(
        h.list(&fx.other_dispatcher, "region=37").await,
        ids(&[&beside])
    );
    assert_eq!(h.list(&fx.admin, "region=37").await, ids(&[]));

    // Reading one case, and its history, answers 404 outside the scope.
    let visible = [
        (&fx.dispatcher, &to_committee, true),
        (&fx.other_dispatcher, &to_committee, false),
        (&fx.other_dispatcher, &beside, true),
        (&fx.dispatcher, &beside, false),
        (&fx.committee_handler, &to_committee, true),
        (&fx.committee_handler, &to_department, false),
        (&fx.department_handler, &to_committee, true),
        (&fx.other_county_handler, &to_committee, false),
        (&fx.resident, &residents, true),
        (&fx.resident, &to_committee, false),
        (&fx.admin, &to_committee, false),
        (&fx.admin, &beside, false),
    ];
    for (who, case, may) in visible {
        for suffix in ["", "/events"] {
            let reply = h
                .get(format!("/api/v1/cases/{}{suffix}", case.id))
                .by(who)
                .send()
                .await;
            if may {
                assert_eq!(reply.status, 200, "{} reads {suffix}", who.name);
            } else {
                assert_eq!(reply.status, 404, "{} reads {suffix}", who.name);
                assert_eq!(reply.code(), "not_found");
            }
        }
    }

    // Writing follows reading: a case out of sight cannot be acted on either.
    let before = h.counts().await;
    let reply = h
        .command(
            &fx.other_dispatcher,
            &to_committee,
            "supervise",
            &json!({ "note": "越权督办" }),
        )
        .await
        .expect_status(404);
    assert_eq!(reply.code(), "not_found");
    let reply = h
        .command(&fx.admin, &reported, "accept", &json!({}))
        .await
        .expect_status(404);
    assert_eq!(reply.code(), "not_found");
    let reply = h
        .command(&fx.resident, &residents, "accept", &json!({}))
        .await
        .expect_status(403);
    assert_eq!(
        reply.code(),
        "forbidden",
        "a resident cannot accept his own case"
    );
    let reply = h
        .post("/api/v1/cases")
        .by(&fx.admin)
        .json(&leak_case())
        .send()
        .await
        .expect_status(403);
    assert_eq!(
        reply.code(),
        "forbidden",
        "administrators do not report cases"
    );
    assert_eq!(h.counts().await, before);

    // The resident reads his own case.
    let view = h.show(&fx.resident, &residents).await;
    assert_eq!(view["channel"], "online");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_only_the_cases_in_its_scope_on_sqlite() {
    on_sqlite(each_role_sees_only_the_cases_in_its_scope).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_only_the_cases_in_its_scope_on_postgres() {
    on_postgres(each_role_sees_only_the_cases_in_its_scope).await;
}
