//! Residents' sign-in by phone over HTTP: a code by SMS (here the recording sender), a
//! session like a staff member's, and in it the resident's own cases and nothing else; the
//! limits on codes and tries; and no phone in the clear.

use crate::fixture::{GRID, case_in};
use crate::harness::{CaseRef, Harness, Reply, audited, on_postgres, on_sqlite};
use chrono::Duration;
use hezhi_store::AuditFilter;
use serde_json::{Value, json};
use std::sync::Arc;

const PHONE: &str = "13500001234";
const OTHER_PHONE: &str = "18600005678";

/// A signed-in resident: the session id of the cookie and the CSRF token.
#[derive(Debug, Clone)]
struct Resident {
    id: String,
    csrf: String,
    json: Value,
}

async fn request_code(h: &Harness, phone: &str) -> Reply {
    h.post("/api/v1/resident/code")
        .json(&json!({ "phone": phone }))
        .send()
        .await
}

async fn present_code(h: &Harness, phone: &str, code: &str) -> Reply {
    h.post("/api/v1/resident/session")
        .json(&json!({ "phone": phone, "code": code }))
        .send()
        .await
}

fn signed(reply: Reply) -> Resident {
    let reply = reply.expect_status(200);
    let cookie = reply
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let id = cookie
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("hezhi_session="))
        .expect("hezhi_session")
        .to_owned();
    Resident {
        id,
        csrf: reply.str("csrf_token").to_owned(),
        json: reply.json,
    }
}

async fn sign_in(h: &Harness, phone: &str) -> Resident {
    request_code(h, phone).await.expect_status(202);
    let code = h.sms.last_code(phone);
    signed(present_code(h, phone, &code).await)
}

fn online_case(title: &str) -> Value {
    let mut body = case_in(GRID, "request", "public_services", title);
    body["channel"] = json!("online");
    body
}

/// Reports `body` as the signed-in resident, with the cookie and the CSRF token.
async fn report(h: &Harness, who: &Resident, body: &Value) -> CaseRef {
    let reply = h
        .post("/api/v1/cases")
        .cookie(&who.id)
        .csrf(&who.csrf)
        .json(body)
        .send()
        .await
        .expect_status(201);
    CaseRef {
        id: reply.str("id").to_owned(),
        version: reply.version(),
    }
}

async fn listed(h: &Harness, who: &Resident) -> Vec<String> {
    h.get("/api/v1/cases")
        .cookie(&who.id)
        .send()
        .await
        .expect_status(200)
        .json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn a_resident_signs_in_by_phone_reports_online_and_follows_up_his_own_case(h: Harness) {
    let fx = &h.fx;
    let sent = request_code(&h, PHONE).await.expect_status(202);
    assert_eq!(sent.json, json!({ "expires_in": 300 }));
    assert_eq!(
        sent.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let messages = h.sms.messages();
    assert_eq!(messages.len(), 1);
    let code = h.sms.last_code(PHONE);
    assert_eq!(messages[0].0, PHONE);
    assert_eq!(
        messages[0].1,
        format!("【和治】您的验证码是{code}，5分钟内有效。")
    );

    let resident = signed(present_code(&h, PHONE, &code).await);
    let name = resident.json["user"]["name"].as_str().expect("name");
    assert!(name.starts_with("居民-1234-"), "{name}");
    assert!(!name.contains(PHONE));
    assert_eq!(
        resident.json["user"]["assignments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(resident.json["user"]["assignments"][0]["role"], "resident");
    assert_eq!(resident.json["must_change_password"], false);
    assert_eq!(resident.json["totp_required"], false);
    let user_id = resident.json["user"]["id"].as_str().expect("id").to_owned();
    h.get("/api/v1/session")
        .cookie(&resident.id)
        .send()
        .await
        .expect_status(200);

    // A write with the cookie needs the CSRF token.
    let refused = h
        .post("/api/v1/cases")
        .cookie(&resident.id)
        .json(&online_case("路灯不亮"))
        .send()
        .await
        .expect_status(403);
    assert_eq!(refused.code(), "csrf_token_invalid");
    let mut his = report(&h, &resident, &online_case("路灯不亮")).await;
    let shown = h
        .get(format!("/api/v1/cases/{}", his.id))
        .cookie(&resident.id)
        .send()
        .await
        .expect_status(200);
    assert_eq!(shown.json["channel"], "online");
    assert_eq!(shown.json["reported_by"], json!(user_id));

    // Another resident, and a case staff took in: neither sees the other's.
    h.clock.advance(Duration::minutes(1));
    let other = sign_in(&h, OTHER_PHONE).await;
    assert_ne!(other.json["user"]["id"], json!(user_id));
    let theirs = report(&h, &other, &online_case("垃圾清运不及时")).await;
    let staffs = h
        .report(
            &fx.clerk,
            &case_in(GRID, "dispute", "neighbour", "邻里噪音"),
        )
        .await;
    assert_eq!(listed(&h, &resident).await, [his.id.clone()]);
    assert_eq!(listed(&h, &other).await, std::slice::from_ref(&theirs.id));
    for hidden in [&theirs, &staffs] {
        h.get(format!("/api/v1/cases/{}", hidden.id))
            .cookie(&resident.id)
            .send()
            .await
            .expect_status(404);
    }
    h.get(format!("/api/v1/cases/{}", his.id))
        .cookie(&other.id)
        .send()
        .await
        .expect_status(404);

    // Staff settle it; the resident rates it, and only he.
    h.step(&fx.clerk, &mut his, "accept", json!({})).await;
    h.step(
        &fx.clerk,
        &mut his,
        "resolve_at_first_contact",
        json!({ "outcome": "handled", "note": "已联系路灯维护单位更换灯泡" }),
    )
    .await;
    h.step(&fx.grid_worker, &mut his, "verify", json!({})).await;
    let follow_up = json!({ "satisfaction": "satisfied", "note": "修好了" });
    h.post(format!("/api/v1/cases/{}/follow_up", his.id))
        .cookie(&other.id)
        .csrf(&other.csrf)
        .if_match(his.version)
        .json(&follow_up)
        .send()
        .await
        .expect_status(404);
    let rated = h
        .post(format!("/api/v1/cases/{}/follow_up", his.id))
        .cookie(&resident.id)
        .csrf(&resident.csrf)
        .if_match(his.version)
        .json(&follow_up)
        .send()
        .await
        .expect_status(200);
    assert_eq!(rated.str("state"), "followed_up");
    let view = h.show(&fx.dispatcher, &his).await;
    assert_eq!(view["satisfaction"], "satisfied");

    // Signing in again finds the same user, and ends the session presented.
    h.clock.advance(Duration::minutes(1));
    request_code(&h, PHONE).await.expect_status(202);
    let code = h.sms.last_code(PHONE);
    let again = signed(
        h.post("/api/v1/resident/session")
            .cookie(&resident.id)
            .json(&json!({ "phone": "+86 135-0000-1234", "code": code }))
            .send()
            .await,
    );
    assert_eq!(again.json["user"]["id"], json!(user_id));
    h.get("/api/v1/session")
        .cookie(&resident.id)
        .send()
        .await
        .expect_status(401);
    assert_eq!(listed(&h, &again).await, [his.id.clone()]);

    // The audit log tells the story with masked phones, never a code or a whole phone.
    let sent = audited(&h.store, "resident_code_sent").await;
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().any(|e| e.detail["phone"] == "135****1234"));
    let signed_in = audited(&h.store, "resident_signed_in").await;
    assert_eq!(signed_in.len(), 3);
    assert_eq!(
        signed_in
            .iter()
            .filter(|e| e.detail["new_user"] == true)
            .count(),
        2
    );
    assert!(
        signed_in
            .iter()
            .any(|e| e.actor.map(|a| a.to_string()) == Some(user_id.clone()))
    );
    let created = audited(&h.store, "user_created").await;
    assert_eq!(
        created
            .iter()
            .filter(|e| e.detail["role"] == "resident" && e.detail["by"] == "resident_sign_in")
            .count(),
        2,
        "one per phone"
    );
    let everything = h
        .store
        .search_audit(&AuditFilter {
            limit: 1000,
            ..AuditFilter::default()
        })
        .await
        .expect("search");
    let text = serde_json::to_string(&everything.iter().map(|e| &e.detail).collect::<Vec<_>>())
        .expect("json");
    for secret in [PHONE, OTHER_PHONE, code.as_str()] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
}

async fn wrong_expired_and_used_codes_are_refused_and_five_wrong_tries_burn_a_code(h: Harness) {
    request_code(&h, PHONE).await.expect_status(202);
    let code = h.sms.last_code(PHONE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let reply = present_code(&h, PHONE, wrong).await.expect_status(401);
        assert_eq!(reply.code(), "invalid_sign_in_code");
        assert!(reply.headers.get("set-cookie").is_none());
    }
    let burnt = present_code(&h, PHONE, &code).await.expect_status(401);
    assert_eq!(burnt.code(), "invalid_sign_in_code");
    let failures = audited(&h.store, "resident_sign_in_failed").await;
    assert_eq!(failures.len(), 6);
    assert_eq!(failures[0].detail["reason"], "burnt");
    assert_eq!(failures[1].detail["reason"], "wrong_code");
    assert_eq!(failures[0].detail["phone"], "135****1234");

    // Expired after five minutes.
    h.clock.advance(Duration::seconds(61));
    request_code(&h, PHONE).await.expect_status(202);
    let code = h.sms.last_code(PHONE);
    h.clock.advance(Duration::minutes(5));
    present_code(&h, PHONE, &code).await.expect_status(401);
    assert_eq!(
        audited(&h.store, "resident_sign_in_failed").await[0].detail["reason"],
        "expired"
    );

    // A code works once; a code is for its phone only.
    h.clock.advance(Duration::seconds(61));
    request_code(&h, PHONE).await.expect_status(202);
    let code = h.sms.last_code(PHONE);
    present_code(&h, OTHER_PHONE, &code)
        .await
        .expect_status(401);
    h.clock.advance(Duration::minutes(4));
    signed(present_code(&h, PHONE, &code).await);
    present_code(&h, PHONE, &code).await.expect_status(401);
    assert_eq!(
        audited(&h.store, "resident_sign_in_failed").await[0].detail["reason"],
        "used"
    );

    // Malformed input is a clear error and counts nothing.
    let bad = present_code(&h, PHONE, "12345").await.expect_status(422);
    assert_eq!(
        (bad.code(), bad.field()),
        ("invalid_code_format", Some("code"))
    );
    let bad = present_code(&h, "12345", "123456").await.expect_status(422);
    assert_eq!((bad.code(), bad.field()), ("invalid_phone", Some("phone")));
    let bad = h
        .post("/api/v1/resident/session")
        .json(&json!({ "phone": PHONE }))
        .send()
        .await
        .expect_status(422);
    assert_eq!(bad.code(), "invalid_body");
    let english = h
        .post("/api/v1/resident/session")
        .english()
        .json(&json!({ "phone": PHONE, "code": "000000" }))
        .send()
        .await
        .expect_status(401);
    assert_eq!(
        english.message(),
        "The code is wrong or no longer valid; request a new one"
    );

    // Failures from one address lock it out like failed staff sign-ins.
    for _ in 0..5 {
        h.post("/api/v1/resident/session")
            .sent_from("203.0.113.9")
            .json(&json!({ "phone": OTHER_PHONE, "code": "000000" }))
            .send()
            .await
            .expect_status(401);
    }
    let locked = h
        .post("/api/v1/resident/session")
        .sent_from("203.0.113.9")
        .json(&json!({ "phone": OTHER_PHONE, "code": "000000" }))
        .send()
        .await
        .expect_status(429);
    assert_eq!(locked.code(), "sign_in_locked");
    assert_eq!(locked.retry_after(), 30);
}

async fn codes_are_sent_at_most_once_a_minute_and_five_times_an_hour(h: Harness) {
    request_code(&h, PHONE).await.expect_status(202);
    h.clock.advance(Duration::seconds(30));
    let soon = request_code(&h, PHONE).await.expect_status(429);
    assert_eq!(soon.code(), "too_many_attempts");
    assert_eq!(soon.retry_after(), 30);
    assert_eq!(h.sms.messages().len(), 1, "nothing sent");
    // Another phone is not held up.
    request_code(&h, OTHER_PHONE).await.expect_status(202);
    h.clock.advance(Duration::seconds(30));
    for n in 2..=5 {
        request_code(&h, PHONE).await.expect_status(202);
        if n < 5 {
            h.clock.advance(Duration::seconds(60));
        }
    }
    // Five sent from 0 s to 240 s: the sixth waits for the hour to pass.
    h.clock.advance(Duration::seconds(60));
    let sixth = request_code(&h, PHONE).await.expect_status(429);
    assert_eq!(sixth.retry_after(), 3600 - 300);
    h.clock.advance(Duration::seconds(3600 - 300));
    request_code(&h, PHONE).await.expect_status(202);
    assert_eq!(
        h.sms
            .messages()
            .iter()
            .filter(|(to, _)| to == PHONE)
            .count(),
        6
    );

    // One address asks for ten codes freely, then waits.
    for n in 0..10 {
        h.post("/api/v1/resident/code")
            .sent_from("198.51.100.4")
            .json(&json!({ "phone": format!("1390000{n:04}") }))
            .send()
            .await
            .expect_status(202);
    }
    let busy = h
        .post("/api/v1/resident/code")
        .sent_from("198.51.100.4")
        .json(&json!({ "phone": "13900009999" }))
        .send()
        .await
        .expect_status(429);
    assert_eq!(busy.code(), "too_many_attempts");
    assert_eq!(busy.retry_after(), 30);
    h.post("/api/v1/resident/code")
        .sent_from("198.51.100.5")
        .json(&json!({ "phone": "13900009999" }))
        .send()
        .await
        .expect_status(202);
}

async fn known_and_unknown_phones_get_the_same_answer(h: Harness) {
    sign_in(&h, PHONE).await;
    h.clock.advance(Duration::minutes(2));
    let known = request_code(&h, PHONE).await;
    let unknown = request_code(&h, OTHER_PHONE).await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.bytes, unknown.bytes);
    let names = |r: &Reply| {
        let mut names: Vec<String> = r.headers.keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&known), names(&unknown));
    // Malformed phones are refused alike, known or not.
    let bad = request_code(&h, "1350000123").await.expect_status(422);
    assert_eq!((bad.code(), bad.field()), ("invalid_phone", Some("phone")));
}

async fn a_resident_session_has_no_staff_rights(h: Harness) {
    let resident = sign_in(&h, PHONE).await;
    for (uri, body) in [
        (
            "/api/v1/session/password",
            json!({ "current": "anything-at-all", "new": "sorrel-kettle-41" }),
        ),
        ("/api/v1/session/totp", json!({})),
        ("/api/v1/session/totp/confirm", json!({ "code": "123456" })),
    ] {
        let reply = h
            .post(uri)
            .cookie(&resident.id)
            .csrf(&resident.csrf)
            .json(&body)
            .send()
            .await
            .expect_status(403);
        assert_eq!(reply.code(), "staff_only", "{uri}");
    }
    let token = h
        .store
        .api_tokens_of(h.fx.clerk.id)
        .await
        .expect("tokens")
        .pop()
        .expect("the clerk's token");
    let refused = h
        .delete(format!("/api/v1/tokens/{}", token.id))
        .cookie(&resident.id)
        .csrf(&resident.csrf)
        .send()
        .await
        .expect_status(403);
    assert_eq!(refused.code(), "staff_only");
    // No administration either.
    h.get("/api/v1/users")
        .cookie(&resident.id)
        .send()
        .await
        .expect_status(403);
    // Nor does the staff sign-in take his name.
    let name = resident.json["user"]["name"].as_str().expect("name");
    h.post("/api/v1/session")
        .json(&json!({ "name": name, "password": "anything-at-all" }))
        .send()
        .await
        .expect_status(401);
    // The session still works, and signs out like any other.
    h.get("/api/v1/cases")
        .cookie(&resident.id)
        .send()
        .await
        .expect_status(200);
    h.delete("/api/v1/session")
        .cookie(&resident.id)
        .csrf(&resident.csrf)
        .send()
        .await
        .expect_status(204);
    h.get("/api/v1/cases")
        .cookie(&resident.id)
        .send()
        .await
        .expect_status(401);
}

/// The SQLite file, every byte of it and of its write-ahead log, after residents signed in
/// and reported: their phones are nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_resident_phone_is_stored_in_the_clear_on_sqlite() {
    let file = crate::harness::SqliteFile::open().await;
    let h = Harness::new(Arc::new(file.store.clone())).await;
    let resident = sign_in(&h, PHONE).await;
    report(&h, &resident, &online_case("楼道灯坏了")).await;
    request_code(&h, OTHER_PHONE).await.expect_status(202);
    assert!(
        file.close_and_find("楼道灯坏了").await,
        "the scan reads the cases"
    );
    for phone in [PHONE, OTHER_PHONE] {
        assert!(
            !file.close_and_find(phone).await,
            "{phone} is in the database file"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_signs_in_by_phone_reports_online_and_follows_up_his_own_case_on_sqlite() {
    on_sqlite(a_resident_signs_in_by_phone_reports_online_and_follows_up_his_own_case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_signs_in_by_phone_reports_online_and_follows_up_his_own_case_on_postgres() {
    on_postgres(a_resident_signs_in_by_phone_reports_online_and_follows_up_his_own_case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_expired_and_used_codes_are_refused_and_five_wrong_tries_burn_a_code_on_sqlite() {
    on_sqlite(wrong_expired_and_used_codes_are_refused_and_five_wrong_tries_burn_a_code).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_expired_and_used_codes_are_refused_and_five_wrong_tries_burn_a_code_on_postgres() {
    on_postgres(wrong_expired_and_used_codes_are_refused_and_five_wrong_tries_burn_a_code).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_sent_at_most_once_a_minute_and_five_times_an_hour_on_sqlite() {
    on_sqlite(codes_are_sent_at_most_once_a_minute_and_five_times_an_hour).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_sent_at_most_once_a_minute_and_five_times_an_hour_on_postgres() {
    on_postgres(codes_are_sent_at_most_once_a_minute_and_five_times_an_hour).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_phones_get_the_same_answer_on_sqlite() {
    on_sqlite(known_and_unknown_phones_get_the_same_answer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_phones_get_the_same_answer_on_postgres() {
    on_postgres(known_and_unknown_phones_get_the_same_answer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_session_has_no_staff_rights_on_sqlite() {
    on_sqlite(a_resident_session_has_no_staff_rights).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_session_has_no_staff_rights_on_postgres() {
    on_postgres(a_resident_session_has_no_staff_rights).await;
}
