//! Who may see which cases. Commands are checked by the domain's `decide`; reads are checked
//! here, and list queries are narrowed to the reader's scope before they reach SQL.

use hezhi_domain::{Actor, Case, Role};
use hezhi_store::CaseFilter;

/// Whether `actor` may read `case`. Administrators and auditors do not read case contents by
/// virtue of their role.
pub fn can_read(actor: &Actor, case: &Case) -> bool {
    match actor.role {
        Role::SystemAdmin | Role::SecurityAdmin | Role::Auditor => false,
        Role::Resident => case.reported_by == actor.user,
        Role::UnitHandler | Role::Mediator => actor.unit.is_some_and(|unit| {
            case.assignment
                .as_ref()
                .is_some_and(|a| a.lead_unit == unit || a.supporting.iter().any(|p| p.unit == unit))
        }),
        _ => actor.region.as_ref().is_some_and(|scope| {
            case.data.region.is_within(scope)
                || case
                    .escalated_to
                    .as_ref()
                    .is_some_and(|to| to.is_within(scope))
        }),
    }
}

/// Whether `actor`'s role may see parties' personal data in the clear at all: the roles that
/// must call or visit the parties (intake, dispatch, handling, mediation). Which cases is
/// [`can_read`]'s answer; every reveal is audited.
pub fn may_reveal_personal_data(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::IntakeClerk | Role::Dispatcher | Role::UnitHandler | Role::Mediator
    )
}

/// Narrows `filter` to what `actor` may see; `None` when nothing can match.
pub fn scope_filter(actor: &Actor, mut filter: CaseFilter) -> Option<CaseFilter> {
    match actor.role {
        Role::SystemAdmin | Role::SecurityAdmin | Role::Auditor => None,
        Role::Resident => {
            filter.reported_by = Some(actor.user);
            Some(filter)
        }
        Role::UnitHandler | Role::Mediator => {
            let unit = actor.unit?;
            match filter.unit {
                Some(asked) if asked != unit => None,
                _ => {
                    filter.unit = Some(unit);
                    Some(filter)
                }
            }
        }
        _ => {
            let scope = actor.region.clone()?;
            filter.region = match filter.region.take() {
                None => Some(scope),
                Some(asked) if asked.is_within(&scope) => Some(asked),
                // Asking for a wider region yields the part of it the actor may see.
                Some(asked) if scope.is_within(&asked) => Some(scope),
                Some(_) => return None,
            };
            Some(filter)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hezhi_domain::{RegionCode, UnitId, UserId};

    fn actor(role: Role, region: Option<&str>) -> Actor {
        Actor {
            user: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            role,
            region: region.map(|r| RegionCode::parse(r).expect("code")),
            unit: None,
        }
    }

    fn region_of(filter: Option<CaseFilter>) -> Option<String> {
        filter.and_then(|f| f.region).map(|r| r.to_string())
    }

    #[test]
    fn a_town_dispatcher_lists_only_inside_his_town() {
        let town = actor(Role::Dispatcher, Some("370811002"));
        let all = CaseFilter::default();
        assert_eq!(
            region_of(scope_filter(&town, all.clone())).as_deref(),
            Some("370811002")
        );
        let village = CaseFilter {
            region: Some(RegionCode::parse("370811002001").expect("code")),
            ..all.clone()
        };
        assert_eq!(
            region_of(scope_filter(&town, village)).as_deref(),
            Some("370811002001")
        );
        let county = CaseFilter {
            region: Some(RegionCode::parse("370811").expect("code")),
            ..all.clone()
        };
        assert_eq!(
            region_of(scope_filter(&town, county)).as_deref(),
            Some("370811002")
        );
        let beside = CaseFilter {
            region: Some(RegionCode::parse("370811003").expect("code")),
            ..all
        };
        assert!(scope_filter(&town, beside).is_none());
    }

    #[test]
    fn a_unit_handler_lists_only_his_units_cases_and_admins_list_nothing() {
        let unit = UnitId::from_uuid(uuid::Uuid::from_u128(7));
        let handler = Actor {
            unit: Some(unit),
            ..actor(Role::UnitHandler, None)
        };
        assert_eq!(
            scope_filter(&handler, CaseFilter::default()).and_then(|f| f.unit),
            Some(unit)
        );
        let other = CaseFilter {
            unit: Some(UnitId::from_uuid(uuid::Uuid::from_u128(8))),
            ..CaseFilter::default()
        };
        assert!(scope_filter(&handler, other).is_none());
        assert!(
            scope_filter(&actor(Role::SystemAdmin, Some("37")), CaseFilter::default()).is_none()
        );
    }

    #[test]
    fn only_the_roles_that_contact_parties_may_reveal_their_data() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|role| may_reveal_personal_data(&actor(*role, Some("37"))))
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

    #[test]
    fn a_party_filter_keeps_the_readers_scope() {
        let town = actor(Role::Dispatcher, Some("370811002"));
        let by_phone = CaseFilter {
            party_phone: Some(hezhi_domain::Phone::parse("13800138000").expect("phone")),
            ..CaseFilter::default()
        };
        let scoped = scope_filter(&town, by_phone).expect("in scope");
        assert_eq!(
            scoped.region.map(|r| r.to_string()).as_deref(),
            Some("370811002")
        );
        assert!(scoped.party_phone.is_some());
    }
}
