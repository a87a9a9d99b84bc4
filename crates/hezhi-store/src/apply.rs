//! What a write op does, once for both backends. A backend only spells each statement in its
//! own SQL ([`WriteTx`]); the order of the statements, the version check and the building of
//! events and projections live here.

use crate::codec::{self, CaseColumns, EventColumns};
use crate::error::StoreError;
use crate::traits::StoreResult;
use crate::write::{IdempotencyKey, WriteOp, WriteReceipt};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hezhi_domain::{Case, CaseNumber, RegionCode, evolve, reported_event};

/// The statements of a write transaction, as one backend spells them.
#[async_trait]
pub trait WriteTx: Send {
    async fn savepoint(&mut self) -> StoreResult<()>;
    async fn release_savepoint(&mut self) -> StoreResult<()>;
    async fn rollback_to_savepoint(&mut self) -> StoreResult<()>;
    /// Advances the gap-free counter of `county` and `year` and returns the new value.
    async fn next_case_number(&mut self, county: &RegionCode, year: i32) -> StoreResult<u32>;
    async fn insert_case(&mut self, case: &CaseColumns) -> StoreResult<()>;
    /// Replaces the row when its stored version is `expected_version`; `false` when not.
    async fn update_case(&mut self, case: &CaseColumns, expected_version: u32)
    -> StoreResult<bool>;
    async fn case_version(&mut self, county: &str, id: uuid::Uuid) -> StoreResult<Option<u32>>;
    async fn insert_event(&mut self, event: &EventColumns) -> StoreResult<()>;
    /// Makes `case_units` list exactly the units of the case's current assignment.
    async fn replace_case_units(&mut self, case: &CaseColumns) -> StoreResult<()>;
    async fn insert_idempotency(
        &mut self,
        key: &IdempotencyKey,
        status: u16,
        receipt: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// Runs each op in its own savepoint inside the caller's transaction: a refused op is
/// rolled back alone and reported in its slot; the others stand.
pub async fn apply_batch(
    tx: &mut dyn WriteTx,
    ops: Vec<WriteOp>,
) -> StoreResult<Vec<StoreResult<WriteReceipt>>> {
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        tx.savepoint().await?;
        let result = apply_op(tx, op).await;
        if result.is_ok() {
            tx.release_savepoint().await?;
        } else {
            tx.rollback_to_savepoint().await?;
            tx.release_savepoint().await?;
        }
        results.push(result);
    }
    Ok(results)
}

async fn apply_op(tx: &mut dyn WriteTx, op: WriteOp) -> StoreResult<WriteReceipt> {
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
            let sequence = tx.next_case_number(&county, year).await?;
            let number = CaseNumber::new(county, year, sequence);
            let event = reported_event(id, number, tracking_code, *data, &actor, at);
            let case = evolve(None, &event)
                .ok_or_else(|| StoreError::Corrupt("a report did not make a case".into()))?;
            let columns = CaseColumns::of(&case)?;
            tx.insert_case(&columns).await?;
            tx.insert_event(&EventColumns::of(&columns.county, &event)?)
                .await?;
            finish(tx, &case, idempotency.as_ref(), status).await
        }
        WriteOp::AppendEvents {
            expected_version,
            events,
            case,
            idempotency,
        } => {
            let columns = CaseColumns::of(&case)?;
            if !tx.update_case(&columns, expected_version).await? {
                return Err(match tx.case_version(&columns.county, columns.id).await? {
                    None => StoreError::NotFound("case"),
                    Some(found) => StoreError::VersionConflict {
                        expected: expected_version,
                        found,
                    },
                });
            }
            for event in &events {
                tx.insert_event(&EventColumns::of(&columns.county, event)?)
                    .await?;
            }
            tx.replace_case_units(&columns).await?;
            finish(tx, &case, idempotency.as_ref(), status).await
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
        tx.insert_idempotency(key, status, &codec::to_json(&receipt)?, case.updated_at)
            .await?;
    }
    Ok(receipt)
}
