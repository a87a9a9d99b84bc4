//! What a case is: its data as reported, and its projection (the current state derived from
//! its events).

use crate::error::ValidationError;
use crate::ids::{CaseId, UnitId, UserId};
use crate::lifecycle::CaseState;
use crate::party::Party;
use crate::region::RegionCode;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Dispute,
    Request,
    Hazard,
    Consultation,
    Petition,
}

impl CaseKind {
    pub const ALL: [CaseKind; 5] = [
        CaseKind::Dispute,
        CaseKind::Request,
        CaseKind::Hazard,
        CaseKind::Consultation,
        CaseKind::Petition,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 无差别受理窗口.
    Window,
    Hotline,
    /// A grid worker's report from patrol.
    GridReport,
    /// The residents' web or app channel.
    Online,
    /// Open311 GeoReport v2 clients.
    Open311,
    /// Referred by petitions (信访) or a court (诉前委派).
    Referral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    Simple,
    Complex,
}

/// 四色管理, most urgent first, so that sorting puts red on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Red,
    Orange,
    Yellow,
    Green,
}

/// Where a matter goes when the centre does not take it, or mediation cannot settle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralChannel {
    Litigation,
    Arbitration,
    Administrative,
    Petition,
    Police,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 调解成功.
    Settled,
    /// 办理完毕.
    Handled,
    /// Not settled; carries a referral channel on the event.
    NotSettled,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意.
    Dissatisfied,
}

/// A dispute category code (`neighbour`, `labour`…). Which codes exist is data, checked by
/// the application against the category table; the domain only checks the shape.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let ok = !text.is_empty()
            && text.len() <= 40
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(ValidationError::new(
                "category",
                "unknown_category",
                format!("`{text}` is not a category code"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CategoryCode({})", self.0)
    }
}
impl Serialize for CategoryCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}
impl<'de> Deserialize<'de> for CategoryCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CategoryCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A WGS-84 position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

impl Position {
    pub fn new(lat: f64, lon: f64) -> Result<Self, ValidationError> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(ValidationError::new(
                "position",
                "invalid_position",
                "latitude must be within ±90 and longitude within ±180",
            ));
        }
        Ok(Self { lat, lon })
    }
}

/// The human case number, gap-free per county and year: `370811-2026-000123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct CaseNumber {
    county: RegionCode,
    year: i32,
    sequence: u32,
}

impl CaseNumber {
    pub fn new(county: RegionCode, year: i32, sequence: u32) -> Self {
        Self {
            county,
            year,
            sequence,
        }
    }

    pub fn county(&self) -> &RegionCode {
        &self.county
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn sequence(&self) -> u32 {
        self.sequence
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.county, self.year, self.sequence)
    }
}
impl From<CaseNumber> for String {
    fn from(number: CaseNumber) -> String {
        number.to_string()
    }
}
impl TryFrom<String> for CaseNumber {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new("number", "invalid_case_number", "not a case number");
        let mut parts = text.split('-');
        let (Some(county), Some(year), Some(sequence), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let county = RegionCode::parse(county).map_err(|_| invalid())?;
        if county.level() != crate::RegionLevel::County {
            return Err(invalid());
        }
        Ok(Self {
            county,
            year: year.parse().map_err(|_| invalid())?,
            sequence: sequence.parse().map_err(|_| invalid())?,
        })
    }
}

/// A short code a resident can read over the phone: ten digits, the last a check digit
/// (ISO 7064 MOD 11-10) so that a misheard digit is caught before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TrackingCode(String);

impl TrackingCode {
    /// Makes a code from nine random digits drawn from `random` (the caller supplies the
    /// randomness: the domain reads neither clock nor entropy).
    pub fn from_random(random: u64) -> Self {
        let body = format!("{:09}", random % 1_000_000_000);
        let check = Self::check_digit(&body);
        Self(format!("{body}{check}"))
    }

    fn check_digit(body: &str) -> u32 {
        let mut product = 10;
        for digit in body.bytes().map(|b| u32::from(b - b'0')) {
            let mut sum = (digit + product) % 10;
            if sum == 0 {
                sum = 10;
            }
            product = (sum * 2) % 11;
        }
        (11 - product) % 10
    }

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let ok = digits.len() == 10
            && digits.bytes().all(|b| b.is_ascii_digit())
            && Self::check_digit(&digits[..9]) == u32::from(digits.as_bytes()[9] - b'0');
        if ok {
            Ok(Self(digits))
        } else {
            Err(ValidationError::new(
                "tracking_code",
                "invalid_tracking_code",
                "a tracking code has ten digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<TrackingCode> for String {
    fn from(code: TrackingCode) -> String {
        code.0
    }
}
impl TryFrom<String> for TrackingCode {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Self, ValidationError> {
        TrackingCode::parse(&text)
    }
}

/// Limits on free text, in characters (not bytes).
pub const TITLE_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 5000;
pub const ADDRESS_MAX_CHARS: usize = 200;
pub const NOTE_MAX_CHARS: usize = 2000;

/// Control characters other than line breaks and tabs have no place in case text (and
/// PostgreSQL cannot store U+0000 at all).
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// Checks a free-text field: trimmed, within `max` characters, and present if `required`.
pub fn check_text(
    field: &str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, ValidationError> {
    let text = text.trim();
    if text.chars().any(is_forbidden_control) {
        return Err(ValidationError::new(
            field,
            "control_character",
            format!("{field} contains a control character"),
        ));
    }
    if required && text.is_empty() {
        return Err(ValidationError::new(
            field,
            "required",
            format!("{field} is required"),
        ));
    }
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            "too_long",
            format!("{field} has at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A case as reported, validated; the input of the `report` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCase {
    pub kind: CaseKind,
    pub category: CategoryCode,
    pub channel: Channel,
    /// A village or a grid.
    pub region: RegionCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    pub title: String,
    pub description: String,
    pub parties: Vec<Party>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_yuan: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_involved: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_leader: Option<String>,
}

impl NewCase {
    /// Re-checks every rule on a value that may have been built field by field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        use crate::RegionLevel;
        if !matches!(
            self.region.level(),
            RegionLevel::Village | RegionLevel::Grid
        ) {
            return Err(ValidationError::new(
                "region",
                "region_not_village_or_grid",
                "a case is reported in a village or a grid",
            ));
        }
        check_text("title", &self.title, TITLE_MAX_CHARS, true)?;
        check_text(
            "description",
            &self.description,
            DESCRIPTION_MAX_CHARS,
            true,
        )?;
        if let Some(address) = &self.address {
            check_text("address", address, ADDRESS_MAX_CHARS, false)?;
        }
        if let Some(leader) = &self.case_leader {
            check_text("case_leader", leader, 50, false)?;
        }
        if self.parties.len() > 50 {
            return Err(ValidationError::new(
                "parties",
                "too_many",
                "at most 50 parties",
            ));
        }
        Ok(())
    }

    /// The county every row of this case is keyed by.
    pub fn county(&self) -> RegionCode {
        // validate() guarantees village or grid, which always has a county.
        self.region.county().unwrap_or_else(|| self.region.clone())
    }
}

/// The lead unit and the supporting units of the current dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub lead_unit: UnitId,
    pub supporting: Vec<SupportingPart>,
    pub due_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl Assignment {
    pub fn pending_parts(&self) -> usize {
        self.supporting
            .iter()
            .filter(|p| p.confirmed_at.is_none())
            .count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportingPart {
    pub unit: UnitId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub until: DateTime<Utc>,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
}

/// The current state of a case: a projection of its events, never written any other way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub number: CaseNumber,
    pub tracking_code: TrackingCode,
    pub state: CaseState,
    /// Number of events so far; the case's ETag.
    pub version: u32,
    #[serde(flatten)]
    pub data: NewCase,
    pub reported_by: UserId,
    pub reported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complexity: Option<Complexity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Assignment>,
    /// When the current handling must be done: from the deadline policy at triage, then
    /// from dispatch or an approved extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// The version of the deadline policy the case runs under (set at triage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<u32>,
    /// When a unit must have acknowledged the case, by the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_due_at: Option<DateTime<Utc>>,
    /// At what share of the time to its deadline the case is warned about (percent; set at
    /// triage from the policy, 75 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_percent: Option<u8>,
    /// The deadline the case was last warned about, and the one it was found overdue at:
    /// the sweeper raises each once per deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warned_for: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_for: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_extension: Option<ExtensionRequest>,
    #[serde(default)]
    pub extensions_granted: u32,
    /// The level the case has been escalated to, if any (climbs one level per escalation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_to: Option<RegionCode>,
    #[serde(default)]
    pub returned_count: u32,
    #[serde(default)]
    pub rework_count: u32,
    #[serde(default)]
    pub supervision_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<ReferralChannel>,
    #[serde(default)]
    pub resolved_at_first_contact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<Satisfaction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// When the case was accepted, first dispatched and followed up: the days the
    /// indicators count it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatched_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followed_up_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    /// By when a resolved case must be verified on the spot, and a verified one followed up
    /// (from the policy, set at resolution and at verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_due_at: Option<DateTime<Utc>>,
    /// The handling clock's stop now under way, if any: no warning and no overdue notice
    /// while it lasts, and the deadline moves by its length when it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_paused: Option<ClockPause>,
    /// Every stop of the clock that has ended, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<ClockPause>,
}

/// A stop of the handling clock: why, since when, and (once over) until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockPause {
    pub reason: crate::deadline::PauseReason,
    pub since: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

impl Case {
    pub fn county(&self) -> RegionCode {
        self.data.county()
    }

    /// The year the case number counts in.
    pub fn number_year(at: DateTime<Utc>) -> i32 {
        // Case numbers follow the China calendar year (UTC+8).
        (at + chrono::Duration::hours(8)).year()
    }

    /// The deadline the case runs against now, with the moment its time started: handling
    /// (from the report) while it is open and its clock runs, verification once resolved,
    /// follow-up once verified; `None` otherwise.
    pub fn deadline(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        use crate::lifecycle::CaseState;
        match self.state {
            s if s.is_open() && self.clock_paused.is_none() => {
                self.due_at.map(|due| (self.reported_at, due))
            }
            CaseState::Resolved => self
                .verify_due_at
                .zip(self.resolved_at)
                .map(|(d, s)| (s, d)),
            CaseState::Verified => self
                .follow_up_due_at
                .zip(self.verified_at)
                .map(|(d, s)| (s, d)),
            _ => None,
        }
    }

    /// Whether the case is past its due time at `now` and still being handled.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state.is_open() && self.due_at.is_some_and(|due| due < now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracking_code_carries_a_check_digit_that_catches_a_misheard_digit() {
        let code = TrackingCode::from_random(123_456_789);
        assert_eq!(code.as_str().len(), 10);
        assert_eq!(TrackingCode::parse(code.as_str()).expect("valid"), code);
        let mut wrong = code.as_str().to_owned().into_bytes();
        wrong[3] = if wrong[3] == b'9' { b'0' } else { wrong[3] + 1 };
        let wrong = String::from_utf8(wrong).expect("ascii");
        assert!(TrackingCode::parse(&wrong).is_err());
    }

    #[test]
    fn case_numbers_print_and_parse_as_county_year_sequence() {
        let county = RegionCode::parse("370811").expect("county");
        let number = CaseNumber::new(county, 2026, 123);
        assert_eq!(number.to_string(), "370811-2026-000123");
        assert_eq!(
            CaseNumber::try_from(number.to_string()).expect("parse"),
            number
        );
        assert!(CaseNumber::try_from("3708-2026-1".to_owned()).is_err());
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        let title: String = "漏".repeat(TITLE_MAX_CHARS);
        assert!(check_text("title", &title, TITLE_MAX_CHARS, true).is_ok());
        let err = check_text("title", &format!("{title}水"), TITLE_MAX_CHARS, true)
            .expect_err("too long");
        assert_eq!((err.field.as_str(), err.code), ("title", "too_long"));
        assert_eq!(
            check_text("title", "  ", 10, true).expect_err("empty").code,
            "required"
        );
    }

    #[test]
    fn the_case_number_year_is_the_china_calendar_year() {
        let new_year_eve_utc = "2026-12-31T17:00:00Z".parse().expect("time");
        assert_eq!(Case::number_year(new_year_eve_utc), 2027);
    }
}
