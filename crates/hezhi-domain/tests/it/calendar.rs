//! Property tests of the working-day calendar over random dates of the covered years, across
//! public holidays and make-up Saturdays.

use chrono::{Datelike, Days, NaiveDate, Timelike, Weekday};
use hezhi_domain::calendar::{CHINA_HOLIDAYS, WorkingCalendar, china};
use proptest::prelude::*;

fn calendar() -> WorkingCalendar {
    WorkingCalendar::china().expect("the shipped calendar reads")
}

/// A date from 2024-01-01 to 2026-11-30, leaving December 2026 for counting forward.
fn covered_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..1065).prop_map(|offset| {
        NaiveDate::from_ymd_opt(2024, 1, 1)
            .and_then(|d| d.checked_add_days(Days::new(offset)))
            .expect("a date")
    })
}

/// The listed dates of one kind in the shipped data.
fn listed(kind: &str) -> Vec<NaiveDate> {
    CHINA_HOLIDAYS
        .lines()
        .filter(|l| l.split(',').nth(1) == Some(kind))
        .filter_map(|l| NaiveDate::parse_from_str(&l[..10], "%Y-%m-%d").ok())
        .collect()
}

proptest! {
    #[test]
    fn the_nth_working_day_is_a_working_day_with_exactly_n_before_it(
        start in covered_date(),
        n in 1u32..12,
    ) {
        let c = calendar();
        let due = c.nth_working_day_after(start, n).expect("covered");
        prop_assert!(due > start);
        prop_assert!(c.is_working_day(due).expect("covered"));
        prop_assert_eq!(c.working_days_between(start, due).expect("covered"), n);
        // The day before it holds one working day fewer.
        let before = due.pred_opt().expect("a day");
        prop_assert_eq!(c.working_days_between(start, before).expect("covered"), n - 1);
    }

    #[test]
    fn one_more_working_day_is_always_later(start in covered_date(), n in 0u32..10) {
        let c = calendar();
        let a = c.nth_working_day_after(start, n).expect("covered");
        let b = c.nth_working_day_after(start, n + 1).expect("covered");
        prop_assert!(b > a);
    }

    #[test]
    fn a_deadline_ends_at_midnight_china_time_after_its_last_day(
        start in covered_date(),
        hour in 0u32..24,
        n in 1u32..10,
    ) {
        let c = calendar();
        let at = start.and_hms_opt(hour, 30, 0).expect("time");
        let from = chrono::TimeZone::from_local_datetime(&china(), &at)
            .single()
            .expect("China time has no gaps")
            .with_timezone(&chrono::Utc);
        let due = c.working_days_from(from, n).expect("covered").with_timezone(&china());
        prop_assert_eq!((due.hour(), due.minute()), (0, 0));
        let last = due.date_naive().pred_opt().expect("a day");
        prop_assert_eq!(last, c.nth_working_day_after(start, n).expect("covered"));
    }

    #[test]
    fn weekdays_that_are_not_listed_are_worked_and_weekends_are_not(date in covered_date()) {
        let c = calendar();
        let holidays = listed("holiday");
        let workdays = listed("workday");
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let expected = if holidays.contains(&date) {
            false
        } else if workdays.contains(&date) {
            true
        } else {
            !weekend
        };
        prop_assert_eq!(c.is_working_day(date).expect("covered"), expected);
    }
}

#[test]
fn every_make_up_day_is_a_worked_weekend_and_every_holiday_is_off() {
    let c = calendar();
    let workdays = listed("workday");
    assert_eq!(workdays.len(), 19, "8 in 2024, 5 in 2025, 6 in 2026");
    for day in workdays {
        assert!(
            matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
            "{day}"
        );
        assert_eq!(c.is_working_day(day), Ok(true), "{day}");
    }
    let holidays = listed("holiday");
    assert_eq!(holidays.len(), 28 + 28 + 33);
    for day in holidays {
        assert_eq!(c.is_working_day(day), Ok(false), "{day}");
    }
}
