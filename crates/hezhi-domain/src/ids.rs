//! Typed identifiers: a case id can never be passed where a unit id is expected.
//!
//! All ids are UUIDv7, made by the application from its clock, so they sort by creation
//! time and index well in both backends.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use uuid::Uuid;

/// An id of the entity `T`; `T` is a marker type that only exists to tell ids apart.
pub struct Id<T> {
    uuid: Uuid,
    entity: PhantomData<fn() -> T>,
}

/// Marker for [`CaseId`].
#[derive(Debug)]
pub enum CaseEntity {}
/// Marker for [`UnitId`].
#[derive(Debug)]
pub enum UnitEntity {}
/// Marker for [`UserId`].
#[derive(Debug)]
pub enum UserEntity {}
/// Marker for [`EventId`].
#[derive(Debug)]
pub enum EventEntity {}
/// Marker for [`AssignmentId`].
#[derive(Debug)]
pub enum AssignmentEntity {}
/// Marker for [`TokenId`].
#[derive(Debug)]
pub enum TokenEntity {}

/// A case (事件).
pub type CaseId = Id<CaseEntity>;
/// A unit (单位/部门).
pub type UnitId = Id<UnitEntity>;
/// A user account, staff or resident.
pub type UserId = Id<UserEntity>;
/// One event in a case's history.
pub type EventId = Id<EventEntity>;
/// One role assignment of a user.
pub type AssignmentId = Id<AssignmentEntity>;
/// An API token (the id names it; the token itself is shown once and stored only hashed).
pub type TokenId = Id<TokenEntity>;

impl<T> Id<T> {
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            entity: PhantomData,
        }
    }

    pub const fn as_uuid(&self) -> Uuid {
        self.uuid
    }

    /// Parses the canonical hyphenated text form.
    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok().map(Self::from_uuid)
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}
impl<T> Hash for Id<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uuid.fmt(f)
    }
}
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uuid.fmt(f)
    }
}
impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.uuid.serialize(serializer)
    }
}
impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Uuid::deserialize(deserializer).map(Self::from_uuid)
    }
}

impl CaseId {
    /// Makes a UUIDv7 case id that also carries the case's 6-digit county code, so that a
    /// distributed deployment can route `GET /cases/{id}` to the county's shard without a
    /// lookup. Bytes 9–11 hold the county; the rest is the v7 timestamp and `random`.
    pub fn compose(unix_millis: u64, county: &crate::RegionCode, random: [u8; 10]) -> CaseId {
        let mut bytes = random;
        let county_number: u32 = county
            .county()
            .and_then(|c| c.as_str().parse().ok())
            .unwrap_or(0);
        // random[0..] becomes uuid bytes 6..16; uuid byte 9 is random[3].
        bytes[3..6].copy_from_slice(&county_number.to_be_bytes()[1..]);
        CaseId::from_uuid(
            uuid::Builder::from_unix_timestamp_millis(unix_millis, &bytes).into_uuid(),
        )
    }

    /// The county code carried by an id made with [`CaseId::compose`].
    pub fn county(&self) -> Option<crate::RegionCode> {
        let b = self.uuid.as_bytes();
        let number = u32::from_be_bytes([0, b[9], b[10], b[11]]);
        (100_000..1_000_000)
            .contains(&number)
            .then(|| crate::RegionCode::parse(&number.to_string()).ok())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_id_carries_its_county_and_sorts_by_time() {
        let grid = crate::RegionCode::parse("370811002001003").expect("grid");
        let early = CaseId::compose(1_700_000_000_000, &grid, [0xAB; 10]);
        let late = CaseId::compose(1_700_000_000_001, &grid, [0x00; 10]);
        assert_eq!(
            early.county().map(|c| c.to_string()).as_deref(),
            Some("370811")
        );
        assert_eq!(early.as_uuid().get_version_num(), 7);
        assert!(early < late);
    }
}
