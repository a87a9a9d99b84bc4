//! Raw input from the API and forms, and its parsing into domain values ("parse, don't
//! validate"): every error names the field it is about, nested fields by path.

use hezhi_domain::case::{ADDRESS_MAX_CHARS, check_text};
use hezhi_domain::{
    CaseKind, CategoryCode, Channel, NewCase, Party, PartyRole, Position, RegionCode,
    ValidationError,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub kind: String,
    pub category: String,
    pub channel: String,
    pub region: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub position: Option<PositionInput>,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    #[serde(default)]
    pub amount_yuan: Option<u64>,
    #[serde(default)]
    pub people_involved: Option<u32>,
    #[serde(default)]
    pub case_leader: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionInput {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    pub role: String,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// Parses a snake_case enum value, naming `field` when it is not one of the variants.
pub fn parse_enum<T: DeserializeOwned>(field: &str, value: &str) -> Result<T, ValidationError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        ValidationError::new(
            field,
            "invalid_value",
            format!("`{value}` is not a valid {field}"),
        )
    })
}

impl CaseInput {
    /// The case as reported. Whether the region and category exist is checked by the caller
    /// against stored data.
    pub fn parse(&self) -> Result<NewCase, ValidationError> {
        let parties = self
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| p.parse().map_err(|e| e.nested(&format!("parties[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let address = self
            .address
            .as_deref()
            .map(|a| check_text("address", a, ADDRESS_MAX_CHARS, false))
            .transpose()?
            .filter(|a| !a.is_empty());
        let case = NewCase {
            kind: parse_enum::<CaseKind>("kind", &self.kind)?,
            category: CategoryCode::parse(&self.category)?,
            channel: parse_enum::<Channel>("channel", &self.channel)?,
            region: RegionCode::parse(&self.region)?,
            address,
            position: self
                .position
                .map(|p| Position::new(p.lat, p.lon))
                .transpose()?,
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            parties,
            amount_yuan: self.amount_yuan,
            people_involved: self.people_involved,
            case_leader: self
                .case_leader
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        };
        case.validate()?;
        Ok(case)
    }
}

impl PartyInput {
    pub fn parse(&self) -> Result<Party, ValidationError> {
        Party::parse(
            parse_enum::<PartyRole>("role", &self.role)?,
            &self.name,
            self.phone.as_deref(),
            self.id_number.as_deref(),
            self.address.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CaseInput {
        CaseInput {
            kind: "dispute".into(),
            category: "neighbour".into(),
            channel: "window".into(),
            region: "370811002001".into(),
            title: "楼上漏水".into(),
            description: "楼上漏水导致楼下天花板受损。".into(),
            parties: vec![PartyInput {
                role: "applicant".into(),
                name: "陈某某".into(),
                phone: Some("15100002320".into()),
                ..PartyInput::default()
            }],
            ..CaseInput::default()
        }
    }

    #[test]
    fn a_valid_input_parses_into_a_new_case() {
        let case = input().parse().expect("valid");
        assert_eq!(
            case.parties[0]
                .phone
                .as_ref()
                .map(|p| p.masked())
                .as_deref(),
            Some("151****2320")
        );
    }

    #[test]
    fn a_bad_phone_of_the_second_party_is_named_by_its_path() {
        let mut bad = input();
        bad.parties.push(PartyInput {
            role: "respondent".into(),
            name: "周某某".into(),
            phone: Some("12345".into()),
            ..PartyInput::default()
        });
        let error = bad.parse().expect_err("bad phone");
        assert_eq!(
            (error.field.as_str(), error.code),
            ("parties[1].phone", "invalid_phone")
        );
    }

    #[test]
    fn an_unknown_channel_and_a_town_region_are_refused_by_field() {
        let error = CaseInput {
            channel: "fax".into(),
            ..input()
        }
        .parse()
        .expect_err("channel");
        assert_eq!(error.field, "channel");
        let error = CaseInput {
            region: "370811002".into(),
            ..input()
        }
        .parse()
        .expect_err("town");
        assert_eq!(
            (error.field.as_str(), error.code),
            ("region", "region_not_village_or_grid")
        );
    }
}
