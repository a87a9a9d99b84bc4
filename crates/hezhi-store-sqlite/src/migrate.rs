//! Forward-only migrations, embedded in the binary. The PostgreSQL backend has a file of the
//! same name for each of these (a test checks it).

use hezhi_store::{StoreError, StoreResult};
use sqlx::SqlitePool;

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
];

pub async fn run(pool: &SqlitePool) -> StoreResult<()> {
    let db = |e: sqlx::Error| StoreError::Database(e.to_string());
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await
    .map_err(db)?;
    for (name, sql) in MIGRATIONS {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
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
            sqlx::query(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, datetime('now'))",
            )
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
