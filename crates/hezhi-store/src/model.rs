//! Records that are stored but are not cases: regions, units, users, categories; and the
//! shapes of list queries.

use chrono::{DateTime, Utc};
use hezhi_domain::{
    Actor, AssignmentId, CaseKind, CaseState, CategoryCode, IdNumber, Phone, Principal, RegionCode,
    RegionLevel, Role, Shape, TokenId, UnitId, UnitKind, UnitSnapshot, Urgency, UserId,
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

/// The area of a grid, as imported from GeoJSON, with the village it lies in. Stored with its
/// bounding box so that a lookup narrows by box in SQL and tests the few candidates in Rust.
#[derive(Debug, Clone, PartialEq)]
pub struct GridShape {
    pub grid: RegionCode,
    pub village: RegionCode,
    pub shape: Shape,
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

/// A user and the role assignments he holds now (revoked ones are not loaded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub assignments: Vec<RoleAssignment>,
}

impl User {
    /// The user acting under every assignment he holds.
    pub fn principal(&self) -> Principal {
        Principal {
            user: self.id,
            assignments: self.assignments.iter().map(RoleAssignment::actor).collect(),
        }
    }
}

/// A role bound to a region subtree (region-bound roles), to a unit (unit handlers and
/// mediators), or to nothing (residents, who act on their own cases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub id: AssignmentId,
    pub user: UserId,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
    pub granted_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<UserId>,
}

impl RoleAssignment {
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.user,
            role: self.role,
            region: self.region.clone(),
            unit: self.unit,
        }
    }
}

/// An API token as stored: only its SHA-256 hash, never the token. A token acts under one
/// role assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Names the token in lists and revocations without revealing it.
    pub id: TokenId,
    pub token_hash: String,
    pub user: UserId,
    pub assignment: AssignmentId,
    pub created_at: DateTime<Utc>,
}

/// An API token as listed: its id, owner and dates, never the token or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user: UserId,
    /// The role assignment the token acts under.
    pub assignment: AssignmentId,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
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
    /// Only cases whose current deadline — of handling, verification or follow-up, none while
    /// the clock is stopped — falls before this instant, whatever their state.
    pub due_before: Option<DateTime<Utc>>,
    /// Only open cases: those whose handling is not done yet (reported to in progress).
    pub open_only: bool,
    /// The reader's scopes: only cases inside at least one of them. `None` means no scope
    /// restriction (the caller has already decided); `Some(vec![])` matches nothing.
    pub scopes: Option<Vec<ListScope>>,
    /// Only cases waiting on the centre for this.
    pub attention: Option<Attention>,
    /// How the list is ordered.
    pub order: CaseOrder,
    /// Only cases with a party of this phone number (matched by keyed hash, never stored).
    pub party_phone: Option<Phone>,
    /// Only cases with a party of this ID number (matched by keyed hash, never stored).
    pub party_id_number: Option<IdNumber>,
}

/// What a case waits on the centre for, kept in its own column so that the dispatcher's
/// lists of returned cases and of extension requests are read by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    /// A unit returned it with a reason; it waits to be dispatched again.
    Returned,
    /// The lead unit asked for more time; the request waits for a decision.
    Extension,
}

impl Attention {
    /// What `case` waits on the centre for, if anything.
    pub fn of(case: &hezhi_domain::Case) -> Option<Attention> {
        if case.pending_extension.is_some() {
            Some(Attention::Extension)
        } else if case.state == hezhi_domain::CaseState::Triaged && case.returned_count > 0 {
            Some(Attention::Returned)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Attention::Returned => "returned",
            Attention::Extension => "extension",
        }
    }

    pub fn parse(text: &str) -> Option<Attention> {
        [Attention::Returned, Attention::Extension]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

/// The order of a case list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseOrder {
    /// Newest first, paged by cursor.
    #[default]
    Newest,
    /// A work queue: red, orange, yellow, green, then ungraded; within each, the nearest due
    /// time first and cases without one last. One page only (no cursor).
    Queue,
}

/// One scope a list is restricted to, as SQL can test it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Cases in this region or below it.
    Region(RegionCode),
    /// Cases registered exactly at one of the region's ancestors (a village-level case for the
    /// worker of one of its grids).
    AncestorsOf(RegionCode),
    /// Cases whose current assignment names this unit.
    Unit(UnitId),
    /// Cases reported by this user.
    ReportedBy(UserId),
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

/// A stored file, named by the digest of its content. What is known of it comes from its
/// content alone (see `hezhi-media`), so one row serves every case that attaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentFile {
    pub digest: hezhi_domain::ContentDigest,
    /// `image/jpeg`, `image/png`, `image/webp` or `application/pdf`.
    pub media_type: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The camera's own capture time (local time, no zone), kept as evidence.
    pub taken_at: Option<chrono::NaiveDateTime>,
    /// The camera's GPS position, kept as evidence.
    pub position: Option<hezhi_domain::Position>,
    pub has_thumbnail: bool,
    /// When the content was first stored.
    pub stored_at: DateTime<Utc>,
}

/// What [`CaseCountQuery`] groups cases by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBy {
    State,
    /// Urgency as stored; "" for a case not yet triaged.
    Urgency,
    /// `kind/category`.
    Category,
    /// The code of the case's region at this level (cases registered above it are counted
    /// under their own, shorter code).
    Region(hezhi_domain::RegionLevel),
    /// The China-time date (`YYYY-MM-DD`) the case was reported on.
    ReportedDay,
}

/// A count of the cases registered in a region subtree, optionally reported in a period and
/// optionally only those still open, grouped one way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCountQuery {
    pub region: hezhi_domain::RegionCode,
    /// Reported at or after.
    pub reported_from: Option<DateTime<Utc>>,
    /// Reported before.
    pub reported_to: Option<DateTime<Utc>>,
    pub open_only: bool,
    pub by: CountBy,
}
