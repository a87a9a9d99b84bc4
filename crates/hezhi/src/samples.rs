//! The sample cases shipped in `data/sample_cases.jsonl` (invented people, well-formed phone
//! and ID numbers), as the demo seed and the benchmark use them.

use anyhow::{Context, anyhow};
use hezhi_app::input::{PositionInput, parse_enum};
use hezhi_app::{CaseInput, PartyInput};
use hezhi_domain::{CaseKind, CategoryCode, RegionCode};
use hezhi_store::Category;
use serde::Deserialize;

const SAMPLE_CASES: &str = include_str!("../../../data/sample_cases.jsonl");

#[derive(Debug, Clone, Deserialize)]
pub struct SampleCase {
    pub kind: String,
    /// The Chinese name of the category, as a clerk would write it.
    pub category: String,
    pub channel: String,
    /// A village code.
    pub region: String,
    pub region_name: String,
    pub title: String,
    pub description: String,
    pub parties: Vec<SampleParty>,
    pub amount_yuan: Option<u64>,
    pub people_involved: Option<u32>,
    pub urgency_hint: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SampleParty {
    pub role: String,
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
}

/// Every sample case, in file order.
pub fn load() -> anyhow::Result<Vec<SampleCase>> {
    SAMPLE_CASES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| serde_json::from_str(line).context("data/sample_cases.jsonl"))
        .collect()
}

impl SampleCase {
    pub fn kind(&self) -> anyhow::Result<CaseKind> {
        Ok(parse_enum::<CaseKind>("kind", &self.kind)?)
    }

    /// The category code whose Chinese name the sample gives, or the kind's `other` when the
    /// shipped categories do not have that name.
    pub fn category_code(&self, categories: &[Category]) -> anyhow::Result<CategoryCode> {
        let kind = self.kind()?;
        categories
            .iter()
            .find(|c| c.kind == kind && c.name_zh == self.category)
            .or_else(|| {
                categories
                    .iter()
                    .find(|c| c.kind == kind && c.code.as_str() == "other")
            })
            .or_else(|| categories.iter().find(|c| c.kind == kind))
            .map(|c| c.code.clone())
            .ok_or_else(|| anyhow!("no category for `{}` of kind {}", self.category, self.kind))
    }

    /// The report a clerk would file for this sample, in `region` (its village or a grid).
    pub fn input(&self, category: &CategoryCode, region: &RegionCode) -> CaseInput {
        CaseInput {
            kind: self.kind.clone(),
            category: category.to_string(),
            channel: self.channel.clone(),
            region: region.to_string(),
            address: None,
            position: self
                .lat
                .zip(self.lon)
                .map(|(lat, lon)| PositionInput { lat, lon }),
            title: self.title.clone(),
            description: self.description.clone(),
            parties: self
                .parties
                .iter()
                .map(|p| PartyInput {
                    role: p.role.clone(),
                    name: p.name.clone(),
                    phone: p.phone.clone(),
                    id_number: p.id_number.clone(),
                    address: None,
                })
                .collect(),
            amount_yuan: self.amount_yuan,
            people_involved: self.people_involved,
            case_leader: None,
        }
    }
}
