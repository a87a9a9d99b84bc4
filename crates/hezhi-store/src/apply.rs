//! What a write op does, once for both backends. A backend only spells each statement in its
//! own SQL ([`WriteTx`]); the order of the statements, the version check and the building of
//! events and projections live here.

use crate::audit::{AuditEntry, AuditHash, AuditHead, AuditRecord, seal};
use crate::codec::{self, CaseColumns, EventColumns};
use crate::error::StoreError;
use crate::traits::StoreResult;
use crate::write::{IdempotencyKey, WriteOp, WriteReceipt};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hezhi_crypto::{Keyring, StoredKey};
use hezhi_domain::indicators::{RollupChange, RollupChanges, rollup_changes};
use hezhi_domain::{Case, CaseNumber, RegionCode, evolve, reported_event};
use std::collections::BTreeMap;

/// The statements of a write transaction, as one backend spells them.
#[async_trait]
pub trait WriteTx: Send {
    async fn savepoint(&mut self) -> StoreResult<()>;
    async fn release_savepoint(&mut self) -> StoreResult<()>;
    async fn rollback_to_savepoint(&mut self) -> StoreResult<()>;
    /// Advances the gap-free counter of `county` and `year` by `by` and returns the new last
    /// number: the caller owns the numbers `last - by + 1 ..= last`.
    async fn advance_case_counter(
        &mut self,
        county: &RegionCode,
        year: i32,
        by: u32,
    ) -> StoreResult<u32>;
    /// Inserts case rows, many per statement.
    async fn insert_cases(&mut self, cases: &[CaseColumns]) -> StoreResult<()>;
    /// Replaces the row when its stored version is `expected_version`; `false` when not.
    async fn update_case(&mut self, case: &CaseColumns, expected_version: u32)
    -> StoreResult<bool>;
    async fn case_version(&mut self, county: &str, id: uuid::Uuid) -> StoreResult<Option<u32>>;
    /// Inserts event rows, many per statement.
    async fn insert_events(&mut self, events: &[EventColumns]) -> StoreResult<()>;
    /// Makes `case_units` list exactly the units of the case's current assignment.
    async fn replace_case_units(&mut self, case: &CaseColumns) -> StoreResult<()>;
    /// Records idempotency keys with the receipts they answer, many per statement.
    async fn insert_idempotency(&mut self, records: &[IdempotencyRow]) -> StoreResult<()>;
    /// Inserts the `case_party_keys` rows of new cases (`CaseColumns::party_keys`).
    async fn insert_party_keys(&mut self, cases: &[CaseColumns]) -> StoreResult<()>;
    /// Adds `changes` (sorted by region and day, the order rows are locked in) to the
    /// indicator rollups, creating rows as needed.
    async fn add_rollups(&mut self, changes: &[RollupChange]) -> StoreResult<()>;
    /// Deletes every rollup row (the start of a rebuild).
    async fn clear_rollups(&mut self) -> StoreResult<()>;
    /// The events of the next `cases` cases after `after` in (county, id) order, ordered by
    /// county, case and sequence.
    async fn case_events_after(
        &mut self,
        after: Option<&(String, uuid::Uuid)>,
        cases: u32,
    ) -> StoreResult<Vec<crate::stats::EventRow>>;

    /// The stored personal-data keys, by id.
    async fn data_keys(&mut self) -> StoreResult<Vec<StoredKey>>;
    /// Inserts keys whose id is not taken yet and returns how many were inserted.
    async fn insert_data_keys(&mut self, keys: &[StoredKey]) -> StoreResult<u64>;
    /// Replaces the wrapped form of existing keys, by id.
    async fn update_data_keys(&mut self, keys: &[StoredKey]) -> StoreResult<()>;

    /// Locks the heads of `chains` (sorted) until the transaction ends and returns those that
    /// exist; a chain without a head has no entries yet.
    async fn lock_audit_heads(&mut self, chains: &[String]) -> StoreResult<Vec<AuditHead>>;

    /// Appends sealed entries and moves the chains' heads to `heads`.
    async fn append_audit_entries(
        &mut self,
        entries: &[AuditEntry],
        heads: &[AuditHead],
    ) -> StoreResult<()>;

    /// Inserts new cases with their party keys, report events and idempotency keys, and the
    /// sealed audit entries of the reports with their chains' new heads. A backend that can do
    /// it in fewer round trips than one insert each overrides this.
    async fn insert_reports(
        &mut self,
        cases: &[CaseColumns],
        events: &[EventColumns],
        keys: &[IdempotencyRow],
        audit: &[AuditEntry],
        heads: &[AuditHead],
    ) -> StoreResult<()> {
        self.insert_cases(cases).await?;
        self.insert_party_keys(cases).await?;
        self.insert_events(events).await?;
        if !keys.is_empty() {
            self.insert_idempotency(keys).await?;
        }
        if !audit.is_empty() {
            self.append_audit_entries(audit, heads).await?;
        }
        Ok(())
    }
}

/// One idempotency record to insert.
#[derive(Debug)]
pub struct IdempotencyRow {
    pub key: IdempotencyKey,
    pub status: u16,
    /// The receipt as JSON.
    pub receipt: String,
    pub at: DateTime<Utc>,
}

/// Runs a batch inside the caller's transaction and returns one result per op, in order.
///
/// New cases go in together: one counter update per county and year, one multi-row insert
/// for the cases, one for their events and one for the idempotency keys. That is what makes a
/// batch cheaper per case than a transaction per case. Should any of those statements fail
/// (a tracking code or idempotency key already taken), the attempt is rolled back and every
/// op runs alone in its own savepoint, so that a refused op is reported in its slot and the
/// others stand.
pub async fn apply_batch(
    tx: &mut dyn WriteTx,
    hash: AuditHash,
    keys: &Keyring,
    ops: Vec<WriteOp>,
) -> StoreResult<Vec<StoreResult<WriteReceipt>>> {
    let creates: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| matches!(op, WriteOp::CreateCase { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut results: Vec<Option<StoreResult<WriteReceipt>>> = ops.iter().map(|_| None).collect();
    let mut audit = Vec::new();
    let mut rollups = RollupChanges::default();
    if creates.len() > 1 {
        tx.savepoint().await?;
        match create_together(tx, keys, creates.iter().map(|&i| &ops[i]), None).await {
            Ok((receipts, records, changes)) => {
                tx.release_savepoint().await?;
                for (&i, receipt) in creates.iter().zip(receipts) {
                    results[i] = Some(Ok(receipt));
                }
                audit.extend(records);
                rollups.extend(changes);
            }
            Err(error) => {
                tracing::debug!(%error, "batched insert refused; applying ops one by one");
                tx.rollback_to_savepoint().await?;
                tx.release_savepoint().await?;
            }
        }
    }
    for (slot, op) in results.iter_mut().zip(ops) {
        if slot.is_none() {
            *slot = Some(match apply_alone(tx, keys, op).await? {
                Ok((receipt, records, changes)) => {
                    audit.extend(records);
                    rollups.extend(changes);
                    Ok(receipt)
                }
                Err(error) => Err(error),
            });
        }
    }
    append_audit(tx, hash, audit).await?;
    add_rollups(tx, rollups.into_sorted()).await?;
    Ok(results.into_iter().flatten().collect())
}

/// Whether every op of a batch reports a new case: the common batch under load, which
/// backends first try with [`reports_together`] in a transaction of its own.
pub fn all_reports(ops: &[WriteOp]) -> bool {
    !ops.is_empty()
        && ops
            .iter()
            .all(|op| matches!(op, WriteOp::CreateCase { .. }))
}

/// Reports every case of `ops` with as few statements as possible: one counter update per
/// county and year (taken in sorted order, so two such batches never deadlock) and the rows
/// of all cases, events and idempotency keys through [`WriteTx::insert_reports`]. Any
/// failure leaves the transaction unusable: the caller rolls it back and falls back to
/// [`apply_batch`]. Ops that are not reports are ignored.
pub async fn reports_together(
    tx: &mut dyn WriteTx,
    hash: AuditHash,
    keys: &Keyring,
    ops: &[WriteOp],
) -> StoreResult<Vec<WriteReceipt>> {
    let (receipts, _, changes) = create_together(tx, keys, ops.iter(), Some(hash)).await?;
    add_rollups(tx, changes).await?;
    Ok(receipts)
}

/// Adds the rollup changes of a transaction, after its audit entries (so that every writer
/// takes the audit heads first and the rollup rows second, each in sorted order).
async fn add_rollups(tx: &mut dyn WriteTx, changes: Vec<RollupChange>) -> StoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    tx.add_rollups(&changes).await
}

/// Reports every case of `ops` (all `CreateCase`) with as few statements as possible.
///
/// With `seal_with`, the audit records of the reports are sealed onto their chains (after
/// locking the heads, in sorted order) and go in with the same statement as the rows, and none
/// are returned; without it they are returned for the caller to append. The rollup changes
/// of the new cases are returned, sorted, for the caller to add.
async fn create_together<'a>(
    tx: &mut dyn WriteTx,
    keyring: &Keyring,
    ops: impl Iterator<Item = &'a WriteOp>,
    seal_with: Option<AuditHash>,
) -> StoreResult<(Vec<WriteReceipt>, Vec<AuditRecord>, Vec<RollupChange>)> {
    let ops: Vec<_> = ops.collect();
    // How many numbers each county-year needs, taken in one counter update each.
    let mut wanted: BTreeMap<(RegionCode, i32), u32> = BTreeMap::new();
    for op in &ops {
        if let WriteOp::CreateCase { data, at, .. } = op {
            *wanted
                .entry((data.county(), Case::number_year(*at)))
                .or_default() += 1;
        }
    }
    let mut next: BTreeMap<(RegionCode, i32), u32> = BTreeMap::new();
    for ((county, year), count) in wanted {
        let last = tx.advance_case_counter(&county, year, count).await?;
        next.insert((county, year), last + 1 - count);
    }
    let mut cases = Vec::with_capacity(ops.len());
    let mut events = Vec::with_capacity(ops.len());
    let mut keys = Vec::new();
    let mut receipts = Vec::with_capacity(ops.len());
    let mut audit = Vec::with_capacity(ops.len());
    let mut rollups = RollupChanges::default();
    for op in ops {
        let WriteOp::CreateCase {
            id,
            tracking_code,
            data,
            actor,
            at,
            idempotency,
        } = op
        else {
            continue;
        };
        let county = data.county();
        let year = Case::number_year(*at);
        let sequence = next
            .get_mut(&(county.clone(), year))
            .ok_or_else(|| StoreError::Corrupt("no number was reserved for a county".into()))?;
        let number = CaseNumber::new(county, year, *sequence);
        *sequence += 1;
        let event = reported_event(
            *id,
            number,
            tracking_code.clone(),
            (**data).clone(),
            actor,
            *at,
        );
        let case = evolve(None, &event)
            .ok_or_else(|| StoreError::Corrupt("a report did not make a case".into()))?;
        rollups.add(&case, 1);
        let columns = CaseColumns::of(&case, keyring)?;
        events.push(EventColumns::of(&columns.county, &event, keyring)?);
        cases.push(columns);
        let receipt = WriteReceipt::of(&case);
        if let Some(key) = idempotency {
            keys.push(IdempotencyRow {
                key: key.clone(),
                status: 201,
                receipt: codec::to_json(&receipt)?,
                at: *at,
            });
        }
        receipts.push(receipt);
        audit.extend(event_audit_records(&case, std::slice::from_ref(&event)));
    }
    let Some(hash) = seal_with else {
        tx.insert_reports(&cases, &events, &keys, &[], &[]).await?;
        return Ok((receipts, audit, rollups.into_sorted()));
    };
    let (entries, heads) = seal_records(tx, hash, audit).await?;
    tx.insert_reports(&cases, &events, &keys, &entries, &heads)
        .await?;
    Ok((receipts, Vec::new(), rollups.into_sorted()))
}

/// What an op that went in leaves for the end of the transaction: its receipt, its audit
/// records and its rollup changes.
type Applied = (WriteReceipt, Vec<AuditRecord>, Vec<RollupChange>);

/// Applies one op in its own savepoint; a refusal rolls back that op only.
async fn apply_alone(
    tx: &mut dyn WriteTx,
    keys: &Keyring,
    op: WriteOp,
) -> StoreResult<StoreResult<Applied>> {
    tx.savepoint().await?;
    let result = apply_op(tx, keys, op).await;
    if result.is_ok() {
        tx.release_savepoint().await?;
    } else {
        tx.rollback_to_savepoint().await?;
        tx.release_savepoint().await?;
    }
    Ok(result)
}

async fn apply_op(tx: &mut dyn WriteTx, keys: &Keyring, op: WriteOp) -> StoreResult<Applied> {
    let status = op.success_status();
    match op {
        WriteOp::CreateCase {
            id,
            tracking_code,
            data,
            actor,
            at,
            idempotency,
        } => {
            let county = data.county();
            let year = Case::number_year(at);
            let sequence = tx.advance_case_counter(&county, year, 1).await?;
            let number = CaseNumber::new(county, year, sequence);
            let event = reported_event(id, number, tracking_code, *data, &actor, at);
            let case = evolve(None, &event)
                .ok_or_else(|| StoreError::Corrupt("a report did not make a case".into()))?;
            let columns = CaseColumns::of(&case, keys)?;
            tx.insert_cases(std::slice::from_ref(&columns)).await?;
            tx.insert_party_keys(std::slice::from_ref(&columns)).await?;
            tx.insert_events(&[EventColumns::of(&columns.county, &event, keys)?])
                .await?;
            let audit = event_audit_records(&case, std::slice::from_ref(&event));
            Ok((
                finish(tx, &case, idempotency.as_ref(), status).await?,
                audit,
                rollup_changes(None, &case),
            ))
        }
        WriteOp::AppendEvents {
            expected_version,
            events,
            before,
            case,
            idempotency,
        } => {
            let columns = CaseColumns::of(&case, keys)?;
            if !tx.update_case(&columns, expected_version).await? {
                return Err(match tx.case_version(&columns.county, columns.id).await? {
                    None => StoreError::NotFound("case"),
                    Some(found) => StoreError::VersionConflict {
                        expected: expected_version,
                        found,
                    },
                });
            }
            let audit = event_audit_records(&case, &events);
            let events = events
                .iter()
                .map(|event| EventColumns::of(&columns.county, event, keys))
                .collect::<StoreResult<Vec<_>>>()?;
            tx.insert_events(&events).await?;
            tx.replace_case_units(&columns).await?;
            Ok((
                finish(tx, &case, idempotency.as_ref(), status).await?,
                audit,
                rollup_changes(Some(&before), &case),
            ))
        }
    }
}

/// Records the idempotency key with the receipt it answers, in the same transaction.
async fn finish(
    tx: &mut dyn WriteTx,
    case: &Case,
    idempotency: Option<&IdempotencyKey>,
    status: u16,
) -> StoreResult<WriteReceipt> {
    let receipt = WriteReceipt::of(case);
    if let Some(key) = idempotency {
        let row = IdempotencyRow {
            key: key.clone(),
            status,
            receipt: codec::to_json(&receipt)?,
            at: case.updated_at,
        };
        tx.insert_idempotency(&[row]).await?;
    }
    Ok(receipt)
}

/// Seals `records` onto their chains and appends them inside the caller's transaction, after
/// locking the chains' heads in sorted order.
pub async fn append_audit(
    tx: &mut dyn WriteTx,
    hash: AuditHash,
    records: Vec<AuditRecord>,
) -> StoreResult<Vec<AuditEntry>> {
    let (entries, heads) = seal_records(tx, hash, records).await?;
    if !entries.is_empty() {
        tx.append_audit_entries(&entries, &heads).await?;
    }
    Ok(entries)
}

/// Locks the heads of the records' chains (sorted) and seals the records onto them.
async fn seal_records(
    tx: &mut dyn WriteTx,
    hash: AuditHash,
    records: Vec<AuditRecord>,
) -> StoreResult<(Vec<AuditEntry>, Vec<AuditHead>)> {
    if records.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut chains: Vec<String> = records.iter().map(AuditRecord::chain).collect();
    chains.sort();
    chains.dedup();
    let heads = tx.lock_audit_heads(&chains).await?;
    Ok(seal(hash, records, &heads))
}

/// The audit records of committed case events: one per event, on the county's chain.
pub fn event_audit_records(case: &Case, events: &[hezhi_domain::Event]) -> Vec<AuditRecord> {
    events
        .iter()
        .map(|event| AuditRecord {
            at: event.at,
            actor: Some(event.actor),
            action: format!("case.{}", event.kind.name()),
            case: Some(case.id),
            county: Some(case.county()),
            detail: serde_json::json!({
                "number": case.number.to_string(),
                "sequence": event.sequence,
                "role": event.role.as_str(),
            }),
        })
        .collect()
}
