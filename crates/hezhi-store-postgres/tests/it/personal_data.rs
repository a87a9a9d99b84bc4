//! Personal data at rest in PostgreSQL: no table holds a party's phone, ID number or address
//! in the clear, and the keys open only with the right master key.

use super::{KEYS, test_url, with_fresh_store};
use hezhi_store::contract::{KNOWN_PERSONAL_DATA, report_known_personal_data};
use hezhi_store::{CryptoError, KeyStore, MasterKey, PersonalDataKeys, Store, StoreError};
use hezhi_store_postgres::PostgresStore;
use sqlx::Row;
use std::sync::Arc;

#[tokio::test]
async fn no_phone_id_number_or_address_is_stored_in_the_clear() {
    with_fresh_store(|store| async move {
        report_known_personal_data(&(Arc::new(store.clone()) as Arc<dyn Store>)).await;
        // Every column of every table of the schema that can hold text or bytes.
        let columns = sqlx::query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name
             FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND data_type IN ('text', 'jsonb', 'json', 'bytea', 'character varying', 'character')",
        )
        .fetch_all(store.pool())
        .await
        .expect("columns");
        assert!(columns.len() > 20, "the scan sees the schema");
        let mut title_seen = false;
        for row in &columns {
            let table: String = row.get("table_name");
            let column: String = row.get("column_name");
            let sql = format!("SELECT \"{column}\"::text AS v FROM \"{table}\"");
            let values: Vec<Option<String>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(store.pool())
                .await
                .expect("values");
            for value in values.into_iter().flatten() {
                title_seen |= value.contains("宅基地纠纷");
                for needle in KNOWN_PERSONAL_DATA {
                    assert!(
                        !value.contains(needle),
                        "{needle} is stored in the clear in {table}.{column}"
                    );
                }
            }
        }
        assert!(title_seen, "the scan reads the cases");
    })
    .await;
}

#[tokio::test]
async fn only_the_master_key_that_wraps_the_keys_opens_the_schema() {
    with_fresh_store(|store| async move {
        report_known_personal_data(&(Arc::new(store.clone()) as Arc<dyn Store>)).await;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(store.pool())
            .await
            .expect("schema");
        let url = test_url().expect("url");
        let wrong = PersonalDataKeys::new(MasterKey::generate().expect("random"), KEYS.cipher);
        let error = PostgresStore::connect_to_schema(&url, &schema, &wrong)
            .await
            .expect_err("wrong key");
        assert!(
            matches!(error, StoreError::Keys(CryptoError::WrongMasterKey)),
            "{error}"
        );
        store.rewrap_data_keys(&wrong.master).await.expect("rewrap");
        assert!(
            PostgresStore::connect_to_schema(&url, &schema, &KEYS)
                .await
                .is_err()
        );
        let again = PostgresStore::connect_to_schema(&url, &schema, &wrong)
            .await
            .expect("the new key");
        again.close().await;
    })
    .await;
}
