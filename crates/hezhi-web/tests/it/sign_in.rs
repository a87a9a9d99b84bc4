//! Staff sign-in over HTTP: sessions and their cookie, CSRF, rotation, timeouts, lockout,
//! the first-sign-in flow of administrators with TOTP, token revocation, and the audit
//! records all of it leaves.

use crate::fixture::{Person, VILLAGE, case_in};
use crate::harness::{
    Harness, Reply, audited, on_empty_postgres, on_empty_sqlite, on_postgres, on_sqlite,
    start_of_test,
};
use chrono::Duration;
use hezhi_app::{App, ManualClock, SignInPolicy};
use hezhi_store::Store;
use serde_json::{Value, json};
use std::sync::Arc;

const PASSWORD: &str = "sorrel-kettle-41";
const OTHER_PASSWORD: &str = "lantern-quarry-77";

/// A signed-in client: the session id from the cookie and the CSRF token from the body.
#[derive(Debug, Clone)]
struct Signed {
    id: String,
    csrf: String,
    json: Value,
}

/// The attributes of the `hezhi_session` cookie a reply sets (value first).
fn set_cookie(reply: &Reply) -> Vec<String> {
    let header = reply
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Set-Cookie in {:?}", reply.headers));
    header
        .split(';')
        .map(|part| part.trim().to_owned())
        .collect()
}

fn signed(reply: Reply) -> Signed {
    let reply = reply.expect_status(200);
    let cookie = set_cookie(&reply);
    let id = cookie[0]
        .strip_prefix("hezhi_session=")
        .expect("the session cookie")
        .to_owned();
    assert_eq!(id.len(), 64, "32 random bytes, hex");
    Signed {
        id,
        csrf: reply.str("csrf_token").to_owned(),
        json: reply.json,
    }
}

async fn set_password(h: &Harness, who: &Person, password: &str) {
    h.app
        .set_password(&who.name, password, false)
        .await
        .expect("set password");
}

async fn attempt(h: &Harness, name: &str, password: &str, totp: Option<&str>) -> Reply {
    let mut body = json!({ "name": name, "password": password });
    if let Some(code) = totp {
        body["totp"] = json!(code);
    }
    h.post("/api/v1/session").json(&body).send().await
}

async fn sign_in(h: &Harness, name: &str, password: &str) -> Signed {
    signed(attempt(h, name, password, None).await)
}

async fn the_cookie_authenticates_reads_and_csrf_checked_writes(h: Harness) {
    let fx = &h.fx;
    set_password(&h, &fx.clerk, PASSWORD).await;
    let reply = attempt(&h, "clerk", PASSWORD, None)
        .await
        .expect_status(200);
    let cookie = set_cookie(&reply);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.iter().any(|a| a == attribute), "{cookie:?}");
    }
    assert!(
        !cookie.iter().any(|a| a == "Secure"),
        "not over TLS: {cookie:?}"
    );
    assert_eq!(
        reply.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let session = signed(reply);
    assert_eq!(session.json["user"]["name"], "clerk");
    assert_eq!(
        session.json["user"]["assignments"][0]["role"],
        "intake_clerk"
    );
    assert_eq!(
        session.json["user"]["assignments"][0]["region"],
        crate::fixture::TOWN
    );
    assert_eq!(session.json["must_change_password"], false);
    assert_eq!(session.json["totp_required"], false);
    assert_eq!(session.csrf.len(), 64);

    h.get("/api/v1/cases")
        .cookie(&session.id)
        .send()
        .await
        .expect_status(200);
    let shown = h
        .get("/api/v1/session")
        .cookie(&session.id)
        .send()
        .await
        .expect_status(200);
    assert_eq!(shown.str("csrf_token"), session.csrf);

    // A write by cookie needs the session's CSRF token; refused ones write nothing.
    let body = case_in(VILLAGE, "dispute", "neighbour", "门前堆放杂物");
    let before = h.counts().await;
    let missing = h
        .post("/api/v1/cases")
        .cookie(&session.id)
        .json(&body)
        .send()
        .await
        .expect_status(403);
    assert_eq!(missing.code(), "csrf_token_invalid");
    assert!(missing.is_error_body());
    let wrong = h
        .post("/api/v1/cases")
        .cookie(&session.id)
        .csrf(&"0".repeat(64))
        .json(&body)
        .send()
        .await
        .expect_status(403);
    assert_eq!(wrong.code(), "csrf_token_invalid");
    let other_session = sign_in(&h, "clerk", PASSWORD).await;
    h.post("/api/v1/cases")
        .cookie(&session.id)
        .csrf(&other_session.csrf)
        .json(&body)
        .send()
        .await
        .expect_status(403);
    assert_eq!(h.counts().await, before, "refused writes change nothing");
    h.post("/api/v1/cases")
        .cookie(&session.id)
        .csrf(&session.csrf)
        .json(&body)
        .send()
        .await
        .expect_status(201);
    // A bearer token carries no ambient credentials and needs no CSRF token.
    h.post("/api/v1/cases")
        .by(&fx.clerk)
        .json(&body)
        .send()
        .await
        .expect_status(201);

    // Signing out is a write too.
    h.delete("/api/v1/session")
        .cookie(&session.id)
        .send()
        .await
        .expect_status(403);
    let out = h
        .delete("/api/v1/session")
        .cookie(&session.id)
        .csrf(&session.csrf)
        .send()
        .await
        .expect_status(204);
    let cleared = set_cookie(&out);
    assert_eq!(cleared[0], "hezhi_session=");
    assert!(cleared.iter().any(|a| a == "Max-Age=0"));
    let after = h
        .get("/api/v1/cases")
        .cookie(&session.id)
        .send()
        .await
        .expect_status(401);
    assert_eq!(after.code(), "unauthenticated");
    h.get("/api/v1/cases")
        .cookie(&other_session.id)
        .send()
        .await
        .expect_status(200);

    let sign_ins = audited(&h.store, "sign_in").await;
    assert_eq!(sign_ins.len(), 2);
    assert!(sign_ins.iter().all(|e| e.actor == Some(fx.clerk.id)));
    assert!(sign_ins.iter().all(|e| e.chain == "-"), "the system chain");
    let sign_outs = audited(&h.store, "sign_out").await;
    assert_eq!(sign_outs.len(), 1);
    assert_eq!(sign_outs[0].actor, Some(fx.clerk.id));
}

async fn sign_in_rotates_the_session_and_a_password_change_ends_them_all(h: Harness) {
    let fx = &h.fx;
    set_password(&h, &fx.dispatcher, PASSWORD).await;
    let first = sign_in(&h, "dispatcher", PASSWORD).await;
    // Signing in again from the same browser: a new id, and the old one is dead.
    let second = signed(
        h.post("/api/v1/session")
            .cookie(&first.id)
            .json(&json!({ "name": "dispatcher", "password": PASSWORD }))
            .send()
            .await,
    );
    assert_ne!(first.id, second.id);
    assert_ne!(first.csrf, second.csrf);
    h.get("/api/v1/cases")
        .cookie(&first.id)
        .send()
        .await
        .expect_status(401);
    let elsewhere = sign_in(&h, "dispatcher", PASSWORD).await;
    h.get("/api/v1/cases")
        .cookie(&second.id)
        .send()
        .await
        .expect_status(200);

    // A password change needs the CSRF token and the current password.
    let change = json!({ "current": PASSWORD, "new": OTHER_PASSWORD });
    h.post("/api/v1/session/password")
        .cookie(&second.id)
        .json(&change)
        .send()
        .await
        .expect_status(403);
    let wrong = h
        .post("/api/v1/session/password")
        .cookie(&second.id)
        .csrf(&second.csrf)
        .json(&json!({ "current": "not-the-password", "new": OTHER_PASSWORD }))
        .send()
        .await
        .expect_status(422);
    assert_eq!(wrong.code(), "wrong_password");
    assert_eq!(wrong.field(), Some("current"));
    let changed = signed(
        h.post("/api/v1/session/password")
            .cookie(&second.id)
            .csrf(&second.csrf)
            .json(&change)
            .send()
            .await,
    );
    for old in [&second, &elsewhere] {
        h.get("/api/v1/cases")
            .cookie(&old.id)
            .send()
            .await
            .expect_status(401);
    }
    h.get("/api/v1/cases")
        .cookie(&changed.id)
        .send()
        .await
        .expect_status(200);
    attempt(&h, "dispatcher", PASSWORD, None)
        .await
        .expect_status(401);
    sign_in(&h, "dispatcher", OTHER_PASSWORD).await;
    let records = audited(&h.store, "password_changed").await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].actor, Some(fx.dispatcher.id));
    let text = serde_json::to_string(&records[0]).expect("json");
    assert!(!text.contains(PASSWORD) && !text.contains(OTHER_PASSWORD));
}

async fn sessions_end_after_the_idle_and_the_absolute_timeout(h: Harness) {
    set_password(&h, &h.fx.grid_worker, PASSWORD).await;
    let session = sign_in(&h, "grid_worker", PASSWORD).await;
    let ok = |id: String| {
        let call = h.get("/api/v1/cases").cookie(&id);
        async move { call.send().await.status.as_u16() }
    };
    // Used every 29 minutes it lives on; 31 minutes unused end it.
    h.clock.advance(Duration::minutes(29));
    assert_eq!(ok(session.id.clone()).await, 200);
    h.clock.advance(Duration::minutes(29));
    assert_eq!(ok(session.id.clone()).await, 200);
    h.clock.advance(Duration::minutes(31));
    assert_eq!(ok(session.id.clone()).await, 401);

    // However busy, it ends 12 hours after sign-in.
    let busy = sign_in(&h, "grid_worker", PASSWORD).await;
    for _ in 0..28 {
        h.clock.advance(Duration::minutes(25));
        assert_eq!(ok(busy.id.clone()).await, 200);
    }
    // 11 h 40 min now.
    h.clock.advance(Duration::minutes(19));
    assert_eq!(ok(busy.id.clone()).await, 200);
    h.clock.advance(Duration::minutes(1));
    assert_eq!(ok(busy.id.clone()).await, 401, "12 hours after sign-in");
}

async fn failed_sign_ins_lock_the_account_with_growing_waits(h: Harness) {
    set_password(&h, &h.fx.dispatcher, PASSWORD).await;
    for n in 1..=5 {
        let reply = attempt(&h, "dispatcher", &format!("guess-number-{n}"), None)
            .await
            .expect_status(401);
        assert_eq!(reply.code(), "invalid_credentials");
    }
    // Locked: the right password and a wrong one get the same answer.
    let right = attempt(&h, "dispatcher", PASSWORD, None)
        .await
        .expect_status(429);
    let wrong = attempt(&h, "dispatcher", "guess-number-6", None)
        .await
        .expect_status(429);
    for reply in [&right, &wrong] {
        assert_eq!(reply.code(), "sign_in_locked");
        assert_eq!(reply.retry_after(), 30);
        assert!(reply.is_error_body());
    }
    assert_eq!(right.json, wrong.json);
    // An unknown name is counted the same way (nothing tells names apart).
    for n in 1..=5 {
        attempt(&h, "nobody", &format!("guess-number-{n}"), None)
            .await
            .expect_status(401);
    }
    attempt(&h, "nobody", "guess", None)
        .await
        .expect_status(429);

    // After the wait, one more failure doubles it.
    h.clock.advance(Duration::seconds(31));
    attempt(&h, "dispatcher", "guess-number-7", None)
        .await
        .expect_status(401);
    let locked = attempt(&h, "dispatcher", PASSWORD, None)
        .await
        .expect_status(429);
    assert_eq!(locked.retry_after(), 60);
    h.clock.advance(Duration::seconds(59));
    attempt(&h, "dispatcher", PASSWORD, None)
        .await
        .expect_status(429);
    h.clock.advance(Duration::seconds(1));
    sign_in(&h, "dispatcher", PASSWORD).await;
    // A success clears the account's count.
    for n in 1..=4 {
        attempt(&h, "dispatcher", &format!("guess-again-{n}"), None)
            .await
            .expect_status(401);
    }
    sign_in(&h, "dispatcher", PASSWORD).await;

    // The wait stops growing at an hour.
    for n in 0..12 {
        let reply = attempt(&h, "dispatcher", &format!("cap-{n}"), None).await;
        assert_eq!(reply.status, 401, "attempt {n}: {}", reply.text());
        h.clock.advance(Duration::hours(1));
    }
    attempt(&h, "dispatcher", "cap-last", None)
        .await
        .expect_status(401);
    let capped = attempt(&h, "dispatcher", PASSWORD, None)
        .await
        .expect_status(429);
    assert_eq!(capped.retry_after(), 3600);

    // The audit log names the name tried, never the password.
    let failures = audited(&h.store, "sign_in_failed").await;
    assert!(failures.len() >= 5 + 1 + 5 + 4 + 13, "{}", failures.len());
    assert!(failures.iter().any(|e| e.detail["name"] == "nobody"
        && e.detail["reason"] == "unknown_name"
        && e.actor.is_none()));
    assert!(
        failures
            .iter()
            .any(|e| e.detail["name"] == "dispatcher" && e.actor == Some(h.fx.dispatcher.id))
    );
    for entry in &failures {
        let text = entry.detail.to_string();
        assert!(!text.contains("guess") && !text.contains("cap-") && !text.contains(PASSWORD));
    }
    let locks = audited(&h.store, "sign_in_locked").await;
    assert!(locks.iter().any(|e| e.detail["scope"] == "account"
        && e.detail["key"] == "dispatcher"
        && e.detail["failures"] == 5));
}

async fn failed_sign_ins_are_counted_per_client_address_too(h: Harness) {
    set_password(&h, &h.fx.clerk, PASSWORD).await;
    set_password(&h, &h.fx.dispatcher, PASSWORD).await;
    // One guess at each of five names from one address…
    for name in ["a1", "b2", "c3", "dispatcher", "e5"] {
        h.post("/api/v1/session")
            .sent_from("198.51.100.7")
            .json(&json!({ "name": name, "password": "spray-spray-1" }))
            .send()
            .await
            .expect_status(401);
    }
    // …locks that address for every name, the right password included.
    let locked = h
        .post("/api/v1/session")
        .sent_from("198.51.100.7")
        .json(&json!({ "name": "clerk", "password": PASSWORD }))
        .send()
        .await
        .expect_status(429);
    assert_eq!(locked.code(), "sign_in_locked");
    assert_eq!(locked.retry_after(), 30);
    // The same accounts from elsewhere are fine.
    for name in ["clerk", "dispatcher"] {
        signed(
            h.post("/api/v1/session")
                .sent_from("203.0.113.20")
                .json(&json!({ "name": name, "password": PASSWORD }))
                .send()
                .await,
        );
    }
    // A success elsewhere does not clear the address; its wait does.
    h.post("/api/v1/session")
        .sent_from("198.51.100.7")
        .json(&json!({ "name": "clerk", "password": PASSWORD }))
        .send()
        .await
        .expect_status(429);
    h.clock.advance(Duration::seconds(30));
    signed(
        h.post("/api/v1/session")
            .sent_from("198.51.100.7")
            .json(&json!({ "name": "clerk", "password": PASSWORD }))
            .send()
            .await,
    );
    let failures = audited(&h.store, "sign_in_failed").await;
    assert!(
        failures
            .iter()
            .all(|e| e.detail["address"] == "198.51.100.7"),
        "the address is recorded"
    );
    let locks = audited(&h.store, "sign_in_locked").await;
    assert!(
        locks
            .iter()
            .any(|e| e.detail["scope"] == "address" && e.detail["key"] == "198.51.100.7")
    );
}

async fn an_administrator_changes_the_first_password_then_enrols_totp(h: Harness) {
    let fx = &h.fx;
    h.app
        .set_password("admin", "initial-secret-9", true)
        .await
        .expect("temporary password");
    let first = sign_in(&h, "admin", "initial-secret-9").await;
    assert_eq!(first.json["must_change_password"], true);
    assert_eq!(first.json["totp_required"], true);
    // Until the password is changed, nothing else.
    let blocked = h
        .get("/api/v1/cases")
        .cookie(&first.id)
        .send()
        .await
        .expect_status(403);
    assert_eq!(blocked.code(), "password_change_required");
    let blocked = h
        .post("/api/v1/session/totp")
        .cookie(&first.id)
        .csrf(&first.csrf)
        .send()
        .await
        .expect_status(403);
    assert_eq!(blocked.code(), "password_change_required");

    // The rules, each with its code and the field.
    for (new, code) in [
        ("short-1", "password_too_short"),
        ("the-Admin-of-37", "password_contains_name"),
        ("woaini1314", "password_too_common"),
        ("123456789a", "password_too_common"),
        ("QWERTYUIOP", "password_too_common"),
        ("initial-secret-9", "password_unchanged"),
    ] {
        let refused = h
            .post("/api/v1/session/password")
            .cookie(&first.id)
            .csrf(&first.csrf)
            .json(&json!({ "current": "initial-secret-9", "new": new }))
            .send()
            .await
            .expect_status(422);
        assert_eq!(refused.code(), code, "{new}");
        assert_eq!(refused.field(), Some("new"));
        assert!(refused.is_error_body());
    }
    let changed = signed(
        h.post("/api/v1/session/password")
            .cookie(&first.id)
            .csrf(&first.csrf)
            .json(&json!({ "current": "initial-secret-9", "new": PASSWORD }))
            .send()
            .await,
    );
    assert_eq!(changed.json["must_change_password"], false);
    assert_eq!(changed.json["totp_required"], true);
    let blocked = h
        .get("/api/v1/cases")
        .cookie(&changed.id)
        .send()
        .await
        .expect_status(403);
    assert_eq!(blocked.code(), "totp_enrolment_required");
    // An API token of the same user is not held up by the session's restrictions.
    h.get("/api/v1/cases")
        .by(&fx.admin)
        .send()
        .await
        .expect_status(200);

    let confirm_before_start = h
        .post("/api/v1/session/totp/confirm")
        .cookie(&changed.id)
        .csrf(&changed.csrf)
        .json(&json!({ "code": "123456" }))
        .send()
        .await
        .expect_status(409);
    assert_eq!(confirm_before_start.code(), "totp_not_started");
    let enrolment = h
        .post("/api/v1/session/totp")
        .cookie(&changed.id)
        .csrf(&changed.csrf)
        .send()
        .await
        .expect_status(200);
    let secret = enrolment.str("secret").to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = enrolment.str("otpauth_uri");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let code_now = || hezhi_app::totp::code_at(&secret, h.now()).expect("code");
    let wrong_code = format!(
        "{:06}",
        (code_now().parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let refused = h
        .post("/api/v1/session/totp/confirm")
        .cookie(&changed.id)
        .csrf(&changed.csrf)
        .json(&json!({ "code": wrong_code }))
        .send()
        .await
        .expect_status(422);
    assert_eq!(refused.code(), "invalid_totp_code");
    assert_eq!(refused.field(), Some("code"));
    let enrolled_code = code_now();
    let enrolled = signed(
        h.post("/api/v1/session/totp/confirm")
            .cookie(&changed.id)
            .csrf(&changed.csrf)
            .json(&json!({ "code": enrolled_code }))
            .send()
            .await,
    );
    assert_eq!(enrolled.json["totp_required"], false);
    h.get("/api/v1/cases")
        .cookie(&changed.id)
        .send()
        .await
        .expect_status(401);
    h.get("/api/v1/cases")
        .cookie(&enrolled.id)
        .send()
        .await
        .expect_status(200);
    let again = h
        .post("/api/v1/session/totp")
        .cookie(&enrolled.id)
        .csrf(&enrolled.csrf)
        .send()
        .await
        .expect_status(409);
    assert_eq!(again.code(), "totp_already_enrolled");

    // From now on a sign-in needs a code, each code once.
    let without = attempt(&h, "admin", PASSWORD, None)
        .await
        .expect_status(401);
    assert_eq!(without.code(), "totp_code_required");
    let wrong = attempt(&h, "admin", PASSWORD, Some(&wrong_code))
        .await
        .expect_status(401);
    assert_eq!(wrong.code(), "invalid_credentials");
    let replayed = attempt(&h, "admin", PASSWORD, Some(&enrolled_code))
        .await
        .expect_status(401);
    assert_eq!(replayed.code(), "invalid_credentials", "the code was used");
    h.clock.advance(Duration::seconds(30));
    let fresh = code_now();
    signed(attempt(&h, "admin", PASSWORD, Some(&fresh)).await);
    attempt(&h, "admin", PASSWORD, Some(&fresh))
        .await
        .expect_status(401);

    for action in [
        "password_changed",
        "totp_enrolment_started",
        "totp_enrolled",
    ] {
        let records = audited(&h.store, action).await;
        assert_eq!(records.len(), 1, "{action}");
        assert_eq!(records[0].actor, Some(fx.admin.id));
    }
    let reasons: Vec<Value> = audited(&h.store, "sign_in_failed")
        .await
        .iter()
        .map(|e| e.detail["reason"].clone())
        .collect();
    assert!(reasons.contains(&json!("wrong_totp_code")), "{reasons:?}");
}

async fn totp_can_be_required_of_all_staff(h: Harness) {
    set_password(&h, &h.fx.dispatcher, PASSWORD).await;
    let ordinary = sign_in(&h, "dispatcher", PASSWORD).await;
    assert_eq!(ordinary.json["totp_required"], false);
    let h = h.reconfigured(
        SignInPolicy {
            totp_required_for_all_staff: true,
            ..SignInPolicy::default()
        },
        hezhi_web::WebSettings::default(),
    );
    let strict = sign_in(&h, "dispatcher", PASSWORD).await;
    assert_eq!(strict.json["totp_required"], true);
    // The session from before the policy is held to it as well.
    for session in [&strict, &ordinary] {
        let blocked = h
            .get("/api/v1/cases")
            .cookie(&session.id)
            .send()
            .await
            .expect_status(403);
        assert_eq!(blocked.code(), "totp_enrolment_required");
    }
}

async fn a_role_that_needs_totp_granted_mid_session_restricts_the_session(h: Harness) {
    set_password(&h, &h.fx.clerk, PASSWORD).await;
    let session = sign_in(&h, "clerk", PASSWORD).await;
    h.get("/api/v1/cases")
        .cookie(&session.id)
        .send()
        .await
        .expect_status(200);
    let auditor = h
        .app
        .grant_role(
            None,
            h.fx.clerk.id,
            hezhi_domain::Role::Auditor,
            Some(hezhi_domain::RegionCode::parse("37").expect("code")),
            None,
        )
        .await
        .expect("grant");
    let blocked = h
        .get("/api/v1/cases")
        .cookie(&session.id)
        .send()
        .await
        .expect_status(403);
    assert_eq!(blocked.code(), "totp_enrolment_required");
    // Revoked again, the session is as it was.
    h.app
        .revoke_role(None, h.fx.clerk.id, auditor.id)
        .await
        .expect("revoke");
    h.get("/api/v1/cases")
        .cookie(&session.id)
        .send()
        .await
        .expect_status(200);
}

async fn cookies_are_secure_over_https(h: Harness) {
    set_password(&h, &h.fx.clerk, PASSWORD).await;
    let h = h.reconfigured(
        SignInPolicy::default(),
        hezhi_web::WebSettings {
            public_https: true,
            trust_proxy_headers: false,
            ..hezhi_web::WebSettings::default()
        },
    );
    let reply = attempt(&h, "clerk", PASSWORD, None).await;
    assert!(set_cookie(&reply).iter().any(|a| a == "Secure"));
    let h = h.reconfigured(
        SignInPolicy::default(),
        hezhi_web::WebSettings {
            public_https: false,
            trust_proxy_headers: true,
            ..hezhi_web::WebSettings::default()
        },
    );
    let proxied = h
        .post("/api/v1/session")
        .text_header("x-forwarded-proto", "https")
        .json(&json!({ "name": "clerk", "password": PASSWORD }))
        .send()
        .await;
    assert!(set_cookie(&proxied).iter().any(|a| a == "Secure"));
    let plain = attempt(&h, "clerk", PASSWORD, None).await;
    assert!(!set_cookie(&plain).iter().any(|a| a == "Secure"));
}

async fn a_revoked_token_stops_working_at_once(h: Harness) {
    let fx = &h.fx;
    let token_of = |who: &Person| {
        let store = Arc::clone(&h.store);
        let user = who.id;
        async move {
            store
                .api_tokens_of(user)
                .await
                .expect("tokens")
                .pop()
                .expect("a token")
                .id
        }
    };
    // Checked and remembered…
    h.get("/api/v1/cases")
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let dispatcher_token = token_of(&fx.dispatcher).await;
    let uri = format!("/api/v1/tokens/{dispatcher_token}");
    // …someone else's token is not there for a colleague, nor for a resident.
    let hidden = h.delete(&uri).by(&fx.clerk).send().await.expect_status(404);
    assert_eq!(hidden.code(), "not_found");
    let resident = h
        .delete(&uri)
        .by(&fx.resident)
        .send()
        .await
        .expect_status(403);
    assert_eq!(resident.code(), "staff_only");
    h.delete(&uri)
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(204);
    let gone = h
        .get("/api/v1/cases")
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(401);
    assert_eq!(gone.code(), "unauthenticated");
    h.delete(&uri).by(&fx.clerk).send().await.expect_status(404);

    // A security administrator revokes anyone's.
    let (secadmin, secadmin_token) = h
        .app
        .add_user(hezhi_app::NewUser {
            name: "安全管理员".into(),
            role: hezhi_domain::Role::SecurityAdmin,
            region: Some(hezhi_domain::RegionCode::parse("37").expect("code")),
            unit: None,
        })
        .await
        .expect("security admin");
    h.get("/api/v1/cases")
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(200);
    let clerk_token = token_of(&fx.clerk).await;
    h.delete(format!("/api/v1/tokens/{clerk_token}"))
        .bearer(&secadmin_token)
        .send()
        .await
        .expect_status(204);
    h.get("/api/v1/cases")
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(401);

    // By cookie, revocation is a write like any other: CSRF-checked.
    set_password(&h, &fx.grid_worker, PASSWORD).await;
    let session = sign_in(&h, "grid_worker", PASSWORD).await;
    let own = token_of(&fx.grid_worker).await;
    h.delete(format!("/api/v1/tokens/{own}"))
        .cookie(&session.id)
        .send()
        .await
        .expect_status(403);
    h.delete(format!("/api/v1/tokens/{own}"))
        .cookie(&session.id)
        .csrf(&session.csrf)
        .send()
        .await
        .expect_status(204);
    h.get("/api/v1/cases")
        .by(&fx.grid_worker)
        .send()
        .await
        .expect_status(401);

    for bad in ["not-a-uuid", "01890000-0000-7000-8000-000000000000"] {
        h.delete(format!("/api/v1/tokens/{bad}"))
            .by(&fx.committee_handler)
            .send()
            .await
            .expect_status(404);
    }
    let revoked = audited(&h.store, "token_revoked").await;
    assert_eq!(revoked.len(), 3);
    assert!(revoked.iter().any(|e| e.actor == Some(secadmin.id)
        && e.detail["owner"] == json!(fx.clerk.id)
        && e.detail["token"] == json!(clerk_token)));
}

async fn residents_cannot_use_staff_sign_in(h: Harness) {
    let fx = &h.fx;
    let refused = h
        .app
        .set_password("resident", PASSWORD, false)
        .await
        .expect_err("residents get no staff password");
    assert_eq!(refused.code(), "staff_only");
    // Even with a password hash in the store, a resident does not sign in here.
    let hash = hezhi_app::password::Hasher::default()
        .hash(PASSWORD)
        .await
        .expect("hash");
    h.store
        .set_password(fx.resident.id, &hash, false, h.now())
        .await
        .expect("store");
    let reply = attempt(&h, "resident", PASSWORD, None)
        .await
        .expect_status(401);
    assert_eq!(reply.code(), "invalid_credentials");
    h.get("/api/v1/session")
        .by(&fx.resident)
        .send()
        .await
        .expect_status(401);
    // Their own cases stay reachable with their token.
    h.get("/api/v1/cases")
        .by(&fx.resident)
        .send()
        .await
        .expect_status(200);
}

async fn bad_sign_in_bodies_are_clear_errors(h: Harness) {
    for (body, status, code) in [
        (json!({ "name": "clerk" }), 422, "invalid_body"),
        (
            json!({ "name": "clerk", "password": "x", "remember": true }),
            422,
            "invalid_body",
        ),
        (json!({ "name": 7, "password": "x" }), 422, "invalid_body"),
    ] {
        let reply = h.post("/api/v1/session").json(&body).send().await;
        assert_eq!(reply.status.as_u16(), status, "{body}: {}", reply.text());
        assert_eq!(reply.code(), code);
    }
    let reply = h
        .post("/api/v1/session")
        .raw(Some("text/plain"), "name=clerk")
        .send()
        .await
        .expect_status(415);
    assert!(reply.is_error_body());
    let english = h
        .post("/api/v1/session")
        .english()
        .json(&json!({ "name": "clerk", "password": "whatever-it-is" }))
        .send()
        .await
        .expect_status(401);
    assert_eq!(english.message(), "Wrong name, password or code");
    let chinese = attempt(&h, "clerk", "whatever-it-is", None)
        .await
        .expect_status(401);
    assert_eq!(chinese.message(), "用户名、密码或动态口令不正确");
    for uri in ["/api/v1/session", "/api/v1/session/totp"] {
        let reply = h
            .post(uri)
            .cookie(&"ab".repeat(32))
            .csrf("x")
            .json(&json!({}))
            .send()
            .await;
        if uri == "/api/v1/session" {
            // Signing in with a dead cookie is still a sign-in attempt.
            assert_eq!(reply.status.as_u16(), 422);
        } else {
            assert_eq!(reply.status.as_u16(), 401, "{uri}");
        }
    }
}

/// The administrators of a new database: three roles, random passwords that must be
/// changed, TOTP required.
async fn a_new_database_gets_three_administrators_who_must_change_their_passwords(
    store: Arc<dyn Store>,
) {
    let clock = Arc::new(ManualClock::new(start_of_test()));
    let app = Arc::new(App::new(Arc::clone(&store), clock));
    let province = hezhi_domain::RegionCode::parse("37").expect("code");
    let unknown = app
        .bootstrap_admins(&province)
        .await
        .expect_err("no region");
    assert_eq!(unknown.code(), "unknown_region");
    store
        .upsert_regions(&[hezhi_store::Region {
            code: province.clone(),
            name: "山东省".into(),
            level: province.level(),
            parent: None,
        }])
        .await
        .expect("region");
    let admins = app.bootstrap_admins(&province).await.expect("bootstrap");
    let roles: Vec<(&str, &str)> = admins
        .iter()
        .map(|a| (a.user.name.as_str(), a.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("sysadmin", "system_admin"),
            ("secadmin", "security_admin"),
            ("auditor", "auditor")
        ]
    );
    assert!(
        app.bootstrap_admins(&province)
            .await
            .expect("again")
            .is_empty(),
        "only an empty database is bootstrapped"
    );
    let router = hezhi_web::router(Arc::clone(&app));
    for admin in &admins {
        assert_eq!(admin.user.assignments[0].region.as_ref(), Some(&province));
        assert_eq!(admin.user.assignments[0].role, admin.role);
        assert!(admin.password.chars().count() >= 16);
        let reply = crate::harness::send_to(
            &router,
            "POST",
            "/api/v1/session",
            &json!({ "name": admin.user.name, "password": admin.password }),
        )
        .await
        .expect_status(200);
        assert_eq!(reply.json["must_change_password"], true);
        assert_eq!(reply.json["totp_required"], true);
    }
    let created = audited(&store, "user_created").await;
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|e| e.detail["bootstrap"] == true));
    let text = serde_json::to_string(&created).expect("json");
    assert!(admins.iter().all(|a| !text.contains(&a.password)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_authenticates_reads_and_csrf_checked_writes_on_sqlite() {
    on_sqlite(the_cookie_authenticates_reads_and_csrf_checked_writes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_authenticates_reads_and_csrf_checked_writes_on_postgres() {
    on_postgres(the_cookie_authenticates_reads_and_csrf_checked_writes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_rotates_the_session_and_a_password_change_ends_them_all_on_sqlite() {
    on_sqlite(sign_in_rotates_the_session_and_a_password_change_ends_them_all).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_rotates_the_session_and_a_password_change_ends_them_all_on_postgres() {
    on_postgres(sign_in_rotates_the_session_and_a_password_change_ends_them_all).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_after_the_idle_and_the_absolute_timeout_on_sqlite() {
    on_sqlite(sessions_end_after_the_idle_and_the_absolute_timeout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_after_the_idle_and_the_absolute_timeout_on_postgres() {
    on_postgres(sessions_end_after_the_idle_and_the_absolute_timeout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_lock_the_account_with_growing_waits_on_sqlite() {
    on_sqlite(failed_sign_ins_lock_the_account_with_growing_waits).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_lock_the_account_with_growing_waits_on_postgres() {
    on_postgres(failed_sign_ins_lock_the_account_with_growing_waits).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_counted_per_client_address_too_on_sqlite() {
    on_sqlite(failed_sign_ins_are_counted_per_client_address_too).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_counted_per_client_address_too_on_postgres() {
    on_postgres(failed_sign_ins_are_counted_per_client_address_too).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_changes_the_first_password_then_enrols_totp_on_sqlite() {
    on_sqlite(an_administrator_changes_the_first_password_then_enrols_totp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_changes_the_first_password_then_enrols_totp_on_postgres() {
    on_postgres(an_administrator_changes_the_first_password_then_enrols_totp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_can_be_required_of_all_staff_on_sqlite() {
    on_sqlite(totp_can_be_required_of_all_staff).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_can_be_required_of_all_staff_on_postgres() {
    on_postgres(totp_can_be_required_of_all_staff).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_needs_totp_granted_mid_session_restricts_the_session_on_sqlite() {
    on_sqlite(a_role_that_needs_totp_granted_mid_session_restricts_the_session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_needs_totp_granted_mid_session_restricts_the_session_on_postgres() {
    on_postgres(a_role_that_needs_totp_granted_mid_session_restricts_the_session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_over_https_on_sqlite() {
    on_sqlite(cookies_are_secure_over_https).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_over_https_on_postgres() {
    on_postgres(cookies_are_secure_over_https).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_working_at_once_on_sqlite() {
    on_sqlite(a_revoked_token_stops_working_at_once).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_working_at_once_on_postgres() {
    on_postgres(a_revoked_token_stops_working_at_once).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_cannot_use_staff_sign_in_on_sqlite() {
    on_sqlite(residents_cannot_use_staff_sign_in).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_cannot_use_staff_sign_in_on_postgres() {
    on_postgres(residents_cannot_use_staff_sign_in).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sign_in_bodies_are_clear_errors_on_sqlite() {
    on_sqlite(bad_sign_in_bodies_are_clear_errors).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sign_in_bodies_are_clear_errors_on_postgres() {
    on_postgres(bad_sign_in_bodies_are_clear_errors).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_database_gets_three_administrators_who_must_change_their_passwords_on_sqlite() {
    on_empty_sqlite(a_new_database_gets_three_administrators_who_must_change_their_passwords).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_database_gets_three_administrators_who_must_change_their_passwords_on_postgres() {
    on_empty_postgres(a_new_database_gets_three_administrators_who_must_change_their_passwords)
        .await;
}

/// Through a real socket, served as `hezhi serve` serves: the client's address reaches the
/// lockout without any help.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_router_counts_failures_by_the_peer_address() {
    on_sqlite(|h: Harness| async move {
        set_password(&h, &h.fx.clerk, PASSWORD).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let router = h.router.clone();
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        let mut statuses = Vec::new();
        for name in ["n1", "n2", "n3", "n4", "n5", "clerk"] {
            let password = if name == "clerk" {
                PASSWORD
            } else {
                "spray-spray-1"
            };
            let body = json!({ "name": name, "password": password }).to_string();
            statuses.push(crate::harness::raw_http_post(address, "/api/v1/session", &body).await);
        }
        server.abort();
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    })
    .await;
}
