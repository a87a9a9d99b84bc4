//! What a case adds to the indicators over its life, and how the rollups follow a change.

use crate::fixture::{Story, actor_for, region};
use chrono::NaiveDate;
use hezhi_domain::indicators::{Tally, contributions, rollup_changes};
use hezhi_domain::{CaseState, Command, CommandKind as C, Outcome, Satisfaction};

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

/// The tally of a case summed over all its days.
fn total(story: &Story) -> Tally {
    let mut total = Tally::default();
    for (_, tally) in contributions(&story.case) {
        total += tally;
    }
    total
}

#[test]
fn a_mediated_dispute_counts_once_in_each_count_on_the_day_it_happened() {
    let story = Story::in_state(CaseState::FollowedUp);
    let days = contributions(&story.case);
    // Reported 2026-01-05 09:00 China time; each later step an hour after the one before,
    // so everything falls on that day except the deadline, seven days after dispatch.
    assert_eq!(
        days.iter().map(|(d, _)| *d).collect::<Vec<_>>(),
        vec![day("2026-01-05"), day("2026-01-12")]
    );
    let t = total(&story);
    assert_eq!(
        (
            t.reported,
            t.dispatched,
            t.mediations,
            t.closed,
            t.mediations_settled
        ),
        (1, 1, 1, 1, 1)
    );
    assert_eq!(
        (t.due_for_closure, t.closed_of_due, t.closed_on_time),
        (1, 1, 1)
    );
    assert_eq!((t.followed_up, t.first_contact, t.reworked), (1, 0, 0));
    assert_eq!(t.satisfied + t.basically_satisfied, 1);
    assert_eq!((t.resolved_locally, t.people, t.screened), (1, 2, 0));
    assert_eq!(days[1].1.due_for_closure, 1, "due on the deadline's day");
}

#[test]
fn a_late_resolution_is_closed_but_not_on_time_and_rework_is_counted() {
    let mut story = Story::in_state(CaseState::InProgress);
    story.confirm_all_parts();
    // Resolve eight days later: after the seven-day deadline.
    story.case.updated_at += chrono::Duration::days(8);
    story.step_sample(C::Resolve);
    story.step_sample(C::Rework);
    story.step_sample(C::Resolve);
    let t = total(&story);
    assert_eq!((t.closed, t.closed_of_due, t.closed_on_time), (1, 1, 0));
    assert_eq!(t.reworked, 1);
}

#[test]
fn a_first_contact_resolution_is_due_and_closed_on_time_the_same_day() {
    let mut story = Story::reported();
    story.step(
        &Command::ResolveAtFirstContact {
            outcome: Outcome::Settled,
            note: "当场调解".to_owned(),
        },
        &actor_for(C::ResolveAtFirstContact),
    );
    let t = total(&story);
    assert_eq!((t.first_contact, t.closed, t.closed_on_time), (1, 1, 1));
    assert_eq!((t.mediations, t.mediations_settled), (1, 1));
    assert_eq!(t.dispatched, 0);
}

#[test]
fn rollup_changes_take_away_the_old_days_and_add_the_new_ones_on_every_level_above() {
    let mut story = Story::in_state(CaseState::Dispatched);
    let before = story.case.clone();
    story.step_sample(C::Acknowledge);
    // Nothing counted moves on acknowledgement.
    assert!(rollup_changes(Some(&before), &story.case).is_empty());

    let before = story.case.clone();
    story.step_sample(C::RequestExtension);
    story.step_sample(C::ApproveExtension);
    let changes = rollup_changes(Some(&before), &story.case);
    // The deadline moved: −1 due on the old day, +1 on the new, on village, town, county,
    // city and province.
    assert_eq!(changes.len(), 10);
    let due = Tally::FIELDS
        .iter()
        .position(|f| *f == "due_for_closure")
        .expect("field");
    let villages: Vec<_> = changes
        .iter()
        .filter(|c| c.region == region("370811002001"))
        .map(|c| (c.day, c.counts[due]))
        .collect();
    assert_eq!(villages.len(), 2);
    assert_eq!(villages[0].1 + villages[1].1, 0);
    assert!(changes.iter().any(|c| c.region == region("37")));

    // A new case adds its report on every level.
    let fresh = Story::reported();
    let changes = rollup_changes(None, &fresh.case);
    assert_eq!(changes.len(), 5);
    assert!(changes.iter().all(|c| c.counts[0] == 1));
}

#[test]
fn satisfaction_counts_only_the_followed_up_rating() {
    let mut story = Story::in_state(CaseState::Verified);
    story.step(
        &Command::FollowUp {
            satisfaction: Satisfaction::BasicallySatisfied,
            note: None,
        },
        &actor_for(C::FollowUp),
    );
    let t = total(&story);
    assert_eq!(
        (t.followed_up, t.satisfied, t.basically_satisfied),
        (1, 0, 1)
    );
}
