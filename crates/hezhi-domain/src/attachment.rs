//! Files attached to a case (附件): photos from the spot, agreements, documents. A file is
//! named by the SHA-256 of its content, so the same photo sent twice is stored once and an
//! event can never point at content other than what was attached.

use crate::error::ValidationError;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// The longest file name kept, in characters.
pub const ATTACHMENT_NAME_MAX_CHARS: usize = 120;

/// Lower-case hex SHA-256 of a file's content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ContentDigest(String);

impl ContentDigest {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        if text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(text.to_owned()))
        } else {
            Err(ValidationError::new(
                "digest",
                "invalid_digest",
                "a file is named by the 64 lower-case hex digits of its SHA-256",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ContentDigest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ContentDigest::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// A file name as shown on the case: the last path component, trimmed, without control
/// characters, at most [`ATTACHMENT_NAME_MAX_CHARS`].
pub fn check_attachment_name(name: &str) -> Result<String, ValidationError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if base.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "name",
            "control_character",
            "a file name has no control characters",
        ));
    }
    crate::case::check_text("name", base, ATTACHMENT_NAME_MAX_CHARS, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_64_lower_case_hex_digits() {
        let good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            ContentDigest::parse(good)
                .map(|d| d.to_string())
                .ok()
                .as_deref(),
            Some(good)
        );
        assert!(ContentDigest::parse(&good.to_uppercase()).is_err());
        assert!(ContentDigest::parse(&good[1..]).is_err());
        assert!(ContentDigest::parse("../../etc/passwd").is_err());
    }

    #[test]
    fn a_name_keeps_only_its_last_component() {
        assert_eq!(
            check_attachment_name("C:\\Users\\王\\现场照片.jpg")
                .ok()
                .as_deref(),
            Some("现场照片.jpg")
        );
        assert_eq!(
            check_attachment_name("a/b/协议.pdf").ok().as_deref(),
            Some("协议.pdf")
        );
        assert!(check_attachment_name("  ").is_err());
        assert!(check_attachment_name(&"长".repeat(121)).is_err());
    }
}
