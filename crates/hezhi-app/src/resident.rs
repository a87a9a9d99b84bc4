//! Residents sign in with their phone and a one-time code sent by SMS.
//!
//! `POST /resident/code` sends a 6-digit code to any valid phone, known or not, with the same
//! answer either way; the store keeps it only as a keyed hash bound to the phone's keyed hash
//! (never the phone), for [`CODE_LIFETIME`]. A phone gets at most one code a minute and five
//! an hour ([`SEND_LIMITS`]), an address [`FREE_CODE_REQUESTS`] before it waits.
//! `POST /resident/session` checks the code in constant time: each try is counted before it
//! is compared, [`MAX_CODE_TRIES`] burn a code, and a code works once. The first sign-in of a
//! phone creates its resident user; every sign-in opens a session like a staff member's
//! (cookie, CSRF token, timeouts), in which the resident acts under his `resident` role.
//!
//! How the SMS leaves the server is an [`SmsSender`]: the binary picks one by configuration
//! (`sms_sender = "log"`, the default and for now the only one, writes the message to the
//! log). Another gateway plugs in as a type implementing [`SmsSender`], given to
//! [`App::with_sms_sender`] and named in the binary's `Config::sms_sender`.

use crate::error::AppError;
use crate::random;
use crate::service::{App, token_hash};
use crate::sign_in::{SignedIn, address_key, constant_time_eq, secret, wait_after};
use chrono::{DateTime, Duration, Utc};
use hezhi_domain::{AssignmentId, Phone, Role, UserId, ValidationError};
use hezhi_store::{RoleAssignment, SendLimits, StoreError, ThrottleKey, User};
use serde_json::json;
use std::fmt::Debug;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// How long a code is valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(5);
/// Tries one code allows (the right one included); then it is burnt.
pub const MAX_CODE_TRIES: u32 = 5;
/// How often a code is sent to one phone.
pub const SEND_LIMITS: SendLimits = SendLimits {
    min_interval: Duration::seconds(60),
    window: Duration::hours(1),
    per_window: 5,
};
/// Codes an address may request before each further one waits (30 s, doubling).
pub const FREE_CODE_REQUESTS: u32 = 10;
/// An address's count of code requests starts again after this long without one.
pub const CODE_REQUESTS_REMEMBERED: Duration = Duration::hours(1);

/// What an [`SmsSender`] returns.
pub type SmsFuture<'a> = Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + 'a>>;

/// Sends a text message. Implement it for a gateway (its errors should be
/// [`AppError::SmsUnavailable`]) and hand it to [`App::with_sms_sender`].
pub trait SmsSender: Send + Sync + Debug {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> SmsFuture<'a>;
}

/// The default sender: writes the message to the log (phone masked) and sends nothing. For a
/// laptop, a demo, or a centre that reads codes out from the log; not for the public.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSmsSender;

impl SmsSender for LogSmsSender {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> SmsFuture<'a> {
        Box::pin(async move {
            tracing::info!(phone = %phone.masked(), text, "SMS (log sender: written here, not sent)");
            Ok(())
        })
    }
}

/// The text of the SMS carrying `code`.
pub fn code_message(code: &str) -> String {
    format!(
        "【和治】您的验证码是{code}，{}分钟内有效。",
        CODE_LIFETIME.num_minutes()
    )
}

/// The answer to a code request, the same whether the phone is known or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeSent {
    pub expires_in: Duration,
}

/// One resident sign-in attempt as the client sent it.
#[derive(Debug, Clone, Copy)]
pub struct ResidentSignInAttempt<'a> {
    pub phone: &'a str,
    pub code: &'a str,
    pub client: Option<IpAddr>,
    /// The session id the client presented, if any: revoked on success.
    pub previous_session: Option<&'a str>,
}

/// Six decimal digits, every value equally likely.
fn six_digit_code() -> Result<String, AppError> {
    const RANGE: u32 = 1_000_000;
    let limit = u32::MAX - u32::MAX % RANGE;
    loop {
        let n = u32::from_le_bytes(secret::<4>()?);
        if n < limit {
            return Ok(format!("{:06}", n % RANGE));
        }
    }
}

fn parse_code(code: &str) -> Result<&str, AppError> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(ValidationError::new("code", "invalid_code_format", "the code is six digits").into())
    }
}

/// 429 until `until`, in whole seconds (at least one).
fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let millis = (until - now).num_milliseconds().max(0);
    AppError::TooManyAttempts {
        retry_after: ((millis + 999) / 1000).max(1),
    }
}

impl App {
    /// Sends a sign-in code to `phone`: 202 for any valid phone, known or not.
    pub async fn send_resident_code(
        &self,
        phone: &str,
        client: Option<IpAddr>,
    ) -> Result<CodeSent, AppError> {
        let now = self.now();
        let phone = Phone::parse(phone)?;
        let address = client.map(address_key);
        let keys: Vec<ThrottleKey> = address
            .iter()
            .cloned()
            .map(ThrottleKey::CodeRequests)
            .collect();
        let _serialised = self.sign_in_state().attempts.lock(&keys).await;
        for key in &keys {
            if let Some(state) = self.store().sign_in_failures(key).await?
                && now - state.last_failure_at < CODE_REQUESTS_REMEMBERED
                && let Some(wait) = wait_after(state.failures, FREE_CODE_REQUESTS)
                && now < state.last_failure_at + wait
            {
                return Err(retry_after(state.last_failure_at + wait, now));
            }
        }
        let store = self.store();
        let phone_key = store.resident_phone_key(&phone);
        let code = six_digit_code()?;
        let code_hash = store.resident_code_hash(&phone_key, &code);
        let expires_at = now + CODE_LIFETIME;
        if !store
            .issue_resident_code(&phone_key, &code_hash, now, expires_at, &SEND_LIMITS)
            .await?
        {
            let next = store
                .resident_code(&phone_key)
                .await?
                .and_then(|last| SEND_LIMITS.next_allowed(&last, now))
                .unwrap_or(now + SEND_LIMITS.min_interval);
            return Err(retry_after(next, now));
        }
        for key in &keys {
            store
                .record_sign_in_failure(key, now, now - CODE_REQUESTS_REMEMBERED)
                .await?;
        }
        self.sms_sender().send(&phone, &code_message(&code)).await?;
        self.audit_system(
            None,
            "resident_code_sent",
            json!({ "phone": phone.masked(), "address": client.map(|a| a.to_string()) }),
        )
        .await?;
        tracing::info!(phone = %phone.masked(), "resident sign-in code sent");
        Ok(CodeSent {
            expires_in: CODE_LIFETIME,
        })
    }

    /// Signs a resident in with his phone and the code sent to it, creating his user at the
    /// first sign-in. Every refusal says only `invalid_sign_in_code`, and counts against the
    /// client's address like a failed staff sign-in (the same lockout).
    pub async fn resident_sign_in(
        &self,
        attempt: ResidentSignInAttempt<'_>,
    ) -> Result<SignedIn, AppError> {
        let now = self.now();
        let phone = Phone::parse(attempt.phone)?;
        let code = parse_code(attempt.code)?;
        let keys: Vec<ThrottleKey> = attempt
            .client
            .map(|a| ThrottleKey::Address(address_key(a)))
            .into_iter()
            .collect();
        let _serialised = self.sign_in_state().attempts.lock(&keys).await;
        self.refuse_if_locked(&keys, now).await?;

        let store = self.store();
        let phone_key = store.resident_phone_key(&phone);
        let presented = store.resident_code_hash(&phone_key, code);
        let reason = match store
            .try_resident_code(&phone_key, now, MAX_CODE_TRIES)
            .await?
        {
            Some(stored) if constant_time_eq(stored.as_bytes(), presented.as_bytes()) => {
                if store.use_resident_code(&phone_key, &stored, now).await? {
                    None
                } else {
                    Some("used")
                }
            }
            Some(_) => Some("wrong_code"),
            None => Some(match store.resident_code(&phone_key).await? {
                None => "no_code",
                Some(c) if c.used_at.is_some() => "used",
                Some(c) if c.tries >= MAX_CODE_TRIES => "burnt",
                Some(_) => "expired",
            }),
        };
        if let Some(reason) = reason {
            let detail = json!({
                "phone": phone.masked(),
                "address": attempt.client.map(|a| a.to_string()),
                "reason": reason,
            });
            self.count_failure(&keys, now, "resident_sign_in_failed", None, detail)
                .await?;
            return Err(AppError::InvalidSignInCode);
        }

        let (user, created) = self.resident_of(&phone, &phone_key, now).await?;
        let principal = user.principal();
        if principal.assignments.is_empty() {
            // His resident role was revoked: the code was right, but he may do nothing.
            self.audit_system(
                Some(user.id),
                "resident_sign_in_failed",
                json!({ "phone": phone.masked(), "address": attempt.client.map(|a| a.to_string()),
                    "reason": "no_role" }),
            )
            .await?;
            return Err(AppError::InvalidSignInCode);
        }
        if let Some(previous) = attempt.previous_session {
            store.revoke_session(&token_hash(previous), now).await?;
        }
        let signed_in = self
            .open_session(&user, principal, (false, false), attempt.client, now)
            .await?;
        self.audit_system(
            Some(user.id),
            "resident_signed_in",
            json!({
                "phone": phone.masked(),
                "address": attempt.client.map(|a| a.to_string()),
                "new_user": created,
            }),
        )
        .await?;
        tracing::info!(user = %user.id, "resident signed in");
        Ok(signed_in)
    }

    /// The resident user of `phone`, created (with one `resident` assignment) if the phone
    /// has none yet; and whether he was created now.
    async fn resident_of(
        &self,
        phone: &Phone,
        phone_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(User, bool), AppError> {
        let store = self.store();
        for _ in 0..5 {
            if let Some(id) = store.resident_user(phone_key).await? {
                let user = store
                    .user(id)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("resident user {id} is missing")))?;
                return Ok((user, false));
            }
            let id = UserId::from_uuid(self.new_uuid());
            let last_four = &phone.as_str()[7..];
            let user = User {
                id,
                name: format!("居民-{last_four}-{}", random::hex(&secret::<3>()?)),
                created_at: now,
                assignments: vec![RoleAssignment {
                    id: AssignmentId::from_uuid(self.new_uuid()),
                    user: id,
                    role: Role::Resident,
                    region: None,
                    unit: None,
                    granted_at: now,
                    granted_by: None,
                }],
            };
            match store.insert_resident_user(phone_key, &user).await {
                Ok(()) => {
                    self.audit_system(
                        None,
                        "user_created",
                        json!({ "user": user.id, "name": user.name,
                            "role": Role::Resident.as_str(), "by": "resident_sign_in" }),
                    )
                    .await?;
                    tracing::info!(user = %user.id, "resident user created");
                    return Ok((user, true));
                }
                // Another server signed the same phone in first, or the name was taken:
                // look again, or draw another name.
                Err(StoreError::Duplicate("resident_phone" | "user_name")) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Internal(
            "could not create a resident user after five tries".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| six_digit_code().expect("code")).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 40, "{codes:?}");
    }

    #[test]
    fn the_message_names_the_code_and_its_lifetime() {
        assert_eq!(
            code_message("123456"),
            "【和治】您的验证码是123456，5分钟内有效。"
        );
    }

    #[test]
    fn only_six_digits_are_a_code() {
        assert_eq!(parse_code(" 012345 ").expect("code"), "012345");
        for bad in ["12345", "1234567", "12345a", "１２３４５６", ""] {
            assert_eq!(
                parse_code(bad).expect_err(bad).code(),
                "invalid_code_format"
            );
        }
    }
}
