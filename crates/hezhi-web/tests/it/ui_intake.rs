//! The intake window's pages: a clerk registers a walk-in through the form and hands over the
//! receipt; a form sent twice makes one case; a bad field keeps what was entered; a matter
//! settled on the spot is resolved in the same step.

use crate::harness::{Harness, Reply, on_postgres, on_sqlite};
use crate::ui::{Browser, FORM, csrf_field, form, location, page, sign_in};

fn field_value<'a>(html: &'a str, name: &str) -> &'a str {
    let marker = format!(r#"name="{name}" value=""#);
    html.find(&marker)
        .map(|start| {
            html[start + marker.len()..]
                .split('"')
                .next()
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

async fn submit(h: &Harness, browser: &Browser, fields: &[(&str, &str)]) -> Reply {
    h.post("/intake")
        .cookie(&browser.session)
        .raw(Some(FORM), form(fields))
        .send()
        .await
}

async fn a_clerk_registers_a_walk_in_and_hands_over_the_receipt(h: Harness) {
    let fx = &h.fx;
    let clerk = sign_in(&h, &fx.clerk).await;
    let blank = page(&h, &clerk, "/intake").await.expect_status(200);
    let html = blank.text();
    assert!(html.contains(r#"<select id="category" name="category" required autofocus>"#));
    assert!(
        html.contains(r#"<label for="applicant_phone">"#),
        "every field is labelled"
    );
    let token = csrf_field(&html);
    let key = field_value(&html, "idempotency_key").to_owned();
    assert_eq!(key.len(), 32);
    let fields = [
        ("csrf_token", token.as_str()),
        ("idempotency_key", key.as_str()),
        ("category", "dispute/neighbour"),
        ("channel", "window"),
        ("region", crate::fixture::GRID),
        ("title", "邻居占用楼道堆放杂物"),
        (
            "description",
            "邻居长期在楼道堆放杂物，影响通行，协商未果。",
        ),
        ("applicant_name", "刘某某"),
        ("applicant_phone", "13912340000"),
    ];
    let (cases_before, _) = h.counts().await;
    let created = submit(&h, &clerk, &fields).await.expect_status(303);
    let receipt_path = location(&created).to_owned();
    assert!(receipt_path.ends_with("/receipt"), "{receipt_path}");
    // The same form sent again (a double click, a retried request): still one case.
    let again = submit(&h, &clerk, &fields).await.expect_status(303);
    assert_eq!(location(&again), receipt_path);
    assert_eq!(h.counts().await.0, cases_before + 1);

    let receipt = page(&h, &clerk, &receipt_path).await.expect_status(200);
    let text = receipt.text();
    assert!(text.contains("370811-2026-"), "the case number: {text}");
    assert!(text.contains("邻居占用楼道堆放杂物"));
    let code = text
        .split("<dd>")
        .nth(2)
        .and_then(|dd| dd.split("</dd>").next())
        .expect("the tracking code");
    assert_eq!(code.len(), 12, "ten digits in three groups: {code}");
    assert_eq!(code.split(' ').count(), 3);
}

async fn a_bad_field_keeps_what_was_entered_and_a_settled_matter_is_resolved(h: Harness) {
    let fx = &h.fx;
    let clerk = sign_in(&h, &fx.clerk).await;
    let html = page(&h, &clerk, "/intake").await.expect_status(200).text();
    let token = csrf_field(&html);
    let (cases_before, _) = h.counts().await;
    let refused = submit(
        &h,
        &clerk,
        &[
            ("csrf_token", &token),
            ("idempotency_key", "k-bad-phone"),
            ("category", "dispute/neighbour"),
            ("region", crate::fixture::GRID),
            ("title", "楼上装修噪音"),
            ("description", "楼上装修噪音扰民。"),
            ("applicant_name", "王某某"),
            ("applicant_phone", "12345"),
        ],
    )
    .await
    .expect_status(422);
    let page_text = refused.text();
    assert!(page_text.contains("手机号码不正确"), "{page_text}");
    assert!(page_text.contains("parties[0].phone"), "the field is named");
    assert!(
        page_text.contains(r#"value="楼上装修噪音""#),
        "the title is kept"
    );
    assert_eq!(h.counts().await.0, cases_before, "nothing was written");

    let settled = submit(
        &h,
        &clerk,
        &[
            ("csrf_token", &token),
            ("idempotency_key", "k-first-contact"),
            ("category", "consultation/legal"),
            ("channel", "hotline"),
            ("region", crate::fixture::GRID),
            ("title", "咨询赡养费标准"),
            ("description", "来电咨询赡养费如何确定。"),
            ("applicant_name", "赵某某"),
            ("first_contact", "on"),
            ("first_contact_note", "电话中已解答相关法律规定"),
        ],
    )
    .await
    .expect_status(303);
    let receipt = location(&settled).to_owned();
    let id = receipt
        .trim_start_matches("/cases/")
        .trim_end_matches("/receipt");
    let case = h
        .get(format!("/api/v1/cases/{id}"))
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(200);
    assert_eq!(case.json["state"], "resolved");
    assert_eq!(case.json["resolved_at_first_contact"], true);
    // Without a valid CSRF token nothing is written.
    let (cases, _) = h.counts().await;
    submit(
        &h,
        &clerk,
        &[("csrf_token", "forged"), ("idempotency_key", "k-forged")],
    )
    .await
    .expect_status(403);
    assert_eq!(h.counts().await.0, cases);
}

async fn a_check_before_registering_finds_the_partys_earlier_and_similar_cases(h: Harness) {
    let fx = &h.fx;
    let clerk = sign_in(&h, &fx.clerk).await;
    let html = page(&h, &clerk, "/intake").await.expect_status(200).text();
    assert!(
        html.find(r#"<button type="submit">"#) < html.find(r#"name="check""#),
        "Enter presses register, the first button"
    );
    let token = csrf_field(&html);
    let base = |key: &'static str, phone: &'static str, id: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("idempotency_key", key.to_owned()),
            ("category", "dispute/neighbour".to_owned()),
            ("region", crate::fixture::GRID.to_owned()),
            ("title", "楼上漏水".to_owned()),
            ("description", "楼上漏水，天花板受损。".to_owned()),
            ("applicant_name", "孙某某".to_owned()),
            ("applicant_phone", phone.to_owned()),
            ("applicant_id_number", id.to_owned()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let body = form(&fields);
        let h = &h;
        let clerk = &clerk;
        async move {
            h.post("/intake")
                .cookie(&clerk.session)
                .raw(Some(FORM), body)
                .send()
                .await
        }
    };
    let checked = |mut fields: Vec<(&'static str, String)>| {
        fields.push(("check", "1".to_owned()));
        send(fields)
    };

    let (cases_before, _) = h.counts().await;
    let nothing = checked(base("k-check-0", "13700001111", ""))
        .await
        .expect_status(200)
        .text();
    assert!(nothing.contains("没有找到以往或相似事件"), "{nothing}");
    assert!(nothing.contains(r#"value="k-check-0""#), "the key is kept");
    assert_eq!(h.counts().await.0, cases_before, "a check writes nothing");

    send(base("k-check-1", "13700001111", "370811198507071231"))
        .await
        .expect_status(303);
    // The same person by phone, on another matter somewhere else: the earlier case is hers.
    let mut elsewhere = base("k-check-2", "13700001111", "");
    elsewhere[2].1 = "consultation/legal".to_owned();
    elsewhere[3].1 = crate::fixture::VILLAGE.to_owned();
    let found = checked(elsewhere).await.expect_status(200).text();
    assert!(found.contains("该当事人的以往事件"), "{found}");
    assert!(!found.contains("近 7 天同一地点的同类事件"), "{found}");
    assert!(found.contains("楼上漏水"), "{found}");
    // By ID number alone.
    let by_id = checked(base("k-check-3", "", "370811198507071231"))
        .await
        .expect_status(200)
        .text();
    assert!(by_id.contains("该当事人的以往事件"), "{by_id}");
    // Another person, the same category at the same place: a similar case.
    let nearby = checked(base("k-check-4", "13700002222", ""))
        .await
        .expect_status(200)
        .text();
    assert!(!nearby.contains("该当事人的以往事件"), "{nearby}");
    assert!(nearby.contains("近 7 天同一地点的同类事件"), "{nearby}");
    assert_eq!(h.counts().await.0, cases_before + 1);

    // A dispatcher of another town checks the same phone: nothing of this town shows.
    let mut theirs = base("k-check-5", "13700001111", "");
    theirs[3].1 = crate::fixture::OTHER_VILLAGE.to_owned();
    let outside = check_anew(&h, &fx.other_dispatcher, theirs).await;
    assert!(outside.contains("没有找到以往或相似事件"), "{outside}");
    // A week later the same place and category is no longer "recent"; the party still is.
    h.clock.advance(chrono::Duration::days(8));
    let later = check_anew(&h, &fx.clerk, base("k-check-6", "13700002222", "")).await;
    assert!(later.contains("没有找到以往或相似事件"), "{later}");
    let party = check_anew(&h, &fx.clerk, base("k-check-7", "13700001111", "")).await;
    assert!(party.contains("该当事人的以往事件"), "{party}");
}

/// Signs `who` in afresh and sends `fields` as a check, with the new session's form token.
async fn check_anew(
    h: &Harness,
    who: &crate::fixture::Person,
    mut fields: Vec<(&'static str, String)>,
) -> String {
    let browser = sign_in(h, who).await;
    let html = page(h, &browser, "/intake").await.expect_status(200).text();
    fields[0].1 = csrf_field(&html);
    fields.push(("check", "1".to_owned()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    submit(h, &browser, &fields).await.expect_status(200).text()
}

async fn the_resident_follows_the_case_from_the_receipt_on_the_tracking_page(h: Harness) {
    let fx = &h.fx;
    let reply = h
        .post("/api/v1/cases")
        .by(&fx.clerk)
        .json(&crate::fixture::leak_case())
        .send()
        .await
        .expect_status(201);
    let code = reply.str("tracking_code").to_owned();
    let blank = h.get("/track").send().await.expect_status(200).text();
    assert!(
        blank.contains(r#"<label for="tracking_code">"#)
            && blank.contains(r#"<label for="phone">"#)
    );
    let found = h
        .post("/track")
        .raw(
            Some(FORM),
            form(&[("tracking_code", &code), ("phone", "13800138000")]),
        )
        .send()
        .await
        .expect_status(200)
        .text();
    assert!(found.contains("楼上卫生间漏水"), "{found}");
    assert!(
        found.contains("已登记") || found.contains("登记"),
        "the public step: {found}"
    );
    for private in ["陈某某", "13800138000", "370811199203213389"] {
        assert!(
            !found.contains(private) || found.contains(&format!(r#"value="{private}""#)),
            "shows {private}"
        );
    }
    let wrong = h
        .post("/track")
        .raw(
            Some(FORM),
            form(&[("tracking_code", &code), ("phone", "13700000000")]),
        )
        .send()
        .await
        .expect_status(404)
        .text();
    assert!(wrong.contains("未找到"), "{wrong}");
}

#[tokio::test]
async fn the_resident_follows_the_case_from_the_receipt_on_the_tracking_page_on_sqlite() {
    on_sqlite(the_resident_follows_the_case_from_the_receipt_on_the_tracking_page).await;
}

#[tokio::test]
async fn the_resident_follows_the_case_from_the_receipt_on_the_tracking_page_on_postgres() {
    on_postgres(the_resident_follows_the_case_from_the_receipt_on_the_tracking_page).await;
}

#[tokio::test]
async fn a_clerk_registers_a_walk_in_and_hands_over_the_receipt_on_sqlite() {
    on_sqlite(a_clerk_registers_a_walk_in_and_hands_over_the_receipt).await;
}

#[tokio::test]
async fn a_clerk_registers_a_walk_in_and_hands_over_the_receipt_on_postgres() {
    on_postgres(a_clerk_registers_a_walk_in_and_hands_over_the_receipt).await;
}

#[tokio::test]
async fn a_bad_field_keeps_what_was_entered_and_a_settled_matter_is_resolved_on_sqlite() {
    on_sqlite(a_bad_field_keeps_what_was_entered_and_a_settled_matter_is_resolved).await;
}

#[tokio::test]
async fn a_bad_field_keeps_what_was_entered_and_a_settled_matter_is_resolved_on_postgres() {
    on_postgres(a_bad_field_keeps_what_was_entered_and_a_settled_matter_is_resolved).await;
}

#[tokio::test]
async fn a_check_before_registering_finds_the_partys_earlier_and_similar_cases_on_sqlite() {
    on_sqlite(a_check_before_registering_finds_the_partys_earlier_and_similar_cases).await;
}

#[tokio::test]
async fn a_check_before_registering_finds_the_partys_earlier_and_similar_cases_on_postgres() {
    on_postgres(a_check_before_registering_finds_the_partys_earlier_and_similar_cases).await;
}
