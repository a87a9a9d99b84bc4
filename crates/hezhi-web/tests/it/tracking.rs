//! A resident follows his case with its tracking code and a party's phone, without an
//! account, and sees only the public parts.

use crate::fixture::{leak_case, triage_body};
use crate::harness::{Harness, on_postgres, on_sqlite};
use serde_json::json;

async fn a_resident_tracks_his_case_by_code_and_phone(h: Harness) {
    let fx = &h.fx;
    let reply = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .json(&leak_case())
        .send()
        .await
        .expect_status(201);
    let code = reply.str("tracking_code").to_owned();
    let mut case = crate::harness::CaseRef {
        id: reply.str("id").to_owned(),
        version: 1,
    };
    h.step(&fx.clerk, &mut case, "accept", json!({})).await;
    h.step(
        &fx.dispatcher,
        &mut case,
        "supervise",
        json!({ "note": "请尽快办理，注意稳控" }),
    )
    .await;
    h.step(
        &fx.dispatcher,
        &mut case,
        "triage",
        triage_body("dispute", "neighbour", "yellow"),
    )
    .await;

    // The respondent's phone, written differently from how it was reported, also works.
    for phone in ["13800138000", "139 0537 1234"] {
        let seen = h
            .post("/api/v1/track")
            .json(&json!({ "tracking_code": code, "phone": phone }))
            .send()
            .await
            .expect_status(200);
        assert_eq!(seen.json["state"], "triaged");
        assert_eq!(seen.json["title"], "楼上卫生间漏水");
        let steps: Vec<&str> = seen.json["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|s| s["type"].as_str().expect("type"))
            .collect();
        assert_eq!(
            steps,
            ["reported", "accepted"],
            "supervision and triage are internal"
        );
        let text = seen.text();
        for private in [
            "陈某某",
            "13800138000",
            "370811199203213389",
            "稳控",
            "actor",
            "parties",
        ] {
            assert!(
                !text.contains(private),
                "the public view shows `{private}`: {text}"
            );
        }
    }

    // Wrong phone, wrong code, or a code with a bad check digit: all alike not found / invalid.
    let wrong_phone = h
        .post("/api/v1/track")
        .json(&json!({ "tracking_code": code, "phone": "13700000000" }))
        .send()
        .await
        .expect_status(404);
    assert_eq!(wrong_phone.code(), "not_found");
    let mut bad = code.clone().into_bytes();
    bad[9] = if bad[9] == b'9' { b'0' } else { bad[9] + 1 };
    let bad = String::from_utf8(bad).expect("ascii");
    let malformed = h
        .post("/api/v1/track")
        .json(&json!({ "tracking_code": bad, "phone": "13800138000" }))
        .send()
        .await
        .expect_status(422);
    assert_eq!(malformed.field(), Some("tracking_code"));
}

async fn failed_lookups_from_one_address_are_throttled(h: Harness) {
    let fx = &h.fx;
    let reply = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .json(&leak_case())
        .send()
        .await
        .expect_status(201);
    let code = reply.str("tracking_code").to_owned();
    for _ in 0..hezhi_app::tracking::TrackingThrottle::MAX_FAILURES {
        h.post("/api/v1/track")
            .json(&json!({ "tracking_code": code, "phone": "13700000000" }))
            .send()
            .await
            .expect_status(404);
    }
    // Now even the right phone waits: guessing must not be cheaper than asking.
    let throttled = h
        .post("/api/v1/track")
        .json(&json!({ "tracking_code": code, "phone": "13800138000" }))
        .send()
        .await
        .expect_status(429);
    assert_eq!(throttled.code(), "too_many_attempts");
    assert!(throttled.headers.get("retry-after").is_some());
    h.clock
        .advance(hezhi_app::tracking::TrackingThrottle::WINDOW);
    h.post("/api/v1/track")
        .json(&json!({ "tracking_code": code, "phone": "13800138000" }))
        .send()
        .await
        .expect_status(200);
}

#[tokio::test]
async fn a_resident_tracks_his_case_by_code_and_phone_on_sqlite() {
    on_sqlite(a_resident_tracks_his_case_by_code_and_phone).await;
}

#[tokio::test]
async fn a_resident_tracks_his_case_by_code_and_phone_on_postgres() {
    on_postgres(a_resident_tracks_his_case_by_code_and_phone).await;
}

#[tokio::test]
async fn failed_lookups_from_one_address_are_throttled_on_sqlite() {
    on_sqlite(failed_lookups_from_one_address_are_throttled).await;
}

#[tokio::test]
async fn failed_lookups_from_one_address_are_throttled_on_postgres() {
    on_postgres(failed_lookups_from_one_address_are_throttled).await;
}
