//! Files on cases through the API: uploaded once and judged by their content, attached by a
//! command, listed with what the camera recorded, and served only on a case the caller may
//! read.

use crate::fixture::{GRID, OTHER_VILLAGE, case_in, leak_case};
use crate::harness::{Harness, on_postgres, on_sqlite};
use hezhi_media::sample::{self, CameraNotes};
use serde_json::json;

fn photo() -> Vec<u8> {
    sample::jpeg(
        800,
        600,
        CameraNotes {
            taken_at: Some("2026:11:20 09:41:07"),
            position: Some((35.402_5, 116.587_3)),
        },
    )
}

async fn a_photo_is_stored_once_attached_and_served_with_its_thumbnail(h: Harness) {
    let fx = &h.fx;
    let mut case = h.report(&fx.grid_worker, &leak_case()).await;

    let uploaded = h
        .post("/api/v1/files")
        .by(&fx.grid_worker)
        .raw(Some("application/octet-stream"), photo())
        .send()
        .await
        .expect_status(201);
    let digest = uploaded.str("digest").to_owned();
    assert_eq!(digest, hezhi_media::digest(&photo()));
    assert_eq!(uploaded.json["media_type"], "image/jpeg");
    assert_eq!(uploaded.json["width"], 800);
    assert_eq!(uploaded.json["taken_at"], "2026-11-20T09:41:07");
    let lat = uploaded.json["position"]["lat"].as_f64().expect("lat");
    assert!((lat - 35.402_5).abs() < 1e-5, "{lat}");
    assert_eq!(uploaded.json["has_thumbnail"], true);

    // The same bytes again, under whatever name or type the client claims: one file.
    let again = h
        .post("/api/v1/files")
        .by(&fx.clerk)
        .raw(Some("application/pdf"), photo())
        .send()
        .await
        .expect_status(201);
    assert_eq!(again.str("digest"), digest);

    h.step(
        &fx.grid_worker,
        &mut case,
        "attach",
        json!({ "digest": digest, "name": "D:\\照片\\漏水现场.jpg" }),
    )
    .await;

    let listed = h
        .get(format!("/api/v1/cases/{}/attachments", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let items = listed.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "漏水现场.jpg");
    assert_eq!(items[0]["attached_by_role"], "grid_worker");
    assert_eq!(items[0]["digest"], digest.as_str());

    let content = h
        .get(format!("/api/v1/cases/{}/attachments/{digest}", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    assert_eq!(content.bytes.as_ref(), photo().as_slice());
    assert_eq!(content.headers["content-type"], "image/jpeg");
    assert_eq!(content.headers["x-content-type-options"], "nosniff");
    assert!(
        content.headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("sandbox")
    );

    let thumbnail = h
        .get(format!(
            "/api/v1/cases/{}/attachments/{digest}?thumbnail=true",
            case.id
        ))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let small = hezhi_media::inspect(&thumbnail.bytes).expect("a JPEG thumbnail");
    assert_eq!(small.dimensions, Some((320, 240)));

    // The event is in the history, and the tracking page does not show it.
    let events = h
        .get(format!("/api/v1/cases/{}/events", case.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let last = events.json["items"]
        .as_array()
        .and_then(|e| e.last().cloned())
        .expect("event");
    assert_eq!(last["type"], "attached");
    assert_eq!(last["name"], "漏水现场.jpg");
}

async fn a_file_is_served_only_on_a_case_it_is_attached_to_and_the_caller_may_read(h: Harness) {
    let fx = &h.fx;
    let mut here = h.report(&fx.clerk, &leak_case()).await;
    let elsewhere = h
        .report(
            &fx.other_dispatcher,
            &case_in(OTHER_VILLAGE, "dispute", "neighbour", "占道"),
        )
        .await;
    let plain = h
        .report(&fx.clerk, &case_in(GRID, "dispute", "neighbour", "噪音"))
        .await;
    let pdf = sample::pdf("agreement");
    let digest = h
        .post("/api/v1/files")
        .by(&fx.clerk)
        .raw(None, pdf.clone())
        .send()
        .await
        .expect_status(201)
        .str("digest")
        .to_owned();
    h.step(
        &fx.clerk,
        &mut here,
        "attach",
        json!({ "digest": digest, "name": "调解协议.pdf" }),
    )
    .await;

    let fetch = |case: &str, who| {
        h.get(format!("/api/v1/cases/{case}/attachments/{digest}"))
            .by(who)
            .send()
    };
    let ok = fetch(&here.id, &fx.dispatcher).await.expect_status(200);
    assert_eq!(ok.headers["content-type"], "application/pdf");
    // Not through another case of the same town, even to a user who may read both.
    fetch(&plain.id, &fx.dispatcher).await.expect_status(404);
    // Not to the next town's dispatcher, through either case.
    fetch(&here.id, &fx.other_dispatcher)
        .await
        .expect_status(404);
    fetch(&elsewhere.id, &fx.other_dispatcher)
        .await
        .expect_status(404);
    // A PDF has no thumbnail.
    h.get(format!(
        "/api/v1/cases/{}/attachments/{digest}?thumbnail=true",
        here.id
    ))
    .by(&fx.dispatcher)
    .send()
    .await
    .expect_status(404);
    // Bad digests and unknown parameters are told apart from a server error.
    h.get(format!("/api/v1/cases/{}/attachments/../../etc", here.id))
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(404);
    h.get(format!(
        "/api/v1/cases/{}/attachments/{digest}?size=big",
        here.id
    ))
    .by(&fx.dispatcher)
    .send()
    .await
    .expect_status(400);
    // The next town's dispatcher cannot attach to this case either.
    let refused = h
        .command(
            &fx.other_dispatcher,
            &here,
            "attach",
            &json!({ "digest": digest, "name": "x.pdf" }),
        )
        .await;
    assert_eq!(refused.status.as_u16(), 404);
}

async fn anything_but_an_image_or_a_pdf_is_refused_and_nothing_is_attached(h: Harness) {
    let fx = &h.fx;
    let case = h.report(&fx.clerk, &leak_case()).await;
    let upload = |bytes: Vec<u8>| {
        h.post("/api/v1/files")
            .by(&fx.clerk)
            .raw(Some("image/jpeg"), bytes)
            .send()
    };

    let text = upload(b"just some text, named photo.jpg".to_vec()).await;
    assert_eq!(
        (text.status.as_u16(), text.code()),
        (422, "unsupported_file_type")
    );
    assert_eq!(text.field(), Some("file"));
    let svg =
        upload(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec())
            .await;
    assert_eq!(svg.code(), "unsupported_file_type");
    let empty = upload(Vec::new()).await;
    assert_eq!((empty.status.as_u16(), empty.code()), (422, "file_empty"));
    let mut cut = photo();
    cut.truncate(cut.len() / 2);
    let damaged = upload(cut).await;
    assert_eq!(
        (damaged.status.as_u16(), damaged.code()),
        (422, "unreadable_file")
    );
    let mut big = vec![0xFF, 0xD8, 0xFF];
    big.resize(hezhi_media::MAX_FILE_SIZE + 1, 0);
    let too_big = upload(big).await;
    assert_eq!(
        (too_big.status.as_u16(), too_big.code()),
        (413, "file_too_large")
    );
    let mut huge = vec![0u8; hezhi_media::MAX_FILE_SIZE + 128 * 1024];
    huge[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    assert_eq!(upload(huge).await.status.as_u16(), 413);
    // Chinese by default.
    assert!(
        text.message()
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{}",
        text.message()
    );

    // A digest that names no stored file, a bad digest, a bad name: refused, version unchanged.
    let unknown = h
        .command(
            &fx.clerk,
            &case,
            "attach",
            &json!({ "digest": "0".repeat(64), "name": "a.jpg" }),
        )
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (422, "unknown_file")
    );
    let bad = h
        .command(
            &fx.clerk,
            &case,
            "attach",
            &json!({ "digest": "../x", "name": "a.jpg" }),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 422);
    crate::fixture::store_sample_file(&h).await;
    let nameless = h
        .command(
            &fx.clerk,
            &case,
            "attach",
            &json!({ "digest": crate::fixture::sample_file_digest(), "name": "  " }),
        )
        .await;
    assert_eq!(
        (nameless.status.as_u16(), nameless.field()),
        (422, Some("name"))
    );
    assert_eq!(h.show(&fx.clerk, &case).await["version"], case.version);

    // A leader attaches nothing, so he may not upload either.
    let leader = h
        .person(
            "leader_a",
            hezhi_domain::Role::Leader,
            Some("370811002"),
            None,
        )
        .await;
    let refused = h
        .post("/api/v1/files")
        .by(&leader)
        .raw(None, photo())
        .send()
        .await;
    assert_eq!(refused.status.as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_stored_once_attached_and_served_with_its_thumbnail_on_sqlite() {
    on_sqlite(a_photo_is_stored_once_attached_and_served_with_its_thumbnail).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_stored_once_attached_and_served_with_its_thumbnail_on_postgres() {
    on_postgres(a_photo_is_stored_once_attached_and_served_with_its_thumbnail).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_served_only_where_attached_and_readable_on_sqlite() {
    on_sqlite(a_file_is_served_only_on_a_case_it_is_attached_to_and_the_caller_may_read).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_served_only_where_attached_and_readable_on_postgres() {
    on_postgres(a_file_is_served_only_on_a_case_it_is_attached_to_and_the_caller_may_read).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_but_an_image_or_a_pdf_is_refused_on_sqlite() {
    on_sqlite(anything_but_an_image_or_a_pdf_is_refused_and_nothing_is_attached).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_but_an_image_or_a_pdf_is_refused_on_postgres() {
    on_postgres(anything_but_an_image_or_a_pdf_is_refused_and_nothing_is_attached).await;
}
