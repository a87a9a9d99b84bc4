//! Files through the pages: a grid worker verifies on the spot with a photo from his phone,
//! a unit attaches a document, the case page shows thumbnails with the camera's time and
//! place, a repeated submission writes nothing twice, and a bad file is refused in words.

use crate::fixture::leak_case;
use crate::harness::{CaseRef, Harness, on_postgres, on_sqlite};
use crate::ui::{Browser, csrf_field, location, page, sign_in};
use hezhi_media::sample::{self, CameraNotes};
use serde_json::json;

const BOUNDARY: &str = "----hezhi-test-boundary";

/// A `multipart/form-data` body of text fields and files `(field, file name, bytes)`.
pub(crate) fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .into_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .into_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").into_bytes());
    body
}

pub(crate) fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The value of the hidden field `name` in the form `form_id` of `html`.
pub(crate) fn hidden_in_form(html: &str, form_id: &str, name: &str) -> String {
    let form = html
        .split(&format!(r#"id="{form_id}""#))
        .nth(1)
        .unwrap_or_else(|| panic!("no form {form_id} in {html}"));
    crate::ui::field_value(form, name)
}

async fn resolved_case(h: &Harness) -> CaseRef {
    let fx = &h.fx;
    let mut case = h.dispatched_case(&leak_case()).await;
    h.step(&fx.committee_handler, &mut case, "acknowledge", json!({}))
        .await;
    h.step(&fx.department_handler, &mut case, "confirm_part", json!({}))
        .await;
    h.step(
        &fx.committee_handler,
        &mut case,
        "resolve",
        json!({ "outcome": "settled", "note": "已更换破损水管" }),
    )
    .await;
    case
}

pub(crate) async fn post_form(
    h: &Harness,
    browser: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> crate::harness::Reply {
    h.post(path)
        .cookie(&browser.session)
        .raw(Some(&content_type()), multipart(fields, files))
        .send()
        .await
}

async fn a_grid_worker_verifies_with_a_photo_once_however_often_the_form_is_sent(h: Harness) {
    let fx = &h.fx;
    let case = resolved_case(&h).await;
    let worker = sign_in(&h, &fx.grid_worker).await;
    let case_path = format!("/cases/{}", case.id);
    let html = page(&h, &worker, &case_path)
        .await
        .expect_status(200)
        .text();
    // The verification form takes a photo from the camera, and is labelled.
    assert!(html.contains(r#"id="form-verify""#), "{html}");
    assert!(html.contains(r#"enctype="multipart/form-data""#));
    assert!(
        html.contains(r#"<label for="verify-file">现场照片</label>"#),
        "{html}"
    );
    assert!(html.contains(r#"capture="environment""#));
    let key = hidden_in_form(&html, "form-verify", "idempotency_key");
    assert_eq!(key.len(), 32);

    let photo = sample::jpeg(
        1024,
        768,
        CameraNotes {
            taken_at: Some("2026:11:21 15:02:33"),
            position: Some((35.402_5, 116.587_3)),
        },
    );
    let csrf = csrf_field(&html);
    let version = case.version.to_string();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("version", version.as_str()),
        ("idempotency_key", key.as_str()),
        ("note", "现场已修复，无渗漏"),
    ];
    let files: [(&str, &str, &[u8]); 1] = [("file", "IMG_0001.jpg", &photo)];
    let path = format!("{case_path}/verify");
    let sent = post_form(&h, &worker, &path, &fields, &files)
        .await
        .expect_status(303);
    assert_eq!(location(&sent), case_path);
    // The answer was lost; the phone sends the same form again.
    let again = post_form(&h, &worker, &path, &fields, &files)
        .await
        .expect_status(303);
    assert_eq!(location(&again), case_path);

    let shown = h.show(&fx.dispatcher, &case).await;
    assert_eq!(shown["state"], "verified");
    assert_eq!(
        shown["version"],
        case.version + 2,
        "one attach and one verify, once"
    );

    let html = page(&h, &worker, &case_path)
        .await
        .expect_status(200)
        .text();
    assert!(html.contains("材料与照片"), "{html}");
    let digest = hezhi_media::digest(&photo);
    assert!(
        html.contains(&format!(
            r#"<img src="{case_path}/files/{digest}/thumbnail" alt="IMG_0001.jpg""#
        )),
        "{html}"
    );
    assert!(html.contains("拍摄时间: 2026-11-21 15:02:33"), "{html}");
    assert!(html.contains("拍摄位置: 35.40250, 116.58730"), "{html}");
    let thumbnail = page(
        &h,
        &worker,
        &format!("{case_path}/files/{digest}/thumbnail"),
    )
    .await
    .expect_status(200);
    assert_eq!(thumbnail.headers["content-type"], "image/jpeg");
    let full = page(&h, &worker, &format!("{case_path}/files/{digest}"))
        .await
        .expect_status(200);
    assert_eq!(full.bytes.as_ref(), photo.as_slice());

    // Someone outside the case's town gets nothing, through the page or the file.
    let stranger = sign_in(&h, &fx.other_dispatcher).await;
    page(&h, &stranger, &format!("{case_path}/files/{digest}"))
        .await
        .expect_status(404);
    page(
        &h,
        &stranger,
        &format!("{case_path}/files/{digest}/thumbnail"),
    )
    .await
    .expect_status(404);
}

async fn a_bad_file_is_refused_in_words_and_nothing_is_written(h: Harness) {
    let fx = &h.fx;
    let case = h.dispatched_case(&leak_case()).await;
    let handler = sign_in(&h, &fx.committee_handler).await;
    let case_path = format!("/cases/{}", case.id);
    let html = page(&h, &handler, &case_path)
        .await
        .expect_status(200)
        .text();
    assert!(html.contains(r#"id="form-attach""#), "{html}");
    let csrf = csrf_field(&html);
    let key = hidden_in_form(&html, "form-attach", "idempotency_key");
    let version = case.version.to_string();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("version", version.as_str()),
        ("idempotency_key", key.as_str()),
    ];
    let path = format!("{case_path}/attach");
    let files: [(&str, &str, &[u8]); 1] = [("file", "合同.docx", b"PK\x03\x04 a word document")];
    let refused = post_form(&h, &handler, &path, &fields, &files).await;
    assert_eq!(refused.status.as_u16(), 422);
    let text = refused.text();
    assert!(
        text.contains("只能上传 JPEG、PNG、WebP 图片或 PDF 文件"),
        "{text}"
    );
    // No file chosen at all.
    let empty: [(&str, &str, &[u8]); 1] = [("file", "", b"")];
    let none = post_form(&h, &handler, &path, &fields, &empty).await;
    assert_eq!(none.status.as_u16(), 422);
    assert!(none.text().contains("此项为必填"), "{}", none.text());
    // Five files where four are allowed.
    let pdf = sample::pdf("x");
    let five: Vec<(&str, &str, &[u8])> =
        (0..5).map(|_| ("file", "a.pdf", pdf.as_slice())).collect();
    let many = post_form(&h, &handler, &path, &fields, &five).await;
    assert_eq!(many.status.as_u16(), 422);
    assert_eq!(h.show(&fx.dispatcher, &case).await["version"], case.version);

    // A PDF goes in, and is listed without a thumbnail.
    let files: [(&str, &str, &[u8]); 1] = [("file", "调解协议.pdf", &pdf)];
    post_form(&h, &handler, &path, &fields, &files)
        .await
        .expect_status(303);
    let html = page(&h, &handler, &case_path)
        .await
        .expect_status(200)
        .text();
    assert!(
        html.contains(r#"<span class="file-kind">PDF</span>"#),
        "{html}"
    );
    assert!(html.contains("调解协议.pdf"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_worker_verifies_with_a_photo_once_on_sqlite() {
    on_sqlite(a_grid_worker_verifies_with_a_photo_once_however_often_the_form_is_sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_worker_verifies_with_a_photo_once_on_postgres() {
    on_postgres(a_grid_worker_verifies_with_a_photo_once_however_often_the_form_is_sent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_is_refused_in_words_on_sqlite() {
    on_sqlite(a_bad_file_is_refused_in_words_and_nothing_is_written).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_is_refused_in_words_on_postgres() {
    on_postgres(a_bad_file_is_refused_in_words_and_nothing_is_written).await;
}
