#![doc = include_str!("../README.md")]

mod attachment;
mod contact;
mod migrate;
mod policy;
mod resident;
mod sign_in;
mod stats;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hezhi_domain::indicators::RollupChange;
use hezhi_domain::{
    AssignmentId, Case, CaseId, CaseKind, CategoryCode, Event, Position, RegionCode, TrackingCode,
    UnitId, UserId,
};
use hezhi_store::codec::{self, CaseColumns, EventColumns, GridShapeColumns};
use hezhi_store::personal_data::{self, KeyHolder};
use hezhi_store::{
    ApiTokenRecord, AuditEntry, AuditFilter, AuditHash, AuditHead, AuditRecord, AuditStore,
    CaseCountQuery, CaseFilter, CaseOrder, CaseReader, CaseWriter, Category, CategoryStore,
    GridShape, GridShapeStore, IdempotencyRecord, IdempotencyRow, KeyStore, Keyring, ListScope,
    MasterKey, Page, PageRequest, PersonalDataKeys, Region, RegionStore, RoleAssignment, Store,
    StoreError, StoreResult, StoredKey, Unit, UnitStore, User, UserStore, WriteOp, WriteReceipt,
    WriteTx, all_reports, append_audit, apply_batch, reports_together,
};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Executor, Postgres, QueryBuilder, Row};
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use migrate::MIGRATIONS;

/// Rows per multi-row INSERT: within both engines' limits on bound parameters (15 columns ×
/// 1,000 rows for cases).
const ROWS_PER_INSERT: usize = 1000;

/// Connections per process by default. PostgreSQL's default `max_connections` is 100, shared
/// by every process of a deployment; 16 is plenty for 4 parallel writers and the readers.
pub const MAX_CONNECTIONS: u32 = 16;

/// Regions per upsert statement. The columns travel as four arrays, so the 65 535
/// parameters limit does not apply; the chunk only bounds the size of one statement.
const REGION_CHUNK: usize = 10_000;

/// The constraints whose violations mean something to callers (see [`unique_violation`]).
const IDEMPOTENCY_KEYS_PKEY: &str = "idempotency_keys_pkey";
const CASES_TRACKING_CODE: &str = "cases_tracking_code";
const USERS_NAME_UNIQUE: &str = "users_name_unique";
const RESIDENT_PHONES_PKEY: &str = "resident_phones_pkey";

/// The PostgreSQL backend: a bounded pool of connections that commit with
/// `synchronous_commit=on`, so that an acknowledged write survives a crash.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The schema made by [`PostgresStore::connect_fresh_schema`], which
    /// [`PostgresStore::drop_schema`] drops.
    fresh_schema: Option<String>,
    audit_hash: AuditHash,
    keys: Arc<KeyHolder>,
}

fn db_error(error: sqlx::Error) -> StoreError {
    StoreError::Database(error.to_string())
}

/// Times are stored to the millisecond, as the SQLite backend stores them, so that both
/// backends read back the same instant and compare deadlines the same way.
fn ms(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

fn connect_options(url: &str) -> StoreResult<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url).map_err(db_error)?;
    // The server default, set anyway: a server configured with `synchronous_commit=off`
    // would acknowledge commits that a crash can still lose.
    Ok(options
        .application_name("hezhi")
        .options([("synchronous_commit", "on")]))
}

/// A schema name we are willing to splice into SQL: lowercase letters, digits and `_`.
fn checked_schema_name(schema: &str) -> StoreResult<&str> {
    let valid = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.starts_with(|c: char| c.is_ascii_digit())
        && !schema.starts_with("pg_");
    if valid {
        Ok(schema)
    } else {
        Err(StoreError::Database(format!(
            "invalid schema name `{schema}`: use lowercase letters, digits and `_`"
        )))
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`), brings its
    /// schema up to date and opens its personal-data keys with `keys` (creating them in a new
    /// database). A master key that does not open the stored keys is refused here.
    pub async fn connect(url: &str, keys: &PersonalDataKeys) -> StoreResult<Self> {
        Self::connect_with_pool(url, keys, MAX_CONNECTIONS).await
    }

    /// [`PostgresStore::connect`] with a pool of at most `max_connections` (at least 2: one
    /// writer, one reader); a request waits up to 30 s for a connection, then fails.
    pub async fn connect_with_pool(
        url: &str,
        keys: &PersonalDataKeys,
        max_connections: u32,
    ) -> StoreResult<Self> {
        Self::open(connect_options(url)?, None, keys, max_connections.max(2)).await
    }

    /// Creates the schema `schema` (which must not exist), points every pooled connection at
    /// it and migrates it: an isolated, empty database for one test. Drop it afterwards with
    /// [`PostgresStore::drop_schema`].
    pub async fn connect_fresh_schema(
        url: &str,
        schema: &str,
        keys: &PersonalDataKeys,
    ) -> StoreResult<Self> {
        let schema = checked_schema_name(schema)?;
        let options = connect_options(url)?;
        let mut admin = PgConnection::connect_with(&options)
            .await
            .map_err(db_error)?;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .await
            .map_err(db_error)?;
        admin.close().await.map_err(db_error)?;
        let mut store = Self::open(options, Some(schema), keys, MAX_CONNECTIONS).await?;
        store.fresh_schema = Some(schema.to_owned());
        Ok(store)
    }

    /// Like [`PostgresStore::connect`], with every table in the existing schema `schema`
    /// instead of the server's default search path.
    pub async fn connect_to_schema(
        url: &str,
        schema: &str,
        keys: &PersonalDataKeys,
    ) -> StoreResult<Self> {
        let schema = checked_schema_name(schema)?;
        Self::open(connect_options(url)?, Some(schema), keys, MAX_CONNECTIONS).await
    }

    async fn open(
        options: PgConnectOptions,
        schema: Option<&str>,
        keys: &PersonalDataKeys,
        max_connections: u32,
    ) -> StoreResult<Self> {
        let mut pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30));
        if let Some(schema) = schema {
            let set_search_path: std::sync::Arc<str> =
                format!("SET search_path TO \"{schema}\"").into();
            pool = pool.after_connect(move |conn, _meta| {
                let sql = std::sync::Arc::clone(&set_search_path);
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(sql)).await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await.map_err(db_error)?;
        migrate::run(&pool).await?;
        let keys = {
            let mut tx = pool.begin().await.map_err(db_error)?;
            let holder = personal_data::open_keys(&mut Tx(&mut tx), keys).await?;
            tx.commit().await.map_err(db_error)?;
            Arc::new(holder)
        };
        Ok(Self {
            pool,
            fresh_schema: None,
            audit_hash: AuditHash::default(),
            keys,
        })
    }

    /// The same store, sealing new audit entries with `hash` (entries sealed before keep
    /// their own function and still verify).
    #[must_use]
    pub fn with_audit_hash(mut self, hash: AuditHash) -> Self {
        self.audit_hash = hash;
        self
    }

    /// Decodes with the current keys; when a value names a data key added since they were
    /// loaded (by another process), reloads them once and tries again.
    async fn decoded<T>(&self, decode: impl Fn(&Keyring) -> StoreResult<T>) -> StoreResult<T> {
        let result = decode(&self.keys.keyring());
        if !personal_data::needs_reload(&result) {
            return result;
        }
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        personal_data::reload_keys(&mut Tx(&mut conn), &self.keys).await?;
        decode(&self.keys.keyring())
    }

    /// Drops the schema made by [`PostgresStore::connect_fresh_schema`] with everything in
    /// it, and closes the pool. Does nothing but close for a store made by `connect`.
    pub async fn drop_schema(&self) -> StoreResult<()> {
        if let Some(schema) = &self.fresh_schema {
            self.pool
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA \"{schema}\" CASCADE"
                )))
                .await
                .map_err(db_error)?;
        }
        self.close().await;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The connection pool, for operators' tools (backups, checks) and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn unique_violation(error: &sqlx::Error) -> Option<StoreError> {
    let db = error.as_database_error()?;
    if !db.is_unique_violation() {
        return None;
    }
    Some(match db.constraint() {
        Some(IDEMPOTENCY_KEYS_PKEY) => StoreError::IdempotencyKeyTaken,
        Some(CASES_TRACKING_CODE) => StoreError::Duplicate("tracking_code"),
        Some(USERS_NAME_UNIQUE) => StoreError::Duplicate("user_name"),
        Some(RESIDENT_PHONES_PKEY) => StoreError::Duplicate("resident_phone"),
        _ => StoreError::Duplicate("row"),
    })
}

fn write_error(error: sqlx::Error) -> StoreError {
    unique_violation(&error).unwrap_or_else(|| db_error(error))
}

/// Takes, in one global order, the locks the ops of a batch will need: the number counter of
/// each county and year it creates cases in, then the rows of the cases it changes.
///
/// Batches commit in parallel. Were each op to lock as it goes, batch A creating cases in
/// counties X then Y and batch B in Y then X would deadlock, and PostgreSQL would fail one
/// of them after a second. Locking everything up front, sorted, makes that impossible; a
/// batch of reports alone ([`reports_together`]) advances its counters in the same sorted
/// order and needs nothing more.
async fn lock_in_order(conn: &mut PgConnection, ops: &[WriteOp]) -> StoreResult<()> {
    let counters: BTreeSet<(String, i32)> = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::CreateCase { data, at, .. } => {
                Some((data.county().to_string(), Case::number_year(*at)))
            }
            WriteOp::AppendEvents { .. } => None,
        })
        .collect();
    if !counters.is_empty() {
        let (counties, years): (Vec<String>, Vec<i32>) = counters.into_iter().unzip();
        // An upsert that changes nothing still locks each row, in the order of the SELECT.
        sqlx::query(
            "INSERT INTO case_counters (county, year, last)
             SELECT county, year, 0 FROM UNNEST($1::text[], $2::int[]) AS t (county, year)
             ORDER BY county, year
             ON CONFLICT (county, year) DO UPDATE SET last = case_counters.last",
        )
        .bind(counties)
        .bind(years)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    let (counties, ids): (Vec<String>, Vec<uuid::Uuid>) = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::AppendEvents { case, .. } => {
                Some((case.county().to_string(), case.id.as_uuid()))
            }
            WriteOp::CreateCase { .. } => None,
        })
        .unzip();
    if !ids.is_empty() {
        // ORDER BY is applied before FOR UPDATE, so the rows are locked in this order.
        sqlx::query(
            "SELECT 1 FROM cases
             WHERE (county, id) IN (SELECT * FROM UNNEST($1::text[], $2::uuid[]))
             ORDER BY county, id
             FOR UPDATE",
        )
        .bind(counties)
        .bind(ids)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// One write transaction's statements in PostgreSQL's SQL.
struct Tx<'c>(&'c mut PgConnection);

#[async_trait]
impl WriteTx for Tx<'_> {
    async fn savepoint(&mut self) -> StoreResult<()> {
        sqlx::query("SAVEPOINT op")
            .execute(&mut *self.0)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn release_savepoint(&mut self) -> StoreResult<()> {
        sqlx::query("RELEASE SAVEPOINT op")
            .execute(&mut *self.0)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        sqlx::query("ROLLBACK TO SAVEPOINT op")
            .execute(&mut *self.0)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn advance_case_counter(
        &mut self,
        county: &RegionCode,
        year: i32,
        by: u32,
    ) -> StoreResult<u32> {
        let last: i64 = sqlx::query_scalar(
            "INSERT INTO case_counters (county, year, last) VALUES ($1, $2, $3)
             ON CONFLICT (county, year) DO UPDATE SET last = case_counters.last + $3
             RETURNING last",
        )
        .bind(county.as_str())
        .bind(year)
        .bind(i64::from(by))
        .fetch_one(&mut *self.0)
        .await
        .map_err(db_error)?;
        u32::try_from(last).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn insert_cases(&mut self, cases: &[CaseColumns]) -> StoreResult<()> {
        for chunk in cases.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::new("");
            push_insert_cases(&mut query, chunk);
            execute(self.0, query).await?;
        }
        Ok(())
    }

    async fn update_case(&mut self, c: &CaseColumns, expected_version: u32) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE cases SET state = $1, kind = $2, category = $3, urgency = $4,
                due_at = $5, version = $6, updated_at = $7, data = $8::jsonb, attention = $12,
                next_sweep_at = $13
             WHERE county = $9 AND id = $10 AND version = $11",
        )
        .bind(&c.state)
        .bind(&c.kind)
        .bind(&c.category)
        .bind(&c.urgency)
        .bind(c.due_at.map(ms))
        .bind(c.version)
        .bind(ms(c.updated_at))
        .bind(&c.data)
        .bind(&c.county)
        .bind(c.id)
        .bind(i64::from(expected_version))
        .bind(c.attention)
        .bind(c.next_sweep_at.map(ms))
        .execute(&mut *self.0)
        .await
        .map_err(db_error)?;
        Ok(updated.rows_affected() > 0)
    }

    async fn case_version(&mut self, county: &str, id: uuid::Uuid) -> StoreResult<Option<u32>> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT version FROM cases WHERE county = $1 AND id = $2")
                .bind(county)
                .bind(id)
                .fetch_optional(&mut *self.0)
                .await
                .map_err(db_error)?;
        Ok(found.map(|v| u32::try_from(v).unwrap_or(u32::MAX)))
    }

    async fn insert_events(&mut self, events: &[EventColumns]) -> StoreResult<()> {
        for chunk in events.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::new("");
            push_insert_events(&mut query, chunk);
            execute(self.0, query).await?;
        }
        Ok(())
    }

    async fn replace_case_units(&mut self, c: &CaseColumns) -> StoreResult<()> {
        sqlx::query("DELETE FROM case_units WHERE county = $1 AND case_id = $2")
            .bind(&c.county)
            .bind(c.id)
            .execute(&mut *self.0)
            .await
            .map_err(db_error)?;
        if c.units.is_empty() {
            return Ok(());
        }
        let (units, parts): (Vec<uuid::Uuid>, Vec<&str>) = c.units.iter().copied().unzip();
        sqlx::query(
            "INSERT INTO case_units (county, case_id, unit_id, part)
             SELECT $1, $2, unit, part FROM UNNEST($3::uuid[], $4::text[]) AS u (unit, part)",
        )
        .bind(&c.county)
        .bind(c.id)
        .bind(units)
        .bind(parts)
        .execute(&mut *self.0)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn lock_audit_heads(&mut self, chains: &[String]) -> StoreResult<Vec<AuditHead>> {
        // An upsert that changes nothing locks each head row, in sorted order; a chain new to
        // the log starts at sequence 0 with the genesis hash, which is what sealing expects.
        let rows = sqlx::query(
            "INSERT INTO audit_heads (chain, seq, hash)
             SELECT chain, 0, $2 FROM UNNEST($1::text[]) AS t (chain) ORDER BY chain
             ON CONFLICT (chain) DO UPDATE SET chain = excluded.chain
             RETURNING chain, seq, hash",
        )
        .bind(chains)
        .bind(hezhi_store::audit::GENESIS)
        .fetch_all(&mut *self.0)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_audit_head).collect()
    }

    async fn append_audit_entries(
        &mut self,
        entries: &[AuditEntry],
        heads: &[AuditHead],
    ) -> StoreResult<()> {
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::new("");
            push_insert_audit_entries(&mut query, chunk);
            execute(self.0, query).await?;
        }
        if !heads.is_empty() {
            let mut query = QueryBuilder::new("");
            push_update_audit_heads(&mut query, heads);
            execute(self.0, query).await?;
        }
        Ok(())
    }

    async fn insert_idempotency(&mut self, records: &[IdempotencyRow]) -> StoreResult<()> {
        for chunk in records.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::new("");
            push_insert_idempotency(&mut query, chunk);
            execute(self.0, query).await?;
        }
        Ok(())
    }

    async fn add_rollups(&mut self, changes: &[RollupChange]) -> StoreResult<()> {
        stats::add_rollups(self.0, changes).await
    }

    async fn clear_rollups(&mut self) -> StoreResult<()> {
        stats::clear_rollups(self.0).await
    }

    async fn case_events_after(
        &mut self,
        after: Option<&(String, uuid::Uuid)>,
        cases: u32,
    ) -> StoreResult<Vec<hezhi_store::stats::EventRow>> {
        stats::case_events_after(self.0, after, cases).await
    }

    async fn insert_party_keys(&mut self, cases: &[CaseColumns]) -> StoreResult<()> {
        if cases.iter().all(|c| c.party_keys.is_empty()) {
            return Ok(());
        }
        let mut query = QueryBuilder::new("");
        push_insert_party_keys(&mut query, cases);
        execute(self.0, query).await
    }

    async fn data_keys(&mut self) -> StoreResult<Vec<StoredKey>> {
        let rows = sqlx::query("SELECT id, purpose, cipher, wrapped FROM data_keys ORDER BY id")
            .fetch_all(&mut *self.0)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                personal_data::stored_key_from_columns(
                    i64::from(row.try_get::<i32, _>("id").map_err(db_error)?),
                    &row.try_get::<String, _>("purpose").map_err(db_error)?,
                    &row.try_get::<String, _>("cipher").map_err(db_error)?,
                    row.try_get("wrapped").map_err(db_error)?,
                )
            })
            .collect()
    }

    async fn insert_data_keys(&mut self, keys: &[StoredKey]) -> StoreResult<u64> {
        let mut inserted = 0;
        for key in keys {
            let id = i32::try_from(key.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            inserted += sqlx::query(
                "INSERT INTO data_keys (id, purpose, cipher, wrapped) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(key.purpose.as_str())
            .bind(key.cipher.as_str())
            .bind(&key.wrapped)
            .execute(&mut *self.0)
            .await
            .map_err(db_error)?
            .rows_affected();
        }
        Ok(inserted)
    }

    async fn update_data_keys(&mut self, keys: &[StoredKey]) -> StoreResult<()> {
        for key in keys {
            let id = i32::try_from(key.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            sqlx::query("UPDATE data_keys SET wrapped = $1 WHERE id = $2")
                .bind(&key.wrapped)
                .bind(id)
                .execute(&mut *self.0)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    /// One statement for the whole batch (data-modifying CTEs): a round trip per batch
    /// rather than four.
    async fn insert_reports(
        &mut self,
        cases: &[CaseColumns],
        events: &[EventColumns],
        keys: &[IdempotencyRow],
        audit: &[AuditEntry],
        heads: &[AuditHead],
    ) -> StoreResult<()> {
        let too_many = [cases.len(), keys.len(), audit.len()]
            .into_iter()
            .any(|n| n > ROWS_PER_INSERT);
        if too_many {
            self.insert_cases(cases).await?;
            self.insert_party_keys(cases).await?;
            self.insert_events(events).await?;
            self.insert_idempotency(keys).await?;
            if !audit.is_empty() {
                self.append_audit_entries(audit, heads).await?;
            }
            return Ok(());
        }
        // One statement of data-modifying CTEs for the whole batch: a round trip per batch
        // rather than one per table.
        let mut query = QueryBuilder::new("WITH new_cases AS (");
        push_insert_cases(&mut query, cases);
        if cases.iter().any(|c| !c.party_keys.is_empty()) {
            query.push(" RETURNING 1), new_party_keys AS (");
            push_insert_party_keys(&mut query, cases);
        }
        query.push(" RETURNING 1), new_events AS (");
        push_insert_events(&mut query, events);
        if !keys.is_empty() {
            query.push(" RETURNING 1), new_keys AS (");
            push_insert_idempotency(&mut query, keys);
        }
        if !audit.is_empty() {
            query.push(" RETURNING 1), new_audit AS (");
            push_insert_audit_entries(&mut query, audit);
            query.push(" RETURNING 1), new_heads AS (");
            push_update_audit_heads(&mut query, heads);
        }
        query.push(
            " RETURNING 1) SELECT (SELECT count(*) FROM new_cases) + (SELECT count(*) FROM new_events)",
        );
        execute(self.0, query).await
    }
}

/// Appends `INSERT INTO audit_log (…) VALUES …` for `entries` to `query`.
fn push_insert_audit_entries(query: &mut QueryBuilder<Postgres>, entries: &[AuditEntry]) {
    query.push(
        "INSERT INTO audit_log (chain, seq, at, actor, action, case_id, detail, prev_hash, hash) ",
    );
    query.push_values(entries, |mut row, e| {
        row.push_bind(e.chain.clone())
            .push_bind(i64::try_from(e.seq).unwrap_or(i64::MAX))
            .push_bind(ms(e.at))
            .push_bind(e.actor.map(|a| a.as_uuid()))
            .push_bind(e.action.clone())
            .push_bind(e.case.map(|c| c.as_uuid()))
            .push_bind(e.detail.to_string())
            .push_bind(e.prev_hash.clone())
            .push_bind(e.hash.clone());
    });
}

/// Appends the update that moves each chain's head to `heads` to `query`.
fn push_update_audit_heads(query: &mut QueryBuilder<Postgres>, heads: &[AuditHead]) {
    let (chains, (seqs, hashes)): (Vec<String>, (Vec<i64>, Vec<String>)) = heads
        .iter()
        .map(|h| {
            (
                h.chain.clone(),
                (i64::try_from(h.seq).unwrap_or(i64::MAX), h.hash.clone()),
            )
        })
        .unzip();
    query
        .push("UPDATE audit_heads SET seq = t.seq, hash = t.hash FROM UNNEST(")
        .push_bind(chains)
        .push("::text[], ")
        .push_bind(seqs)
        .push("::bigint[], ")
        .push_bind(hashes)
        .push("::text[]) AS t (chain, seq, hash) WHERE audit_heads.chain = t.chain");
}

/// Appends `INSERT INTO cases (…) VALUES …` for `cases` to `query`.
fn push_insert_cases(query: &mut QueryBuilder<Postgres>, cases: &[CaseColumns]) {
    query.push(
        "INSERT INTO cases (county, id, number, tracking_code, state, kind, category,
            region, urgency, reported_by, due_at, attention, next_sweep_at, version, reported_at,
                    updated_at, data) ",
    );
    query.push_values(cases, |mut row, c| {
        row.push_bind(&c.county)
            .push_bind(c.id)
            .push_bind(&c.number)
            .push_bind(&c.tracking_code)
            .push_bind(&c.state)
            .push_bind(&c.kind)
            .push_bind(&c.category)
            .push_bind(&c.region)
            .push_bind(&c.urgency)
            .push_bind(c.reported_by)
            .push_bind(c.due_at.map(ms))
            .push_bind(c.attention)
            .push_bind(c.next_sweep_at.map(ms))
            .push_bind(c.version)
            .push_bind(ms(c.reported_at))
            .push_bind(ms(c.updated_at))
            .push_bind(&c.data)
            .push_unseparated("::jsonb");
    });
}

/// Appends `INSERT INTO case_party_keys (…) SELECT … FROM UNNEST(…)` for the party keys of
/// `cases` to `query`: one statement whatever their number.
fn push_insert_party_keys(query: &mut QueryBuilder<Postgres>, cases: &[CaseColumns]) {
    let mut counties = Vec::new();
    let mut ids = Vec::new();
    let mut kinds = Vec::new();
    let mut hashes = Vec::new();
    for case in cases {
        for (kind, hash) in &case.party_keys {
            counties.push(case.county.clone());
            ids.push(case.id);
            kinds.push(*kind);
            hashes.push(hash.clone());
        }
    }
    query
        .push("INSERT INTO case_party_keys (county, case_id, kind, hash) SELECT * FROM UNNEST(")
        .push_bind(counties)
        .push("::text[], ")
        .push_bind(ids)
        .push("::uuid[], ")
        .push_bind(kinds)
        .push("::text[], ")
        .push_bind(hashes)
        .push("::text[])");
}

/// Appends `INSERT INTO case_events (…) VALUES …` for `events` to `query`.
fn push_insert_events(query: &mut QueryBuilder<Postgres>, events: &[EventColumns]) {
    query.push(
        "INSERT INTO case_events (county, case_id, sequence, type, at, actor, role, payload) ",
    );
    query.push_values(events, |mut row, e| {
        row.push_bind(&e.county)
            .push_bind(e.case_id)
            .push_bind(e.sequence)
            .push_bind(e.event_type)
            .push_bind(ms(e.at))
            .push_bind(e.actor)
            .push_bind(e.role)
            .push_bind(&e.payload)
            .push_unseparated("::jsonb");
    });
}

/// Appends `INSERT INTO idempotency_keys (…) VALUES …` for `records` to `query`.
fn push_insert_idempotency(query: &mut QueryBuilder<Postgres>, records: &[IdempotencyRow]) {
    query.push(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status, receipt, created_at) ",
    );
    query.push_values(records, |mut row, r| {
        row.push_bind(r.key.user.as_uuid())
            .push_bind(&r.key.key)
            .push_bind(&r.key.request_hash)
            .push_bind(i32::from(r.status))
            .push_bind(&r.receipt)
            .push_unseparated("::jsonb")
            .push_bind(ms(r.at));
    });
}

async fn execute(conn: &mut PgConnection, mut query: QueryBuilder<Postgres>) -> StoreResult<()> {
    query.build().execute(conn).await.map_err(write_error)?;
    Ok(())
}

fn decode_case(row: &PgRow, keys: &Keyring) -> StoreResult<Case> {
    let data: String = row.try_get("data").map_err(db_error)?;
    codec::decode_case(&data, keys)
}

fn decode_unit(row: &PgRow) -> StoreResult<Unit> {
    let get = |column: &str| row.try_get::<String, _>(column).map_err(db_error);
    codec::unit_from_columns(
        row.try_get("id").map_err(db_error)?,
        get("name")?,
        &get("kind")?,
        &get("region")?,
        &get("categories")?,
    )
}

fn decode_assignment(row: &PgRow) -> StoreResult<RoleAssignment> {
    let region: Option<String> = row.try_get("region").map_err(db_error)?;
    codec::assignment_from_columns(
        row.try_get("id").map_err(db_error)?,
        row.try_get("user_id").map_err(db_error)?,
        &row.try_get::<String, _>("role").map_err(db_error)?,
        region.as_deref(),
        row.try_get("unit").map_err(db_error)?,
        row.try_get("granted_at").map_err(db_error)?,
        row.try_get("granted_by").map_err(db_error)?,
    )
}

const ASSIGNMENT_COLUMNS: &str = "id, user_id, role, region, unit, granted_at, granted_by";

fn decode_region(row: &PgRow) -> StoreResult<Region> {
    let get = |column: &str| row.try_get::<String, _>(column).map_err(db_error);
    let parent: Option<String> = row.try_get("parent").map_err(db_error)?;
    codec::region_from_columns(
        &get("code")?,
        get("name")?,
        &get("level")?,
        parent.as_deref(),
    )
}

fn decode_category(row: &PgRow) -> StoreResult<Category> {
    let get = |column: &str| row.try_get::<String, _>(column).map_err(db_error);
    codec::category_from_columns(
        &get("kind")?,
        &get("code")?,
        get("name_zh")?,
        get("name_en")?,
    )
}

/// The open states as an SQL list of literals. Spliced in rather than bound so that the
/// planner can match the partial index `cases_due` even with a generic plan; the names are
/// `CaseState::as_str` identifiers, never input.
fn open_states_sql() -> String {
    codec::open_state_names()
        .iter()
        .filter(|s| s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keeps the last of each code, as applying them one by one would: a statement's
/// `ON CONFLICT DO UPDATE` refuses to touch the same row twice.
fn last_of_each_code(regions: &[Region]) -> Vec<&Region> {
    let last: HashMap<&str, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i))
        .collect();
    regions
        .iter()
        .enumerate()
        .filter(|(i, r)| last[r.code.as_str()] == *i)
        .map(|(_, r)| r)
        .collect()
}

#[async_trait]
impl CaseReader for PostgresStore {
    async fn case(&self, id: CaseId) -> StoreResult<Option<Case>> {
        let Some(county) = id.county() else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT data::text AS data FROM cases WHERE county = $1 AND id = $2")
            .bind(county.as_str())
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        self.decoded(|keys| row.as_ref().map(|r| decode_case(r, keys)).transpose())
            .await
    }

    async fn case_by_tracking_code(&self, code: &TrackingCode) -> StoreResult<Option<Case>> {
        let row =
            sqlx::query("SELECT data::text AS data FROM cases WHERE tracking_code = $1 LIMIT 1")
                .bind(code.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        self.decoded(|keys| row.as_ref().map(|r| decode_case(r, keys)).transpose())
            .await
    }

    async fn events(&self, id: CaseId) -> StoreResult<Vec<Event>> {
        let Some(county) = id.county() else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT sequence, at, actor, role, payload::text AS payload FROM case_events
             WHERE county = $1 AND case_id = $2 ORDER BY sequence",
        )
        .bind(county.as_str())
        .bind(id.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        self.decoded(|keys| {
            rows.iter()
                .map(|row| {
                    let role: String = row.try_get("role").map_err(db_error)?;
                    let payload: String = row.try_get("payload").map_err(db_error)?;
                    EventColumns::decode(
                        id.as_uuid(),
                        row.try_get("sequence").map_err(db_error)?,
                        row.try_get("at").map_err(db_error)?,
                        row.try_get("actor").map_err(db_error)?,
                        &role,
                        &payload,
                        keys,
                    )
                })
                .collect()
        })
        .await
    }

    async fn list_cases(&self, filter: &CaseFilter, page: &PageRequest) -> StoreResult<Page<Case>> {
        let mut query =
            QueryBuilder::<Postgres>::new("SELECT data::text AS data FROM cases WHERE TRUE");
        if let Some(state) = filter.state {
            query.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(region) = &filter.region {
            if let Some(county) = region.county() {
                query.push(" AND county = ").push_bind(county.to_string());
            }
            query
                .push(" AND region >= ")
                .push_bind(region.to_string())
                .push(" AND region < ")
                .push_bind(codec::prefix_upper_bound(region.as_str()));
        }
        if let Some(category) = &filter.category {
            query
                .push(" AND category = ")
                .push_bind(category.to_string());
        }
        if let Some(urgency) = &filter.urgency {
            query
                .push(" AND urgency = ")
                .push_bind(codec::enum_name(urgency));
        }
        if let Some(unit) = filter.unit {
            query
                .push(
                    " AND EXISTS (SELECT 1 FROM case_units u
                       WHERE u.county = cases.county AND u.case_id = cases.id AND u.unit_id = ",
                )
                .push_bind(unit.as_uuid())
                .push(")");
        }
        if let Some(scopes) = &filter.scopes {
            // Inside at least one of the reader's scopes; no scope at all matches nothing.
            query.push(" AND (1 = 0");
            for scope in scopes {
                match scope {
                    ListScope::Region(region) => {
                        query
                            .push(" OR (region >= ")
                            .push_bind(region.to_string())
                            .push(" AND region < ")
                            .push_bind(codec::prefix_upper_bound(region.as_str()))
                            .push(")");
                    }
                    ListScope::AncestorsOf(region) => {
                        let ancestors: Vec<String> =
                            std::iter::successors(region.parent(), |r| r.parent())
                                .map(|r| r.to_string())
                                .collect();
                        // '' is no region: it keeps the list valid when it is empty.
                        query.push(" OR region IN (''");
                        for ancestor in ancestors {
                            query.push(", ").push_bind(ancestor);
                        }
                        query.push(")");
                    }
                    ListScope::Unit(unit) => {
                        query
                            .push(" OR id IN (SELECT case_id FROM case_units WHERE unit_id = ")
                            .push_bind(unit.as_uuid())
                            .push(")");
                    }
                    ListScope::ReportedBy(user) => {
                        query.push(" OR reported_by = ").push_bind(user.as_uuid());
                    }
                }
            }
            query.push(")");
        }
        for (kind, hash) in codec::party_key_filters(filter, &self.keys.keyring()) {
            query
                .push(" AND (county, id) IN (SELECT county, case_id FROM case_party_keys WHERE kind = ")
                .push_bind(kind)
                .push(" AND hash = ")
                .push_bind(hash)
                .push(")");
        }
        if let Some(attention) = filter.attention {
            query
                .push(" AND attention = ")
                .push_bind(attention.as_str());
        }
        if let Some(now) = filter.overdue_at {
            query.push(" AND due_at < ").push_bind(ms(now));
        }
        if let Some(before) = filter.due_before {
            query.push(" AND due_at < ").push_bind(ms(before));
        }
        if filter.open_only || filter.overdue_at.is_some() {
            query
                .push(" AND state IN (")
                .push(open_states_sql())
                .push(")");
        }
        let paged = filter.order == CaseOrder::Newest;
        if let Some(after) = page.after.filter(|_| paged) {
            query.push(" AND id < ").push_bind(after.as_uuid());
        }
        let limit = page.limit.clamp(1, 200);
        query
            .push(codec::case_list_order(filter.order))
            .push(" LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let rows = query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut items: Vec<Case> = self
            .decoded(|keys| rows.iter().map(|r| decode_case(r, keys)).collect())
            .await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|c| c.id).filter(|_| paged)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn count_cases(&self, q: &CaseCountQuery) -> StoreResult<Vec<(String, u64)>> {
        let key = codec::count_key(
            q.by,
            "to_char(reported_at AT TIME ZONE 'UTC' + interval '8 hours', 'YYYY-MM-DD')",
        );
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {key} AS key, count(*) AS n FROM cases WHERE region >= "
        ));
        query
            .push_bind(q.region.to_string())
            .push(" AND region < ")
            .push_bind(codec::prefix_upper_bound(q.region.as_str()));
        if let Some(county) = q.region.county() {
            query.push(" AND county = ").push_bind(county.to_string());
        }
        if let Some(at) = q.reported_from {
            query.push(" AND reported_at >= ").push_bind(at);
        }
        if let Some(at) = q.reported_to {
            query.push(" AND reported_at < ").push_bind(at);
        }
        if q.open_only {
            query.push(" AND state IN (");
            let mut states = query.separated(", ");
            for state in codec::open_state_names() {
                states.push_bind(state);
            }
            query.push(")");
        }
        query.push(" GROUP BY 1 ORDER BY 1");
        let rows = query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let key: String = row.try_get("key").map_err(db_error)?;
                let n: i64 = row.try_get("n").map_err(db_error)?;
                Ok((key, n.unsigned_abs()))
            })
            .collect()
    }

    async fn cases_to_sweep(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Case>> {
        let rows = sqlx::query(
            "SELECT data::text AS data FROM cases WHERE next_sweep_at <= $1
             ORDER BY next_sweep_at LIMIT $2",
        )
        .bind(ms(now))
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        self.decoded(|keys| rows.iter().map(|r| decode_case(r, keys)).collect())
            .await
    }

    async fn count_cases_and_events(&self) -> StoreResult<(u64, u64)> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM case_events) AS events",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let cases: i64 = row.try_get("cases").map_err(db_error)?;
        let events: i64 = row.try_get("events").map_err(db_error)?;
        Ok((cases.unsigned_abs(), events.unsigned_abs()))
    }
}

#[async_trait]
impl CaseWriter for PostgresStore {
    async fn write_batch(&self, ops: Vec<WriteOp>) -> StoreResult<Vec<StoreResult<WriteReceipt>>> {
        let hash = self.audit_hash;
        let keyring = self.keys.keyring();
        if all_reports(&ops) {
            let mut tx = self.pool.begin().await.map_err(db_error)?;
            match reports_together(&mut Tx(&mut tx), hash, &keyring, &ops).await {
                Ok(receipts) => {
                    tx.commit().await.map_err(db_error)?;
                    return Ok(receipts.into_iter().map(Ok).collect());
                }
                Err(error) => {
                    tracing::debug!(%error, "reports refused together; applying them one by one");
                    tx.rollback().await.map_err(db_error)?;
                }
            }
        }
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        lock_in_order(&mut tx, &ops).await?;
        let results = apply_batch(&mut Tx(&mut tx), hash, &keyring, ops).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(results)
    }

    async fn idempotency_record(
        &self,
        user: UserId,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT request_hash, status, receipt::text AS receipt FROM idempotency_keys
             WHERE user_id = $1 AND key = $2",
        )
        .bind(user.as_uuid())
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|row| {
            let status: i32 = row.try_get("status").map_err(db_error)?;
            let receipt: String = row.try_get("receipt").map_err(db_error)?;
            Ok(IdempotencyRecord {
                request_hash: row.try_get("request_hash").map_err(db_error)?,
                status: u16::try_from(status).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                receipt: codec::from_json(&receipt)?,
            })
        })
        .transpose()
    }
}

#[async_trait]
impl RegionStore for PostgresStore {
    async fn upsert_regions(&self, regions: &[Region]) -> StoreResult<()> {
        let regions = last_of_each_code(regions);
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        for chunk in regions.chunks(REGION_CHUNK) {
            let codes: Vec<&str> = chunk.iter().map(|r| r.code.as_str()).collect();
            let names: Vec<&str> = chunk.iter().map(|r| r.name.as_str()).collect();
            let levels: Vec<&str> = chunk.iter().map(|r| r.level.as_str()).collect();
            let parents: Vec<Option<&str>> = chunk
                .iter()
                .map(|r| r.parent.as_ref().map(RegionCode::as_str))
                .collect();
            sqlx::query(
                "INSERT INTO regions (code, name, level, parent)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                    parent = excluded.parent",
            )
            .bind(codes)
            .bind(names)
            .bind(levels)
            .bind(parents)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn region(&self, code: &RegionCode) -> StoreResult<Option<Region>> {
        let row = sqlx::query("SELECT code, name, level, parent FROM regions WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(decode_region).transpose()
    }

    async fn region_children(&self, code: &RegionCode) -> StoreResult<Vec<Region>> {
        let rows = sqlx::query(
            "SELECT code, name, level, parent FROM regions WHERE parent = $1 ORDER BY code",
        )
        .bind(code.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_region).collect()
    }

    async fn top_regions(&self) -> StoreResult<Vec<Region>> {
        let rows = sqlx::query(
            "SELECT code, name, level, parent FROM regions WHERE parent IS NULL ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_region).collect()
    }

    async fn count_regions(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM regions")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(count.unsigned_abs())
    }
}

fn decode_grid_shape(row: &PgRow) -> StoreResult<GridShape> {
    let get = |column: &str| row.try_get::<String, _>(column).map_err(db_error);
    codec::grid_shape_from_columns(&get("grid")?, &get("village")?, &get("geometry")?)
}

#[async_trait]
impl GridShapeStore for PostgresStore {
    async fn upsert_grid_shapes(&self, grids: &[(Region, GridShape)]) -> StoreResult<()> {
        let columns = grids
            .iter()
            .map(|(_, shape)| GridShapeColumns::of(shape))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        for ((region, _), shape) in grids.iter().zip(&columns) {
            sqlx::query(
                "INSERT INTO regions (code, name, level, parent) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                    parent = excluded.parent",
            )
            .bind(region.code.as_str())
            .bind(&region.name)
            .bind(region.level.as_str())
            .bind(region.parent.as_ref().map(RegionCode::as_str))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            sqlx::query(
                "INSERT INTO grid_shapes
                    (grid, village, min_lat, min_lon, max_lat, max_lon, geometry)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (grid) DO UPDATE SET village = excluded.village,
                    min_lat = excluded.min_lat, min_lon = excluded.min_lon,
                    max_lat = excluded.max_lat, max_lon = excluded.max_lon,
                    geometry = excluded.geometry",
            )
            .bind(&shape.grid)
            .bind(&shape.village)
            .bind(shape.min_lat)
            .bind(shape.min_lon)
            .bind(shape.max_lat)
            .bind(shape.max_lon)
            .bind(&shape.geometry)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn grid_shape_candidates(&self, point: Position) -> StoreResult<Vec<GridShape>> {
        let rows = sqlx::query(
            "SELECT grid, village, geometry FROM grid_shapes
             WHERE min_lat <= $1 AND max_lat >= $1 AND min_lon <= $2 AND max_lon >= $2
             ORDER BY grid",
        )
        .bind(point.lat)
        .bind(point.lon)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_grid_shape).collect()
    }

    async fn grid_shapes_in_village(&self, village: &RegionCode) -> StoreResult<Vec<GridShape>> {
        let rows = sqlx::query(
            "SELECT grid, village, geometry FROM grid_shapes WHERE village = $1 ORDER BY grid",
        )
        .bind(village.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_grid_shape).collect()
    }
}

#[async_trait]
impl CategoryStore for PostgresStore {
    async fn upsert_categories(&self, categories: &[Category]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        for c in categories {
            sqlx::query(
                "INSERT INTO categories (kind, code, name_zh, name_en) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kind, code) DO UPDATE SET name_zh = excluded.name_zh,
                    name_en = excluded.name_en",
            )
            .bind(codec::enum_name(&c.kind))
            .bind(c.code.as_str())
            .bind(&c.name_zh)
            .bind(&c.name_en)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn categories(&self) -> StoreResult<Vec<Category>> {
        let rows =
            sqlx::query("SELECT kind, code, name_zh, name_en FROM categories ORDER BY kind, code")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        rows.iter().map(decode_category).collect()
    }

    async fn category(&self, kind: CaseKind, code: &CategoryCode) -> StoreResult<Option<Category>> {
        let row = sqlx::query(
            "SELECT kind, code, name_zh, name_en FROM categories WHERE kind = $1 AND code = $2",
        )
        .bind(codec::enum_name(&kind))
        .bind(code.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(decode_category).transpose()
    }
}

#[async_trait]
impl UnitStore for PostgresStore {
    async fn insert_unit(&self, unit: &Unit) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO units (id, name, kind, region, categories)
             VALUES ($1, $2, $3, $4, $5::jsonb)",
        )
        .bind(unit.id.as_uuid())
        .bind(&unit.name)
        .bind(unit.kind.as_str())
        .bind(unit.region.as_str())
        .bind(codec::to_json(&unit.categories)?)
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn units_by_ids(&self, ids: &[UnitId]) -> StoreResult<Vec<Unit>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<uuid::Uuid> = ids.iter().map(UnitId::as_uuid).collect();
        let rows = sqlx::query(
            "SELECT id, name, kind, region, categories::text AS categories FROM units
             WHERE id = ANY($1) ORDER BY id",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_unit).collect()
    }

    async fn units_in_region(&self, region: &RegionCode) -> StoreResult<Vec<Unit>> {
        let rows = sqlx::query(
            "SELECT id, name, kind, region, categories::text AS categories FROM units
             WHERE region >= $1 AND region < $2 ORDER BY region, name",
        )
        .bind(region.as_str())
        .bind(codec::prefix_upper_bound(region.as_str()))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_unit).collect()
    }
}

impl PostgresStore {
    /// Users from rows of `id, name, created_at`, each with his live assignments.
    async fn with_assignments(&self, rows: Vec<PgRow>) -> StoreResult<Vec<User>> {
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            users.push(User {
                id: UserId::from_uuid(row.try_get("id").map_err(db_error)?),
                name: row.try_get("name").map_err(db_error)?,
                created_at: row.try_get("created_at").map_err(db_error)?,
                assignments: Vec::new(),
            });
        }
        if users.is_empty() {
            return Ok(users);
        }
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM role_assignments WHERE revoked_at IS NULL AND user_id IN ("
        ));
        let mut list = query.separated(", ");
        for user in &users {
            list.push_bind(user.id.as_uuid());
        }
        query.push(") ORDER BY granted_at, id");
        let rows = query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        for row in &rows {
            let assignment = decode_assignment(row)?;
            if let Some(user) = users.iter_mut().find(|u| u.id == assignment.user) {
                user.assignments.push(assignment);
            }
        }
        Ok(users)
    }

    async fn users_where(&self, condition: &str, value: Option<String>) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT id, name, created_at FROM users {condition} ORDER BY name");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(value) = value {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        self.with_assignments(rows).await
    }
}

async fn insert_assignment(conn: &mut PgConnection, a: &RoleAssignment) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO role_assignments (id, user_id, role, region, unit, granted_at, granted_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(a.id.as_uuid())
    .bind(a.user.as_uuid())
    .bind(a.role.as_str())
    .bind(a.region.as_ref().map(ToString::to_string))
    .bind(a.unit.map(|u| u.as_uuid()))
    .bind(ms(a.granted_at))
    .bind(a.granted_by.map(|u| u.as_uuid()))
    .execute(conn)
    .await
    .map_err(write_error)?;
    Ok(())
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(user.id.as_uuid())
            .bind(&user.name)
            .bind(ms(user.created_at))
            .execute(&mut *tx)
            .await
            .map_err(write_error)?;
        for assignment in &user.assignments {
            insert_assignment(&mut tx, assignment).await?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn grant_role(&self, assignment: &RoleAssignment) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        insert_assignment(&mut tx, assignment).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn revoke_role(&self, id: AssignmentId, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE role_assignments SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(ms(at))
        .bind(id.as_uuid())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let rows = sqlx::query("SELECT id, name, created_at FROM users WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(self.with_assignments(rows).await?.pop())
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        Ok(self
            .users_where("WHERE name = $1", Some(name.to_owned()))
            .await?
            .pop())
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        self.users_where("", None).await
    }

    async fn insert_api_token(&self, token: &ApiTokenRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, user_id, assignment_id, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.id.as_uuid())
        .bind(&token.token_hash)
        .bind(token.user.as_uuid())
        .bind(token.assignment.as_uuid())
        .bind(ms(token.created_at))
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn token_owner(&self, token_hash: &str) -> StoreResult<Option<(User, AssignmentId)>> {
        let row = sqlx::query(
            "SELECT t.user_id, t.assignment_id FROM api_tokens t
             JOIN role_assignments a ON a.id = t.assignment_id AND a.revoked_at IS NULL
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let user = UserId::from_uuid(row.try_get("user_id").map_err(db_error)?);
        let assignment = AssignmentId::from_uuid(row.try_get("assignment_id").map_err(db_error)?);
        Ok(self.user(user).await?.map(|user| (user, assignment)))
    }
}

fn decode_audit_head(row: &PgRow) -> StoreResult<AuditHead> {
    let seq: i64 = row.try_get("seq").map_err(db_error)?;
    Ok(AuditHead {
        chain: row.try_get("chain").map_err(db_error)?,
        seq: u64::try_from(seq).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        hash: row.try_get("hash").map_err(db_error)?,
    })
}

fn decode_audit_entry(row: &PgRow) -> StoreResult<AuditEntry> {
    let detail: String = row.try_get("detail").map_err(db_error)?;
    hezhi_store::audit::entry_from_columns(
        row.try_get("chain").map_err(db_error)?,
        row.try_get("seq").map_err(db_error)?,
        row.try_get("at").map_err(db_error)?,
        row.try_get("actor").map_err(db_error)?,
        row.try_get("action").map_err(db_error)?,
        row.try_get("case_id").map_err(db_error)?,
        &detail,
        row.try_get("prev_hash").map_err(db_error)?,
        row.try_get("hash").map_err(db_error)?,
    )
}

const AUDIT_COLUMNS: &str = "chain, seq, at, actor, action, case_id, detail, prev_hash, hash";

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, records: Vec<AuditRecord>) -> StoreResult<Vec<AuditEntry>> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let entries = append_audit(&mut Tx(&mut tx), self.audit_hash, records).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(entries)
    }

    async fn search_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1"
        ));
        if let Some(region) = &filter.within {
            query
                .push(" AND (chain = ")
                .push_bind(hezhi_store::audit::SYSTEM_CHAIN)
                .push(" OR (chain >= ")
                .push_bind(region.to_string())
                .push(" AND chain < ")
                .push_bind(codec::prefix_upper_bound(region.as_str()))
                .push("))");
        }
        if let Some(actor) = filter.actor {
            query.push(" AND actor = ").push_bind(actor.as_uuid());
        }
        if let Some(case) = filter.case {
            query.push(" AND case_id = ").push_bind(case.as_uuid());
        }
        if let Some(action) = &filter.action {
            query.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(from) = filter.from {
            query.push(" AND at >= ").push_bind(ms(from));
        }
        if let Some(to) = filter.to {
            query.push(" AND at < ").push_bind(ms(to));
        }
        query
            .push(" ORDER BY at DESC, chain, seq DESC LIMIT ")
            .push_bind(i64::from(filter.limit.clamp(1, 1000)));
        let rows = query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(decode_audit_entry).collect()
    }

    async fn audit_heads(&self) -> StoreResult<Vec<AuditHead>> {
        let rows =
            sqlx::query("SELECT chain, seq, hash FROM audit_heads WHERE seq > 0 ORDER BY chain")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        rows.iter().map(decode_audit_head).collect()
    }

    async fn audit_chain_names(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT chain FROM audit_log ORDER BY chain")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn audit_chain(
        &self,
        chain: &str,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        )))
        .bind(chain)
        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(decode_audit_entry).collect()
    }

    fn audit_hash(&self) -> AuditHash {
        self.audit_hash
    }
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn rotate_data_key(&self) -> StoreResult<u32> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let (id, change) = personal_data::rotate_data_key(&mut Tx(&mut tx), &self.keys).await?;
        tx.commit().await.map_err(db_error)?;
        change.apply_to(&self.keys);
        Ok(id)
    }

    async fn rewrap_data_keys(&self, new_master: &MasterKey) -> StoreResult<usize> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        // Two rewraps at once would each wrap under their own new key; the lock makes the
        // second read the first one's rows (and fail with the wrong master key).
        sqlx::query("LOCK TABLE data_keys IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let (count, change) =
            personal_data::rewrap_keys(&mut Tx(&mut tx), &self.keys, new_master).await?;
        tx.commit().await.map_err(db_error)?;
        change.apply_to(&self.keys);
        Ok(count)
    }

    async fn data_keys(&self) -> StoreResult<Vec<StoredKey>> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        Tx(&mut conn).data_keys().await
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// PostgreSQL commits concurrent transactions in parallel (and batches their WAL flushes
    /// itself), so a few writers keep the disk busy while each batch waits for its fsync.
    fn writer_parallelism(&self) -> usize {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hezhi_domain::RegionLevel;

    #[test]
    fn the_open_states_spliced_into_sql_are_those_of_the_partial_index() {
        let listed = open_states_sql();
        assert_eq!(listed.split(", ").count(), codec::open_state_names().len());
        let (_, schema) = MIGRATIONS[0];
        assert!(
            schema.contains(&format!("WHERE state IN ({listed})")),
            "cases_due lists {listed}"
        );
    }

    #[test]
    fn only_plain_schema_names_are_accepted() {
        assert!(checked_schema_name("hezhi_test_01").is_ok());
        for bad in [
            "",
            "Upper",
            "a-b",
            "x\"; DROP TABLE cases; --",
            "1abc",
            "pg_catalog",
        ] {
            assert!(checked_schema_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_upsert_keeps_the_last_of_duplicate_codes() {
        let region = |name: &str| Region {
            code: RegionCode::parse("370811").expect("code"),
            name: name.into(),
            level: RegionLevel::County,
            parent: None,
        };
        let rows = [region("old"), region("new")];
        let kept = last_of_each_code(&rows);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "new");
    }

    #[test]
    fn stored_times_keep_whole_milliseconds() {
        let at = DateTime::from_timestamp(1_772_000_000, 123_456_789).expect("time");
        assert_eq!(ms(at).timestamp_subsec_nanos(), 123_000_000);
    }
}
