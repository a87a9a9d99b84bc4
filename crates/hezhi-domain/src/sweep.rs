//! What the deadline sweeper does to one case at one time: warn when the policy's share of
//! the time to the deadline has passed, and when the deadline passes with the case open, mark
//! it overdue and escalate it one level up the region tree (village → town → county …), to the
//! supervisors of that level. Each is raised once per deadline: the case remembers the
//! deadline it was warned about and the one it was found overdue at, so a sweep repeated,
//! crashed halfway or run by two servers raises nothing twice. An extension moves the deadline
//! and arms both again.
//!
//! [`next_sweep_at`] tells the store when a case must next be looked at, so that a sweep reads
//! only the cases coming due, however many cases are stored.

use crate::actor::Role;
use crate::case::Case;
use crate::deadline::DEFAULT_WARNING_PERCENT;
use crate::ids::UserId;
use crate::lifecycle::{Event, EventKind, handling_level};
use chrono::{DateTime, Duration, Utc};

/// The actor of the sweeper's events: the platform itself (nil user, [`Role::System`]).
pub fn system_actor() -> (UserId, Role) {
    (UserId::from_uuid(uuid::Uuid::nil()), Role::System)
}

/// When the warning about a deadline whose time started at `start` falls due.
fn warn_at(case: &Case, start: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
    let percent = i64::from(case.warning_percent.unwrap_or(DEFAULT_WARNING_PERCENT));
    let span = due - start;
    start + Duration::milliseconds(span.num_milliseconds() * percent / 100)
}

/// When the sweeper must next look at `case`: its warning time, then its deadline; `None`
/// when it runs against no deadline now (closed, not yet given one, or its clock stopped),
/// or was found overdue at its current deadline. The deadline is that of the stage the case
/// is in ([`Case::deadline`]): handling, then verification, then follow-up.
pub fn next_sweep_at(case: &Case) -> Option<DateTime<Utc>> {
    let (start, due) = case.deadline()?;
    if case.overdue_for == Some(due) {
        None
    } else if case.warned_for == Some(due) {
        Some(due)
    } else {
        Some(warn_at(case, start, due).min(due))
    }
}

/// The events the sweeper appends to `case` at `now`: none, a warning, or the overdue
/// notice and the escalation it brings (when a level above remains).
pub fn sweep(case: &Case, now: DateTime<Utc>) -> Vec<Event> {
    let Some(at) = next_sweep_at(case) else {
        return Vec::new();
    };
    let Some((_, due)) = case.deadline() else {
        return Vec::new();
    };
    if now < at {
        return Vec::new();
    }
    let mut kinds = Vec::new();
    if now >= due {
        kinds.push(EventKind::Overdue { due_at: due });
        let current = case
            .escalated_to
            .clone()
            .unwrap_or_else(|| handling_level(case));
        if let Some(to) = current.parent() {
            kinds.push(EventKind::Escalated {
                to,
                reason: "逾期未办结，自动提级督办 (overdue: escalated by the deadline sweeper)"
                    .to_owned(),
            });
        }
    } else {
        kinds.push(EventKind::DeadlineWarned { due_at: due });
    }
    let (actor, role) = system_actor();
    kinds
        .into_iter()
        .zip(1u32..)
        .map(|(kind, n)| Event {
            case_id: case.id,
            sequence: case.version + n,
            at: now,
            actor,
            role,
            kind,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseKind, CaseNumber, CategoryCode, Channel, NewCase, TrackingCode};
    use crate::ids::CaseId;
    use crate::lifecycle::{CaseState, evolve};
    use crate::region::RegionCode;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
            + Duration::hours(hours)
    }

    /// A case reported at hour 0, in progress, due at hour 24.
    fn case_due_at(hours: i64) -> Case {
        let reported = Event {
            case_id: CaseId::from_uuid(uuid::Uuid::from_u128(7)),
            sequence: 1,
            at: at(0),
            actor: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            role: Role::IntakeClerk,
            kind: EventKind::Reported {
                number: CaseNumber::new(RegionCode::parse("370811").expect("county"), 2026, 1),
                tracking_code: TrackingCode::from_random(1),
                case: NewCase {
                    kind: CaseKind::Dispute,
                    category: CategoryCode::parse("neighbour").expect("code"),
                    channel: Channel::Window,
                    region: RegionCode::parse("370811002001001").expect("grid"),
                    address: None,
                    position: None,
                    title: "漏水".into(),
                    description: "楼上漏水".into(),
                    parties: Vec::new(),
                    amount_yuan: None,
                    people_involved: None,
                    case_leader: None,
                },
            },
        };
        let mut case = evolve(None, &reported).expect("a case");
        case.state = CaseState::InProgress;
        case.due_at = Some(at(hours));
        case
    }

    fn apply(case: &Case, events: &[Event]) -> Case {
        events
            .iter()
            .fold(case.clone(), |c, e| evolve(Some(c), e).expect("applies"))
    }

    #[test]
    fn a_case_is_warned_at_three_quarters_then_found_overdue_and_escalated_once_each() {
        let case = case_due_at(24);
        assert_eq!(next_sweep_at(&case), Some(at(18)), "75% of 24 hours");
        assert!(sweep(&case, at(17)).is_empty());

        let warned = sweep(&case, at(18));
        assert_eq!(warned.len(), 1);
        assert_eq!(warned[0].kind, EventKind::DeadlineWarned { due_at: at(24) });
        assert_eq!(
            (warned[0].role, warned[0].sequence),
            (Role::System, case.version + 1)
        );
        let case = apply(&case, &warned);
        assert_eq!(next_sweep_at(&case), Some(at(24)));
        assert!(sweep(&case, at(20)).is_empty(), "warned once");

        let overdue = sweep(&case, at(30));
        let kinds: Vec<&str> = overdue.iter().map(|e| e.kind.name()).collect();
        assert_eq!(kinds, ["overdue", "escalated"]);
        let case = apply(&case, &overdue);
        assert_eq!(
            case.escalated_to.as_ref().map(RegionCode::as_str),
            Some("370811")
        );
        assert_eq!(next_sweep_at(&case), None);
        assert!(sweep(&case, at(100)).is_empty(), "overdue once");

        // An extension moves the deadline: both are armed again.
        let mut extended = case.clone();
        extended.due_at = Some(at(72));
        assert_eq!(next_sweep_at(&extended), Some(at(54)));
        let again = sweep(&extended, at(80));
        let kinds: Vec<&str> = again.iter().map(|e| e.kind.name()).collect();
        assert_eq!(kinds, ["overdue", "escalated"]);
        let escalated = apply(&extended, &again);
        assert_eq!(
            escalated.escalated_to.as_ref().map(RegionCode::as_str),
            Some("3708")
        );
    }

    #[test]
    fn a_closed_case_or_one_without_a_deadline_is_never_swept() {
        let mut closed = case_due_at(24);
        closed.state = CaseState::Resolved;
        assert_eq!(next_sweep_at(&closed), None);
        assert!(sweep(&closed, at(48)).is_empty());
        let mut open = case_due_at(24);
        open.due_at = None;
        assert_eq!(next_sweep_at(&open), None);
    }

    #[test]
    fn the_warning_share_comes_from_the_case() {
        let mut case = case_due_at(100);
        case.warning_percent = Some(50);
        assert_eq!(next_sweep_at(&case), Some(at(50)));
        // A case found overdue before its warning ran is only found overdue.
        let events = sweep(&case_due_at(10), at(11));
        assert_eq!(events[0].kind, EventKind::Overdue { due_at: at(10) });
    }
}
