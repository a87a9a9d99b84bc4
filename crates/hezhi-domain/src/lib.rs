#![doc = include_str!("../README.md")]

pub mod access;
pub mod actor;
pub mod attachment;
pub mod calendar;
pub mod case;
pub mod deadline;
pub mod error;
pub mod geo;
pub mod ids;
pub mod indicators;
pub mod lifecycle;
pub mod party;
pub mod region;
pub mod sweep;
pub mod unit;

pub use access::{Action, Principal, Relation};
pub use actor::{Actor, Role};
pub use attachment::{ContentDigest, check_attachment_name};
pub use calendar::{CalendarError, WorkingCalendar};
pub use case::{
    Case, CaseKind, CaseNumber, CategoryCode, Channel, Complexity, NewCase, Outcome, Position,
    ReferralChannel, Satisfaction, TrackingCode, Urgency,
};
pub use error::{DomainError, ValidationError};
pub use geo::{BoundingBox, Polygon, Ring, Shape};
pub use ids::{AssignmentId, CaseId, EventId, TokenId, UnitId, UserId};
pub use lifecycle::{
    CaseState, Command, CommandKind, DeadlineContext, Event, EventKind, check_report, decide,
    decide_with, evolve, replay, report, reported_event,
};
pub use party::{IdNumber, Party, PartyRole, Phone, masked_address};
pub use region::{RegionCode, RegionLevel};
pub use unit::{UnitKind, UnitSnapshot};
