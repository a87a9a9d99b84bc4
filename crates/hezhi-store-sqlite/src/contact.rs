//! Staff members' phones for reminders.

use crate::{SqliteStore, db_error, ms};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hezhi_domain::{Phone, Role, UserId};
use hezhi_store::sign_in::{open_staff_phone, seal_staff_phone};
use hezhi_store::{ContactStore, RecipientScope, StoreResult};
use sqlx::Row;

#[async_trait]
impl ContactStore for SqliteStore {
    async fn set_staff_phone(
        &self,
        user: UserId,
        phone: Option<&Phone>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        match phone {
            Some(phone) => {
                let sealed = seal_staff_phone(&self.keys.keyring(), user, phone)?;
                sqlx::query(
                    "INSERT INTO staff_phones (user_id, phone, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (user_id) DO UPDATE SET phone = excluded.phone,
                         updated_at = excluded.updated_at",
                )
                .bind(user.as_uuid())
                .bind(sealed)
                .bind(ms(at))
                .execute(&self.writer)
                .await
                .map_err(db_error)?;
            }
            None => {
                sqlx::query("DELETE FROM staff_phones WHERE user_id = $1")
                    .bind(user.as_uuid())
                    .execute(&self.writer)
                    .await
                    .map_err(db_error)?;
            }
        }
        Ok(())
    }

    async fn staff_phone(&self, user: UserId) -> StoreResult<Option<Phone>> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT phone FROM staff_phones WHERE user_id = $1")
                .bind(user.as_uuid())
                .fetch_optional(&self.readers)
                .await
                .map_err(db_error)?;
        match stored {
            Some(stored) => Ok(Some(
                self.decoded(|keys| open_staff_phone(keys, user, &stored))
                    .await?,
            )),
            None => Ok(None),
        }
    }

    async fn reminder_recipients(
        &self,
        role: Role,
        scope: &RecipientScope,
    ) -> StoreResult<Vec<(UserId, Phone)>> {
        let (region, unit) = match scope {
            RecipientScope::Region(region) => (Some(region.as_str().to_owned()), None),
            RecipientScope::Unit(unit) => (None, Some(unit.as_uuid())),
        };
        let rows = sqlx::query(
            "SELECT DISTINCT p.user_id, p.phone FROM role_assignments a
             JOIN staff_phones p ON p.user_id = a.user_id
             WHERE a.revoked_at IS NULL AND a.role = $1
               AND (($2 IS NOT NULL AND a.region = $2) OR ($3 IS NOT NULL AND a.unit = $3))
             ORDER BY p.user_id",
        )
        .bind(role.as_str())
        .bind(region)
        .bind(unit)
        .fetch_all(&self.readers)
        .await
        .map_err(db_error)?;
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            let user = UserId::from_uuid(row.try_get("user_id").map_err(db_error)?);
            let stored: String = row.try_get("phone").map_err(db_error)?;
            let phone = self
                .decoded(|keys| open_staff_phone(keys, user, &stored))
                .await?;
            found.push((user, phone));
        }
        Ok(found)
    }
}
