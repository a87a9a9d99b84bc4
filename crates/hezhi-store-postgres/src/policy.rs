//! Versions of the deadline policy.

use crate::{PostgresStore, db_error, write_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hezhi_domain::UserId;
use hezhi_domain::deadline::DeadlinePolicy;
use hezhi_store::{PolicyStore, StoreResult, codec};
use sqlx::Row;

fn decode(row: &sqlx::postgres::PgRow) -> StoreResult<DeadlinePolicy> {
    let version: i64 = row.try_get("version").map_err(db_error)?;
    let policy: String = row.try_get("policy").map_err(db_error)?;
    codec::deadline_policy_from_columns(version, &policy)
}

#[async_trait]
impl PolicyStore for PostgresStore {
    async fn latest_deadline_policy(&self) -> StoreResult<Option<DeadlinePolicy>> {
        let row = sqlx::query(
            "SELECT version, policy FROM deadline_policies ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(decode).transpose()
    }

    async fn deadline_policy(&self, version: u32) -> StoreResult<Option<DeadlinePolicy>> {
        let row = sqlx::query("SELECT version, policy FROM deadline_policies WHERE version = $1")
            .bind(i64::from(version))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(decode).transpose()
    }

    async fn save_deadline_policy(
        &self,
        policy: &DeadlinePolicy,
        at: DateTime<Utc>,
        by: Option<UserId>,
    ) -> StoreResult<DeadlinePolicy> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let next: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 1) + 1 FROM deadline_policies")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO deadline_policies (version, policy, saved_at, saved_by)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(next)
        .bind(codec::to_json(policy)?)
        .bind(at)
        .bind(by.map(|u| u.as_uuid()))
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
        tx.commit().await.map_err(db_error)?;
        codec::deadline_policy_from_columns(next, &codec::to_json(policy)?)
    }
}
