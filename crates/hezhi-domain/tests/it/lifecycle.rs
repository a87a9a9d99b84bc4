//! The paths through the closed loop of DESIGN §3, and the rules `decide` applies on the way.

use crate::fixture::{
    COUNTY, LABOUR_ONLY, LEAD, OUTSIDE, REPORTER, SUPPORT_A, SUPPORT_B, Story, UNKNOWN, actor_for,
    clerk, dispatcher, grid_worker, handler_of, region, resident, sample, supervisor,
};
use chrono::Duration;
use hezhi_domain::{
    CaseState, Command, CommandKind, DomainError, Outcome, ReferralChannel, Satisfaction, UnitId,
    evolve, replay,
};

#[test]
fn a_case_goes_round_the_whole_loop_one_version_per_event_and_replays_to_the_same_case() {
    let mut story = Story::reported();
    let mut versions = vec![story.case.version];
    let mut states = vec![story.case.state];
    let mut record = |story: &Story| {
        versions.push(story.case.version);
        states.push(story.case.state);
    };

    story.step(
        &Command::Accept {
            note: Some("窗口受理".to_owned()),
        },
        &clerk(),
    );
    record(&story);
    story.step_sample(CommandKind::Triage);
    record(&story);
    let due_at = story.now() + Duration::days(7);
    story.step(
        &Command::Dispatch {
            lead_unit: LEAD,
            supporting_units: vec![SUPPORT_A, SUPPORT_B],
            due_at,
            note: None,
        },
        &dispatcher(),
    );
    record(&story);
    let assignment = story.case.assignment.clone().expect("dispatched");
    assert_eq!(assignment.lead_unit, LEAD);
    assert_eq!(assignment.pending_parts(), 2);
    assert_eq!(story.case.due_at, Some(due_at));

    story.step(&Command::Acknowledge { note: None }, &handler_of(LEAD));
    record(&story);
    story.step(&Command::ConfirmPart { note: None }, &handler_of(SUPPORT_A));
    record(&story);
    story.step(
        &Command::ConfirmPart {
            note: Some("已出具测量报告".to_owned()),
        },
        &handler_of(SUPPORT_B),
    );
    record(&story);
    story.step_sample(CommandKind::Resolve);
    record(&story);
    story.step(&Command::Verify { note: None }, &grid_worker());
    record(&story);
    story.step(
        &Command::FollowUp {
            satisfaction: Satisfaction::BasicallySatisfied,
            note: None,
        },
        &resident(REPORTER),
    );
    record(&story);
    story.step(&Command::Archive {}, &dispatcher());
    record(&story);

    use CaseState as S;
    assert_eq!(
        states,
        [
            S::Reported,
            S::Accepted,
            S::Triaged,
            S::Dispatched,
            S::InProgress,
            S::InProgress,
            S::InProgress,
            S::Resolved,
            S::Verified,
            S::FollowedUp,
            S::Archived,
        ]
    );
    assert_eq!(versions, (1..=11).collect::<Vec<u32>>());
    let sequences: Vec<u32> = story.events.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, versions);

    let case = &story.case;
    assert_eq!(case.outcome, Some(Outcome::Settled));
    assert_eq!(case.satisfaction, Some(Satisfaction::BasicallySatisfied));
    assert_eq!(case.assignment.as_ref().map(|a| a.pending_parts()), Some(0));
    assert!(
        case.assignment
            .as_ref()
            .and_then(|a| a.acknowledged_at)
            .is_some()
    );
    assert!(case.resolved_at.is_some() && case.closed_at.is_some());
    assert!(!case.resolved_at_first_contact);

    assert_eq!(replay(&story.events).as_ref(), Some(case));
}

#[test]
fn replaying_a_history_that_does_not_start_with_a_report_gives_no_case() {
    let story = Story::in_state(CaseState::Triaged);
    assert_eq!(replay(&story.events[1..]), None);
    assert_eq!(evolve(Some(story.case.clone()), &story.events[0]), None);
}

#[test]
fn a_declined_case_keeps_its_reason_and_channel_and_can_be_archived() {
    let mut story = Story::reported();
    story.step(
        &Command::Decline {
            reason: "属于劳动争议仲裁范围".to_owned(),
            suggested_channel: ReferralChannel::Arbitration,
        },
        &clerk(),
    );
    assert_eq!(story.case.state, CaseState::Declined);
    assert!(story.case.closed_at.is_some());
    let serde_json::Value::Object(event) =
        serde_json::to_value(story.events.last().expect("event")).expect("json")
    else {
        panic!("an event is a JSON object");
    };
    assert_eq!(event["type"], "declined");
    assert_eq!(event["reason"], "属于劳动争议仲裁范围");
    assert_eq!(event["suggested_channel"], "arbitration");

    story.step(&Command::Archive {}, &dispatcher());
    assert_eq!(story.case.state, CaseState::Archived);
    assert_eq!(replay(&story.events).as_ref(), Some(&story.case));
}

#[test]
fn a_case_resolved_at_first_contact_is_verified_followed_up_and_archived() {
    let mut story = Story::in_state(CaseState::Accepted);
    story.step(
        &Command::ResolveAtFirstContact {
            outcome: Outcome::Handled,
            note: "当场释法解答".to_owned(),
        },
        &clerk(),
    );
    assert_eq!(story.case.state, CaseState::Resolved);
    assert!(story.case.resolved_at_first_contact);
    assert_eq!(story.case.outcome, Some(Outcome::Handled));
    assert_eq!(story.case.assignment, None);

    story.step_sample(CommandKind::Verify);
    story.step_sample(CommandKind::FollowUp);
    story.step_sample(CommandKind::Archive);
    assert_eq!(story.case.state, CaseState::Archived);
    assert_eq!(story.case.version, 6);
    assert_eq!(replay(&story.events).as_ref(), Some(&story.case));
}

#[test]
fn a_matter_that_is_not_settled_is_not_resolved_at_first_contact() {
    let story = Story::in_state(CaseState::Accepted);
    let err = story
        .decide(
            &Command::ResolveAtFirstContact {
                outcome: Outcome::NotSettled,
                note: "建议起诉".to_owned(),
            },
            &clerk(),
        )
        .expect_err("not settled");
    assert_eq!(
        (err.code(), err.field()),
        ("invalid_outcome", Some("outcome"))
    );
}

#[test]
fn a_case_resolved_at_first_contact_cannot_be_sent_back_for_rework() {
    let mut story = Story::in_state(CaseState::Accepted);
    story.step_sample(CommandKind::ResolveAtFirstContact);
    let err = story.decide(&sample(CommandKind::Rework, story.now()), &grid_worker());
    assert_eq!(err.expect_err("no unit").code(), "rework_needs_a_unit");
}

#[test]
fn a_returned_case_goes_back_to_triaged_and_can_be_dispatched_again() {
    let mut story = Story::in_state(CaseState::Dispatched);
    story.step(
        &Command::Return {
            reason: "不属于本单位职责".to_owned(),
        },
        &handler_of(LEAD),
    );
    assert_eq!(story.case.state, CaseState::Triaged);
    assert_eq!(story.case.returned_count, 1);
    assert_eq!(story.case.assignment, None);
    assert_eq!(story.case.due_at, None);

    let due_at = story.now() + Duration::days(5);
    story.step(
        &Command::Dispatch {
            lead_unit: SUPPORT_A,
            supporting_units: vec![],
            due_at,
            note: Some("改派".to_owned()),
        },
        &dispatcher(),
    );
    assert_eq!(story.case.state, CaseState::Dispatched);
    assert_eq!(
        story.case.assignment.as_ref().map(|a| a.lead_unit),
        Some(SUPPORT_A)
    );
    assert_eq!(story.case.due_at, Some(due_at));

    // The unit the case was first given to is no longer its lead.
    let err = story.decide(&Command::Acknowledge { note: None }, &handler_of(LEAD));
    assert!(matches!(
        err,
        Err(DomainError::NotPermitted {
            command: CommandKind::Acknowledge,
            reason: "not_the_lead_unit"
        })
    ));
    story.step(&Command::Acknowledge { note: None }, &handler_of(SUPPORT_A));
    assert_eq!(story.case.state, CaseState::InProgress);
    assert_eq!(replay(&story.events).as_ref(), Some(&story.case));
}

#[test]
fn rework_sends_a_resolved_case_back_to_in_progress_and_counts() {
    let mut story = Story::in_state(CaseState::Resolved);
    story.step(
        &Command::Rework {
            reason: "排水沟未修复".to_owned(),
        },
        &grid_worker(),
    );
    assert_eq!(story.case.state, CaseState::InProgress);
    assert_eq!(story.case.rework_count, 1);
    assert_eq!(story.case.outcome, None);
    assert_eq!(story.case.resolved_at, None);

    story.step_sample(CommandKind::Resolve);
    story.step_sample(CommandKind::Rework);
    assert_eq!(story.case.rework_count, 2);
    story.step_sample(CommandKind::Resolve);
    story.step_sample(CommandKind::Verify);
    assert_eq!(story.case.state, CaseState::Verified);
    assert_eq!(replay(&story.events).as_ref(), Some(&story.case));
}

#[test]
fn an_approved_extension_moves_the_due_time() {
    let mut story = Story::in_state(CaseState::InProgress);
    let due_before = story.case.due_at.expect("due time");
    let until = due_before + Duration::days(10);
    story.step(
        &Command::RequestExtension {
            until,
            reason: "需要等待鉴定结果".to_owned(),
        },
        &handler_of(LEAD),
    );
    assert_eq!(
        story.case.pending_extension.as_ref().map(|p| p.until),
        Some(until)
    );
    assert_eq!(story.case.due_at, Some(due_before));

    story.step(&Command::ApproveExtension { note: None }, &dispatcher());
    assert_eq!(story.case.state, CaseState::InProgress);
    assert_eq!(story.case.pending_extension, None);
    assert_eq!(story.case.extensions_granted, 1);
    assert_eq!(story.case.due_at, Some(until));
    assert_eq!(
        story.case.assignment.as_ref().map(|a| a.due_at),
        Some(until)
    );
    assert_eq!(replay(&story.events).as_ref(), Some(&story.case));
}

#[test]
fn a_refused_extension_leaves_the_due_time_alone() {
    let mut story = Story::in_state(CaseState::Dispatched);
    let due_before = story.case.due_at;
    story.step_sample(CommandKind::RequestExtension);
    story.step(
        &Command::RefuseExtension {
            note: "期限足够".to_owned(),
        },
        &dispatcher(),
    );
    assert_eq!(story.case.state, CaseState::Dispatched);
    assert_eq!(story.case.pending_extension, None);
    assert_eq!(story.case.extensions_granted, 0);
    assert_eq!(story.case.due_at, due_before);
}

#[test]
fn a_second_extension_request_while_one_is_pending_is_refused() {
    let mut story = Story::in_state(CaseState::InProgress);
    story.step_sample(CommandKind::RequestExtension);
    let err = story.decide(
        &sample(CommandKind::RequestExtension, story.now()),
        &handler_of(LEAD),
    );
    assert_eq!(err, Err(DomainError::ExtensionAlreadyPending));
}

#[test]
fn approving_or_refusing_an_extension_nobody_asked_for_is_refused() {
    let story = Story::in_state(CaseState::InProgress);
    for kind in [CommandKind::ApproveExtension, CommandKind::RefuseExtension] {
        let err = story.decide(&sample(kind, story.now()), &dispatcher());
        assert_eq!(err, Err(DomainError::NoPendingExtension), "{kind}");
    }
}

#[test]
fn an_extension_must_end_after_the_current_due_time() {
    let story = Story::in_state(CaseState::InProgress);
    let due = story.case.due_at.expect("due time");
    let err = story
        .decide(
            &Command::RequestExtension {
                until: due,
                reason: "再等等".to_owned(),
            },
            &handler_of(LEAD),
        )
        .expect_err("not later");
    assert_eq!(
        (err.code(), err.field()),
        ("extension_not_later", Some("until"))
    );
}

#[test]
fn each_supervision_is_counted() {
    let mut story = Story::in_state(CaseState::InProgress);
    story.step(
        &Command::Supervise {
            note: "请本周内办结".to_owned(),
        },
        &supervisor(),
    );
    story.step_sample(CommandKind::Supervise);
    assert_eq!(story.case.supervision_count, 2);
    assert_eq!(story.case.state, CaseState::InProgress);
}

#[test]
fn escalation_climbs_from_the_town_to_the_province_and_then_stops() {
    let mut story = Story::in_state(CaseState::Accepted);
    let mut reached = Vec::new();
    for _ in 0..3 {
        story.step(
            &Command::Escalate {
                reason: "跨区域矛盾".to_owned(),
            },
            &dispatcher(),
        );
        reached.push(story.case.escalated_to.clone().expect("escalated"));
    }
    assert_eq!(reached, [region(COUNTY), region("3708"), region("37")]);

    let err = story.decide(&sample(CommandKind::Escalate, story.now()), &dispatcher());
    assert_eq!(err, Err(DomainError::NoHigherLevel));
    assert_eq!(story.case.state, CaseState::Accepted);
}

#[test]
fn a_case_cannot_be_resolved_until_every_supporting_unit_has_confirmed_its_part() {
    let mut story = Story::in_state(CaseState::InProgress);
    let resolve = sample(CommandKind::Resolve, story.now());
    let err = story.decide(&resolve, &handler_of(LEAD));
    assert_eq!(err, Err(DomainError::SupportingUnitsPending { pending: 2 }));

    story.step(&Command::ConfirmPart { note: None }, &handler_of(SUPPORT_B));
    let err = story.decide(&resolve, &handler_of(LEAD));
    assert_eq!(err, Err(DomainError::SupportingUnitsPending { pending: 1 }));

    story.step(&Command::ConfirmPart { note: None }, &handler_of(SUPPORT_A));
    story.step(&resolve, &handler_of(LEAD));
    assert_eq!(story.case.state, CaseState::Resolved);
}

#[test]
fn a_part_cannot_be_confirmed_twice() {
    let mut story = Story::in_state(CaseState::InProgress);
    story.step(&Command::ConfirmPart { note: None }, &handler_of(SUPPORT_A));
    let err = story.decide(&Command::ConfirmPart { note: None }, &handler_of(SUPPORT_A));
    assert_eq!(err, Err(DomainError::PartAlreadyConfirmed));
}

#[test]
fn a_case_that_is_not_settled_must_name_where_it_is_referred() {
    let mut story = Story::in_state(CaseState::InProgress);
    story.confirm_all_parts();
    let err = story
        .decide(
            &Command::Resolve {
                outcome: Outcome::NotSettled,
                note: "调解不成".to_owned(),
                referral: None,
            },
            &handler_of(LEAD),
        )
        .expect_err("no referral");
    assert_eq!(
        (err.code(), err.field()),
        ("referral_required", Some("referral"))
    );

    let err = story
        .decide(
            &Command::Resolve {
                outcome: Outcome::Settled,
                note: "调解成功".to_owned(),
                referral: Some(ReferralChannel::Litigation),
            },
            &handler_of(LEAD),
        )
        .expect_err("referral on a settled case");
    assert_eq!(
        (err.code(), err.field()),
        ("referral_only_when_not_settled", Some("referral"))
    );

    story.step(
        &Command::Resolve {
            outcome: Outcome::NotSettled,
            note: "调解不成，引导诉讼".to_owned(),
            referral: Some(ReferralChannel::Litigation),
        },
        &handler_of(LEAD),
    );
    assert_eq!(story.case.outcome, Some(Outcome::NotSettled));
    assert_eq!(story.case.referral, Some(ReferralChannel::Litigation));
}

fn dispatch(story: &Story, lead_unit: UnitId, supporting_units: Vec<UnitId>) -> Command {
    Command::Dispatch {
        lead_unit,
        supporting_units,
        due_at: story.now() + Duration::days(7),
        note: None,
    }
}

#[test]
fn dispatch_to_a_unit_outside_the_case_region_is_refused_naming_the_field() {
    let story = Story::in_state(CaseState::Triaged);
    let err = story
        .decide(&dispatch(&story, OUTSIDE, vec![]), &dispatcher())
        .expect_err("outside");
    assert_eq!(
        err,
        DomainError::UnitNotResponsible {
            field: "lead_unit",
            unit: OUTSIDE
        }
    );
    assert_eq!(
        (err.code(), err.field()),
        ("unit_not_responsible", Some("lead_unit"))
    );

    let err = story
        .decide(&dispatch(&story, LEAD, vec![OUTSIDE]), &dispatcher())
        .expect_err("outside");
    assert_eq!(
        err,
        DomainError::UnitNotResponsible {
            field: "supporting_units",
            unit: OUTSIDE
        }
    );
}

#[test]
fn dispatch_to_a_unit_that_does_not_handle_the_category_is_refused() {
    let story = Story::in_state(CaseState::Triaged);
    let err = story.decide(&dispatch(&story, LABOUR_ONLY, vec![]), &dispatcher());
    assert_eq!(
        err,
        Err(DomainError::UnitNotResponsible {
            field: "lead_unit",
            unit: LABOUR_ONLY
        })
    );
}

#[test]
fn dispatch_to_an_unknown_unit_is_refused() {
    let story = Story::in_state(CaseState::Triaged);
    let err = story
        .decide(&dispatch(&story, UNKNOWN, vec![]), &dispatcher())
        .expect_err("unknown");
    assert_eq!(
        (err.code(), err.field()),
        ("unknown_unit", Some("lead_unit"))
    );
    let err = story
        .decide(&dispatch(&story, LEAD, vec![UNKNOWN]), &dispatcher())
        .expect_err("unknown");
    assert_eq!(
        (err.code(), err.field()),
        ("unknown_unit", Some("supporting_units"))
    );
}

#[test]
fn dispatch_due_now_or_in_the_past_is_refused() {
    let story = Story::in_state(CaseState::Triaged);
    for due_at in [story.now(), story.now() - Duration::hours(1)] {
        let command = Command::Dispatch {
            lead_unit: LEAD,
            supporting_units: vec![],
            due_at,
            note: None,
        };
        let err = story.decide(&command, &dispatcher()).expect_err("past");
        assert_eq!(
            (err.code(), err.field()),
            ("due_in_the_past", Some("due_at"))
        );
    }
}

#[test]
fn the_lead_unit_cannot_also_be_a_supporting_unit() {
    let story = Story::in_state(CaseState::Triaged);
    let err = story
        .decide(
            &dispatch(&story, LEAD, vec![SUPPORT_A, LEAD]),
            &dispatcher(),
        )
        .expect_err("lead");
    assert_eq!(
        (err.code(), err.field()),
        ("lead_unit_also_supporting", Some("supporting_units"))
    );
}

#[test]
fn a_supporting_unit_named_twice_is_refused() {
    let story = Story::in_state(CaseState::Triaged);
    let err = story
        .decide(
            &dispatch(&story, LEAD, vec![SUPPORT_A, SUPPORT_A]),
            &dispatcher(),
        )
        .expect_err("dup");
    assert_eq!(
        (err.code(), err.field()),
        ("duplicate_unit", Some("supporting_units"))
    );
}

#[test]
fn a_refused_command_changes_nothing() {
    let mut story = Story::in_state(CaseState::InProgress);
    let before = story.clone();
    let err = story.attempt(
        &sample(CommandKind::Resolve, story.now()),
        &actor_for(CommandKind::Resolve),
    );
    assert!(err.is_err());
    assert_eq!(story.case, before.case);
    assert_eq!(story.events, before.events);
}

#[test]
fn every_event_names_the_case_the_actor_and_the_time() {
    let story = Story::in_state(CaseState::Archived);
    let mut previous = None;
    for event in &story.events {
        assert_eq!(event.case_id, story.case.id);
        assert!(
            previous.is_none_or(|at| at < event.at),
            "time moves forward"
        );
        previous = Some(event.at);
    }
    let last = story.events.last().expect("events");
    assert_eq!(
        (last.actor, last.role),
        (dispatcher().user, dispatcher().role)
    );
    assert_eq!(story.case.updated_at, last.at);
}

#[test]
fn triage_under_a_policy_sets_the_deadlines_and_records_the_version() {
    use hezhi_domain::deadline::{DeadlinePolicy, Span};
    use hezhi_domain::{DeadlineContext, WorkingCalendar, decide_with, evolve};
    let story = crate::fixture::Story::in_state(hezhi_domain::CaseState::Accepted);
    let calendar = WorkingCalendar::china().expect("calendar");
    let mut policy = DeadlinePolicy::defaults();
    policy.version = 4;
    let context = DeadlineContext {
        policy: &policy,
        calendar: &calendar,
    };
    let triage = crate::fixture::sample(hezhi_domain::CommandKind::Triage, story.now());
    let events = decide_with(
        &story.case,
        &triage,
        &crate::fixture::dispatcher(),
        story.now(),
        &[],
        Some(context),
    )
    .expect("triaged");
    let case = evolve(Some(story.case.clone()), &events[0]).expect("evolves");
    assert_eq!(case.policy_version, Some(4));
    let rule = policy.rules[4].clone();
    assert_eq!(
        rule.handling,
        Span::Days(30),
        "the fixture triages a yellow dispute"
    );
    assert_eq!(
        case.due_at,
        Some(story.case.reported_at + Duration::days(30))
    );
    assert!(
        case.response_due_at
            .is_some_and(|at| at > story.case.reported_at)
    );

    // Without a policy only a promised date is set; a calendar that covers no year refuses
    // any span in working days.
    let plain = decide_with(
        &story.case,
        &triage,
        &crate::fixture::dispatcher(),
        story.now(),
        &[],
        None,
    )
    .expect("triaged");
    let case = evolve(Some(story.case.clone()), &plain[0]).expect("evolves");
    assert_eq!((case.policy_version, case.due_at), (None, None));
    let empty = WorkingCalendar::default();
    let refused = decide_with(
        &story.case,
        &triage,
        &crate::fixture::dispatcher(),
        story.now(),
        &[],
        Some(DeadlineContext {
            policy: &policy,
            calendar: &empty,
        }),
    );
    assert!(matches!(
        refused,
        Err(hezhi_domain::DomainError::CalendarNotCovered(_))
    ));
}

#[test]
fn a_case_is_extended_at_most_twice() {
    use hezhi_domain::{CommandKind as C, DomainError};
    let mut story = crate::fixture::Story::in_state(hezhi_domain::CaseState::InProgress);
    for _ in 0..2 {
        story.step_sample(C::RequestExtension);
        story.step_sample(C::ApproveExtension);
    }
    assert_eq!(story.case.extensions_granted, 2);
    let third = crate::fixture::sample(C::RequestExtension, story.now());
    let refused = story.decide(&third, &crate::fixture::actor_for(C::RequestExtension));
    assert_eq!(
        refused,
        Err(DomainError::ExtensionLimitReached { limit: 2 })
    );
    assert_eq!(
        DomainError::ExtensionLimitReached { limit: 2 }.code(),
        "extension_limit_reached"
    );
}
