//! Deadline reminders by SMS: a system administrator gives staff a reminder phone, and the
//! sweeper's warning, overdue notice and escalation reach the people who must act — once
//! each, and nobody without a phone.

use crate::harness::{Harness, SqliteFile, audited, on_postgres, on_sqlite};
use crate::ui::{page, sign_in_enrolling_totp};
use crate::ui_admin::post;
use hezhi_domain::Role;

async fn the_sweeper_texts_the_dispatcher_then_the_supervisor_above(h: Harness) {
    let fx = &h.fx;
    let supervisor = h
        .person("county_supervisor", Role::Supervisor, Some("370811"), None)
        .await;
    let other_supervisor = h
        .person("city_supervisor", Role::Supervisor, Some("3708"), None)
        .await;

    // The system administrator enters the phones in the users' table.
    let admin = sign_in_enrolling_totp(&h, &fx.admin).await;
    let html = page(&h, &admin, "/admin").await.expect_status(200).text();
    assert!(html.contains("提醒手机号"), "{html}");
    for (who, phone) in [
        (&fx.dispatcher, "13900000001"),
        (&supervisor, "13900000002"),
        (&other_supervisor, "13900000003"),
    ] {
        let done = post(
            &h,
            &admin,
            &format!("/admin/users/{}/phone", who.id),
            &[("phone", phone)],
        )
        .await
        .expect_status(200)
        .text();
        assert!(done.contains("已保存提醒手机号"), "{done}");
    }
    let bad = post(
        &h,
        &admin,
        &format!("/admin/users/{}/phone", fx.clerk.id),
        &[("phone", "12345")],
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.text());
    // A phone set and removed again: the clerk gets nothing.
    for phone in ["13900000009", ""] {
        post(
            &h,
            &admin,
            &format!("/admin/users/{}/phone", fx.clerk.id),
            &[("phone", phone)],
        )
        .await
        .expect_status(200);
    }
    assert_eq!(h.store.staff_phone(fx.clerk.id).await.expect("read"), None);
    assert_eq!(
        h.store.staff_phone(fx.dispatcher.id).await.expect("read"),
        Some(hezhi_domain::Phone::parse("13900000001").expect("phone"))
    );
    assert_eq!(audited(&h.store, "staff_phone_set").await.len(), 5);

    // A red case triaged and not yet dispatched: the town's dispatcher hears of it.
    h.triaged_case_as(&crate::fixture::leak_case(), "red").await;
    h.clock.advance(chrono::Duration::hours(19));
    assert_eq!(h.app.sweep_deadlines(100).await.expect("sweep"), 1);
    let sent = h.sms.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "13900000001");
    assert!(sent[0].1.contains("即将到期"), "{}", sent[0].1);
    assert!(sent[0].1.contains("楼上卫生间漏水"), "{}", sent[0].1);
    h.app.sweep_deadlines(100).await.expect("sweep");
    assert_eq!(h.sms.messages().len(), 1, "warned once");

    // Overdue: the dispatcher again, and the county's supervisor for the escalation; not the
    // city's.
    h.clock.advance(chrono::Duration::hours(6));
    assert_eq!(h.app.sweep_deadlines(100).await.expect("sweep"), 1);
    let sent = h.sms.messages();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(sent[1].0, "13900000001");
    assert!(sent[1].1.contains("已超过办理期限"), "{}", sent[1].1);
    assert_eq!(sent[2].0, "13900000002");
    assert!(sent[2].1.contains("已提级至370811督办"), "{}", sent[2].1);
    h.app.sweep_deadlines(100).await.expect("sweep");
    assert_eq!(h.sms.messages().len(), 3, "once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_reminders_on_sqlite() {
    on_sqlite(the_sweeper_texts_the_dispatcher_then_the_supervisor_above).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_reminders_on_postgres() {
    on_postgres(the_sweeper_texts_the_dispatcher_then_the_supervisor_above).await;
}

/// A staff member's reminder phone is encrypted in the database file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_phone_is_not_stored_in_the_clear_on_sqlite() {
    let file = SqliteFile::open().await;
    let h = Harness::new(std::sync::Arc::new(file.store.clone())).await;
    h.app
        .operator_set_staff_phone(h.fx.dispatcher.id, Some("13912345678"))
        .await
        .expect("set");
    assert_eq!(
        h.store
            .staff_phone(h.fx.dispatcher.id)
            .await
            .expect("read")
            .map(|p| p.as_str().to_owned()),
        Some("13912345678".to_owned())
    );
    assert!(!file.close_and_find("13912345678").await);
}
