//! The storage interface, split by capability. A backend implements all of them; code that
//! only reads cases asks for a [`CaseReader`], not for the whole [`Store`].

use crate::audit::{AuditEntry, AuditFilter, AuditHash, AuditHead, AuditRecord};
use crate::codec::PARTY_KEY_PHONE;
use crate::error::StoreError;
use crate::model::{
    ApiToken, ApiTokenRecord, AttachmentFile, CaseCountQuery, CaseFilter, Category, GridShape,
    Page, PageRequest, Region, RoleAssignment, Unit, User,
};
use crate::resident::{RESIDENT_CODE_KIND, ResidentCode, SendLimits};
use crate::sign_in::{Credentials, SessionRecord, ThrottleKey, ThrottleState};
use crate::write::{IdempotencyRecord, WriteOp, WriteReceipt};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hezhi_crypto::{MasterKey, StoredKey};
use hezhi_domain::deadline::DeadlinePolicy;
use hezhi_domain::indicators::{RollupChange, Tally};
use hezhi_domain::{
    AssignmentId, Case, CaseId, CaseKind, CategoryCode, ContentDigest, Event, Phone, Position,
    RegionCode, Role, TokenId, TrackingCode, UnitId, UserId,
};

pub type StoreResult<T> = Result<T, StoreError>;

/// Whom a reminder goes to: the holders of a role for exactly one region or one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientScope {
    Region(RegionCode),
    Unit(UnitId),
}

/// Staff members' phones, for reminders by SMS (encrypted at rest).
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Sets the phone reminders go to for `user`, or with `None` removes it.
    async fn set_staff_phone(
        &self,
        user: UserId,
        phone: Option<&Phone>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn staff_phone(&self, user: UserId) -> StoreResult<Option<Phone>>;
    /// The users holding a live assignment of `role` for exactly `scope`, with their phones;
    /// those without a phone are left out.
    async fn reminder_recipients(
        &self,
        role: Role,
        scope: &RecipientScope,
    ) -> StoreResult<Vec<(UserId, Phone)>>;
}

/// The indicator rollups (see [`hezhi_domain::indicators`]).
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// The tally of `region`'s subtree over the China days `from..=to`.
    async fn tally(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Tally>;
    /// The tally of `region`'s subtree for each day of `from..=to` that has one, by day.
    async fn daily_tallies(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, Tally)>>;
    /// The tally of each of `regions`' subtrees that has one, by code: one indexed range
    /// of rows per region (pass a region's children to break it down).
    async fn region_tallies(
        &self,
        regions: &[RegionCode],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(RegionCode, Tally)>>;
    /// Every rollup row with a count that is not zero, by region and day.
    async fn rollup_rows(&self) -> StoreResult<Vec<RollupChange>>;
    /// Recomputes every rollup from the event log in one transaction that keeps writers out
    /// of the rollups until it commits; `progress` hears the cases replayed so far.
    async fn rebuild_rollups(
        &self,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> StoreResult<crate::stats::RebuildSummary>;
    /// The same tally as [`StatsStore::tally`], found by reading every case of the subtree
    /// instead of the rollups: what a question would cost without them.
    async fn tally_by_scan(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Tally>;
}

#[async_trait]
pub trait CaseReader: Send + Sync {
    async fn case(&self, id: CaseId) -> StoreResult<Option<Case>>;
    async fn case_by_tracking_code(&self, code: &TrackingCode) -> StoreResult<Option<Case>>;
    /// The whole history of a case, oldest first.
    async fn events(&self, id: CaseId) -> StoreResult<Vec<Event>>;
    /// Newest first, keyset-paginated. Filters run in SQL.
    async fn list_cases(&self, filter: &CaseFilter, page: &PageRequest) -> StoreResult<Page<Case>>;
    /// Cases and events stored, for operators and benchmarks.
    async fn count_cases_and_events(&self) -> StoreResult<(u64, u64)>;
    /// The cases the deadline sweeper must look at by `now` (their `next_sweep_at` has come),
    /// the earliest first, at most `limit`: read by index, whatever the number of cases.
    async fn cases_to_sweep(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Case>>;
    /// Case counts by the query's grouping, ordered by key; groups without cases are left
    /// out.
    async fn count_cases(&self, query: &CaseCountQuery) -> StoreResult<Vec<(String, u64)>>;
}

#[async_trait]
pub trait CaseWriter: Send + Sync {
    /// Executes `ops` in one durable transaction and returns one result per op, in order.
    /// An op that is refused (version conflict, duplicate) is rolled back to its savepoint and
    /// leaves the others alone. `Err` means the transaction as a whole did not commit.
    async fn write_batch(&self, ops: Vec<WriteOp>) -> StoreResult<Vec<StoreResult<WriteReceipt>>>;

    async fn idempotency_record(
        &self,
        user: UserId,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>>;
}

#[async_trait]
pub trait RegionStore: Send + Sync {
    /// Inserts or renames regions; never deletes (cases may refer to retired codes).
    async fn upsert_regions(&self, regions: &[Region]) -> StoreResult<()>;
    async fn region(&self, code: &RegionCode) -> StoreResult<Option<Region>>;
    async fn region_children(&self, code: &RegionCode) -> StoreResult<Vec<Region>>;
    /// The regions without a parent (the provinces), by code.
    async fn top_regions(&self) -> StoreResult<Vec<Region>>;
    async fn count_regions(&self) -> StoreResult<u64>;
}

#[async_trait]
pub trait GridShapeStore: Send + Sync {
    /// Inserts or renames each grid region and stores its shape (replacing an earlier one), all
    /// in one transaction: an import lands whole or not at all. Never deletes.
    async fn upsert_grid_shapes(&self, grids: &[(Region, GridShape)]) -> StoreResult<()>;
    /// The shapes whose bounding box contains `point` (edges included), by grid code: the
    /// candidates the caller then tests with [`hezhi_domain::Shape::contains`].
    async fn grid_shape_candidates(&self, point: Position) -> StoreResult<Vec<GridShape>>;
    /// The shapes of a village's grids, by grid code.
    async fn grid_shapes_in_village(&self, village: &RegionCode) -> StoreResult<Vec<GridShape>>;
}

#[async_trait]
pub trait CategoryStore: Send + Sync {
    async fn upsert_categories(&self, categories: &[Category]) -> StoreResult<()>;
    async fn categories(&self) -> StoreResult<Vec<Category>>;
    async fn category(&self, kind: CaseKind, code: &CategoryCode) -> StoreResult<Option<Category>>;
}

#[async_trait]
pub trait UnitStore: Send + Sync {
    async fn insert_unit(&self, unit: &Unit) -> StoreResult<()>;
    async fn units_by_ids(&self, ids: &[UnitId]) -> StoreResult<Vec<Unit>>;
    /// Units whose region is `region` or lies below it, by name.
    async fn units_in_region(&self, region: &RegionCode) -> StoreResult<Vec<Unit>>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user with the assignments he starts with.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn grant_role(&self, assignment: &RoleAssignment) -> StoreResult<()>;
    /// Ends an assignment; `false` if there was no such live assignment.
    async fn revoke_role(&self, id: AssignmentId, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>>;
    /// Every user, by name.
    async fn users(&self) -> StoreResult<Vec<User>>;
    async fn insert_api_token(&self, token: &ApiTokenRecord) -> StoreResult<()>;
    /// The user a live (not revoked) token belongs to, and the live assignment it acts under.
    async fn token_owner(&self, token_hash: &str) -> StoreResult<Option<(User, AssignmentId)>>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Seals and appends `records` in a transaction of their own.
    async fn append_audit(&self, records: Vec<AuditRecord>) -> StoreResult<Vec<AuditEntry>>;
    /// Entries matching `filter`, newest first.
    async fn search_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>>;
    /// The names of every chain, with their recorded heads.
    async fn audit_heads(&self) -> StoreResult<Vec<AuditHead>>;
    /// The names of every chain that has entries in the log, with or without a head.
    async fn audit_chain_names(&self) -> StoreResult<Vec<String>>;
    /// Up to `limit` entries of `chain` after `after_seq`, oldest first.
    async fn audit_chain(
        &self,
        chain: &str,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;
    /// The hash function the chains are sealed with.
    fn audit_hash(&self) -> AuditHash;
}

/// The keys of personal data (see `hezhi_crypto`): what an operator does to them.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Adds a data key under the configured cipher; this store encrypts new values with it
    /// from now on (other processes when they restart). Returns its id.
    async fn rotate_data_key(&self) -> StoreResult<u32>;
    /// Wraps every stored key under `new_master` instead of the master key the store was
    /// opened with; from then on the database opens only with `new_master`. Returns how many
    /// keys were re-wrapped. No encrypted value is rewritten.
    async fn rewrap_data_keys(&self, new_master: &MasterKey) -> StoreResult<usize>;
    /// The stored keys, wrapped, by id.
    async fn data_keys(&self) -> StoreResult<Vec<StoredKey>>;
}

/// Passwords, TOTP secrets, API tokens and failed sign-in counters.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// How many users exist: the bootstrap creates administrators only in an empty database.
    async fn count_users(&self) -> StoreResult<u64>;
    async fn credentials(&self, user: UserId) -> StoreResult<Option<Credentials>>;
    /// Sets (or replaces) the password hash; keeps any TOTP secret.
    async fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        must_change: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Stores a new, unconfirmed TOTP secret in place of any earlier one.
    async fn set_pending_totp(&self, user: UserId, secret: &str) -> StoreResult<()>;
    /// Confirms the pending secret with the step of the code that proved it. `false` when
    /// there is no secret, or it is already confirmed.
    async fn confirm_totp(&self, user: UserId, step: u64, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Records `step` as used if it is later than the last step used: `false` for a replay.
    /// Atomic, so two servers cannot both accept the same code.
    async fn use_totp_step(&self, user: UserId, step: u64) -> StoreResult<bool>;
    /// Removes the TOTP secret (lost authenticator); the user enrols again.
    async fn clear_totp(&self, user: UserId) -> StoreResult<()>;

    /// The failures counted against `key`, if any.
    async fn sign_in_failures(&self, key: &ThrottleKey) -> StoreResult<Option<ThrottleState>>;
    /// Counts one more failure against `key` at `at`; a count whose last failure is before
    /// `forget_before` starts again from one. Returns the new count.
    async fn record_sign_in_failure(
        &self,
        key: &ThrottleKey,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<ThrottleState>;
    async fn clear_sign_in_failures(&self, key: &ThrottleKey) -> StoreResult<()>;

    async fn api_token(&self, id: TokenId) -> StoreResult<Option<ApiToken>>;
    /// A user's tokens, revoked ones included, oldest first.
    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes a live token and returns its hash (to forget it from caches); `None` when no
    /// live token has this id.
    async fn revoke_api_token(&self, id: TokenId, at: DateTime<Utc>)
    -> StoreResult<Option<String>>;
}

/// Signed-in sessions, found by the SHA-256 of their id.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    async fn session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// Moves the session's last activity to `at` (for the idle timeout).
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// `false` when there was no live session with this hash.
    async fn revoke_session(&self, id_hash: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Revokes every live session of `user`; returns how many.
    async fn revoke_sessions_of(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<u64>;
    /// Deletes `user`'s sessions that were revoked or began before `created_before`: they
    /// can never be used again, and the audit log keeps their story.
    async fn purge_sessions_of(
        &self,
        user: UserId,
        created_before: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// Residents' sign-in by phone: the one-time code last sent to each phone, and the resident
/// user of each phone. A phone is known here only by its keyed hash, a code only by a keyed
/// hash bound to its phone.
#[async_trait]
pub trait ResidentSignInStore: Send + Sync {
    /// The keyed hash (HMAC-SHA256 with the lookup key of personal data) of `value` as a
    /// `kind`.
    fn keyed_hash(&self, kind: &str, value: &str) -> String;

    /// The key a phone is stored under: the same keyed hash as in `case_party_keys`.
    fn resident_phone_key(&self, phone: &Phone) -> String {
        self.keyed_hash(PARTY_KEY_PHONE, phone.as_str())
    }

    /// The keyed hash a code sent to the phone `phone_key` is stored as.
    fn resident_code_hash(&self, phone_key: &str, code: &str) -> String {
        self.keyed_hash(RESIDENT_CODE_KIND, &format!("{phone_key}:{code}"))
    }

    /// The code last sent to the phone, used or not.
    async fn resident_code(&self, phone_key: &str) -> StoreResult<Option<ResidentCode>>;

    /// Stores a new code for the phone in place of any earlier one, if `limits` allow a
    /// code to be sent at `at`; `false` (and nothing changed) if they do not. Atomic, so
    /// that two servers cannot both send.
    async fn issue_resident_code(
        &self,
        phone_key: &str,
        code_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        limits: &SendLimits,
    ) -> StoreResult<bool>;

    /// Counts one attempt with the phone's code, if it has one that is unused, unexpired at
    /// `at` and tried fewer than `max_tries` times, and returns its hash to compare with;
    /// `None` when there is no such code. Counting before comparing keeps parallel guesses
    /// within `max_tries`.
    async fn try_resident_code(
        &self,
        phone_key: &str,
        at: DateTime<Utc>,
        max_tries: u32,
    ) -> StoreResult<Option<String>>;

    /// Marks the phone's code `code_hash` used at `at`; `false` if it was used already.
    async fn use_resident_code(
        &self,
        phone_key: &str,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The resident user of the phone, if he has signed in before.
    async fn resident_user(&self, phone_key: &str) -> StoreResult<Option<UserId>>;

    /// Creates `user` (with his assignments) as the resident user of the phone, in one
    /// transaction. `Duplicate("resident_phone")` when the phone has a user already,
    /// `Duplicate("user_name")` when the name is taken; either way nothing is created.
    async fn insert_resident_user(&self, phone_key: &str, user: &User) -> StoreResult<()>;
}

/// Files attached to cases, stored once per content.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Stores a file and its thumbnail under `file.digest`, durably. Storing content that is
    /// already there changes nothing (the first `stored_at` stays).
    async fn put_attachment_file(
        &self,
        file: &AttachmentFile,
        content: &[u8],
        thumbnail: Option<&[u8]>,
    ) -> StoreResult<()>;
    /// What is known of the files with these digests; unknown digests are left out.
    async fn attachment_files(&self, digests: &[ContentDigest])
    -> StoreResult<Vec<AttachmentFile>>;
    /// The bytes of a file, or of its thumbnail.
    async fn attachment_content(
        &self,
        digest: &ContentDigest,
        thumbnail: bool,
    ) -> StoreResult<Option<Vec<u8>>>;
}

/// Versions of the deadline policy. Version 1 is the shipped default and is never stored.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// The newest saved version, if any has been saved.
    async fn latest_deadline_policy(&self) -> StoreResult<Option<DeadlinePolicy>>;
    /// A saved version.
    async fn deadline_policy(&self, version: u32) -> StoreResult<Option<DeadlinePolicy>>;
    /// Saves `policy` (its version is ignored) as the next version (2 for the first save) and
    /// returns it. Two saves at once get different versions or one is refused; neither
    /// overwrites the other.
    async fn save_deadline_policy(
        &self,
        policy: &DeadlinePolicy,
        at: DateTime<Utc>,
        by: Option<UserId>,
    ) -> StoreResult<DeadlinePolicy>;
}

/// Everything a backend provides. The binary picks a backend once and hands an
/// `Arc<dyn Store>` to the rest.
pub trait Store:
    CaseReader
    + CaseWriter
    + RegionStore
    + GridShapeStore
    + CategoryStore
    + UnitStore
    + UserStore
    + AuditStore
    + KeyStore
    + CredentialStore
    + SessionStore
    + ResidentSignInStore
    + AttachmentStore
    + PolicyStore
    + StatsStore
    + ContactStore
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// How many batches the backend can usefully commit at the same time.
    fn writer_parallelism(&self) -> usize;
}
