//! Personal data at rest in the SQLite file: nowhere in the clear, not in a table and not in
//! the file's bytes; the keys open only with the right master key.

use super::{KEYS, fresh};
use hezhi_store::contract::{KNOWN_PERSONAL_DATA, report_known_personal_data};
use hezhi_store::{
    CaseFilter, CaseReader, CryptoError, KeyStore, MasterKey, PageRequest, PersonalDataKeys, Store,
    StoreError,
};
use hezhi_store_sqlite::SqliteStore;
use sqlx::{Connection, Row, SqliteConnection};
use std::path::Path;
use std::sync::Arc;

/// Every text and blob value of every table, as bytes.
async fn every_stored_value(path: &Path) -> Vec<(String, Vec<u8>)> {
    let url = format!("sqlite://{}", path.display());
    let mut conn = SqliteConnection::connect(&url).await.expect("connect");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut conn)
            .await
            .expect("tables");
    let mut values = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA table_info(\"{table}\")"
        )))
        .fetch_all(&mut conn)
        .await
        .expect("columns")
        .iter()
        .map(|row| row.get::<String, _>("name"))
        .collect();
        for column in columns {
            let sql = format!("SELECT CAST(\"{column}\" AS BLOB) AS v FROM \"{table}\"");
            for row in sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut conn)
                .await
                .expect("values")
            {
                if let Some(bytes) = row.get::<Option<Vec<u8>>, _>("v") {
                    values.push((format!("{table}.{column}"), bytes));
                }
            }
        }
    }
    // Move everything from the write-ahead log into the file, for the raw scan.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    conn.close().await.expect("close");
    values
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn no_phone_id_number_or_address_is_stored_in_the_clear() {
    let (dir, store) = fresh().await;
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    report_known_personal_data(&shared).await;
    store.close().await;
    let path = dir.path().join("hezhi.db");
    let values = every_stored_value(&path).await;
    // The scan sees what is stored in the clear: the case titles.
    assert!(values.iter().any(|(_, v)| contains(v, "宅基地纠纷")));
    for needle in KNOWN_PERSONAL_DATA {
        let found: Vec<&String> = values
            .iter()
            .filter(|(_, v)| contains(v, needle))
            .map(|(column, _)| column)
            .collect();
        assert!(
            found.is_empty(),
            "{needle} is stored in the clear in {found:?}"
        );
    }
    let mut raw = std::fs::read(&path).expect("database file");
    for suffix in ["-wal", "-journal"] {
        if let Ok(more) = std::fs::read(dir.path().join(format!("hezhi.db{suffix}"))) {
            raw.extend(more);
        }
    }
    assert!(contains(&raw, "宅基地纠纷"), "the raw scan reads the cases");
    for needle in KNOWN_PERSONAL_DATA {
        assert!(!contains(&raw, needle), "{needle} is in the database file");
    }
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_when_the_file_opens() {
    let (dir, store) = fresh().await;
    report_known_personal_data(&(Arc::new(store.clone()) as Arc<dyn Store>)).await;
    store.close().await;
    let path = dir.path().join("hezhi.db");
    let wrong = PersonalDataKeys::new(MasterKey::generate().expect("random"), KEYS.cipher);
    let error = SqliteStore::open(&path, &wrong)
        .await
        .expect_err("wrong key");
    assert!(
        matches!(error, StoreError::Keys(CryptoError::WrongMasterKey)),
        "{error}"
    );
    let reopened = SqliteStore::open(&path, &KEYS)
        .await
        .expect("the right key");
    let page = reopened
        .list_cases(
            &CaseFilter::default(),
            &PageRequest {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("list");
    assert_eq!(page.items.len(), 3);
}

#[tokio::test]
async fn after_a_rewrap_only_the_new_master_key_opens_the_file() {
    let (dir, store) = fresh().await;
    report_known_personal_data(&(Arc::new(store.clone()) as Arc<dyn Store>)).await;
    let new = PersonalDataKeys::new(MasterKey::generate().expect("random"), KEYS.cipher);
    store.rewrap_data_keys(&new.master).await.expect("rewrap");
    store.close().await;
    let path = dir.path().join("hezhi.db");
    assert!(SqliteStore::open(&path, &KEYS).await.is_err());
    let reopened = SqliteStore::open(&path, &new).await.expect("the new key");
    let page = reopened
        .list_cases(
            &CaseFilter::default(),
            &PageRequest {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("list");
    assert_eq!(page.items.len(), 3);
    assert!(
        page.items
            .iter()
            .any(|c| c.data.parties.iter().any(|p| p.address.is_some()))
    );
}

#[tokio::test]
async fn a_process_reads_values_under_a_data_key_another_process_added() {
    let (dir, writer) = fresh().await;
    let reader = SqliteStore::open(&dir.path().join("hezhi.db"), &KEYS)
        .await
        .expect("second process");
    writer.rotate_data_key().await.expect("rotate");
    report_known_personal_data(&(Arc::new(writer.clone()) as Arc<dyn Store>)).await;
    let page = reader
        .list_cases(
            &CaseFilter::default(),
            &PageRequest {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("the reader loads the new key");
    assert_eq!(page.items.len(), 3);
}
