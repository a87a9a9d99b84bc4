//! What residents' sign-in by phone stores: the one-time code last sent to each phone, and
//! the resident user each phone belongs to. Both are found by the phone's keyed hash
//! (HMAC with the lookup key of personal data, the same hash `case_party_keys` holds), and a
//! code only as a keyed hash bound to that phone: neither the phone nor the code is stored.

use chrono::{DateTime, Duration, Utc};

/// The kind of keyed hash under which a code is stored (its phone's key is hashed with it).
pub const RESIDENT_CODE_KIND: &str = "resident_code";

/// The code last sent to a phone, and how many were sent in the current window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentCode {
    /// The phone's keyed hash.
    pub phone_key: String,
    /// The code's keyed hash (see [`crate::ResidentSignInStore::resident_code_hash`]).
    pub code_hash: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Attempts made with this code, the right one included.
    pub tries: u32,
    /// When the code signed someone in; it works once.
    pub used_at: Option<DateTime<Utc>>,
    /// The sending window the code counts in began with the first code sent in it.
    pub window_started_at: DateTime<Utc>,
    pub sent_in_window: u32,
}

/// How often a code may be sent to one phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// The least time between two codes.
    pub min_interval: Duration,
    /// The window (from its first code) within which at most `per_window` are sent.
    pub window: Duration,
    pub per_window: u32,
}

impl SendLimits {
    /// When the next code may be sent after `last`, or `None` if it may be sent at `now`.
    pub fn next_allowed(&self, last: &ResidentCode, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let after_interval = last.sent_at + self.min_interval;
        let window_ends = last.window_started_at + self.window;
        let window_full = last.sent_in_window >= self.per_window && now < window_ends;
        let at = if window_full {
            after_interval.max(window_ends)
        } else {
            after_interval
        };
        (now < at).then_some(at)
    }
}
