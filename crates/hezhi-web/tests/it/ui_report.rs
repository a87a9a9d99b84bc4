//! Reporting from a phone: a grid worker from his grid, a resident after signing in with a
//! code sent to his phone, both with photos and a position that finds the grid; a report sent
//! again after a lost answer makes one case.

use crate::fixture::{GRID, VILLAGE};
use crate::grids::{IN_EAST_ARM, OUTSIDE_EVERY_GRID, import, village_file};
use crate::harness::{Harness, on_postgres, on_sqlite};
use crate::ui::{
    Browser, FORM, cookie_value, csrf_field, field_value, form, location, page, sign_in,
};
use crate::ui_files::post_form;
use hezhi_media::sample::{self, CameraNotes};

const PHONE: &str = "13912345678";

/// The case a receipt address names.
fn receipt_case(to: &str) -> String {
    to.strip_prefix("/cases/")
        .and_then(|rest| rest.strip_suffix("/receipt"))
        .unwrap_or_else(|| panic!("not a receipt: {to}"))
        .to_owned()
}

async fn a_grid_worker_reports_with_photos_once_however_often_the_form_is_sent(h: Harness) {
    let fx = &h.fx;
    let worker = sign_in(&h, &fx.grid_worker).await;
    let cases = page(&h, &worker, "/cases").await.expect_status(200).text();
    assert!(
        cases.contains(r#"<a href="/report">上报事件</a>"#),
        "{cases}"
    );
    let html = page(&h, &worker, "/report").await.expect_status(200).text();
    // Straight to the form: the worker's own grid is the place.
    assert!(
        html.contains(r#"name="place" value="370811002001001""#),
        "{html}"
    );
    assert!(html.contains("data-retry"), "{html}");
    assert!(
        html.contains(r#"<label for="report-file">现场照片或材料</label>"#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="lat">纬度</label>"#));
    assert!(
        html.contains(r#"data-locate hidden"#),
        "the button waits for the script"
    );
    let key = field_value(&html, "idempotency_key");
    let csrf = csrf_field(&html);
    let photo = sample::jpeg(
        640,
        480,
        CameraNotes {
            taken_at: Some("2026:11:21 08:15:00"),
            position: Some((35.392, 116.582)),
        },
    );
    let second = sample::png(40, 30);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("place", GRID),
        ("category", "hazard/fire_safety"),
        ("title", "楼道堆放杂物"),
        ("description", "3号楼楼道堆放大量纸箱，堵塞消防通道。"),
        ("address", "南张村3号楼"),
        ("lat", "35.392"),
        ("lon", "116.582"),
        ("contact_name", ""),
        ("contact_phone", ""),
    ];
    let files: [(&str, &str, &[u8]); 2] = [
        ("file", "IMG_2001.jpg", &photo),
        ("file", "IMG_2002.png", &second),
    ];
    let (cases_before, events_before) = h.counts().await;
    let first = post_form(&h, &worker, "/report", &fields, &files)
        .await
        .expect_status(303);
    let again = post_form(&h, &worker, "/report", &fields, &files)
        .await
        .expect_status(303);
    assert_eq!(
        location(&first),
        location(&again),
        "the same case both times"
    );
    let (cases_after, events_after) = h.counts().await;
    assert_eq!(cases_after, cases_before + 1);
    assert_eq!(
        events_after,
        events_before + 3,
        "reported, and two photos attached"
    );

    let id = receipt_case(location(&first));
    let receipt = page(&h, &worker, location(&first))
        .await
        .expect_status(200)
        .text();
    assert!(receipt.contains("查询码"), "{receipt}");
    let shown = h
        .get(format!("/api/v1/cases/{id}"))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    assert_eq!(shown.json["channel"], "grid_report");
    assert_eq!(shown.json["region"], GRID);
    let attachments = h
        .get(format!("/api/v1/cases/{id}/attachments"))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let names: Vec<&str> = attachments.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["IMG_2001.jpg", "IMG_2002.png"]);

    // A bad photo: nothing is reported, and the page says why and what to do.
    let (cases_before, _) = h.counts().await;
    let fresh = page(&h, &worker, "/report").await.expect_status(200).text();
    let key = field_value(&fresh, "idempotency_key");
    let mut bad_fields = fields;
    bad_fields[1] = ("idempotency_key", key.as_str());
    let bad: [(&str, &str, &[u8]); 1] = [("file", "scan.heic", b"\x00\x00\x00\x18ftypheic")];
    let refused = post_form(&h, &worker, "/report", &bad_fields, &bad).await;
    assert_eq!(refused.status.as_u16(), 422);
    let text = refused.text();
    assert!(
        text.contains("只能上传 JPEG、PNG、WebP 图片或 PDF 文件"),
        "{text}"
    );
    assert!(text.contains("请重新选择照片后再提交"), "{text}");
    assert!(text.contains("楼道堆放杂物"), "what was typed is kept");
    assert_eq!(h.counts().await.0, cases_before);
}

/// Signs a resident in through the pages, with the code the SMS sender recorded.
async fn resident_signs_in(h: &Harness) -> Browser {
    let start = h.get("/resident/sign-in").send().await.expect_status(200);
    let pre = cookie_value(&start, "hezhi_sign_in").expect("the form's cookie");
    let token = csrf_field(&start.text());
    let sent = h
        .post("/resident/code")
        .text_header("cookie", &format!("hezhi_sign_in={pre}"))
        .raw(
            Some(FORM),
            form(&[("csrf_token", &token), ("phone", PHONE)]),
        )
        .send()
        .await
        .expect_status(200);
    let html = sent.text();
    assert!(
        html.contains(r#"<label for="code">验证码</label>"#),
        "{html}"
    );
    let pre = cookie_value(&sent, "hezhi_sign_in").expect("a new token");
    let token = csrf_field(&html);
    let code = h.sms.last_code(PHONE);
    // A wrong code first: refused on the page.
    let wrong = h
        .post("/resident/sign-in")
        .text_header("cookie", &format!("hezhi_sign_in={pre}"))
        .raw(
            Some(FORM),
            form(&[("csrf_token", &token), ("phone", PHONE), ("code", "000000")]),
        )
        .send()
        .await;
    assert_eq!(wrong.status.as_u16(), 401, "{}", wrong.text());
    let pre = cookie_value(&wrong, "hezhi_sign_in").expect("a new token");
    let token = csrf_field(&wrong.text());
    let signed_in = h
        .post("/resident/sign-in")
        .text_header("cookie", &format!("hezhi_sign_in={pre}"))
        .raw(
            Some(FORM),
            form(&[("csrf_token", &token), ("phone", PHONE), ("code", &code)]),
        )
        .send()
        .await
        .expect_status(303);
    assert_eq!(location(&signed_in), "/report");
    Browser {
        session: cookie_value(&signed_in, "hezhi_session").expect("a session"),
    }
}

async fn a_resident_signs_in_by_phone_and_the_position_finds_the_grid(h: Harness) {
    let fx = &h.fx;
    import(&h, VILLAGE, &village_file()).await;
    let resident = resident_signs_in(&h).await;

    // The place, level by level.
    let top = page(&h, &resident, "/report")
        .await
        .expect_status(200)
        .text();
    assert!(
        top.contains(r#"<a href="/report?place=37">山东省</a>"#),
        "{top}"
    );
    assert!(top.contains("data-locate-to"), "{top}");
    assert!(
        top.contains(r#"<a href="/resident/sign-in">"#) || top.contains("我的事件"),
        "{top}"
    );
    let town = page(&h, &resident, "/report?place=370811002")
        .await
        .expect_status(200)
        .text();
    assert!(
        town.contains(&format!(r#"<a href="/report?place={VILLAGE}">"#)),
        "{town}"
    );
    let village = page(&h, &resident, &format!("/report?place={VILLAGE}"))
        .await
        .expect_status(200)
        .text();
    assert!(
        village.contains(r#"<select id="grid" name="grid">"#),
        "{village}"
    );
    // Or at once from the phone's position.
    let (lon, lat) = IN_EAST_ARM;
    let located = page(&h, &resident, &format!("/report?lat={lat}&lon={lon}"))
        .await
        .expect_status(200)
        .text();
    assert!(
        located.contains(r#"name="place" value="370811002001002""#),
        "{located}"
    );
    let (lon_out, lat_out) = OUTSIDE_EVERY_GRID;
    let nowhere = page(
        &h,
        &resident,
        &format!("/report?lat={lat_out}&lon={lon_out}"),
    )
    .await
    .expect_status(200)
    .text();
    assert!(nowhere.contains("未能根据位置找到所在网格"), "{nowhere}");

    // Reported at the village with a position in its second grid: registered there.
    let csrf = csrf_field(&village);
    let key = field_value(&village, "idempotency_key");
    let (lat_text, lon_text) = (lat.to_string(), lon.to_string());
    let photo = sample::webp(60, 40);
    let sent = post_form(
        &h,
        &resident,
        "/report",
        &[
            ("csrf_token", csrf.as_str()),
            ("idempotency_key", key.as_str()),
            ("place", VILLAGE),
            ("grid", ""),
            ("category", "dispute/neighbour"),
            ("title", "邻居装修噪音"),
            ("description", "隔壁每天晚上十点后还在装修。"),
            ("lat", lat_text.as_str()),
            ("lon", lon_text.as_str()),
            ("contact_name", "林女士"),
            ("contact_phone", PHONE),
        ],
        &[("file", "noise.webp", &photo)],
    )
    .await
    .expect_status(303);
    let id = receipt_case(location(&sent));
    let shown = h
        .get(format!("/api/v1/cases/{id}"))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    assert_eq!(shown.json["region"], "370811002001002");
    assert_eq!(shown.json["channel"], "online");

    // His own cases, and his own case page with his photo and the public steps only.
    let mine = page(&h, &resident, "/cases")
        .await
        .expect_status(200)
        .text();
    assert!(
        mine.contains("我的事件") && mine.contains("邻居装修噪音"),
        "{mine}"
    );
    let case_page = page(&h, &resident, &format!("/cases/{id}"))
        .await
        .expect_status(200)
        .text();
    assert!(case_page.contains("noise.webp"), "{case_page}");
    // The staff sign-in form says where residents sign in.
    let staff = h.get("/sign-in").send().await.expect_status(200).text();
    assert!(
        staff.contains(r#"<a href="/resident/sign-in">群众请用手机号登录</a>"#),
        "{staff}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_worker_reports_with_photos_once_on_sqlite() {
    on_sqlite(a_grid_worker_reports_with_photos_once_however_often_the_form_is_sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_worker_reports_with_photos_once_on_postgres() {
    on_postgres(a_grid_worker_reports_with_photos_once_however_often_the_form_is_sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_signs_in_by_phone_and_reports_on_sqlite() {
    on_sqlite(a_resident_signs_in_by_phone_and_the_position_finds_the_grid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_signs_in_by_phone_and_reports_on_postgres() {
    on_postgres(a_resident_signs_in_by_phone_and_the_position_finds_the_grid).await;
}
