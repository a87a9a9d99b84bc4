//! Storage errors, independent of the backend.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The case was changed since the version the writer saw.
    #[error("version conflict: expected {expected}, found {found}")]
    VersionConflict { expected: u32, found: u32 },

    #[error("not found: {0}")]
    NotFound(&'static str),

    /// A unique value already exists (`tracking_code`, a user name…).
    #[error("duplicate {0}")]
    Duplicate(&'static str),

    /// Another request with the same idempotency key committed first.
    #[error("idempotency key already used")]
    IdempotencyKeyTaken,

    /// Stored data could not be decoded into domain types.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),

    /// The write queue is closed (the server is shutting down).
    #[error("the store is shutting down")]
    ShuttingDown,

    #[error("database error: {0}")]
    Database(String),

    /// The keys of personal data do not open, or a value does not decrypt.
    #[error(transparent)]
    Keys(#[from] hezhi_crypto::CryptoError),
}
