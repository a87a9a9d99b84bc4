//! The indicator rollups in SQLite.

use crate::{SqliteStore, Tx, db_error, from_ms, write_error};
use async_trait::async_trait;
use chrono::NaiveDate;
use hezhi_domain::RegionCode;
use hezhi_domain::indicators::{RollupChange, Tally};
use hezhi_store::stats::{self, EventRow, RebuildSummary};
use hezhi_store::{StatsStore, StoreResult, codec};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

fn sums(row: &SqliteRow, first: usize) -> StoreResult<Tally> {
    let values = (0..Tally::FIELDS.len())
        .map(|i| row.try_get::<Option<i64>, _>(first + i).map_err(db_error))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(stats::tally_from_sums(values))
}

pub(crate) async fn add_rollups(
    conn: &mut SqliteConnection,
    changes: &[RollupChange],
) -> StoreResult<()> {
    for chunk in changes.chunks(stats::ROLLUP_ROWS_PER_INSERT) {
        let mut query = QueryBuilder::<Sqlite>::new(stats::upsert_head());
        query.push_values(chunk, |mut row, change| {
            row.push_bind(change.region.as_str()).push_bind(change.day);
            for count in change.counts {
                row.push_bind(count);
            }
        });
        query.push(stats::upsert_tail());
        query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(write_error)?;
    }
    Ok(())
}

pub(crate) async fn clear_rollups(conn: &mut SqliteConnection) -> StoreResult<()> {
    sqlx::query("DELETE FROM stat_rollups")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn case_events_after(
    conn: &mut SqliteConnection,
    after: Option<&(String, uuid::Uuid)>,
    cases: u32,
) -> StoreResult<Vec<EventRow>> {
    let (county, id) = after.cloned().unwrap_or((String::new(), uuid::Uuid::nil()));
    let rows = sqlx::query(
        "WITH page AS (
             SELECT county, id FROM cases WHERE (county, id) > ($1, $2)
             ORDER BY county, id LIMIT $3
         )
         SELECT e.county, e.case_id, e.sequence, e.at, e.actor, e.role, e.payload
         FROM case_events e JOIN page p ON e.county = p.county AND e.case_id = p.id
         ORDER BY e.county, e.case_id, e.sequence",
    )
    .bind(county)
    .bind(id)
    .bind(i64::from(cases))
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            Ok(EventRow {
                county: row.try_get("county").map_err(db_error)?,
                case_id: row.try_get("case_id").map_err(db_error)?,
                sequence: row.try_get("sequence").map_err(db_error)?,
                at: from_ms(row.try_get("at").map_err(db_error)?)?,
                actor: row.try_get("actor").map_err(db_error)?,
                role: row.try_get("role").map_err(db_error)?,
                payload: row.try_get("payload").map_err(db_error)?,
            })
        })
        .collect()
}

#[async_trait]
impl StatsStore for SqliteStore {
    async fn tally(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Tally> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM stat_rollups WHERE region = $1 AND day BETWEEN $2 AND $3",
            stats::sum_columns("")
        )))
        .bind(region.as_str())
        .bind(from)
        .bind(to)
        .fetch_one(&self.readers)
        .await
        .map_err(db_error)?;
        sums(&row, 0)
    }

    async fn daily_tallies(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, Tally)>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT day, {} FROM stat_rollups WHERE region = $1 AND day BETWEEN $2 AND $3
             GROUP BY day ORDER BY day",
            stats::sum_columns("")
        )))
        .bind(region.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.readers)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|row| Ok((row.try_get("day").map_err(db_error)?, sums(row, 1)?)))
            .collect()
    }

    async fn region_tallies(
        &self,
        regions: &[RegionCode],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(RegionCode, Tally)>> {
        let mut found = Vec::new();
        for chunk in regions.chunks(stats::REGIONS_PER_QUERY) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT region, {} FROM stat_rollups WHERE day BETWEEN ",
                stats::sum_columns("")
            ));
            query
                .push_bind(from)
                .push(" AND ")
                .push_bind(to)
                .push(" AND region IN (");
            let mut codes = query.separated(", ");
            for region in chunk {
                codes.push_bind(region.as_str());
            }
            query.push(") GROUP BY region ORDER BY region");
            let rows = query
                .build()
                .fetch_all(&self.readers)
                .await
                .map_err(db_error)?;
            for row in &rows {
                let code: String = row.try_get("region").map_err(db_error)?;
                found.push((codec::region_code(&code)?, sums(row, 1)?));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    async fn rollup_rows(&self) -> StoreResult<Vec<RollupChange>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT region, day, {} FROM stat_rollups ORDER BY region, day",
            Tally::FIELDS.join(", ")
        )))
        .fetch_all(&self.readers)
        .await
        .map_err(db_error)?;
        stats::rollup_rows_from(rows.iter().map(|row| {
            let region: String = row.try_get(0).map_err(db_error)?;
            let day: NaiveDate = row.try_get(1).map_err(db_error)?;
            let counts = (0..Tally::FIELDS.len())
                .map(|i| row.try_get::<i64, _>(2 + i).map_err(db_error))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((region, day, counts))
        }))
    }

    async fn rebuild_rollups(
        &self,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> StoreResult<RebuildSummary> {
        let keyring = self.keys.keyring();
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error)?;
        let summary = stats::rebuild_rollups(&mut Tx(&mut tx), &keyring, progress).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(summary)
    }

    async fn tally_by_scan(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Tally> {
        let mut total = Tally::default();
        let mut after = (String::new(), uuid::Uuid::nil());
        loop {
            let rows = sqlx::query(
                "SELECT region, id, data FROM cases
                 WHERE region >= $1 AND region < $2 AND (region, id) > ($3, $4)
                 ORDER BY region, id LIMIT $5",
            )
            .bind(region.as_str())
            .bind(stats::subtree_upper_bound(region))
            .bind(&after.0)
            .bind(after.1)
            .bind(i64::from(stats::SCAN_PAGE))
            .fetch_all(&self.readers)
            .await
            .map_err(db_error)?;
            let Some(last) = rows.last() else { break };
            after = (
                last.try_get("region").map_err(db_error)?,
                last.try_get("id").map_err(db_error)?,
            );
            for row in &rows {
                let data: String = row.try_get("data").map_err(db_error)?;
                let case = codec::decode_case_without_parties(&data)?;
                total += stats::tally_of_cases([&case], region, from, to);
            }
        }
        Ok(total)
    }
}
