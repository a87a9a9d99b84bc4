//! `Idempotency-Key`: a retried request gets the first answer and is never applied twice.

use crate::fixture::{case_in, leak_case};
use crate::harness::{Harness, on_postgres, on_sqlite};
use serde_json::json;

async fn a_retried_report_with_the_same_key_creates_one_case(h: Harness) {
    let fx = &h.fx;
    let send = |key: &'static str, body: serde_json::Value| {
        h.post("/api/v1/cases")
            .by(&fx.clerk)
            .idempotency_key(key)
            .json(&body)
            .send()
    };
    let first = send("report-0001", leak_case()).await.expect_status(201);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let retry = send("report-0001", leak_case()).await.expect_status(201);
    assert_eq!(retry.json, first.json, "the retry gets the first answer");
    assert_eq!(retry.etag(), Some("\"1\""));
    assert_eq!(
        retry
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(h.counts().await, (1, 1));

    let mut other = leak_case();
    other["title"] = json!("另一件事");
    let reused = send("report-0001", other).await.expect_status(422);
    assert_eq!(reused.code(), "idempotency_key_reused");
    assert_eq!(reused.message(), "该幂等键已用于另一个请求");
    assert_eq!(h.counts().await, (1, 1));

    // Keys belong to their user: the grid worker's "report-0001" is another request.
    let his = h
        .post("/api/v1/cases")
        .by(&fx.grid_worker)
        .idempotency_key("report-0001")
        .json(&leak_case())
        .send()
        .await
        .expect_status(201);
    assert_ne!(his.str("id"), first.str("id"));
    assert_eq!(his.str("number"), "370811-2026-000002");
    assert_eq!(h.counts().await, (2, 2));

    // Without a key each submission is a new case.
    for _ in 0..2 {
        h.report(
            &fx.clerk,
            &case_in(crate::fixture::VILLAGE, "dispute", "neighbour", "无键"),
        )
        .await;
    }
    assert_eq!(h.counts().await, (4, 4));

    for (key, why) in [
        ("", "empty"),
        ("钥匙", "not ASCII"),
        ("with space", "not visible ASCII"),
    ] {
        let reply = h
            .post("/api/v1/cases")
            .by(&fx.clerk)
            .header(
                axum::http::HeaderName::from_static("idempotency-key"),
                axum::http::HeaderValue::from_bytes(key.as_bytes()).expect("header bytes"),
            )
            .json(&leak_case())
            .send()
            .await
            .expect_status(422);
        assert_eq!(
            (reply.code(), reply.field()),
            ("invalid_idempotency_key", Some("Idempotency-Key")),
            "{why}"
        );
    }
    let too_long = "k".repeat(256);
    let reply = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .idempotency_key(&too_long)
        .json(&leak_case())
        .send()
        .await
        .expect_status(422);
    assert_eq!(reply.code(), "invalid_idempotency_key");
    assert_eq!(h.counts().await, (4, 4));
}

async fn a_retried_command_with_the_same_key_is_applied_once(h: Harness) {
    let fx = &h.fx;
    let case = h.report(&fx.clerk, &leak_case()).await;
    let accept = |key: &'static str, note: &'static str| {
        h.post(format!("/api/v1/cases/{}/accept", case.id))
            .by(&fx.clerk)
            .if_match(1)
            .idempotency_key(key)
            .json(&json!({ "note": note }))
            .send()
    };
    let first = accept("accept-1", "受理").await.expect_status(200);
    assert_eq!(first.version(), 2);
    // The retry names the version the first attempt saw; it is answered, not refused as stale.
    let retry = accept("accept-1", "受理").await.expect_status(200);
    assert_eq!(retry.json, first.json);
    assert_eq!(retry.etag(), Some("\"2\""));
    assert_eq!(h.counts().await, (1, 2));
    let reused = accept("accept-1", "另一个备注").await.expect_status(422);
    assert_eq!(reused.code(), "idempotency_key_reused");
    let fresh_key = accept("accept-2", "受理").await.expect_status(412);
    assert_eq!(fresh_key.code(), "version_mismatch");
    assert_eq!(h.counts().await, (1, 2));
}

async fn identical_reports_sent_at_once_create_one_case(h: Harness) {
    let fx = &h.fx;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..24 {
        requests.spawn(
            h.post("/api/v1/cases")
                .by(&fx.clerk)
                .idempotency_key("double-click")
                .json(&leak_case())
                .send(),
        );
    }
    let replies = requests.join_all().await;
    let created: Vec<&str> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.str("id"))
        .collect();
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.status, 409, "{}", reply.text());
        assert_eq!(reply.code(), "idempotency_in_flight");
        assert_eq!(reply.message(), "相同的请求正在处理中，请稍候");
    }
    assert!(!created.is_empty(), "at least the first is answered");
    assert!(
        created.iter().all(|id| *id == created[0]),
        "every answer names the same case"
    );
    assert_eq!(h.counts().await, (1, 1));
    let replayed = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .idempotency_key("double-click")
        .json(&leak_case())
        .send()
        .await
        .expect_status(201);
    assert_eq!(replayed.str("id"), created[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_report_with_the_same_key_creates_one_case_on_sqlite() {
    on_sqlite(a_retried_report_with_the_same_key_creates_one_case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_report_with_the_same_key_creates_one_case_on_postgres() {
    on_postgres(a_retried_report_with_the_same_key_creates_one_case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_command_with_the_same_key_is_applied_once_on_sqlite() {
    on_sqlite(a_retried_command_with_the_same_key_is_applied_once).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_command_with_the_same_key_is_applied_once_on_postgres() {
    on_postgres(a_retried_command_with_the_same_key_is_applied_once).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_reports_sent_at_once_create_one_case_on_sqlite() {
    on_sqlite(identical_reports_sent_at_once_create_one_case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_reports_sent_at_once_create_one_case_on_postgres() {
    on_postgres(identical_reports_sent_at_once_create_one_case).await;
}
