//! Who may do what: by role, by region and by unit.

use crate::fixture::{
    LEAD, NEIGHBOUR, OUTSIDE, REPORTER, SUPPORT_A, Story, handler_of, new_case, region, resident,
    sample, staff, staff_in,
};
use hezhi_domain::{
    Actor, CaseId, CaseNumber, CaseState, Command, CommandKind, DomainError, Role, TrackingCode,
    check_report, report,
};

/// A state in which `kind` is allowed, so that the table does not refuse it first.
fn a_state_allowing(kind: CommandKind) -> CaseState {
    CaseState::ALL
        .into_iter()
        .find(|s| kind.transition(*s).is_some())
        .unwrap_or_else(|| panic!("{kind} is allowed somewhere"))
}

fn refused(
    reason: &'static str,
    kind: CommandKind,
) -> Result<Vec<hezhi_domain::Event>, DomainError> {
    Err(DomainError::NotPermitted {
        command: kind,
        reason,
    })
}

#[test]
fn a_role_not_permitted_a_command_is_refused_whatever_its_scope() {
    let mut checked = 0;
    for kind in CommandKind::ALL
        .into_iter()
        .filter(|k| *k != CommandKind::Report)
    {
        let story = Story::in_state(a_state_allowing(kind));
        for role in Role::ALL.into_iter().filter(|r| !kind.permitted_to(*r)) {
            let actor = if role == Role::Resident {
                resident(REPORTER)
            } else {
                staff(role)
            };
            let err = story.decide(&sample(kind, story.now()), &actor);
            assert_eq!(
                err,
                refused("role_not_permitted", kind),
                "{} may not {kind}",
                role.as_str()
            );
            assert_eq!(err.expect_err("refused").code(), "forbidden");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} pairs checked");
}

#[test]
fn read_only_and_administrative_roles_may_change_no_case() {
    for role in [
        Role::Leader,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::Auditor,
    ] {
        assert!(
            CommandKind::ALL.into_iter().all(|k| !k.permitted_to(role)),
            "{} may change a case",
            role.as_str()
        );
    }
}

#[test]
fn a_dispatcher_of_another_town_is_refused() {
    let story = Story::in_state(CaseState::Triaged);
    let other_town = staff_in(Role::Dispatcher, "370811003");
    let err = story.decide(&sample(CommandKind::Dispatch, story.now()), &other_town);
    assert_eq!(err, refused("region_outside_scope", CommandKind::Dispatch));
}

#[test]
fn a_dispatcher_of_the_county_acts_on_a_case_of_its_towns() {
    let story = Story::in_state(CaseState::Triaged);
    let county = staff_in(Role::Dispatcher, "370811");
    assert!(
        story
            .decide(&sample(CommandKind::Dispatch, story.now()), &county)
            .is_ok()
    );
}

#[test]
fn a_region_bound_actor_without_a_region_is_refused() {
    let story = Story::in_state(CaseState::Reported);
    let nowhere = Actor {
        region: None,
        ..staff(Role::IntakeClerk)
    };
    let err = story.decide(&sample(CommandKind::Accept, story.now()), &nowhere);
    assert_eq!(err, refused("region_outside_scope", CommandKind::Accept));
}

#[test]
fn a_handler_of_a_supporting_unit_cannot_acknowledge_for_the_lead() {
    let story = Story::in_state(CaseState::Dispatched);
    for command in [
        Command::Acknowledge { note: None },
        sample(CommandKind::Return, story.now()),
    ] {
        let kind = command.kind();
        let err = story.decide(&command, &handler_of(SUPPORT_A));
        assert_eq!(err, refused("not_the_lead_unit", kind));
    }
}

#[test]
fn a_supporting_unit_attaches_its_documents_and_an_outside_unit_does_not() {
    let story = Story::in_state(CaseState::InProgress);
    let attach = sample(CommandKind::Attach, story.now());
    assert!(story.decide(&attach, &handler_of(SUPPORT_A)).is_ok());
    assert!(story.decide(&attach, &handler_of(LEAD)).is_ok());
    assert!(story.decide(&attach, &handler_of(OUTSIDE)).is_err());
}

#[test]
fn a_handler_of_a_unit_the_case_was_never_given_to_is_refused() {
    let story = Story::in_state(CaseState::InProgress);
    let err = story.decide(
        &sample(CommandKind::Resolve, story.now()),
        &handler_of(OUTSIDE),
    );
    assert_eq!(err, refused("not_the_lead_unit", CommandKind::Resolve));
    let err = story.decide(&Command::ConfirmPart { note: None }, &handler_of(OUTSIDE));
    assert_eq!(
        err,
        refused("not_a_supporting_unit", CommandKind::ConfirmPart)
    );
    let err = story.decide(&Command::ConfirmPart { note: None }, &handler_of(LEAD));
    assert_eq!(
        err,
        refused("not_a_supporting_unit", CommandKind::ConfirmPart)
    );
}

#[test]
fn a_handler_without_a_unit_is_refused() {
    let story = Story::in_state(CaseState::Dispatched);
    let unitless = Actor {
        unit: None,
        ..handler_of(LEAD)
    };
    let err = story.decide(&Command::Acknowledge { note: None }, &unitless);
    assert_eq!(err, refused("no_unit", CommandKind::Acknowledge));
}

#[test]
fn a_resident_follows_up_only_his_own_case() {
    let story = Story::in_state(CaseState::Verified);
    let follow_up = sample(CommandKind::FollowUp, story.now());
    let err = story.decide(&follow_up, &resident(NEIGHBOUR));
    assert_eq!(err, refused("not_own_case", CommandKind::FollowUp));
    assert!(story.decide(&follow_up, &resident(REPORTER)).is_ok());
}

#[test]
fn a_resident_may_do_nothing_else_to_his_own_case() {
    let kinds = CommandKind::ALL
        .into_iter()
        .filter(|k| k.permitted_to(Role::Resident));
    assert_eq!(
        kinds.collect::<Vec<_>>(),
        [
            CommandKind::Report,
            CommandKind::FollowUp,
            CommandKind::Attach
        ]
    );
}

#[test]
fn a_grid_worker_reports_only_inside_his_region() {
    let inside = staff_in(Role::GridWorker, "370811002001");
    assert_eq!(check_report(&new_case(), &inside), Ok(()));
    let elsewhere = staff_in(Role::GridWorker, "370811002002");
    assert_eq!(
        check_report(&new_case(), &elsewhere),
        Err(DomainError::NotPermitted {
            command: CommandKind::Report,
            reason: "region_outside_scope"
        })
    );
}

#[test]
fn a_resident_reports_anywhere_and_an_auditor_nowhere() {
    assert_eq!(check_report(&new_case(), &resident(NEIGHBOUR)), Ok(()));
    let auditor = staff(Role::Auditor);
    let event = report(
        CaseId::compose(1, &region("370811002001"), [0; 10]),
        CaseNumber::new(region("370811"), 2026, 2),
        TrackingCode::from_random(1),
        new_case(),
        &auditor,
        crate::fixture::start(),
    );
    assert_eq!(
        event,
        Err(DomainError::NotPermitted {
            command: CommandKind::Report,
            reason: "role_not_permitted"
        })
    );
}

#[test]
fn escalation_keeps_the_case_in_the_hands_of_its_town() {
    let mut story = Story::in_state(CaseState::InProgress);
    story.step_sample(CommandKind::Escalate);
    story.step_sample(CommandKind::Escalate);
    assert_eq!(story.case.escalated_to, Some(region("3708")));
    let town = staff(Role::Supervisor);
    assert!(
        story
            .decide(&sample(CommandKind::Supervise, story.now()), &town)
            .is_ok()
    );
    let city = staff_in(Role::Supervisor, "3708");
    assert!(
        story
            .decide(&sample(CommandKind::Supervise, story.now()), &city)
            .is_ok()
    );
    let other_city = staff_in(Role::Supervisor, "3709");
    assert_eq!(
        story.decide(&sample(CommandKind::Supervise, story.now()), &other_city),
        refused("region_outside_scope", CommandKind::Supervise)
    );
}

#[test]
fn a_region_bound_actor_without_a_region_may_not_report() {
    for role in [
        Role::GridWorker,
        Role::IntakeClerk,
        Role::Dispatcher,
        Role::Supervisor,
    ] {
        let nowhere = Actor {
            region: None,
            ..staff(role)
        };
        assert_eq!(
            check_report(&new_case(), &nowhere),
            Err(DomainError::NotPermitted {
                command: CommandKind::Report,
                reason: "region_outside_scope"
            }),
            "{}",
            role.as_str()
        );
    }
    // A unit handler's scope is his unit, not a region: units act on what the centre sends
    // them and do not take in new matters.
    assert_eq!(
        check_report(&new_case(), &handler_of(LEAD)),
        Err(DomainError::NotPermitted {
            command: CommandKind::Report,
            reason: "role_not_permitted"
        })
    );
}

#[test]
fn the_rights_matrix_is_reviewed_as_a_whole() {
    insta::assert_snapshot!(hezhi_domain::access::matrix_table());
}
