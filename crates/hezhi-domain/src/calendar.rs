//! China's working days (工作日): Monday to Friday, except public holidays (放假), plus the
//! weekend days worked in their place (调休上班). Deadlines counted in working days use it.
//!
//! The holidays are not a rule but a yearly notice of the State Council, so they are data
//! (`data/china-holidays.csv`, each year's notice named in its header). A date of a year the
//! data does not cover is refused with [`CalendarError::YearNotCovered`], never guessed.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// The holidays and make-up working days shipped with Hezhi.
pub const CHINA_HOLIDAYS: &str = include_str!("../../../data/china-holidays.csv");

/// China time, UTC+8 all year.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// The calendar has no holiday arrangement for this year.
    YearNotCovered(i32),
    /// A line of the data is wrong (line number, from 1, and what is wrong).
    Malformed(usize, String),
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::YearNotCovered(year) => write!(
                f,
                "the working-day calendar does not cover {year}: add that year's holiday notice to data/china-holidays.csv"
            ),
            CalendarError::Malformed(line, why) => {
                write!(f, "holiday calendar, line {line}: {why}")
            }
        }
    }
}

impl std::error::Error for CalendarError {}

/// A day that is not what its weekday says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// A day off (a public holiday, or a weekday given in exchange).
    Holiday,
    /// A weekend day that is worked.
    Workday,
}

/// The default covers no year: every question about a date is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    years: BTreeSet<i32>,
    exceptions: HashMap<NaiveDate, Exception>,
}

impl WorkingCalendar {
    /// The calendar shipped with Hezhi.
    pub fn china() -> Result<Self, CalendarError> {
        Self::parse(CHINA_HOLIDAYS)
    }

    /// Reads the data format of `data/china-holidays.csv`: `#` comments, one `years,…` line
    /// naming the years covered, a `date,kind,name` header, then one date a line.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut years = BTreeSet::new();
        let mut exceptions = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let bad = |why: String| CalendarError::Malformed(number, why);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line == "date,kind,name" {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields[0] == "years" {
                for year in &fields[1..] {
                    years.insert(
                        year.parse()
                            .map_err(|_| bad(format!("`{year}` is not a year")))?,
                    );
                }
                continue;
            }
            let [date, kind, _name] = fields[..] else {
                return Err(bad(format!("expected date,kind,name: `{line}`")));
            };
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| bad(format!("`{date}` is not a date")))?;
            let exception = match kind {
                "holiday" => Exception::Holiday,
                "workday" => {
                    if !is_weekend(date) {
                        return Err(bad(format!("{date} is a weekday already")));
                    }
                    Exception::Workday
                }
                other => return Err(bad(format!("`{other}` is neither holiday nor workday"))),
            };
            if exceptions.insert(date, exception).is_some() {
                return Err(bad(format!("{date} is listed twice")));
            }
        }
        if let Some(date) = exceptions.keys().find(|d| !years.contains(&d.year())) {
            return Err(CalendarError::Malformed(
                0,
                format!("{date} is of a year not named on the `years` line"),
            ));
        }
        Ok(Self { years, exceptions })
    }

    /// The years the calendar covers.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    fn covered(&self, date: NaiveDate) -> Result<(), CalendarError> {
        if self.years.contains(&date.year()) {
            Ok(())
        } else {
            Err(CalendarError::YearNotCovered(date.year()))
        }
    }

    /// Whether `date` is worked.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.covered(date)?;
        Ok(match self.exceptions.get(&date) {
            Some(Exception::Holiday) => false,
            Some(Exception::Workday) => true,
            None => !is_weekend(date),
        })
    }

    /// The `n`th working day after `date` (not counting `date` itself); `date` for `n` = 0.
    pub fn nth_working_day_after(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day
                .checked_add_days(Days::new(1))
                .ok_or(CalendarError::YearNotCovered(i32::MAX))?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// A deadline of `n` working days from `start`: the end (24:00 China time) of the `n`th
    /// working day after the China day of `start`. "7 个工作日内办结" from a Friday afternoon
    /// before a long holiday ends seven working days later, not seven calendar days.
    pub fn working_days_from(
        &self,
        start: DateTime<Utc>,
        n: u32,
    ) -> Result<DateTime<Utc>, CalendarError> {
        let day = start.with_timezone(&china()).date_naive();
        let last = self.nth_working_day_after(day, n)?;
        let end = last
            .checked_add_days(Days::new(1))
            .ok_or(CalendarError::YearNotCovered(i32::MAX))?
            .and_time(NaiveTime::MIN);
        Ok(china()
            .from_local_datetime(&end)
            .single()
            .map_or(start, |t| t.with_timezone(&Utc)))
    }

    /// The working days in `(from, to]`, counted day by day.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day
                .checked_add_days(Days::new(1))
                .ok_or(CalendarError::YearNotCovered(i32::MAX))?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::china().expect("the shipped calendar reads")
    }

    #[test]
    fn the_shipped_calendar_covers_2024_to_2026_as_the_notices_say() {
        let c = calendar();
        assert_eq!(c.years().collect::<Vec<_>>(), [2024, 2025, 2026]);
        // 2026 春节: 2月15日至23日放假, 2月14日(周六)、2月28日(周六)上班.
        assert_eq!(c.is_working_day(day("2026-02-14")), Ok(true));
        for d in 15..=23 {
            assert_eq!(
                c.is_working_day(day(&format!("2026-02-{d}"))),
                Ok(false),
                "{d}"
            );
        }
        assert_eq!(c.is_working_day(day("2026-02-24")), Ok(true));
        assert_eq!(c.is_working_day(day("2026-02-28")), Ok(true));
        // An ordinary weekend and an ordinary weekday.
        assert_eq!(c.is_working_day(day("2026-03-07")), Ok(false));
        assert_eq!(c.is_working_day(day("2026-03-09")), Ok(true));
        // 2025 元旦 falls on a Wednesday: that day only, no make-up day.
        assert_eq!(c.is_working_day(day("2025-01-01")), Ok(false));
        assert_eq!(c.is_working_day(day("2025-01-02")), Ok(true));
    }

    #[test]
    fn a_year_not_covered_is_refused_not_guessed() {
        let c = calendar();
        assert_eq!(
            c.is_working_day(day("2027-03-01")),
            Err(CalendarError::YearNotCovered(2027))
        );
        assert_eq!(
            c.nth_working_day_after(day("2026-12-28"), 5),
            Err(CalendarError::YearNotCovered(2027)),
            "counting into an uncovered year stops there"
        );
        assert!(
            CalendarError::YearNotCovered(2027)
                .to_string()
                .contains("data/china-holidays.csv")
        );
    }

    #[test]
    fn seven_working_days_skip_the_spring_festival() {
        let c = calendar();
        // Reported on Friday 2026-02-13 at 15:00 China time.
        let start = china()
            .with_ymd_and_hms(2026, 2, 13, 15, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&Utc);
        // Working days after: Sat 14 (make-up), then Tue 24, 25, 26, 27, Sat 28 (make-up), Mon 3-2.
        let due = c.working_days_from(start, 7).expect("covered");
        assert_eq!(
            due.with_timezone(&china()).to_rfc3339(),
            "2026-03-03T00:00:00+08:00",
            "the end of Monday 2 March"
        );
    }

    #[test]
    fn bad_data_is_refused_with_its_line() {
        let refused = |text: &str| WorkingCalendar::parse(text).expect_err("refused");
        assert!(matches!(
            refused("years,2026\n2026-02-30,holiday,x"),
            CalendarError::Malformed(2, _)
        ));
        assert!(
            matches!(
                refused("years,2026\n2026-03-09,workday,x"),
                CalendarError::Malformed(2, _)
            ),
            "a Monday cannot be a make-up working day"
        );
        assert!(matches!(
            refused("years,2026\n2026-10-01,holiday,x\n2026-10-01,holiday,x"),
            CalendarError::Malformed(3, _)
        ));
        assert!(matches!(
            refused("years,2026\n2027-01-01,holiday,x"),
            CalendarError::Malformed(0, _)
        ));
        assert!(matches!(
            refused("years,2026\n2026-10-01,day-off,x"),
            CalendarError::Malformed(2, _)
        ));
    }
}
