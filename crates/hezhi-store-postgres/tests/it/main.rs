//! The PostgreSQL backend against the shared contract, plus what only PostgreSQL has:
//! parallel writers, the append-only trigger, concurrent migrations, bulk region loads.
//!
//! Tests that need a server read `HEZHI_TEST_PG_URL`; each one works in a schema of its own.

mod concurrency;
mod personal_data;
mod schema;
mod tamper;

use hezhi_store::{PersonalDataKeys, Store};
use hezhi_store_postgres::PostgresStore;
use std::future::Future;
use std::sync::{Arc, LazyLock};

/// One master key for the whole test run.
static KEYS: LazyLock<PersonalDataKeys> = LazyLock::new(hezhi_store::contract::test_keys);

/// The server to test against, or `None` (with a note) when it is not configured.
fn test_url() -> Option<String> {
    match std::env::var("HEZHI_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "HEZHI_TEST_PG_URL is not set: skipping a PostgreSQL test \
                 (e.g. HEZHI_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test)"
            );
            None
        }
    }
}

/// A schema name no other test uses.
fn unique_schema_name() -> String {
    format!("hezhi_test_{}", uuid::Uuid::now_v7().simple())
}

/// Runs `test` against a store in a fresh schema, and drops the schema afterwards even if
/// the test fails.
async fn with_fresh_store<F, Fut>(test: F)
where
    F: FnOnce(PostgresStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(url) = test_url() else { return };
    let store = PostgresStore::connect_fresh_schema(&url, &unique_schema_name(), &KEYS)
        .await
        .expect("fresh schema");
    let outcome = tokio::spawn(test(store.clone())).await;
    store.drop_schema().await.expect("drop schema");
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_backend_meets_the_store_contract() {
    with_fresh_store(|store| async move {
        hezhi_store::contract::run_all(Arc::new(store) as Arc<dyn Store>).await;
    })
    .await;
}

#[tokio::test]
async fn the_backend_names_itself_and_writes_in_parallel() {
    with_fresh_store(|store| async move {
        assert_eq!(store.backend(), "postgres");
        assert_eq!(store.writer_parallelism(), 4);
    })
    .await;
}

#[test]
fn migration_names_match_the_sqlite_backend() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let names = |backend: &str| {
        let dir = crates.join(backend).join("migrations");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        for name in &names {
            let text = std::fs::read_to_string(dir.join(name)).expect("readable");
            assert!(
                text.starts_with("-- Why:"),
                "{backend}/migrations/{name} must open with `-- Why:`"
            );
        }
        names
    };
    let postgres = names("hezhi-store-postgres");
    assert!(!postgres.is_empty());
    assert_eq!(postgres, names("hezhi-store-sqlite"));
    let embedded: Vec<String> = hezhi_store_postgres::MIGRATIONS
        .iter()
        .map(|(name, _)| format!("{name}.sql"))
        .collect();
    assert_eq!(embedded, postgres, "every file is embedded, in order");
}
