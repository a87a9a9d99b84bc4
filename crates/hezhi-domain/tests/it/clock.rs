//! The handling clock stops where the policy allows and every stop shows on the case; the
//! verification and follow-up stages get deadlines of their own, which the sweeper watches.

use crate::fixture::{Story, actor_for, sample};
use chrono::Duration;
use hezhi_domain::deadline::{DeadlineKey, DeadlinePolicy, PauseReason};
use hezhi_domain::sweep::{next_sweep_at, sweep};
use hezhi_domain::{
    CaseState, Command, CommandKind as C, DeadlineContext, DomainError, EventKind, WorkingCalendar,
    decide_with, evolve,
};

#[test]
fn a_stopped_clock_moves_the_deadline_by_its_length_and_stays_on_the_case() {
    let mut story = Story::in_state(CaseState::InProgress);
    let due = story.case.due_at.expect("a deadline from dispatch");
    assert!(next_sweep_at(&story.case).is_some());
    story.step_sample(C::PauseClock);
    let since = story.case.updated_at;
    let pause = story.case.clock_paused.clone().expect("stopped");
    assert_eq!(
        (pause.reason, pause.since, pause.until),
        (PauseReason::AwaitingParty, since, None)
    );
    // While it stands still the sweeper has nothing to do, however late it gets.
    assert_eq!(next_sweep_at(&story.case), None);
    assert!(sweep(&story.case, due + Duration::days(30)).is_empty());
    // A second stop is refused.
    let again = story.decide(
        &sample(C::PauseClock, story.now()),
        &actor_for(C::PauseClock),
    );
    assert_eq!(again, Err(DomainError::ClockAlreadyPaused));

    // Three days later it runs again: the deadline is three days (and the hour the next
    // command takes) later.
    story.case.updated_at += Duration::days(3);
    story.step_sample(C::ResumeClock);
    let stood = story.case.updated_at - since;
    assert_eq!(story.case.due_at, Some(due + stood));
    assert_eq!(
        story.case.assignment.as_ref().map(|a| a.due_at),
        Some(due + stood)
    );
    assert_eq!(story.case.clock_paused, None);
    assert_eq!(story.case.pauses.len(), 1);
    assert_eq!(story.case.pauses[0].until, Some(story.case.updated_at));
    assert!(matches!(
        story.events.last().map(|e| &e.kind),
        Some(EventKind::ClockResumed {
            due_at: Some(_),
            ..
        })
    ));
    // Nothing to resume now.
    let resume = story.decide(
        &sample(C::ResumeClock, story.now()),
        &actor_for(C::ResumeClock),
    );
    assert_eq!(resume, Err(DomainError::ClockNotPaused));
}

#[test]
fn a_reason_the_policy_does_not_list_is_refused_and_resolution_ends_a_stop() {
    let mut story = Story::in_state(CaseState::InProgress);
    let calendar = WorkingCalendar::china().expect("calendar");
    let mut policy = DeadlinePolicy::defaults();
    policy.pausable = vec![PauseReason::Appraisal];
    let context = DeadlineContext {
        policy: &policy,
        calendar: &calendar,
    };
    let waiting = sample(C::PauseClock, story.now());
    let refused = decide_with(
        &story.case,
        &waiting,
        &actor_for(C::PauseClock),
        story.now(),
        &[],
        Some(context),
    );
    assert_eq!(refused, Err(DomainError::PauseNotAllowed));
    assert_eq!(DomainError::PauseNotAllowed.code(), "pause_not_allowed");
    // The default policy does not stop clocks while another authority decides.
    let authority = Command::PauseClock {
        reason: PauseReason::AwaitingAuthority,
        note: "等待法院裁定".into(),
    };
    assert_eq!(
        story.decide(&authority, &actor_for(C::PauseClock)),
        Err(DomainError::PauseNotAllowed)
    );

    story.step_sample(C::PauseClock);
    story.confirm_all_parts();
    story.step_sample(C::Resolve);
    assert_eq!(story.case.clock_paused, None);
    assert_eq!(
        story.case.pauses.len(),
        1,
        "the stop ends with the resolution"
    );
}

#[test]
fn verification_and_follow_up_run_against_deadlines_the_sweeper_watches() {
    let mut story = Story::in_state(CaseState::InProgress);
    story.confirm_all_parts();
    let calendar = WorkingCalendar::china().expect("calendar");
    let policy = DeadlinePolicy::defaults();
    let context = Some(DeadlineContext {
        policy: &policy,
        calendar: &calendar,
    });
    let step = |story: &mut Story, kind: C| {
        let now = story.now();
        let events = decide_with(
            &story.case,
            &sample(kind, now),
            &actor_for(kind),
            now,
            &[],
            context,
        )
        .expect("decided");
        for event in events {
            story.case = evolve(Some(story.case.clone()), &event).expect("evolves");
            story.events.push(event);
        }
    };
    step(&mut story, C::Resolve);
    let resolved_at = story.case.resolved_at.expect("resolved");
    let verify_due = story.case.verify_due_at.expect("a verification deadline");
    // The fixture is a yellow dispute: its rule's verification span, from the resolution.
    let key = DeadlineKey {
        urgency: story.case.urgency,
        kind: story.case.data.kind,
        category: &story.case.data.category,
        level: story.case.data.region.level(),
    };
    let rule = policy.rule_for(&key).expect("a rule").clone();
    assert_eq!(
        Some(verify_due),
        rule.verification
            .end(resolved_at, &calendar)
            .expect("covered")
    );
    assert_eq!(story.case.deadline(), Some((resolved_at, verify_due)));
    assert!(next_sweep_at(&story.case).is_some_and(|at| at > resolved_at && at < verify_due));
    let late = sweep(&story.case, verify_due + Duration::hours(1));
    assert!(
        matches!(late.first().map(|e| &e.kind), Some(EventKind::Overdue { due_at }) if *due_at == verify_due),
        "{late:?}"
    );

    step(&mut story, C::Verify);
    let verified_at = story.case.verified_at.expect("verified");
    let follow_up_due = story.case.follow_up_due_at.expect("a follow-up deadline");
    assert_eq!(
        Some(follow_up_due),
        rule.follow_up.end(verified_at, &calendar).expect("covered")
    );
    assert_eq!(story.case.deadline(), Some((verified_at, follow_up_due)));
    step(&mut story, C::FollowUp);
    assert_eq!(story.case.deadline(), None);
    assert_eq!(next_sweep_at(&story.case), None);
}
