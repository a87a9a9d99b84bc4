//! No input makes the server answer 5xx: random bytes, deep nesting, huge and negative
//! numbers, wrong types, odd Unicode and oversized bodies, sent to every endpoint. Every 4xx
//! still carries the JSON error shape.

use crate::fixture::leak_case;
use crate::harness::{Call, Harness, Reply, on_postgres, on_sqlite};
use axum::http::{HeaderName, HeaderValue, Method};
use hezhi_domain::CommandKind;
use serde_json::{Value, json};

/// A small deterministic generator, so that a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next().to_le_bytes()[0]).collect()
    }
}

/// JSON values (as text, since some are not representable as `serde_json::Value`) to put
/// where a field is expected.
fn odd_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "null",
        "true",
        "0",
        "-1",
        "-9223372036854775809",
        "18446744073709551616",
        "1e400",
        "-1e400",
        "1.5",
        "4294967296",
        "\"\"",
        "\" \"",
        "[]",
        "[1,2,3]",
        "{}",
        "{\"lat\": 1e308, \"lon\": -1e308}",
        "\"\\u0000\"",
        "\"a\\u0000b\"",
        "\"\\ud800\"",
        "\"\\udfff\\ud800\"",
        "\"\\u202e\\u200b\\ufeff\"",
        "\"\u{1F600}\u{200D}\u{1F525}\"",
        "\"370811002001001\\n\"",
        "\"01890000-0000-7000-8000-000000000000\"",
        "\"275760-09-13T00:00:00Z\"",
        "\"9999-12-31T23:59:59Z\"",
        "\"+262143-12-31T23:59:59Z\"",
        "\"-0001-01-01T00:00:00Z\"",
        "\"1970-01-01T00:00:00Z\"",
        "\"2026-02-30T00:00:00Z\"",
        "\"2026-03-02T01:00:00+25:00\"",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    values.push(format!("\"{}\"", "\u{1F600}".repeat(5000)));
    values.push(format!("\"{}\"", "e\u{301}".repeat(3000)));
    values.push(format!("{}1{}", "[".repeat(200), "]".repeat(200)));
    values.push(format!("\"{}\"", "9".repeat(10_000)));
    values
}

/// Whole bodies that are wrong from the first byte.
fn odd_bodies(rng: &mut XorShift) -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "",
        " ",
        "null",
        "[]",
        "{}",
        "0",
        "\"case\"",
        "{\"kind\":",
        "{\"kind\": \"dispute\",}",
        "\u{feff}{}",
        "{\"a\":1}{\"b\":2}",
        "{\"title\": \"\\ud83d\"}",
        "{\"command\": \"archive\"}",
    ]
    .into_iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push(format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes());
    bodies.push(format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000)).into_bytes());
    bodies.push(vec![0xff, 0xfe, 0x00, 0x7b, 0x7d]);
    bodies.push(b"{\"title\": \"\xc3\x28\"}".to_vec());
    for len in [1, 7, 64, 1000, 10_000] {
        bodies.push(rng.bytes(len));
    }
    bodies
}

/// `valid` with the field `field` replaced by the raw JSON text `raw`.
fn replacing(valid: &Value, field: &str, raw: &str) -> Vec<u8> {
    let mut rest = valid.as_object().cloned().unwrap_or_default();
    rest.remove(field);
    let rest = serde_json::to_string(&Value::Object(rest)).expect("json");
    let tail = &rest[1..];
    let separator = if tail == "}" { "" } else { "," };
    format!("{{\"{field}\":{raw}{separator}{tail}").into_bytes()
}

/// A plausible body for each command, to be spoiled one field at a time.
fn command_template(h: &Harness, command: CommandKind) -> Value {
    let due = crate::fixture::rfc3339(h.now() + chrono::Duration::days(3));
    match command {
        CommandKind::Decline => json!({ "reason": "r", "suggested_channel": "litigation" }),
        CommandKind::ResolveAtFirstContact => json!({ "outcome": "settled", "note": "n" }),
        CommandKind::Triage => json!({ "kind": "dispute", "category": "neighbour",
            "complexity": "simple", "urgency": "red", "reason": "r", "case_leader": "王某" }),
        CommandKind::Dispatch => json!({ "lead_unit": h.fx.committee.to_string(),
            "supporting_units": [h.fx.department.to_string()], "due_at": due, "note": "n" }),
        CommandKind::Return | CommandKind::Escalate | CommandKind::Rework => {
            json!({ "reason": "r" })
        }
        CommandKind::RequestExtension => json!({ "until": due, "reason": "r" }),
        CommandKind::RefuseExtension | CommandKind::Supervise => json!({ "note": "n" }),
        CommandKind::Resolve => json!({ "outcome": "not_settled", "note": "n",
            "referral": "litigation" }),
        CommandKind::FollowUp => json!({ "satisfaction": "satisfied", "note": "n" }),
        CommandKind::Archive | CommandKind::Report => json!({}),
        _ => json!({ "note": "n" }),
    }
}

/// What went wrong, collected so that one run shows every offender.
#[derive(Default)]
struct Findings {
    offences: Vec<String>,
    checked: usize,
}

impl Findings {
    /// A 5xx, or a 4xx without the error body (a response to HEAD has no body at all).
    fn check(&mut self, what: &str, reply: &Reply) {
        self.checked += 1;
        let shown = || {
            let text = reply.text();
            let cut: String = text.chars().take(300).collect();
            format!("{what} → {} {cut}", reply.status)
        };
        if reply.status.is_server_error() {
            self.offences.push(format!("5xx: {}", shown()));
        } else if reply.status.is_client_error()
            && !reply.is_error_body()
            && !what.starts_with("HEAD ")
        {
            self.offences
                .push(format!("4xx without the error shape: {}", shown()));
        }
    }
}

async fn no_input_makes_the_server_fail(h: Harness) {
    let fx = &h.fx;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut findings = Findings::default();
    let send = |call: Call| call.send();
    let case = h.dispatched_case(&leak_case()).await;

    // Reports: whole odd bodies, then each field of a valid report spoiled in turn.
    for body in odd_bodies(&mut rng) {
        let reply = send(
            h.post("/api/v1/cases")
                .by(&fx.clerk)
                .raw(Some("application/json"), body.clone()),
        )
        .await;
        findings.check(
            &format!(
                "report {:?}",
                String::from_utf8_lossy(&body[..body.len().min(40)])
            ),
            &reply,
        );
    }
    let mut report = leak_case();
    report["position"] = json!({ "lat": 35.4, "lon": 116.6 });
    report["case_leader"] = json!("王某某");
    let fields: Vec<String> = report
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let party = report["parties"][0].clone();
    for raw in odd_values() {
        for field in &fields {
            let reply = send(
                h.post("/api/v1/cases")
                    .by(&fx.clerk)
                    .raw(Some("application/json"), replacing(&report, field, &raw)),
            )
            .await;
            findings.check(&format!("report {field}={}", shorten(&raw)), &reply);
        }
        for field in ["role", "name", "phone", "id_number", "address"] {
            let spoiled = String::from_utf8(replacing(&party, field, &raw)).expect("utf-8");
            let mut with_party = serde_json::to_string(&report).expect("json");
            with_party = with_party.replacen(
                &serde_json::to_string(&report["parties"]).expect("json"),
                &format!("[{spoiled}]"),
                1,
            );
            let reply = send(
                h.post("/api/v1/cases")
                    .by(&fx.clerk)
                    .raw(Some("application/json"), with_party),
            )
            .await;
            findings.check(&format!("party {field}={}", shorten(&raw)), &reply);
        }
    }

    // Commands: odd bodies and spoiled fields, each at the case's current version.
    for command in CommandKind::ALL {
        let template = command_template(&h, command);
        let mut bodies = odd_bodies(&mut rng);
        let fields: Vec<String> = template
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        for raw in odd_values() {
            for field in &fields {
                bodies.push(replacing(&template, field, &raw));
            }
        }
        for body in bodies {
            let version = h.show(&fx.dispatcher, &case).await["version"]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .expect("version");
            for who in [&fx.dispatcher, &fx.committee_handler] {
                let reply = send(
                    h.post(format!("/api/v1/cases/{}/{command}", case.id))
                        .by(who)
                        .if_match(version)
                        .raw(Some("application/json"), body.clone()),
                )
                .await;
                findings.check(
                    &format!(
                        "{command} by {} {:?}",
                        who.name,
                        shorten(&String::from_utf8_lossy(&body))
                    ),
                    &reply,
                );
            }
        }
    }

    // Odd headers on a command.
    let odd_headers: Vec<(&str, Vec<u8>)> = vec![
        ("if-match", b"*".to_vec()),
        ("if-match", b"W/\"x\"".to_vec()),
        ("if-match", b"\"-1\"".to_vec()),
        ("if-match", b"\"99999999999999999999\"".to_vec()),
        ("if-match", vec![0xe4, 0xb8, 0x80]),
        ("if-match", b"".to_vec()),
        ("idempotency-key", vec![0x80, 0x81]),
        ("idempotency-key", "k".repeat(10_000).into_bytes()),
        ("authorization", b"Bearer".to_vec()),
        ("authorization", b"Bearer    ".to_vec()),
        (
            "authorization",
            vec![b'B', b'e', b'a', b'r', b'e', b'r', b' ', 0xff],
        ),
        (
            "authorization",
            format!("Bearer {}", "t".repeat(10_000)).into_bytes(),
        ),
        ("accept-language", b"en;q=abc,,,".to_vec()),
        ("accept-language", vec![0xff; 16]),
        ("content-type", b"application/json; charset=gbk".to_vec()),
        ("content-type", b"application/problem+json".to_vec()),
        ("content-type", b";;;".to_vec()),
    ];
    for (name, value) in odd_headers {
        let mut call = h
            .post(format!("/api/v1/cases/{}/supervise", case.id))
            .header(
                HeaderName::from_static(name),
                HeaderValue::from_bytes(&value).expect("header bytes"),
            )
            .raw(
                (name != "content-type").then_some("application/json"),
                r#"{"note": "催办"}"#,
            );
        if name != "authorization" {
            call = call.by(&fx.dispatcher);
        }
        if name != "if-match" {
            call = call.if_match(1);
        }
        let reply = send(call).await;
        findings.check(
            &format!("header {name}: {:?}", String::from_utf8_lossy(&value)),
            &reply,
        );
    }

    // Reads: odd ids, codes and queries.
    let long = "9".repeat(5000);
    let odd_segments = [
        "%FF",
        "%00",
        "%E4%B8",
        "..",
        "%2e%2e%2f",
        long.as_str(),
        "01890000-0000-7000-8000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "000000000000000",
        "1e9",
        "-1",
    ];
    for segment in odd_segments {
        for uri in [
            format!("/api/v1/cases/{segment}"),
            format!("/api/v1/cases/{segment}/events"),
            format!("/api/v1/regions/{segment}"),
            format!("/api/v1/units?region={segment}"),
            format!("/api/v1/cases?cursor={segment}"),
            format!("/api/v1/cases?region={segment}"),
            format!("/api/v1/cases?unit={segment}"),
            format!("/api/v1/cases?category={segment}"),
            format!("/api/v1/cases?state={segment}"),
            format!("/api/v1/cases?limit={segment}"),
            format!("/api/v1/cases?overdue={segment}"),
            format!("/api/v1/cases?order={segment}"),
            format!("/api/v1/cases?attention={segment}"),
            format!("/api/v1/cases?open={segment}"),
            format!("/api/v1/cases/{}/{segment}", case.id),
        ] {
            let is_command = uri.starts_with(&format!("/api/v1/cases/{}/", case.id));
            let method = if is_command {
                Method::POST
            } else {
                Method::GET
            };
            let reply = send(h.get(uri.clone()).method(method).by(&fx.dispatcher)).await;
            findings.check(&format!("{uri:.120}"), &reply);
        }
    }
    for query in [
        "state=reported&state=accepted",
        "limit=1&limit=2",
        "&&&",
        "=",
        "limit",
        "overdue",
        "limit=99999999999999999999",
        "region=37&region=3708",
        "%FF=%FF",
    ] {
        let reply = send(h.get(format!("/api/v1/cases?{query}")).by(&fx.dispatcher)).await;
        findings.check(&format!("list ?{query}"), &reply);
    }

    // Every routed path with every method, with and without a token.
    let paths = [
        "/healthz".to_owned(),
        "/api/v1/openapi.json".to_owned(),
        "/api/v1/cases".to_owned(),
        format!("/api/v1/cases/{}", case.id),
        format!("/api/v1/cases/{}/events", case.id),
        format!("/api/v1/cases/{}/accept", case.id),
        "/api/v1/regions/370811".to_owned(),
        "/api/v1/units?region=370811".to_owned(),
        "/api/v1/categories".to_owned(),
        "/".to_owned(),
        "/api".to_owned(),
        "/api/v1".to_owned(),
        "/api/v1/".to_owned(),
    ];
    for path in &paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ] {
            for token in [true, false] {
                let mut call = h
                    .get(path.clone())
                    .method(method.clone())
                    .raw(Some("application/json"), "{}");
                if token {
                    call = call.by(&fx.dispatcher);
                }
                let reply = send(call).await;
                findings.check(&format!("{method} {path} token={token}"), &reply);
            }
        }
    }

    // Bodies over the limit are refused before they are read to the end.
    let limit = hezhi_web::MAX_JSON_BODY;
    let mut huge = leak_case();
    huge["description"] = json!("x".repeat(limit));
    for (what, uri) in [
        ("report", "/api/v1/cases".to_owned()),
        ("command", format!("/api/v1/cases/{}/supervise", case.id)),
    ] {
        let reply = send(h.post(uri).by(&fx.dispatcher).if_match(1).json(&huge)).await;
        assert_eq!(reply.status, 413, "{what} over the limit: {}", reply.text());
        findings.check(&format!("{what} over the limit"), &reply);
    }

    assert!(
        findings.offences.is_empty(),
        "{} of {} responses offend:\n{}",
        findings.offences.len(),
        findings.checked,
        findings.offences.join("\n")
    );
    eprintln!("{} odd requests, none answered 5xx", findings.checked);
}

fn shorten(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_makes_the_server_fail_on_sqlite() {
    on_sqlite(no_input_makes_the_server_fail).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_makes_the_server_fail_on_postgres() {
    on_postgres(no_input_makes_the_server_fail).await;
}
