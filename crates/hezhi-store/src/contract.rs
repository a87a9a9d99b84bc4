//! The contract every backend must meet, run unchanged against SQLite and PostgreSQL.
//!
//! A backend's test calls [`run_all`] with a fresh, empty store. Each scenario names itself
//! in its panic message, so a failure says which rule the backend broke.

mod contacts;
mod rollups;
pub mod tamper;

use crate::{
    ApiTokenRecord, Attention, CaseFilter, Category, GridShape, IdempotencyKey, ListScope,
    PageRequest, Region, RoleAssignment, SendLimits, SessionRecord, Store, StoreError, ThrottleKey,
    Unit, User, WriteOp,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use hezhi_domain::{
    Actor, AssignmentId, Case, CaseId, CaseKind, CaseState, CategoryCode, Channel, Command,
    Complexity, NewCase, Party, PartyRole, Phone, Position, ReferralChannel, RegionCode,
    RegionLevel, Role, Shape, TokenId, TrackingCode, UnitId, UnitKind, Urgency, UserId, decide,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Scenario = fn(Arc<dyn Store>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every scenario, by name.
pub const SCENARIOS: &[(&str, Scenario)] = &[
    ("case_numbers_are_gap_free_per_county_and_year", |s| {
        Box::pin(case_numbers_are_gap_free(s))
    }),
    ("a_created_case_reads_back_with_its_report_event", |s| {
        Box::pin(created_case_reads_back(s))
    }),
    ("a_stale_version_is_refused_and_writes_nothing", |s| {
        Box::pin(stale_version_is_refused(s))
    }),
    ("a_refused_op_does_not_undo_the_rest_of_its_batch", |s| {
        Box::pin(refused_op_keeps_batch(s))
    }),
    ("an_idempotency_key_is_recorded_once", |s| {
        Box::pin(idempotency_key_recorded_once(s))
    }),
    (
        "every_case_event_and_audit_record_is_chained_and_verifies",
        |s| Box::pin(audit_chains(s)),
    ),
    (
        "a_batch_of_reports_is_numbered_in_order_without_gaps",
        |s| Box::pin(batch_of_reports_numbered(s)),
    ),
    (
        "a_refused_report_in_a_batch_leaves_the_others_and_no_gap",
        |s| Box::pin(refused_report_in_batch(s)),
    ),
    ("a_duplicate_tracking_code_is_refused", |s| {
        Box::pin(duplicate_tracking_code(s))
    }),
    (
        "case_lists_filter_in_the_database_and_page_newest_first",
        |s| Box::pin(list_filters(s)),
    ),
    (
        "returned_cases_and_extension_requests_are_listed_until_decided_and_open_cases_alone",
        |s| Box::pin(attention_lists(s)),
    ),
    ("a_queue_lists_by_urgency_then_nearest_due_time", |s| {
        Box::pin(queue_order(s))
    }),
    ("regions_upsert_repeatably_and_list_children", |s| {
        Box::pin(regions(s))
    }),
    ("units_are_found_by_id_and_by_region", |s| {
        Box::pin(units(s))
    }),
    ("users_are_found_by_token_hash", |s| {
        Box::pin(users_and_tokens(s))
    }),
    ("categories_upsert_and_read_back", |s| {
        Box::pin(categories(s))
    }),
    (
        "cases_are_found_by_a_party_phone_or_id_number_within_the_filter",
        |s| Box::pin(party_lookup(s)),
    ),
    (
        "a_rotated_data_key_encrypts_new_writes_and_old_values_still_read",
        |s| Box::pin(rotated_data_key(s)),
    ),
    (
        "rewrapping_the_keys_under_a_new_master_key_keeps_every_value_readable",
        |s| Box::pin(rewrapped_keys(s)),
    ),
    (
        "grid_shapes_upsert_with_their_grids_and_are_found_by_box",
        |s| Box::pin(grid_shapes(s)),
    ),
    (
        "credentials_keep_a_password_and_a_totp_secret_whose_steps_are_used_once",
        |s| Box::pin(credentials(s)),
    ),
    (
        "sessions_are_found_by_hash_touched_revoked_and_purged",
        |s| Box::pin(sessions(s)),
    ),
    (
        "failed_sign_ins_are_counted_per_key_forgotten_after_a_while_and_cleared",
        |s| Box::pin(sign_in_failures(s)),
    ),
    ("api_tokens_are_listed_and_revoked_once", |s| {
        Box::pin(token_revocation(s))
    }),
    (
        "resident_codes_are_limited_tried_at_most_so_often_used_once_and_phones_map_to_one_user",
        |s| Box::pin(resident_sign_in(s)),
    ),
    (
        "cases_are_counted_by_state_urgency_category_region_and_china_day",
        |s| Box::pin(case_counts(s)),
    ),
    (
        "cases_come_to_the_sweeper_when_their_warning_or_deadline_comes_and_not_again",
        |s| Box::pin(cases_to_sweep(s)),
    ),
    (
        "deadline_policies_are_saved_as_new_versions_and_never_overwritten",
        |s| Box::pin(deadline_policies(s)),
    ),
    (
        "attachment_files_are_stored_once_per_digest_with_their_thumbnails",
        |s| Box::pin(attachment_files(s)),
    ),
    (
        "staff_phones_are_set_replaced_removed_and_found_by_role_and_exact_scope",
        |s| Box::pin(contacts::staff_phones(s)),
    ),
    (
        "indicator_rollups_after_a_random_workload_equal_a_scan_and_a_rebuild_from_the_event_log",
        |s| Box::pin(rollups::rollups_equal_a_rebuild(s)),
    ),
];

/// Keys for a test store: a fresh random master key, AES-256-GCM.
pub fn test_keys() -> crate::PersonalDataKeys {
    crate::PersonalDataKeys::new(
        crate::MasterKey::generate().expect("randomness"),
        crate::Cipher::Aes256Gcm,
    )
}

/// Runs every scenario in order against `store`, which must start empty.
pub async fn run_all(store: Arc<dyn Store>) {
    for (name, scenario) in SCENARIOS {
        eprintln!("contract: {name}");
        scenario(Arc::clone(&store)).await;
    }
}

// ---- fixtures -------------------------------------------------------------------------

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region code")
}

fn dispatcher() -> Actor {
    Actor {
        user: UserId::from_uuid(uuid::Uuid::from_u128(1)),
        role: Role::Dispatcher,
        region: Some(code("37")),
        unit: None,
    }
}

fn new_case(region: &str, category: &str, title: &str) -> NewCase {
    NewCase {
        kind: CaseKind::Dispute,
        category: CategoryCode::parse(category).expect("category"),
        channel: Channel::Window,
        region: code(region),
        address: Some("幸福路 1 号".into()),
        position: None,
        title: title.into(),
        description: "楼上漏水导致楼下天花板受损，双方协商未果。".into(),
        parties: vec![
            Party::parse(
                PartyRole::Applicant,
                "陈某某",
                Some("15100002320"),
                Some("370811199203213389"),
                None,
            )
            .expect("party"),
        ],
        amount_yuan: Some(2000),
        people_involved: Some(2),
        case_leader: None,
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_random() -> u64 {
    // Distinct across scenarios that share a store.
    NEXT.fetch_add(7_919, std::sync::atomic::Ordering::Relaxed)
}

fn create_op(region: &str, category: &str, when: DateTime<Utc>) -> WriteOp {
    create_op_with(new_case(region, category, "楼上漏水"), when)
}

fn create_op_with(data: NewCase, when: DateTime<Utc>) -> WriteOp {
    let random = next_random();
    WriteOp::CreateCase {
        id: CaseId::compose(
            u64::try_from(when.timestamp_millis()).expect("after 1970") + random % 1000,
            &data.region,
            (u128::from(random) << 16).to_be_bytes()[6..16]
                .try_into()
                .expect("10 bytes"),
        ),
        tracking_code: TrackingCode::from_random(random * 104_729),
        data: Box::new(data),
        actor: dispatcher(),
        at: when,
        idempotency: None,
    }
}

async fn create(store: &Arc<dyn Store>, op: WriteOp) -> Case {
    let receipt = store
        .write_batch(vec![op])
        .await
        .expect("transaction")
        .pop()
        .expect("one result")
        .expect("created");
    store
        .case(receipt.id)
        .await
        .expect("read")
        .expect("case exists")
}

/// Decides `command` on `case` as `actor` and stores the outcome.
async fn run(
    store: &Arc<dyn Store>,
    case: &Case,
    command: Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Case, StoreError> {
    let units: Vec<_> = store
        .units_by_ids(&command.named_units())
        .await
        .expect("units")
        .iter()
        .map(Unit::snapshot)
        .collect();
    let events = decide(case, &command, actor, now, &units).expect("command is legal");
    let next = events
        .iter()
        .try_fold(case.clone(), |c, e| hezhi_domain::evolve(Some(c), e))
        .expect("evolves");
    let op = WriteOp::append(case.clone(), events, next.clone(), None);
    store
        .write_batch(vec![op])
        .await
        .expect("transaction")
        .pop()
        .expect("one result")?;
    Ok(next)
}

async fn triage(store: &Arc<dyn Store>, case: &Case, urgency: Urgency) -> Case {
    let accepted = run(
        store,
        case,
        Command::Accept { note: None },
        &dispatcher(),
        case.reported_at,
    )
    .await
    .expect("accept");
    let command = Command::Triage {
        kind: CaseKind::Dispute,
        category: accepted.data.category.clone(),
        complexity: Complexity::Simple,
        urgency,
        reason: None,
        case_leader: None,
        promised_due_at: None,
    };
    run(store, &accepted, command, &dispatcher(), case.reported_at)
        .await
        .expect("triage")
}

/// The ids of the first `limit` cases `filter` lists, and the cursor of the next page.
async fn listed_ids(
    store: &Arc<dyn Store>,
    filter: &CaseFilter,
    limit: u32,
) -> (Vec<CaseId>, Option<CaseId>) {
    let page = store
        .list_cases(filter, &PageRequest { after: None, limit })
        .await
        .expect("list");
    (page.items.iter().map(|c| c.id).collect(), page.next)
}

// ---- scenarios --------------------------------------------------------------------------

async fn case_numbers_are_gap_free(store: Arc<dyn Store>) {
    let first = create(&store, create_op("370811002001", "neighbour", at(1, 9))).await;
    let second = create(&store, create_op("370811002001", "neighbour", at(1, 10))).await;
    let other_county = create(&store, create_op("370404103202", "neighbour", at(1, 10))).await;
    let next_year = create(
        &store,
        create_op("370811002001", "neighbour", at(1, 9) + Duration::days(366)),
    )
    .await;
    assert_eq!(first.number.to_string(), "370811-2026-000001");
    assert_eq!(second.number.to_string(), "370811-2026-000002");
    assert_eq!(other_county.number.to_string(), "370404-2026-000001");
    assert_eq!(next_year.number.to_string(), "370811-2027-000001");
    // A refused op gives its number back: the next case takes it.
    let mut bad = create_op("370811002001", "neighbour", at(1, 11));
    if let WriteOp::CreateCase { tracking_code, .. } = &mut bad {
        *tracking_code = first.tracking_code.clone();
    }
    let results = store.write_batch(vec![bad]).await.expect("transaction");
    assert!(results[0].is_err());
    let third = create(&store, create_op("370811002001", "neighbour", at(1, 12))).await;
    assert_eq!(third.number.to_string(), "370811-2026-000003");
}

async fn created_case_reads_back(store: Arc<dyn Store>) {
    let case = create(&store, create_op("370811002001003", "contract", at(2, 9))).await;
    assert_eq!(case.state, CaseState::Reported);
    assert_eq!(case.version, 1);
    assert_eq!(case.data.region.as_str(), "370811002001003");
    assert_eq!(case.data.parties[0].name, "陈某某");
    let events = store.events(case.id).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].sequence, 1);
    assert_eq!(events[0].kind.name(), "reported");
    assert_eq!(events[0].at, at(2, 9));
    let by_code = store
        .case_by_tracking_code(&case.tracking_code)
        .await
        .expect("read");
    assert_eq!(by_code.map(|c| c.id), Some(case.id));
    let missing = CaseId::compose(1, &code("370811"), [9; 10]);
    assert!(store.case(missing).await.expect("read").is_none());
}

async fn stale_version_is_refused(store: Arc<dyn Store>) {
    let case = create(&store, create_op("370811002001", "neighbour", at(3, 9))).await;
    let accepted = run(
        &store,
        &case,
        Command::Accept { note: None },
        &dispatcher(),
        at(3, 10),
    )
    .await
    .expect("accept");
    assert_eq!(accepted.version, 2);
    // A second writer that still holds version 1.
    let error = run(
        &store,
        &case,
        Command::Accept {
            note: Some("again".into()),
        },
        &dispatcher(),
        at(3, 11),
    )
    .await
    .expect_err("stale");
    assert!(
        matches!(
            error,
            StoreError::VersionConflict {
                expected: 1,
                found: 2
            }
        ),
        "got {error:?}"
    );
    let stored = store.case(case.id).await.expect("read").expect("exists");
    assert_eq!(stored.version, 2);
    assert_eq!(store.events(case.id).await.expect("events").len(), 2);
}

async fn refused_op_keeps_batch(store: Arc<dyn Store>) {
    let case = create(&store, create_op("370811002001", "neighbour", at(4, 9))).await;
    let accepted = run(
        &store,
        &case,
        Command::Accept { note: None },
        &dispatcher(),
        at(4, 10),
    )
    .await
    .expect("accept");
    let (before_cases, before_events) = store.count_cases_and_events().await.expect("count");
    assert_eq!(case.version, 1);
    let stale = WriteOp::append(
        case.clone(),
        decide(
            &case,
            &Command::Accept { note: None },
            &dispatcher(),
            at(4, 11),
            &[],
        )
        .expect("legal on the old version"),
        accepted.clone(),
        None,
    );
    let results = store
        .write_batch(vec![
            create_op("370811002001", "neighbour", at(4, 12)),
            stale,
            create_op("370811002001", "neighbour", at(4, 13)),
        ])
        .await
        .expect("transaction");
    assert!(results[0].is_ok());
    assert!(matches!(
        results[1],
        Err(StoreError::VersionConflict { .. })
    ));
    assert!(results[2].is_ok());
    let (after_cases, after_events) = store.count_cases_and_events().await.expect("count");
    assert_eq!(
        (after_cases, after_events),
        (before_cases + 2, before_events + 2)
    );
}

async fn idempotency_key_recorded_once(store: Arc<dyn Store>) {
    let key = IdempotencyKey {
        user: dispatcher().user,
        key: "retry-me".into(),
        request_hash: "hash-1".into(),
    };
    let with_key = |when| {
        let mut op = create_op("370811002001", "neighbour", when);
        if let WriteOp::CreateCase { idempotency, .. } = &mut op {
            *idempotency = Some(key.clone());
        }
        op
    };
    let first = store
        .write_batch(vec![with_key(at(5, 9))])
        .await
        .expect("tx")
        .pop()
        .expect("one");
    let first = first.expect("first write");
    let (cases, _) = store.count_cases_and_events().await.expect("count");
    let second = store
        .write_batch(vec![with_key(at(5, 10))])
        .await
        .expect("tx")
        .pop()
        .expect("one");
    assert!(
        matches!(second, Err(StoreError::IdempotencyKeyTaken)),
        "got {second:?}"
    );
    assert_eq!(
        store.count_cases_and_events().await.expect("count").0,
        cases
    );
    let record = store
        .idempotency_record(key.user, &key.key)
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(record.request_hash, "hash-1");
    assert_eq!(record.status, 201);
    assert_eq!(record.receipt, first);
    let other_user = UserId::from_uuid(uuid::Uuid::from_u128(99));
    assert!(
        store
            .idempotency_record(other_user, &key.key)
            .await
            .expect("read")
            .is_none()
    );
}

async fn attention_lists(store: Arc<dyn Store>) {
    let region = "370827001001";
    let lead = Unit {
        id: UnitId::from_uuid(uuid::Uuid::from_u128(0x2701)),
        name: "鱼台县人社局".into(),
        kind: UnitKind::Department,
        region: code("370827"),
        categories: vec![],
    };
    store.insert_unit(&lead).await.expect("unit");
    let handler = Actor {
        user: UserId::from_uuid(uuid::Uuid::from_u128(0x2702)),
        role: Role::UnitHandler,
        region: Some(code("370827")),
        unit: Some(lead.id),
    };
    let listed = |attention| {
        let filter = CaseFilter {
            region: Some(code(region)),
            attention: Some(attention),
            ..CaseFilter::default()
        };
        let store = Arc::clone(&store);
        async move { listed_ids(&store, &filter, 50).await.0 }
    };
    let dispatch = Command::Dispatch {
        lead_unit: lead.id,
        supporting_units: vec![],
        due_at: at(25, 8),
        note: None,
    };
    let made = create(&store, create_op(region, "labour", at(20, 8))).await;
    let triaged = triage(&store, &made, Urgency::Orange).await;
    assert!(
        listed(Attention::Returned).await.is_empty(),
        "never returned"
    );
    let dispatched = run(&store, &triaged, dispatch.clone(), &dispatcher(), at(20, 9))
        .await
        .expect("dispatch");
    let returned = run(
        &store,
        &dispatched,
        Command::Return {
            reason: "不属于本单位职责".into(),
        },
        &handler,
        at(20, 10),
    )
    .await
    .expect("return");
    assert_eq!(listed(Attention::Returned).await, vec![made.id]);
    assert!(listed(Attention::Extension).await.is_empty());
    let again = run(&store, &returned, dispatch, &dispatcher(), at(20, 11))
        .await
        .expect("dispatch again");
    assert!(
        listed(Attention::Returned).await.is_empty(),
        "dispatched again, it waits on nobody at the centre"
    );
    let acknowledged = run(
        &store,
        &again,
        Command::Acknowledge { note: None },
        &handler,
        at(20, 12),
    )
    .await
    .expect("acknowledge");
    let asked = run(
        &store,
        &acknowledged,
        Command::RequestExtension {
            until: at(28, 8),
            reason: "需等待劳动仲裁结果".into(),
        },
        &handler,
        at(21, 8),
    )
    .await
    .expect("request extension");
    assert_eq!(listed(Attention::Extension).await, vec![made.id]);
    run(
        &store,
        &asked,
        Command::ApproveExtension { note: None },
        &dispatcher(),
        at(21, 9),
    )
    .await
    .expect("approve");
    assert!(listed(Attention::Extension).await.is_empty(), "decided");

    // Open cases only: a declined case is not open, one being handled is.
    let other = create(&store, create_op(region, "labour", at(22, 8))).await;
    run(
        &store,
        &other,
        Command::Decline {
            reason: "属劳动仲裁受理范围".into(),
            suggested_channel: ReferralChannel::Arbitration,
        },
        &dispatcher(),
        at(22, 9),
    )
    .await
    .expect("decline");
    let count = |open_only| {
        let filter = CaseFilter {
            region: Some(code(region)),
            open_only,
            ..CaseFilter::default()
        };
        let store = Arc::clone(&store);
        async move { listed_ids(&store, &filter, 50).await.0.len() }
    };
    assert_eq!(count(false).await, 2);
    assert_eq!(count(true).await, 1, "only the open one");
}

async fn queue_order(store: Arc<dyn Store>) {
    let region = "370826001001";
    let lead = Unit {
        id: UnitId::from_uuid(uuid::Uuid::from_u128(0x2601)),
        name: "汶上县住建局".into(),
        kind: UnitKind::Department,
        region: code("370826"),
        categories: vec![],
    };
    store.insert_unit(&lead).await.expect("unit");
    let dispatch = |due_day| Command::Dispatch {
        lead_unit: lead.id,
        supporting_units: vec![],
        due_at: at(due_day, 8),
        note: None,
    };
    let ungraded = create(&store, create_op(region, "neighbour", at(15, 8))).await;
    let made = create(&store, create_op(region, "neighbour", at(15, 9))).await;
    let yellow = triage(&store, &made, Urgency::Yellow).await;
    let made = create(&store, create_op(region, "neighbour", at(15, 10))).await;
    let red = triage(&store, &made, Urgency::Red).await;
    let red_later = run(&store, &red, dispatch(21), &dispatcher(), at(15, 11))
        .await
        .expect("dispatch");
    let made = create(&store, create_op(region, "neighbour", at(15, 12))).await;
    let red = triage(&store, &made, Urgency::Red).await;
    let red_sooner = run(&store, &red, dispatch(20), &dispatcher(), at(15, 13))
        .await
        .expect("dispatch");
    let made = create(&store, create_op(region, "neighbour", at(15, 14))).await;
    let red_undated = triage(&store, &made, Urgency::Red).await;
    let made = create(&store, create_op(region, "neighbour", at(15, 15))).await;
    let orange = triage(&store, &made, Urgency::Orange).await;

    let queue = CaseFilter {
        region: Some(code(region)),
        order: crate::CaseOrder::Queue,
        ..CaseFilter::default()
    };
    let ids = |limit| {
        let store = Arc::clone(&store);
        let queue = queue.clone();
        async move {
            let (ids, next) = listed_ids(&store, &queue, limit).await;
            assert!(next.is_none(), "a queue has no cursor");
            ids
        }
    };
    assert_eq!(
        ids(50).await,
        vec![
            red_sooner.id,
            red_later.id,
            red_undated.id,
            orange.id,
            yellow.id,
            ungraded.id
        ],
        "red before orange before yellow before ungraded; nearest due first, undated last"
    );
    assert_eq!(
        ids(2).await,
        vec![red_sooner.id, red_later.id],
        "the head of the queue"
    );
    let cursor = store
        .list_cases(
            &queue,
            &PageRequest {
                after: Some(red_sooner.id),
                limit: 50,
            },
        )
        .await
        .expect("list");
    assert_eq!(cursor.items.len(), 6, "a cursor does not cut a queue");
}

async fn duplicate_tracking_code(store: Arc<dyn Store>) {
    let case = create(&store, create_op("370811002001", "neighbour", at(6, 9))).await;
    let mut op = create_op("370811002001", "neighbour", at(6, 10));
    if let WriteOp::CreateCase { tracking_code, .. } = &mut op {
        *tracking_code = case.tracking_code.clone();
    }
    let result = store
        .write_batch(vec![op])
        .await
        .expect("tx")
        .pop()
        .expect("one");
    assert!(
        matches!(result, Err(StoreError::Duplicate("tracking_code"))),
        "got {result:?}"
    );
}

async fn list_filters(store: Arc<dyn Store>) {
    let region = "370812001001";
    let lead = Unit {
        id: UnitId::from_uuid(uuid::Uuid::from_u128(0x1001)),
        name: "兖州区住建局".into(),
        kind: UnitKind::Department,
        region: code("370812"),
        categories: vec![],
    };
    store.insert_unit(&lead).await.expect("unit");
    let mut made = Vec::new();
    for hour in 0..5 {
        made.push(create(&store, create_op(region, "neighbour", at(10, 8 + hour))).await);
    }
    let labour = create(&store, create_op("370812001002", "labour", at(10, 14))).await;
    let red = triage(&store, &made[0], Urgency::Red).await;
    let dispatched = run(
        &store,
        &red,
        Command::Dispatch {
            lead_unit: lead.id,
            supporting_units: vec![],
            due_at: at(11, 8),
            note: None,
        },
        &dispatcher(),
        at(10, 9),
    )
    .await
    .expect("dispatch");

    let in_county = CaseFilter {
        region: Some(code("370812")),
        ..CaseFilter::default()
    };
    let page = |after, limit| PageRequest { after, limit };
    let all = store
        .list_cases(&in_county, &page(None, 50))
        .await
        .expect("list");
    let ids: Vec<_> = all.items.iter().map(|c| c.id).collect();
    let mut expected: Vec<_> = made.iter().map(|c| c.id).chain([labour.id]).collect();
    expected.sort();
    expected.reverse();
    assert_eq!(ids, expected, "newest first");
    assert!(all.next.is_none());

    let first = store
        .list_cases(&in_county, &page(None, 4))
        .await
        .expect("list");
    assert_eq!(first.items.len(), 4);
    let second = store
        .list_cases(&in_county, &page(first.next, 4))
        .await
        .expect("list");
    assert_eq!(second.items.len(), 2);
    assert!(second.next.is_none());

    let count = |filter: CaseFilter| {
        let store = Arc::clone(&store);
        async move {
            store
                .list_cases(&filter, &page(None, 200))
                .await
                .expect("list")
                .items
                .len()
        }
    };
    assert_eq!(
        count(CaseFilter {
            region: Some(code(region)),
            ..in_county.clone()
        })
        .await,
        5
    );
    assert!(
        count(CaseFilter {
            region: Some(code("370811")),
            ..CaseFilter::default()
        })
        .await
            > 0
    );
    assert_eq!(
        count(CaseFilter {
            category: Some(CategoryCode::parse("labour").expect("code")),
            ..in_county.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(CaseFilter {
            state: Some(CaseState::Dispatched),
            ..in_county.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(CaseFilter {
            urgency: Some(Urgency::Red),
            ..in_county.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(CaseFilter {
            unit: Some(lead.id),
            ..CaseFilter::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(CaseFilter {
            overdue_at: Some(at(11, 7)),
            ..in_county.clone()
        })
        .await,
        0
    );
    assert_eq!(
        count(CaseFilter {
            overdue_at: Some(at(11, 9)),
            ..in_county.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(CaseFilter {
            scopes: Some(vec![ListScope::ReportedBy(UserId::from_uuid(
                uuid::Uuid::from_u128(5)
            ))]),
            ..in_county.clone()
        })
        .await,
        0
    );
    let scoped = |scopes: Vec<ListScope>| CaseFilter {
        scopes: Some(scopes),
        ..CaseFilter::default()
    };
    assert_eq!(count(scoped(vec![])).await, 0, "no scope matches nothing");
    assert_eq!(
        count(scoped(vec![ListScope::Region(code(region))])).await,
        5
    );
    assert_eq!(count(scoped(vec![ListScope::Unit(lead.id)])).await, 1);
    assert_eq!(
        count(scoped(vec![
            ListScope::Unit(lead.id),
            ListScope::Region(code("370812001002"))
        ]))
        .await,
        2,
        "scopes are alternatives"
    );
    assert_eq!(
        count(scoped(vec![ListScope::AncestorsOf(
            RegionCode::grid(&code(region), 4).expect("grid")
        )]))
        .await,
        5,
        "a grid worker's village-level cases"
    );
    let reported_or_nowhere = scoped(vec![
        ListScope::ReportedBy(dispatcher().user),
        ListScope::Region(code("99")),
    ]);
    assert!(count(reported_or_nowhere).await > 5);
    assert_eq!(dispatched.state, CaseState::Dispatched);
}

async fn regions(store: Arc<dyn Store>) {
    let region = |c: &str, name: &str| {
        let code = code(c);
        Region {
            level: code.level(),
            parent: code.parent(),
            code,
            name: name.into(),
        }
    };
    let rows = vec![
        region("37", "山东省"),
        region("3708", "济宁市"),
        region("370811", "任城区"),
        region("370811002", "南苑街道"),
        region("370811002001", "航运新村居委会"),
        region("370811001", "济阳街道"),
    ];
    store.upsert_regions(&rows).await.expect("upsert");
    store.upsert_regions(&rows).await.expect("repeat upsert");
    assert_eq!(store.count_regions().await.expect("count"), 6);
    let renamed = vec![region("370811001", "济阳街道（新）")];
    store.upsert_regions(&renamed).await.expect("rename");
    let town = store
        .region(&code("370811001"))
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(town.name, "济阳街道（新）");
    assert_eq!(town.level, RegionLevel::Town);
    let children = store
        .region_children(&code("370811"))
        .await
        .expect("children");
    let names: Vec<_> = children.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(names, ["370811001", "370811002"]);
    assert!(store.region(&code("99")).await.expect("read").is_none());
    let top = store.top_regions().await.expect("top regions");
    assert!(top.iter().any(|r| r.code.as_str() == "37"), "{top:?}");
    assert!(top.iter().all(|r| r.parent.is_none()));
    assert!(top.windows(2).all(|w| w[0].code < w[1].code), "by code");
}

async fn units(store: Arc<dyn Store>) {
    let unit = |n: u128, region: &str, categories: &[&str]| Unit {
        id: UnitId::from_uuid(uuid::Uuid::from_u128(0x2000 + n)),
        name: format!("单位{n}"),
        kind: UnitKind::MediationCommittee,
        region: code(region),
        categories: categories
            .iter()
            .map(|c| CategoryCode::parse(c).expect("code"))
            .collect(),
    };
    let a = unit(1, "370830", &["neighbour", "marriage_family"]);
    let b = unit(2, "370830001", &[]);
    let c = unit(3, "370831", &[]);
    for u in [&a, &b, &c] {
        store.insert_unit(u).await.expect("insert");
    }
    let mut found = store.units_by_ids(&[b.id, a.id]).await.expect("by id");
    found.sort_by_key(|u| u.id);
    assert_eq!(found, vec![a.clone(), b.clone()]);
    assert_eq!(store.units_by_ids(&[]).await.expect("none"), vec![]);
    let in_region = store
        .units_in_region(&code("370830"))
        .await
        .expect("in region");
    assert_eq!(in_region, vec![a, b]);
}

async fn users_and_tokens(store: Arc<dyn Store>) {
    let id = UserId::from_uuid(uuid::Uuid::from_u128(0x3001));
    let assignment = |n: u128, role, region: Option<&str>| RoleAssignment {
        id: AssignmentId::from_uuid(uuid::Uuid::from_u128(0x4000 + n)),
        user: id,
        role,
        region: region.map(code),
        unit: None,
        granted_at: at(12, 8),
        granted_by: None,
    };
    let grid_worker = assignment(1, Role::GridWorker, Some("370811002001001"));
    let user = User {
        id,
        name: "王网格".into(),
        created_at: at(12, 8),
        assignments: vec![grid_worker.clone()],
    };
    store.insert_user(&user).await.expect("insert");
    let duplicate = User {
        id: UserId::from_uuid(uuid::Uuid::from_u128(0x3002)),
        ..user.clone()
    };
    assert!(matches!(
        store.insert_user(&duplicate).await,
        Err(StoreError::Duplicate(_))
    ));
    store
        .insert_api_token(&ApiTokenRecord {
            id: TokenId::from_uuid(uuid::Uuid::from_u128(0x3101)),
            token_hash: "abc".into(),
            user: user.id,
            assignment: grid_worker.id,
            created_at: at(12, 8),
        })
        .await
        .expect("token");
    assert_eq!(
        store.token_owner("abc").await.expect("read"),
        Some((user.clone(), grid_worker.id))
    );
    assert_eq!(store.token_owner("abd").await.expect("read"), None);
    assert_eq!(
        store.user_by_name("王网格").await.expect("read"),
        Some(user.clone())
    );
    assert_eq!(store.user(user.id).await.expect("read"), Some(user.clone()));

    // A second role; then the first is revoked, and the token bound to it dies with it.
    let mediator_region = assignment(2, Role::Supervisor, Some("370811"));
    store.grant_role(&mediator_region).await.expect("grant");
    let both = store.user(user.id).await.expect("read").expect("exists");
    assert_eq!(
        both.assignments,
        vec![grid_worker.clone(), mediator_region.clone()]
    );
    assert!(
        store
            .revoke_role(grid_worker.id, at(12, 9))
            .await
            .expect("revoke")
    );
    assert!(
        !store
            .revoke_role(grid_worker.id, at(12, 10))
            .await
            .expect("revoke twice")
    );
    let after = store.user(user.id).await.expect("read").expect("exists");
    assert_eq!(after.assignments, vec![mediator_region]);
    assert_eq!(store.token_owner("abc").await.expect("read"), None);
    assert!(
        store
            .users()
            .await
            .expect("all")
            .iter()
            .any(|u| u.id == user.id)
    );
}

async fn categories(store: Arc<dyn Store>) {
    let category = |kind, c: &str, zh: &str| Category {
        kind,
        code: CategoryCode::parse(c).expect("code"),
        name_zh: zh.into(),
        name_en: c.into(),
    };
    let rows = vec![
        category(CaseKind::Dispute, "other", "其他"),
        category(CaseKind::Request, "other", "其他诉求"),
        category(CaseKind::Dispute, "neighbour", "邻里"),
    ];
    store.upsert_categories(&rows).await.expect("upsert");
    store.upsert_categories(&rows).await.expect("repeat");
    assert_eq!(store.categories().await.expect("all").len(), 3);
    let other = CategoryCode::parse("other").expect("code");
    let request_other = store
        .category(CaseKind::Request, &other)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(request_other.name_zh, "其他诉求");
    assert!(
        store
            .category(CaseKind::Hazard, &other)
            .await
            .expect("read")
            .is_none()
    );
}

async fn batch_of_reports_numbered(store: Arc<dyn Store>) {
    let ops: Vec<_> = (0..5)
        .map(|i| {
            create_op(
                if i % 2 == 0 {
                    "370821001001"
                } else {
                    "370822001001"
                },
                "neighbour",
                at(20, 9),
            )
        })
        .collect();
    let results = store.write_batch(ops).await.expect("transaction");
    let numbers: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("created").number.to_string())
        .collect();
    assert_eq!(
        numbers,
        [
            "370821-2026-000001",
            "370822-2026-000001",
            "370821-2026-000002",
            "370822-2026-000002",
            "370821-2026-000003",
        ]
    );
    let (cases, events) = store.count_cases_and_events().await.expect("count");
    assert!(cases >= 5 && events >= 5);
}

async fn refused_report_in_batch(store: Arc<dyn Store>) {
    let first = create(&store, create_op("370823001001", "neighbour", at(21, 9))).await;
    let (cases_before, events_before) = store.count_cases_and_events().await.expect("count");
    let mut duplicate = create_op("370823001001", "neighbour", at(21, 10));
    if let WriteOp::CreateCase { tracking_code, .. } = &mut duplicate {
        *tracking_code = first.tracking_code.clone();
    }
    let ops = vec![
        create_op("370823001001", "neighbour", at(21, 10)),
        duplicate,
        create_op("370823001001", "neighbour", at(21, 11)),
    ];
    let results = store.write_batch(ops).await.expect("transaction");
    assert!(
        matches!(results[1], Err(StoreError::Duplicate("tracking_code"))),
        "{:?}",
        results[1]
    );
    let numbers: Vec<String> = [&results[0], &results[2]]
        .iter()
        .map(|r| r.as_ref().expect("created").number.to_string())
        .collect();
    assert_eq!(numbers, ["370823-2026-000002", "370823-2026-000003"]);
    let (cases, events) = store.count_cases_and_events().await.expect("count");
    assert_eq!((cases, events), (cases_before + 2, events_before + 2));
}

async fn audit_chains(store: Arc<dyn Store>) {
    use crate::audit::{AuditRecord, verify_chain};
    let case = create(&store, create_op("370824001001", "neighbour", at(22, 9))).await;
    let accepted = run(
        &store,
        &case,
        Command::Accept { note: None },
        &dispatcher(),
        at(22, 10),
    )
    .await
    .expect("accept");
    let batch: Vec<_> = (0..3)
        .map(|i| create_op("370824001001", "neighbour", at(22, 11 + i)))
        .collect();
    store.write_batch(batch).await.expect("transaction");
    let sign_in = AuditRecord {
        at: at(22, 12),
        actor: Some(dispatcher().user),
        action: "sign_in".into(),
        case: None,
        county: None,
        detail: serde_json::json!({ "address": "127.0.0.1" }),
    };
    let appended = store
        .append_audit(vec![sign_in.clone(), sign_in])
        .await
        .expect("append");
    assert_eq!(appended[1].prev_hash, appended[0].hash);

    let of_case = store
        .search_audit(&crate::AuditFilter {
            case: Some(case.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("search");
    let actions: Vec<_> = of_case.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["case.accepted", "case.reported"], "newest first");
    assert_eq!(accepted.version, 2);
    let sign_ins = store
        .search_audit(&crate::AuditFilter {
            action: Some("sign_in".into()),
            actor: Some(dispatcher().user),
            from: Some(at(22, 0)),
            to: Some(at(23, 0)),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("search");
    assert!(sign_ins.len() >= 2);
    let chains_within = |region: &str| {
        let store = Arc::clone(&store);
        let within = Some(code(region));
        async move {
            let entries = store
                .search_audit(&crate::AuditFilter {
                    within,
                    limit: 1000,
                    ..Default::default()
                })
                .await
                .expect("search");
            let mut chains: Vec<String> = entries.into_iter().map(|e| e.chain).collect();
            chains.sort();
            chains.dedup();
            chains
        }
    };
    let province = chains_within("37").await;
    assert!(province.iter().any(|c| c == "-") && province.iter().any(|c| c == "370824"));
    assert_eq!(chains_within("370824").await, ["-", "370824"]);
    assert_eq!(
        chains_within("3709").await,
        ["-"],
        "another city's counties"
    );
    assert_eq!(
        chains_within("370824001").await,
        ["-"],
        "no county is in a town"
    );

    let heads = store.audit_heads().await.expect("heads");
    let county = heads
        .iter()
        .find(|h| h.chain == "370824")
        .expect("county chain");
    assert_eq!(
        county.seq, 5,
        "one entry per event: 4 reports and 1 acceptance"
    );
    for head in &heads {
        let entries = store
            .audit_chain(&head.chain, 0, 100_000)
            .await
            .expect("chain");
        verify_chain(&head.chain, &entries, Some(head)).unwrap_or_else(|tamper| panic!("{tamper}"));
    }
}

// ---- personal data --------------------------------------------------------------------

fn party(
    role: PartyRole,
    name: &str,
    phone: Option<&str>,
    id: Option<&str>,
    address: Option<&str>,
) -> Party {
    Party::parse(role, name, phone, id, address).expect("party")
}

/// Personal data that [`report_known_personal_data`] stores and that must appear nowhere in
/// the database in the clear: phones, ID numbers, addresses — and a staff member's TOTP
/// secret, encrypted with the same keys.
pub const KNOWN_PERSONAL_DATA: &[&str] = &[
    "13912345678",
    "18605371234",
    "370811198507071231",
    "370812197001014565",
    "幸福里小区7号楼302室",
    "兖州区鼓楼街道建设路88号",
    KNOWN_TOTP_SECRET,
    KNOWN_RESIDENT_PHONE,
];

/// The phone of a resident who signs in by code in [`report_known_personal_data`].
const KNOWN_RESIDENT_PHONE: &str = "15866667777";

/// The TOTP secret [`report_known_personal_data`] enrols.
const KNOWN_TOTP_SECRET: &str = "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA";

/// Reports cases whose parties carry [`KNOWN_PERSONAL_DATA`] (one alone, one in a batch,
/// one taken through a command so that its projection is rewritten), for a backend's test
/// to look for them in its raw storage.
pub async fn report_known_personal_data(store: &Arc<dyn Store>) {
    let with_parties = |region: &str, parties: Vec<Party>| NewCase {
        parties,
        ..new_case(region, "neighbour", "宅基地纠纷")
    };
    let first = with_parties(
        "370811002001",
        vec![
            party(
                PartyRole::Applicant,
                "王某某",
                Some("13912345678"),
                Some("370811198507071231"),
                Some("幸福里小区7号楼302室"),
            ),
            party(
                PartyRole::Respondent,
                "赵某某",
                Some("18605371234"),
                None,
                None,
            ),
        ],
    );
    let second = with_parties(
        "370812001001",
        vec![party(
            PartyRole::Applicant,
            "孙某某",
            None,
            Some("370812197001014565"),
            Some("兖州区鼓楼街道建设路88号"),
        )],
    );
    let alone = create(store, create_op_with(first.clone(), at(20, 9))).await;
    let results = store
        .write_batch(vec![
            create_op_with(second.clone(), at(20, 10)),
            create_op_with(first, at(20, 10)),
        ])
        .await
        .expect("transaction");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    run(
        store,
        &alone,
        Command::Accept { note: None },
        &dispatcher(),
        at(20, 11),
    )
    .await
    .expect("accept");
    let read = store.case(alone.id).await.expect("read").expect("case");
    assert_eq!(
        read.data.parties[0].phone.as_ref().map(|p| p.as_str()),
        Some("13912345678")
    );
    assert_eq!(
        read.data.parties[0].address.as_deref(),
        Some("幸福里小区7号楼302室")
    );
    let events = store.events(alone.id).await.expect("events");
    let hezhi_domain::EventKind::Reported { case, .. } = &events[0].kind else {
        panic!("the first event is the report");
    };
    assert_eq!(
        case.parties, read.data.parties,
        "the report keeps the parties in full"
    );
    let staff = staff_user(store, 0x6001, "密钥用户").await;
    store
        .set_pending_totp(staff.id, KNOWN_TOTP_SECRET)
        .await
        .expect("enrol");
    let read = store
        .credentials(staff.id)
        .await
        .expect("read")
        .and_then(|c| c.totp)
        .expect("a pending secret");
    assert_eq!(read.secret, KNOWN_TOTP_SECRET, "read back decrypted");
    let phone = Phone::parse(KNOWN_RESIDENT_PHONE).expect("phone");
    let phone_key = store.resident_phone_key(&phone);
    let sent = store
        .issue_resident_code(
            &phone_key,
            &store.resident_code_hash(&phone_key, "246810"),
            at(20, 12),
            at(20, 12) + Duration::minutes(5),
            &RESIDENT_LIMITS,
        )
        .await
        .expect("issue");
    assert!(sent);
    store
        .insert_resident_user(&phone_key, &resident_user(0x6002, "居民-7777-a1b2c3"))
        .await
        .expect("resident");
}

const RESIDENT_LIMITS: SendLimits = SendLimits {
    min_interval: Duration::seconds(60),
    window: Duration::hours(1),
    per_window: 5,
};

fn resident_user(number: u128, name: &str) -> User {
    let id = UserId::from_uuid(uuid::Uuid::from_u128(number));
    User {
        id,
        name: name.into(),
        created_at: at(12, 8),
        assignments: vec![RoleAssignment {
            id: AssignmentId::from_uuid(uuid::Uuid::from_u128(0x5000 + number)),
            user: id,
            role: Role::Resident,
            region: None,
            unit: None,
            granted_at: at(12, 8),
            granted_by: None,
        }],
    }
}

async fn resident_sign_in(store: Arc<dyn Store>) {
    let phone = Phone::parse("15000001111").expect("phone");
    let key = store.resident_phone_key(&phone);
    assert_eq!(key.len(), 64, "a keyed hash, hex");
    assert!(!key.contains("15000001111"));
    assert_eq!(
        key,
        store.resident_phone_key(&Phone::parse("+86 150-0000-1111").expect("phone")),
        "the same phone, however written"
    );
    let other = store.resident_phone_key(&Phone::parse("15000002222").expect("phone"));
    assert_ne!(key, other);
    let hash = |code: &str| store.resident_code_hash(&key, code);
    assert_ne!(hash("123456"), store.resident_code_hash(&other, "123456"));
    assert_ne!(hash("123456"), hash("123457"));
    let limits = RESIDENT_LIMITS;
    let issue = |code: &'static str, when: DateTime<Utc>| {
        let store = Arc::clone(&store);
        let key = key.clone();
        async move {
            let code_hash = store.resident_code_hash(&key, code);
            store
                .issue_resident_code(&key, &code_hash, when, when + Duration::minutes(5), &limits)
                .await
                .expect("issue")
        }
    };
    assert_eq!(store.resident_code(&key).await.expect("read"), None);

    // At most one a minute, five a window.
    let t0 = at(15, 9);
    assert!(issue("111111", t0).await);
    assert!(
        !issue("999999", t0 + Duration::seconds(59)).await,
        "too soon"
    );
    let first = store.resident_code(&key).await.expect("read").expect("row");
    assert_eq!(
        first.code_hash,
        hash("111111"),
        "a refused code changes nothing"
    );
    assert_eq!((first.tries, first.sent_in_window), (0, 1));
    assert_eq!(first.expires_at, t0 + Duration::minutes(5));
    for n in 1..=4 {
        assert!(
            issue("111111", t0 + Duration::seconds(60 * n)).await,
            "code {n}"
        );
    }
    assert!(
        !issue("999999", t0 + Duration::minutes(30)).await,
        "a sixth"
    );
    let fifth = store.resident_code(&key).await.expect("read").expect("row");
    assert_eq!(fifth.sent_in_window, 5);
    assert_eq!(
        limits.next_allowed(&fifth, t0 + Duration::minutes(30)),
        Some(t0 + Duration::hours(1))
    );
    let t1 = t0 + Duration::hours(1);
    assert!(issue("222222", t1).await, "a new window");
    let fresh = store.resident_code(&key).await.expect("read").expect("row");
    assert_eq!((fresh.window_started_at, fresh.sent_in_window), (t1, 1));
    assert_eq!(fresh.code_hash, hash("222222"));

    // Each try is counted before it is compared; the sixth finds no code.
    for n in 1..=5 {
        assert_eq!(
            store
                .try_resident_code(&key, t1 + Duration::seconds(n), 5)
                .await
                .expect("try"),
            Some(hash("222222")),
            "try {n}"
        );
    }
    assert_eq!(
        store
            .try_resident_code(&key, t1 + Duration::seconds(6), 5)
            .await
            .expect("try"),
        None,
        "burnt"
    );
    assert_eq!(
        store
            .resident_code(&key)
            .await
            .expect("read")
            .expect("row")
            .tries,
        5
    );
    assert_eq!(
        store.try_resident_code(&other, t1, 5).await.expect("try"),
        None
    );

    // An expired code is not tried; a code works once.
    let t2 = t1 + Duration::minutes(2);
    assert!(issue("333333", t2).await);
    let expiry = t2 + Duration::minutes(5);
    assert_eq!(
        store.try_resident_code(&key, expiry, 5).await.expect("try"),
        None
    );
    assert_eq!(
        store
            .try_resident_code(&key, expiry - Duration::seconds(1), 5)
            .await
            .expect("try"),
        Some(hash("333333"))
    );
    assert!(
        !store
            .use_resident_code(&key, &hash("222222"), t2)
            .await
            .expect("use")
    );
    assert!(
        store
            .use_resident_code(&key, &hash("333333"), t2)
            .await
            .expect("use")
    );
    assert!(
        !store
            .use_resident_code(&key, &hash("333333"), t2)
            .await
            .expect("use")
    );
    assert_eq!(
        store
            .resident_code(&key)
            .await
            .expect("read")
            .expect("row")
            .used_at,
        Some(t2)
    );
    assert_eq!(
        store.try_resident_code(&key, t2, 5).await.expect("try"),
        None,
        "used"
    );

    // One resident user per phone.
    assert_eq!(store.resident_user(&key).await.expect("read"), None);
    let resident = resident_user(0x7001, "居民-1111-0a0b0c");
    store
        .insert_resident_user(&key, &resident)
        .await
        .expect("insert");
    assert_eq!(
        store.resident_user(&key).await.expect("read"),
        Some(resident.id)
    );
    let read = store.user(resident.id).await.expect("read").expect("user");
    assert_eq!(read.assignments.len(), 1);
    assert_eq!(read.assignments[0].role, Role::Resident);
    let twin = resident_user(0x7002, "居民-1111-0d0e0f");
    assert!(matches!(
        store.insert_resident_user(&key, &twin).await,
        Err(StoreError::Duplicate("resident_phone"))
    ));
    assert_eq!(
        store.user(twin.id).await.expect("read"),
        None,
        "nothing created"
    );
    let same_name = resident_user(0x7003, "居民-1111-0a0b0c");
    assert!(matches!(
        store.insert_resident_user(&other, &same_name).await,
        Err(StoreError::Duplicate("user_name"))
    ));
    assert_eq!(store.resident_user(&other).await.expect("read"), None);
}

async fn party_lookup(store: Arc<dyn Store>) {
    let phone = "13700001111";
    let id_number = "370811200112310023";
    let person = |phone: Option<&str>, id: Option<&str>| {
        vec![party(
            PartyRole::Applicant,
            "李某某",
            phone,
            id,
            Some("南张村5排1号"),
        )]
    };
    let in_town = create(
        &store,
        create_op_with(
            NewCase {
                parties: person(Some(phone), Some(id_number)),
                ..new_case("370811002001", "neighbour", "邻里纠纷")
            },
            at(21, 9),
        ),
    )
    .await;
    // The same person, written with another spelling of the number, in the next county.
    let elsewhere = create(
        &store,
        create_op_with(
            NewCase {
                parties: person(Some("+86 137-0000-1111"), None),
                ..new_case("370812001001", "labour", "欠薪")
            },
            at(21, 10),
        ),
    )
    .await;
    let someone_else = create(
        &store,
        create_op_with(
            NewCase {
                parties: person(Some("13700002222"), None),
                ..new_case("370811002001", "neighbour", "噪音")
            },
            at(21, 11),
        ),
    )
    .await;
    let found = |filter: CaseFilter| {
        let store = Arc::clone(&store);
        async move {
            store
                .list_cases(
                    &filter,
                    &PageRequest {
                        after: None,
                        limit: 200,
                    },
                )
                .await
                .expect("list")
                .items
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    let by_phone = CaseFilter {
        party_phone: Some(hezhi_domain::Phone::parse(phone).expect("phone")),
        ..CaseFilter::default()
    };
    assert_eq!(
        found(by_phone.clone()).await,
        vec![elsewhere.id, in_town.id]
    );
    assert_eq!(
        found(CaseFilter {
            region: Some(code("370811")),
            ..by_phone.clone()
        })
        .await,
        vec![in_town.id],
        "the other filters still apply"
    );
    let by_id = CaseFilter {
        party_id_number: Some(hezhi_domain::IdNumber::parse(id_number).expect("id")),
        ..CaseFilter::default()
    };
    assert_eq!(found(by_id.clone()).await, vec![in_town.id]);
    assert_eq!(
        found(CaseFilter {
            party_phone: by_phone.party_phone.clone(),
            ..by_id
        })
        .await,
        vec![in_town.id],
        "both identifiers must match"
    );
    let nobody = CaseFilter {
        party_phone: Some(hezhi_domain::Phone::parse("13700003333").expect("phone")),
        ..CaseFilter::default()
    };
    assert!(found(nobody).await.is_empty());
    assert!(!found(CaseFilter::default()).await.is_empty());
    let _ = someone_else;
}

async fn rotated_data_key(store: Arc<dyn Store>) {
    let before = create(&store, create_op("370811002001", "neighbour", at(22, 9))).await;
    let keys = store.data_keys().await.expect("keys");
    let rotated = store.rotate_data_key().await.expect("rotate");
    assert!(
        keys.iter().all(|k| k.id < rotated),
        "the new key has the highest id"
    );
    let after = create(&store, create_op("370811002001", "neighbour", at(22, 10))).await;
    // The older case is rewritten with the new key; its history keeps the old one.
    let accepted = run(
        &store,
        &before,
        Command::Accept { note: None },
        &dispatcher(),
        at(22, 11),
    )
    .await
    .expect("accept");
    for case in [&before, &after] {
        let read = store.case(case.id).await.expect("read").expect("case");
        assert_eq!(read.data.parties, case.data.parties);
        let events = store.events(case.id).await.expect("events");
        assert!(!events.is_empty());
    }
    assert_eq!(accepted.version, 2);
    assert_eq!(store.data_keys().await.expect("keys").len(), keys.len() + 1);
}

async fn rewrapped_keys(store: Arc<dyn Store>) {
    let case = create(&store, create_op("370811002001", "neighbour", at(23, 9))).await;
    let before = store.data_keys().await.expect("keys");
    let new = crate::MasterKey::generate().expect("randomness");
    let count = store.rewrap_data_keys(&new).await.expect("rewrap");
    assert_eq!(count, before.len());
    let after = store.data_keys().await.expect("keys");
    assert_eq!(after.len(), before.len());
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            (old.id, old.purpose, old.cipher),
            (new.id, new.purpose, new.cipher)
        );
        assert_ne!(old.wrapped, new.wrapped);
    }
    crate::Keyring::open(&new, &after).expect("the new master key opens the stored keys");
    let read = store.case(case.id).await.expect("read").expect("case");
    assert_eq!(read.data.parties, case.data.parties);
    // Writing goes on with the same data key.
    create(&store, create_op("370811002001", "neighbour", at(23, 10))).await;
}

/// A grid under `village` whose shape is the box from (`lon`, `lat`) of `width` × `height`
/// degrees, with an optional square hole in its middle.
fn grid_with_shape(
    village: &str,
    number: u16,
    name: &str,
    (lon, lat): (f64, f64),
    (width, height): (f64, f64),
    hole: bool,
) -> (Region, GridShape) {
    let village = code(village);
    let grid = RegionCode::grid(&village, number).expect("grid code");
    let mut rings = vec![serde_json::json!([
        [lon, lat],
        [lon + width, lat],
        [lon + width, lat + height],
        [lon, lat + height],
        [lon, lat]
    ])];
    if hole {
        let (x, y, d) = (
            lon + width * 0.4,
            lat + height * 0.4,
            width.min(height) * 0.2,
        );
        rings.push(serde_json::json!([
            [x, y],
            [x + d, y],
            [x + d, y + d],
            [x, y + d],
            [x, y]
        ]));
    }
    let shape =
        Shape::from_geojson(&serde_json::json!({ "type": "Polygon", "coordinates": rings }))
            .expect("valid shape");
    (
        Region {
            code: grid.clone(),
            name: name.into(),
            level: RegionLevel::Grid,
            parent: Some(village.clone()),
        },
        GridShape {
            grid,
            village,
            shape,
        },
    )
}

async fn grid_shapes(store: Arc<dyn Store>) {
    let village = "370811004001";
    let at = |lon: f64, lat: f64| Position { lat, lon };
    // Two grids side by side sharing the edge at longitude 116.585 (the first with a hole),
    // and one of another village whose box overlaps the second's.
    let west = grid_with_shape(
        village,
        1,
        "第一网格",
        (116.58, 35.39),
        (0.005, 0.004),
        true,
    );
    let east = grid_with_shape(
        village,
        2,
        "第二网格",
        (116.585, 35.39),
        (0.005, 0.004),
        false,
    );
    let beyond = grid_with_shape(
        "370811004002",
        1,
        "邻村第一网格",
        (116.588, 35.393),
        (0.01, 0.01),
        false,
    );
    store
        .upsert_grid_shapes(&[west.clone(), east.clone(), beyond.clone()])
        .await
        .expect("upsert");
    let grid_codes = |shapes: Vec<GridShape>| -> Vec<String> {
        shapes.iter().map(|s| s.grid.to_string()).collect()
    };

    // The grids are regions too, children of their village.
    let children = store
        .region_children(&code(village))
        .await
        .expect("children");
    assert_eq!(children, vec![west.0.clone(), east.0.clone()]);

    let in_village = store
        .grid_shapes_in_village(&code(village))
        .await
        .expect("in village");
    assert_eq!(
        in_village,
        vec![west.1.clone(), east.1.clone()],
        "exact round trip"
    );
    assert!(
        store
            .grid_shapes_in_village(&code("370811004003"))
            .await
            .expect("none")
            .is_empty()
    );

    let candidates = |lon, lat| {
        let store = Arc::clone(&store);
        async move {
            store
                .grid_shape_candidates(at(lon, lat))
                .await
                .expect("candidates")
        }
    };
    assert_eq!(
        grid_codes(candidates(116.581, 35.391).await),
        ["370811004001001"]
    );
    assert_eq!(
        grid_codes(candidates(116.585, 35.391).await),
        ["370811004001001", "370811004001002"],
        "on the shared edge: both boxes, by code"
    );
    assert_eq!(
        grid_codes(candidates(116.589, 35.3935).await),
        ["370811004001002", "370811004002001"]
    );
    assert_eq!(
        grid_codes(candidates(116.58, 35.39).await),
        ["370811004001001"],
        "a box includes its corner"
    );
    assert!(candidates(116.579, 35.391).await.is_empty());
    assert!(candidates(116.581, 35.3941).await.is_empty());
    // Inside the hole the box still matches: the caller tests the shape.
    let in_hole = candidates(116.5825, 35.3918).await;
    assert_eq!(grid_codes(in_hole.clone()), ["370811004001001"]);
    assert!(!in_hole[0].shape.contains(at(116.5825, 35.3918)));

    // Importing again renames and reshapes in place: the first grid loses its hole and moves.
    let renamed = grid_with_shape(
        village,
        1,
        "第一网格（调整）",
        (116.57, 35.38),
        (0.005, 0.004),
        false,
    );
    store
        .upsert_grid_shapes(std::slice::from_ref(&renamed))
        .await
        .expect("upsert again");
    store
        .upsert_grid_shapes(std::slice::from_ref(&renamed))
        .await
        .expect("and again");
    let region = store
        .region(&renamed.0.code)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(region.name, "第一网格（调整）");
    assert!(candidates(116.581, 35.391).await.is_empty());
    assert_eq!(
        grid_codes(candidates(116.571, 35.381).await),
        ["370811004001001"]
    );
    assert_eq!(
        grid_codes(
            store
                .grid_shapes_in_village(&code(village))
                .await
                .expect("in village")
        ),
        ["370811004001001", "370811004001002"]
    );
    store.upsert_grid_shapes(&[]).await.expect("nothing to do");
}

/// A staff user of its own for a scenario (ids and names are distinct per scenario).
async fn staff_user(store: &Arc<dyn Store>, number: u128, name: &str) -> User {
    let id = UserId::from_uuid(uuid::Uuid::from_u128(number));
    let user = User {
        id,
        name: name.into(),
        created_at: at(12, 8),
        assignments: vec![RoleAssignment {
            id: AssignmentId::from_uuid(uuid::Uuid::from_u128(0x5000 + number)),
            user: id,
            role: Role::SystemAdmin,
            region: Some(code("37")),
            unit: None,
            granted_at: at(12, 8),
            granted_by: None,
        }],
    };
    store.insert_user(&user).await.expect("insert user");
    user
}

async fn credentials(store: Arc<dyn Store>) {
    let before = store.count_users().await.expect("count");
    let user = staff_user(&store, 0x4001, "密码用户").await;
    assert_eq!(store.count_users().await.expect("count"), before + 1);
    assert_eq!(store.credentials(user.id).await.expect("read"), None);

    store
        .set_password(user.id, "$argon2id$first", true, at(12, 9))
        .await
        .expect("set");
    let first = store
        .credentials(user.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(first.password_hash.as_deref(), Some("$argon2id$first"));
    assert!(first.must_change_password);
    assert_eq!(first.password_changed_at, Some(at(12, 9)));
    assert_eq!(first.totp, None);

    store
        .set_pending_totp(user.id, "JBSWY3DPEHPK3PXP")
        .await
        .expect("pending");
    store
        .set_password(user.id, "$argon2id$second", false, at(12, 10))
        .await
        .expect("change");
    let changed = store
        .credentials(user.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(changed.password_hash.as_deref(), Some("$argon2id$second"));
    assert!(!changed.must_change_password);
    let pending = changed
        .totp
        .expect("a password change keeps the TOTP secret");
    assert_eq!(pending.secret, "JBSWY3DPEHPK3PXP");
    assert!(!pending.is_confirmed());

    assert!(
        store
            .confirm_totp(user.id, 100, at(12, 11))
            .await
            .expect("confirm")
    );
    assert!(
        !store
            .confirm_totp(user.id, 101, at(12, 11))
            .await
            .expect("again"),
        "a confirmed secret is not confirmed twice"
    );
    let totp = store
        .credentials(user.id)
        .await
        .expect("read")
        .expect("row")
        .totp
        .expect("totp");
    assert_eq!(totp.confirmed_at, Some(at(12, 11)));
    assert_eq!(totp.last_step, Some(100));
    assert!(!store.use_totp_step(user.id, 100).await.expect("replay"));
    assert!(!store.use_totp_step(user.id, 99).await.expect("older"));
    assert!(store.use_totp_step(user.id, 101).await.expect("next"));
    assert!(!store.use_totp_step(user.id, 101).await.expect("replay"));

    store.clear_totp(user.id).await.expect("clear");
    let cleared = store
        .credentials(user.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(cleared.totp, None);
    assert_eq!(cleared.password_hash.as_deref(), Some("$argon2id$second"));
    assert!(!store.use_totp_step(user.id, 200).await.expect("no secret"));
    assert!(
        !store
            .confirm_totp(user.id, 200, at(12, 12))
            .await
            .expect("no secret")
    );
    // Enrolling again starts from no used step.
    store
        .set_pending_totp(user.id, "KRUGKIDROVUWG2ZA")
        .await
        .expect("pending");
    assert!(
        store
            .confirm_totp(user.id, 5, at(12, 13))
            .await
            .expect("confirm")
    );
}

async fn sessions(store: Arc<dyn Store>) {
    let user = staff_user(&store, 0x4002, "会话用户").await;
    let other = staff_user(&store, 0x4003, "会话用户二").await;
    let session = |hash: &str, who: &User, created: DateTime<Utc>| SessionRecord {
        id_hash: hash.into(),
        user: who.id,
        csrf_token: format!("csrf-{hash}"),
        created_at: created,
        last_seen_at: created,
        must_change_password: true,
        must_enrol_totp: false,
        client: Some("192.0.2.7".into()),
        revoked_at: None,
    };
    let first = session("s1", &user, at(13, 8));
    store.insert_session(&first).await.expect("insert");
    assert!(
        store.insert_session(&first).await.is_err(),
        "a session hash is unique"
    );
    assert_eq!(
        store.session("s1").await.expect("read"),
        Some(first.clone())
    );
    assert_eq!(store.session("s0").await.expect("read"), None);

    store.touch_session("s1", at(13, 9)).await.expect("touch");
    store
        .touch_session("s1", at(13, 8))
        .await
        .expect("an older touch changes nothing");
    let touched = store.session("s1").await.expect("read").expect("row");
    assert_eq!(touched.last_seen_at, at(13, 9));
    assert_eq!(touched.created_at, at(13, 8));

    assert!(
        store
            .revoke_session("s1", at(13, 10))
            .await
            .expect("revoke")
    );
    assert!(!store.revoke_session("s1", at(13, 11)).await.expect("twice"));
    let revoked = store.session("s1").await.expect("read").expect("row");
    assert_eq!(revoked.revoked_at, Some(at(13, 10)));

    for (hash, hour) in [("s2", 9), ("s3", 12)] {
        store
            .insert_session(&session(hash, &user, at(13, hour)))
            .await
            .expect("insert");
    }
    store
        .insert_session(&session("o1", &other, at(13, 9)))
        .await
        .expect("insert");
    assert_eq!(
        store
            .revoke_sessions_of(user.id, at(13, 13))
            .await
            .expect("all"),
        2
    );
    assert!(
        store
            .session("s3")
            .await
            .expect("read")
            .expect("row")
            .revoked_at
            .is_some()
    );
    assert!(
        store
            .session("o1")
            .await
            .expect("read")
            .expect("row")
            .revoked_at
            .is_none(),
        "another user's session stays"
    );

    store
        .insert_session(&session("s4", &user, at(13, 14)))
        .await
        .expect("insert");
    assert_eq!(
        store
            .purge_sessions_of(user.id, at(13, 12))
            .await
            .expect("purge"),
        3,
        "revoked sessions go"
    );
    assert_eq!(store.session("s1").await.expect("read"), None);
    assert!(store.session("s4").await.expect("read").is_some());
    assert_eq!(
        store
            .purge_sessions_of(other.id, at(13, 10))
            .await
            .expect("purge"),
        1,
        "sessions begun before the cut go"
    );
}

async fn sign_in_failures(store: Arc<dyn Store>) {
    let account = ThrottleKey::Account("王芳".into());
    let address = ThrottleKey::Address("192.0.2.7".into());
    let same_value = ThrottleKey::Address("王芳".into());
    let long_ago = at(1, 0);
    assert_eq!(store.sign_in_failures(&account).await.expect("read"), None);
    for n in 1..=3 {
        let state = store
            .record_sign_in_failure(&account, at(14, n), long_ago)
            .await
            .expect("record");
        assert_eq!(state.failures, n);
        assert_eq!(state.last_failure_at, at(14, n));
    }
    store
        .record_sign_in_failure(&address, at(14, 3), long_ago)
        .await
        .expect("record");
    let state = store
        .sign_in_failures(&account)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(state.failures, 3);
    assert_eq!(
        store.sign_in_failures(&same_value).await.expect("read"),
        None,
        "accounts and addresses are counted apart"
    );
    // A count whose last failure is older than the cut starts again.
    let fresh = store
        .record_sign_in_failure(&account, at(16, 0), at(15, 0))
        .await
        .expect("record");
    assert_eq!(fresh.failures, 1);
    store.clear_sign_in_failures(&account).await.expect("clear");
    assert_eq!(store.sign_in_failures(&account).await.expect("read"), None);
    assert_eq!(
        store
            .sign_in_failures(&address)
            .await
            .expect("read")
            .map(|s| s.failures),
        Some(1),
        "clearing one key leaves the others"
    );
}

async fn token_revocation(store: Arc<dyn Store>) {
    let user = staff_user(&store, 0x4004, "令牌用户").await;
    let ids = [0x4101_u128, 0x4102].map(|n| TokenId::from_uuid(uuid::Uuid::from_u128(n)));
    for (n, id) in ids.iter().enumerate() {
        store
            .insert_api_token(&ApiTokenRecord {
                id: *id,
                token_hash: format!("token-hash-{n}"),
                user: user.id,
                assignment: user.assignments[0].id,
                created_at: at(15, u32::try_from(n).expect("small") + 8),
            })
            .await
            .expect("token");
    }
    let listed = store.api_tokens_of(user.id).await.expect("list");
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        ids.to_vec()
    );
    assert!(listed.iter().all(|t| t.revoked_at.is_none()
        && t.user == user.id
        && t.assignment == user.assignments[0].id));

    assert_eq!(
        store
            .revoke_api_token(ids[0], at(15, 12))
            .await
            .expect("revoke"),
        Some("token-hash-0".to_owned())
    );
    assert_eq!(
        store
            .revoke_api_token(ids[0], at(15, 13))
            .await
            .expect("twice"),
        None
    );
    assert_eq!(
        store
            .revoke_api_token(
                TokenId::from_uuid(uuid::Uuid::from_u128(0x4199)),
                at(15, 13)
            )
            .await
            .expect("unknown"),
        None
    );
    assert_eq!(store.token_owner("token-hash-0").await.expect("read"), None);
    assert_eq!(
        store
            .token_owner("token-hash-1")
            .await
            .expect("read")
            .map(|(u, _)| u.id),
        Some(user.id)
    );
    let revoked = store.api_token(ids[0]).await.expect("read").expect("row");
    assert_eq!(revoked.revoked_at, Some(at(15, 12)));
    assert_eq!(
        store
            .api_token(TokenId::from_uuid(uuid::Uuid::from_u128(0x4199)))
            .await
            .expect("read"),
        None
    );
}

async fn attachment_files(store: Arc<dyn Store>) {
    use crate::AttachmentFile;
    use hezhi_domain::ContentDigest;
    let digest = |c: char| ContentDigest::parse(&c.to_string().repeat(64)).expect("digest");
    let photo = AttachmentFile {
        digest: digest('a'),
        media_type: "image/jpeg".into(),
        size: 5,
        width: Some(4000),
        height: Some(3000),
        taken_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .and_then(|d| d.and_hms_opt(9, 41, 7)),
        position: Some(Position::new(30.274_084, 120.155_07).expect("position")),
        has_thumbnail: true,
        stored_at: at(1, 9),
    };
    let agreement = AttachmentFile {
        digest: digest('b'),
        media_type: "application/pdf".into(),
        size: 3,
        width: None,
        height: None,
        taken_at: None,
        position: None,
        has_thumbnail: false,
        stored_at: at(1, 10),
    };
    store
        .put_attachment_file(&photo, b"photo", Some(b"thumb"))
        .await
        .expect("store photo");
    store
        .put_attachment_file(&agreement, b"pdf", None)
        .await
        .expect("store pdf");
    // The same content again, later: nothing changes.
    let again = AttachmentFile {
        stored_at: at(2, 9),
        ..photo.clone()
    };
    store
        .put_attachment_file(&again, b"photo", Some(b"thumb"))
        .await
        .expect("store again");

    let found = store
        .attachment_files(&[digest('b'), digest('c'), digest('a')])
        .await
        .expect("files");
    assert_eq!(
        found,
        vec![photo.clone(), agreement.clone()],
        "unknown digests are left out"
    );
    assert_eq!(store.attachment_files(&[]).await.expect("none"), Vec::new());

    let content = |d, thumbnail| {
        let store = Arc::clone(&store);
        async move {
            store
                .attachment_content(&d, thumbnail)
                .await
                .expect("content")
        }
    };
    assert_eq!(
        content(digest('a'), false).await.as_deref(),
        Some(&b"photo"[..])
    );
    assert_eq!(
        content(digest('a'), true).await.as_deref(),
        Some(&b"thumb"[..])
    );
    assert_eq!(
        content(digest('b'), true).await,
        None,
        "a PDF has no thumbnail"
    );
    assert_eq!(content(digest('c'), false).await, None);
}

async fn case_counts(store: Arc<dyn Store>) {
    use crate::{CaseCountQuery, CountBy};
    let a = create(&store, create_op("370831001001", "neighbour", at(10, 8))).await;
    // 20:00 UTC is 04:00 the next day in China.
    create(&store, create_op("370831001001", "neighbour", at(10, 20))).await;
    create(&store, create_op("370831001002", "labour", at(12, 9))).await;
    let d = create(&store, create_op("370831002001", "neighbour", at(12, 9))).await;
    triage(&store, &a, Urgency::Red).await;
    run(
        &store,
        &d,
        Command::Decline {
            reason: "不属于受理范围".into(),
            suggested_channel: ReferralChannel::Litigation,
        },
        &dispatcher(),
        at(12, 10),
    )
    .await
    .expect("decline");
    // Elsewhere: never counted.
    create(&store, create_op("370812001001", "neighbour", at(10, 8))).await;

    let count = |by, open_only, reported_from, reported_to| {
        let store = Arc::clone(&store);
        async move {
            let query = CaseCountQuery {
                region: code("370831"),
                reported_from,
                reported_to,
                open_only,
                by,
            };
            store.count_cases(&query).await.expect("count")
        }
    };
    let pairs = |items: &[(&str, u64)]| -> Vec<(String, u64)> {
        items.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    };
    assert_eq!(
        count(CountBy::State, false, None, None).await,
        pairs(&[("declined", 1), ("reported", 2), ("triaged", 1)])
    );
    assert_eq!(
        count(CountBy::Urgency, false, None, None).await,
        pairs(&[("", 3), ("red", 1)])
    );
    assert_eq!(
        count(CountBy::Category, false, None, None).await,
        pairs(&[("dispute/labour", 1), ("dispute/neighbour", 3)])
    );
    assert_eq!(
        count(CountBy::Region(RegionLevel::Town), false, None, None).await,
        pairs(&[("370831001", 3), ("370831002", 1)])
    );
    assert_eq!(
        count(CountBy::Region(RegionLevel::Town), true, None, None).await,
        pairs(&[("370831001", 3)]),
        "a declined case is not open"
    );
    assert_eq!(
        count(CountBy::ReportedDay, false, None, None).await,
        pairs(&[("2026-03-10", 1), ("2026-03-11", 1), ("2026-03-12", 2)])
    );
    assert_eq!(
        count(
            CountBy::Region(RegionLevel::Village),
            false,
            Some(at(11, 0)),
            Some(at(13, 0))
        )
        .await,
        pairs(&[("370831001002", 1), ("370831002001", 1)]),
        "reported in the period"
    );
}

async fn deadline_policies(store: Arc<dyn Store>) {
    use hezhi_domain::deadline::{DeadlinePolicy, Span};
    assert_eq!(
        store.latest_deadline_policy().await.expect("read"),
        None,
        "only the default"
    );
    let mut policy = DeadlinePolicy::defaults();
    policy.warning_percent = 80;
    let first = store
        .save_deadline_policy(
            &policy,
            at(1, 9),
            Some(UserId::from_uuid(uuid::Uuid::from_u128(5))),
        )
        .await
        .expect("save");
    assert_eq!(first.version, 2, "the default is version 1");
    assert_eq!(first.warning_percent, 80);
    policy.rules[1].handling = Span::Hours(12);
    let second = store
        .save_deadline_policy(&policy, at(1, 10), None)
        .await
        .expect("save");
    assert_eq!(second.version, 3);
    assert_eq!(
        store.latest_deadline_policy().await.expect("read"),
        Some(second.clone())
    );
    assert_eq!(
        store.deadline_policy(2).await.expect("read"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .deadline_policy(2)
            .await
            .expect("read")
            .map(|p| p.rules[1].handling),
        Some(Span::Hours(24))
    );
    assert_eq!(store.deadline_policy(9).await.expect("read"), None);

    // Two saves at once: different versions, or one refused; never one lost silently.
    let (a, b) = tokio::join!(
        store.save_deadline_policy(&policy, at(1, 11), None),
        store.save_deadline_policy(&policy, at(1, 11), None)
    );
    let saved: Vec<u32> = [a, b]
        .into_iter()
        .filter_map(Result::ok)
        .map(|p| p.version)
        .collect();
    assert!(!saved.is_empty());
    let latest = store
        .latest_deadline_policy()
        .await
        .expect("read")
        .expect("saved");
    assert_eq!(latest.version, 3 + saved.len() as u32);
    if saved.len() == 2 {
        assert_ne!(saved[0], saved[1]);
    }
}

async fn cases_to_sweep(store: Arc<dyn Store>) {
    let region = "370832001001";
    let first = create(&store, create_op(region, "neighbour", at(20, 0))).await;
    let second = create(&store, create_op(region, "labour", at(20, 1))).await;
    let untouched = create(&store, create_op(region, "neighbour", at(20, 2))).await;
    // Deadlines set by triage: the first due at day 21 00:00, the second at day 22 00:00.
    let due = |case: &Case, when: DateTime<Utc>| {
        let store = Arc::clone(&store);
        let case = case.clone();
        async move {
            let triaged = triage(&store, &case, Urgency::Yellow).await;
            // A deadline set by an event the sweeper reads like any other (an approved
            // extension), so that the projection stays what its events make.
            let event = hezhi_domain::Event {
                case_id: case.id,
                sequence: triaged.version + 1,
                at: case.reported_at,
                actor: dispatcher().user,
                role: Role::Dispatcher,
                kind: hezhi_domain::EventKind::ExtensionApproved {
                    until: when,
                    note: None,
                },
            };
            let next = hezhi_domain::evolve(Some(triaged.clone()), &event).expect("evolves");
            store
                .write_batch(vec![WriteOp::append(
                    triaged,
                    vec![event],
                    next.clone(),
                    None,
                )])
                .await
                .expect("batch")
                .pop()
                .expect("one")
                .expect("written");
            next
        }
    };
    let first = due(&first, at(21, 0)).await;
    let second = due(&second, at(22, 0)).await;
    let ids = |cases: Vec<Case>| {
        cases
            .into_iter()
            .filter(|c| c.data.region.as_str() == region)
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    // 75% of 24 hours after the report at day 20 00:00 is day 20 18:00.
    assert_eq!(
        ids(store.cases_to_sweep(at(20, 17), 50).await.expect("due")),
        Vec::<CaseId>::new()
    );
    assert_eq!(
        ids(store.cases_to_sweep(at(20, 18), 50).await.expect("due")),
        vec![first.id]
    );
    assert_eq!(
        ids(store.cases_to_sweep(at(23, 0), 50).await.expect("due")),
        vec![first.id, second.id],
        "the earliest first; a case without a deadline never comes"
    );
    // Once swept for its deadline, a case comes at its deadline; once overdue, never again.
    let events = hezhi_domain::sweep::sweep(&first, at(20, 18));
    let warned = events.iter().fold(first.clone(), |c, e| {
        hezhi_domain::evolve(Some(c), e).expect("evolves")
    });
    store
        .write_batch(vec![WriteOp::append(
            first.clone(),
            events,
            warned.clone(),
            None,
        )])
        .await
        .expect("batch")
        .pop()
        .expect("one")
        .expect("written");
    assert_eq!(
        ids(store.cases_to_sweep(at(20, 20), 50).await.expect("due")),
        Vec::<CaseId>::new()
    );
    assert_eq!(
        ids(store.cases_to_sweep(at(21, 0), 50).await.expect("due")),
        vec![warned.id]
    );
    let _ = untouched;
}
