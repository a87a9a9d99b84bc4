//! A small world to drive cases through: one village in town 370811002, units of county
//! 370811, actors of every role, and a case in each state reached by real steps.

use chrono::{DateTime, Duration, Utc};
use hezhi_domain::{
    Actor, Case, CaseId, CaseKind, CaseNumber, CaseState, CategoryCode, Channel, Command,
    CommandKind, Complexity, DomainError, Event, NewCase, Outcome, Party, PartyRole,
    ReferralChannel, RegionCode, Role, Satisfaction, TrackingCode, UnitId, UnitKind, UnitSnapshot,
    Urgency, UserId, decide, evolve, report,
};
use uuid::Uuid;

/// The village the case is reported in.
pub const VILLAGE: &str = "370811002001";
/// The town every region-bound actor is scoped to.
pub const TOWN: &str = "370811002";
/// The county the units are responsible for.
pub const COUNTY: &str = "370811";

pub const LEAD: UnitId = unit_id(0x10);
pub const SUPPORT_A: UnitId = unit_id(0x11);
pub const SUPPORT_B: UnitId = unit_id(0x12);
/// A unit of the neighbouring county.
pub const OUTSIDE: UnitId = unit_id(0x13);
/// A unit of the right county that only handles labour disputes.
pub const LABOUR_ONLY: UnitId = unit_id(0x14);
/// An id no snapshot is given for.
pub const UNKNOWN: UnitId = unit_id(0x99);

/// The resident who reports the case.
pub const REPORTER: UserId = UserId::from_uuid(Uuid::from_u128(0x1));
/// Another resident.
pub const NEIGHBOUR: UserId = UserId::from_uuid(Uuid::from_u128(0x2));
/// Every staff member in these tests.
pub const STAFF: UserId = UserId::from_uuid(Uuid::from_u128(0x3));

const fn unit_id(n: u128) -> UnitId {
    UnitId::from_uuid(Uuid::from_u128(n))
}

pub fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("region code")
}

pub fn category(code: &str) -> CategoryCode {
    CategoryCode::parse(code).expect("category code")
}

/// When the case is reported: a Monday morning, China time.
pub fn start() -> DateTime<Utc> {
    "2026-01-05T01:00:00Z".parse().expect("time")
}

pub fn units() -> Vec<UnitSnapshot> {
    let unit = |id, code: &str, categories: &[&str]| UnitSnapshot {
        id,
        region: region(code),
        kind: UnitKind::Department,
        categories: categories.iter().map(|c| category(c)).collect(),
    };
    vec![
        unit(LEAD, COUNTY, &["neighbour"]),
        unit(SUPPORT_A, COUNTY, &["neighbour", "labour"]),
        unit(SUPPORT_B, COUNTY, &[]),
        unit(OUTSIDE, "370812", &[]),
        unit(LABOUR_ONLY, COUNTY, &["labour"]),
    ]
}

/// A staff member of `role` scoped to the town, or, for unit-bound roles, to the lead unit.
pub fn staff(role: Role) -> Actor {
    if role.is_unit_bound() {
        return handler_of(LEAD);
    }
    Actor {
        user: STAFF,
        role,
        region: Some(region(TOWN)),
        unit: None,
    }
}

/// A staff member of `role` scoped to the region `code`.
pub fn staff_in(role: Role, code: &str) -> Actor {
    Actor {
        user: STAFF,
        role,
        region: Some(region(code)),
        unit: None,
    }
}

pub fn handler_of(unit: UnitId) -> Actor {
    Actor {
        user: STAFF,
        role: Role::UnitHandler,
        region: None,
        unit: Some(unit),
    }
}

pub fn resident(user: UserId) -> Actor {
    Actor {
        user,
        role: Role::Resident,
        region: None,
        unit: None,
    }
}

pub fn clerk() -> Actor {
    staff(Role::IntakeClerk)
}
pub fn dispatcher() -> Actor {
    staff(Role::Dispatcher)
}
pub fn grid_worker() -> Actor {
    staff(Role::GridWorker)
}
pub fn supervisor() -> Actor {
    staff(Role::Supervisor)
}

/// An actor of a role that may issue `kind`, with the scope to do it on the fixture case.
pub fn actor_for(kind: CommandKind) -> Actor {
    use CommandKind as C;
    match kind {
        C::Report | C::FollowUp => resident(REPORTER),
        C::Accept | C::Decline | C::ResolveAtFirstContact => clerk(),
        C::Triage
        | C::Dispatch
        | C::ApproveExtension
        | C::RefuseExtension
        | C::Escalate
        | C::Archive => dispatcher(),
        C::Acknowledge
        | C::Return
        | C::RequestExtension
        | C::Resolve
        | C::PauseClock
        | C::ResumeClock => handler_of(LEAD),
        C::ConfirmPart => handler_of(SUPPORT_A),
        C::Supervise => supervisor(),
        C::Verify | C::Rework | C::Attach => grid_worker(),
    }
}

pub fn new_case() -> NewCase {
    NewCase {
        kind: CaseKind::Dispute,
        category: category("neighbour"),
        channel: Channel::Window,
        region: region(VILLAGE),
        address: Some("东关村三组".to_owned()),
        position: None,
        title: "邻里排水纠纷".to_owned(),
        description: "两户因院墙排水问题发生争执".to_owned(),
        parties: vec![
            Party::parse(
                PartyRole::Applicant,
                "陈某某",
                Some("13800131234"),
                None,
                None,
            )
            .expect("party"),
        ],
        amount_yuan: None,
        people_involved: Some(2),
        case_leader: None,
    }
}

/// A valid command of `kind` for the fixture case at `now` (`Report` has no command).
pub fn sample(kind: CommandKind, now: DateTime<Utc>) -> Command {
    use CommandKind as C;
    match kind {
        C::Report => panic!("a report is not a command"),
        C::Accept => Command::Accept { note: None },
        C::Decline => Command::Decline {
            reason: "属于劳动仲裁受理范围".to_owned(),
            suggested_channel: ReferralChannel::Arbitration,
        },
        C::ResolveAtFirstContact => Command::ResolveAtFirstContact {
            outcome: Outcome::Handled,
            note: "当场解答".to_owned(),
        },
        C::Triage => Command::Triage {
            kind: CaseKind::Dispute,
            category: category("neighbour"),
            complexity: Complexity::Complex,
            urgency: Urgency::Yellow,
            reason: None,
            case_leader: None,
            promised_due_at: None,
        },
        C::Dispatch => Command::Dispatch {
            lead_unit: LEAD,
            supporting_units: vec![SUPPORT_A, SUPPORT_B],
            due_at: now + Duration::days(7),
            note: None,
        },
        C::Acknowledge => Command::Acknowledge { note: None },
        C::Return => Command::Return {
            reason: "不属于本单位职责".to_owned(),
        },
        C::ConfirmPart => Command::ConfirmPart { note: None },
        C::RequestExtension => Command::RequestExtension {
            until: now + Duration::days(30),
            reason: "需要现场测量".to_owned(),
        },
        C::ApproveExtension => Command::ApproveExtension { note: None },
        C::RefuseExtension => Command::RefuseExtension {
            note: "期限足够".to_owned(),
        },
        C::Supervise => Command::Supervise {
            note: "请加快办理".to_owned(),
        },
        C::Escalate => Command::Escalate {
            reason: "涉及多个乡镇".to_owned(),
        },
        C::Resolve => Command::Resolve {
            outcome: Outcome::Settled,
            note: "双方达成调解协议".to_owned(),
            referral: None,
        },
        C::PauseClock => Command::PauseClock {
            reason: hezhi_domain::deadline::PauseReason::AwaitingParty,
            note: "当事人外出务工，约定返乡后再调解".to_owned(),
        },
        C::ResumeClock => Command::ResumeClock { note: None },
        C::Verify => Command::Verify { note: None },
        C::Rework => Command::Rework {
            reason: "排水沟未修复".to_owned(),
        },
        C::FollowUp => Command::FollowUp {
            satisfaction: Satisfaction::Satisfied,
            note: None,
        },
        C::Archive => Command::Archive {},
        C::Attach => Command::Attach {
            digest: hezhi_domain::ContentDigest::parse(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            )
            .expect("a valid digest"),
            name: "现场照片.jpg".to_owned(),
        },
    }
}

/// A case and its history, advanced one hour per command.
#[derive(Debug, Clone)]
pub struct Story {
    pub events: Vec<Event>,
    pub case: Case,
}

impl Story {
    /// A case just reported by a resident.
    pub fn reported() -> Story {
        let id = CaseId::compose(1_767_574_800_000, &region(VILLAGE), [7; 10]);
        let number = CaseNumber::new(region(COUNTY), 2026, 1);
        let event = report(
            id,
            number,
            TrackingCode::from_random(123_456_789),
            new_case(),
            &resident(REPORTER),
            start(),
        )
        .expect("a resident may report");
        let case = evolve(None, &event).expect("a report starts a case");
        Story {
            events: vec![event],
            case,
        }
    }

    /// A case in `state`, reached from a report by the shortest ordinary path.
    /// An in-progress case still waits for both supporting units.
    pub fn in_state(state: CaseState) -> Story {
        use CaseState as S;
        use CommandKind as C;
        let path: &[CommandKind] = match state {
            S::Reported => &[],
            S::Accepted => &[C::Accept],
            S::Declined => &[C::Decline],
            S::Triaged => &[C::Accept, C::Triage],
            S::Dispatched => &[C::Accept, C::Triage, C::Dispatch],
            S::InProgress => &[C::Accept, C::Triage, C::Dispatch, C::Acknowledge],
            S::Resolved => &[
                C::Accept,
                C::Triage,
                C::Dispatch,
                C::Acknowledge,
                C::Resolve,
            ],
            S::Verified => &[
                C::Accept,
                C::Triage,
                C::Dispatch,
                C::Acknowledge,
                C::Resolve,
                C::Verify,
            ],
            S::FollowedUp => &[
                C::Accept,
                C::Triage,
                C::Dispatch,
                C::Acknowledge,
                C::Resolve,
                C::Verify,
                C::FollowUp,
            ],
            S::Archived => &[
                C::Accept,
                C::Triage,
                C::Dispatch,
                C::Acknowledge,
                C::Resolve,
                C::Verify,
                C::FollowUp,
                C::Archive,
            ],
        };
        let mut story = Story::reported();
        for kind in path {
            if *kind == C::Resolve {
                story.confirm_all_parts();
            }
            story.step_sample(*kind);
        }
        assert_eq!(story.case.state, state, "the fixture path reaches {state}");
        story
    }

    /// The time of the next command.
    pub fn now(&self) -> DateTime<Utc> {
        self.case.updated_at + Duration::hours(1)
    }

    /// What `decide` says about `command` now, without applying it.
    pub fn decide(&self, command: &Command, actor: &Actor) -> Result<Vec<Event>, DomainError> {
        decide(&self.case, command, actor, self.now(), &units())
    }

    /// Decides and applies `command`, or leaves the story unchanged and returns the error.
    pub fn attempt(&mut self, command: &Command, actor: &Actor) -> Result<&Case, DomainError> {
        let events = self.decide(command, actor)?;
        for event in events {
            self.case = evolve(Some(self.case.clone()), &event).expect("a decided event applies");
            self.events.push(event);
        }
        Ok(&self.case)
    }

    /// Applies `command`, which must be accepted.
    pub fn step(&mut self, command: &Command, actor: &Actor) -> &Case {
        let kind = command.kind();
        let state = self.case.state;
        self.attempt(command, actor)
            .unwrap_or_else(|e| panic!("{kind} in {state} was refused: {e:?}"))
    }

    /// Applies the sample command of `kind` issued by [`actor_for`] it.
    pub fn step_sample(&mut self, kind: CommandKind) -> &Case {
        let command = sample(kind, self.now());
        self.step(&command, &actor_for(kind))
    }

    pub fn confirm_all_parts(&mut self) {
        let pending: Vec<UnitId> = self
            .case
            .assignment
            .iter()
            .flat_map(|a| &a.supporting)
            .filter(|p| p.confirmed_at.is_none())
            .map(|p| p.unit)
            .collect();
        for unit in pending {
            self.step(&Command::ConfirmPart { note: None }, &handler_of(unit));
        }
    }
}
