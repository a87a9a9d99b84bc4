//! The deadline policy (限时办结): for each urgency × kind × category × region level, how
//! long a case may wait for a response, for its handling, for the on-the-spot verification
//! and for the follow-up call. A policy is versioned: a change makes a new version that
//! applies to cases from then on, and a case records the version it runs under.
//!
//! Time spans are counted in hours, in calendar days, in working days (the
//! [`WorkingCalendar`]), to the end of the same China day, or left to a date promised at
//! triage (orange: complex, long-running matters).

use crate::calendar::{CalendarError, WorkingCalendar, china};
use crate::case::{CaseKind, CategoryCode, Urgency};
use crate::error::ValidationError;
use crate::region::RegionLevel;
use chrono::{DateTime, Days, Duration, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The longest span a rule may give, in hours or days: a year.
const MAX_HOURS: u32 = 366 * 24;
const MAX_DAYS: u32 = 366;

/// How long something may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Span {
    Hours(u32),
    /// Calendar days, to the same time of day.
    Days(u32),
    /// Working days, to the end of the last one (China time).
    WorkingDays(u32),
    /// To the end of the China day it starts on (当日办结).
    SameDay,
    /// No fixed span: a date is promised when the case is triaged (承诺办结时限).
    Promised,
}

impl Span {
    /// When a span started at `from` ends; `None` for [`Span::Promised`].
    pub fn end(
        self,
        from: DateTime<Utc>,
        calendar: &WorkingCalendar,
    ) -> Result<Option<DateTime<Utc>>, CalendarError> {
        Ok(match self {
            Span::Hours(h) => Some(from + Duration::hours(i64::from(h))),
            Span::Days(d) => Some(from + Duration::days(i64::from(d))),
            Span::WorkingDays(n) => Some(calendar.working_days_from(from, n)?),
            Span::SameDay => {
                let day = from.with_timezone(&china()).date_naive();
                day.checked_add_days(Days::new(1))
                    .and_then(|next| {
                        china()
                            .from_local_datetime(&next.and_time(NaiveTime::MIN))
                            .single()
                    })
                    .map(|t| t.with_timezone(&Utc))
            }
            Span::Promised => None,
        })
    }

    fn validate(self, field: &str) -> Result<(), ValidationError> {
        let ok = match self {
            Span::Hours(h) => (1..=MAX_HOURS).contains(&h),
            Span::Days(d) | Span::WorkingDays(d) => (1..=MAX_DAYS).contains(&d),
            Span::SameDay | Span::Promised => true,
        };
        if ok {
            Ok(())
        } else {
            Err(ValidationError::new(
                field,
                "invalid_span",
                "a span is 1 hour to a year, or 1 to 366 days",
            ))
        }
    }
}

/// The spans of the cases a rule matches. A criterion left out matches every value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CaseKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryCode>,
    /// The level of the region the case is registered at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<RegionLevel>,
    /// From the report to acknowledgement by the unit it is dispatched to (响应).
    pub response: Span,
    /// From the report to resolution (办结).
    pub handling: Span,
    /// From resolution to the on-the-spot verification (核查).
    pub verification: Span,
    /// From verification to the follow-up call (回访).
    pub follow_up: Span,
}

impl DeadlineRule {
    /// How many criteria the rule names: the more, the more specific.
    fn specificity(&self) -> usize {
        usize::from(self.urgency.is_some())
            + usize::from(self.kind.is_some())
            + usize::from(self.category.is_some())
            + usize::from(self.level.is_some())
    }

    fn matches(&self, case: &DeadlineKey<'_>) -> bool {
        self.urgency.is_none_or(|u| Some(u) == case.urgency)
            && self.kind.is_none_or(|k| k == case.kind)
            && self.category.as_ref().is_none_or(|c| c == case.category)
            && self.level.is_none_or(|l| l == case.level)
    }
}

/// What a rule is chosen by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineKey<'a> {
    /// `None` before triage.
    pub urgency: Option<Urgency>,
    pub kind: CaseKind,
    pub category: &'a CategoryCode,
    pub level: RegionLevel,
}

/// The share of the time to a deadline after which a case is warned about, by default.
pub const DEFAULT_WARNING_PERCENT: u8 = 75;

fn default_warning_percent() -> u8 {
    DEFAULT_WARNING_PERCENT
}

/// Why a case's handling clock is stopped (计时中止): time the unit cannot act in does not
/// count against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// 等待当事人: a party is unreachable, away, or must bring documents.
    AwaitingParty,
    /// 鉴定评估: an appraisal, survey or assessment is under way.
    Appraisal,
    /// 等待其他机关: another authority must decide first.
    AwaitingAuthority,
}

impl PauseReason {
    pub const ALL: [PauseReason; 3] = [
        PauseReason::AwaitingParty,
        PauseReason::Appraisal,
        PauseReason::AwaitingAuthority,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PauseReason::AwaitingParty => "awaiting_party",
            PauseReason::Appraisal => "appraisal",
            PauseReason::AwaitingAuthority => "awaiting_authority",
        }
    }
}

/// The reasons the shipped policy lets a clock stop for: waiting for a party and an
/// appraisal (waiting for another authority is escalated instead).
fn default_pausable() -> Vec<PauseReason> {
    vec![PauseReason::AwaitingParty, PauseReason::Appraisal]
}

/// One version of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    pub version: u32,
    pub rules: Vec<DeadlineRule>,
    /// A warning is raised when this share (percent) of the time to a deadline has passed.
    #[serde(default = "default_warning_percent")]
    pub warning_percent: u8,
    /// The reasons a case's handling clock may be stopped for; none means clocks never stop.
    #[serde(default = "default_pausable")]
    pub pausable: Vec<PauseReason>,
}

impl DeadlinePolicy {
    /// The defaults, from practice: red (紧急) is answered within 1 hour and handled within
    /// 24; orange gets a date promised at triage; yellow is handled within 7 working days,
    /// a dispute under mediation within 30 days (人民调解法 art. 28's customary term); green
    /// the same day. Untriaged cases are answered within 1 working day.
    pub fn defaults() -> Self {
        let rule = |urgency, kind, response, handling, verification, follow_up| DeadlineRule {
            urgency,
            kind,
            category: None,
            level: None,
            response,
            handling,
            verification,
            follow_up,
        };
        use Span::*;
        Self {
            version: 1,
            warning_percent: DEFAULT_WARNING_PERCENT,
            pausable: default_pausable(),
            rules: vec![
                rule(
                    None,
                    None,
                    WorkingDays(1),
                    WorkingDays(7),
                    WorkingDays(2),
                    WorkingDays(5),
                ),
                rule(
                    Some(Urgency::Red),
                    None,
                    Hours(1),
                    Hours(24),
                    Hours(24),
                    WorkingDays(2),
                ),
                rule(
                    Some(Urgency::Orange),
                    None,
                    WorkingDays(1),
                    Promised,
                    WorkingDays(2),
                    WorkingDays(5),
                ),
                rule(
                    Some(Urgency::Yellow),
                    None,
                    WorkingDays(1),
                    WorkingDays(7),
                    WorkingDays(2),
                    WorkingDays(5),
                ),
                rule(
                    Some(Urgency::Yellow),
                    Some(CaseKind::Dispute),
                    WorkingDays(1),
                    Days(30),
                    WorkingDays(3),
                    WorkingDays(5),
                ),
                rule(
                    Some(Urgency::Green),
                    None,
                    SameDay,
                    SameDay,
                    WorkingDays(1),
                    WorkingDays(3),
                ),
            ],
        }
    }

    /// Checks a policy before it is saved: every span in range, and a rule that matches every
    /// case (no criteria), so that no case is left without deadlines.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !(1..=99).contains(&self.warning_percent) {
            return Err(ValidationError::new(
                "warning_percent",
                "invalid_value",
                "the warning comes at 1 to 99 percent of the time to a deadline",
            ));
        }
        if !self.rules.iter().any(|r| r.specificity() == 0) {
            return Err(ValidationError::new(
                "rules",
                "no_fallback_rule",
                "one rule must name no criteria, so that every case has deadlines",
            ));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            for (name, span) in [
                ("response", rule.response),
                ("handling", rule.handling),
                ("verification", rule.verification),
                ("follow_up", rule.follow_up),
            ] {
                span.validate(&format!("rules[{i}].{name}"))?;
            }
        }
        Ok(())
    }

    /// The rule for a case: the most specific that matches; of equally specific ones, the
    /// last listed (so a rule added later overrides).
    pub fn rule_for(&self, key: &DeadlineKey<'_>) -> Option<&DeadlineRule> {
        let mut best: Option<&DeadlineRule> = None;
        for rule in self.rules.iter().filter(|r| r.matches(key)) {
            if best.is_none_or(|b| rule.specificity() >= b.specificity()) {
                best = Some(rule);
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(
        urgency: Option<Urgency>,
        kind: CaseKind,
        category: &'a CategoryCode,
    ) -> DeadlineKey<'a> {
        DeadlineKey {
            urgency,
            kind,
            category,
            level: RegionLevel::Grid,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_defaults_follow_practice() {
        let policy = DeadlinePolicy::defaults();
        policy.validate().expect("valid");
        let neighbour = CategoryCode::parse("neighbour").expect("code");
        let calendar = WorkingCalendar::china().expect("calendar");
        let reported = at("2026-03-02T09:00:00+08:00");
        let due = |urgency, kind| {
            let rule = policy
                .rule_for(&key(urgency, kind, &neighbour))
                .expect("a rule");
            (
                rule.response.end(reported, &calendar).expect("covered"),
                rule.handling.end(reported, &calendar).expect("covered"),
            )
        };
        let red = due(Some(Urgency::Red), CaseKind::Hazard);
        assert_eq!(
            red.0,
            Some(at("2026-03-02T10:00:00+08:00")),
            "answered within the hour"
        );
        assert_eq!(
            red.1,
            Some(at("2026-03-03T09:00:00+08:00")),
            "handled within 24 hours"
        );
        assert_eq!(
            due(Some(Urgency::Orange), CaseKind::Dispute).1,
            None,
            "a date is promised"
        );
        assert_eq!(
            due(Some(Urgency::Yellow), CaseKind::Request).1,
            Some(at("2026-03-12T00:00:00+08:00")),
            "7 working days: to the end of Wednesday 11 March"
        );
        assert_eq!(
            due(Some(Urgency::Yellow), CaseKind::Dispute).1,
            Some(at("2026-04-01T09:00:00+08:00")),
            "mediation: 30 days"
        );
        assert_eq!(
            due(Some(Urgency::Green), CaseKind::Consultation).1,
            Some(at("2026-03-03T00:00:00+08:00")),
            "the same day"
        );
        assert_eq!(
            due(None, CaseKind::Dispute).0,
            Some(at("2026-03-04T00:00:00+08:00")),
            "before triage: answered within a working day"
        );
    }

    #[test]
    fn the_most_specific_rule_wins_and_a_later_one_breaks_a_tie() {
        let mut policy = DeadlinePolicy::defaults();
        let labour = CategoryCode::parse("labour").expect("code");
        let mut wages = policy.rules[3].clone();
        wages.category = Some(labour.clone());
        wages.handling = Span::WorkingDays(3);
        policy.rules.push(wages);
        let rule = policy
            .rule_for(&key(Some(Urgency::Yellow), CaseKind::Dispute, &labour))
            .expect("rule");
        assert_eq!(
            rule.handling,
            Span::WorkingDays(3),
            "urgency and category tie with urgency and kind: the later rule wins"
        );
        let mut override_mediation = policy.rules[4].clone();
        override_mediation.handling = Span::Days(20);
        policy.rules.push(override_mediation);
        let neighbour = CategoryCode::parse("neighbour").expect("code");
        let rule = policy
            .rule_for(&key(Some(Urgency::Yellow), CaseKind::Dispute, &neighbour))
            .expect("rule");
        assert_eq!(rule.handling, Span::Days(20));
    }

    #[test]
    fn a_policy_without_a_fallback_or_with_a_span_out_of_range_is_refused() {
        let mut policy = DeadlinePolicy::defaults();
        policy.rules.retain(|r| r.specificity() > 0);
        assert_eq!(
            policy.validate().map_err(|e| e.code),
            Err("no_fallback_rule")
        );
        let mut policy = DeadlinePolicy::defaults();
        policy.rules[1].response = Span::Hours(0);
        let err = policy.validate().expect_err("refused");
        assert_eq!(
            (err.code, err.field.as_str()),
            ("invalid_span", "rules[1].response")
        );
        policy.rules[1].response = Span::WorkingDays(400);
        assert!(policy.validate().is_err());
    }

    #[test]
    fn a_policy_reads_from_and_writes_to_json() {
        let policy = DeadlinePolicy::defaults();
        let json = serde_json::to_value(&policy).expect("json");
        assert_eq!(json["rules"][1]["urgency"], "red");
        assert_eq!(
            json["rules"][1]["response"],
            serde_json::json!({ "unit": "hours", "value": 1 })
        );
        assert_eq!(
            json["rules"][2]["handling"],
            serde_json::json!({ "unit": "promised" })
        );
        let back: DeadlinePolicy = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, policy);
    }
}
