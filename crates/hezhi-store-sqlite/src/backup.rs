//! Online backups of the database file, taken while the server goes on writing.
//!
//! [`backup_file`] copies a consistent snapshot with `VACUUM INTO` on a read-only connection:
//! in WAL mode it reads as of one moment, holds no lock that stops the writer, and writes a
//! compact file without the WAL. [`file_facts`] checks a file (`PRAGMA integrity_check`) and
//! reads what a backup's manifest records about it, without the keys of personal data.

use crate::db_error;
use hezhi_store::{StoreError, StoreResult};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::path::Path;
use std::time::Duration;

/// What a database file holds, as a backup records it and a restore checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// The last migration applied.
    pub schema: String,
    pub cases: u64,
    pub events: u64,
    pub audit_entries: u64,
}

async fn read_only(path: &Path) -> StoreResult<SqliteConnection> {
    if !path.is_file() {
        return Err(StoreError::NotFound("database file"));
    }
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(db_error)
}

/// Writes a consistent copy of the database at `source` to the new file `dest` (which must
/// not exist) while other connections go on writing, makes it durable, and returns the
/// copy's facts after checking its integrity.
pub async fn backup_file(source: &Path, dest: &Path) -> StoreResult<FileFacts> {
    if dest.exists() {
        return Err(StoreError::Duplicate("backup file"));
    }
    let mut conn = read_only(source).await?;
    let dest_text = dest
        .to_str()
        .ok_or_else(|| StoreError::Database(format!("{} is not UTF-8", dest.display())))?;
    sqlx::query("VACUUM INTO $1")
        .bind(dest_text)
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    conn.close().await.map_err(db_error)?;
    sync(dest)?;
    file_facts(dest).await
}

/// Checks the integrity of the database file at `path` and reads its facts, read-only.
pub async fn file_facts(path: &Path) -> StoreResult<FileFacts> {
    let mut conn = read_only(path).await?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(db_error)?;
    if integrity != "ok" {
        return Err(StoreError::Corrupt(format!(
            "{}: {integrity}",
            path.display()
        )));
    }
    let schema: Option<String> = sqlx::query_scalar("SELECT max(name) FROM schema_migrations")
        .fetch_one(&mut conn)
        .await
        .map_err(db_error)?;
    let (cases, events, audit_entries): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events),
                (SELECT count(*) FROM audit_log)",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(db_error)?;
    conn.close().await.map_err(db_error)?;
    Ok(FileFacts {
        schema: schema.unwrap_or_default(),
        cases: cases.unsigned_abs(),
        events: events.unsigned_abs(),
        audit_entries: audit_entries.unsigned_abs(),
    })
}

/// Flushes `path` and its directory's entry for it to disk.
fn sync(path: &Path) -> StoreResult<()> {
    let io = |e: std::io::Error| StoreError::Database(format!("{}: {e}", path.display()));
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}
