//! The indicator rollups: read by region and period, kept up to date by every write (see
//! [`crate::apply`]), and rebuilt from the event log by [`rebuild_rollups`].

use crate::apply::WriteTx;
use crate::codec::EventColumns;
use crate::error::StoreError;
use crate::traits::StoreResult;
use chrono::{DateTime, NaiveDate, Utc};
use hezhi_crypto::Keyring;
use hezhi_domain::indicators::{RollupChanges, Tally, contributions};
use hezhi_domain::{Case, RegionCode, replay};

/// Cases read per page by a rebuild.
pub const REBUILD_PAGE: u32 = 2000;

/// One stored event, as its columns: what a rebuild reads.
#[derive(Debug)]
pub struct EventRow {
    pub county: String,
    pub case_id: uuid::Uuid,
    pub sequence: i64,
    pub at: DateTime<Utc>,
    pub actor: uuid::Uuid,
    pub role: String,
    pub payload: String,
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildSummary {
    /// Cases replayed from the event log.
    pub cases: u64,
    /// Events read.
    pub events: u64,
}

/// Recomputes the rollups from the event log inside the caller's transaction, which must
/// keep writers out of the rollups until it commits (SQLite's write lock, or a table lock in
/// PostgreSQL): every case's history is replayed with the domain's `evolve` and its
/// contributions added up, a page of cases at a time. `progress` hears the cases done so far.
pub async fn rebuild_rollups(
    tx: &mut dyn WriteTx,
    keys: &Keyring,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> StoreResult<RebuildSummary> {
    tx.clear_rollups().await?;
    let mut summary = RebuildSummary {
        cases: 0,
        events: 0,
    };
    let mut after: Option<(String, uuid::Uuid)> = None;
    loop {
        let rows = tx.case_events_after(after.as_ref(), REBUILD_PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.county.clone(), last.case_id));
        summary.events += rows.len() as u64;
        let mut changes = RollupChanges::default();
        for history in rows.chunk_by(|a, b| a.county == b.county && a.case_id == b.case_id) {
            let events = history
                .iter()
                .map(|row| {
                    EventColumns::decode(
                        row.case_id,
                        row.sequence,
                        row.at,
                        row.actor,
                        &row.role,
                        &row.payload,
                        keys,
                    )
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let case = replay(&events).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the history of case {} does not replay",
                    history[0].case_id
                ))
            })?;
            changes.add(&case, 1);
            summary.cases += 1;
        }
        let changes = changes.into_sorted();
        if !changes.is_empty() {
            tx.add_rollups(&changes).await?;
        }
        progress(summary.cases);
    }
    Ok(summary)
}

/// The codes below `region` at its child level lie in `(region, upper)`: codes are digits, so
/// every code that starts with `region` sorts before `region` followed by a letter.
pub fn subtree_upper_bound(region: &RegionCode) -> String {
    format!("{}a", region.as_str())
}

/// Regions per `region_tallies` statement.
pub const REGIONS_PER_QUERY: usize = 500;

/// Sums what the cases in `region`'s subtree contribute on the days `from..=to`: the answer
/// the rollups give, found by reading every case instead (the benchmark's full scan, and a
/// check on the rollups).
pub fn tally_of_cases<'a>(
    cases: impl IntoIterator<Item = &'a Case>,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Tally {
    let mut total = Tally::default();
    for case in cases {
        if !case.data.region.is_within(region) {
            continue;
        }
        for (day, tally) in contributions(case) {
            if (from..=to).contains(&day) {
                total += tally;
            }
        }
    }
    total
}

/// `SUM(reported)<cast>, SUM(dispatched)<cast>, …` in the order of [`Tally::FIELDS`].
pub fn sum_columns(cast: &str) -> String {
    Tally::FIELDS
        .iter()
        .map(|f| format!("SUM({f}){cast}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The head of the rollup upsert, up to `VALUES`: the rows follow.
pub fn upsert_head() -> String {
    format!(
        "INSERT INTO stat_rollups (region, day, {}) ",
        Tally::FIELDS.join(", ")
    )
}

/// The tail of the rollup upsert: an existing row's counts are added to.
pub fn upsert_tail() -> String {
    let sets = Tally::FIELDS
        .iter()
        .map(|f| format!("{f} = stat_rollups.{f} + excluded.{f}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(" ON CONFLICT (region, day) DO UPDATE SET {sets}")
}

/// Rows per rollup upsert statement (each binds 2 + 18 values).
pub const ROLLUP_ROWS_PER_INSERT: usize = 500;

/// A tally from the sums of one row, `None` sums (no rows) reading as 0.
pub fn tally_from_sums(sums: impl IntoIterator<Item = Option<i64>>) -> Tally {
    let mut counts = [0; hezhi_domain::indicators::TALLY_FIELDS];
    for (count, sum) in counts.iter_mut().zip(sums) {
        *count = sum.unwrap_or(0);
    }
    Tally::from_counts(&counts)
}

/// Cases read per page by a full scan.
pub const SCAN_PAGE: u32 = 5000;

/// Rollup rows from their stored columns, the all-zero ones left out.
pub fn rollup_rows_from(
    rows: impl Iterator<Item = StoreResult<(String, NaiveDate, Vec<i64>)>>,
) -> StoreResult<Vec<hezhi_domain::indicators::RollupChange>> {
    let mut out = Vec::new();
    for row in rows {
        let (region, day, values) = row?;
        if values.iter().all(|&v| v == 0) {
            continue;
        }
        let region = crate::codec::region_code(&region)?;
        let mut counts = [0; hezhi_domain::indicators::TALLY_FIELDS];
        for (count, value) in counts.iter_mut().zip(values) {
            *count = value;
        }
        out.push(hezhi_domain::indicators::RollupChange {
            region,
            day,
            counts,
        });
    }
    Ok(out)
}
