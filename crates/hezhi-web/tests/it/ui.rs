//! The web pages: sign-in through the form, the case list within the user's scope, the case
//! page with masked parties and its command forms, CSRF on every form, the language switch.

use crate::fixture::{OTHER_VILLAGE, Person, case_in, leak_case};
use crate::harness::{Harness, Reply, on_postgres, on_sqlite};
use serde_json::json;

pub(crate) const PASSWORD: &str = "sorrel-kettle-41";
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A browser: its session cookie and the CSRF token of the last page it read.
#[derive(Debug, Clone)]
pub(crate) struct Browser {
    pub(crate) session: String,
}

pub(crate) fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

pub(crate) fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    set_cookies(reply).iter().find_map(|cookie| {
        let first = cookie.split(';').next()?;
        let (key, value) = first.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

/// The value of the hidden `csrf_token` field of a page.
#[track_caller]
pub(crate) fn csrf_field(html: &str) -> String {
    field_value(html, "csrf_token")
}

/// The value of the first field named `name` of a page.
#[track_caller]
pub(crate) fn field_value(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

pub(crate) fn location(reply: &Reply) -> &str {
    reply
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let encode = |s: &str| {
                s.bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                            char::from(b).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect::<String>()
            };
            format!("{}={}", encode(k), encode(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Opens the sign-in page and submits it.
pub(crate) async fn submit_sign_in(h: &Harness, name: &str, password: &str) -> Reply {
    let page = h.get("/sign-in").send().await.expect_status(200);
    let pre = cookie_value(&page, "hezhi_sign_in").expect("the sign-in form's cookie");
    let token = csrf_field(&page.text());
    assert_eq!(pre, token);
    h.post("/sign-in")
        .text_header("cookie", &format!("hezhi_sign_in={pre}"))
        .raw(
            Some(FORM),
            form(&[
                ("csrf_token", &token),
                ("name", name),
                ("password", password),
            ]),
        )
        .send()
        .await
}

pub(crate) async fn sign_in(h: &Harness, who: &Person) -> Browser {
    h.app
        .set_password(&who.name, PASSWORD, false)
        .await
        .expect("set password");
    let reply = submit_sign_in(h, &who.name, PASSWORD)
        .await
        .expect_status(303);
    assert_eq!(location(&reply), "/cases");
    let session = cookie_value(&reply, "hezhi_session").expect("a session cookie");
    Browser { session }
}

/// Signs in a user who must use an authenticator: the pages send him to enrol one, he scans
/// the key (read from the page), confirms with the current code and gets a new session.
pub(crate) async fn sign_in_enrolling_totp(h: &Harness, who: &Person) -> Browser {
    let first = sign_in(h, who).await;
    let cases = page(h, &first, "/cases").await.expect_status(303);
    assert_eq!(location(&cases), "/totp");
    let html = page(h, &first, "/totp").await.expect_status(200).text();
    assert!(html.contains(r#"<svg class="qr""#), "{html}");
    let marker = r#"<code class="secret">"#;
    let start = html.find(marker).expect("the key") + marker.len();
    let secret: String = html[start..]
        .split('<')
        .next()
        .expect("key")
        .split_whitespace()
        .collect();
    let code = hezhi_app::totp::code_at(&secret, h.now()).expect("a code");
    let wrong = h
        .post("/totp")
        .cookie(&first.session)
        .raw(
            Some(FORM),
            form(&[("csrf_token", &csrf_field(&html)), ("code", "000000")]),
        )
        .send()
        .await;
    assert_eq!(wrong.status.as_u16(), 422, "{}", wrong.text());
    assert!(wrong.text().contains("动态口令不正确"), "{}", wrong.text());
    let confirmed = h
        .post("/totp")
        .cookie(&first.session)
        .raw(
            Some(FORM),
            form(&[("csrf_token", &csrf_field(&html)), ("code", &code)]),
        )
        .send()
        .await
        .expect_status(303);
    assert_eq!(location(&confirmed), "/cases");
    let session = cookie_value(&confirmed, "hezhi_session").expect("a renewed session");
    assert_ne!(session, first.session, "the session is renewed");
    Browser { session }
}

pub(crate) async fn page(h: &Harness, browser: &Browser, path: &str) -> Reply {
    h.get(path).cookie(&browser.session).send().await
}

async fn signing_in_through_the_form_opens_the_cases(h: Harness) {
    let home = h.get("/").send().await.expect_status(303);
    assert_eq!(location(&home), "/sign-in");

    let form_page = h.get("/sign-in").send().await.expect_status(200);
    let html = form_page.text();
    assert!(html.contains(r#"<html lang="zh-CN""#), "{html}");
    assert!(
        html.contains(r#"<label for="name">用户名</label>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<label for="password">密码</label>"#),
        "{html}"
    );

    let browser = sign_in(&h, &h.fx.dispatcher).await;
    let home = h
        .get("/")
        .cookie(&browser.session)
        .send()
        .await
        .expect_status(303);
    assert_eq!(location(&home), "/cases");
    let cases = page(&h, &browser, "/cases").await.expect_status(200);
    assert!(cases.text().contains("事件列表"));
    assert_eq!(
        cases
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/html; charset=utf-8")
    );

    // Sign out: the form needs the token; then the session is gone.
    let token = csrf_field(&cases.text());
    let refused = h
        .post("/sign-out")
        .cookie(&browser.session)
        .raw(Some(FORM), form(&[("csrf_token", "forged")]))
        .send()
        .await
        .expect_status(403);
    assert!(refused.text().contains("页面已过期"), "{}", refused.text());
    let out = h
        .post("/sign-out")
        .cookie(&browser.session)
        .raw(Some(FORM), form(&[("csrf_token", &token)]))
        .send()
        .await
        .expect_status(303);
    assert_eq!(location(&out), "/sign-in");
    let after = page(&h, &browser, "/cases").await.expect_status(303);
    assert_eq!(location(&after), "/sign-in");
}

async fn a_wrong_password_is_explained_on_the_page(h: Harness) {
    h.app
        .set_password(&h.fx.dispatcher.name, PASSWORD, false)
        .await
        .expect("set password");
    let reply = submit_sign_in(&h, &h.fx.dispatcher.name, "not-the-password").await;
    assert_eq!(reply.status.as_u16(), 401);
    assert!(
        cookie_value(&reply, "hezhi_session").is_none(),
        "no session"
    );
    let html = reply.text();
    assert!(html.contains("用户名、密码或动态口令不正确"), "{html}");
    assert!(
        html.contains(r#"value="dispatcher""#),
        "the name is kept: {html}"
    );

    // A sign-in form without its own cookie (posted from another site) is refused.
    let forged = h
        .post("/sign-in")
        .raw(
            Some(FORM),
            form(&[
                ("csrf_token", "abc"),
                ("name", "dispatcher"),
                ("password", PASSWORD),
            ]),
        )
        .send()
        .await
        .expect_status(403);
    assert!(cookie_value(&forged, "hezhi_session").is_none());
}

async fn a_temporary_password_must_be_changed_first(h: Harness) {
    let who = &h.fx.clerk;
    h.app
        .set_password(&who.name, PASSWORD, true)
        .await
        .expect("set password");
    let reply = submit_sign_in(&h, &who.name, PASSWORD)
        .await
        .expect_status(303);
    assert_eq!(location(&reply), "/password");
    let session = cookie_value(&reply, "hezhi_session").expect("session");
    let browser = Browser { session };
    let cases = page(&h, &browser, "/cases").await.expect_status(303);
    assert_eq!(location(&cases), "/password", "nothing else until changed");

    let form_page = page(&h, &browser, "/password").await.expect_status(200);
    let token = csrf_field(&form_page.text());
    let short = h
        .post("/password")
        .cookie(&browser.session)
        .raw(
            Some(FORM),
            form(&[
                ("csrf_token", &token),
                ("current", PASSWORD),
                ("new", "short"),
                ("again", "short"),
            ]),
        )
        .send()
        .await
        .expect_status(422);
    assert!(
        short.text().contains("密码至少需要 10 个字符"),
        "{}",
        short.text()
    );
    let changed = h
        .post("/password")
        .cookie(&browser.session)
        .raw(
            Some(FORM),
            form(&[
                ("csrf_token", &token),
                ("current", PASSWORD),
                ("new", "lantern-quarry-77"),
                ("again", "lantern-quarry-77"),
            ]),
        )
        .send()
        .await
        .expect_status(303);
    assert_eq!(location(&changed), "/cases");
    let renewed = Browser {
        session: cookie_value(&changed, "hezhi_session").expect("a new session"),
    };
    page(&h, &renewed, "/cases").await.expect_status(200);
}

async fn the_list_shows_only_cases_in_scope(h: Harness) {
    let fx = &h.fx;
    let here = h.report(&fx.clerk, &leak_case()).await;
    let there = h
        .report(
            &fx.other_dispatcher,
            &case_in(OTHER_VILLAGE, "dispute", "neighbour", "邻村占道堆放柴草"),
        )
        .await;
    let mine = sign_in(&h, &fx.dispatcher).await;
    let html = page(&h, &mine, "/cases").await.expect_status(200).text();
    assert!(
        html.contains(&here.id) && html.contains("楼上卫生间漏水"),
        "{html}"
    );
    assert!(
        !html.contains(&there.id),
        "another town's case is not listed"
    );

    let theirs = sign_in(&h, &fx.other_dispatcher).await;
    let html = page(&h, &theirs, "/cases").await.expect_status(200).text();
    assert!(html.contains(&there.id), "{html}");
    assert!(!html.contains(&here.id));
    // Nor can it be opened by its address.
    let refused = page(&h, &theirs, &format!("/cases/{}", here.id))
        .await
        .expect_status(404);
    assert!(refused.text().contains("未找到，或您无权查看"));

    // Filters: a state that holds nothing, then a bad value explained.
    let html = page(&h, &mine, "/cases?state=archived&urgency=&region=")
        .await
        .expect_status(200)
        .text();
    assert!(html.contains("没有符合条件的事件"), "{html}");
    let bad = page(&h, &mine, "/cases?state=lost")
        .await
        .expect_status(422);
    assert!(bad.text().contains("取值无效"), "{}", bad.text());
    // Open and overdue: the case here is open but has no deadline yet.
    let html = page(&h, &mine, "/cases?open=on")
        .await
        .expect_status(200)
        .text();
    assert!(html.contains(&here.id), "{html}");
    assert!(html.contains(r#"name="open" checked>"#), "{html}");
    assert!(
        html.contains(r#"<a href="/cases?open=on">未办结事件</a>"#),
        "one click from every page: {html}"
    );
    let html = page(&h, &mine, "/cases?open=on&overdue=on")
        .await
        .expect_status(200)
        .text();
    assert!(!html.contains(&here.id), "not overdue: {html}");
    page(&h, &mine, "/cases?open=yes").await.expect_status(422);
}

async fn the_case_page_masks_parties_and_runs_commands(h: Harness) {
    let fx = &h.fx;
    let case = h.report(&fx.clerk, &leak_case()).await;
    let browser = sign_in(&h, &fx.clerk).await;
    let path = format!("/cases/{}", case.id);
    let html = page(&h, &browser, &path).await.expect_status(200).text();
    assert!(html.contains("138****8000"), "{html}");
    assert!(
        html.contains("<dt>纠纷类型</dt><dd>邻里</dd>"),
        "the category by its name: {html}"
    );
    assert!(!html.contains("13800138000"), "the full phone never shows");
    assert!(html.contains("370811********3389"), "{html}");
    assert!(
        !html.contains("370811199203213389"),
        "the full ID never shows"
    );
    assert!(html.contains("待受理"), "the state in Chinese");
    assert!(
        html.contains("2026年3月2日 09:00"),
        "reported in China time: {html}"
    );
    // The clerk may accept or decline a reported case, nothing else.
    assert!(
        html.contains(&format!(r#"action="{path}/accept""#)),
        "{html}"
    );
    assert!(html.contains(&format!(r#"action="{path}/decline""#)));
    assert!(!html.contains(&format!(r#"action="{path}/dispatch""#)));

    let token = csrf_field(&html);
    // Without the token nothing happens.
    h.post(format!("{path}/accept"))
        .cookie(&browser.session)
        .raw(Some(FORM), form(&[("version", "1"), ("note", "")]))
        .send()
        .await
        .expect_status(403);
    assert_eq!(h.show(&fx.clerk, &case).await["state"], "reported");
    // A stale version is explained on the page.
    let stale = h
        .post(format!("{path}/accept"))
        .cookie(&browser.session)
        .raw(
            Some(FORM),
            form(&[("csrf_token", &token), ("version", "7"), ("note", "")]),
        )
        .send()
        .await
        .expect_status(412);
    assert!(
        stale.text().contains("该事件已被他人更新"),
        "{}",
        stale.text()
    );
    // The form round trip: accepted, and back to the case page.
    let done = h
        .post(format!("{path}/accept"))
        .cookie(&browser.session)
        .raw(
            Some(FORM),
            form(&[
                ("csrf_token", &token),
                ("version", "1"),
                ("note", "材料齐全"),
            ]),
        )
        .send()
        .await
        .expect_status(303);
    assert_eq!(location(&done), path);
    assert_eq!(h.show(&fx.clerk, &case).await["state"], "accepted");
    let html = page(&h, &browser, &path).await.expect_status(200).text();
    assert!(
        html.contains("已受理") && html.contains("材料齐全"),
        "{html}"
    );

    // The dispatcher triages and dispatches through the forms.
    let dispatcher = sign_in(&h, &fx.dispatcher).await;
    let html = page(&h, &dispatcher, &path).await.expect_status(200).text();
    let token = csrf_field(&html);
    h.post(format!("{path}/triage"))
        .cookie(&dispatcher.session)
        .raw(
            Some(FORM),
            form(&[
                ("csrf_token", &token),
                ("version", "2"),
                ("kind", "dispute"),
                ("category", "neighbour"),
                ("complexity", "simple"),
                ("urgency", "red"),
                ("reason", ""),
                ("case_leader", ""),
            ]),
        )
        .send()
        .await
        .expect_status(303);
    let html = page(&h, &dispatcher, &path).await.expect_status(200).text();
    assert!(
        html.contains(&fx.committee.to_string()),
        "the units to choose: {html}"
    );
    let committee = fx.committee.to_string();
    h.post(format!("{path}/dispatch"))
        .cookie(&dispatcher.session)
        .raw(
            Some(FORM),
            form(&[
                ("csrf_token", &token),
                ("version", "3"),
                ("lead_unit", &committee),
                ("due_at", "2026-03-09T18:00"),
                ("note", ""),
            ]),
        )
        .send()
        .await
        .expect_status(303);
    let shown = h.show(&fx.dispatcher, &case).await;
    assert_eq!(shown["state"], "dispatched");
    assert_eq!(
        shown["due_at"], "2026-03-09T10:00:00Z",
        "read as China time"
    );
    let html = page(&h, &dispatcher, &path).await.expect_status(200).text();
    assert!(
        html.contains("2026年3月9日 18:00") && html.contains("剩余 7天9小时"),
        "{html}"
    );
    let list = page(&h, &dispatcher, "/cases")
        .await
        .expect_status(200)
        .text();
    assert!(list.contains(r#"class="badge red""#), "{list}");
}

async fn english_is_one_switch_away(h: Harness) {
    let browser = sign_in(&h, &h.fx.dispatcher).await;
    let switch = h
        .get("/preferences?lang=en&back=/cases")
        .send()
        .await
        .expect_status(303);
    assert_eq!(location(&switch), "/cases");
    let lang = cookie_value(&switch, "lang").expect("the lang cookie");
    assert_eq!(lang, "en");
    let html = h
        .get("/cases")
        .text_header(
            "cookie",
            &format!("hezhi_session={}; lang=en", browser.session),
        )
        .send()
        .await
        .expect_status(200)
        .text();
    assert!(html.contains(r#"<html lang="en""#), "{html}");
    assert!(
        html.contains("<h1>Cases</h1>") && html.contains("Sign out"),
        "{html}"
    );
    // Accept-Language alone also gives English; the cookie wins over it.
    let html = h.get("/sign-in").english().send().await.text();
    assert!(html.contains("User name"), "{html}");
    let html = h
        .get("/sign-in")
        .english()
        .text_header("cookie", "lang=zh")
        .send()
        .await
        .text();
    assert!(html.contains("用户名"));
    // The large-text switch puts a class on <html>.
    let html = h
        .get("/sign-in")
        .text_header("cookie", "text=large")
        .send()
        .await
        .text();
    assert!(
        html.contains(r#"<html lang="zh-CN" class="large">"#),
        "{html}"
    );
    let css = h.get("/assets/app.css").send().await.expect_status(200);
    assert!(css.text().contains("html.large"));
    assert!(
        css.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("max-age"))
    );
}

async fn user_text_is_escaped(h: Harness) {
    let fx = &h.fx;
    let mut body = leak_case();
    body["title"] = json!("<script>alert(1)</script>漏水");
    let case = h.report(&fx.clerk, &body).await;
    let browser = sign_in(&h, &fx.clerk).await;
    let html = page(&h, &browser, &format!("/cases/{}", case.id))
        .await
        .expect_status(200)
        .text();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;漏水"));
    // The parties block as rendered, reviewed once.
    let start = html
        .find(r#"<section aria-labelledby="parties">"#)
        .expect("parties");
    let end = start + html[start..].find("</section>").expect("end") + "</section>".len();
    insta::assert_snapshot!("case_page_parties", &html[start..end]);
}

macro_rules! on_both {
    ($($scenario:ident),* $(,)?) => {
        mod on_sqlite_backend {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::on_sqlite(super::$scenario).await;
                }
            )*
        }
        mod on_postgres_backend {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::on_postgres(super::$scenario).await;
                }
            )*
        }
    };
}

on_both!(
    signing_in_through_the_form_opens_the_cases,
    a_wrong_password_is_explained_on_the_page,
    a_temporary_password_must_be_changed_first,
    the_list_shows_only_cases_in_scope,
    the_case_page_masks_parties_and_runs_commands,
    english_is_one_switch_away,
    user_text_is_escaped,
);
