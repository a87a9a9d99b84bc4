//! Records that are stored but are not cases: regions, units, users, categories; and the
//! shapes of list queries.

use chrono::{DateTime, Utc};
use hezhi_domain::{
    CaseKind, CaseState, CategoryCode, IdNumber, Phone, RegionCode, RegionLevel, Role, UnitId,
    UnitKind, UnitSnapshot, Urgency, UserId,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<RegionCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub kind: CaseKind,
    pub code: CategoryCode,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub region: RegionCode,
    /// Categories the unit handles; empty means all.
    pub categories: Vec<CategoryCode>,
}

impl Unit {
    pub fn snapshot(&self) -> UnitSnapshot {
        UnitSnapshot {
            id: self.id,
            region: self.region.clone(),
            kind: self.kind,
            categories: self.categories.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    pub created_at: DateTime<Utc>,
}

/// An API token as stored: only its SHA-256 hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub token_hash: String,
    pub user: UserId,
    pub created_at: DateTime<Utc>,
}

/// Filters of the case list. All are optional and combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub state: Option<CaseState>,
    /// Cases in this region or below it.
    pub region: Option<RegionCode>,
    pub category: Option<CategoryCode>,
    pub urgency: Option<Urgency>,
    /// Cases whose current assignment names this unit, as lead or supporting.
    pub unit: Option<UnitId>,
    /// Only cases still open and past their due time at this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only cases reported by this user (residents).
    pub reported_by: Option<UserId>,
    /// Only cases with a party of this phone number (matched by keyed hash, never stored).
    pub party_phone: Option<Phone>,
    /// Only cases with a party of this ID number (matched by keyed hash, never stored).
    pub party_id_number: Option<IdNumber>,
}

/// Keyset pagination, newest first. The cursor is the id of the last case of the previous
/// page; ids are UUIDv7 and so sort by creation time.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub after: Option<hezhi_domain::CaseId>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page, if there is one.
    pub next: Option<hezhi_domain::CaseId>,
}
