//! The world every scenario starts from: a slice of Jining's region tree, the shipped
//! categories, three units and the people who work with them, each with an API token.

use chrono::{DateTime, SecondsFormat, Utc};
use hezhi_app::{App, NewUser};
use hezhi_domain::{CaseKind, CategoryCode, RegionCode, Role, UnitId, UnitKind, UserId};
use hezhi_store::{Category, Region, Store};
use serde_json::{Value, json};

/// The shipped category table, the same file the binary embeds.
const CATEGORIES_CSV: &str = include_str!("../../../../data/categories.csv");

pub const TOWN: &str = "370811002";
pub const OTHER_TOWN: &str = "370811003";
pub const VILLAGE: &str = "370811002001";
pub const OTHER_VILLAGE: &str = "370811003001";
pub const GRID: &str = "370811002001001";

/// Somebody with a token.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub token: String,
}

#[derive(Debug)]
pub struct Fixture {
    /// 人民调解委员会 of town 370811002; handles every category.
    pub committee: UnitId,
    /// A county department at 370811 handling neighbour and property disputes.
    pub department: UnitId,
    /// A unit of the next county (370812), responsible for nothing in 370811.
    pub other_county_unit: UnitId,
    /// Dispatcher of the town centre 370811002.
    pub dispatcher: Person,
    /// Intake clerk at the same centre.
    pub clerk: Person,
    pub committee_handler: Person,
    pub department_handler: Person,
    pub other_county_handler: Person,
    /// Grid worker of grid 370811002001001.
    pub grid_worker: Person,
    pub resident: Person,
    /// Dispatcher of the neighbouring town 370811003.
    pub other_dispatcher: Person,
    pub admin: Person,
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region code")
}

fn regions() -> Vec<Region> {
    [
        ("37", "山东省"),
        ("3708", "济宁市"),
        ("370811", "任城区"),
        ("370812", "兖州区"),
        (TOWN, "南张街道"),
        (OTHER_TOWN, "越河街道"),
        ("370812001", "鼓楼街道"),
        (VILLAGE, "南张村"),
        (OTHER_VILLAGE, "越河社区"),
        (GRID, "南张村第一网格"),
    ]
    .into_iter()
    .map(|(c, name)| {
        let c = code(c);
        Region {
            level: c.level(),
            parent: c.parent(),
            code: c,
            name: name.to_owned(),
        }
    })
    .collect()
}

/// The rows of `data/categories.csv` (`kind,code,name_zh,name_en`; no quoting).
pub fn shipped_categories() -> Vec<Category> {
    CATEGORIES_CSV
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 4, "category row `{line}`");
            Category {
                kind: hezhi_app::input::parse_enum::<CaseKind>("kind", fields[0]).expect("kind"),
                code: CategoryCode::parse(fields[1]).expect("category code"),
                name_zh: fields[2].to_owned(),
                name_en: fields[3].to_owned(),
            }
        })
        .collect()
}

impl Fixture {
    pub async fn load(app: &App, store: &dyn Store) -> Fixture {
        store.upsert_regions(&regions()).await.expect("regions");
        store
            .upsert_categories(&shipped_categories())
            .await
            .expect("categories");
        let unit = |name: &'static str, kind, region: &'static str, categories: &[&str]| {
            let categories: Vec<CategoryCode> = categories
                .iter()
                .map(|c| CategoryCode::parse(c).expect("category"))
                .collect();
            async move {
                app.add_unit(None, name, kind, code(region), categories)
                    .await
                    .expect("unit")
                    .id
            }
        };
        let committee = unit(
            "南张街道人民调解委员会",
            UnitKind::MediationCommittee,
            TOWN,
            &[],
        )
        .await;
        let department = unit(
            "任城区住房和城乡建设局",
            UnitKind::Department,
            "370811",
            &["neighbour", "property_management"],
        )
        .await;
        let other_county_unit = unit(
            "兖州区人民调解委员会",
            UnitKind::MediationCommittee,
            "370812",
            &[],
        )
        .await;
        let person = |name: &'static str, role, region: Option<&str>, unit: Option<UnitId>| {
            let region = region.map(code);
            async move {
                let (user, token) = app
                    .add_user(NewUser {
                        name: name.to_owned(),
                        role,
                        region,
                        unit,
                    })
                    .await
                    .expect("user");
                Person {
                    id: user.id,
                    name: name.to_owned(),
                    token,
                }
            }
        };
        Fixture {
            committee,
            department,
            other_county_unit,
            dispatcher: person("dispatcher", Role::Dispatcher, Some(TOWN), None).await,
            clerk: person("clerk", Role::IntakeClerk, Some(TOWN), None).await,
            committee_handler: person("committee", Role::UnitHandler, None, Some(committee)).await,
            department_handler: person("department", Role::UnitHandler, None, Some(department))
                .await,
            other_county_handler: person(
                "other_county",
                Role::UnitHandler,
                None,
                Some(other_county_unit),
            )
            .await,
            grid_worker: person("grid_worker", Role::GridWorker, Some(GRID), None).await,
            resident: person("resident", Role::Resident, None, None).await,
            other_dispatcher: person("other_dispatcher", Role::Dispatcher, Some(OTHER_TOWN), None)
                .await,
            admin: person("admin", Role::SystemAdmin, Some("37"), None).await,
        }
    }

    /// The dispatch of the whole loop: the committee leads, the department supports.
    pub fn dispatch_to_committee_with_department(&self, due: DateTime<Utc>) -> Value {
        json!({
            "lead_unit": self.committee.to_string(),
            "supporting_units": [self.department.to_string()],
            "due_at": rfc3339(due),
            "note": "请南张街道调委会牵头调处，区住建局配合",
        })
    }

    pub fn dispatch_to(&self, lead: UnitId, due: DateTime<Utc>) -> Value {
        json!({ "lead_unit": lead.to_string(), "due_at": rfc3339(due) })
    }
}

/// A small PNG, the file every test attaches.
pub fn sample_file() -> Vec<u8> {
    hezhi_media::sample::png(16, 12)
}

pub fn sample_file_digest() -> String {
    hezhi_media::digest(&sample_file())
}

/// Stores [`sample_file`], so that commands may attach it.
pub async fn store_sample_file(h: &crate::harness::Harness) {
    let inspected = hezhi_media::inspect(&sample_file()).expect("a valid PNG");
    let file = hezhi_store::AttachmentFile {
        digest: hezhi_domain::ContentDigest::parse(&inspected.digest).expect("digest"),
        media_type: inspected.media_type.mime().to_owned(),
        size: inspected.size as u64,
        width: inspected.dimensions.map(|d| d.0),
        height: inspected.dimensions.map(|d| d.1),
        taken_at: None,
        position: None,
        has_thumbnail: true,
        stored_at: h.now(),
    };
    h.store
        .put_attachment_file(&file, &sample_file(), inspected.thumbnail.as_deref())
        .await
        .expect("store the sample file");
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A neighbour dispute in the grid, with a phone and an ID number to be masked.
pub fn leak_case() -> Value {
    json!({
        "kind": "dispute",
        "category": "neighbour",
        "channel": "window",
        "region": GRID,
        "address": "南张村3排5号",
        "title": "楼上卫生间漏水",
        "description": "楼上卫生间漏水导致楼下天花板受损，双方多次协商未果。",
        "parties": [
            { "role": "applicant", "name": "陈某某", "phone": "13800138000",
              "id_number": "370811199203213389" },
            { "role": "respondent", "name": "周某某", "phone": "+86 139-0537-1234" }
        ],
        "amount_yuan": 3000,
        "people_involved": 2
    })
}

/// A case of `kind`/`category` in `region`, otherwise plain.
pub fn case_in(region: &str, kind: &str, category: &str, title: &str) -> Value {
    json!({
        "kind": kind,
        "category": category,
        "channel": "window",
        "region": region,
        "title": title,
        "description": format!("{title}，请尽快处理。"),
    })
}

pub fn triage_body(kind: &str, category: &str, urgency: &str) -> Value {
    json!({
        "kind": kind,
        "category": category,
        "complexity": "simple",
        "urgency": urgency,
        "reason": "事实清楚，适合调解",
    })
}
