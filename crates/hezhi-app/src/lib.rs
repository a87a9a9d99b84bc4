#![doc = include_str!("../README.md")]

pub mod access;
pub mod attachment;
pub mod audit;
pub mod clock;
pub mod deadline;
pub mod error;
pub mod export;
pub mod idempotency;
pub mod input;
pub mod overview;
pub mod password;
mod random;
pub mod reminder;
pub mod resident;
pub mod service;
pub mod sign_in;
pub mod stats;
pub mod totp;
pub mod tracking;

pub use attachment::CaseAttachment;
pub use audit::AuditQuery;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AppError;
pub use hezhi_store::{
    AttachmentFile, Attention, CaseFilter, CaseOrder, Category, Page, PageRequest, Region,
};
pub use idempotency::IdempotencyRequest;
pub use input::{CaseInput, PartyInput};
pub use resident::{CodeSent, LogSmsSender, ResidentSignInAttempt, SmsFuture, SmsSender};
pub use service::{App, NewUser, WriteOutcome};
pub use sign_in::{
    BootstrapAdmin, Session, SignInAttempt, SignInPolicy, SignedIn, TotpEnrolment, constant_time_eq,
};
pub use stats::{Indicators, Period};
