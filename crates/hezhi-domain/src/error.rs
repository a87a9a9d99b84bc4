//! Domain errors. Each carries a stable snake_case `code` that the API returns and the UI
//! translates, and where it concerns one input field, the name of that field.

use crate::lifecycle::{CaseState, CommandKind};
use thiserror::Error;

/// One input value that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The JSON field name as the API spells it (`parties[0].phone` for nested values).
    pub field: String,
    /// Stable snake_case code, e.g. `invalid_id_number`.
    pub code: &'static str,
    /// An English explanation for logs and developers; people see the catalogue text.
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// The same error, reported under a parent field (`parties[1]` + `phone`).
    pub fn nested(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),

    #[error("command `{command}` is not allowed while the case is {state}")]
    IllegalTransition {
        state: CaseState,
        command: CommandKind,
    },

    #[error("not permitted: {reason}")]
    NotPermitted {
        command: CommandKind,
        reason: &'static str,
    },

    #[error("unit {unit} is not responsible for the case's region")]
    UnitNotResponsible {
        field: &'static str,
        unit: crate::UnitId,
    },

    #[error("{pending} supporting unit(s) have not confirmed their part")]
    SupportingUnitsPending { pending: usize },

    #[error("there is no extension request waiting for a decision")]
    NoPendingExtension,

    #[error("an extension request is already waiting for a decision")]
    ExtensionAlreadyPending,

    #[error("the case has had the {limit} extensions it may have")]
    ExtensionLimitReached { limit: u32 },

    #[error("the case is already at the top of the region tree")]
    NoHigherLevel,

    #[error("this unit has already confirmed its part")]
    PartAlreadyConfirmed,

    #[error("the case's clock is already stopped")]
    ClockAlreadyPaused,

    #[error("the case's clock is not stopped")]
    ClockNotPaused,

    #[error("the deadline policy does not let the clock stop for this reason")]
    PauseNotAllowed,

    /// A deadline in working days reaches a year the holiday calendar does not cover.
    #[error("the working-day calendar does not cover {0}; its holiday notice must be added")]
    CalendarNotCovered(i32),
}

impl DomainError {
    /// Stable snake_case code for API clients and the UI catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid(e) => e.code,
            DomainError::IllegalTransition { .. } => "command_not_allowed",
            DomainError::NotPermitted { .. } => "forbidden",
            DomainError::UnitNotResponsible { .. } => "unit_not_responsible",
            DomainError::SupportingUnitsPending { .. } => "supporting_units_pending",
            DomainError::NoPendingExtension => "no_pending_extension",
            DomainError::ExtensionAlreadyPending => "extension_already_pending",
            DomainError::ExtensionLimitReached { .. } => "extension_limit_reached",
            DomainError::NoHigherLevel => "no_higher_level",
            DomainError::PartAlreadyConfirmed => "part_already_confirmed",
            DomainError::ClockAlreadyPaused => "clock_already_paused",
            DomainError::ClockNotPaused => "clock_not_paused",
            DomainError::PauseNotAllowed => "pause_not_allowed",
            DomainError::CalendarNotCovered(_) => "calendar_year_not_covered",
        }
    }

    /// The input field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::Invalid(e) => Some(&e.field),
            DomainError::UnitNotResponsible { field, .. } => Some(field),
            _ => None,
        }
    }
}
