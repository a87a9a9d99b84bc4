//! Times as people in China read them: China Standard Time (UTC+8, no daylight saving), in
//! the page's language.

use super::text::Msg;
use crate::i18n::Lang;
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Timelike, Utc};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub use hezhi_domain::calendar::china;

/// `2026年3月2日 09:00` or `2 Mar 2026, 09:00`.
pub fn format(at: DateTime<Utc>, lang: Lang) -> String {
    let local = at.with_timezone(&china());
    let (y, m, d) = (local.year(), local.month(), local.day());
    let (h, min) = (local.hour(), local.minute());
    match lang {
        Lang::Zh => format!("{y}年{m}月{d}日 {h:02}:{min:02}"),
        Lang::En => {
            let month = MONTHS[usize::try_from(m).unwrap_or(1).saturating_sub(1) % 12];
            format!("{d} {month} {y}, {h:02}:{min:02}")
        }
    }
}

/// The value of an `<input type="datetime-local">` for `at`, in China time.
pub fn input_value(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `datetime-local` value, read as China time.
pub fn parse_input(text: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    china()
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// `3天4小时` / `3 d 4 h`: a duration in its two largest units.
pub fn span(duration: Duration, lang: Lang) -> String {
    let minutes = duration.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |n: i64, msg: Msg| format!("{n}{}", msg.text(lang));
    let sep = if lang == Lang::Zh { "" } else { " " };
    if days > 0 {
        format!("{}{sep}{}", unit(days, Msg::Days), unit(hours, Msg::Hours))
    } else if hours > 0 {
        format!(
            "{}{sep}{}",
            unit(hours, Msg::Hours),
            unit(mins, Msg::Minutes)
        )
    } else {
        unit(mins, Msg::Minutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_china_time_in_the_locale_format() {
        let at: DateTime<Utc> = "2026-03-02T01:00:00Z".parse().expect("time");
        assert_eq!(format(at, Lang::Zh), "2026年3月2日 09:00");
        assert_eq!(format(at, Lang::En), "2 Mar 2026, 09:00");
        let late: DateTime<Utc> = "2026-12-31T16:30:00Z".parse().expect("time");
        assert_eq!(format(late, Lang::Zh), "2027年1月1日 00:30");
        assert_eq!(input_value(at), "2026-03-02T09:00");
        assert_eq!(parse_input("2026-03-02T09:00"), Some(at));
        assert_eq!(parse_input("tomorrow"), None);
    }

    #[test]
    fn spans_name_their_two_largest_units() {
        let d = Duration::days(3) + Duration::hours(4) + Duration::minutes(5);
        assert_eq!(span(d, Lang::Zh), "3天4小时");
        assert_eq!(span(d, Lang::En), "3 d 4 h");
        assert_eq!(span(Duration::minutes(90), Lang::Zh), "1小时30分钟");
        assert_eq!(span(Duration::minutes(-5), Lang::En), "0 min");
    }
}
