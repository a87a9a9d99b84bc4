//! Tampering with the audit log, as an intruder with the database password would: each
//! scenario writes a chain, checks that it verifies, switches off the append-only triggers,
//! changes the tables directly, and asserts that [`verify_log`] names the entry and what was
//! done to it — and that the chains it did not touch still verify.
//!
//! A backend's test provides the [`Attacker`] (its SQL connection with the triggers off) and
//! runs every scenario of [`TAMPERING`] on a fresh store.

use crate::Store;
use crate::audit::{
    AuditEntry, AuditHash, AuditRecord, ChainReport, SYSTEM_CHAIN, Tamper, entry_hash, verify_log,
};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use hezhi_domain::{CaseId, RegionCode, UserId};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A value bound to a statement of the attacker's.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
}

/// Direct access to the database behind a store, with the audit log's append-only
/// triggers switched off. Statements use `$1`, `$2`… placeholders, which both engines take.
#[async_trait]
pub trait Attacker: Send + Sync {
    async fn disable_triggers(&self);
    async fn execute(&self, sql: &str, args: Vec<Arg>);
}

type Scenario = fn(Arc<dyn Store>, Arc<dyn Attacker>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every kind of tampering, by name; run each on a fresh store.
pub const TAMPERING: &[(&str, Scenario)] = &[
    ("a_changed_field_is_found_as_changed", |s, a| {
        Box::pin(changed_field(s, a))
    }),
    (
        "an_entry_changed_and_sealed_again_is_found_as_changed",
        |s, a| Box::pin(changed_and_resealed(s, a)),
    ),
    (
        "an_entry_removed_from_the_middle_is_found_as_removed",
        |s, a| Box::pin(removed_in_the_middle(s, a)),
    ),
    (
        "an_entry_removed_and_the_rest_renumbered_is_found_as_removed",
        |s, a| Box::pin(removed_and_renumbered(s, a)),
    ),
    (
        "an_entry_inserted_in_the_middle_is_found_as_inserted",
        |s, a| Box::pin(inserted_in_the_middle(s, a)),
    ),
    (
        "an_entry_appended_past_the_head_is_found_as_inserted",
        |s, a| Box::pin(appended_past_the_head(s, a)),
    ),
    ("removed_last_entries_are_found_as_truncated", |s, a| {
        Box::pin(truncated(s, a))
    }),
    ("a_changed_head_is_found", |s, a| {
        Box::pin(changed_head(s, a))
    }),
    ("a_removed_head_is_found", |s, a| {
        Box::pin(removed_head(s, a))
    }),
];

/// The chain under attack.
const COUNTY: &str = "370811";
/// Its length.
const ENTRIES: u64 = 7;
/// Entries read per query: small, so that findings fall across page boundaries.
const PAGE: u32 = 3;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, minute, 0)
        .single()
        .expect("valid time")
}

fn record(i: u32, county: Option<&str>) -> AuditRecord {
    AuditRecord {
        at: at(i),
        actor: Some(UserId::from_uuid(uuid::Uuid::from_u128(u128::from(i) + 1))),
        action: if county.is_some() {
            "case.accepted".into()
        } else {
            "user_created".into()
        },
        case: county.map(|_| CaseId::from_uuid(uuid::Uuid::from_u128(u128::from(i) << 64))),
        county: county.map(|c| RegionCode::parse(c).expect("code")),
        detail: serde_json::json!({ "sequence": i, "role": "dispatcher" }),
    }
}

/// Writes the county chain (in three transactions) and two system entries, and checks that
/// all of it verifies.
async fn build(store: &Arc<dyn Store>) {
    for range in [1..=3, 4..=5, 6..=7] {
        store
            .append_audit(range.map(|i| record(i, Some(COUNTY))).collect())
            .await
            .expect("append");
    }
    store
        .append_audit(vec![record(8, None), record(9, None)])
        .await
        .expect("append");
    for report in verify(store).await {
        assert_eq!(report.finding, None, "untouched chain {}", report.chain);
    }
}

async fn verify(store: &Arc<dyn Store>) -> Vec<ChainReport> {
    verify_log(store.as_ref(), PAGE, &mut |_| {})
        .await
        .expect("verification runs")
}

/// Verifies the log and asserts that the county chain's finding is `expected` and that the
/// system chain was not affected.
async fn expect_finding(store: &Arc<dyn Store>, expected: Tamper) {
    let reports = verify(store).await;
    let county = reports
        .iter()
        .find(|r| r.chain == COUNTY)
        .expect("the county chain is verified");
    assert_eq!(county.finding.as_ref(), Some(&expected), "{expected}");
    let system = reports
        .iter()
        .find(|r| r.chain == SYSTEM_CHAIN)
        .expect("the system chain is verified");
    assert_eq!(system.finding, None, "the system chain was not touched");
    assert_eq!(system.entries, 2);
}

async fn entry(store: &Arc<dyn Store>, seq: u64) -> AuditEntry {
    store
        .audit_chain(COUNTY, seq - 1, 1)
        .await
        .expect("read")
        .pop()
        .filter(|e| e.seq == seq)
        .expect("entry exists")
}

/// What an attacker who knows the algorithm seals: entry `after` copied as entry `seq`,
/// linked to `after`, with another action.
fn forge(after: &AuditEntry, seq: u64) -> AuditEntry {
    let mut forged = AuditEntry {
        seq,
        action: "case.archived".into(),
        prev_hash: after.hash.clone(),
        ..after.clone()
    };
    let function = AuditHash::of_sealed(&after.hash).expect("a sealed hash");
    forged.hash = entry_hash(function, &forged);
    forged
}

/// Inserts `forged` by copying the row of the entry it follows (the columns' types differ
/// between engines; copying keeps them).
async fn insert_forged(attacker: &Arc<dyn Attacker>, forged: &AuditEntry, copy_of: u64) {
    attacker
        .execute(
            "INSERT INTO audit_log (chain, seq, at, actor, action, case_id, detail, prev_hash, hash)
             SELECT chain, $2, at, actor, $3, case_id, detail, $4, $5 FROM audit_log
             WHERE chain = $1 AND seq = $6",
            vec![
                Arg::Text(COUNTY.into()),
                seq_arg(forged.seq),
                Arg::Text(forged.action.clone()),
                Arg::Text(forged.prev_hash.clone()),
                Arg::Text(forged.hash.clone()),
                seq_arg(copy_of),
            ],
        )
        .await;
}

fn seq_arg(seq: u64) -> Arg {
    Arg::Int(i64::try_from(seq).expect("small"))
}

/// Moves entries numbered `from` and above by `by` (negative: down), in two steps so that
/// no row takes a number still in use.
async fn renumber(attacker: &Arc<dyn Attacker>, from: u64, by: i64) {
    attacker
        .execute(
            "UPDATE audit_log SET seq = -seq WHERE chain = $1 AND seq >= $2",
            vec![Arg::Text(COUNTY.into()), seq_arg(from)],
        )
        .await;
    attacker
        .execute(
            "UPDATE audit_log SET seq = $2 - seq WHERE chain = $1 AND seq < 0",
            vec![Arg::Text(COUNTY.into()), Arg::Int(by)],
        )
        .await;
    attacker
        .execute(
            "UPDATE audit_heads SET seq = seq + $2 WHERE chain = $1",
            vec![Arg::Text(COUNTY.into()), Arg::Int(by)],
        )
        .await;
}

async fn changed_field(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    attacker.disable_triggers().await;
    attacker
        .execute(
            "UPDATE audit_log SET action = 'case.archived' WHERE chain = $1 AND seq = $2",
            vec![Arg::Text(COUNTY.into()), seq_arg(4)],
        )
        .await;
    expect_finding(
        &store,
        Tamper::Changed {
            chain: COUNTY.into(),
            seq: 4,
        },
    )
    .await;
}

async fn changed_and_resealed(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    let mut changed = entry(&store, 4).await;
    changed.action = "case.archived".into();
    let function = AuditHash::of_sealed(&changed.hash).expect("a sealed hash");
    changed.hash = entry_hash(function, &changed);
    attacker.disable_triggers().await;
    attacker
        .execute(
            "UPDATE audit_log SET action = $3, hash = $4 WHERE chain = $1 AND seq = $2",
            vec![
                Arg::Text(COUNTY.into()),
                seq_arg(4),
                Arg::Text(changed.action.clone()),
                Arg::Text(changed.hash.clone()),
            ],
        )
        .await;
    expect_finding(
        &store,
        Tamper::Changed {
            chain: COUNTY.into(),
            seq: 4,
        },
    )
    .await;
}

async fn removed_in_the_middle(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    attacker.disable_triggers().await;
    attacker
        .execute(
            "DELETE FROM audit_log WHERE chain = $1 AND seq = $2",
            vec![Arg::Text(COUNTY.into()), seq_arg(4)],
        )
        .await;
    expect_finding(
        &store,
        Tamper::Removed {
            chain: COUNTY.into(),
            seq: 4,
            count: 1,
        },
    )
    .await;
}

async fn removed_and_renumbered(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    attacker.disable_triggers().await;
    attacker
        .execute(
            "DELETE FROM audit_log WHERE chain = $1 AND seq = $2",
            vec![Arg::Text(COUNTY.into()), seq_arg(4)],
        )
        .await;
    renumber(&attacker, 5, -1).await;
    expect_finding(
        &store,
        Tamper::Removed {
            chain: COUNTY.into(),
            seq: 4,
            count: 1,
        },
    )
    .await;
}

async fn inserted_in_the_middle(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    let third = entry(&store, 3).await;
    attacker.disable_triggers().await;
    renumber(&attacker, 4, 1).await;
    insert_forged(&attacker, &forge(&third, 4), 3).await;
    assert_eq!(
        store.audit_chain(COUNTY, 0, 100).await.expect("read").len() as u64,
        ENTRIES + 1
    );
    expect_finding(
        &store,
        Tamper::Inserted {
            chain: COUNTY.into(),
            seq: 4,
        },
    )
    .await;
}

async fn appended_past_the_head(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    let last = entry(&store, ENTRIES).await;
    attacker.disable_triggers().await;
    insert_forged(&attacker, &forge(&last, ENTRIES + 1), ENTRIES).await;
    expect_finding(
        &store,
        Tamper::Inserted {
            chain: COUNTY.into(),
            seq: ENTRIES + 1,
        },
    )
    .await;
}

async fn truncated(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    attacker.disable_triggers().await;
    attacker
        .execute(
            "DELETE FROM audit_log WHERE chain = $1 AND seq > $2",
            vec![Arg::Text(COUNTY.into()), seq_arg(5)],
        )
        .await;
    expect_finding(
        &store,
        Tamper::Truncated {
            chain: COUNTY.into(),
            last: 5,
            head: ENTRIES,
        },
    )
    .await;
}

async fn changed_head(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    let earlier = entry(&store, 5).await;
    attacker
        .execute(
            "UPDATE audit_heads SET hash = $2 WHERE chain = $1",
            vec![Arg::Text(COUNTY.into()), Arg::Text(earlier.hash)],
        )
        .await;
    expect_finding(
        &store,
        Tamper::HeadChanged {
            chain: COUNTY.into(),
            seq: ENTRIES,
        },
    )
    .await;
}

async fn removed_head(store: Arc<dyn Store>, attacker: Arc<dyn Attacker>) {
    build(&store).await;
    attacker
        .execute(
            "DELETE FROM audit_heads WHERE chain = $1",
            vec![Arg::Text(COUNTY.into())],
        )
        .await;
    expect_finding(
        &store,
        Tamper::HeadMissing {
            chain: COUNTY.into(),
            last: ENTRIES,
        },
    )
    .await;
}

/// A log sealed first with SHA-256 and then, after the setting changed, with SM3 verifies
/// as a whole; `first` and `then` are the same database with the two settings.
pub async fn a_log_sealed_with_both_functions_verifies(
    first: Arc<dyn Store>,
    then: Arc<dyn Store>,
) {
    assert_eq!(first.audit_hash(), AuditHash::Sha256);
    assert_eq!(then.audit_hash(), AuditHash::Sm3);
    first
        .append_audit((1..=3).map(|i| record(i, Some(COUNTY))).collect())
        .await
        .expect("append");
    let sealed = then
        .append_audit((4..=5).map(|i| record(i, Some(COUNTY))).collect())
        .await
        .expect("append");
    assert!(sealed.iter().all(|e| e.hash.starts_with("sm3:")));
    let reports = verify(&then).await;
    let county = reports.iter().find(|r| r.chain == COUNTY).expect("chain");
    assert_eq!(county.finding, None);
    assert_eq!(county.entries, 5);
    assert_eq!(county.sealed_with.get(&AuditHash::Sha256), Some(&3));
    assert_eq!(county.sealed_with.get(&AuditHash::Sm3), Some(&2));
}
