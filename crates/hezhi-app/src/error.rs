//! Errors of the use cases. Each has a stable code; the web layer maps them to HTTP.

use hezhi_domain::{DomainError, ValidationError};
use hezhi_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),

    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,

    /// Not there, or not visible to this user (the two are not told apart).
    #[error("{0} not found")]
    NotFound(&'static str),

    /// The command named no version (`If-Match`).
    #[error("the request must name the version it saw (If-Match)")]
    VersionRequired,

    /// The command named a version that is no longer current.
    #[error("the case is at version {current}, not {expected}")]
    VersionMismatch { expected: u32, current: u32 },

    /// The idempotency key was used before for a different request.
    #[error("idempotency key reused for a different request")]
    IdempotencyKeyReused,

    /// The caller's role may not do this at all; the stable code says what.
    #[error("not permitted: {0}")]
    Forbidden(&'static str),

    /// The first request with this idempotency key has not finished.
    #[error("a request with this idempotency key is still in progress")]
    IdempotencyInFlight,

    /// Too many failed attempts from this client; try again after `retry_after` seconds.
    #[error("too many attempts; retry after {retry_after} s")]
    TooManyAttempts { retry_after: i64 },
    /// Wrong name, password or TOTP code (which one is not said).
    #[error("wrong name or password")]
    InvalidCredentials,

    /// The password was right; the account also needs a TOTP code.
    #[error("a TOTP code is required")]
    TotpCodeRequired,

    /// Too many failed sign-ins; try again after this many seconds.
    #[error("too many failed sign-ins; retry in {retry_after_seconds} s")]
    SignInLocked { retry_after_seconds: u64 },

    /// The session may only change its password.
    #[error("change the password first")]
    PasswordChangeRequired,

    /// The session may only enrol a TOTP authenticator.
    #[error("enrol a TOTP authenticator first")]
    TotpEnrolmentRequired,

    /// Staff sign-in and its endpoints are not for residents.
    #[error("for staff only")]
    StaffOnly,

    #[error("a TOTP authenticator is already enrolled")]
    TotpAlreadyEnrolled,

    #[error("no TOTP enrolment was started")]
    TotpNotStarted,

    /// A resident's sign-in code is wrong, expired, used or burnt (which one is not said).
    #[error("the sign-in code is wrong or no longer valid")]
    InvalidSignInCode,

    /// The SMS sender could not send; the request may be tried again later.
    #[error("the SMS could not be sent: {0}")]
    SmsUnavailable(String),

    /// Something on the server broke that the client can do nothing about.
    #[error("internal error: {0}")]
    Internal(String),

    #[error(transparent)]
    Store(StoreError),
}

impl From<ValidationError> for AppError {
    fn from(error: ValidationError) -> Self {
        AppError::Domain(DomainError::Invalid(error))
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VersionConflict { expected, found } => AppError::VersionMismatch {
                expected,
                current: found,
            },
            StoreError::NotFound(what) => AppError::NotFound(what),
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    /// Stable snake_case code for clients and the UI catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Domain(e) => e.code(),
            AppError::Unauthenticated => "unauthenticated",
            AppError::NotFound(_) => "not_found",
            AppError::VersionRequired => "version_required",
            AppError::VersionMismatch { .. } => "version_mismatch",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::IdempotencyInFlight => "idempotency_in_flight",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::Forbidden(code) => code,
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::TotpCodeRequired => "totp_code_required",
            AppError::SignInLocked { .. } => "sign_in_locked",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::TotpEnrolmentRequired => "totp_enrolment_required",
            AppError::StaffOnly => "staff_only",
            AppError::TotpAlreadyEnrolled => "totp_already_enrolled",
            AppError::TotpNotStarted => "totp_not_started",
            AppError::InvalidSignInCode => "invalid_sign_in_code",
            AppError::SmsUnavailable(_) => "sms_unavailable",
            AppError::Internal(_) => "internal",
            AppError::Store(StoreError::ShuttingDown) => "shutting_down",
            AppError::Store(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Domain(e) => e.field(),
            _ => None,
        }
    }
}
