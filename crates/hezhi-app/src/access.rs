//! Who may see which cases. Commands are checked by the domain's `decide` under each of the
//! user's role assignments in turn; reads by the rights matrix; and list queries carry the
//! reader's scopes into SQL, so nothing is fetched to be filtered afterwards.

use hezhi_domain::access::{Action, Relation, permits};
use hezhi_domain::{Case, Principal, Role};
use hezhi_store::ListScope;

/// Whether the principal may read `case` under any of his assignments.
pub fn can_read(principal: &Principal, case: &Case) -> bool {
    principal.may(case, Action::ReadCase)
}

/// The scopes within which the principal may list cases: one or two per assignment whose
/// role lists cases, none for roles that read no case contents.
pub fn list_scopes(principal: &Principal) -> Vec<ListScope> {
    let mut scopes = Vec::new();
    for actor in principal.with_right(Action::ListCases) {
        match actor.role {
            Role::Resident => scopes.push(ListScope::ReportedBy(actor.user)),
            role if role.is_unit_bound() => scopes.extend(actor.unit.map(ListScope::Unit)),
            role => {
                if let Some(region) = &actor.region {
                    scopes.push(ListScope::Region(region.clone()));
                    if permits(role, Relation::Above, Action::ListCases) {
                        scopes.push(ListScope::AncestorsOf(region.clone()));
                    }
                }
            }
        }
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use hezhi_domain::{Actor, RegionCode, UnitId, UserId};

    fn principal(assignments: Vec<(Role, Option<&str>, Option<u128>)>) -> Principal {
        let user = UserId::from_uuid(uuid::Uuid::from_u128(1));
        Principal {
            user,
            assignments: assignments
                .into_iter()
                .map(|(role, region, unit)| Actor {
                    user,
                    role,
                    region: region.map(|r| RegionCode::parse(r).expect("code")),
                    unit: unit.map(|u| UnitId::from_uuid(uuid::Uuid::from_u128(u))),
                })
                .collect(),
        }
    }

    #[test]
    fn each_assignment_adds_its_scope_and_admins_add_none() {
        let scopes = list_scopes(&principal(vec![
            (Role::Dispatcher, Some("370811002"), None),
            (Role::UnitHandler, None, Some(7)),
            (Role::SystemAdmin, Some("37"), None),
        ]));
        assert_eq!(
            scopes,
            vec![
                ListScope::Region(RegionCode::parse("370811002").expect("code")),
                ListScope::Unit(UnitId::from_uuid(uuid::Uuid::from_u128(7))),
            ]
        );
    }

    #[test]
    fn a_grid_worker_also_lists_the_cases_of_his_village() {
        let grid = RegionCode::parse("370811002001003").expect("grid");
        assert_eq!(
            list_scopes(&principal(vec![(
                Role::GridWorker,
                Some(grid.as_str()),
                None
            )])),
            vec![
                ListScope::Region(grid.clone()),
                ListScope::AncestorsOf(grid)
            ]
        );
    }

    #[test]
    fn only_the_roles_that_contact_parties_may_reveal_their_data() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|role| permits(*role, Relation::Inside, Action::RevealPersonalData))
            .collect();
        assert_eq!(
            allowed,
            [
                Role::IntakeClerk,
                Role::Dispatcher,
                Role::UnitHandler,
                Role::Mediator
            ]
        );
    }
}
