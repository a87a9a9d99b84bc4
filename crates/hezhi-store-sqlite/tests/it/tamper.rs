//! The audit log's tamper evidence on SQLite: the attacker opens the file, drops the
//! append-only triggers and edits the tables; verification names what was done.

use async_trait::async_trait;
use hezhi_store::contract::tamper::{self, Arg, Attacker};
use hezhi_store::{AuditHash, AuditStore, Store};
use hezhi_store_sqlite::SqliteStore;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use std::path::Path;
use std::sync::Arc;

/// A second connection to the database file, as anybody who can read the data directory
/// can open one.
struct FileAttacker(SqlitePool);

impl FileAttacker {
    async fn open(path: &Path) -> FileAttacker {
        let options = SqliteConnectOptions::new().filename(path);
        FileAttacker(
            SqlitePool::connect_with(options)
                .await
                .expect("open the file"),
        )
    }
}

#[async_trait]
impl Attacker for FileAttacker {
    async fn disable_triggers(&self) {
        for trigger in ["audit_log_is_never_updated", "audit_log_is_never_deleted"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {trigger}")))
                .execute(&self.0)
                .await
                .expect("drop trigger");
        }
    }

    async fn execute(&self, sql: &str, args: Vec<Arg>) {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for arg in args {
            query = match arg {
                Arg::Text(text) => query.bind(text),
                Arg::Int(int) => query.bind(int),
            };
        }
        query
            .execute(&self.0)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[tokio::test]
async fn the_append_only_triggers_refuse_changes_to_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hezhi.db");
    let store = SqliteStore::open(&path, &hezhi_store::contract::test_keys())
        .await
        .expect("open");
    store
        .append_audit(vec![hezhi_store::AuditRecord {
            at: chrono::DateTime::from_timestamp_millis(1_772_000_000_000).expect("time"),
            actor: None,
            action: "user_created".into(),
            case: None,
            county: None,
            detail: serde_json::json!({}),
        }])
        .await
        .expect("append");
    let attacker = FileAttacker::open(&path).await;
    for sql in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
        let refused = sqlx::query(sql).execute(&attacker.0).await;
        assert!(
            refused.is_err(),
            "{sql} is refused while the triggers stand"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_tampering_is_found_and_named_on_sqlite() {
    for (name, scenario) in tamper::TAMPERING {
        eprintln!("tampering: {name}");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hezhi.db");
        let store = SqliteStore::open(&path, &hezhi_store::contract::test_keys())
            .await
            .expect("open");
        let attacker = FileAttacker::open(&path).await;
        scenario(
            Arc::new(store.clone()) as Arc<dyn Store>,
            Arc::new(attacker),
        )
        .await;
        store.close().await;
    }
}

#[tokio::test]
async fn a_log_sealed_with_sha256_then_sm3_verifies_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hezhi.db");
    let first = SqliteStore::open(&path, &hezhi_store::contract::test_keys())
        .await
        .expect("open");
    let then = first.clone().with_audit_hash(AuditHash::Sm3);
    tamper::a_log_sealed_with_both_functions_verifies(Arc::new(first), Arc::new(then)).await;
}
