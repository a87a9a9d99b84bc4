//! What the schema promises: durability settings, isolation per schema, the append-only
//! history, keys led by county, and migrations that two processes can run at once.

use super::{KEYS, test_url, unique_schema_name, with_fresh_store};
use hezhi_domain::RegionCode;
use hezhi_store::{CaseReader, Region, RegionStore};
use hezhi_store_postgres::PostgresStore;
use sqlx::{Connection, Executor, PgConnection, Row};

#[tokio::test]
async fn pooled_connections_commit_synchronously_inside_their_own_schema() {
    with_fresh_store(|store| async move {
        for _ in 0..3 {
            let row = sqlx::query(
                "SELECT current_setting('synchronous_commit') AS sync, current_schema() AS schema",
            )
            .fetch_one(store.pool())
            .await
            .expect("settings");
            assert_eq!(row.get::<String, _>("sync"), "on");
            assert!(row.get::<String, _>("schema").starts_with("hezhi_test_"));
        }
        assert_eq!(store.count_cases_and_events().await.expect("count"), (0, 0));
    })
    .await;
}

#[tokio::test]
async fn case_events_refuse_update_delete_and_truncate() {
    with_fresh_store(|store| async move {
        sqlx::query(
            "INSERT INTO case_events (county, case_id, sequence, type, at, actor, role, payload)
             VALUES ('370811', gen_random_uuid(), 1, 'reported', now(), gen_random_uuid(),
                     'dispatcher', '{}'::jsonb)",
        )
        .execute(store.pool())
        .await
        .expect("an insert is allowed");
        for statement in [
            "UPDATE case_events SET type = 'edited'",
            "DELETE FROM case_events",
            "TRUNCATE case_events",
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
        let (_, events) = store.count_cases_and_events().await.expect("count");
        assert_eq!(events, 1);
    })
    .await;
}

#[tokio::test]
async fn every_case_side_key_leads_with_county() {
    with_fresh_store(|store| async move {
        // For each unique index (primary keys included) of a case-side table: its table,
        // name, whether it is the primary key, and its columns in order.
        let rows = sqlx::query(
            "SELECT t.relname AS table_name, i.relname AS index_name, x.indisprimary AS is_primary,
                    array_agg(a.attname::text ORDER BY k.ord) AS columns
             FROM pg_index x
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON TRUE
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE t.relnamespace = current_schema()::regnamespace
               AND t.relname IN ('cases', 'case_units', 'case_events', 'case_counters',
                                 'case_party_keys')
               AND x.indisunique
             GROUP BY 1, 2, 3",
        )
        .fetch_all(store.pool())
        .await
        .expect("catalog");
        let mut tables_with_primary_key = Vec::new();
        for row in &rows {
            let table: String = row.get("table_name");
            let index: String = row.get("index_name");
            let columns: Vec<String> = row.get("columns");
            if row.get::<bool, _>("is_primary") {
                assert_eq!(
                    columns.first().map(String::as_str),
                    Some("county"),
                    "{table} {index}"
                );
                tables_with_primary_key.push(table.clone());
            }
            assert!(
                columns.iter().any(|c| c == "county"),
                "{index} must include county"
            );
        }
        tables_with_primary_key.sort();
        assert_eq!(
            tables_with_primary_key,
            [
                "case_counters",
                "case_events",
                "case_party_keys",
                "case_units",
                "cases"
            ]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_migrating_one_schema_at_once_both_succeed() {
    let Some(url) = test_url() else { return };
    let schema = unique_schema_name();
    let mut admin = PgConnection::connect(&url).await.expect("connect");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await
        .expect("create schema");
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let (url, schema) = (url.clone(), schema.clone());
            tokio::spawn(
                async move { PostgresStore::connect_to_schema(&url, &schema, &KEYS).await },
            )
        })
        .collect();
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.expect("task").expect("connect and migrate"));
    }
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM schema_migrations")
        .fetch_one(stores[0].pool())
        .await
        .expect("count");
    assert_eq!(
        usize::try_from(applied).expect("count"),
        hezhi_store_postgres::MIGRATIONS.len()
    );
    for store in &stores {
        store.close().await;
    }
    admin
        .execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .await
        .expect("drop schema");
}

#[tokio::test]
async fn reconnecting_keeps_the_data_and_applies_no_migration_twice() {
    with_fresh_store(|store| async move {
        let code = RegionCode::parse("37").expect("code");
        let province = Region {
            level: code.level(),
            code,
            name: "山东省".into(),
            parent: None,
        };
        store.upsert_regions(&[province]).await.expect("upsert");
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(store.pool())
            .await
            .expect("schema");
        let url = test_url().expect("url");
        let again = PostgresStore::connect_to_schema(&url, &schema, &KEYS)
            .await
            .expect("reconnect");
        assert_eq!(again.count_regions().await.expect("count"), 1);
        again.close().await;
    })
    .await;
}

#[tokio::test]
async fn regions_load_in_chunks_and_rename_in_place() {
    with_fresh_store(|store| async move {
        // 3 counties × 100 towns × 80 villages: more rows than one statement carries.
        let region = |code: String, name: String| {
            let code = RegionCode::parse(&code).expect("code");
            Region {
                level: code.level(),
                parent: code.parent(),
                code,
                name,
            }
        };
        let mut rows = Vec::new();
        for county in ["370811", "370812", "370830"] {
            rows.push(region(county.into(), format!("区县{county}")));
            for town in 1..=100 {
                let town = format!("{county}{town:03}");
                rows.push(region(town.clone(), format!("乡镇{town}")));
                for village in 1..=80 {
                    rows.push(region(format!("{town}{village:03}"), "村".into()));
                }
            }
        }
        store.upsert_regions(&rows).await.expect("load");
        assert_eq!(store.count_regions().await.expect("count"), 24_303);
        let town = RegionCode::parse("370812050").expect("code");
        assert_eq!(
            store.region_children(&town).await.expect("children").len(),
            80
        );
        // A later row with the same code wins, in one call as across calls.
        let renamed = region("370812050".into(), "新镇".into());
        let stale = region("370812050".into(), "旧镇".into());
        store
            .upsert_regions(&[stale, renamed.clone()])
            .await
            .expect("rename");
        assert_eq!(store.region(&town).await.expect("read"), Some(renamed));
        assert_eq!(store.count_regions().await.expect("count"), 24_303);
    })
    .await;
}

/// Cases written before `0008_case_attention` get the column filled from their data: the
/// migration's backfill, run again over rows whose column was cleared.
#[tokio::test]
async fn the_attention_column_is_filled_for_cases_written_before_it() {
    with_fresh_store(|store| async move {
        let (name, sql) = hezhi_store_postgres::MIGRATIONS
            .iter()
            .find(|(name, _)| *name == "0008_case_attention")
            .expect("migration");
        let backfill = sql
            .split(';')
            .find(|statement| statement.trim_start().starts_with("UPDATE cases"))
            .unwrap_or_else(|| panic!("{name} fills the column"));
        for (id, state, data) in [
            (
                1u128,
                "in_progress",
                r#"{"pending_extension":{"until":"x"},"returned_count":1}"#,
            ),
            (2, "triaged", r#"{"returned_count":2}"#),
            (3, "triaged", r#"{"returned_count":0}"#),
            (
                4,
                "dispatched",
                r#"{"returned_count":1,"pending_extension":null}"#,
            ),
        ] {
            sqlx::query(
                "INSERT INTO cases (county, id, number, tracking_code, state, kind, category,
                    region, reported_by, version, reported_at, updated_at, data)
                 VALUES ('370811', $1, $2, $3, $4, 'dispute', 'neighbour', '370811002001',
                    gen_random_uuid(), 1, now(), now(), $5::jsonb)",
            )
            .bind(uuid::Uuid::from_u128(id))
            .bind(format!("370811-2026-00000{id}"))
            .bind(format!("code{id}"))
            .bind(state)
            .bind(data)
            .execute(store.pool())
            .await
            .expect("case row");
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(backfill.to_owned()))
            .execute(store.pool())
            .await
            .expect("backfill");
        let attention: Vec<Option<String>> =
            sqlx::query_scalar("SELECT attention FROM cases ORDER BY id")
                .fetch_all(store.pool())
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
    })
    .await;
}
