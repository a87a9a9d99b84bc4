//! The one error type of the HTTP layer and its JSON shape:
//! `{"error": {"code": "...", "message": "...", "field": "..."}}`.

use crate::i18n::{Lang, error_message};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hezhi_app::AppError;
use hezhi_domain::DomainError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    /// Used when the catalogue has no text for `code`.
    pub detail: String,
    pub lang: Lang,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            field: None,
            detail: detail.into(),
            lang: Lang::Zh,
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }
}

fn domain_status(error: &DomainError) -> StatusCode {
    match error {
        DomainError::Invalid(e) if e.code == "file_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        DomainError::Invalid(_) | DomainError::UnitNotResponsible { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        DomainError::NotPermitted { .. } => StatusCode::FORBIDDEN,
        DomainError::IllegalTransition { .. }
        | DomainError::SupportingUnitsPending { .. }
        | DomainError::NoPendingExtension
        | DomainError::ExtensionAlreadyPending
        | DomainError::ExtensionLimitReached { .. }
        | DomainError::NoHigherLevel
        | DomainError::PartAlreadyConfirmed
        | DomainError::ClockAlreadyPaused
        | DomainError::ClockNotPaused
        | DomainError::CalendarNotCovered(_) => StatusCode::CONFLICT,
        DomainError::PauseNotAllowed => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let status = match &error {
            AppError::Domain(e) => domain_status(e),
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::VersionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::VersionMismatch { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::IdempotencyInFlight => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::InvalidCredentials
            | AppError::TotpCodeRequired
            | AppError::InvalidSignInCode => StatusCode::UNAUTHORIZED,
            AppError::SmsUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::SignInLocked { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PasswordChangeRequired
            | AppError::TotpEnrolmentRequired
            | AppError::StaffOnly => StatusCode::FORBIDDEN,
            AppError::TotpAlreadyEnrolled | AppError::TotpNotStarted => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Store(_) if error.code() == "shutting_down" => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(%error, "request failed");
        }
        let retry_after = match &error {
            AppError::TooManyAttempts { retry_after } => Some(*retry_after),
            AppError::SignInLocked {
                retry_after_seconds,
            } => i64::try_from(*retry_after_seconds).ok(),
            _ => None,
        };
        ApiError {
            status,
            code: error.code(),
            field: error.field().map(str::to_owned),
            detail: error.to_string(),
            lang: Lang::Zh,
            retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = error_message(self.code, self.lang)
            .map(str::to_owned)
            .unwrap_or_else(|| self.detail.clone());
        let mut body = json!({ "code": self.code, "message": message });
        if let Some(field) = &self.field {
            body["field"] = json!(field);
        }
        if self.status.is_client_error() && self.detail != message {
            body["detail"] = json!(self.detail);
        }
        let mut response = (self.status, Json(json!({ "error": body }))).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
