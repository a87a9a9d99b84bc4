//! The deadline policy over the API: the shipped defaults until an administrator saves a new
//! version; bad rules refused and nothing saved; nobody else may change it.

use crate::harness::{Harness, on_postgres, on_sqlite};
use hezhi_store::AuditFilter;
use serde_json::{Value, json};

async fn policy(h: &Harness) -> Value {
    h.get("/api/v1/deadline-policy")
        .by(&h.fx.dispatcher)
        .send()
        .await
        .expect_status(200)
        .json
}

async fn administrators_save_versions_of_the_deadline_policy(h: Harness) {
    let fx = &h.fx;
    let defaults = policy(&h).await;
    assert_eq!(defaults["version"], 1);
    assert_eq!(defaults["rules"][1]["urgency"], "red");
    assert_eq!(
        defaults["rules"][1]["response"],
        json!({ "unit": "hours", "value": 1 })
    );

    let mut rules = defaults["rules"].clone();
    rules[1]["handling"] = json!({ "unit": "hours", "value": 12 });
    let put = |who, body: Value| {
        h.post("/api/v1/deadline-policy")
            .method(axum::http::Method::PUT)
            .by(who)
            .json(&body)
            .send()
    };

    // Not for a dispatcher.
    let refused = put(&fx.dispatcher, json!({ "rules": rules })).await;
    assert_eq!(refused.status.as_u16(), 403);
    // Bad rules: a span of zero hours, no rule for every case, an unknown unit, no body.
    let mut zero = rules.clone();
    zero[2]["response"] = json!({ "unit": "hours", "value": 0 });
    let bad = put(&fx.admin, json!({ "rules": zero })).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code(), bad.field()),
        (422, "invalid_span", Some("rules[2].response"))
    );
    let specific: Vec<Value> = rules
        .as_array()
        .expect("rules")
        .iter()
        .skip(1)
        .cloned()
        .collect();
    let no_fallback = put(&fx.admin, json!({ "rules": specific })).await;
    assert_eq!(
        (no_fallback.status.as_u16(), no_fallback.code()),
        (422, "no_fallback_rule")
    );
    let mut unknown = rules.clone();
    unknown[0]["handling"] = json!({ "unit": "fortnights", "value": 1 });
    assert_eq!(
        put(&fx.admin, json!({ "rules": unknown }))
            .await
            .status
            .as_u16(),
        422
    );
    assert_eq!(put(&fx.admin, json!({})).await.status.as_u16(), 422);
    assert_eq!(policy(&h).await["version"], 1, "nothing was saved");

    let saved = put(&fx.admin, json!({ "rules": rules }))
        .await
        .expect_status(200);
    assert_eq!(saved.json["version"], 2);
    let now = policy(&h).await;
    assert_eq!(now["version"], 2);
    assert_eq!(
        now["rules"][1]["handling"],
        json!({ "unit": "hours", "value": 12 })
    );
    assert_eq!(
        put(&fx.admin, json!({ "rules": rules }))
            .await
            .expect_status(200)
            .json["version"],
        3
    );

    let audited = h
        .store
        .search_audit(&AuditFilter {
            action: Some("deadline_policy_saved".into()),
            limit: 50,
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    assert_eq!(audited.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_save_versions_of_the_deadline_policy_on_sqlite() {
    on_sqlite(administrators_save_versions_of_the_deadline_policy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_save_versions_of_the_deadline_policy_on_postgres() {
    on_postgres(administrators_save_versions_of_the_deadline_policy).await;
}
