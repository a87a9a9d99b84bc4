//! `hezhi seed demo`: a living centre for a newcomer — the counties of the sample cases with
//! their towns and villages, grids under the villages that have cases (one village's with
//! their shapes, from `data/grids/`), units for each town and county, a user for each role,
//! and the sixty sample cases driven through the lifecycle by the people who would really do
//! each step.

use crate::config::Config;
use crate::import;
use crate::samples::{self, SampleCase};
use anyhow::{Context, anyhow};
use chrono::{DateTime, Duration, Utc};
use hezhi_app::{App, Clock, ManualClock, NewUser, SystemClock};
use hezhi_domain::{
    CaseKind, CaseState, CategoryCode, Command, Complexity, Outcome, Principal, ReferralChannel,
    RegionCode, RegionLevel, Role, Satisfaction, UnitId, UnitKind, Urgency,
};
use hezhi_store::{Region, Store, Unit};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The password of the demo users who can sign in to the web pages — one user of each staff
/// role. For the demo only: it is written in the clear to `demo-tokens.txt`.
pub const DEMO_PASSWORD: &str = "hezhi-demo-2026";

pub fn tokens_path(config: &Config) -> PathBuf {
    config.data_dir.join("demo-tokens.txt")
}

fn divisions_dir() -> PathBuf {
    let local = PathBuf::from("data/divisions");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/divisions")
    }
}

/// Villages whose grids the demo gives shapes, and their GeoJSON files (`data/grids/`).
const GRID_SHAPES: &[(&str, &str)] = &[(
    "370811002001",
    include_str!("../../../data/grids/370811002001.geojson"),
)];

/// County-level departments and the categories each handles.
const COUNTY_DEPARTMENTS: &[(&str, UnitKind, &[&str])] = &[
    ("综治中心", UnitKind::GovernanceCentre, &[]),
    (
        "住房和城乡建设局",
        UnitKind::Department,
        &[
            "housing_homestead",
            "property_management",
            "building_safety",
            "gas_safety",
        ],
    ),
    (
        "人力资源和社会保障局",
        UnitKind::Department,
        &["labour", "social_security"],
    ),
    (
        "市场监督管理局",
        UnitKind::Department,
        &["consumer", "business", "contract", "medical"],
    ),
    (
        "综合行政执法局",
        UnitKind::Department,
        &["urban_management", "road_facilities", "pollution"],
    ),
    (
        "自然资源局",
        UnitKind::Department,
        &["forest_land", "land_acquisition"],
    ),
    (
        "公安局交警大队",
        UnitKind::PoliceStation,
        &["traffic_accident"],
    ),
    ("人民法院", UnitKind::Court, &[]),
];

/// Town-level units.
const TOWN_UNITS: &[(&str, UnitKind, &[&str])] = &[
    ("综治中心", UnitKind::GovernanceCentre, &[]),
    ("司法所", UnitKind::JusticeOffice, &[]),
    ("人民调解委员会", UnitKind::MediationCommittee, &[]),
    (
        "派出所",
        UnitKind::PoliceStation,
        &["public_security", "fire_safety", "damages"],
    ),
];

struct Demo {
    app: App,
    clock: Arc<ManualClock>,
    regions: BTreeMap<RegionCode, Region>,
    units: Vec<Unit>,
    users: Vec<(String, Role, String, String)>,
    actors: BTreeMap<String, Principal>,
}

/// The province the demo's administrators are bound to (that of its first county), for the
/// bootstrap administrators of a database the demo is about to fill.
pub fn province() -> anyhow::Result<Option<RegionCode>> {
    let mut counties = samples::load()?
        .iter()
        .map(|s| RegionCode::parse(&s.region).map(|code| code.county()))
        .collect::<Result<Vec<_>, _>>()?;
    counties.sort();
    Ok(counties
        .into_iter()
        .flatten()
        .next()
        .and_then(|county| county.ancestor_at(RegionLevel::Province)))
}

/// When the demo's story ends: now, or the first of December of the last year the holiday
/// calendar covers, whichever is earlier.
fn story_end(now: DateTime<Utc>) -> DateTime<Utc> {
    let last_year = hezhi_domain::WorkingCalendar::china()
        .ok()
        .and_then(|c| c.years().max());
    let covered_end = last_year
        .and_then(|year| chrono::NaiveDate::from_ymd_opt(year, 12, 1))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    match covered_end {
        Some(end) if end < now => end,
        _ => now,
    }
}

pub async fn demo(store: Arc<dyn Store>, config: &Config) -> anyhow::Result<String> {
    let samples = samples::load()?;
    let villages: Vec<RegionCode> = samples
        .iter()
        .map(|s| RegionCode::parse(&s.region))
        .collect::<Result<_, _>>()?;
    let mut counties: Vec<RegionCode> = villages.iter().filter_map(RegionCode::county).collect();
    counties.sort();
    counties.dedup();

    let dir = divisions_dir();
    let mut regions = import::read_divisions(&dir, &counties)
        .with_context(|| format!("reading divisions from {}", dir.display()))?;
    let mut with_grids = villages.clone();
    with_grids.sort();
    with_grids.dedup();
    for village in &with_grids {
        for number in 1..=2 {
            let code = RegionCode::grid(village, number)?;
            regions.push(Region {
                level: RegionLevel::Grid,
                parent: Some(village.clone()),
                name: format!("第{number}网格"),
                code,
            });
        }
    }
    import::store_regions(store.as_ref(), &regions, true).await?;

    // The story starts forty days ago so that the timeline and the deadlines look lived-in —
    // or, past the years the holiday calendar covers, forty days before the last month it
    // covers: deadlines in working days are never guessed, so the demo's history stays
    // where they can be counted.
    let real_now = SystemClock.now();
    let clock = Arc::new(ManualClock::new(story_end(real_now) - Duration::days(40)));
    let mut demo = Demo {
        app: App::new(Arc::clone(&store), clock.clone()),
        clock,
        regions: regions.into_iter().map(|r| (r.code.clone(), r)).collect(),
        units: Vec::new(),
        users: Vec::new(),
        actors: BTreeMap::new(),
    };
    let result = demo
        .populate(&counties, &with_grids, &samples, story_end(real_now))
        .await;
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            demo.app.shutdown().await;
            return Err(error);
        }
    };
    let Demo { app, users, .. } = demo;
    // The first user of each staff role gets the demo password, for the web pages (hashing
    // one for every demo user would make the seed slow). Residents sign in by phone.
    let mut roles_with_password = std::collections::BTreeSet::new();
    let mut with_password = std::collections::BTreeSet::new();
    for (name, role, _, _) in &users {
        if *role != Role::Resident && roles_with_password.insert(*role) {
            if let Err(error) = app.set_password(name, DEMO_PASSWORD, false).await {
                app.shutdown().await;
                return Err(error.into());
            }
            with_password.insert(name.clone());
        }
    }
    app.shutdown().await;

    let mut tokens = String::from(
        "# Demo users: name, role, region or unit, API token, and for one user of each role \
         the password of the web pages (DEMO ONLY)\n",
    );
    for (name, role, scope, token) in &users {
        let _ = write!(tokens, "{name}\t{}\t{scope}\t{token}", role.as_str());
        if with_password.contains(name) {
            let _ = write!(tokens, "\t{DEMO_PASSWORD}");
        }
        tokens.push('\n');
    }
    std::fs::create_dir_all(&config.data_dir)?;
    std::fs::write(tokens_path(config), tokens)?;
    Ok(format!(
        "{summary}demo users, their API tokens and demo passwords: {}\n",
        tokens_path(config).display()
    ))
}

impl Demo {
    fn name_of(&self, code: &RegionCode) -> String {
        self.regions
            .get(code)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    async fn add_unit(
        &mut self,
        name: String,
        kind: UnitKind,
        region: &RegionCode,
        categories: &[&str],
    ) -> anyhow::Result<()> {
        let categories = categories
            .iter()
            .map(|c| CategoryCode::parse(c))
            .collect::<Result<Vec<_>, _>>()?;
        let unit = self
            .app
            .add_unit(None, &name, kind, region.clone(), categories)
            .await?;
        self.units.push(unit);
        Ok(())
    }

    async fn add_user(
        &mut self,
        name: String,
        role: Role,
        region: Option<RegionCode>,
        unit: Option<UnitId>,
    ) -> anyhow::Result<()> {
        let scope = region
            .as_ref()
            .map(|r| format!("{r} {}", self.name_of(r)))
            .or_else(|| {
                unit.and_then(|u| self.units.iter().find(|x| x.id == u))
                    .map(|u| u.name.clone())
            })
            .unwrap_or_default();
        let (user, token) = self
            .app
            .add_user(NewUser {
                name: name.clone(),
                role,
                region,
                unit,
            })
            .await?;
        self.actors.insert(name.clone(), user.principal());
        self.users.push((name, role, scope, token));
        Ok(())
    }

    fn actor(&self, name: &str) -> anyhow::Result<Principal> {
        self.actors
            .get(name)
            .cloned()
            .ok_or_else(|| anyhow!("no demo user {name}"))
    }

    async fn populate(
        &mut self,
        counties: &[RegionCode],
        villages: &[RegionCode],
        samples: &[SampleCase],
        story_end: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let shaped = self.import_grid_shapes(villages).await?;
        let mut towns: Vec<RegionCode> = villages
            .iter()
            .filter_map(|v| v.ancestor_at(RegionLevel::Town))
            .collect();
        towns.dedup();
        for county in counties {
            let county_name = self.name_of(county);
            for (name, kind, categories) in COUNTY_DEPARTMENTS {
                self.add_unit(format!("{county_name}{name}"), *kind, county, categories)
                    .await?;
            }
            self.add_user(
                format!("dispatcher-{county}"),
                Role::Dispatcher,
                Some(county.clone()),
                None,
            )
            .await?;
            self.add_user(
                format!("supervisor-{county}"),
                Role::Supervisor,
                Some(county.clone()),
                None,
            )
            .await?;
            self.add_user(
                format!("leader-{county}"),
                Role::Leader,
                Some(county.clone()),
                None,
            )
            .await?;
            self.add_user(
                format!("caseleader-{county}"),
                Role::CaseLeader,
                Some(county.clone()),
                None,
            )
            .await?;
        }
        for town in &towns {
            let town_name = self.name_of(town);
            for (name, kind, categories) in TOWN_UNITS {
                self.add_unit(format!("{town_name}{name}"), *kind, town, categories)
                    .await?;
            }
            self.add_user(
                format!("clerk-{town}"),
                Role::IntakeClerk,
                Some(town.clone()),
                None,
            )
            .await?;
            self.add_user(
                format!("dispatcher-{town}"),
                Role::Dispatcher,
                Some(town.clone()),
                None,
            )
            .await?;
        }
        for village in villages {
            for number in 1..=2 {
                let grid = RegionCode::grid(village, number)?;
                self.add_user(format!("grid-{grid}"), Role::GridWorker, Some(grid), None)
                    .await?;
            }
        }
        let unit_ids: Vec<(UnitId, UnitKind)> = self.units.iter().map(|u| (u.id, u.kind)).collect();
        for (index, (id, kind)) in unit_ids.into_iter().enumerate() {
            let role = if kind == UnitKind::MediationCommittee {
                Role::Mediator
            } else {
                Role::UnitHandler
            };
            self.add_user(format!("handler-{:03}", index + 1), role, None, Some(id))
                .await?;
        }
        if let Some(province) = counties
            .first()
            .and_then(|c| c.ancestor_at(RegionLevel::Province))
        {
            // Named after their province like the others: the bootstrap administrators of a
            // new database are `sysadmin`, `secadmin` and `auditor`.
            self.add_user(
                format!("admin-{province}"),
                Role::SystemAdmin,
                Some(province.clone()),
                None,
            )
            .await?;
            self.add_user(
                format!("auditor-{province}"),
                Role::Auditor,
                Some(province),
                None,
            )
            .await?;
        }
        self.add_user("resident-demo".into(), Role::Resident, None, None)
            .await?;

        let categories = self.app.categories().await?;
        let mut states: BTreeMap<CaseState, usize> = BTreeMap::new();
        // Case i is reported at start + i·step; its handling then takes up to four days, so
        // the last one is done just before today.
        let start = self.clock.now();
        let step =
            (story_end - Duration::days(5) - start) / i32::try_from(samples.len()).unwrap_or(60);
        for (index, sample) in samples.iter().enumerate() {
            self.clock
                .set(start + step * i32::try_from(index).unwrap_or(0));
            let kind = sample.kind()?;
            let category = sample.category_code(&categories)?;
            let state = self
                .drive(index, sample, kind, &category)
                .await
                .with_context(|| format!("sample case {} ({})", index + 1, sample.title))?;
            *states.entry(state).or_default() += 1;
        }
        let mut summary = format!(
            "demo: {} counties, {} regions, {} units, {} users, {} cases\n",
            counties.len(),
            self.regions.len(),
            self.units.len(),
            self.users.len(),
            samples.len()
        );
        for (state, count) in states {
            let _ = writeln!(summary, "  {:<12} {count}", state.as_str());
        }
        for (village, grids) in shaped {
            let _ = writeln!(
                summary,
                "grid shapes: {grids} grids of {village} {}",
                self.name_of(&village)
            );
        }
        Ok(summary)
    }

    /// Imports the shipped grid shapes of the demo's villages, before any case is reported,
    /// so that a report with a position lands in its grid.
    async fn import_grid_shapes(
        &mut self,
        villages: &[RegionCode],
    ) -> anyhow::Result<Vec<(RegionCode, usize)>> {
        let mut shaped = Vec::new();
        for (village, file) in GRID_SHAPES {
            let village = RegionCode::parse(village)?;
            if !villages.contains(&village) {
                continue;
            }
            let collection: serde_json::Value = serde_json::from_str(file).context("data/grids")?;
            let grids = self
                .app
                .import_grids(None, &village, &collection)
                .await
                .with_context(|| format!("grid shapes of {village}"))?;
            shaped.push((village, grids.len()));
            for grid in grids {
                self.regions.insert(grid.code.clone(), grid);
            }
        }
        Ok(shaped)
    }

    /// Reports one sample case and takes it as far as its place in the demo says.
    async fn drive(
        &self,
        index: usize,
        sample: &SampleCase,
        kind: CaseKind,
        category: &CategoryCode,
    ) -> anyhow::Result<CaseState> {
        let village = RegionCode::parse(&sample.region)?;
        let town = village
            .ancestor_at(RegionLevel::Town)
            .ok_or_else(|| anyhow!("no town"))?;
        let grid = RegionCode::grid(&village, 1)?;
        let clerk = self.actor(&format!("clerk-{town}"))?;
        let dispatcher = self.actor(&format!("dispatcher-{town}"))?;
        let (reporter, region) = match sample.channel.as_str() {
            "grid_report" => (self.actor(&format!("grid-{grid}"))?, grid.clone()),
            "online" => (self.actor("resident-demo")?, village.clone()),
            _ => (clerk.clone(), village.clone()),
        };
        let input = sample.input(category, &region);
        let receipt = self.app.report_case(&reporter, &input, None).await?.receipt;
        let id = receipt.id;
        let mut version = receipt.version;
        let mut run =
            async |actor: &Principal, command: Command, hours: i64| -> anyhow::Result<()> {
                self.clock.advance(Duration::hours(hours));
                version = self
                    .app
                    .run_command(actor, id, Some(version), command, None)
                    .await?
                    .receipt
                    .version;
                Ok(())
            };

        // Where this case's story ends: a spread over every state, most cases closed.
        const PLAN: [&str; 12] = [
            "archived",
            "in_progress",
            "dispatched",
            "followed_up",
            "triaged",
            "archived",
            "resolved",
            "reported",
            "verified",
            "accepted",
            "first_contact",
            "declined",
        ];
        let plan = PLAN[index % PLAN.len()];
        if plan == "reported" {
            return Ok(CaseState::Reported);
        }
        if plan == "declined" {
            run(
                &clerk,
                Command::Decline {
                    reason: "属于法院已受理案件，不予重复受理".into(),
                    suggested_channel: ReferralChannel::Litigation,
                },
                1,
            )
            .await?;
            return Ok(CaseState::Declined);
        }
        run(
            &clerk,
            Command::Accept {
                note: Some("材料齐全，予以受理".into()),
            },
            1,
        )
        .await?;
        if plan == "accepted" {
            return Ok(CaseState::Accepted);
        }
        if plan == "first_contact" {
            run(
                &clerk,
                Command::ResolveAtFirstContact {
                    outcome: if kind == CaseKind::Dispute {
                        Outcome::Settled
                    } else {
                        Outcome::Handled
                    },
                    note: "窗口当场答复并化解".into(),
                },
                1,
            )
            .await?;
            run(&dispatcher, Command::Verify { note: None }, 24).await?;
            run(
                &clerk,
                Command::FollowUp {
                    satisfaction: Satisfaction::Satisfied,
                    note: Some("电话回访，当事人满意".into()),
                },
                24,
            )
            .await?;
            run(&dispatcher, Command::Archive {}, 2).await?;
            return Ok(CaseState::Archived);
        }
        let urgency = hezhi_app::input::parse_enum::<Urgency>("urgency", &sample.urgency_hint)?;
        let complexity = if urgency == Urgency::Green {
            Complexity::Simple
        } else {
            Complexity::Complex
        };
        run(
            &dispatcher,
            Command::Triage {
                kind,
                category: category.clone(),
                complexity,
                urgency,
                reason: Some("按四色分级研判".into()),
                case_leader: (complexity == Complexity::Complex).then(|| "镇党委副书记".to_owned()),
                promised_due_at: None,
            },
            1,
        )
        .await?;
        if plan == "triaged" {
            return Ok(CaseState::Triaged);
        }
        let responsible: Vec<&Unit> = self
            .units
            .iter()
            .filter(|u| u.kind != UnitKind::GovernanceCentre && u.kind != UnitKind::Court)
            .filter(|u| u.snapshot().is_responsible_for(&region, category))
            .collect();
        let lead = responsible
            .iter()
            .find(|u| !u.categories.is_empty())
            .or_else(|| {
                responsible
                    .iter()
                    .find(|u| u.kind == UnitKind::MediationCommittee)
            })
            .or(responsible.first())
            .ok_or_else(|| anyhow!("no unit responsible"))?;
        let supporting: Vec<UnitId> = responsible
            .iter()
            .filter(|u| u.id != lead.id && u.kind == UnitKind::JusticeOffice)
            .map(|u| u.id)
            .take(usize::from(complexity == Complexity::Complex))
            .collect();
        let due_hours = match urgency {
            Urgency::Red => 24,
            Urgency::Orange => 15 * 24,
            Urgency::Yellow => 7 * 24,
            Urgency::Green => 24,
        };
        let now = self.clock.now();
        run(
            &dispatcher,
            Command::Dispatch {
                lead_unit: lead.id,
                supporting_units: supporting.clone(),
                due_at: now + Duration::hours(due_hours + 2),
                note: Some("请按期办结并反馈".into()),
            },
            2,
        )
        .await?;
        if plan == "dispatched" {
            return Ok(CaseState::Dispatched);
        }
        let handler = self.handler_of(lead.id)?;
        run(
            &handler,
            Command::Acknowledge {
                note: Some("已签收".into()),
            },
            1,
        )
        .await?;
        for unit in &supporting {
            run(
                &self.handler_of(*unit)?,
                Command::ConfirmPart {
                    note: Some("已配合走访".into()),
                },
                3,
            )
            .await?;
        }
        if plan == "in_progress" {
            return Ok(CaseState::InProgress);
        }
        let outcome = if kind == CaseKind::Dispute {
            Outcome::Settled
        } else {
            Outcome::Handled
        };
        run(
            &handler,
            Command::Resolve {
                outcome,
                note: "经调解双方达成一致，已履行".into(),
                referral: None,
            },
            20,
        )
        .await?;
        if plan == "resolved" {
            return Ok(CaseState::Resolved);
        }
        if index.is_multiple_of(4) {
            run(
                &dispatcher,
                Command::Rework {
                    reason: "现场核查发现问题未彻底解决".into(),
                },
                6,
            )
            .await?;
            run(
                &handler,
                Command::Resolve {
                    outcome,
                    note: "返工后已整改到位".into(),
                    referral: None,
                },
                20,
            )
            .await?;
        }
        run(
            &dispatcher,
            Command::Verify {
                note: Some("网格员现场核查属实".into()),
            },
            8,
        )
        .await?;
        if plan == "verified" {
            return Ok(CaseState::Verified);
        }
        let satisfaction = if index.is_multiple_of(5) {
            Satisfaction::BasicallySatisfied
        } else {
            Satisfaction::Satisfied
        };
        run(
            &clerk,
            Command::FollowUp {
                satisfaction,
                note: Some("电话回访".into()),
            },
            24,
        )
        .await?;
        if plan == "followed_up" {
            return Ok(CaseState::FollowedUp);
        }
        run(&dispatcher, Command::Archive {}, 2).await?;
        Ok(CaseState::Archived)
    }

    fn handler_of(&self, unit: UnitId) -> anyhow::Result<Principal> {
        self.actors
            .values()
            .find(|p| p.assignments.iter().any(|a| a.unit == Some(unit)))
            .cloned()
            .ok_or_else(|| anyhow!("no handler for unit {unit}"))
    }
}

#[cfg(test)]
mod story_tests {
    use super::story_end;
    use chrono::{DateTime, Utc};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_demo_story_stays_within_the_years_the_calendar_covers() {
        assert_eq!(
            story_end(at("2026-11-22T03:00:00Z")),
            at("2026-11-22T03:00:00Z")
        );
        assert_eq!(
            story_end(at("2027-02-10T00:00:00Z")),
            at("2026-12-01T00:00:00Z")
        );
    }
}
