//! Residents' one-time codes and the users of their phones in PostgreSQL.

use crate::{PostgresStore, db_error, insert_assignment, ms, write_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hezhi_domain::UserId;
use hezhi_store::{ResidentCode, ResidentSignInStore, SendLimits, StoreError, StoreResult, User};
use sqlx::Row;
use sqlx::postgres::PgRow;

fn count(row: &PgRow, column: &str) -> StoreResult<u32> {
    let value: i32 = row.try_get(column).map_err(db_error)?;
    u32::try_from(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode_code(row: &PgRow) -> StoreResult<ResidentCode> {
    Ok(ResidentCode {
        phone_key: row.try_get("phone_key").map_err(db_error)?,
        code_hash: row.try_get("code_hash").map_err(db_error)?,
        sent_at: row.try_get("sent_at").map_err(db_error)?,
        expires_at: row.try_get("expires_at").map_err(db_error)?,
        tries: count(row, "tries")?,
        used_at: row.try_get("used_at").map_err(db_error)?,
        window_started_at: row.try_get("window_started_at").map_err(db_error)?,
        sent_in_window: count(row, "sent_in_window")?,
    })
}

#[async_trait]
impl ResidentSignInStore for PostgresStore {
    fn keyed_hash(&self, kind: &str, value: &str) -> String {
        self.keys.keyring().lookup_hash(kind, value)
    }

    async fn resident_code(&self, phone_key: &str) -> StoreResult<Option<ResidentCode>> {
        let row = sqlx::query(
            "SELECT phone_key, code_hash, sent_at, expires_at, tries, used_at,
                    window_started_at, sent_in_window
             FROM resident_codes WHERE phone_key = $1",
        )
        .bind(phone_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(decode_code).transpose()
    }

    async fn issue_resident_code(
        &self,
        phone_key: &str,
        code_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        limits: &SendLimits,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO resident_codes (phone_key, code_hash, sent_at, expires_at, tries,
                 used_at, window_started_at, sent_in_window)
             VALUES ($1, $2, $3, $4, 0, NULL, $3, 1)
             ON CONFLICT (phone_key) DO UPDATE SET
                 code_hash = excluded.code_hash,
                 sent_at = excluded.sent_at,
                 expires_at = excluded.expires_at,
                 tries = 0,
                 used_at = NULL,
                 window_started_at = CASE WHEN resident_codes.window_started_at <= $5
                     THEN excluded.sent_at ELSE resident_codes.window_started_at END,
                 sent_in_window = CASE WHEN resident_codes.window_started_at <= $5
                     THEN 1 ELSE resident_codes.sent_in_window + 1 END
             WHERE resident_codes.sent_at <= $6
               AND (resident_codes.window_started_at <= $5 OR resident_codes.sent_in_window < $7)",
        )
        .bind(phone_key)
        .bind(code_hash)
        .bind(ms(at))
        .bind(ms(expires_at))
        .bind(ms(at - limits.window))
        .bind(ms(at - limits.min_interval))
        .bind(i32::try_from(limits.per_window).unwrap_or(i32::MAX))
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn try_resident_code(
        &self,
        phone_key: &str,
        at: DateTime<Utc>,
        max_tries: u32,
    ) -> StoreResult<Option<String>> {
        sqlx::query_scalar(
            "UPDATE resident_codes SET tries = tries + 1
             WHERE phone_key = $1 AND used_at IS NULL AND expires_at > $2 AND tries < $3
             RETURNING code_hash",
        )
        .bind(phone_key)
        .bind(ms(at))
        .bind(i32::try_from(max_tries).unwrap_or(i32::MAX))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn use_resident_code(
        &self,
        phone_key: &str,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE resident_codes SET used_at = $3
             WHERE phone_key = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(phone_key)
        .bind(code_hash)
        .bind(ms(at))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn resident_user(&self, phone_key: &str) -> StoreResult<Option<UserId>> {
        let id: Option<uuid::Uuid> =
            sqlx::query_scalar("SELECT user_id FROM resident_phones WHERE phone_key = $1")
                .bind(phone_key)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(id.map(UserId::from_uuid))
    }

    async fn insert_resident_user(&self, phone_key: &str, user: &User) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(user.id.as_uuid())
            .bind(&user.name)
            .bind(ms(user.created_at))
            .execute(&mut *tx)
            .await
            .map_err(write_error)?;
        for assignment in &user.assignments {
            insert_assignment(&mut tx, assignment).await?;
        }
        sqlx::query(
            "INSERT INTO resident_phones (phone_key, user_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(phone_key)
        .bind(user.id.as_uuid())
        .bind(ms(user.created_at))
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
        tx.commit().await.map_err(db_error)
    }
}
