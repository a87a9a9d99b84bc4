//! Staff phones for reminders: set, replaced, removed, and found by role and exact scope,
//! live assignments only.

use crate::{RecipientScope, RoleAssignment, Store, Unit, User};
use chrono::{DateTime, TimeZone, Utc};
use hezhi_domain::{AssignmentId, Phone, RegionCode, Role, UnitId, UnitKind, UserId};
use std::sync::Arc;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, hour, 0, 0)
        .single()
        .expect("time")
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region")
}

fn phone(text: &str) -> Phone {
    Phone::parse(text).expect("phone")
}

fn staff(n: u128, role: Role, region: Option<&str>, unit: Option<UnitId>) -> User {
    let id = UserId::from_uuid(uuid::Uuid::from_u128(0x6100 + n));
    User {
        id,
        name: format!("提醒{n}"),
        created_at: at(8),
        assignments: vec![RoleAssignment {
            id: AssignmentId::from_uuid(uuid::Uuid::from_u128(0x6200 + n)),
            user: id,
            role,
            region: region.map(code),
            unit,
            granted_at: at(8),
            granted_by: None,
        }],
    }
}

pub(super) async fn staff_phones(store: Arc<dyn Store>) {
    let unit = Unit {
        id: UnitId::from_uuid(uuid::Uuid::from_u128(0x6000)),
        name: "提醒测试调解委员会".into(),
        kind: UnitKind::MediationCommittee,
        region: code("370826"),
        categories: vec![],
    };
    store.insert_unit(&unit).await.expect("unit");
    let handler = staff(1, Role::UnitHandler, Some("370826"), Some(unit.id));
    let dispatcher = staff(2, Role::Dispatcher, Some("370826001"), None);
    let above = staff(3, Role::Dispatcher, Some("370826"), None);
    let silent = staff(4, Role::Dispatcher, Some("370826001"), None);
    for user in [&handler, &dispatcher, &above, &silent] {
        store.insert_user(user).await.expect("user");
    }
    assert_eq!(store.staff_phone(handler.id).await.expect("read"), None);
    store
        .set_staff_phone(handler.id, Some(&phone("13700000001")), at(9))
        .await
        .expect("set");
    store
        .set_staff_phone(handler.id, Some(&phone("13700000011")), at(10))
        .await
        .expect("replace");
    assert_eq!(
        store.staff_phone(handler.id).await.expect("read"),
        Some(phone("13700000011"))
    );
    for user in [&dispatcher, &above] {
        store
            .set_staff_phone(user.id, Some(&phone("13700000002")), at(9))
            .await
            .expect("set");
    }
    let found = store
        .reminder_recipients(Role::UnitHandler, &RecipientScope::Unit(unit.id))
        .await
        .expect("by unit");
    assert_eq!(found, vec![(handler.id, phone("13700000011"))]);
    // Exactly the region named, not above it; a user without a phone is left out.
    let found = store
        .reminder_recipients(Role::Dispatcher, &RecipientScope::Region(code("370826001")))
        .await
        .expect("by region");
    assert_eq!(found, vec![(dispatcher.id, phone("13700000002"))]);
    assert!(
        store
            .reminder_recipients(Role::Supervisor, &RecipientScope::Region(code("370826001")))
            .await
            .expect("other role")
            .is_empty()
    );
    // A revoked assignment hears nothing; a removed phone neither.
    store
        .revoke_role(dispatcher.assignments[0].id, at(11))
        .await
        .expect("revoke");
    assert!(
        store
            .reminder_recipients(Role::Dispatcher, &RecipientScope::Region(code("370826001")))
            .await
            .expect("by region")
            .is_empty()
    );
    store
        .set_staff_phone(handler.id, None, at(12))
        .await
        .expect("remove");
    assert_eq!(store.staff_phone(handler.id).await.expect("read"), None);
    assert!(
        store
            .reminder_recipients(Role::UnitHandler, &RecipientScope::Unit(unit.id))
            .await
            .expect("by unit")
            .is_empty()
    );
}
