//! The indicators and the exports over HTTP: counted from what happened, refused outside the
//! caller's region, personal data masked, every export audited.

use crate::fixture::{OTHER_TOWN, TOWN, leak_case};
use crate::harness::{Harness, audited, on_postgres, on_sqlite};
use hezhi_domain::Role;
use serde_json::json;

async fn a_leader_reads_his_towns_indicators_and_exports_them_masked(h: Harness) {
    let fx = &h.fx;
    // One case settled by the committee, one left open.
    let mut settled = h.dispatched_case(&leak_case()).await;
    h.step(
        &fx.committee_handler,
        &mut settled,
        "acknowledge",
        json!({}),
    )
    .await;
    h.settle(&mut settled, "双方达成调解协议").await;
    h.report(&fx.clerk, &leak_case()).await;

    let leader = h
        .person("town_leader", Role::Leader, Some(TOWN), None)
        .await;
    let today = (h.now() + chrono::Duration::hours(8)).date_naive();
    let query = format!("region={TOWN}&from={today}&to={today}");
    let stats = h
        .get(format!("/api/v1/stats?{query}"))
        .by(&leader)
        .send()
        .await
        .expect_status(200);
    let counts = &stats.json["counts"];
    assert_eq!(counts["reported"], 2, "{}", stats.text());
    assert_eq!(counts["dispatched"], 1);
    assert_eq!(counts["closed"], 1);
    assert_eq!(counts["mediations_settled"], 1);
    assert_eq!(counts["amount_yuan"], 6000);
    let closure = stats.json["rates"]
        .as_array()
        .expect("rates")
        .iter()
        .find(|r| r["key"] == "mediation_success_rate")
        .expect("rate")
        .clone();
    assert_eq!(closure["numerator"], 1);
    let village = stats.json["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["region"]["code"] == "370811002001")
        .expect("the village")
        .clone();
    assert_eq!(village["counts"]["reported"], 2);

    // Outside his town: as if it did not exist; bad dates: 422 naming the field.
    h.get(format!(
        "/api/v1/stats?region={OTHER_TOWN}&from={today}&to={today}"
    ))
    .by(&leader)
    .send()
    .await
    .expect_status(404);
    let reversed = h
        .get(format!(
            "/api/v1/stats?region={TOWN}&from=2026-03-02&to=2026-03-01"
        ))
        .by(&leader)
        .send()
        .await;
    assert_eq!(
        (reversed.status.as_u16(), reversed.code()),
        (422, "period_reversed")
    );
    // A unit handler has no figures.
    h.get(format!("/api/v1/stats?{query}"))
        .by(&fx.committee_handler)
        .send()
        .await
        .expect_status(404);

    // Exports: the ledger as CSV (BOM, masked), as xlsx (a zip) and the report as HTML.
    let before = audited(&h.store, "export").await.len();
    let csv = h
        .get(format!("/api/v1/exports/ledger?{query}&format=csv"))
        .by(&leader)
        .send()
        .await
        .expect_status(200);
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = csv.text();
    assert!(
        text.contains("陈**") && text.contains("138****8000"),
        "{text}"
    );
    assert!(
        !text.contains("陈某某") && !text.contains("13800138000"),
        "{text}"
    );
    assert!(!text.contains("370811199203213389"), "{text}");
    assert_eq!(text.lines().count(), 3, "a header and two cases: {text}");
    let disposition = csv.headers["content-disposition"].to_str().expect("ascii");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let xlsx = h
        .get(format!("/api/v1/exports/ledger?{query}"))
        .by(&leader)
        .send()
        .await
        .expect_status(200);
    assert!(xlsx.bytes.starts_with(b"PK\x03\x04"), "a zip");
    assert!(
        xlsx.headers["content-type"]
            .to_str()
            .expect("ascii")
            .contains("spreadsheetml")
    );
    let html = h
        .get(format!("/api/v1/exports/report?{query}&format=html"))
        .by(&leader)
        .send()
        .await
        .expect_status(200)
        .text();
    assert!(
        html.contains("size: A4") && html.contains("防止群体性事件"),
        "{html}"
    );
    assert!(html.contains("南张街道人民调解工作统计报表"), "{html}");
    let after = audited(&h.store, "export").await;
    assert_eq!(after.len(), before + 3, "every export is audited");
    assert_eq!(after[0].detail["kind"], "report");
    assert_eq!(after[0].actor, Some(leader.id));

    // Refused exports write nothing to the audit log.
    h.get(format!(
        "/api/v1/exports/ledger?region={OTHER_TOWN}&from={today}&to={today}"
    ))
    .by(&leader)
    .send()
    .await
    .expect_status(404);
    let unknown = h
        .get(format!("/api/v1/exports/ledger?{query}&format=pdf"))
        .by(&leader)
        .send()
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (422, "unknown_format")
    );
    h.get(format!("/api/v1/exports/minutes?{query}"))
        .by(&leader)
        .send()
        .await
        .expect_status(422);
    assert_eq!(audited(&h.store, "export").await.len(), before + 3);
}

#[tokio::test]
async fn indicators_and_exports_on_sqlite() {
    on_sqlite(a_leader_reads_his_towns_indicators_and_exports_them_masked).await;
}

#[tokio::test]
async fn indicators_and_exports_on_postgres() {
    on_postgres(a_leader_reads_his_towns_indicators_and_exports_them_masked).await;
}
