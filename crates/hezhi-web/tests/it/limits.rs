//! The limits that protect the server: per-client rates of sign-in and submission, the
//! request time limit and the body sizes, each as configured.

use crate::fixture::leak_case;
use crate::harness::{Harness, on_postgres, on_sqlite};
use axum::http::StatusCode;
use hezhi_app::SignInPolicy;
use hezhi_web::{Limits, WebSettings};
use serde_json::json;
use std::time::Duration;

fn with_limits(h: Harness, limits: Limits) -> Harness {
    h.reconfigured(
        SignInPolicy::default(),
        WebSettings {
            limits,
            ..WebSettings::default()
        },
    )
}

async fn rates_hold_per_client_address(h: Harness) {
    let h = with_limits(
        h,
        Limits {
            sign_in_per_minute: 3,
            submissions_per_minute: 2,
            ..Limits::default()
        },
    );
    // Sign-in attempts: three a minute from one address, whatever their outcome.
    for _ in 0..3 {
        let reply = h
            .post("/api/v1/session")
            .sent_from("203.0.113.7")
            .json(&json!({ "name": "nobody", "password": "wrong password 1" }))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text());
    }
    let refused = h
        .post("/api/v1/session")
        .sent_from("203.0.113.7")
        .english()
        .json(&json!({ "name": "nobody", "password": "wrong password 1" }))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json["error"]["code"], "too_many_requests");
    assert!(
        refused.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Too many")),
        "{}",
        refused.text()
    );
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=20).contains(&wait), "{wait}");
    // The web page's form counts in the same bucket and answers with a page.
    let page = h
        .post("/sign-in")
        .sent_from("203.0.113.7")
        .raw(
            Some("application/x-www-form-urlencoded"),
            "name=nobody&password=x",
        )
        .send()
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().contains("<html"), "{}", page.text());
    assert!(page.headers.contains_key("retry-after"));
    // Another address has its own.
    let other = h
        .post("/api/v1/session")
        .sent_from("198.51.100.9")
        .json(&json!({ "name": "nobody", "password": "wrong password 1" }))
        .send()
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);

    // Submissions: two reports a minute from one address; the third writes nothing.
    let (before, _) = h.store.count_cases_and_events().await.expect("count");
    for _ in 0..2 {
        let reply = h
            .post("/api/v1/cases")
            .by(&h.fx.dispatcher)
            .sent_from("203.0.113.8")
            .json(&leak_case())
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    }
    let refused = h
        .post("/api/v1/cases")
        .by(&h.fx.dispatcher)
        .sent_from("203.0.113.8")
        .json(&leak_case())
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let (after, _) = h.store.count_cases_and_events().await.expect("count");
    assert_eq!(after, before + 2);
    // Reads are not counted.
    for _ in 0..5 {
        let reply = h
            .get("/api/v1/cases")
            .by(&h.fx.dispatcher)
            .sent_from("203.0.113.8")
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn rates_hold_per_client_address_on_sqlite() {
    on_sqlite(rates_hold_per_client_address).await;
}

#[tokio::test]
async fn rates_hold_per_client_address_on_postgres() {
    on_postgres(rates_hold_per_client_address).await;
}

async fn slow_requests_and_large_bodies_are_refused(h: Harness) {
    // No time at all: anything that waits for the database is cut off.
    let hurried = with_limits(
        h,
        Limits {
            request_timeout: Duration::ZERO,
            ..Limits::default()
        },
    );
    let reply = hurried
        .get("/api/v1/cases")
        .by(&hurried.fx.dispatcher)
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json["error"]["code"], "request_timeout");
    assert!(reply.headers.contains_key("retry-after"));

    let small = with_limits(
        hurried,
        Limits {
            json_body: 1024,
            ..Limits::default()
        },
    );
    let (before, _) = small.store.count_cases_and_events().await.expect("count");
    let mut case = leak_case();
    case["description"] = json!("漏水".repeat(400));
    let reply = small
        .post("/api/v1/cases")
        .by(&small.fx.dispatcher)
        .json(&case)
        .send()
        .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    let (after, _) = small.store.count_cases_and_events().await.expect("count");
    assert_eq!(after, before);
    // The same report fits the default limit.
    let h = small.reconfigured(SignInPolicy::default(), WebSettings::default());
    let reply = h
        .post("/api/v1/cases")
        .by(&h.fx.dispatcher)
        .json(&case)
        .send()
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
}

#[tokio::test]
async fn slow_requests_and_large_bodies_are_refused_on_sqlite() {
    on_sqlite(slow_requests_and_large_bodies_are_refused).await;
}

#[tokio::test]
async fn slow_requests_and_large_bodies_are_refused_on_postgres() {
    on_postgres(slow_requests_and_large_bodies_are_refused).await;
}
