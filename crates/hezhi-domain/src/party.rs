//! Parties (当事人) and their personal identifiers, validated on the way in.

use crate::error::ValidationError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    Applicant,
    Respondent,
    ThirdParty,
}

/// An 18-digit resident identity number (GB 11643) whose check digit is right.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [u8; 11] = *b"10X98765432";

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let normalized = text.trim().to_ascii_uppercase();
        let bytes = normalized.as_bytes();
        let invalid = |why: &str| {
            ValidationError::new("id_number", "invalid_id_number", format!("ID number {why}"))
        };
        if bytes.len() != 18 {
            return Err(invalid("must have 18 characters"));
        }
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(invalid("must start with 17 digits"));
        }
        let month = (bytes[10] - b'0') * 10 + (bytes[11] - b'0');
        let day = (bytes[12] - b'0') * 10 + (bytes[13] - b'0');
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(invalid("has an impossible birth date"));
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(Self::WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        let expected = Self::CHECK[(sum % 11) as usize];
        if bytes[17] != expected {
            return Err(invalid("has a wrong check digit"));
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown in lists: region prefix and last four digits (`370811********1234`).
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

/// An 11-digit mainland mobile number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits.strip_prefix("+86").unwrap_or(&digits);
        let bytes = digits.as_bytes();
        let ok = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if ok {
            Ok(Self(digits.to_owned()))
        } else {
            Err(ValidationError::new(
                "phone",
                "invalid_phone",
                "phone must be an 11-digit mobile number starting with 13–19",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown in lists: `138****1234`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A party's address as shown in lists and pages: its first third (at most six characters)
/// and a mark for the rest, e.g. `南张村****`.
pub fn masked_address(address: &str) -> String {
    let chars = address.chars().count();
    let shown = chars.div_ceil(3).min(6);
    let mut masked: String = address.chars().take(shown).collect();
    masked.push_str("****");
    masked
}

macro_rules! text_serde {
    ($ty:ident) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $ty::parse(&text).map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Debug for $ty {
            // Personal data never reaches a log in the clear.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.masked())
            }
        }
    };
}
text_serde!(IdNumber);
text_serde!(Phone);

/// A party as stored on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub role: PartyRole,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<IdNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Party {
    pub const NAME_MAX_CHARS: usize = 50;
    pub const ADDRESS_MAX_CHARS: usize = 200;

    /// The name as exports show it: the first character, the rest as `*` (陈** for 陈某某).
    pub fn masked_name(&self) -> String {
        let mut chars = self.name.chars();
        let first: String = chars.next().into_iter().collect();
        let rest = chars.count().max(1);
        format!("{first}{}", "*".repeat(rest))
    }

    /// Builds a party from raw input, naming the first field that is wrong.
    pub fn parse(
        role: PartyRole,
        name: &str,
        phone: Option<&str>,
        id_number: Option<&str>,
        address: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > Self::NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(ValidationError::new(
                "name",
                "invalid_party_name",
                format!("a party's name has 1–{} characters", Self::NAME_MAX_CHARS),
            ));
        }
        let address = address
            .map(|a| crate::case::check_text("address", a, Self::ADDRESS_MAX_CHARS, false))
            .transpose()?
            .filter(|a| !a.is_empty());
        Ok(Self {
            role,
            name: name.to_owned(),
            phone: phone
                .filter(|p| !p.trim().is_empty())
                .map(Phone::parse)
                .transpose()?,
            id_number: id_number
                .filter(|p| !p.trim().is_empty())
                .map(IdNumber::parse)
                .transpose()?,
            address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_number_with_a_right_check_digit_is_accepted_and_masked() {
        let id = IdNumber::parse("370811199203213389").expect("valid");
        assert_eq!(id.masked(), "370811********3389");
        assert_eq!(format!("{id:?}"), "IdNumber(370811********3389)");
    }

    #[test]
    fn a_lowercase_x_check_digit_is_normalized() {
        // 11010519491231002X is the textbook example of GB 11643.
        let id = IdNumber::parse("11010519491231002x").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn id_numbers_with_a_wrong_check_digit_length_or_date_are_refused() {
        for bad in [
            "370811199203213388",
            "37081119920321338",
            "370811199213213389",
            "abc",
        ] {
            assert_eq!(
                IdNumber::parse(bad).expect_err(bad).code,
                "invalid_id_number"
            );
        }
    }

    #[test]
    fn mobile_numbers_are_eleven_digits_starting_with_one_and_three_to_nine() {
        assert_eq!(
            Phone::parse("+86 138-0013-1234").expect("valid").as_str(),
            "13800131234"
        );
        assert_eq!(
            Phone::parse("13800131234").expect("valid").masked(),
            "138****1234"
        );
        for bad in ["12800131234", "1380013123", "138001312345", "0537-1234567"] {
            assert_eq!(Phone::parse(bad).expect_err(bad).code, "invalid_phone");
        }
    }

    #[test]
    fn addresses_are_masked_to_their_first_third() {
        assert_eq!(masked_address("南张村3排5号"), "南张村****");
        assert_eq!(
            masked_address("任城区南张街道南张村三排五号院内"),
            "任城区南张街****"
        );
        assert_eq!(masked_address("村"), "村****");
    }

    #[test]
    fn a_party_names_the_wrong_field() {
        let err = Party::parse(PartyRole::Applicant, "陈某某", Some("123"), None, None)
            .expect_err("bad phone");
        assert_eq!(err.field, "phone");
        let err = Party::parse(PartyRole::Applicant, " ", None, None, None).expect_err("no name");
        assert_eq!(err.field, "name");
    }
}
