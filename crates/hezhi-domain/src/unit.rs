//! Units (单位/部门): who can be dispatched to act on a case.

use crate::case::CategoryCode;
use crate::ids::UnitId;
use crate::region::RegionCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A government department (住建、市场监管、人社…).
    Department,
    /// A social-governance centre (综治中心) at town or county level.
    GovernanceCentre,
    /// A people's mediation committee (人民调解委员会).
    MediationCommittee,
    Court,
    PoliceStation,
    /// A justice office (司法所).
    JusticeOffice,
    /// A village or community committee (村/居委会).
    VillageCommittee,
    Other,
}

impl UnitKind {
    pub const ALL: [UnitKind; 8] = [
        UnitKind::Department,
        UnitKind::GovernanceCentre,
        UnitKind::MediationCommittee,
        UnitKind::Court,
        UnitKind::PoliceStation,
        UnitKind::JusticeOffice,
        UnitKind::VillageCommittee,
        UnitKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Department => "department",
            UnitKind::GovernanceCentre => "governance_centre",
            UnitKind::MediationCommittee => "mediation_committee",
            UnitKind::Court => "court",
            UnitKind::PoliceStation => "police_station",
            UnitKind::JusticeOffice => "justice_office",
            UnitKind::VillageCommittee => "village_committee",
            UnitKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }
}

/// What the lifecycle needs to know about a unit to decide whether it may be dispatched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSnapshot {
    pub id: UnitId,
    pub region: RegionCode,
    pub kind: UnitKind,
    /// Categories the unit handles; empty means every category.
    pub categories: Vec<CategoryCode>,
}

impl UnitSnapshot {
    /// A unit is responsible for a case when the case's region lies within the unit's region
    /// and the unit handles the case's category.
    pub fn is_responsible_for(&self, region: &RegionCode, category: &CategoryCode) -> bool {
        region.is_within(&self.region)
            && (self.categories.is_empty() || self.categories.contains(category))
    }
}
