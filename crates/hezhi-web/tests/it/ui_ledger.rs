//! The dispute ledger in the pages: one row per case of the leader's region and period,
//! masked, narrowed by state, with the export links; nothing of another town.

use crate::fixture::{OTHER_VILLAGE, TOWN, case_in, leak_case};
use crate::harness::{Harness, on_postgres, on_sqlite};
use crate::ui::{page, sign_in};
use hezhi_domain::Role;

async fn a_leader_reads_and_narrows_his_towns_ledger(h: Harness) {
    let fx = &h.fx;
    h.dispatched_case(&leak_case()).await;
    h.report(
        &fx.clerk,
        &case_in(crate::fixture::VILLAGE, "dispute", "neighbour", "广场噪音"),
    )
    .await;
    h.report(
        &fx.other_dispatcher,
        &case_in(OTHER_VILLAGE, "dispute", "neighbour", "邻村的事"),
    )
    .await;
    let leader = h
        .person("ledger_leader", Role::Leader, Some(TOWN), None)
        .await;
    let browser = sign_in(&h, &leader).await;
    let html = page(&h, &browser, "/cases").await.expect_status(200).text();
    assert!(html.contains(r#"<a href="/ledger">台账</a>"#), "{html}");

    let ledger = page(&h, &browser, "/ledger")
        .await
        .expect_status(200)
        .text();
    assert!(ledger.contains("<h1>矛盾纠纷排查化解台账</h1>"), "{ledger}");
    assert!(ledger.contains("共计事件 2"), "{ledger}");
    assert!(
        ledger.contains("楼上卫生间漏水") && ledger.contains("广场噪音"),
        "{ledger}"
    );
    assert!(
        !ledger.contains("邻村的事"),
        "another town's case: {ledger}"
    );
    // Masked: the applicant 陈某某 and his phone 13800138000 are not there in full.
    assert!(
        ledger.contains("陈**") && ledger.contains("138****8000"),
        "{ledger}"
    );
    assert!(!ledger.contains("陈某某") && !ledger.contains("13800138000"));
    assert!(
        ledger.contains("/api/v1/exports/ledger?region=370811002"),
        "{ledger}"
    );

    // Narrowed to the cases still reported (not yet accepted): the square's noise only.
    let reported = page(&h, &browser, "/ledger?state=reported")
        .await
        .expect_status(200)
        .text();
    assert!(reported.contains("共计事件 1"), "{reported}");
    assert!(reported.contains("广场噪音") && !reported.contains("楼上卫生间漏水"));

    // Another town, a bad date, an unknown state: refused in words.
    let other = page(&h, &browser, "/ledger?region=370811003").await;
    assert_eq!(other.status.as_u16(), 404);
    let bad = page(&h, &browser, "/ledger?from=yesterday").await;
    assert_eq!(bad.status.as_u16(), 422);
    let state = page(&h, &browser, "/ledger?state=lost").await;
    assert_eq!(state.status.as_u16(), 422);

    // A grid worker has no ledger.
    let worker = sign_in(&h, &fx.grid_worker).await;
    let refused = page(&h, &worker, "/ledger").await;
    assert_eq!(refused.status.as_u16(), 403, "{}", refused.text());
}

#[tokio::test]
async fn the_ledger_page_on_sqlite() {
    on_sqlite(a_leader_reads_and_narrows_his_towns_ledger).await;
}

#[tokio::test]
async fn the_ledger_page_on_postgres() {
    on_postgres(a_leader_reads_and_narrows_his_towns_ledger).await;
}
