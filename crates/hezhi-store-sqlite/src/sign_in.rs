//! Credentials, sessions, failed sign-in counters and token revocation in SQLite.

use crate::{SqliteStore, db_error, from_ms, ms, write_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hezhi_domain::{AssignmentId, TokenId, UserId};
use hezhi_store::sign_in::{open_totp_secret, seal_totp_secret};
use hezhi_store::{
    ApiToken, CredentialStore, Credentials, Keyring, SessionRecord, SessionStore, StoreError,
    StoreResult, ThrottleKey, ThrottleState, TotpState,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn optional_ms(millis: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    millis.map(from_ms).transpose()
}

fn step_from_column(step: Option<i64>) -> StoreResult<Option<u64>> {
    step.map(|s| u64::try_from(s).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

fn step_column(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

fn decode_credentials(row: &SqliteRow, keys: &Keyring) -> StoreResult<Credentials> {
    let user = UserId::from_uuid(row.try_get("user_id").map_err(db_error)?);
    let secret: Option<String> = row.try_get("totp_secret").map_err(db_error)?;
    let totp = match secret {
        Some(secret) => Some(TotpState {
            secret: open_totp_secret(keys, user, &secret)?,
            confirmed_at: optional_ms(row.try_get("totp_confirmed_at").map_err(db_error)?)?,
            last_step: step_from_column(row.try_get("totp_last_step").map_err(db_error)?)?,
        }),
        None => None,
    };
    Ok(Credentials {
        user,
        password_hash: row.try_get("password_hash").map_err(db_error)?,
        must_change_password: row.try_get("must_change_password").map_err(db_error)?,
        password_changed_at: optional_ms(row.try_get("password_changed_at").map_err(db_error)?)?,
        totp,
    })
}

fn decode_session(row: &SqliteRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id_hash: row.try_get("id_hash").map_err(db_error)?,
        user: UserId::from_uuid(row.try_get("user_id").map_err(db_error)?),
        csrf_token: row.try_get("csrf_token").map_err(db_error)?,
        created_at: from_ms(row.try_get("created_at").map_err(db_error)?)?,
        last_seen_at: from_ms(row.try_get("last_seen_at").map_err(db_error)?)?,
        must_change_password: row.try_get("must_change_password").map_err(db_error)?,
        must_enrol_totp: row.try_get("must_enrol_totp").map_err(db_error)?,
        client: row.try_get("client").map_err(db_error)?,
        revoked_at: optional_ms(row.try_get("revoked_at").map_err(db_error)?)?,
    })
}

fn decode_token(row: &SqliteRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: TokenId::from_uuid(row.try_get("id").map_err(db_error)?),
        user: UserId::from_uuid(row.try_get("user_id").map_err(db_error)?),
        assignment: AssignmentId::from_uuid(row.try_get("assignment_id").map_err(db_error)?),
        created_at: from_ms(row.try_get("created_at").map_err(db_error)?)?,
        revoked_at: optional_ms(row.try_get("revoked_at").map_err(db_error)?)?,
    })
}

fn decode_throttle(row: &SqliteRow) -> StoreResult<ThrottleState> {
    let failures: i64 = row.try_get("failures").map_err(db_error)?;
    Ok(ThrottleState {
        failures: u32::try_from(failures).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        last_failure_at: from_ms(row.try_get("last_failure_at").map_err(db_error)?)?,
    })
}

const CREDENTIAL_COLUMNS: &str = "user_id, password_hash, must_change_password, \
     password_changed_at, totp_secret, totp_confirmed_at, totp_last_step";

const SESSION_COLUMNS: &str = "id_hash, user_id, csrf_token, created_at, last_seen_at, \
     must_change_password, must_enrol_totp, client, revoked_at";

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn count_users(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.readers)
            .await
            .map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn credentials(&self, user: UserId) -> StoreResult<Option<Credentials>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM user_credentials WHERE user_id = $1"
        )))
        .bind(user.as_uuid())
        .fetch_optional(&self.readers)
        .await
        .map_err(db_error)?;
        self.decoded(|keys| {
            row.as_ref()
                .map(|row| decode_credentials(row, keys))
                .transpose()
        })
        .await
    }

    async fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        must_change: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_credentials
                 (user_id, password_hash, must_change_password, password_changed_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,
                 must_change_password = excluded.must_change_password,
                 password_changed_at = excluded.password_changed_at",
        )
        .bind(user.as_uuid())
        .bind(password_hash)
        .bind(must_change)
        .bind(ms(at))
        .execute(&self.writer)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn set_pending_totp(&self, user: UserId, secret: &str) -> StoreResult<()> {
        let sealed = seal_totp_secret(&self.keys.keyring(), user, secret)?;
        sqlx::query(
            "INSERT INTO user_credentials (user_id, totp_secret) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET totp_secret = excluded.totp_secret,
                 totp_confirmed_at = NULL, totp_last_step = NULL",
        )
        .bind(user.as_uuid())
        .bind(sealed)
        .execute(&self.writer)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn confirm_totp(&self, user: UserId, step: u64, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE user_credentials SET totp_confirmed_at = $2, totp_last_step = $3
             WHERE user_id = $1 AND totp_secret IS NOT NULL AND totp_confirmed_at IS NULL",
        )
        .bind(user.as_uuid())
        .bind(ms(at))
        .bind(step_column(step))
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_totp_step(&self, user: UserId, step: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE user_credentials SET totp_last_step = $2
             WHERE user_id = $1 AND totp_secret IS NOT NULL
               AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(user.as_uuid())
        .bind(step_column(step))
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn clear_totp(&self, user: UserId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE user_credentials
             SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL
             WHERE user_id = $1",
        )
        .bind(user.as_uuid())
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn sign_in_failures(&self, key: &ThrottleKey) -> StoreResult<Option<ThrottleState>> {
        let row = sqlx::query(
            "SELECT failures, last_failure_at FROM sign_in_failures WHERE scope = $1 AND key = $2",
        )
        .bind(key.scope())
        .bind(key.value())
        .fetch_optional(&self.writer)
        .await
        .map_err(db_error)?;
        row.as_ref().map(decode_throttle).transpose()
    }

    async fn record_sign_in_failure(
        &self,
        key: &ThrottleKey,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<ThrottleState> {
        let row = sqlx::query(
            "INSERT INTO sign_in_failures (scope, key, failures, last_failure_at)
             VALUES ($1, $2, 1, $3)
             ON CONFLICT (scope, key) DO UPDATE SET
                 failures = CASE WHEN sign_in_failures.last_failure_at < $4 THEN 1
                                 ELSE sign_in_failures.failures + 1 END,
                 last_failure_at = excluded.last_failure_at
             RETURNING failures, last_failure_at",
        )
        .bind(key.scope())
        .bind(key.value())
        .bind(ms(at))
        .bind(ms(forget_before))
        .fetch_one(&self.writer)
        .await
        .map_err(db_error)?;
        decode_throttle(&row)
    }

    async fn clear_sign_in_failures(&self, key: &ThrottleKey) -> StoreResult<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1 AND key = $2")
            .bind(key.scope())
            .bind(key.value())
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn api_token(&self, id: TokenId) -> StoreResult<Option<ApiToken>> {
        let row =
            sqlx::query("SELECT id, user_id, assignment_id, created_at, revoked_at FROM api_tokens WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.writer)
                .await
                .map_err(db_error)?;
        row.as_ref().map(decode_token).transpose()
    }

    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, user_id, assignment_id, created_at, revoked_at FROM api_tokens
             WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user.as_uuid())
        .fetch_all(&self.readers)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_token).collect()
    }

    async fn revoke_api_token(
        &self,
        id: TokenId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
             RETURNING token_hash",
        )
        .bind(id.as_uuid())
        .bind(ms(at))
        .fetch_optional(&self.writer)
        .await
        .map_err(db_error)
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(&session.id_hash)
        .bind(session.user.as_uuid())
        .bind(&session.csrf_token)
        .bind(ms(session.created_at))
        .bind(ms(session.last_seen_at))
        .bind(session.must_change_password)
        .bind(session.must_enrol_totp)
        .bind(&session.client)
        .bind(session.revoked_at.map(ms))
        .execute(&self.writer)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1"
        )))
        .bind(id_hash)
        .fetch_optional(&self.readers)
        .await
        .map_err(db_error)?;
        row.as_ref().map(decode_session).transpose()
    }

    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $2
             WHERE id_hash = $1 AND revoked_at IS NULL AND last_seen_at < $2",
        )
        .bind(id_hash)
        .bind(ms(at))
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn revoke_session(&self, id_hash: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL",
        )
        .bind(id_hash)
        .bind(ms(at))
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_sessions_of(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user.as_uuid())
        .bind(ms(at))
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn purge_sessions_of(
        &self,
        user: UserId,
        created_before: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions
             WHERE user_id = $1 AND (revoked_at IS NOT NULL OR created_at < $2)",
        )
        .bind(user.as_uuid())
        .bind(ms(created_before))
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected())
    }
}
