//! The SQLite backend against the shared contract, plus what only SQLite has.

mod personal_data;
mod tamper;

use hezhi_store::{PersonalDataKeys, Store};
use hezhi_store_sqlite::SqliteStore;
use std::sync::{Arc, LazyLock};

/// One master key for the whole test run.
static KEYS: LazyLock<PersonalDataKeys> = LazyLock::new(hezhi_store::contract::test_keys);

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("hezhi.db"), &KEYS)
        .await
        .expect("open");
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_backend_meets_the_store_contract() {
    let (_dir, store) = fresh().await;
    hezhi_store::contract::run_all(Arc::new(store.clone()) as Arc<dyn Store>).await;
    store.integrity_check().await.expect("integrity");
}

#[tokio::test]
async fn opening_an_existing_file_again_keeps_its_data_and_migrations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hezhi.db");
    let store = SqliteStore::open(&path, &KEYS).await.expect("open");
    let region = hezhi_domain::RegionCode::parse("37").expect("code");
    store
        .upsert_regions(&[hezhi_store::Region {
            code: region.clone(),
            name: "山东省".into(),
            level: region.level(),
            parent: None,
        }])
        .await
        .expect("upsert");
    store.close().await;
    let reopened = SqliteStore::open(&path, &KEYS).await.expect("reopen");
    use hezhi_store::RegionStore;
    assert_eq!(reopened.count_regions().await.expect("count"), 1);
}
