//! Staff sign-in: passwords, sessions, TOTP, the lockout that slows guessing, API token
//! revocation, and the administrators a new database starts with. Every event here is
//! written to the audit log (system chain).
//!
//! A session id is 32 random bytes, given to the client once (the cookie) and stored only as
//! its SHA-256. Each sign-in makes a new one and revokes the one the client presented; a
//! password change or TOTP confirmation does the same. A session ends after
//! [`SignInPolicy::idle_timeout`] without use or [`SignInPolicy::absolute_timeout`] after it
//! began, whichever comes first.

use crate::error::AppError;
use crate::password::{self, HashError};
use crate::random;
use crate::service::{App, token_hash};
use crate::totp;
use chrono::{DateTime, Duration, Utc};
use hezhi_domain::access::Action;
use hezhi_domain::{AssignmentId, Principal, RegionCode, Role, TokenId, UserId, ValidationError};
use hezhi_store::{
    ApiToken, AuditRecord, Credentials, RoleAssignment, SessionRecord, ThrottleKey, ThrottleState,
    User,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// How sessions and second factors behave; the binary fills it from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInPolicy {
    /// A session unused for this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however busy.
    pub absolute_timeout: Duration,
    /// Require TOTP of every staff member, not only of administrators and auditors.
    pub totp_required_for_all_staff: bool,
    /// The issuer an authenticator app shows beside the account.
    pub totp_issuer: String,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
            totp_required_for_all_staff: false,
            totp_issuer: "Hezhi 和治".into(),
        }
    }
}

/// The longest user name a sign-in looks up, in bytes.
const MAX_NAME_BYTES: usize = 256;

/// Failed sign-ins allowed per account or address before waits begin.
pub const FREE_FAILURES: u32 = 5;
/// The first wait; each further failure doubles it.
pub const FIRST_WAIT: Duration = Duration::seconds(30);
/// The longest wait.
pub const LONGEST_WAIT: Duration = Duration::hours(1);
/// A count whose last failure is older than this starts again.
pub const FAILURES_REMEMBERED: Duration = Duration::hours(24);
/// Session activity is written at most this often (the idle timeout is this precise).
const TOUCH_EVERY: Duration = Duration::seconds(60);
/// Longest name kept for a failed sign-in (counters and audit).
const NAME_KEPT: usize = 100;

/// The wait after `failures` failures: none up to [`FREE_FAILURES`], then
/// [`FIRST_WAIT`] doubling with each failure, at most [`LONGEST_WAIT`].
pub fn lockout_after(failures: u32) -> Option<Duration> {
    wait_after(failures, FREE_FAILURES)
}

/// The wait after `count` attempts of which `free` need none: [`FIRST_WAIT`] doubling with
/// each further attempt, at most [`LONGEST_WAIT`].
pub(crate) fn wait_after(count: u32, free: u32) -> Option<Duration> {
    let beyond = count.checked_sub(free)?;
    let factor = 1_i32 << beyond.min(16);
    Some((FIRST_WAIT * factor).min(LONGEST_WAIT))
}

/// How long `state` still refuses attempts at `now`.
fn locked_for(state: &ThrottleState, now: DateTime<Utc>) -> Option<Duration> {
    let until = state.last_failure_at + lockout_after(state.failures)?;
    (now < until).then(|| until - now)
}

/// Whether two secrets are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `principal` is staff: holds a role other than resident. Residents have no staff
/// rights and do not sign in here.
pub fn is_staff(principal: &Principal) -> bool {
    principal
        .assignments
        .iter()
        .any(|actor| actor.role != Role::Resident)
}

/// Residents sign in by phone code: passwords and authenticators are for staff.
fn refuse_residents(session: &Session) -> Result<(), AppError> {
    if is_staff(&session.principal) {
        Ok(())
    } else {
        Err(AppError::StaffOnly)
    }
}

/// Whether `principal` must prove a TOTP code at sign-in: anyone holding an administrative
/// role (system or security administrator, auditor), and with
/// [`SignInPolicy::totp_required_for_all_staff`] all staff.
pub fn requires_totp(principal: &Principal, policy: &SignInPolicy) -> bool {
    principal.assignments.iter().any(|actor| {
        matches!(
            actor.role,
            Role::SystemAdmin | Role::SecurityAdmin | Role::Auditor
        )
    }) || (policy.totp_required_for_all_staff && is_staff(principal))
}

/// The key an address is counted under: the address itself, or for IPv6 its /64, which one
/// subscriber usually holds whole.
pub(crate) fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn kept_name(name: &str) -> String {
    name.chars().take(NAME_KEPT).collect()
}

fn throttle_keys(name: &str, client: Option<IpAddr>) -> Vec<ThrottleKey> {
    let mut keys = vec![ThrottleKey::Account(kept_name(name))];
    keys.extend(client.map(|a| ThrottleKey::Address(address_key(a))));
    keys
}

/// One sign-in attempt as the client sent it.
#[derive(Debug, Clone, Copy)]
pub struct SignInAttempt<'a> {
    pub name: &'a str,
    pub password: &'a str,
    pub totp: Option<&'a str>,
    /// The client's address, when known: failures are counted against it too.
    pub client: Option<IpAddr>,
    /// The session id the client presented, if any: revoked on success.
    pub previous_session: Option<&'a str>,
}

/// A live session, as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user: User,
    /// The user acting under every role assignment he holds now.
    pub principal: Principal,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    /// When it ends at the latest (the absolute timeout).
    pub expires_at: DateTime<Utc>,
    pub must_change_password: bool,
    pub must_enrol_totp: bool,
}

impl Session {
    /// Whether `presented` is this session's CSRF token (constant-time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        constant_time_eq(self.csrf_token.as_bytes(), presented.as_bytes())
    }

    /// Why this session may not do ordinary work yet, if it may not.
    pub fn restriction(&self) -> Option<AppError> {
        if self.must_change_password {
            Some(AppError::PasswordChangeRequired)
        } else if self.must_enrol_totp {
            Some(AppError::TotpEnrolmentRequired)
        } else {
            None
        }
    }
}

/// A new session: its id, shown to the client once (as a cookie), and the session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_id: String,
    pub session: Session,
}

/// A TOTP secret handed to the user's authenticator app.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// base32
    pub secret: String,
    pub otpauth_uri: String,
}

/// A bootstrap administrator and the password printed once.
#[derive(Debug, Clone)]
pub struct BootstrapAdmin {
    pub user: User,
    pub role: Role,
    pub password: String,
}

/// The administrators a new database starts with: one per administrative role.
pub const BOOTSTRAP_ADMINS: [(&str, Role); 3] = [
    ("sysadmin", Role::SystemAdmin),
    ("secadmin", Role::SecurityAdmin),
    ("auditor", Role::Auditor),
];

/// The state sign-in keeps in memory: hashing capacity and the attempts in flight.
#[derive(Debug, Default)]
pub(crate) struct SignInState {
    pub(crate) policy: SignInPolicy,
    pub(crate) hasher: password::Hasher,
    pub(crate) attempts: AttemptLocks,
}

impl SignInState {
    pub(crate) fn new(policy: SignInPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }
}

/// Attempts for the same account or address run one after another in this process, so that
/// a burst of parallel guesses cannot all pass the lockout check before the first failure is
/// counted. (Across processes the counters in the database still apply.)
#[derive(Debug, Default)]
pub(crate) struct AttemptLocks(Mutex<HashMap<ThrottleKey, Arc<tokio::sync::Mutex<()>>>>);

impl AttemptLocks {
    pub(crate) async fn lock(&self, keys: &[ThrottleKey]) -> Vec<tokio::sync::OwnedMutexGuard<()>> {
        let mut keys = keys.to_vec();
        keys.sort();
        keys.dedup();
        let mut guards = Vec::with_capacity(keys.len());
        for key in keys {
            let lock = {
                let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
                map.retain(|_, lock| Arc::strong_count(lock) > 1);
                Arc::clone(map.entry(key).or_default())
            };
            guards.push(lock.lock_owned().await);
        }
        guards
    }
}

impl From<HashError> for AppError {
    fn from(error: HashError) -> Self {
        AppError::Internal(error.to_string())
    }
}

pub(crate) fn secret<const N: usize>() -> Result<[u8; N], AppError> {
    random::secret_bytes::<N>().map_err(|e| AppError::Internal(format!("random generator: {e}")))
}

/// A password for a bootstrap administrator: 16 characters from an alphabet without look-alikes
/// (about 92 bits).
fn random_password() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = secret::<32>()?;
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut password: String = bytes
        .iter()
        .filter(|b| usize::from(**b) < limit)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .take(16)
        .collect();
    while password.len() < 16 {
        let [b] = secret::<1>()?;
        if usize::from(b) < limit {
            password.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
        }
    }
    Ok(password)
}

impl App {
    /// The sign-in policy in force.
    pub fn sign_in_policy(&self) -> &SignInPolicy {
        &self.sign_in_state().policy
    }

    /// 429 when any of `keys` is in its wait.
    pub(crate) async fn refuse_if_locked(
        &self,
        keys: &[ThrottleKey],
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let mut longest: Option<Duration> = None;
        for key in keys {
            if let Some(state) = self.store().sign_in_failures(key).await?
                && let Some(wait) = locked_for(&state, now)
            {
                longest = Some(longest.map_or(wait, |l| l.max(wait)));
            }
        }
        match longest {
            Some(wait) => {
                let millis = u64::try_from(wait.num_milliseconds()).unwrap_or(0);
                Err(AppError::SignInLocked {
                    retry_after_seconds: millis.div_ceil(1000).max(1),
                })
            }
            None => Ok(()),
        }
    }

    /// Counts a failure against every key, writes the audit records, and returns the error
    /// the client gets (which never says what was wrong).
    pub(crate) async fn count_failure(
        &self,
        keys: &[ThrottleKey],
        now: DateTime<Utc>,
        action: &str,
        actor: Option<UserId>,
        mut detail: Value,
    ) -> Result<AppError, AppError> {
        let mut records = Vec::new();
        for key in keys {
            let state = self
                .store()
                .record_sign_in_failure(key, now, now - FAILURES_REMEMBERED)
                .await?;
            if let Some(wait) = lockout_after(state.failures) {
                records.push(AuditRecord {
                    at: now,
                    actor: None,
                    action: "sign_in_locked".into(),
                    case: None,
                    county: None,
                    detail: json!({
                        "scope": key.scope(),
                        "key": key.value(),
                        "failures": state.failures,
                        "until": now + wait,
                    }),
                });
            }
        }
        detail["failures_counted_against"] = keys
            .iter()
            .map(|k| json!({ "scope": k.scope(), "key": k.value() }))
            .collect();
        records.insert(
            0,
            AuditRecord {
                at: now,
                actor,
                action: action.to_owned(),
                case: None,
                county: None,
                detail,
            },
        );
        self.store().append_audit(records).await?;
        tracing::info!(action, "sign-in refused");
        Ok(AppError::InvalidCredentials)
    }

    /// Accepts a TOTP code of `credentials` once: the step it belongs to must be later than
    /// the last step accepted.
    async fn accept_totp_code(
        &self,
        credentials: &Credentials,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        let Some(state) = &credentials.totp else {
            return Ok(false);
        };
        let Some(secret) = totp::base32_decode(&state.secret) else {
            return Err(AppError::Internal(
                "stored TOTP secret is not base32".into(),
            ));
        };
        let Some(step) = totp::matching_step(&secret, code, now) else {
            return Ok(false);
        };
        Ok(self.store().use_totp_step(credentials.user, step).await?)
    }

    pub(crate) async fn open_session(
        &self,
        user: &User,
        principal: Principal,
        flags: (bool, bool),
        client: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, AppError> {
        let (must_change_password, must_enrol_totp) = flags;
        let session_id = random::hex(&secret::<32>()?);
        let record = SessionRecord {
            id_hash: token_hash(&session_id),
            user: user.id,
            csrf_token: random::hex(&secret::<32>()?),
            created_at: now,
            last_seen_at: now,
            must_change_password,
            must_enrol_totp,
            client: client.map(|a| a.to_string()),
            revoked_at: None,
        };
        self.store().insert_session(&record).await?;
        let policy = self.sign_in_policy();
        self.store()
            .purge_sessions_of(user.id, now - policy.absolute_timeout)
            .await?;
        Ok(SignedIn {
            session_id,
            session: Session {
                id_hash: record.id_hash,
                user: user.clone(),
                principal,
                csrf_token: record.csrf_token,
                created_at: now,
                expires_at: now + policy.absolute_timeout,
                must_change_password,
                must_enrol_totp,
            },
        })
    }

    /// Signs a staff member in with name, password and (where enrolled) a TOTP code.
    ///
    /// Refused attempts say only `invalid_credentials`, whether the name, the password or the
    /// code was wrong; a locked account or address says `sign_in_locked` without looking at
    /// the password at all.
    pub async fn sign_in(&self, attempt: SignInAttempt<'_>) -> Result<SignedIn, AppError> {
        // No account has such a name, and no database should be asked about one (PostgreSQL
        // refuses a NUL in text): refused like any unknown name, and not counted.
        if attempt.name.chars().any(char::is_control) || attempt.name.len() > MAX_NAME_BYTES {
            return Err(AppError::InvalidCredentials);
        }
        let now = self.now();
        let keys = throttle_keys(attempt.name, attempt.client);
        let _serialised = self.sign_in_state().attempts.lock(&keys).await;
        self.refuse_if_locked(&keys, now).await?;

        let user = self.store().user_by_name(attempt.name).await?;
        let principal = user.as_ref().map(User::principal);
        let credentials = match (&user, &principal) {
            (Some(user), Some(principal)) if is_staff(principal) => {
                self.store().credentials(user.id).await?
            }
            _ => None,
        };
        let password_hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
        let password_ok = self
            .sign_in_state()
            .hasher
            .verify(attempt.password, password_hash.as_deref())
            .await?;
        let failure_detail = |reason: &str| {
            json!({
                "name": kept_name(attempt.name),
                "address": attempt.client.map(|a| a.to_string()),
                "reason": reason,
            })
        };
        let (Some(user), Some(principal), Some(credentials), true) =
            (user.clone(), principal, credentials, password_ok)
        else {
            let reason = match (&user, &password_hash) {
                (None, _) => "unknown_name",
                (Some(_), None) => "no_password",
                (Some(_), Some(_)) => "wrong_password",
            };
            let actor = user.as_ref().map(|u| u.id);
            return Err(self
                .count_failure(&keys, now, "sign_in_failed", actor, failure_detail(reason))
                .await?);
        };
        let totp_enrolled = credentials.totp.as_ref().is_some_and(|t| t.is_confirmed());
        if totp_enrolled {
            let Some(code) = attempt.totp.filter(|c| !c.trim().is_empty()) else {
                return Err(AppError::TotpCodeRequired);
            };
            if !self.accept_totp_code(&credentials, code, now).await? {
                return Err(self
                    .count_failure(
                        &keys,
                        now,
                        "sign_in_failed",
                        Some(user.id),
                        failure_detail("wrong_totp_code"),
                    )
                    .await?);
            }
        }
        self.store().clear_sign_in_failures(&keys[0]).await?;
        if let Some(previous) = attempt.previous_session {
            self.store()
                .revoke_session(&token_hash(previous), now)
                .await?;
        }
        let must_enrol = requires_totp(&principal, self.sign_in_policy()) && !totp_enrolled;
        let signed_in = self
            .open_session(
                &user,
                principal,
                (credentials.must_change_password, must_enrol),
                attempt.client,
                now,
            )
            .await?;
        self.audit_system(
            Some(user.id),
            "sign_in",
            json!({
                "address": attempt.client.map(|a| a.to_string()),
                "totp": totp_enrolled,
                "must_change_password": credentials.must_change_password,
                "must_enrol_totp": must_enrol,
            }),
        )
        .await?;
        tracing::info!(user = %user.id, "signed in");
        Ok(signed_in)
    }

    /// The live session whose id the client presented: unknown, revoked, idle for too long
    /// or too old are all `Unauthenticated`.
    pub async fn session(&self, session_id: &str) -> Result<Session, AppError> {
        let now = self.now();
        let policy = self.sign_in_policy();
        let id_hash = token_hash(session_id);
        let Some(record) = self.store().session(&id_hash).await? else {
            return Err(AppError::Unauthenticated);
        };
        let live = record.revoked_at.is_none()
            && now < record.created_at + policy.absolute_timeout
            && now < record.last_seen_at + policy.idle_timeout;
        if !live {
            return Err(AppError::Unauthenticated);
        }
        let Some(user) = self.store().user(record.user).await? else {
            return Err(AppError::Unauthenticated);
        };
        // The roles held now: a role revoked since sign-in no longer counts, and a user left
        // with none has no session. (Staff and residents alike; what each may do is the
        // rights matrix's business, and the staff endpoints check `is_staff`.)
        let principal = user.principal();
        if principal.assignments.is_empty() {
            return Err(AppError::Unauthenticated);
        }
        if now - record.last_seen_at >= TOUCH_EVERY {
            self.store().touch_session(&id_hash, now).await?;
        }
        // A role that needs TOTP may have been granted, or the policy tightened, since
        // sign-in. A confirmed authenticator was asked for at sign-in (or confirmed by this
        // very session), so only its absence restricts the session.
        let must_enrol_totp = record.must_enrol_totp
            || (requires_totp(&principal, policy) && !self.totp_confirmed(user.id).await?);
        Ok(Session {
            id_hash,
            user,
            principal,
            csrf_token: record.csrf_token,
            created_at: record.created_at,
            expires_at: record.created_at + policy.absolute_timeout,
            must_change_password: record.must_change_password,
            must_enrol_totp,
        })
    }

    async fn totp_confirmed(&self, user: UserId) -> Result<bool, AppError> {
        Ok(self
            .store()
            .credentials(user)
            .await?
            .and_then(|c| c.totp)
            .is_some_and(|t| t.is_confirmed()))
    }

    /// Ends a session.
    pub async fn sign_out(&self, session: &Session) -> Result<(), AppError> {
        let now = self.now();
        self.store().revoke_session(&session.id_hash, now).await?;
        self.audit_system(Some(session.user.id), "sign_out", json!({}))
            .await?;
        tracing::info!(user = %session.user.id, "signed out");
        Ok(())
    }

    /// Changes the signed-in user's password. Every session of the user ends; the answer is
    /// a new one. A wrong current password counts as a failed sign-in.
    pub async fn change_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
        client: Option<IpAddr>,
    ) -> Result<SignedIn, AppError> {
        refuse_residents(session)?;
        let now = self.now();
        let user = &session.user;
        let keys = throttle_keys(&user.name, client);
        let _serialised = self.sign_in_state().attempts.lock(&keys).await;
        self.refuse_if_locked(&keys, now).await?;
        let credentials = self.store().credentials(user.id).await?;
        let current_hash = credentials
            .as_ref()
            .and_then(|c| c.password_hash.as_deref());
        let hasher = &self.sign_in_state().hasher;
        if !hasher.verify(current, current_hash).await? {
            self.count_failure(
                &keys,
                now,
                "password_change_failed",
                Some(user.id),
                json!({ "address": client.map(|a| a.to_string()), "reason": "wrong_password" }),
            )
            .await?;
            return Err(ValidationError::new(
                "current",
                "wrong_password",
                "the current password is wrong",
            )
            .into());
        }
        password::check_rules("new", &user.name, new)?;
        if new == current {
            return Err(ValidationError::new(
                "new",
                "password_unchanged",
                "the new password must differ from the current one",
            )
            .into());
        }
        let hash = hasher.hash(new).await?;
        self.store()
            .set_password(user.id, &hash, false, now)
            .await?;
        self.store().revoke_sessions_of(user.id, now).await?;
        self.store().clear_sign_in_failures(&keys[0]).await?;
        let totp_enrolled = credentials
            .and_then(|c| c.totp)
            .is_some_and(|t| t.is_confirmed());
        let must_enrol = requires_totp(&session.principal, self.sign_in_policy()) && !totp_enrolled;
        let signed_in = self
            .open_session(
                user,
                session.principal.clone(),
                (false, must_enrol),
                client,
                now,
            )
            .await?;
        self.audit_system(
            Some(user.id),
            "password_changed",
            json!({ "address": client.map(|a| a.to_string()), "other_sessions_ended": true }),
        )
        .await?;
        tracing::info!(user = %user.id, "password changed");
        Ok(signed_in)
    }

    /// Starts TOTP enrolment: a new secret, pending until a code from it is confirmed.
    pub async fn enrol_totp(&self, session: &Session) -> Result<TotpEnrolment, AppError> {
        refuse_residents(session)?;
        if session.must_change_password {
            return Err(AppError::PasswordChangeRequired);
        }
        let user = &session.user;
        let credentials = self.store().credentials(user.id).await?;
        if credentials
            .and_then(|c| c.totp)
            .is_some_and(|t| t.is_confirmed())
        {
            return Err(AppError::TotpAlreadyEnrolled);
        }
        let secret = totp::base32_encode(&secret::<{ totp::SECRET_BYTES }>()?);
        self.store().set_pending_totp(user.id, &secret).await?;
        self.audit_system(Some(user.id), "totp_enrolment_started", json!({}))
            .await?;
        Ok(TotpEnrolment {
            otpauth_uri: totp::otpauth_uri(&self.sign_in_policy().totp_issuer, &user.name, &secret),
            secret,
        })
    }

    /// Confirms the pending TOTP secret with a code from it. The session is replaced by one
    /// no longer restricted to enrolment.
    pub async fn confirm_totp(
        &self,
        session: &Session,
        code: &str,
        client: Option<IpAddr>,
    ) -> Result<SignedIn, AppError> {
        refuse_residents(session)?;
        if session.must_change_password {
            return Err(AppError::PasswordChangeRequired);
        }
        let now = self.now();
        let user = &session.user;
        let Some(credentials) = self.store().credentials(user.id).await? else {
            return Err(AppError::TotpNotStarted);
        };
        let Some(state) = &credentials.totp else {
            return Err(AppError::TotpNotStarted);
        };
        if state.is_confirmed() {
            return Err(AppError::TotpAlreadyEnrolled);
        }
        let secret = totp::base32_decode(&state.secret)
            .ok_or_else(|| AppError::Internal("stored TOTP secret is not base32".into()))?;
        let Some(step) = totp::matching_step(&secret, code, now) else {
            return Err(ValidationError::new(
                "code",
                "invalid_totp_code",
                "the code does not match the authenticator's secret",
            )
            .into());
        };
        if !self.store().confirm_totp(user.id, step, now).await? {
            return Err(AppError::TotpNotStarted);
        }
        self.store().revoke_session(&session.id_hash, now).await?;
        let signed_in = self
            .open_session(user, session.principal.clone(), (false, false), client, now)
            .await?;
        self.audit_system(Some(user.id), "totp_enrolled", json!({}))
            .await?;
        tracing::info!(user = %user.id, "TOTP enrolled");
        Ok(signed_in)
    }

    // ---- operators (CLI) --------------------------------------------------------------

    async fn staff_user_named(&self, name: &str) -> Result<User, AppError> {
        let user = self
            .store()
            .user_by_name(name)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if !is_staff(&user.principal()) {
            return Err(AppError::StaffOnly);
        }
        Ok(user)
    }

    /// Sets a staff member's password (an operator on the command line). With `temporary`,
    /// the user must change it at the next sign-in. Every session of the user ends.
    pub async fn set_password(
        &self,
        name: &str,
        password: &str,
        temporary: bool,
    ) -> Result<User, AppError> {
        let now = self.now();
        let user = self.staff_user_named(name).await?;
        password::check_rules("password", &user.name, password)?;
        let hash = self.sign_in_state().hasher.hash(password).await?;
        self.store()
            .set_password(user.id, &hash, temporary, now)
            .await?;
        self.store().revoke_sessions_of(user.id, now).await?;
        self.store()
            .clear_sign_in_failures(&ThrottleKey::Account(kept_name(&user.name)))
            .await?;
        self.audit_system(
            None,
            "password_set",
            json!({ "user": user.id, "name": user.name, "temporary": temporary }),
        )
        .await?;
        Ok(user)
    }

    /// Gives a user a new random password that he must change at his next sign-in, and shows
    /// it once (a system administrator, for a new user or a forgotten password). Every
    /// session of the user ends; audited as `password_set`.
    pub async fn issue_temporary_password(
        &self,
        by: &Principal,
        user: UserId,
    ) -> Result<(User, String), AppError> {
        let now = self.now();
        self.require_admin(by, hezhi_domain::Action::ManageUsers, None, None)
            .await?;
        let user = self
            .store()
            .user(user)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if user.assignments.iter().any(|a| a.role == Role::Resident) {
            return Err(AppError::StaffOnly);
        }
        let password = random_password()?;
        let hash = self.sign_in_state().hasher.hash(&password).await?;
        self.store().set_password(user.id, &hash, true, now).await?;
        self.store().revoke_sessions_of(user.id, now).await?;
        self.audit_system(
            Some(by.user),
            "password_set",
            json!({ "user": user.id, "name": user.name, "temporary": true }),
        )
        .await?;
        Ok((user, password))
    }

    /// Removes a staff member's TOTP secret (a lost authenticator); they enrol again at the
    /// next sign-in. Every session of the user ends.
    pub async fn reset_totp(&self, name: &str) -> Result<User, AppError> {
        let now = self.now();
        let user = self.staff_user_named(name).await?;
        self.store().clear_totp(user.id).await?;
        self.store().revoke_sessions_of(user.id, now).await?;
        self.audit_system(
            None,
            "totp_reset",
            json!({ "user": user.id, "name": user.name }),
        )
        .await?;
        Ok(user)
    }

    /// Creates the administrators of a new database — `sysadmin`, `secadmin` and `auditor`,
    /// bound to `region` — each with a random password that must be changed at the first
    /// sign-in. Does nothing (and returns nothing) when any user exists.
    pub async fn bootstrap_admins(
        &self,
        region: &RegionCode,
    ) -> Result<Vec<BootstrapAdmin>, AppError> {
        if self.store().count_users().await? > 0 {
            return Ok(Vec::new());
        }
        if self.store().region(region).await?.is_none() {
            return Err(ValidationError::new(
                "bootstrap_region",
                "unknown_region",
                format!("region {region} does not exist"),
            )
            .into());
        }
        let now = self.now();
        let mut created = Vec::new();
        for (name, role) in BOOTSTRAP_ADMINS {
            let id = UserId::from_uuid(self.new_uuid());
            let user = User {
                id,
                name: name.to_owned(),
                created_at: now,
                assignments: vec![RoleAssignment {
                    id: AssignmentId::from_uuid(self.new_uuid()),
                    user: id,
                    role,
                    region: Some(region.clone()),
                    unit: None,
                    granted_at: now,
                    granted_by: None,
                }],
            };
            let password = random_password()?;
            password::check_rules("password", name, &password)?;
            let hash = self.sign_in_state().hasher.hash(&password).await?;
            self.store().insert_user(&user).await?;
            self.store().set_password(user.id, &hash, true, now).await?;
            self.audit_system(
                None,
                "user_created",
                json!({ "user": user.id, "name": user.name, "role": role.as_str(),
                    "region": region, "bootstrap": true }),
            )
            .await?;
            tracing::info!(user = %user.id, role = role.as_str(), "bootstrap administrator created");
            created.push(BootstrapAdmin {
                user,
                role,
                password,
            });
        }
        Ok(created)
    }

    // ---- API tokens -------------------------------------------------------------------

    /// Revokes an API token. `by` is the caller (`None`: an operator on the command line); a
    /// caller may revoke his own tokens, and one who manages role assignments (a security
    /// administrator) those bound to an assignment within his scope. Any other token is
    /// `NotFound`, as if it did not exist. It stops working at once in this process and
    /// within [`crate::service::TOKEN_CACHE_TTL`] in others.
    pub async fn revoke_token(&self, by: Option<&Principal>, id: TokenId) -> Result<(), AppError> {
        let now = self.now();
        if let Some(principal) = by
            && !is_staff(principal)
        {
            return Err(AppError::StaffOnly);
        }
        let token = self
            .store()
            .api_token(id)
            .await?
            .ok_or(AppError::NotFound("token"))?;
        if let Some(principal) = by
            && principal.user != token.user
        {
            let owner = self.store().user(token.user).await?;
            let scope = owner
                .iter()
                .flat_map(|u| &u.assignments)
                .find(|a| a.id == token.assignment);
            self.require_admin(
                principal,
                Action::ManageRoleAssignments,
                scope.and_then(|a| a.region.as_ref()),
                scope.and_then(|a| a.unit),
            )
            .await
            .map_err(|_| AppError::NotFound("token"))?;
        }
        let Some(hash) = self.store().revoke_api_token(id, now).await? else {
            // Already revoked: nothing to do.
            return Ok(());
        };
        self.forget_token(&hash);
        self.audit_system(
            by.map(|p| p.user),
            "token_revoked",
            json!({ "token": id, "owner": token.user, "assignment": token.assignment }),
        )
        .await?;
        tracing::info!(token = %id, owner = %token.user, "API token revoked");
        Ok(())
    }

    /// The API tokens of the user called `name` (an operator on the command line).
    pub async fn tokens_of(&self, name: &str) -> Result<(User, Vec<ApiToken>), AppError> {
        let user = self
            .store()
            .user_by_name(name)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let tokens = self.store().api_tokens_of(user.id).await?;
        Ok((user, tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_begin_after_five_failures_double_and_stop_at_an_hour() {
        assert_eq!(lockout_after(0), None);
        assert_eq!(lockout_after(4), None);
        assert_eq!(lockout_after(5), Some(Duration::seconds(30)));
        assert_eq!(lockout_after(6), Some(Duration::seconds(60)));
        assert_eq!(lockout_after(7), Some(Duration::seconds(120)));
        assert_eq!(lockout_after(11), Some(Duration::seconds(1920)));
        assert_eq!(lockout_after(12), Some(Duration::hours(1)));
        assert_eq!(lockout_after(1000), Some(Duration::hours(1)));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
        let parse = |s: &str| s.parse::<IpAddr>().expect("address");
        assert_eq!(address_key(parse("192.0.2.7")), "192.0.2.7");
        assert_eq!(
            address_key(parse("2001:db8:1:2:aaaa::1")),
            address_key(parse("2001:db8:1:2:bbbb::9"))
        );
        assert_eq!(address_key(parse("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(address_key(parse("::ffff:192.0.2.7")), "192.0.2.7");
    }

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn bootstrap_passwords_are_long_random_and_pass_the_rules() {
        let a = random_password().expect("password");
        let b = random_password().expect("password");
        assert_eq!(a.chars().count(), 16);
        assert_ne!(a, b);
        password::check_rules("password", "sysadmin", &a).expect("passes the rules");
    }
}
