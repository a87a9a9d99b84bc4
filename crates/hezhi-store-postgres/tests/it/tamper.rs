//! The audit log's tamper evidence on PostgreSQL: the attacker, connected as the owner of
//! the tables, disables the append-only triggers and edits the tables; verification names
//! what was done.

use super::with_fresh_store;
use async_trait::async_trait;
use hezhi_store::contract::tamper::{self, Arg, Attacker};
use hezhi_store::{AuditHash, AuditStore, Store};
use hezhi_store_postgres::PostgresStore;
use sqlx::PgPool;
use std::sync::Arc;

/// The store's own pool: the same role and schema an intruder with the password would use.
struct OwnerAttacker(PgPool);

#[async_trait]
impl Attacker for OwnerAttacker {
    async fn disable_triggers(&self) {
        sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER USER")
            .execute(&self.0)
            .await
            .expect("disable triggers");
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

fn attacker(store: &PostgresStore) -> Arc<dyn Attacker> {
    Arc::new(OwnerAttacker(store.pool().clone()))
}

#[tokio::test]
async fn the_audit_log_refuses_update_delete_and_truncate() {
    with_fresh_store(|store| async move {
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
        for statement in [
            "UPDATE audit_log SET action = 'edited'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ] {
            let error = sqlx::raw_sql(statement)
                .execute(store.pool())
                .await
                .expect_err(statement);
            assert!(
                error.to_string().contains("append-only"),
                "{statement}: {error}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_tampering_is_found_and_named_on_postgres() {
    for (name, scenario) in tamper::TAMPERING {
        eprintln!("tampering: {name}");
        with_fresh_store(|store| async move {
            let attacker = attacker(&store);
            scenario(Arc::new(store) as Arc<dyn Store>, attacker).await;
        })
        .await;
    }
}

#[tokio::test]
async fn a_log_sealed_with_sha256_then_sm3_verifies_on_postgres() {
    with_fresh_store(|store| async move {
        let then = store.clone().with_audit_hash(AuditHash::Sm3);
        tamper::a_log_sealed_with_both_functions_verifies(Arc::new(store), Arc::new(then)).await;
    })
    .await;
}
