//! The OpenAPI document: served, valid, complete, and reviewed as a snapshot.

use crate::harness::{Harness, on_postgres, on_sqlite};
use hezhi_domain::CommandKind;
use serde_json::Value;
use std::collections::BTreeSet;

/// Every route of `hezhi_web::router` under `/api/v1`, as the document spells it, with its
/// methods. [`every_routed_path_answers_and_is_documented`] keeps this list true: each entry
/// must reach a handler rather than the fallback.
const ROUTES: &[(&str, &[&str])] = &[
    ("/cases", &["get", "post"]),
    ("/cases/{id}", &["get"]),
    ("/cases/{id}/events", &["get"]),
    ("/cases/{id}/reveal", &["post"]),
    ("/cases/{id}/attachments", &["get"]),
    ("/cases/{id}/attachments/{digest}", &["get"]),
    ("/files", &["post"]),
    ("/deadline-policy", &["get", "put"]),
    ("/stats", &["get"]),
    ("/exports/{kind}", &["get"]),
    ("/cases/{id}/{command}", &["post"]),
    ("/regions/{code}", &["get"]),
    ("/units", &["get", "post"]),
    ("/regions/{code}/grids", &["post"]),
    ("/regions/{code}/grids/import", &["post"]),
    ("/grids/locate", &["get"]),
    ("/users", &["get", "post"]),
    ("/users/{id}/roles", &["post"]),
    ("/users/{id}/roles/{assignment}", &["delete"]),
    ("/users/{id}/roles/{assignment}/tokens", &["post"]),
    ("/categories", &["get"]),
    ("/track", &["post"]),
    ("/audit", &["get"]),
    ("/session", &["get", "post", "delete"]),
    ("/session/password", &["post"]),
    ("/session/totp", &["post"]),
    ("/session/totp/confirm", &["post"]),
    ("/tokens/{id}", &["delete"]),
    ("/resident/code", &["post"]),
    ("/resident/session", &["post"]),
    ("/openapi.json", &["get"]),
];

async fn fetch_document(h: &Harness) -> Value {
    let reply = h
        .get("/api/v1/openapi.json")
        .send()
        .await
        .expect_status(200);
    assert_eq!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    serde_json::from_slice(&reply.bytes).expect("the document is JSON")
}

/// Every `$ref` in `value`, e.g. `#/components/schemas/Case`.
fn refs(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => {
                        found.insert(target.clone());
                    }
                    _ => refs(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

async fn every_routed_path_answers_and_is_documented(h: Harness) {
    let doc = fetch_document(&h).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());

    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    let routed: BTreeSet<&str> = ROUTES.iter().map(|(path, _)| *path).collect();
    assert_eq!(documented, routed, "documented paths = routed paths");
    for (path, methods) in ROUTES {
        let documented: BTreeSet<&str> = paths[*path]
            .as_object()
            .expect("path item")
            .keys()
            .map(String::as_str)
            .collect();
        let routed: BTreeSet<&str> = methods.iter().copied().collect();
        assert_eq!(documented, routed, "methods of {path}");
        for method in *methods {
            let operation = &paths[*path][*method];
            assert!(operation["summary"].is_string(), "{method} {path} summary");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents its success"
            );
        }
    }

    // The list above is the router's: each path reaches a handler, not the fallback.
    let fx = &h.fx;
    for (path, methods) in ROUTES {
        let concrete = path
            .replace("{id}", "01890000-0000-7000-8000-000000000000")
            .replace("{command}", "accept")
            .replace("{code}", "370811");
        for method in *methods {
            let method =
                axum::http::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let reply = h
                .get(format!("/api/v1{concrete}"))
                .method(method.clone())
                .by(&fx.dispatcher)
                .if_match(1)
                .raw(Some("application/json"), "{}")
                .send()
                .await;
            let fallback =
                reply.status == 404 && reply.json["error"]["detail"] == "no such endpoint";
            assert!(
                !fallback && reply.status != 405,
                "{method} {path} is routed: {} {}",
                reply.status,
                reply.text()
            );
        }
    }

    // Every reference resolves, and the command enum is the lifecycle's.
    let mut targets = BTreeSet::new();
    refs(&doc, &mut targets);
    assert!(!targets.is_empty());
    for target in &targets {
        let pointer = target.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "{target} resolves");
    }
    let commands: Vec<&str> = paths["/cases/{id}/{command}"]["post"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "command")
        .and_then(|p| p["schema"]["enum"].as_array())
        .expect("command enum")
        .iter()
        .map(|c| c.as_str().expect("command name"))
        .collect();
    let lifecycle: Vec<&str> = CommandKind::ALL
        .into_iter()
        .filter(|k| *k != CommandKind::Report)
        .map(CommandKind::as_str)
        .collect();
    assert_eq!(commands, lifecycle);
    let states = doc["components"]["schemas"]["CaseState"]["enum"]
        .as_array()
        .expect("states");
    assert_eq!(states.len(), hezhi_domain::CaseState::ALL.len());
    for state in hezhi_domain::CaseState::ALL {
        assert!(states.iter().any(|s| s == state.as_str()), "{state}");
    }
}

/// What the API answers has the shape the document gives it: receipts carry every required
/// field, and list summaries only documented ones, with `null` only where it is allowed.
async fn answers_have_the_documented_shape(h: Harness) {
    let doc = fetch_document(&h).await;
    let schemas = &doc["components"]["schemas"];
    let case = h.report(&h.fx.clerk, &crate::fixture::leak_case()).await;
    let receipt = h
        .post(format!("/api/v1/cases/{}/accept", case.id))
        .by(&h.fx.clerk)
        .if_match(case.version)
        .send()
        .await
        .expect_status(200);
    for field in schemas["Receipt"]["required"].as_array().expect("required") {
        let field = field.as_str().expect("name");
        assert!(!receipt.json[field].is_null(), "receipt has {field}");
    }
    h.app
        .set_password("clerk", "sorrel-kettle-41", false)
        .await
        .expect("password");
    let session = h
        .post("/api/v1/session")
        .json(&serde_json::json!({ "name": "clerk", "password": "sorrel-kettle-41" }))
        .send()
        .await
        .expect_status(200);
    for field in schemas["Session"]["required"].as_array().expect("required") {
        let field = field.as_str().expect("name");
        assert!(!session.json[field].is_null(), "session has {field}");
    }
    let list = h
        .get("/api/v1/cases")
        .by(&h.fx.clerk)
        .send()
        .await
        .expect_status(200);
    let summary = list.json["items"][0].as_object().expect("a summary");
    let documented = schemas["CaseSummary"]["properties"]
        .as_object()
        .expect("properties");
    for (field, value) in summary {
        let schema = documented
            .get(field)
            .unwrap_or_else(|| panic!("summary field {field} is documented"));
        if value.is_null() {
            let text = schema.to_string();
            assert!(text.contains("\"null\""), "{field} may be null: {schema}");
        }
    }
}

async fn the_openapi_document_matches_its_reviewed_snapshot(h: Harness) {
    let doc = fetch_document(&h).await;
    assert_eq!(doc, hezhi_web::openapi_document(), "served as built");
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_routed_path_answers_and_is_documented_on_sqlite() {
    on_sqlite(every_routed_path_answers_and_is_documented).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_routed_path_answers_and_is_documented_on_postgres() {
    on_postgres(every_routed_path_answers_and_is_documented).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_have_the_documented_shape_on_sqlite() {
    on_sqlite(answers_have_the_documented_shape).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_have_the_documented_shape_on_postgres() {
    on_postgres(answers_have_the_documented_shape).await;
}

/// The document does not depend on the backend, so one snapshot, taken on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_its_reviewed_snapshot_on_sqlite() {
    on_sqlite(the_openapi_document_matches_its_reviewed_snapshot).await;
}
