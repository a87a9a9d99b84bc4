//! The closed loop (闭环): commands in, events out, and the projection of a case from its
//! events.
//!
//! [`decide`] is the only place a case changes: it checks the command against the state, the
//! actor and the case, and returns the events to append. [`evolve`] folds one event into the
//! case. Both are pure; the caller supplies the time and any units the command names.

use crate::actor::{Actor, Role};
use crate::attachment::{ContentDigest, check_attachment_name};
use crate::calendar::{CalendarError, WorkingCalendar};
use crate::case::{
    Assignment, Case, CaseKind, CaseNumber, CategoryCode, ClockPause, Complexity, ExtensionRequest,
    NOTE_MAX_CHARS, NewCase, Outcome, ReferralChannel, Satisfaction, SupportingPart, TrackingCode,
    Urgency, check_text,
};
use crate::deadline::{DeadlineKey, DeadlinePolicy, DeadlineRule, PauseReason, Span};
use crate::error::{DomainError, ValidationError};
use crate::ids::{CaseId, UnitId, UserId};
use crate::region::{RegionCode, RegionLevel};
use crate::unit::UnitSnapshot;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Reported,
    Accepted,
    Declined,
    Triaged,
    Dispatched,
    InProgress,
    Resolved,
    Verified,
    FollowedUp,
    Archived,
}

impl CaseState {
    pub const ALL: [CaseState; 10] = [
        CaseState::Reported,
        CaseState::Accepted,
        CaseState::Declined,
        CaseState::Triaged,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Resolved,
        CaseState::Verified,
        CaseState::FollowedUp,
        CaseState::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Reported => "reported",
            CaseState::Accepted => "accepted",
            CaseState::Declined => "declined",
            CaseState::Triaged => "triaged",
            CaseState::Dispatched => "dispatched",
            CaseState::InProgress => "in_progress",
            CaseState::Resolved => "resolved",
            CaseState::Verified => "verified",
            CaseState::FollowedUp => "followed_up",
            CaseState::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<CaseState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still being handled: its deadline matters.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseState::Reported
                | CaseState::Accepted
                | CaseState::Triaged
                | CaseState::Dispatched
                | CaseState::InProgress
        )
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle command. The API names it by its snake_case tag (`POST …/{command}`) and
/// sends the fields as the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Accept {
        #[serde(default)]
        note: Option<String>,
    },
    Decline {
        reason: String,
        suggested_channel: ReferralChannel,
    },
    ResolveAtFirstContact {
        outcome: Outcome,
        note: String,
    },
    Triage {
        kind: CaseKind,
        category: CategoryCode,
        complexity: Complexity,
        urgency: Urgency,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        case_leader: Option<String>,
        /// The handling date promised to the parties, for the matters the policy leaves to a
        /// promise (orange).
        #[serde(default)]
        promised_due_at: Option<DateTime<Utc>>,
    },
    Dispatch {
        lead_unit: UnitId,
        #[serde(default)]
        supporting_units: Vec<UnitId>,
        due_at: DateTime<Utc>,
        #[serde(default)]
        note: Option<String>,
    },
    Acknowledge {
        #[serde(default)]
        note: Option<String>,
    },
    Return {
        reason: String,
    },
    ConfirmPart {
        #[serde(default)]
        note: Option<String>,
    },
    RequestExtension {
        until: DateTime<Utc>,
        reason: String,
    },
    ApproveExtension {
        #[serde(default)]
        note: Option<String>,
    },
    RefuseExtension {
        note: String,
    },
    Supervise {
        note: String,
    },
    Escalate {
        reason: String,
    },
    Resolve {
        outcome: Outcome,
        note: String,
        #[serde(default)]
        referral: Option<ReferralChannel>,
    },
    Verify {
        #[serde(default)]
        note: Option<String>,
    },
    Rework {
        reason: String,
    },
    FollowUp {
        satisfaction: Satisfaction,
        #[serde(default)]
        note: Option<String>,
    },
    Archive {},
    /// Attach a stored file (see [`crate::attachment`]); the state does not change.
    Attach {
        digest: ContentDigest,
        name: String,
    },
    /// Stop the handling clock, for a reason the policy allows (计时中止).
    PauseClock {
        reason: PauseReason,
        note: String,
    },
    /// Start it again: the deadline moves by the time it stood still.
    ResumeClock {
        #[serde(default)]
        note: Option<String>,
    },
}

/// The name of a command without its data; the transition table is keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    Report,
    Accept,
    Decline,
    ResolveAtFirstContact,
    Triage,
    Dispatch,
    Acknowledge,
    Return,
    ConfirmPart,
    RequestExtension,
    ApproveExtension,
    RefuseExtension,
    Supervise,
    Escalate,
    Resolve,
    Verify,
    Rework,
    FollowUp,
    Archive,
    Attach,
    PauseClock,
    ResumeClock,
}

impl CommandKind {
    pub const ALL: [CommandKind; 22] = [
        CommandKind::Report,
        CommandKind::Accept,
        CommandKind::Decline,
        CommandKind::ResolveAtFirstContact,
        CommandKind::Triage,
        CommandKind::Dispatch,
        CommandKind::Acknowledge,
        CommandKind::Return,
        CommandKind::ConfirmPart,
        CommandKind::RequestExtension,
        CommandKind::ApproveExtension,
        CommandKind::RefuseExtension,
        CommandKind::Supervise,
        CommandKind::Escalate,
        CommandKind::Resolve,
        CommandKind::Verify,
        CommandKind::Rework,
        CommandKind::FollowUp,
        CommandKind::Archive,
        CommandKind::Attach,
        CommandKind::PauseClock,
        CommandKind::ResumeClock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Report => "report",
            CommandKind::Accept => "accept",
            CommandKind::Decline => "decline",
            CommandKind::ResolveAtFirstContact => "resolve_at_first_contact",
            CommandKind::Triage => "triage",
            CommandKind::Dispatch => "dispatch",
            CommandKind::Acknowledge => "acknowledge",
            CommandKind::Return => "return",
            CommandKind::ConfirmPart => "confirm_part",
            CommandKind::RequestExtension => "request_extension",
            CommandKind::ApproveExtension => "approve_extension",
            CommandKind::RefuseExtension => "refuse_extension",
            CommandKind::Supervise => "supervise",
            CommandKind::Escalate => "escalate",
            CommandKind::Resolve => "resolve",
            CommandKind::Verify => "verify",
            CommandKind::Rework => "rework",
            CommandKind::FollowUp => "follow_up",
            CommandKind::Archive => "archive",
            CommandKind::Attach => "attach",
            CommandKind::PauseClock => "pause_clock",
            CommandKind::ResumeClock => "resume_clock",
        }
    }

    pub fn parse(text: &str) -> Option<CommandKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The state a case in `from` moves to under this command, or `None` when the command
    /// is not allowed there. This table is the lifecycle of DESIGN §3; `decide` consults it
    /// before anything else.
    pub fn transition(self, from: CaseState) -> Option<CaseState> {
        use CaseState as S;
        use CommandKind as C;
        match (self, from) {
            (C::Accept, S::Reported) => Some(S::Accepted),
            (C::Decline, S::Reported) => Some(S::Declined),
            (C::ResolveAtFirstContact, S::Reported | S::Accepted | S::Triaged) => Some(S::Resolved),
            (C::Triage, S::Accepted | S::Triaged) => Some(S::Triaged),
            (C::Dispatch, S::Triaged) => Some(S::Dispatched),
            (C::Acknowledge, S::Dispatched) => Some(S::InProgress),
            (C::Return, S::Dispatched) => Some(S::Triaged),
            (C::ConfirmPart, S::Dispatched | S::InProgress) => Some(from),
            (C::RequestExtension, S::Dispatched | S::InProgress) => Some(from),
            (C::ApproveExtension | C::RefuseExtension, S::Dispatched | S::InProgress) => Some(from),
            (C::Supervise | C::Escalate, s) if s.is_open() => Some(from),
            (C::Resolve, S::InProgress) => Some(S::Resolved),
            (C::Verify, S::Resolved) => Some(S::Verified),
            (C::Rework, S::Resolved) => Some(S::InProgress),
            (C::FollowUp, S::Verified) => Some(S::FollowedUp),
            (C::Archive, S::FollowedUp | S::Declined) => Some(S::Archived),
            (C::Attach, s) if s != S::Archived && s != S::Declined => Some(from),
            (C::PauseClock | C::ResumeClock, S::Dispatched | S::InProgress) => Some(from),
            _ => None,
        }
    }

    /// Whether a role may issue this command at all (before scope and unit checks).
    /// Whether a role may issue this command at all, on a case inside its scope (the
    /// command's row of the rights matrix, [`crate::access::permits`]).
    pub fn permitted_to(self, role: Role) -> bool {
        crate::access::permits(
            role,
            crate::access::Relation::Inside,
            crate::access::Action::Command(self),
        )
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Accept { .. } => CommandKind::Accept,
            Command::Decline { .. } => CommandKind::Decline,
            Command::ResolveAtFirstContact { .. } => CommandKind::ResolveAtFirstContact,
            Command::Triage { .. } => CommandKind::Triage,
            Command::Dispatch { .. } => CommandKind::Dispatch,
            Command::Acknowledge { .. } => CommandKind::Acknowledge,
            Command::Return { .. } => CommandKind::Return,
            Command::ConfirmPart { .. } => CommandKind::ConfirmPart,
            Command::RequestExtension { .. } => CommandKind::RequestExtension,
            Command::ApproveExtension { .. } => CommandKind::ApproveExtension,
            Command::RefuseExtension { .. } => CommandKind::RefuseExtension,
            Command::Supervise { .. } => CommandKind::Supervise,
            Command::Escalate { .. } => CommandKind::Escalate,
            Command::Resolve { .. } => CommandKind::Resolve,
            Command::Verify { .. } => CommandKind::Verify,
            Command::Rework { .. } => CommandKind::Rework,
            Command::FollowUp { .. } => CommandKind::FollowUp,
            Command::Archive {} => CommandKind::Archive,
            Command::Attach { .. } => CommandKind::Attach,
            Command::PauseClock { .. } => CommandKind::PauseClock,
            Command::ResumeClock { .. } => CommandKind::ResumeClock,
        }
    }

    /// The units a command names, which the caller must look up and pass to [`decide`].
    pub fn named_units(&self) -> Vec<UnitId> {
        match self {
            Command::Dispatch {
                lead_unit,
                supporting_units,
                ..
            } => std::iter::once(*lead_unit)
                .chain(supporting_units.iter().copied())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// What happened to a case. Events are appended, never edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub case_id: CaseId,
    /// 1 for the report; the case's version after this event.
    pub sequence: u32,
    pub at: DateTime<Utc>,
    pub actor: UserId,
    pub role: Role,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Reported {
        number: CaseNumber,
        tracking_code: TrackingCode,
        case: NewCase,
    },
    Accepted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Declined {
        reason: String,
        suggested_channel: ReferralChannel,
    },
    ResolvedAtFirstContact {
        outcome: Outcome,
        note: String,
    },
    Triaged {
        kind: CaseKind,
        category: CategoryCode,
        complexity: Complexity,
        urgency: Urgency,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        case_leader: Option<String>,
        /// The deadline policy version the case runs under, and the deadlines it gives.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy_version: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_due_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handling_due_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warning_percent: Option<u8>,
    },
    Dispatched {
        lead_unit: UnitId,
        supporting_units: Vec<UnitId>,
        due_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Acknowledged {
        unit: UnitId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Returned {
        unit: UnitId,
        reason: String,
    },
    PartConfirmed {
        unit: UnitId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    ExtensionRequested {
        until: DateTime<Utc>,
        reason: String,
    },
    ExtensionApproved {
        until: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    ExtensionRefused {
        note: String,
    },
    Supervised {
        note: String,
    },
    Escalated {
        to: RegionCode,
        reason: String,
    },
    Resolved {
        outcome: Outcome,
        note: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        referral: Option<ReferralChannel>,
        /// By when the resolution must be verified on the spot, by the policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verify_due_at: Option<DateTime<Utc>>,
    },
    Verified {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// By when the resident must be followed up, by the policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follow_up_due_at: Option<DateTime<Utc>>,
    },
    ReworkRequested {
        reason: String,
    },
    FollowedUp {
        satisfaction: Satisfaction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Archived {},
    Attached {
        digest: ContentDigest,
        name: String,
    },
    /// The sweeper: the share of the time to `due_at` set by the policy has passed.
    DeadlineWarned {
        due_at: DateTime<Utc>,
    },
    /// The sweeper: `due_at` passed with the case still open.
    Overdue {
        due_at: DateTime<Utc>,
    },
    ClockPaused {
        reason: PauseReason,
        note: String,
    },
    /// The clock runs again; the handling deadline is now `due_at` (moved by the pause).
    ClockResumed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due_at: Option<DateTime<Utc>>,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Reported { .. } => "reported",
            EventKind::Accepted { .. } => "accepted",
            EventKind::Declined { .. } => "declined",
            EventKind::ResolvedAtFirstContact { .. } => "resolved_at_first_contact",
            EventKind::Triaged { .. } => "triaged",
            EventKind::Dispatched { .. } => "dispatched",
            EventKind::Acknowledged { .. } => "acknowledged",
            EventKind::Returned { .. } => "returned",
            EventKind::PartConfirmed { .. } => "part_confirmed",
            EventKind::ExtensionRequested { .. } => "extension_requested",
            EventKind::ExtensionApproved { .. } => "extension_approved",
            EventKind::ExtensionRefused { .. } => "extension_refused",
            EventKind::Supervised { .. } => "supervised",
            EventKind::Escalated { .. } => "escalated",
            EventKind::Resolved { .. } => "resolved",
            EventKind::Verified { .. } => "verified",
            EventKind::ReworkRequested { .. } => "rework_requested",
            EventKind::FollowedUp { .. } => "followed_up",
            EventKind::Archived {} => "archived",
            EventKind::Attached { .. } => "attached",
            EventKind::DeadlineWarned { .. } => "deadline_warned",
            EventKind::Overdue { .. } => "overdue",
            EventKind::ClockPaused { .. } => "clock_paused",
            EventKind::ClockResumed { .. } => "clock_resumed",
        }
    }
}

/// Checks that `actor` may report `case`: the data is valid and, for staff, the place lies
/// inside their region. The application calls this before it allocates a number.
pub fn check_report(case: &NewCase, actor: &Actor) -> Result<(), DomainError> {
    use crate::access::{Action, Relation, permits, relation_to_region};
    let refuse = |reason| {
        Err(DomainError::NotPermitted {
            command: CommandKind::Report,
            reason,
        })
    };
    if !CommandKind::Report.permitted_to(actor.role) {
        return refuse("role_not_permitted");
    }
    case.validate()?;
    // A resident may report from anywhere; staff report inside their region.
    let relation = if actor.role == Role::Resident {
        Relation::Inside
    } else {
        relation_to_region(actor, &case.region)
    };
    if !permits(actor.role, relation, Action::Command(CommandKind::Report)) {
        return refuse("region_outside_scope");
    }
    Ok(())
}

/// The first event of every case, once [`check_report`] has passed and storage has allocated
/// the number (gap-free numbering needs the store's transaction).
pub fn reported_event(
    id: CaseId,
    number: CaseNumber,
    tracking_code: TrackingCode,
    case: NewCase,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Event {
    Event {
        case_id: id,
        sequence: 1,
        at: now,
        actor: actor.user,
        role: actor.role,
        kind: EventKind::Reported {
            number,
            tracking_code,
            case,
        },
    }
}

/// [`check_report`] and [`reported_event`] in one step.
pub fn report(
    id: CaseId,
    number: CaseNumber,
    tracking_code: TrackingCode,
    case: NewCase,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Event, DomainError> {
    check_report(&case, actor)?;
    Ok(reported_event(id, number, tracking_code, case, actor, now))
}

fn note(field: &str, text: &Option<String>) -> Result<Option<String>, ValidationError> {
    text.as_deref()
        .map(|t| check_text(field, t, NOTE_MAX_CHARS, false))
        .transpose()
        .map(|t| t.filter(|t| !t.is_empty()))
}

fn required(field: &str, text: &str) -> Result<String, ValidationError> {
    check_text(field, text, NOTE_MAX_CHARS, true)
}

/// How many extensions a case may be granted: a matter that needs a third is escalated or
/// supervised, not extended again.
pub const MAX_EXTENSIONS: u32 = 2;

/// The deadline policy in force and the working-day calendar, for the commands that set
/// deadlines (triage).
#[derive(Debug, Clone, Copy)]
pub struct DeadlineContext<'a> {
    pub policy: &'a DeadlinePolicy,
    pub calendar: &'a WorkingCalendar,
}

/// Checks `command` against the case, the actor and the time, and returns the events that
/// carry it out. `units` holds the snapshots of the units the command names
/// ([`Command::named_units`]). Without a deadline context, triage sets no deadline but a
/// promised one; see [`decide_with`].
pub fn decide(
    case: &Case,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
    units: &[UnitSnapshot],
) -> Result<Vec<Event>, DomainError> {
    decide_with(case, command, actor, now, units, None)
}

/// [`decide`], with the deadline policy and calendar by which triage sets the case's
/// response and handling deadlines and records the policy version.
pub fn decide_with(
    case: &Case,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
    units: &[UnitSnapshot],
    deadlines: Option<DeadlineContext<'_>>,
) -> Result<Vec<Event>, DomainError> {
    let kind = command.kind();
    if kind.transition(case.state).is_none() {
        return Err(DomainError::IllegalTransition {
            state: case.state,
            command: kind,
        });
    }
    authorize(case, kind, actor)?;

    let event_kind = match command {
        Command::Accept { note: n } => EventKind::Accepted {
            note: note("note", n)?,
        },
        Command::Decline {
            reason,
            suggested_channel,
        } => EventKind::Declined {
            reason: required("reason", reason)?,
            suggested_channel: *suggested_channel,
        },
        Command::ResolveAtFirstContact { outcome, note: n } => {
            if *outcome == Outcome::NotSettled {
                return Err(ValidationError::new(
                    "outcome",
                    "invalid_outcome",
                    "a matter that is not settled is not resolved at first contact",
                )
                .into());
            }
            EventKind::ResolvedAtFirstContact {
                outcome: *outcome,
                note: required("note", n)?,
            }
        }
        Command::Triage {
            kind,
            category,
            complexity,
            urgency,
            reason,
            case_leader,
            promised_due_at,
        } => {
            let case_leader = case_leader
                .as_deref()
                .map(|l| check_text("case_leader", l, 50, false))
                .transpose()?
                .filter(|l| !l.is_empty());
            if promised_due_at.is_some_and(|at| at <= now) {
                return Err(ValidationError::new(
                    "promised_due_at",
                    "due_in_the_past",
                    "a promised date lies in the future",
                )
                .into());
            }
            let warning_percent = deadlines.map(|c| c.policy.warning_percent);
            let (policy_version, response_due_at, handling_due_at) = match deadlines {
                Some(context) => {
                    let key = DeadlineKey {
                        urgency: Some(*urgency),
                        kind: *kind,
                        category,
                        level: case.data.region.level(),
                    };
                    let rule = context.policy.rule_for(&key);
                    let end =
                        |span: Option<Span>| span_end(span, case.reported_at, context.calendar);
                    let handling = match rule.map(|r| r.handling) {
                        Some(Span::Promised) => *promised_due_at,
                        span => end(span)?.or(*promised_due_at),
                    };
                    (
                        Some(context.policy.version),
                        end(rule.map(|r| r.response))?,
                        handling,
                    )
                }
                None => (None, None, *promised_due_at),
            };
            EventKind::Triaged {
                kind: *kind,
                category: category.clone(),
                complexity: *complexity,
                urgency: *urgency,
                reason: note("reason", reason)?,
                case_leader,
                policy_version,
                response_due_at,
                handling_due_at,
                warning_percent,
            }
        }
        Command::Dispatch {
            lead_unit,
            supporting_units,
            due_at,
            note: n,
        } => {
            check_dispatch(case, *lead_unit, supporting_units, *due_at, now, units)?;
            EventKind::Dispatched {
                lead_unit: *lead_unit,
                supporting_units: supporting_units.clone(),
                due_at: *due_at,
                note: note("note", n)?,
            }
        }
        Command::Acknowledge { note: n } => EventKind::Acknowledged {
            unit: lead_unit(case)?,
            note: note("note", n)?,
        },
        Command::Return { reason } => EventKind::Returned {
            unit: lead_unit(case)?,
            reason: required("reason", reason)?,
        },
        Command::ConfirmPart { note: n } => {
            let unit = actor.unit.ok_or(DomainError::NotPermitted {
                command: kind,
                reason: "not_a_supporting_unit",
            })?;
            let part = case
                .assignment
                .as_ref()
                .and_then(|a| a.supporting.iter().find(|p| p.unit == unit))
                .ok_or(DomainError::NotPermitted {
                    command: kind,
                    reason: "not_a_supporting_unit",
                })?;
            if part.confirmed_at.is_some() {
                return Err(DomainError::PartAlreadyConfirmed);
            }
            EventKind::PartConfirmed {
                unit,
                note: note("note", n)?,
            }
        }
        Command::RequestExtension { until, reason } => {
            if case.pending_extension.is_some() {
                return Err(DomainError::ExtensionAlreadyPending);
            }
            if case.extensions_granted >= MAX_EXTENSIONS {
                return Err(DomainError::ExtensionLimitReached {
                    limit: MAX_EXTENSIONS,
                });
            }
            if case.due_at.is_some_and(|due| *until <= due) || *until <= now {
                return Err(ValidationError::new(
                    "until",
                    "extension_not_later",
                    "an extension must end after the current due time",
                )
                .into());
            }
            EventKind::ExtensionRequested {
                until: *until,
                reason: required("reason", reason)?,
            }
        }
        Command::ApproveExtension { note: n } => {
            let pending = case
                .pending_extension
                .as_ref()
                .ok_or(DomainError::NoPendingExtension)?;
            EventKind::ExtensionApproved {
                until: pending.until,
                note: note("note", n)?,
            }
        }
        Command::RefuseExtension { note: n } => {
            if case.pending_extension.is_none() {
                return Err(DomainError::NoPendingExtension);
            }
            EventKind::ExtensionRefused {
                note: required("note", n)?,
            }
        }
        Command::Supervise { note: n } => EventKind::Supervised {
            note: required("note", n)?,
        },
        Command::Escalate { reason } => {
            let current = case
                .escalated_to
                .clone()
                .unwrap_or_else(|| handling_level(case));
            let to = current.parent().ok_or(DomainError::NoHigherLevel)?;
            EventKind::Escalated {
                to,
                reason: required("reason", reason)?,
            }
        }
        Command::Resolve {
            outcome,
            note: n,
            referral,
        } => {
            let pending = case
                .assignment
                .as_ref()
                .map_or(0, Assignment::pending_parts);
            if pending > 0 {
                return Err(DomainError::SupportingUnitsPending { pending });
            }
            match (outcome, referral) {
                (Outcome::NotSettled, None) => {
                    return Err(ValidationError::new(
                        "referral",
                        "referral_required",
                        "a case that is not settled names where it is referred",
                    )
                    .into());
                }
                (Outcome::NotSettled, Some(_)) | (_, None) => {}
                (_, Some(_)) => {
                    return Err(ValidationError::new(
                        "referral",
                        "referral_only_when_not_settled",
                        "only a case that is not settled is referred",
                    )
                    .into());
                }
            }
            EventKind::Resolved {
                outcome: *outcome,
                note: required("note", n)?,
                referral: *referral,
                verify_due_at: stage_due(case, deadlines, now, |r| r.verification)?,
            }
        }
        Command::Verify { note: n } => EventKind::Verified {
            note: note("note", n)?,
            follow_up_due_at: stage_due(case, deadlines, now, |r| r.follow_up)?,
        },
        Command::Rework { reason } => {
            if case.resolved_at_first_contact {
                return Err(ValidationError::new(
                    "reason",
                    "rework_needs_a_unit",
                    "a case resolved at first contact has no unit to send it back to",
                )
                .into());
            }
            EventKind::ReworkRequested {
                reason: required("reason", reason)?,
            }
        }
        Command::FollowUp {
            satisfaction,
            note: n,
        } => EventKind::FollowedUp {
            satisfaction: *satisfaction,
            note: note("note", n)?,
        },
        Command::Archive {} => EventKind::Archived {},
        Command::Attach { digest, name } => EventKind::Attached {
            digest: digest.clone(),
            name: check_attachment_name(name)?,
        },
        Command::PauseClock { reason, note: n } => {
            if case.clock_paused.is_some() {
                return Err(DomainError::ClockAlreadyPaused);
            }
            let allowed = match deadlines {
                Some(context) => context.policy.pausable.contains(reason),
                None => DeadlinePolicy::defaults().pausable.contains(reason),
            };
            if !allowed {
                return Err(DomainError::PauseNotAllowed);
            }
            EventKind::ClockPaused {
                reason: *reason,
                note: required("note", n)?,
            }
        }
        Command::ResumeClock { note: n } => {
            let pause = case
                .clock_paused
                .as_ref()
                .ok_or(DomainError::ClockNotPaused)?;
            let stood = now - pause.since;
            EventKind::ClockResumed {
                note: note("note", n)?,
                due_at: case.due_at.map(|due| due + stood),
            }
        }
    };
    Ok(vec![Event {
        case_id: case.id,
        sequence: case.version + 1,
        at: now,
        actor: actor.user,
        role: actor.role,
        kind: event_kind,
    }])
}

/// Where a span from `from` ends, by the calendar; a year it does not cover is refused.
fn span_end(
    span: Option<Span>,
    from: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    match span {
        Some(span) => span.end(from, calendar).map_err(|e| match e {
            CalendarError::YearNotCovered(year) => DomainError::CalendarNotCovered(year),
            CalendarError::Malformed(..) => DomainError::CalendarNotCovered(0),
        }),
        None => Ok(None),
    }
}

/// The deadline of a later stage (verification, follow-up) starting `from`, by the case's
/// rule in the policy; `None` without a policy, or when the span reaches a year the calendar
/// does not cover (the stage then runs without a deadline rather than with a guessed one: a
/// resolution is never refused for want of next year's holidays).
fn stage_due(
    case: &Case,
    deadlines: Option<DeadlineContext<'_>>,
    from: DateTime<Utc>,
    span: fn(&DeadlineRule) -> Span,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    let Some(context) = deadlines else {
        return Ok(None);
    };
    let key = DeadlineKey {
        urgency: case.urgency,
        kind: case.data.kind,
        category: &case.data.category,
        level: case.data.region.level(),
    };
    match span_end(
        context.policy.rule_for(&key).map(span),
        from,
        context.calendar,
    ) {
        Err(DomainError::CalendarNotCovered(_)) => Ok(None),
        other => other,
    }
}

/// The level whose centre handles a case before any escalation: its town.
pub(crate) fn handling_level(case: &Case) -> RegionCode {
    case.data
        .region
        .ancestor_at(RegionLevel::Town)
        .unwrap_or_else(|| case.data.region.clone())
}

fn lead_unit(case: &Case) -> Result<UnitId, DomainError> {
    case.assignment
        .as_ref()
        .map(|a| a.lead_unit)
        .ok_or(DomainError::IllegalTransition {
            state: case.state,
            command: CommandKind::Acknowledge,
        })
}

fn check_dispatch(
    case: &Case,
    lead: UnitId,
    supporting: &[UnitId],
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    units: &[UnitSnapshot],
) -> Result<(), DomainError> {
    if due_at <= now {
        return Err(ValidationError::new(
            "due_at",
            "due_in_the_past",
            "due time must be later than now",
        )
        .into());
    }
    if supporting.contains(&lead) {
        return Err(ValidationError::new(
            "supporting_units",
            "lead_unit_also_supporting",
            "the lead unit cannot also be a supporting unit",
        )
        .into());
    }
    let mut seen = Vec::with_capacity(supporting.len());
    for unit in supporting {
        if seen.contains(unit) {
            return Err(ValidationError::new(
                "supporting_units",
                "duplicate_unit",
                "a supporting unit is named twice",
            )
            .into());
        }
        seen.push(*unit);
    }
    let check = |field: &'static str, id: UnitId| -> Result<(), DomainError> {
        let unit = units.iter().find(|u| u.id == id).ok_or_else(|| {
            ValidationError::new(field, "unknown_unit", format!("unit {id} does not exist"))
        })?;
        if unit.is_responsible_for(&case.data.region, &case.data.category) {
            Ok(())
        } else {
            Err(DomainError::UnitNotResponsible { field, unit: id })
        }
    };
    check("lead_unit", lead)?;
    supporting
        .iter()
        .try_for_each(|id| check("supporting_units", *id))
}

/// Role, region and unit checks. Region-bound staff act inside their subtree; unit handlers
/// act for the unit the case is assigned to; residents only on their own cases.
/// Why a unit-bound actor may not run `kind` on `case`.
fn unit_refusal(case: &Case, kind: CommandKind, actor: &Actor) -> &'static str {
    match (actor.unit, &case.assignment, kind) {
        (None, _, _) => "no_unit",
        (_, None, _) => "not_assigned",
        (_, _, CommandKind::ConfirmPart) => "not_a_supporting_unit",
        _ => "not_the_lead_unit",
    }
}

/// Whether `actor` may issue `kind` on `case` as far as roles, scopes and units go (the
/// state and the command's data are checked by [`decide`]). Pages ask it to offer only the
/// forms a user may send.
pub fn authorize(case: &Case, kind: CommandKind, actor: &Actor) -> Result<(), DomainError> {
    use crate::access::{Action, permits, relation};
    let refuse = |reason| {
        Err(DomainError::NotPermitted {
            command: kind,
            reason,
        })
    };
    if !kind.permitted_to(actor.role) {
        return refuse("role_not_permitted");
    }
    let relation = relation(actor, case);
    if !permits(actor.role, relation, Action::Command(kind)) {
        return refuse(match actor.role {
            Role::Resident => "not_own_case",
            role if role.is_unit_bound() => unit_refusal(case, kind, actor),
            _ => "region_outside_scope",
        });
    }
    // A supporting unit confirms its part and may attach its documents; every other unit
    // command is the lead unit's.
    if actor.role.is_unit_bound() && !matches!(kind, CommandKind::ConfirmPart | CommandKind::Attach)
    {
        let is_lead = case
            .assignment
            .as_ref()
            .is_some_and(|a| Some(a.lead_unit) == actor.unit);
        if !is_lead {
            return refuse("not_the_lead_unit");
        }
    }
    Ok(())
}

/// Folds one event into the case. `None` is the case before its first event.
///
/// Events that were decided are always valid, so this never fails on them; an event out of
/// place (e.g. a first event that is not a report) leaves the projection unchanged and is
/// reported as `None`.
pub fn evolve(case: Option<Case>, event: &Event) -> Option<Case> {
    let Some(mut case) = case else {
        let EventKind::Reported {
            number,
            tracking_code,
            case,
        } = &event.kind
        else {
            return None;
        };
        return Some(Case {
            id: event.case_id,
            number: number.clone(),
            tracking_code: tracking_code.clone(),
            state: CaseState::Reported,
            version: event.sequence,
            data: case.clone(),
            reported_by: event.actor,
            reported_at: event.at,
            updated_at: event.at,
            complexity: None,
            urgency: None,
            assignment: None,
            due_at: None,
            policy_version: None,
            response_due_at: None,
            warning_percent: None,
            warned_for: None,
            overdue_for: None,
            pending_extension: None,
            extensions_granted: 0,
            escalated_to: None,
            returned_count: 0,
            rework_count: 0,
            supervision_count: 0,
            outcome: None,
            referral: None,
            resolved_at_first_contact: false,
            resolved_at: None,
            satisfaction: None,
            closed_at: None,
            accepted_at: None,
            dispatched_at: None,
            followed_up_at: None,
            verified_at: None,
            verify_due_at: None,
            follow_up_due_at: None,
            clock_paused: None,
            pauses: Vec::new(),
        });
    };
    case.version = event.sequence;
    case.updated_at = event.at;
    match &event.kind {
        EventKind::Reported { .. } => return None,
        EventKind::Accepted { .. } => {
            case.state = CaseState::Accepted;
            case.accepted_at = Some(event.at);
        }
        EventKind::Declined { .. } => {
            case.state = CaseState::Declined;
            case.closed_at = Some(event.at);
        }
        EventKind::ResolvedAtFirstContact { outcome, .. } => {
            case.state = CaseState::Resolved;
            case.outcome = Some(*outcome);
            case.resolved_at_first_contact = true;
            case.resolved_at = Some(event.at);
        }
        EventKind::Triaged {
            kind,
            category,
            complexity,
            urgency,
            case_leader,
            policy_version,
            response_due_at,
            handling_due_at,
            warning_percent,
            ..
        } => {
            if policy_version.is_some() {
                case.policy_version = *policy_version;
                case.response_due_at = *response_due_at;
                case.warning_percent = *warning_percent;
            }
            if handling_due_at.is_some() {
                case.due_at = *handling_due_at;
            }
            case.state = CaseState::Triaged;
            case.data.kind = *kind;
            case.data.category = category.clone();
            case.complexity = Some(*complexity);
            case.urgency = Some(*urgency);
            if case_leader.is_some() {
                case.data.case_leader = case_leader.clone();
            }
        }
        EventKind::Dispatched {
            lead_unit,
            supporting_units,
            due_at,
            ..
        } => {
            case.state = CaseState::Dispatched;
            case.dispatched_at.get_or_insert(event.at);
            case.assignment = Some(Assignment {
                lead_unit: *lead_unit,
                supporting: supporting_units
                    .iter()
                    .map(|unit| SupportingPart {
                        unit: *unit,
                        confirmed_at: None,
                    })
                    .collect(),
                due_at: *due_at,
                acknowledged_at: None,
            });
            case.due_at = Some(*due_at);
        }
        EventKind::Acknowledged { .. } => {
            case.state = CaseState::InProgress;
            if let Some(a) = case.assignment.as_mut() {
                a.acknowledged_at = Some(event.at);
            }
        }
        EventKind::Returned { .. } => {
            end_pause(&mut case, event.at);
            case.state = CaseState::Triaged;
            case.assignment = None;
            case.due_at = None;
            case.pending_extension = None;
            case.returned_count += 1;
        }
        EventKind::PartConfirmed { unit, .. } => {
            if let Some(part) = case
                .assignment
                .as_mut()
                .and_then(|a| a.supporting.iter_mut().find(|p| p.unit == *unit))
            {
                part.confirmed_at = Some(event.at);
            }
        }
        EventKind::ExtensionRequested { until, reason } => {
            case.pending_extension = Some(ExtensionRequest {
                until: *until,
                reason: reason.clone(),
                requested_at: event.at,
            });
        }
        EventKind::ExtensionApproved { until, .. } => {
            case.pending_extension = None;
            case.extensions_granted += 1;
            case.due_at = Some(*until);
            if let Some(a) = case.assignment.as_mut() {
                a.due_at = *until;
            }
        }
        EventKind::ExtensionRefused { .. } => case.pending_extension = None,
        EventKind::Supervised { .. } => case.supervision_count += 1,
        EventKind::Escalated { to, .. } => case.escalated_to = Some(to.clone()),
        EventKind::Resolved {
            outcome,
            referral,
            verify_due_at,
            ..
        } => {
            end_pause(&mut case, event.at);
            case.verify_due_at = *verify_due_at;
            case.state = CaseState::Resolved;
            case.outcome = Some(*outcome);
            case.referral = *referral;
            case.resolved_at = Some(event.at);
            case.pending_extension = None;
        }
        EventKind::Verified {
            follow_up_due_at, ..
        } => {
            case.state = CaseState::Verified;
            case.verified_at = Some(event.at);
            case.follow_up_due_at = *follow_up_due_at;
        }
        EventKind::ReworkRequested { .. } => {
            case.state = CaseState::InProgress;
            case.rework_count += 1;
            case.outcome = None;
            case.referral = None;
            case.resolved_at = None;
        }
        EventKind::FollowedUp { satisfaction, .. } => {
            case.state = CaseState::FollowedUp;
            case.satisfaction = Some(*satisfaction);
            case.followed_up_at = Some(event.at);
        }
        EventKind::Archived {} => {
            case.state = CaseState::Archived;
            // A declined case was closed when it was declined.
            case.closed_at.get_or_insert(event.at);
        }
        EventKind::Attached { .. } => {}
        EventKind::DeadlineWarned { due_at } => case.warned_for = Some(*due_at),
        EventKind::Overdue { due_at } => case.overdue_for = Some(*due_at),
        EventKind::ClockPaused { reason, .. } => {
            case.clock_paused = Some(ClockPause {
                reason: *reason,
                since: event.at,
                until: None,
            });
        }
        EventKind::ClockResumed { due_at, .. } => {
            end_pause(&mut case, event.at);
            if let Some(due) = due_at {
                case.due_at = Some(*due);
                if let Some(a) = case.assignment.as_mut() {
                    a.due_at = *due;
                }
            }
        }
    }
    Some(case)
}

/// Ends the clock's stop under way, if any, at `at` (the deadline is moved by the event that
/// resumes the clock, not here: a case resolved or returned needs no new deadline).
fn end_pause(case: &mut Case, at: DateTime<Utc>) {
    if let Some(mut pause) = case.clock_paused.take() {
        pause.until = Some(at);
        case.pauses.push(pause);
    }
}

/// Replays a history into the case it describes.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Case> {
    events
        .into_iter()
        .try_fold(None, |case, event| evolve(case, event).map(Some))
        .flatten()
}
