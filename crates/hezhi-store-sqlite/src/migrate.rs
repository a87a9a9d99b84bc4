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

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;
    use sqlx::sqlite::SqlitePoolOptions;

    /// A file from before `0008_case_attention` gets the column filled from each case's data.
    #[tokio::test]
    async fn the_attention_column_is_filled_for_cases_written_before_it() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("memory database");
        let at = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0008_case_attention")
            .expect("0008 is listed");
        let (earlier, from_0008) = MIGRATIONS.split_at(at);
        let last = &from_0008[0];
        for (_, sql) in earlier {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&pool)
                .await
                .expect("earlier migration");
        }
        for (id, state, data) in [
            (
                1u8,
                "in_progress",
                r#"{"pending_extension":{"until":"x"},"returned_count":1}"#,
            ),
            (2, "triaged", r#"{"returned_count":2}"#),
            (3, "triaged", r#"{"returned_count":0}"#),
            (4, "dispatched", r#"{"returned_count":1}"#),
        ] {
            sqlx::query(
                "INSERT INTO cases (county, id, number, tracking_code, state, kind, category,
                    region, reported_by, version, reported_at, updated_at, data)
                 VALUES ('370811', $1, $2, $3, $4, 'dispute', 'neighbour', '370811002001',
                    x'00', 1, 0, 0, $5)",
            )
            .bind(vec![id])
            .bind(format!("370811-2026-00000{id}"))
            .bind(format!("code{id}"))
            .bind(state)
            .bind(data)
            .execute(&pool)
            .await
            .expect("case row");
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(last.1))
            .execute(&pool)
            .await
            .expect("0008");
        let attention: Vec<Option<String>> =
            sqlx::query_scalar("SELECT attention FROM cases ORDER BY id")
                .fetch_all(&pool)
                .await
                .expect("read");
        assert_eq!(
            attention,
            vec![
                Some("extension".into()),
                Some("returned".into()),
                None,
                None
            ]
        );
    }

    /// `0015_event_rows` keeps every event of a file written before it, byte for byte and in
    /// order, moves them into an ordinary table, and keeps the log append-only.
    #[tokio::test]
    async fn events_move_to_an_ordinary_table_whole_and_append_only() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("memory database");
        let at = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0015_event_rows")
            .expect("0015 is listed");
        for (_, sql) in &MIGRATIONS[..at] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&pool)
                .await
                .expect("earlier migration");
        }
        let long = "调".repeat(900);
        let rows: Vec<(u8, i64, String)> = vec![
            (2, 2, "{\"type\":\"accepted\"}".into()),
            (1, 1, format!("{{\"description\":\"{long}\"}}")),
            (2, 1, "{\"type\":\"reported\"}".into()),
        ];
        for (case, sequence, payload) in &rows {
            sqlx::query(
                "INSERT INTO case_events (county, case_id, sequence, type, at, actor, role,
                    payload) VALUES ('370811', $1, $2, 'x', 0, x'00', 'clerk', $3)",
            )
            .bind(vec![*case])
            .bind(sequence)
            .bind(payload)
            .execute(&pool)
            .await
            .expect("event row");
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(MIGRATIONS[at].1))
            .execute(&pool)
            .await
            .expect("0015");
        let found: Vec<(Vec<u8>, i64, String)> = sqlx::query_as(
            "SELECT case_id, sequence, payload FROM case_events
             WHERE county = '370811' ORDER BY case_id, sequence",
        )
        .fetch_all(&pool)
        .await
        .expect("read");
        let mut expected: Vec<(Vec<u8>, i64, String)> = rows
            .into_iter()
            .map(|(case, sequence, payload)| (vec![case], sequence, payload))
            .collect();
        expected.sort();
        assert_eq!(found, expected);
        let sql: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'case_events'")
                .fetch_one(&pool)
                .await
                .expect("schema");
        assert!(!sql.to_uppercase().contains("WITHOUT ROWID"), "{sql}");
        for refused in [
            "UPDATE case_events SET payload = '{}'",
            "DELETE FROM case_events",
            "INSERT INTO case_events (county, case_id, sequence, type, at, actor, role, payload)
                VALUES ('370811', x'01', 1, 'x', 0, x'00', 'clerk', '{}')",
        ] {
            assert!(
                sqlx::raw_sql(sqlx::AssertSqlSafe(refused))
                    .execute(&pool)
                    .await
                    .is_err(),
                "refused: {refused}"
            );
        }
    }
}
