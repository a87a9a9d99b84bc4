//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps,
//! 6 digits, as every authenticator app understands them; and the base32 and `otpauth://`
//! forms in which a secret is handed to such an app.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps before and after the current one whose codes are still accepted (clock drift).
pub const DRIFT_STEPS: u64 = 1;
/// Bytes of a new secret: 160 bits, the HMAC-SHA1 block size RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// The HOTP value of `counter` (RFC 4226 §5.3), `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The step an instant falls in (instants before 1970 fall in step 0).
pub fn step_at(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp().div_euclid(STEP_SECONDS)).unwrap_or(0)
}

/// The code of `step`, zero-padded.
pub fn code_of_step(secret: &[u8], step: u64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, step, DIGITS),
        width = DIGITS as usize
    )
}

/// The code an authenticator shows at `at` for a base32 secret; `None` for a malformed
/// secret.
pub fn code_at(secret_base32: &str, at: DateTime<Utc>) -> Option<String> {
    let secret = base32_decode(secret_base32)?;
    Some(code_of_step(&secret, step_at(at)))
}

/// The step whose code `code` is, among the current step and [`DRIFT_STEPS`] on either
/// side; `None` when it is none of them. Spaces in the code are ignored; every candidate is
/// compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, now: DateTime<Utc>) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in current.saturating_sub(DRIFT_STEPS)..=current.saturating_add(DRIFT_STEPS) {
        if crate::constant_time_eq(code_of_step(secret, step).as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    found
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 31) as usize],
            ));
        }
    }
    if bits > 0 {
        out.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize],
        ));
    }
    out
}

/// Decodes base32 (either case, padding and spaces ignored); `None` for other characters.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let upper = c.to_ascii_uppercase();
        let value = BASE32_ALPHABET
            .iter()
            .position(|&a| char::from(a) == upper)?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads (usually from a QR code).
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let label = format!("{}:{}", percent_encode(issuer), percent_encode(account));
    format!(
        "otpauth://totp/{label}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent_encode(issuer)
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters (UTF-8 for the rest,
/// so Chinese names survive).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of the RFC 4226 and RFC 6238 SHA-1 test vectors.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    fn at(unix: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(unix, 0).expect("time")
    }

    #[test]
    fn hotp_matches_the_rfc_4226_test_values() {
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, value) in expected.into_iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                value,
                "count {counter}"
            );
        }
    }

    #[test]
    fn totp_matches_the_rfc_6238_sha1_test_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, code) in vectors {
            let eight = format!("{:08}", hotp(RFC_SECRET, step_at(at(time)), 8));
            assert_eq!(eight, code, "T = {time}");
            // Six digits are the last six of eight (both are the same number modulo 10^n).
            assert_eq!(code_of_step(RFC_SECRET, step_at(at(time))), code[2..]);
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_early_or_late_but_not_two() {
        let now = at(1_234_567_890);
        let step = step_at(now);
        for accepted in [step - 1, step, step + 1] {
            let code = code_of_step(RFC_SECRET, accepted);
            assert_eq!(matching_step(RFC_SECRET, &code, now), Some(accepted));
        }
        for refused in [step - 2, step + 2] {
            let code = code_of_step(RFC_SECRET, refused);
            assert_eq!(matching_step(RFC_SECRET, &code, now), None);
        }
        let spaced = code_of_step(RFC_SECRET, step);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(matching_step(RFC_SECRET, &spaced, now), Some(step));
        for malformed in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                matching_step(RFC_SECRET, malformed, now),
                None,
                "{malformed}"
            );
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        // RFC 4648 §10, without padding.
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).expect("decodes"), plain.as_bytes());
        }
        assert_eq!(
            base32_decode("mzxw 6ytb oi======").expect("lenient"),
            b"foobar"
        );
        assert_eq!(base32_decode("MZXW1"), None, "1 is not base32");
        assert_eq!(
            code_at(&base32_encode(RFC_SECRET), at(59)).as_deref(),
            Some("287082")
        );
    }

    #[test]
    fn the_otpauth_uri_names_issuer_and_account_encoded() {
        let uri = otpauth_uri("Hezhi 和治", "王芳", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/Hezhi%20%E5%92%8C%E6%B2%BB:%E7%8E%8B%E8%8A%B3?secret=JBSWY3DPEHPK3PXP&issuer=Hezhi%20%E5%92%8C%E6%B2%BB&algorithm=SHA1&digits=6&period=30"
        );
    }
}
