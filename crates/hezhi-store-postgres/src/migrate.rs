//! Forward-only migrations, embedded in the binary. Each file has a twin of the same name in
//! the SQLite backend (a test checks it).

use hezhi_store::{StoreError, StoreResult};
use sqlx::PgPool;

pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../migrations/0001_initial.sql"),
    ),
    (
        "0002_audit_log",
        include_str!("../migrations/0002_audit_log.sql"),
    ),
    (
        "0003_personal_data",
        include_str!("../migrations/0003_personal_data.sql"),
    ),
    (
        "0004_sign_in",
        include_str!("../migrations/0004_sign_in.sql"),
    ),
    (
        "0005_role_assignments",
        include_str!("../migrations/0005_role_assignments.sql"),
    ),
    (
        "0006_grid_shapes",
        include_str!("../migrations/0006_grid_shapes.sql"),
    ),
    (
        "0007_resident_sign_in",
        include_str!("../migrations/0007_resident_sign_in.sql"),
    ),
    (
        "0008_case_attention",
        include_str!("../migrations/0008_case_attention.sql"),
    ),
    (
        "0009_attachment_files",
        include_str!("../migrations/0009_attachment_files.sql"),
    ),
    (
        "0010_deadline_policies",
        include_str!("../migrations/0010_deadline_policies.sql"),
    ),
    (
        "0011_deadline_sweep",
        include_str!("../migrations/0011_deadline_sweep.sql"),
    ),
    (
        "0012_stat_rollups",
        include_str!("../migrations/0012_stat_rollups.sql"),
    ),
    (
        "0013_staff_phones",
        include_str!("../migrations/0013_staff_phones.sql"),
    ),
    (
        "0014_current_deadline",
        include_str!("../migrations/0014_current_deadline.sql"),
    ),
    (
        "0015_event_rows",
        include_str!("../migrations/0015_event_rows.sql"),
    ),
];

/// First key of the advisory lock that serialises migrations; the second is the schema, so
/// that processes migrating different schemas (tests) do not wait for one another.
const MIGRATION_LOCK: i32 = -0x4858; // "HX", outside the range of county codes.

pub async fn run(pool: &PgPool) -> StoreResult<()> {
    let db = |e: sqlx::Error| StoreError::Database(e.to_string());
    for (name, sql) in MIGRATIONS {
        // Two processes starting at once: the second waits here until the first has
        // committed, then sees the migration recorded and skips it.
        let mut tx = pool.begin().await.map_err(db)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                name TEXT PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let done: Option<String> =
            sqlx::query_scalar("SELECT name FROM schema_migrations WHERE name = $1")
                .bind(*name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        if done.is_none() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query("INSERT INTO schema_migrations (name) VALUES ($1)")
                .bind(*name)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            tracing::info!(migration = name, "migration applied");
        }
        tx.commit().await.map_err(db)?;
    }
    Ok(())
}
