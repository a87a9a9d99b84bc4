//! Who acts: a user with a role bound to a region subtree or to a unit.

use crate::ids::{UnitId, UserId};
use crate::region::RegionCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    GridWorker,
    IntakeClerk,
    /// The governance centre's dispatcher (综治中心/指挥中心).
    Dispatcher,
    UnitHandler,
    Mediator,
    CaseLeader,
    Supervisor,
    /// Read-only overview.
    Leader,
    SystemAdmin,
    SecurityAdmin,
    Auditor,
    Resident,
    /// The platform itself: deadline warnings, overdue notices and the escalations they
    /// bring. Never assigned to a user, and not in [`Role::ALL`].
    System,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::GridWorker,
        Role::IntakeClerk,
        Role::Dispatcher,
        Role::UnitHandler,
        Role::Mediator,
        Role::CaseLeader,
        Role::Supervisor,
        Role::Leader,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::Auditor,
        Role::Resident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "grid_worker",
            Role::IntakeClerk => "intake_clerk",
            Role::Dispatcher => "dispatcher",
            Role::UnitHandler => "unit_handler",
            Role::Mediator => "mediator",
            Role::CaseLeader => "case_leader",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::Auditor => "auditor",
            Role::Resident => "resident",
            Role::System => "system",
        }
    }

    /// A role by its name, [`Role::System`] included (stored events name it; assigning it is
    /// refused by the application).
    pub fn parse(text: &str) -> Option<Role> {
        Self::ALL
            .into_iter()
            .chain([Role::System])
            .find(|r| r.as_str() == text)
    }

    /// Roles whose scope is a unit rather than a region.
    pub fn is_unit_bound(self) -> bool {
        matches!(self, Role::UnitHandler | Role::Mediator)
    }
}

/// The acting user as the lifecycle sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: UserId,
    pub role: Role,
    /// The region subtree the role is bound to (region-bound roles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    /// The unit the role is bound to (unit handlers, mediators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitId>,
}
