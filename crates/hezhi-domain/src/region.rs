//! Administrative regions and grids: the tree every case, unit and user hangs from.
//!
//! A region code is the statistical division code at its natural length (2 digits for a
//! province, 4 city, 6 county, 9 town, 12 village) and a grid is its village's code plus a
//! 3-digit grid number (15 digits). The level follows from the length, and every ancestor is
//! a prefix, so "is this case inside that region" is a prefix test that SQL can index.

use crate::error::ValidationError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
    Town,
    Village,
    Grid,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 6] = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Town,
        RegionLevel::Village,
        RegionLevel::Grid,
    ];

    /// Number of digits of a code at this level.
    pub const fn code_len(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Town => 9,
            RegionLevel::Village => 12,
            RegionLevel::Grid => 15,
        }
    }

    fn from_code_len(len: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.code_len() == len)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Town => "town",
            RegionLevel::Village => "village",
            RegionLevel::Grid => "grid",
        }
    }

    /// The level one step down the tree.
    pub fn child(self) -> Option<RegionLevel> {
        Self::ALL
            .into_iter()
            .find(|level| level.code_len() > self.code_len())
    }
}

/// A validated region code. Private field: the only way in is [`RegionCode::parse`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let text = text.trim();
        let invalid = || {
            ValidationError::new(
                "region",
                "invalid_region_code",
                format!("`{text}` is not a region code of 2, 4, 6, 9, 12 or 15 digits"),
            )
        };
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        RegionLevel::from_code_len(text.len()).ok_or_else(invalid)?;
        Ok(Self(text.to_owned()))
    }

    /// A grid code under a village: the village code plus a 3-digit grid number (1–999).
    pub fn grid(village: &RegionCode, number: u16) -> Result<Self, ValidationError> {
        if village.level() != RegionLevel::Village || number == 0 || number > 999 {
            return Err(ValidationError::new(
                "grid",
                "invalid_grid_number",
                "a grid is numbered 1–999 under a village",
            ));
        }
        Ok(Self(format!("{}{number:03}", village.0)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        RegionLevel::from_code_len(self.0.len()).unwrap_or(RegionLevel::Grid)
    }

    /// The region one level up, or `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let level = self.level();
        RegionLevel::ALL
            .into_iter()
            .rev()
            .find(|l| l.code_len() < level.code_len())
            .map(|l| RegionCode(self.0[..l.code_len()].to_owned()))
    }

    /// This code cut to a higher level (`None` if that level is below this code's own).
    pub fn ancestor_at(&self, level: RegionLevel) -> Option<RegionCode> {
        (level.code_len() <= self.0.len())
            .then(|| RegionCode(self.0[..level.code_len()].to_owned()))
    }

    /// The county (区县) a code belongs to; every case-side row is keyed by it.
    pub fn county(&self) -> Option<RegionCode> {
        self.ancestor_at(RegionLevel::County)
    }

    /// Whether `self` is `other` or lies below it.
    pub fn is_within(&self, other: &RegionCode) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RegionCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> RegionCode {
        RegionCode::parse(text).expect("valid code")
    }

    #[test]
    fn the_level_follows_from_the_length_of_the_code() {
        assert_eq!(code("37").level(), RegionLevel::Province);
        assert_eq!(code("3708").level(), RegionLevel::City);
        assert_eq!(code("370811").level(), RegionLevel::County);
        assert_eq!(code("370811002").level(), RegionLevel::Town);
        assert_eq!(code("370811002001").level(), RegionLevel::Village);
        assert_eq!(code("370811002001003").level(), RegionLevel::Grid);
    }

    #[test]
    fn codes_of_other_lengths_or_with_letters_are_refused() {
        for bad in [
            "",
            "3",
            "370",
            "37081100200",
            "37081100200a",
            "3708110020010031",
        ] {
            let err = RegionCode::parse(bad).expect_err(bad);
            assert_eq!(err.code, "invalid_region_code");
        }
    }

    #[test]
    fn parents_climb_one_level_at_a_time() {
        let grid = code("370811002001003");
        let chain: Vec<String> = std::iter::successors(Some(grid), |c| c.parent())
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            chain,
            [
                "370811002001003",
                "370811002001",
                "370811002",
                "370811",
                "3708",
                "37"
            ]
        );
    }

    #[test]
    fn a_grid_is_numbered_under_its_village() {
        let grid = RegionCode::grid(&code("370811002001"), 7).expect("grid");
        assert_eq!(grid.as_str(), "370811002001007");
        assert_eq!(grid.county(), Some(code("370811")));
        assert!(RegionCode::grid(&code("370811002"), 7).is_err());
        assert!(RegionCode::grid(&code("370811002001"), 1000).is_err());
    }

    #[test]
    fn within_is_a_prefix_test() {
        assert!(code("370811002001").is_within(&code("370811")));
        assert!(code("370811").is_within(&code("370811")));
        assert!(!code("370812002001").is_within(&code("370811")));
        assert!(!code("370811").is_within(&code("370811002")));
    }
}
