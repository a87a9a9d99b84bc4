//! The figures centres report upward, and the formula of each. The counts come from the event
//! log (a [`Tally`] of one region subtree and one period); the rates are ratios of them,
//! kept as numerator and denominator so that nothing is lost to rounding until they are
//! shown.

use crate::case::{Case, CaseKind, Channel, Outcome, Satisfaction};
use crate::region::{RegionCode, RegionLevel};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::fmt;

/// A ratio, shown as a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
}

impl Rate {
    pub fn new(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
        }
    }

    /// The percentage, or `None` when there is nothing to divide by (shown as "—", never as
    /// 0% or 100%).
    pub fn percent(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 * 100.0 / self.denominator as f64)
    }

    /// The percentage rounded to the nearest `decimals` places, as reports print it
    /// (`93.72%`), or `—`.
    pub fn show(self, decimals: usize) -> String {
        match self.percent() {
            Some(p) => format!("{p:.decimals$}%"),
            None => "—".to_owned(),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.show(2))
    }
}

/// Declares [`Tally`] once: its fields, their column names in the rollup tables, and the
/// conversions to and from a plain array of counts.
macro_rules! tally {
    ($($(#[doc = $doc:literal])* $field:ident,)*) => {
        /// The counts of one region subtree over one period.
        ///
        /// Each count is taken on one day of the case's life (China time), in the case's
        /// region; see [`contributions`] for which day.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
        pub struct Tally {
            $($(#[doc = $doc])* pub $field: u64,)*
        }

        impl Tally {
            /// The field names, in the order of [`Tally::counts`]: the column names of the
            /// rollup tables and the keys of the API.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The counts in the order of [`Tally::FIELDS`].
            pub fn counts(&self) -> Counts {
                [$(self.$field as i64),*]
            }

            /// A tally from counts in the order of [`Tally::FIELDS`]; a negative count (which
            /// a consistent rollup never holds) reads as 0.
            pub fn from_counts(counts: &Counts) -> Self {
                let mut values = counts.iter().map(|&c| u64::try_from(c).unwrap_or(0));
                Self { $($field: values.next().unwrap_or(0),)* }
            }
        }
    };
}

tally! {
    /// 受理: cases reported, on the day they were reported.
    reported,
    /// 派遣: cases dispatched to a unit, on the day of their first dispatch.
    dispatched,
    /// 办结: cases resolved (at first contact or by a unit), on the day of their (last)
    /// resolution.
    closed,
    /// 应结: cases whose handling deadline falls on the day, closed or not; a case resolved
    /// at first contact is due, and closed on time, the day it was resolved.
    due_for_closure,
    /// 应结已结: of the cases due on the day, the ones resolved (on time or late).
    closed_of_due,
    /// 按期办结: of the cases due on the day, the ones resolved by their deadline (extensions
    /// granted included).
    closed_on_time,
    /// 排查: matters found by grid workers' screening (reported through the grid channel), on
    /// the day they were reported.
    screened,
    /// 预防: risks (hazards) resolved as settled or handled before they became disputes, on
    /// the day they were resolved.
    prevented,
    /// 调解: disputes accepted for mediation, on the day they were accepted (or resolved at
    /// first contact).
    mediations,
    /// 调解成功: disputes resolved as settled, on the day they were resolved.
    mediations_settled,
    /// 首问办结: cases resolved at first contact, on the day they were resolved.
    first_contact,
    /// 返工: resolved cases that had been sent back after verification at least once, on the
    /// day of their last resolution.
    reworked,
    /// 回访: cases followed up, on the day of the follow-up.
    followed_up,
    /// 满意 at follow-up.
    satisfied,
    /// 基本满意 at follow-up.
    basically_satisfied,
    /// 就地化解: resolved cases never escalated above town level, on the day they were
    /// resolved.
    resolved_locally,
    /// 涉及金额 (yuan) of the cases reported, on the day they were reported.
    amount_yuan,
    /// 涉及人数 of the cases reported, on the day they were reported.
    people,
}

/// Counts in the order of [`Tally::FIELDS`], signed so that they can carry a change.
pub type Counts = [i64; TALLY_FIELDS];

/// How many counts a [`Tally`] has.
pub const TALLY_FIELDS: usize = 18;

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        let mut counts = self.counts();
        for (count, add) in counts.iter_mut().zip(other.counts()) {
            *count += add;
        }
        *self = Tally::from_counts(&counts);
    }
}

/// The day a moment falls on in China (UTC+8, no daylight saving): the day every count is
/// taken on.
pub fn china_day(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

/// What one case adds to the tallies: one tally per day of its life that counts. A pure
/// function of the case's projection, so that the rollups can be kept up to date by
/// subtracting what a case added before a change and adding what it adds after, and rebuilt
/// by replaying the event log.
pub fn contributions(case: &Case) -> Vec<(NaiveDate, Tally)> {
    let mut days: Vec<(NaiveDate, Tally)> = Vec::new();
    let mut add = |at: DateTime<Utc>, f: &dyn Fn(&mut Tally)| {
        let day = china_day(at);
        match days.iter_mut().find(|(d, _)| *d == day) {
            Some((_, tally)) => f(tally),
            None => {
                let mut tally = Tally::default();
                f(&mut tally);
                days.push((day, tally));
            }
        }
    };
    let data = &case.data;
    let dispute = data.kind == CaseKind::Dispute;
    add(case.reported_at, &|t| {
        t.reported = 1;
        t.screened = u64::from(data.channel == Channel::GridReport);
        t.amount_yuan = data.amount_yuan.unwrap_or(0);
        t.people = u64::from(data.people_involved.unwrap_or(0));
    });
    if let Some(at) = case.dispatched_at {
        add(at, &|t| t.dispatched += 1);
    }
    let mediation_from = case
        .accepted_at
        .or(case.resolved_at.filter(|_| case.resolved_at_first_contact));
    if let (true, Some(at)) = (dispute, mediation_from) {
        add(at, &|t| t.mediations += 1);
    }
    let resolved = case.resolved_at.filter(|_| case.outcome.is_some());
    if let Some(at) = resolved {
        let outcome = case.outcome;
        let settled_or_handled = matches!(outcome, Some(Outcome::Settled | Outcome::Handled));
        let local = case
            .escalated_to
            .as_ref()
            .is_none_or(|to| to.level() >= RegionLevel::Town);
        add(at, &|t| {
            t.closed += 1;
            t.first_contact += u64::from(case.resolved_at_first_contact);
            t.mediations_settled += u64::from(dispute && outcome == Some(Outcome::Settled));
            t.prevented += u64::from(data.kind == CaseKind::Hazard && settled_or_handled);
            t.reworked += u64::from(case.rework_count > 0);
            t.resolved_locally += u64::from(local);
        });
    }
    let due = if case.resolved_at_first_contact {
        resolved
    } else {
        case.due_at
    };
    if let Some(due) = due {
        add(due, &|t| {
            t.due_for_closure += 1;
            t.closed_of_due += u64::from(resolved.is_some());
            t.closed_on_time += u64::from(resolved.is_some_and(|at| at <= due));
        });
    }
    if let (Some(at), Some(satisfaction)) = (case.followed_up_at, case.satisfaction) {
        add(at, &|t| {
            t.followed_up += 1;
            t.satisfied += u64::from(satisfaction == Satisfaction::Satisfied);
            t.basically_satisfied += u64::from(satisfaction == Satisfaction::BasicallySatisfied);
        });
    }
    days
}

/// A change to one row of the rollups: the counts of `region` on `day` move by `counts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupChange {
    pub region: RegionCode,
    pub day: NaiveDate,
    pub counts: Counts,
}

/// The changes to the rollups when a case goes from `before` (`None` for a new case) to
/// `after`: what it added before is taken away and what it adds now is added, on the case's
/// region and on every region above it, so that a query on any region reads one row per day.
/// Rows whose counts do not move are left out; the result is sorted by region and day, the
/// order in which writers lock rows.
pub fn rollup_changes(before: Option<&Case>, after: &Case) -> Vec<RollupChange> {
    let mut changes = RollupChanges::default();
    if let Some(before) = before {
        changes.add(before, -1);
    }
    changes.add(after, 1);
    changes.into_sorted()
}

/// Rollup changes being gathered (from many cases, for a batch or a rebuild), merged by
/// region and day.
#[derive(Debug, Default)]
pub struct RollupChanges {
    rows: std::collections::BTreeMap<(RegionCode, NaiveDate), Counts>,
}

impl RollupChanges {
    /// Adds what `case` contributes, times `sign` (1 to add, -1 to take away), on its region
    /// and every region above.
    pub fn add(&mut self, case: &Case, sign: i64) {
        let regions = regions_up_from(&case.data.region);
        for (day, tally) in contributions(case) {
            let counts = tally.counts();
            for region in &regions {
                let row = self
                    .rows
                    .entry((region.clone(), day))
                    .or_insert([0; TALLY_FIELDS]);
                for (total, count) in row.iter_mut().zip(counts) {
                    *total += sign * count;
                }
            }
        }
    }

    /// Merges other changes into these.
    pub fn extend(&mut self, changes: Vec<RollupChange>) {
        for change in changes {
            let row = self
                .rows
                .entry((change.region, change.day))
                .or_insert([0; TALLY_FIELDS]);
            for (total, count) in row.iter_mut().zip(change.counts) {
                *total += count;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows
            .values()
            .all(|counts| counts.iter().all(|&c| c == 0))
    }

    /// The changes that move something, by region and day.
    pub fn into_sorted(self) -> Vec<RollupChange> {
        self.rows
            .into_iter()
            .filter(|(_, counts)| counts.iter().any(|&c| c != 0))
            .map(|((region, day), counts)| RollupChange {
                region,
                day,
                counts,
            })
            .collect()
    }
}

/// A region and every region above it, up to its province.
pub fn regions_up_from(region: &RegionCode) -> Vec<RegionCode> {
    std::iter::successors(Some(region.clone()), RegionCode::parent).collect()
}

impl Tally {
    /// 结案率 = 应结已结 / 应结: of the cases due in the period, the share resolved.
    pub fn closure_rate(&self) -> Rate {
        Rate::new(self.closed_of_due, self.due_for_closure)
    }

    /// 按期结案率 = 按期办结 / 应结: of the cases due in the period, the share resolved by
    /// their deadline.
    pub fn on_time_rate(&self) -> Rate {
        Rate::new(self.closed_on_time, self.due_for_closure)
    }

    /// 调解成功率 = 调解成功 / 受理调解.
    pub fn mediation_success_rate(&self) -> Rate {
        Rate::new(self.mediations_settled, self.mediations)
    }

    /// 首问办结率 = 首问办结 / 办结.
    pub fn first_contact_rate(&self) -> Rate {
        Rate::new(self.first_contact, self.closed)
    }

    /// 返工率 = 返工 / 办结.
    pub fn rework_rate(&self) -> Rate {
        Rate::new(self.reworked, self.closed)
    }

    /// 满意率 = (满意 + 基本满意) / 回访.
    pub fn satisfaction_rate(&self) -> Rate {
        Rate::new(self.satisfied + self.basically_satisfied, self.followed_up)
    }

    /// Every rate, with its key (the API's and the UI's).
    pub fn rates(&self) -> [(&'static str, Rate); 7] {
        [
            ("closure_rate", self.closure_rate()),
            ("on_time_rate", self.on_time_rate()),
            ("mediation_success_rate", self.mediation_success_rate()),
            ("first_contact_rate", self.first_contact_rate()),
            ("rework_rate", self.rework_rate()),
            ("satisfaction_rate", self.satisfaction_rate()),
            ("local_resolution_rate", self.local_resolution_rate()),
        ]
    }

    /// 就地化解率 = 就地化解 / 办结: resolved without being escalated above town level.
    pub fn local_resolution_rate(&self) -> Rate {
        Rate::new(self.resolved_locally, self.closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Figures published by centres, as the issue quotes them.
    #[test]
    fn the_rates_match_published_figures() {
        let tally = Tally {
            due_for_closure: 972,
            closed_of_due: 911,
            closed_on_time: 737,
            mediations: 869,
            mediations_settled: 842,
            ..Tally::default()
        };
        assert_eq!(tally.closure_rate().show(2), "93.72%");
        assert_eq!(tally.on_time_rate().show(2), "75.82%");
        assert_eq!(tally.mediation_success_rate().show(1), "96.9%");
        assert_eq!(tally.closure_rate().to_string(), "93.72%");
    }

    /// 镇江市 (Jiangsu), January–August 2024: the county and town platforms accepted 11,229
    /// disputes and settled 10,772, a success rate of 95.93% (法治日报, 2024-10-06).
    #[test]
    fn the_mediation_success_rate_matches_zhenjiang_2024() {
        let tally = Tally {
            mediations: 11_229,
            mediations_settled: 10_772,
            ..Tally::default()
        };
        assert_eq!(tally.mediation_success_rate().show(2), "95.93%");
    }

    /// 宁国市 (Anhui), April 2022: 601 cases dispatched by the 12345 hotline, all closed, 597
    /// on time: 结案率 100%, 按期结案率 99% as published (99.33%).
    #[test]
    fn the_closure_rates_match_ningguo_april_2022() {
        let tally = Tally {
            due_for_closure: 601,
            closed_of_due: 601,
            closed_on_time: 597,
            ..Tally::default()
        };
        assert_eq!(tally.closure_rate().show(0), "100%");
        assert_eq!(tally.on_time_rate().show(0), "99%");
        assert_eq!(tally.on_time_rate().show(2), "99.33%");
    }

    /// 崆峒区 (Pingliang, Gansu), 2022: of the disputes resolved, 97.2% were resolved in the
    /// village (community) and 2.3% in the town (street), so 99.5% without leaving the town
    /// (the published shares, applied to 1,000 resolved cases).
    #[test]
    fn the_local_resolution_rate_matches_kongtong_2022() {
        let tally = Tally {
            closed: 1_000,
            resolved_locally: 972 + 23,
            ..Tally::default()
        };
        assert_eq!(tally.local_resolution_rate().show(1), "99.5%");
    }

    #[test]
    fn the_other_rates_follow_their_formulas() {
        let tally = Tally {
            closed: 200,
            first_contact: 50,
            reworked: 6,
            followed_up: 180,
            satisfied: 150,
            basically_satisfied: 24,
            resolved_locally: 171,
            ..Tally::default()
        };
        assert_eq!(tally.first_contact_rate().show(1), "25.0%");
        assert_eq!(tally.rework_rate().show(1), "3.0%");
        assert_eq!(tally.satisfaction_rate(), Rate::new(174, 180));
        assert_eq!(tally.satisfaction_rate().show(2), "96.67%");
        assert_eq!(tally.local_resolution_rate().show(1), "85.5%");
    }

    #[test]
    fn nothing_to_divide_by_is_shown_as_a_dash() {
        let tally = Tally::default();
        assert_eq!(tally.closure_rate().percent(), None);
        assert_eq!(tally.satisfaction_rate().show(1), "—");
    }
}
