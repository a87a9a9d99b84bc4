//! Choosing the storage backend, once, for every subcommand.

use crate::config::Config;
use anyhow::Context;
use hezhi_domain::{CaseKind, CategoryCode};
use hezhi_store::{Category, Store};
use std::sync::Arc;

/// The categories shipped with the binary (`data/categories.csv`).
const CATEGORIES_CSV: &str = include_str!("../../../data/categories.csv");

/// Opens the configured database (creating the SQLite file on first use), applies
/// migrations, and loads the shipped categories.
pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match &config.database_url {
        Some(url) => Arc::new(
            hezhi_store_postgres::PostgresStore::connect(url)
                .await
                .context("cannot connect to PostgreSQL")?
                .with_audit_hash(config.audit_hash),
        ),
        None => {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("cannot create data directory {}", config.data_dir.display())
            })?;
            let path = config.sqlite_path();
            Arc::new(
                hezhi_store_sqlite::SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("cannot open {}", path.display()))?
                    .with_audit_hash(config.audit_hash),
            )
        }
    };
    store.upsert_categories(&shipped_categories()?).await?;
    Ok(store)
}

/// A short description of where the data is, for messages to the operator.
pub fn describe(config: &Config) -> String {
    match &config.database_url {
        Some(_) => "PostgreSQL (database_url)".into(),
        None => format!("SQLite {}", config.sqlite_path().display()),
    }
}

pub fn shipped_categories() -> anyhow::Result<Vec<Category>> {
    let mut reader = csv::Reader::from_reader(CATEGORIES_CSV.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record?;
            let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
            Ok(Category {
                kind: hezhi_app::input::parse_enum::<CaseKind>("kind", &field(0))?,
                code: CategoryCode::parse(&field(1))?,
                name_zh: field(2),
                name_en: field(3),
            })
        })
        .collect()
}
