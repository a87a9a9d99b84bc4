//! What staff sign-in stores: password hashes and TOTP secrets per user (the secrets
//! encrypted with the personal-data keys), sessions (by the hash of their id), and the
//! failure counters that slow down guessing.

use crate::error::StoreError;
use crate::traits::StoreResult;
use chrono::{DateTime, Utc};
use hezhi_crypto::Keyring;
use hezhi_domain::{Phone, UserId};

/// A user's sign-in credentials. A user without a row has no password and cannot sign in
/// (API tokens still work).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: UserId,
    /// An argon2id PHC string (`$argon2id$v=19$m=…`); `None` when no password is set.
    pub password_hash: Option<String>,
    /// Set for passwords chosen by someone else (bootstrap, an administrator): until it is
    /// changed, a session may do nothing but change it.
    pub must_change_password: bool,
    pub password_changed_at: Option<DateTime<Utc>>,
    pub totp: Option<TotpState>,
}

/// A TOTP secret, pending until a code from it has been confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpState {
    /// The shared secret, base32 (decrypted: the store keeps it encrypted).
    pub secret: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The last 30-second step whose code was accepted: a code is accepted once.
    pub last_step: Option<u64>,
}

impl TotpState {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// A signed-in session. The session id itself is only in the client's cookie; the store
/// keeps its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user: UserId,
    /// The synchronizer token that state-changing requests must echo (`X-CSRF-Token`).
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session may only change the password.
    pub must_change_password: bool,
    /// The session may only enrol a TOTP authenticator (and change the password).
    pub must_enrol_totp: bool,
    /// The client's address at sign-in, for the record.
    pub client: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What failed sign-ins are counted against: the name tried, and the client's address; and
/// what residents' requests for sign-in codes are counted against: the client's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ThrottleKey {
    Account(String),
    Address(String),
    /// Sign-in codes requested from an address (each one an SMS sent).
    CodeRequests(String),
}

impl ThrottleKey {
    /// `account` or `address`, as stored.
    pub fn scope(&self) -> &'static str {
        match self {
            ThrottleKey::Account(_) => "account",
            ThrottleKey::Address(_) => "address",
            ThrottleKey::CodeRequests(_) => "code_requests",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            ThrottleKey::Account(value)
            | ThrottleKey::Address(value)
            | ThrottleKey::CodeRequests(value) => value,
        }
    }
}

/// Failed sign-ins counted against one key since it was last cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub last_failure_at: DateTime<Utc>,
}

/// What a stored TOTP secret is bound to: a value copied to another user's row does not
/// decrypt.
fn totp_context(user: UserId) -> String {
    format!("{user}:totp_secret")
}

/// A TOTP secret as stored: encrypted under the current data key, like personal data (the
/// server must read it back, so it cannot be hashed).
pub fn seal_totp_secret(keys: &Keyring, user: UserId, secret: &str) -> StoreResult<String> {
    Ok(keys.encrypt(secret, &totp_context(user))?)
}

/// Decrypts what [`seal_totp_secret`] stored.
pub fn open_totp_secret(keys: &Keyring, user: UserId, stored: &str) -> StoreResult<String> {
    Ok(keys.decrypt(stored, &totp_context(user))?)
}

/// Encrypts a staff member's phone for `staff_phones`, bound to the user.
pub fn seal_staff_phone(keys: &Keyring, user: UserId, phone: &Phone) -> StoreResult<String> {
    Ok(keys.encrypt(phone.as_str(), &staff_phone_context(user))?)
}

/// Decrypts what [`seal_staff_phone`] stored.
pub fn open_staff_phone(keys: &Keyring, user: UserId, stored: &str) -> StoreResult<Phone> {
    let text = keys.decrypt(stored, &staff_phone_context(user))?;
    Phone::parse(&text).map_err(|e| StoreError::Corrupt(format!("a stored staff phone: {e}")))
}

fn staff_phone_context(user: UserId) -> String {
    format!("{user}:staff_phone")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hezhi_crypto::{Cipher, MasterKey};

    #[test]
    fn a_totp_secret_is_stored_encrypted_and_bound_to_its_user() {
        let master = MasterKey::generate().expect("master key");
        let (keys, _) = Keyring::create(&master, Cipher::Aes256Gcm).expect("keyring");
        let user = UserId::from_uuid(uuid::Uuid::from_u128(1));
        let other = UserId::from_uuid(uuid::Uuid::from_u128(2));
        let sealed = seal_totp_secret(&keys, user, "JBSWY3DPEHPK3PXP").expect("seal");
        assert!(Keyring::is_sealed(&sealed) && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            open_totp_secret(&keys, user, &sealed).expect("open"),
            "JBSWY3DPEHPK3PXP"
        );
        assert!(open_totp_secret(&keys, other, &sealed).is_err());
    }
}
