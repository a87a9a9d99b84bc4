//! Bad input (DESIGN §5): a 4xx with `{"error": {"code", "message", "field"?}}` that names
//! the field, a Chinese message unless the client asks for English, and nothing written.

use crate::fixture::{OTHER_VILLAGE, leak_case};
use crate::harness::{Call, Harness, on_postgres, on_sqlite};
use serde_json::{Value, json};

/// One bad request and what it must get back.
struct Expect {
    what: &'static str,
    call: Call,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

fn with(mut body: Value, path: &[&str], value: Value) -> Value {
    let mut slot = &mut body;
    for step in path {
        slot = match step.parse::<usize>() {
            Ok(index) => &mut slot[index],
            Err(_) => &mut slot[*step],
        };
    }
    *slot = value;
    body
}

async fn bad_requests_get_a_clear_error_naming_the_field_and_write_nothing(h: Harness) {
    let fx = &h.fx;
    let triaged = h.triaged_case(&leak_case()).await;
    let command = |name: &str| {
        h.post(format!("/api/v1/cases/{}/{name}", triaged.id))
            .by(&fx.dispatcher)
            .if_match(triaged.version)
    };
    let report = |body: Value| h.post("/api/v1/cases").by(&fx.clerk).json(&body);
    let due = crate::fixture::rfc3339(h.now() + chrono::Duration::days(3));

    let cases = vec![
        Expect {
            what: "a region that does not exist",
            call: report(with(leak_case(), &["region"], json!("370811002009"))),
            status: 422,
            code: "unknown_region",
            field: Some("region"),
        },
        Expect {
            what: "a malformed region code",
            call: report(with(leak_case(), &["region"], json!("37081100200"))),
            status: 422,
            code: "invalid_region_code",
            field: Some("region"),
        },
        Expect {
            what: "a town instead of a village or grid",
            call: report(with(leak_case(), &["region"], json!("370811002"))),
            status: 422,
            code: "region_not_village_or_grid",
            field: Some("region"),
        },
        Expect {
            what: "a category that does not exist",
            call: report(with(leak_case(), &["category"], json!("dragons"))),
            status: 422,
            code: "unknown_category",
            field: Some("category"),
        },
        Expect {
            what: "a category of another kind",
            call: report(with(leak_case(), &["category"], json!("fire_safety"))),
            status: 422,
            code: "unknown_category",
            field: Some("category"),
        },
        Expect {
            what: "an unknown kind",
            call: report(with(leak_case(), &["kind"], json!("quarrel"))),
            status: 422,
            code: "invalid_value",
            field: Some("kind"),
        },
        Expect {
            what: "an ID number with a wrong check digit",
            call: report(with(
                leak_case(),
                &["parties", "0", "id_number"],
                json!("370811199203213388"),
            )),
            status: 422,
            code: "invalid_id_number",
            field: Some("parties[0].id_number"),
        },
        Expect {
            what: "a landline instead of a mobile number",
            call: report(with(
                leak_case(),
                &["parties", "1", "phone"],
                json!("0537-2345678"),
            )),
            status: 422,
            code: "invalid_phone",
            field: Some("parties[1].phone"),
        },
        Expect {
            what: "a title of 101 characters",
            call: report(with(leak_case(), &["title"], json!("漏".repeat(101)))),
            status: 422,
            code: "too_long",
            field: Some("title"),
        },
        Expect {
            what: "a description of 5001 characters",
            call: report(with(
                leak_case(),
                &["description"],
                json!("水".repeat(5001)),
            )),
            status: 422,
            code: "too_long",
            field: Some("description"),
        },
        Expect {
            what: "a blank title",
            call: report(with(leak_case(), &["title"], json!(" \t "))),
            status: 422,
            code: "required",
            field: Some("title"),
        },
        Expect {
            what: "a missing description",
            call: report(
                leak_case()
                    .as_object()
                    .map(|o| {
                        let mut o = o.clone();
                        o.remove("description");
                        Value::Object(o)
                    })
                    .expect("object"),
            ),
            status: 422,
            code: "invalid_body",
            field: Some("description"),
        },
        Expect {
            what: "an unknown field",
            call: report(with(leak_case(), &["colour"], json!("red"))),
            status: 422,
            code: "invalid_body",
            field: Some("colour"),
        },
        Expect {
            what: "a position off the globe",
            call: report(with(
                leak_case(),
                &["position"],
                json!({ "lat": 135.0, "lon": 116.6 }),
            )),
            status: 422,
            code: "invalid_position",
            field: Some("position"),
        },
        Expect {
            what: "invalid JSON",
            call: h
                .post("/api/v1/cases")
                .by(&fx.clerk)
                .raw(Some("application/json"), r#"{"kind": "dispute","#),
            status: 400,
            code: "invalid_json",
            field: None,
        },
        Expect {
            what: "a form instead of JSON",
            call: h.post("/api/v1/cases").by(&fx.clerk).raw(
                Some("application/x-www-form-urlencoded"),
                "kind=dispute&title=x",
            ),
            status: 415,
            code: "unsupported_media_type",
            field: None,
        },
        Expect {
            what: "JSON without a content type",
            call: h
                .post("/api/v1/cases")
                .by(&fx.clerk)
                .raw(None, serde_json::to_vec(&leak_case()).expect("json")),
            status: 415,
            code: "unsupported_media_type",
            field: None,
        },
        Expect {
            what: "a report outside the clerk's town",
            call: report(with(leak_case(), &["region"], json!(OTHER_VILLAGE))),
            status: 403,
            code: "forbidden",
            field: None,
        },
        Expect {
            what: "no token",
            call: h.post("/api/v1/cases").json(&leak_case()),
            status: 401,
            code: "unauthenticated",
            field: None,
        },
        Expect {
            what: "a token nobody was given",
            call: h
                .post("/api/v1/cases")
                .bearer("hz_not-a-real-token")
                .json(&leak_case()),
            status: 401,
            code: "unauthenticated",
            field: None,
        },
        Expect {
            what: "a basic-auth header",
            call: h
                .get("/api/v1/cases")
                .text_header("authorization", "Basic ZGlzcGF0Y2hlcjpwYXNz"),
            status: 401,
            code: "unauthenticated",
            field: None,
        },
        Expect {
            what: "a dispatch to a unit that does not exist",
            call: command("dispatch").json(&json!({
                "lead_unit": "01890000-0000-7000-8000-000000000000", "due_at": due })),
            status: 422,
            code: "unknown_unit",
            field: Some("lead_unit"),
        },
        Expect {
            what: "a supporting unit that does not exist",
            call: command("dispatch").json(&json!({
                "lead_unit": fx.committee.to_string(),
                "supporting_units": ["01890000-0000-7000-8000-000000000001"], "due_at": due })),
            status: 422,
            code: "unknown_unit",
            field: Some("supporting_units"),
        },
        Expect {
            what: "a supporting unit that is not an id",
            call: command("dispatch").json(&json!({
                "lead_unit": fx.committee.to_string(),
                "supporting_units": [fx.committee.to_string(), 42], "due_at": due })),
            status: 422,
            code: "invalid_body",
            field: Some("supporting_units[1]"),
        },
        Expect {
            what: "a dispatch to a unit of another county",
            call: command("dispatch").json(&json!({
                "lead_unit": fx.other_county_unit.to_string(), "due_at": due })),
            status: 422,
            code: "unit_not_responsible",
            field: Some("lead_unit"),
        },
        Expect {
            what: "a lead unit that also supports",
            call: command("dispatch").json(&json!({
                "lead_unit": fx.committee.to_string(),
                "supporting_units": [fx.committee.to_string()], "due_at": due })),
            status: 422,
            code: "lead_unit_also_supporting",
            field: Some("supporting_units"),
        },
        Expect {
            what: "a due time in the past",
            call: command("dispatch").json(&json!({
                "lead_unit": fx.committee.to_string(), "due_at": "2026-03-01T00:00:00Z" })),
            status: 422,
            code: "due_in_the_past",
            field: Some("due_at"),
        },
        Expect {
            what: "a lead unit that is not a UUID",
            call: command("dispatch").json(&json!({
                "lead_unit": "调委会", "due_at": due })),
            status: 422,
            code: "invalid_body",
            field: Some("lead_unit"),
        },
        Expect {
            what: "an unknown command",
            call: command("teleport").json(&json!({})),
            status: 404,
            code: "unknown_command",
            field: None,
        },
        Expect {
            what: "report is not a command on an existing case",
            call: command("report").json(&json!({})),
            status: 404,
            code: "unknown_command",
            field: None,
        },
        Expect {
            what: "a command not allowed in the current state",
            call: command("archive"),
            status: 409,
            code: "command_not_allowed",
            field: None,
        },
        Expect {
            what: "a command without If-Match",
            call: h
                .post(format!("/api/v1/cases/{}/supervise", triaged.id))
                .by(&fx.dispatcher)
                .json(&json!({ "note": "催办" })),
            status: 428,
            code: "version_required",
            field: None,
        },
        Expect {
            what: "a command with a stale If-Match",
            call: h
                .post(format!("/api/v1/cases/{}/supervise", triaged.id))
                .by(&fx.dispatcher)
                .if_match(1)
                .json(&json!({ "note": "催办" })),
            status: 412,
            code: "version_mismatch",
            field: None,
        },
        Expect {
            what: "a command on a case that does not exist",
            call: h
                .post("/api/v1/cases/01890000-0000-7000-8000-000000000000/accept")
                .by(&fx.dispatcher)
                .if_match(1),
            status: 404,
            code: "not_found",
            field: None,
        },
        Expect {
            what: "a case id that is not a UUID",
            call: h.get("/api/v1/cases/370811-2026-000001").by(&fx.dispatcher),
            status: 404,
            code: "not_found",
            field: None,
        },
        Expect {
            what: "a path outside the API",
            call: h.get("/api/v2/cases").by(&fx.dispatcher),
            status: 404,
            code: "not_found",
            field: None,
        },
        Expect {
            what: "a command body with an unknown field",
            call: command("supervise").json(&json!({ "note": "催办", "priority": 1 })),
            status: 422,
            code: "invalid_body",
            field: Some("priority"),
        },
        Expect {
            what: "a note over 2000 characters",
            call: command("supervise").json(&json!({ "note": "催".repeat(2001) })),
            status: 422,
            code: "too_long",
            field: Some("note"),
        },
    ];

    let before = h.counts().await;
    for expect in cases {
        let reply = expect.call.send().await;
        let what = expect.what;
        assert_eq!(
            reply.status.as_u16(),
            expect.status,
            "{what}: {}",
            reply.text()
        );
        assert!(reply.is_error_body(), "{what}: {}", reply.text());
        assert_eq!(reply.code(), expect.code, "{what}: {}", reply.text());
        assert_eq!(reply.field(), expect.field, "{what}: {}", reply.text());
        assert!(
            reply
                .message()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{what}: the message is Chinese by default: {}",
            reply.message()
        );
        assert_eq!(h.counts().await, before, "{what} wrote nothing");
    }
}

async fn error_messages_are_chinese_by_default_and_english_on_request(h: Harness) {
    let fx = &h.fx;
    let body = json!({ "region": "370811002009" });
    let mut case = leak_case();
    case["region"] = body["region"].clone();
    let chinese = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .json(&case)
        .send()
        .await
        .expect_status(422);
    assert_eq!(chinese.message(), "区划代码不存在");
    let english = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .english()
        .json(&case)
        .send()
        .await
        .expect_status(422);
    assert_eq!(english.message(), "No such region");
    assert_eq!(english.code(), chinese.code());
    assert_eq!(english.field(), Some("region"));

    let reported = h.report(&fx.clerk, &leak_case()).await;
    let zh = h
        .command(&fx.dispatcher, &reported, "verify", &json!({}))
        .await
        .expect_status(409);
    assert_eq!(zh.message(), "事件当前状态下不能进行此操作");
    let detail = zh.json["error"]["detail"].as_str().expect("detail");
    assert!(
        detail.contains("reported") && detail.contains("verify"),
        "the detail names the state and the command: {detail}"
    );
    let en = h
        .post(format!("/api/v1/cases/{}/verify", reported.id))
        .by(&fx.dispatcher)
        .if_match(1)
        .english()
        .send()
        .await
        .expect_status(409);
    assert_eq!(en.message(), "Not allowed in the case's current state");

    let unauthenticated = h
        .get("/api/v1/cases")
        .text_header("accept-language", "en")
        .send()
        .await
        .expect_status(401);
    assert_eq!(
        unauthenticated.message(),
        "Sign in or send a valid API token"
    );
    let zh_first = h
        .get("/api/v1/cases")
        .text_header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .send()
        .await
        .expect_status(401);
    assert_eq!(zh_first.message(), "请先登录或提供有效的访问令牌");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_a_clear_error_naming_the_field_and_write_nothing_on_sqlite() {
    on_sqlite(bad_requests_get_a_clear_error_naming_the_field_and_write_nothing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_a_clear_error_naming_the_field_and_write_nothing_on_postgres() {
    on_postgres(bad_requests_get_a_clear_error_naming_the_field_and_write_nothing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_messages_are_chinese_by_default_and_english_on_request_on_sqlite() {
    on_sqlite(error_messages_are_chinese_by_default_and_english_on_request).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_messages_are_chinese_by_default_and_english_on_request_on_postgres() {
    on_postgres(error_messages_are_chinese_by_default_and_english_on_request).await;
}
