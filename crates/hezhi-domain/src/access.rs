//! Who may do what: the rights matrix of role × relation of the case to the role's scope ×
//! action. Every check in the application goes through [`permits`]; the matrix is
//! snapshot-tested so that a change to it shows in review.

use crate::actor::{Actor, Role};
use crate::case::Case;
use crate::ids::UserId;
use crate::lifecycle::CommandKind;
use crate::region::RegionCode;
use serde::{Deserialize, Serialize};

/// Where a case stands relative to the scope of one role assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// In the assignment's region subtree (or escalated into it); dispatched to its unit; a
    /// resident's own case.
    Inside,
    /// Registered at a level above the scope but on its branch: a village-level case for the
    /// worker of one of the village's grids.
    Above,
    /// Anywhere else.
    Beside,
}

impl Relation {
    pub const ALL: [Relation; 3] = [Relation::Inside, Relation::Above, Relation::Beside];
}

/// Something a user may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    ReadCase,
    ListCases,
    /// A lifecycle command, including `report` (whose relation is that of the reported place).
    Command(CommandKind),
    RevealPersonalData,
    Export,
    ReadAudit,
    /// Create and disable users.
    ManageUsers,
    /// Grant and revoke role assignments and API tokens.
    ManageRoleAssignments,
    ManageUnits,
    /// Regions, grids and categories.
    ManageRegions,
    ManageSettings,
    /// Encryption keys and security policies.
    ManageKeys,
}

impl Action {
    /// Every action, commands included, in a fixed order.
    pub fn all() -> Vec<Action> {
        let mut all = vec![Action::ReadCase, Action::ListCases];
        all.extend(CommandKind::ALL.into_iter().map(Action::Command));
        all.extend([
            Action::RevealPersonalData,
            Action::Export,
            Action::ReadAudit,
            Action::ManageUsers,
            Action::ManageRoleAssignments,
            Action::ManageUnits,
            Action::ManageRegions,
            Action::ManageSettings,
            Action::ManageKeys,
        ]);
        all
    }

    pub fn name(self) -> String {
        match self {
            Action::Command(kind) => kind.as_str().to_owned(),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// The matrix. Above and Beside grant nothing except what is listed for them here; the three
/// administrator roles never read case contents; a resident acts only on his own cases.
pub fn permits(role: Role, relation: Relation, action: Action) -> bool {
    use Action as A;
    use CommandKind as C;
    use Role as R;
    match relation {
        Relation::Beside => false,
        Relation::Above => {
            role == R::GridWorker
                && matches!(
                    action,
                    A::ReadCase | A::ListCases | A::Command(C::Verify | C::Rework | C::Attach)
                )
        }
        Relation::Inside => match role {
            R::GridWorker => matches!(
                action,
                A::ReadCase
                    | A::ListCases
                    | A::Command(C::Report | C::Verify | C::Rework | C::FollowUp | C::Attach)
            ),
            R::IntakeClerk => matches!(
                action,
                A::ReadCase
                    | A::ListCases
                    | A::RevealPersonalData
                    | A::Command(
                        C::Report
                            | C::Accept
                            | C::Decline
                            | C::ResolveAtFirstContact
                            | C::FollowUp
                            | C::Attach
                    )
            ),
            R::Dispatcher => matches!(
                action,
                A::ReadCase
                    | A::ListCases
                    | A::RevealPersonalData
                    | A::Export
                    | A::Command(
                        C::Report
                            | C::Accept
                            | C::Decline
                            | C::ResolveAtFirstContact
                            | C::Triage
                            | C::Dispatch
                            | C::ApproveExtension
                            | C::RefuseExtension
                            | C::ResumeClock
                            | C::Supervise
                            | C::Escalate
                            | C::Verify
                            | C::Rework
                            | C::FollowUp
                            | C::Archive
                            | C::Attach
                    )
            ),
            R::UnitHandler | R::Mediator => matches!(
                action,
                A::ReadCase
                    | A::ListCases
                    | A::RevealPersonalData
                    | A::Command(
                        C::Acknowledge
                            | C::Return
                            | C::ConfirmPart
                            | C::RequestExtension
                            | C::Resolve
                            | C::Attach
                            | C::PauseClock
                            | C::ResumeClock
                    )
            ),
            R::CaseLeader | R::Supervisor => matches!(
                action,
                A::ReadCase
                    | A::ListCases
                    | A::Export
                    | A::Command(C::Report | C::Supervise | C::Escalate)
            ),
            R::Leader => matches!(action, A::ReadCase | A::ListCases | A::Export),
            R::SystemAdmin => matches!(
                action,
                A::ManageUsers | A::ManageUnits | A::ManageRegions | A::ManageSettings
            ),
            R::SecurityAdmin => matches!(action, A::ManageRoleAssignments | A::ManageKeys),
            R::Auditor => matches!(action, A::ReadAudit),
            // The platform acts only through the sweeper, never through the matrix.
            R::System => false,
            R::Resident => {
                matches!(
                    action,
                    A::ReadCase | A::ListCases | A::Command(C::Report | C::FollowUp | C::Attach)
                )
            }
        },
    }
}

/// Where `case` stands relative to `actor`'s scope.
pub fn relation(actor: &Actor, case: &Case) -> Relation {
    match actor.role {
        Role::Resident => {
            if case.reported_by == actor.user {
                Relation::Inside
            } else {
                Relation::Beside
            }
        }
        role if role.is_unit_bound() => {
            let assigned = actor.unit.is_some_and(|unit| {
                case.assignment.as_ref().is_some_and(|a| {
                    a.lead_unit == unit || a.supporting.iter().any(|p| p.unit == unit)
                })
            });
            if assigned {
                Relation::Inside
            } else {
                Relation::Beside
            }
        }
        _ => {
            let escalated_inside = actor.region.as_ref().is_some_and(|scope| {
                case.escalated_to
                    .as_ref()
                    .is_some_and(|to| to.is_within(scope))
            });
            match relation_to_region(actor, &case.data.region) {
                Relation::Inside => Relation::Inside,
                _ if escalated_inside => Relation::Inside,
                other => other,
            }
        }
    }
}

/// Where a place stands relative to a region-bound actor's scope (for reports and lists).
pub fn relation_to_region(actor: &Actor, region: &RegionCode) -> Relation {
    match &actor.region {
        Some(scope) if region.is_within(scope) => Relation::Inside,
        Some(scope) if scope.is_within(region) => Relation::Above,
        _ => Relation::Beside,
    }
}

/// Whether `actor` may do `action` to `case`.
pub fn may(actor: &Actor, case: &Case, action: Action) -> bool {
    permits(actor.role, relation(actor, case), action)
}

/// A signed-in user with the role assignments he may act under (one, for an API token bound
/// to an assignment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user: UserId,
    pub assignments: Vec<Actor>,
}

impl Principal {
    /// The assignments under which `action` on `case` is permitted.
    pub fn acting_on<'a>(
        &'a self,
        case: &'a Case,
        action: Action,
    ) -> impl Iterator<Item = &'a Actor> + 'a {
        self.assignments
            .iter()
            .filter(move |actor| may(actor, case, action))
    }

    /// Whether any assignment allows `action` on `case`.
    pub fn may(&self, case: &Case, action: Action) -> bool {
        self.acting_on(case, action).next().is_some()
    }

    /// Whether any assignment holds a role allowed `action` somewhere (for actions that
    /// concern no case, such as reading the audit log).
    pub fn holds_right(&self, action: Action) -> bool {
        self.assignments
            .iter()
            .any(|a| permits(a.role, Relation::Inside, action))
    }

    /// The assignments whose role is allowed `action` at all, with their scopes.
    pub fn with_right(&self, action: Action) -> impl Iterator<Item = &Actor> {
        self.assignments
            .iter()
            .filter(move |a| permits(a.role, Relation::Inside, action))
    }
}

/// The whole matrix as text, one line per role and relation, for review and snapshots.
pub fn matrix_table() -> String {
    let mut table = String::new();
    for role in Role::ALL {
        for relation in Relation::ALL {
            let allowed: Vec<String> = Action::all()
                .into_iter()
                .filter(|action| permits(role, relation, *action))
                .map(Action::name)
                .collect();
            let relation = serde_json::to_value(relation)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            table.push_str(&format!(
                "{:<15} {:<7} {}\n",
                role.as_str(),
                relation,
                if allowed.is_empty() {
                    "-".to_owned()
                } else {
                    allowed.join(" ")
                }
            ));
        }
    }
    table
}
