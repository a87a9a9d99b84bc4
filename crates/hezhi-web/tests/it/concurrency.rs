//! Optimistic concurrency: a write names the version it saw in `If-Match`; a stale one is
//! refused with 412, a missing one with 428, and neither writes anything.

use crate::fixture::leak_case;
use crate::harness::{CaseRef, Harness, on_postgres, on_sqlite};
use serde_json::json;

async fn a_stale_or_missing_version_is_refused_and_nothing_is_written(h: Harness) {
    let fx = &h.fx;
    let mut case = h.report(&fx.clerk, &leak_case()).await;
    h.step(&fx.clerk, &mut case, "accept", json!({})).await;
    let before = h.counts().await;
    assert_eq!(before, (1, 2));

    let stale = CaseRef {
        version: 1,
        ..case.clone()
    };
    let reply = h
        .command(
            &fx.dispatcher,
            &stale,
            "triage",
            &crate::fixture::triage_body("dispute", "neighbour", "red"),
        )
        .await
        .expect_status(412);
    assert_eq!(reply.code(), "version_mismatch");
    assert_eq!(reply.message(), "该事件已被他人更新，请刷新后重试");
    assert_eq!(h.counts().await, before);

    let ahead = CaseRef {
        version: 7,
        ..case.clone()
    };
    let reply = h
        .command(
            &fx.dispatcher,
            &ahead,
            "supervise",
            &json!({ "note": "催办" }),
        )
        .await
        .expect_status(412);
    assert_eq!(reply.code(), "version_mismatch");

    let missing = h
        .post(format!("/api/v1/cases/{}/supervise", case.id))
        .by(&fx.dispatcher)
        .json(&json!({ "note": "催办" }))
        .send()
        .await
        .expect_status(428);
    assert_eq!(missing.code(), "version_required");
    assert_eq!(h.counts().await, before);

    for weak_or_bare in ["W/\"2\"", "2"] {
        let reply = h
            .post(format!("/api/v1/cases/{}/supervise", case.id))
            .by(&fx.dispatcher)
            .text_header("if-match", weak_or_bare)
            .json(&json!({ "note": "催办" }))
            .send()
            .await;
        if weak_or_bare == "2" {
            reply.expect_status(412);
        } else {
            let applied = reply.expect_status(200);
            assert_eq!(applied.etag(), Some("\"3\""));
        }
    }
    let nonsense = h
        .post(format!("/api/v1/cases/{}/supervise", case.id))
        .by(&fx.dispatcher)
        .text_header("if-match", "\"yesterday\"")
        .json(&json!({ "note": "催办" }))
        .send()
        .await
        .expect_status(400);
    assert_eq!(
        (nonsense.code(), nonsense.field()),
        ("invalid_value", Some("If-Match"))
    );
    case.version = 3;
    assert_eq!(h.show(&fx.dispatcher, &case).await["version"], 3);
    assert_eq!(h.counts().await, (1, 3));
}

async fn of_many_writers_racing_on_one_version_exactly_one_wins(h: Harness) {
    let fx = &h.fx;
    let case = h.report(&fx.clerk, &leak_case()).await;
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..12 {
        let who = if i % 2 == 0 {
            &fx.clerk
        } else {
            &fx.dispatcher
        };
        racers.spawn(
            h.post(format!("/api/v1/cases/{}/accept", case.id))
                .by(who)
                .if_match(1)
                .json(&json!({ "note": format!("racer {i}") }))
                .send(),
        );
    }
    let mut statuses: Vec<u16> = racers
        .join_all()
        .await
        .iter()
        .map(|r| {
            assert!(
                r.status == 200 || r.code() == "version_mismatch",
                "{}",
                r.text()
            );
            r.status.as_u16()
        })
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200);
    assert!(
        statuses[1..].iter().all(|s| *s == 412),
        "one winner: {statuses:?}"
    );
    assert_eq!(h.counts().await, (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_or_missing_version_is_refused_and_nothing_is_written_on_sqlite() {
    on_sqlite(a_stale_or_missing_version_is_refused_and_nothing_is_written).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_or_missing_version_is_refused_and_nothing_is_written_on_postgres() {
    on_postgres(a_stale_or_missing_version_is_refused_and_nothing_is_written).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_writers_racing_on_one_version_exactly_one_wins_on_sqlite() {
    on_sqlite(of_many_writers_racing_on_one_version_exactly_one_wins).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_writers_racing_on_one_version_exactly_one_wins_on_postgres() {
    on_postgres(of_many_writers_racing_on_one_version_exactly_one_wins).await;
}
