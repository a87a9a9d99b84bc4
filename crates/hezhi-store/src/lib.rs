#![doc = include_str!("../README.md")]

pub mod apply;
pub mod audit;
pub mod codec;
pub mod error;
pub mod group_commit;
pub mod model;
pub mod personal_data;
pub mod resident;
pub mod sign_in;
pub mod stats;
pub mod traits;
pub mod write;

#[cfg(feature = "contract")]
pub mod contract;

pub use apply::{
    IdempotencyRow, WriteTx, all_reports, append_audit, apply_batch, reports_together,
};
pub use audit::{
    AuditEntry, AuditFilter, AuditHash, AuditHead, AuditRecord, ChainReport, Tamper,
    VerifyProgress, verify_log,
};
pub use error::StoreError;
pub use group_commit::{GroupCommit, GroupCommitConfig};
pub use hezhi_crypto::{Cipher, CryptoError, KeyPurpose, Keyring, MasterKey, StoredKey};
pub use model::*;
pub use personal_data::PersonalDataKeys;
pub use resident::{ResidentCode, SendLimits};
pub use sign_in::{Credentials, SessionRecord, ThrottleKey, ThrottleState, TotpState};
pub use traits::*;
pub use write::*;
