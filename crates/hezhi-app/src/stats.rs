//! The indicators leaders report (see [`hezhi_domain::indicators`] for each formula), read
//! from the rollups for one region subtree and one period of China days.

use crate::error::AppError;
use crate::service::App;
use chrono::NaiveDate;
use hezhi_domain::indicators::{Rate, Tally};
use hezhi_domain::{Principal, RegionCode, ValidationError};
use hezhi_store::Region;
use hezhi_store::stats::RebuildSummary;
use serde::Serialize;

/// The longest period one question may span, in days (ten years).
pub const MAX_PERIOD_DAYS: i64 = 3660;

/// A period of whole China days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Checks that `from` is not after `to` and that the period is at most
    /// [`MAX_PERIOD_DAYS`] long.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, ValidationError> {
        if from > to {
            return Err(ValidationError::new(
                "from",
                "period_reversed",
                "the period starts after it ends",
            ));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(ValidationError::new(
                "to",
                "period_too_long",
                format!("a period spans at most {MAX_PERIOD_DAYS} days"),
            ));
        }
        Ok(Self { from, to })
    }

    /// Parses `YYYY-MM-DD` dates.
    pub fn parse(from: &str, to: &str) -> Result<Self, ValidationError> {
        let date = |field: &str, text: &str| {
            text.trim().parse::<NaiveDate>().map_err(|_| {
                ValidationError::new(field, "invalid_date", format!("`{text}` is not a date"))
            })
        };
        Self::new(date("from", from)?, date("to", to)?)
    }

    /// The same period one month earlier (环比) and one year earlier (同比), day for day, a
    /// day that does not exist then (31 March → 31 February) moving to the month's last day.
    pub fn shifted_months(self, months: u32) -> Period {
        let back = |day: NaiveDate| {
            day.checked_sub_months(chrono::Months::new(months))
                .unwrap_or(day)
        };
        Period {
            from: back(self.from),
            to: back(self.to),
        }
    }
}

/// One rate as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RateFigure {
    pub key: &'static str,
    pub numerator: u64,
    pub denominator: u64,
    /// Rounded to two decimals; `None` when there is nothing to divide by.
    pub percent: Option<f64>,
}

impl RateFigure {
    fn of((key, rate): (&'static str, Rate)) -> Self {
        Self {
            key,
            numerator: rate.numerator,
            denominator: rate.denominator,
            percent: rate.percent().map(|p| (p * 100.0).round() / 100.0),
        }
    }
}

/// The indicators of one region's subtree over one period, and of each region one level
/// below it.
#[derive(Debug, Clone, Serialize)]
pub struct Indicators {
    pub region: Region,
    pub period: Period,
    pub counts: Tally,
    pub rates: Vec<RateFigure>,
    pub children: Vec<ChildIndicators>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildIndicators {
    pub region: Region,
    pub counts: Tally,
    pub rates: Vec<RateFigure>,
}

pub fn rate_figures(tally: &Tally) -> Vec<RateFigure> {
    tally.rates().into_iter().map(RateFigure::of).collect()
}

impl App {
    /// The indicators of `region` over `period`, for a user whose role may see its figures
    /// (anyone else is told the region does not exist).
    pub async fn indicators(
        &self,
        principal: &Principal,
        region: &RegionCode,
        period: Period,
    ) -> Result<Indicators, AppError> {
        if !Self::may_see_figures(principal, region) {
            return Err(AppError::NotFound("region"));
        }
        self.operator_indicators(region, period).await
    }

    /// The indicators of `region` over `period` for the operator at the server's console
    /// (`hezhi stats`), who holds the database itself.
    pub async fn operator_indicators(
        &self,
        region: &RegionCode,
        period: Period,
    ) -> Result<Indicators, AppError> {
        let (region, children) = self.region_with_children(region).await?;
        let store = self.store();
        let counts = store.tally(&region.code, period.from, period.to).await?;
        let codes: Vec<RegionCode> = children.iter().map(|c| c.code.clone()).collect();
        let tallies = store.region_tallies(&codes, period.from, period.to).await?;
        let children = children
            .into_iter()
            .map(|child| {
                let counts = tallies
                    .iter()
                    .find(|(code, _)| *code == child.code)
                    .map(|(_, tally)| *tally)
                    .unwrap_or_default();
                ChildIndicators {
                    rates: rate_figures(&counts),
                    region: child,
                    counts,
                }
            })
            .collect();
        Ok(Indicators {
            rates: rate_figures(&counts),
            region,
            period,
            counts,
            children,
        })
    }

    /// Recomputes every rollup from the event log (`hezhi stats rebuild`).
    pub async fn rebuild_rollups(
        &self,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<RebuildSummary, AppError> {
        Ok(self.store().rebuild_rollups(progress).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_checked_and_shifted_by_months() {
        let period = Period::parse("2026-03-01", "2026-03-31").expect("period");
        let month_before = period.shifted_months(1);
        assert_eq!(month_before.from.to_string(), "2026-02-01");
        assert_eq!(month_before.to.to_string(), "2026-02-28");
        assert_eq!(period.shifted_months(12).from.to_string(), "2025-03-01");
        assert_eq!(
            Period::parse("2026-03-02", "2026-03-01")
                .expect_err("reversed")
                .code,
            "period_reversed"
        );
        assert_eq!(
            Period::parse("2026-3-x", "2026-03-01")
                .expect_err("bad")
                .code,
            "invalid_date"
        );
        assert_eq!(
            Period::parse("2000-01-01", "2026-01-01")
                .expect_err("long")
                .code,
            "period_too_long"
        );
    }
}
