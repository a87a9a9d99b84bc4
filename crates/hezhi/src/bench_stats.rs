//! `hezhi bench-stats`: region × period questions at the scale of a province, answered from
//! the indicator rollups and by a full scan of the cases.
//!
//! For each engine, on a fresh database:
//!
//! 1. loads `--cases` synthetic cases (10 million by default) spread over one synthetic
//!    province shaped like Shandong (province 37: 16 cities, 144 counties, 1,728 towns,
//!    57,024 villages), reported over the China days of 2026 in time order. Each case is
//!    carried through a random part of its life by the domain itself (`decide_with` with the
//!    default deadline policy and the holiday calendar, `evolve`, and the deadline sweeper's
//!    warnings, overdue notices and escalations), and every step is written through the
//!    store's real write path (`write_batch`, thousands of ops per transaction), so that the
//!    rollups are the ones live writes make;
//! 2. times the province-year question with the rollups (`StatsStore::tally`) and by a full
//!    scan (`StatsStore::tally_by_scan`), and a few other shapes with the rollups, and fails
//!    unless the rollups, the scan and the loader's own sum agree exactly;
//! 3. prints a Markdown report: the machine, the load, the answers' times, the stored rows
//!    and the size of the database.

use crate::bench::{Engine, bench_keys, hex, random_bytes, redact};
use anyhow::{Context, anyhow, ensure};
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use hezhi_domain::deadline::DeadlinePolicy;
use hezhi_domain::indicators::Tally;
use hezhi_domain::sweep::{next_sweep_at, sweep};
use hezhi_domain::{
    Actor, Case, CaseId, CaseKind, CaseNumber, CaseState, Channel, Command, Complexity,
    DeadlineContext, DomainError, Event, NewCase, Outcome, ReferralChannel, RegionCode,
    RegionLevel, Role, Satisfaction, TrackingCode, UnitId, UnitKind, UnitSnapshot, Urgency, UserId,
    WorkingCalendar, decide_with, evolve, reported_event,
};
use hezhi_store::stats::tally_of_cases;
use hezhi_store::{Region, Store, Unit, WriteOp};
use hezhi_store_postgres::PostgresStore;
use hezhi_store_sqlite::SqliteStore;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct BenchStatsArgs {
    /// Cases to load, reported over the China days of 2026.
    #[arg(long, default_value_t = 10_000_000)]
    cases: u64,
    /// Write ops per transaction, about (a case's report and its later steps go in the same
    /// transaction, so a batch ends at a case's last op).
    #[arg(long, default_value_t = 4000)]
    batch: usize,
    /// Write each command (and each sweep) of a case as its own op, as the application does,
    /// instead of one op for the rest of its life after its report. The rollups, rows and
    /// events come out the same; the load takes several times as long.
    #[arg(long)]
    op_per_command: bool,
    /// Percent of the cases carried through a random part of their life; the others stay as
    /// they were reported (one event each, about half the bytes of a whole life), so that a
    /// load of 10 million fits a smaller disk. Every case still counts in the rollups.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(0..=100))]
    lived: u8,
    /// Drop the secondary indexes of the cases table before the load and build them again
    /// after it (timed apart), as a bulk load does: on a disk that writes about 125 MB/s,
    /// random index pages bound the load past a million cases. The questions run with every
    /// index in place either way; the keys, the other tables' indexes and the rollups take
    /// every write.
    #[arg(long)]
    defer_indexes: bool,
    /// Transactions written at the same time, each by its own loader over its own counties
    /// [default: 1 for SQLite, which has one writer; 2 for PostgreSQL].
    #[arg(long)]
    writers: Option<usize>,
    /// Timed runs of each question answered from the rollups, after one warm-up run.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Timed runs of the full scan (without a warm-up: each reads every case).
    #[arg(long, default_value_t = 2)]
    scan_runs: usize,
    /// PostgreSQL to measure, e.g. postgres://postgres@127.0.0.1:5432/test, in a fresh
    /// schema dropped afterwards. [default: $HEZHI_BENCH_PG_URL, then $HEZHI_TEST_PG_URL]
    #[arg(long)]
    pg_url: Option<String>,
    /// The engines to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    engines: Vec<Engine>,
    /// Where the SQLite database is made, in a temporary directory removed afterwards
    /// [default: the system's temporary directory]. 10 million cases take tens of GB.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also write the report to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The workload's seed: the same seed and counts give the same cases.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

/// The province of the workload.
const PROVINCE: &str = "37";
/// The year the cases are reported in (China days).
const YEAR: i32 = 2026;

pub async fn run(args: BenchStatsArgs) -> anyhow::Result<()> {
    ensure!(
        args.cases > 0 && args.batch > 0 && args.runs > 0 && args.scan_runs > 0,
        "--cases, --batch, --runs and --scan-runs must be positive"
    );
    ensure!(
        args.writers != Some(0),
        "--writers must be positive when given"
    );
    let (pg_url, engines, notes) =
        crate::bench::engines_to_measure(args.pg_url.clone(), &args.engines)?;

    let world = Arc::new(World::new()?);
    let mut results = Vec::new();
    for engine in engines {
        let bench = EngineBench {
            engine,
            args: &args,
            pg_url: pg_url.as_deref(),
            world: Arc::clone(&world),
        };
        results.push(bench.run().await?);
    }
    let report = report(&args, &world, &results, &notes);
    print!("{report}");
    if let Some(path) = &args.report {
        std::fs::write(path, &report).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    Ok(())
}

// ---- the province ---------------------------------------------------------------------------

/// The shape of the synthetic province: how many children each level has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    cities: u32,
    counties_per_city: u32,
    towns_per_county: u32,
    villages_per_town: u32,
}

/// About Shandong's: 16 cities, 136 counties, 1,825 towns, 69,656 villages in 2023.
const SHANDONG_LIKE: Shape = Shape {
    cities: 16,
    counties_per_city: 9,
    towns_per_county: 12,
    villages_per_town: 33,
};

/// A county and its villages.
#[derive(Debug, Clone)]
struct County {
    code: RegionCode,
    villages: Vec<RegionCode>,
}

/// The regions of the synthetic province, parents before children.
#[derive(Debug)]
struct Province {
    regions: Vec<Region>,
    counties: Vec<County>,
}

impl Province {
    fn count(&self, level: RegionLevel) -> usize {
        self.regions.iter().filter(|r| r.level == level).count()
    }

    fn villages(&self) -> usize {
        self.counties.iter().map(|c| c.villages.len()).sum()
    }
}

/// The 2-digit child number of the `n`th (from 1) county of a city: as in the statistical
/// codes, 01 is the city's own district (市辖区) and real counties start at 02.
fn county_number(n: u32) -> u32 {
    n + 1
}

/// The 3-digit number of the `n`th (from 1) town of a county: sub-districts (街道) 001…, then
/// towns (镇) 101…, as the statistical codes number them.
fn town_number(n: u32) -> (u32, &'static str) {
    if n <= 4 {
        (n, "街道")
    } else {
        (100 + n - 4, "镇")
    }
}

/// The 3-digit number of the `n`th (from 1) village of a town: communities (社区居委会)
/// 001…008, then villages (村委会) 201….
fn village_number(n: u32) -> (u32, &'static str) {
    if n <= 8 {
        (n, "社区居委会")
    } else {
        (200 + n - 8, "村委会")
    }
}

/// A synthetic province `code` of real-looking 12-digit division codes.
fn synthetic_province(code: &str, shape: Shape) -> anyhow::Result<Province> {
    ensure!(
        shape.cities <= 99
            && shape.counties_per_city <= 98
            && shape.towns_per_county <= 99
            && shape.villages_per_town <= 99,
        "the shape does not fit the division codes: {shape:?}"
    );
    let parse = |text: String| RegionCode::parse(&text).with_context(|| format!("region {text}"));
    let province = parse(code.to_owned())?;
    let mut regions = vec![Region {
        code: province.clone(),
        name: "模拟省".into(),
        level: RegionLevel::Province,
        parent: None,
    }];
    let mut counties = Vec::new();
    for c in 1..=shape.cities {
        let city = parse(format!("{province}{c:02}"))?;
        regions.push(Region {
            code: city.clone(),
            name: format!("模拟{c}市"),
            level: RegionLevel::City,
            parent: Some(province.clone()),
        });
        for k in 1..=shape.counties_per_city {
            let county = parse(format!("{city}{:02}", county_number(k)))?;
            regions.push(Region {
                code: county.clone(),
                name: format!("模拟{c}市{k}区"),
                level: RegionLevel::County,
                parent: Some(city.clone()),
            });
            let mut villages = Vec::new();
            for t in 1..=shape.towns_per_county {
                let (number, suffix) = town_number(t);
                let town = parse(format!("{county}{number:03}"))?;
                regions.push(Region {
                    code: town.clone(),
                    name: format!("第{t}{suffix}"),
                    level: RegionLevel::Town,
                    parent: Some(county.clone()),
                });
                for v in 1..=shape.villages_per_town {
                    let (number, suffix) = village_number(v);
                    let village = parse(format!("{town}{number:03}"))?;
                    regions.push(Region {
                        code: village.clone(),
                        name: format!("第{v}{suffix}"),
                        level: RegionLevel::Village,
                        parent: Some(town.clone()),
                    });
                    villages.push(village);
                }
            }
            counties.push(County {
                code: county,
                villages,
            });
        }
    }
    Ok(Province { regions, counties })
}

/// What one loader writes: its counties (so that case numbers, counted per county, are known
/// without reading them back, and concurrent loaders never share a county's counter or audit
/// chain), their villages, and its share of the cases.
#[derive(Debug, Clone)]
struct Share {
    index: usize,
    villages: Vec<RegionCode>,
    cases: u64,
    /// The global index of the share's first case (tracking codes are distinct across
    /// shares).
    first: u64,
}

/// Deals the counties to `writers` loaders in turn, and the cases in proportion to their
/// villages.
fn shares(counties: &[County], writers: usize, cases: u64) -> Vec<Share> {
    let writers = writers.clamp(1, counties.len().max(1));
    let mut shares: Vec<Share> = (0..writers)
        .map(|index| Share {
            index,
            villages: Vec::new(),
            cases: 0,
            first: 0,
        })
        .collect();
    for (i, county) in counties.iter().enumerate() {
        shares[i % writers]
            .villages
            .extend(county.villages.iter().cloned());
    }
    let villages: u64 = shares.iter().map(|s| s.villages.len() as u64).sum();
    let mut given = 0;
    for share in &mut shares {
        share.cases =
            (u128::from(cases) * share.villages.len() as u128 / u128::from(villages.max(1))) as u64;
        given += share.cases;
    }
    // What rounding left over goes to the first shares, one each.
    let mut left = cases - given;
    for share in &mut shares {
        if left == 0 {
            break;
        }
        share.cases += 1;
        left -= 1;
    }
    let mut first = 0;
    for share in &mut shares {
        share.first = first;
        first += share.cases;
    }
    shares
}

/// When the `k`th of `n` cases is reported: the cases spread evenly over the China days of
/// [`YEAR`], in time order, each day's between 08:00 and 20:00 China time, to the second.
fn reported_at(k: u64, n: u64) -> DateTime<Utc> {
    let days = u128::from(days_in_year());
    let position = u128::from(k) * days;
    let n = u128::from(n.max(1));
    let day = (position / n) as i64;
    let within = ((position % n) * 12 * 3600 / n) as i64;
    // 08:00 China time is 00:00 UTC.
    year_start() + TimeDelta::days(day) + TimeDelta::seconds(within)
}

/// 00:00 UTC on the first of January: 08:00 China time on the first China day of the year.
fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(YEAR, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn days_in_year() -> u64 {
    let first = NaiveDate::from_ymd_opt(YEAR, 1, 1);
    let next = NaiveDate::from_ymd_opt(YEAR + 1, 1, 1);
    match (first, next) {
        (Some(first), Some(next)) => (next - first).num_days().unsigned_abs(),
        _ => 365,
    }
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or_default()
}

fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 12, 31).unwrap_or_default()
}

/// The last moment of the year in China: nothing happens to a case after it (the load is a
/// snapshot at the end of the year).
fn year_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(YEAR, 12, 31, 15, 59, 59)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The `index`th of a sequence of values that are distinct modulo 10⁹ (tracking codes keep
/// nine digits), scattered over that range: a stride prime to 10⁹ from `base`.
fn distinct(base: u64, index: u64) -> u64 {
    const CODES: u64 = 1_000_000_000;
    const STRIDE: u64 = 387_420_489; // 3¹⁸
    (base % CODES + (index % CODES) * STRIDE) % CODES
}

// ---- the cases ------------------------------------------------------------------------------

/// A small deterministic generator (xorshift64*), so that a seed gives the same cases.
#[derive(Debug)]
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Self {
        // splitmix64 of the seed: never 0, and nearby seeds give unrelated sequences.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// A span of between `from` and `to` minutes, to the second.
    fn minutes(&mut self, from: i64, to: i64) -> TimeDelta {
        let (from, to) = (from * 60, to * 60);
        TimeDelta::seconds(from + self.below((to - from).max(1).unsigned_abs()) as i64)
    }
    fn hours(&mut self, from: i64, to: i64) -> TimeDelta {
        self.minutes(from * 60, to * 60)
    }
    fn days(&mut self, from: i64, to: i64) -> TimeDelta {
        self.minutes(from * 24 * 60, to * 24 * 60)
    }
}

/// What every loader shares: the province, the people and the unit who act on the cases,
/// the deadline policy and calendar, and the case texts.
#[derive(Debug)]
struct World {
    province: Province,
    categories: Vec<hezhi_store::Category>,
    unit: Unit,
    units: Vec<UnitSnapshot>,
    /// Staff of the province who act on the cases, each tried in turn for a command.
    actors: Vec<Actor>,
    clerk: Actor,
    grid_worker: Actor,
    policy: DeadlinePolicy,
    calendar: WorkingCalendar,
    /// Realistic reports (Chinese text, parties with phones and ID numbers), from the
    /// shipped samples; each case takes one and its own village.
    reports: Vec<NewCase>,
}

impl World {
    fn new() -> anyhow::Result<Self> {
        let province = synthetic_province(PROVINCE, SHANDONG_LIKE)?;
        let categories = crate::backend::shipped_categories()?;
        let province_code = RegionCode::parse(PROVINCE)?;
        let unit = Unit {
            id: UnitId::from_uuid(uuid::Uuid::from_u128(
                0x4865_7a68_6900_0000_0000_0000_0000_0001,
            )),
            name: "模拟省矛盾纠纷调处化解中心".into(),
            kind: UnitKind::GovernanceCentre,
            region: province_code.clone(),
            categories: vec![],
        };
        let actor = |n: u128, role: Role, unit: Option<UnitId>| Actor {
            user: UserId::from_uuid(uuid::Uuid::from_u128(
                0x4865_7a68_6900_0000_0000_0000_0001_0000 + n,
            )),
            role,
            region: Some(province_code.clone()),
            unit,
        };
        let clerk = actor(1, Role::IntakeClerk, None);
        let grid_worker = actor(5, Role::GridWorker, None);
        let actors = vec![
            actor(2, Role::Dispatcher, None),
            actor(3, Role::UnitHandler, Some(unit.id)),
            actor(4, Role::Supervisor, None),
            clerk.clone(),
            actor(6, Role::Leader, None),
            grid_worker.clone(),
        ];
        let mut reports = Vec::new();
        for sample in crate::samples::load()? {
            let category = sample.category_code(&categories)?;
            let input = sample.input(&category, &RegionCode::parse(&sample.region)?);
            let report = input
                .parse()
                .with_context(|| format!("sample case {}", input.title))?;
            reports.push(report);
        }
        ensure!(!reports.is_empty(), "no sample case");
        Ok(Self {
            province,
            categories,
            units: vec![unit.snapshot()],
            unit,
            actors,
            clerk,
            grid_worker,
            policy: DeadlinePolicy::defaults(),
            calendar: WorkingCalendar::china()
                .map_err(|e| anyhow!("the shipped holiday calendar: {e:?}"))?,
            reports,
        })
    }

    fn province_code(&self) -> anyhow::Result<RegionCode> {
        Ok(RegionCode::parse(PROVINCE)?)
    }
}

/// One case's life being written: its projection, the ops that got it there, and the time.
struct Life<'a> {
    world: &'a World,
    /// The projection of the report (what the store makes of the `CreateCase` op).
    reported: Case,
    /// Events not yet in an op (all of them after the report, unless one op per command).
    pending: Vec<Event>,
    op_per_command: bool,
    case: Case,
    now: DateTime<Utc>,
    ops: Vec<WriteOp>,
    events: u64,
    /// Set when a step fell after the end of the year or the domain refused it: nothing more
    /// happens to the case.
    stopped: bool,
    refusal: Option<String>,
}

impl<'a> Life<'a> {
    fn new(world: &'a World, create: WriteOp, case: Case, op_per_command: bool) -> Self {
        Self {
            world,
            reported: case.clone(),
            pending: Vec::new(),
            op_per_command,
            now: case.reported_at,
            case,
            ops: vec![create],
            events: 1,
            stopped: false,
            refusal: None,
        }
    }

    /// The command at `now + after`, decided by the first of the staff the domain lets
    /// issue it, after whatever the deadline sweeper would have done meanwhile.
    fn step(&mut self, after: TimeDelta, command: impl FnOnce(&Case, DateTime<Utc>) -> Command) {
        if self.stopped {
            return;
        }
        let at = self.now + after;
        if at > year_end() {
            self.stopped = true;
            return;
        }
        self.sweep_until(at);
        let command = command(&self.case, at);
        let deadlines = matches!(command, Command::Triage { .. }).then_some(DeadlineContext {
            policy: &self.world.policy,
            calendar: &self.world.calendar,
        });
        let mut refused: Option<DomainError> = None;
        for actor in &self.world.actors {
            match decide_with(
                &self.case,
                &command,
                actor,
                at,
                &self.world.units,
                deadlines,
            ) {
                Ok(events) => {
                    self.apply(at, events);
                    return;
                }
                // Another actor may be the one allowed; keep the most telling refusal.
                Err(DomainError::NotPermitted { .. }) if refused.is_some() => {}
                Err(error) => refused = Some(error),
            }
        }
        self.stopped = true;
        self.refusal = Some(match refused {
            Some(error) => format!("{}: {error}", command.kind()),
            None => format!("{}: refused", command.kind()),
        });
    }

    /// What the deadline sweeper (once a minute in `hezhi serve`) does up to `until`:
    /// warnings, then the overdue notice and the escalation, each once per deadline.
    fn sweep_until(&mut self, until: DateTime<Utc>) {
        while let Some(at) = next_sweep_at(&self.case) {
            if at > until {
                break;
            }
            let at = at.max(self.now);
            let events = sweep(&self.case, at);
            if events.is_empty() {
                break;
            }
            self.apply(at, events);
        }
    }

    fn apply(&mut self, at: DateTime<Utc>, events: Vec<Event>) {
        let after = events
            .iter()
            .try_fold(self.case.clone(), |case, event| evolve(Some(case), event));
        let Some(after) = after else {
            self.stopped = true;
            self.refusal = Some("evolve: the events did not apply".into());
            return;
        };
        self.events += events.len() as u64;
        let before = std::mem::replace(&mut self.case, after.clone());
        if self.op_per_command {
            self.ops.push(WriteOp::append(before, events, after, None));
        } else {
            self.pending.extend(events);
        }
        self.now = at;
    }

    /// The ops of the whole life: the report, then one op per command, or one for all the
    /// events after the report, decided on the reported projection.
    fn finish(&mut self) {
        if !self.pending.is_empty() {
            let events = std::mem::take(&mut self.pending);
            self.ops.push(WriteOp::append(
                self.reported.clone(),
                events,
                self.case.clone(),
                None,
            ));
        }
    }

    fn state(&self) -> CaseState {
        self.case.state
    }
}

fn satisfaction(dice: &mut Dice) -> Satisfaction {
    match dice.below(100) {
        0..80 => Satisfaction::Satisfied,
        80..95 => Satisfaction::BasicallySatisfied,
        _ => Satisfaction::Dissatisfied,
    }
}

/// How a unit's handling ends, by the kind of matter.
fn outcome(dice: &mut Dice, kind: CaseKind) -> (Outcome, Option<ReferralChannel>) {
    let roll = dice.below(100);
    if kind == CaseKind::Dispute {
        match roll {
            0..75 => (Outcome::Settled, None),
            75..90 => (Outcome::NotSettled, Some(ReferralChannel::Litigation)),
            90..95 => (Outcome::Withdrawn, None),
            _ => (Outcome::Handled, None),
        }
    } else {
        match roll {
            0..80 => (Outcome::Handled, None),
            80..95 => (Outcome::Settled, None),
            _ => (Outcome::Withdrawn, None),
        }
    }
}

/// Carries a reported case through a random part of its life: declined (4%), resolved at
/// first contact (22%), or accepted, triaged under the deadline policy, dispatched to the
/// unit, acknowledged and resolved — mostly by the deadline, some late — with now and then a
/// return, an extension, an escalation or a rework, then verified, followed up and archived.
/// A few stop on the way (still open at the end of the year), and nothing happens after
/// the year ends.
fn live(life: &mut Life<'_>, dice: &mut Dice) {
    let roll = dice.below(100);
    if roll < 4 {
        life.step(dice.minutes(10, 240), |_, _| Command::Decline {
            reason: "不属于受理范围，已告知当事人向人民法院起诉".into(),
            suggested_channel: ReferralChannel::Litigation,
        });
        if dice.chance(60) {
            life.step(dice.days(1, 3), |_, _| Command::Archive {});
        }
    } else if roll < 26 {
        let outcome = if dice.chance(65) {
            Outcome::Settled
        } else {
            Outcome::Handled
        };
        life.step(dice.minutes(5, 90), |_, _| Command::ResolveAtFirstContact {
            outcome,
            note: "窗口当场调解，双方达成一致".into(),
        });
        if dice.chance(70) {
            life.step(dice.hours(1, 48), |_, _| Command::Verify { note: None });
            if dice.chance(85) {
                let satisfaction = satisfaction(dice);
                life.step(dice.days(1, 5), |_, _| Command::FollowUp {
                    satisfaction,
                    note: None,
                });
                if dice.chance(70) {
                    life.step(dice.days(1, 7), |_, _| Command::Archive {});
                }
            }
        }
    } else {
        handled_by_a_unit(life, dice);
    }
    life.sweep_until(year_end());
}

fn handled_by_a_unit(life: &mut Life<'_>, dice: &mut Dice) {
    let urgency = match dice.below(100) {
        0..5 => Urgency::Red,
        5..15 => Urgency::Orange,
        15..70 => Urgency::Yellow,
        _ => Urgency::Green,
    };
    // Urgent and simple matters move within the hour; others within a day.
    let quick = matches!(urgency, Urgency::Red | Urgency::Green);
    let wait = |dice: &mut Dice| {
        if quick {
            dice.minutes(5, 45)
        } else {
            dice.minutes(10, 24 * 60)
        }
    };
    life.step(dice.minutes(10, 240), |_, _| Command::Accept { note: None });
    if !dice.chance(98) {
        return;
    }
    let complexity = if dice.chance(80) {
        Complexity::Simple
    } else {
        Complexity::Complex
    };
    let promised = dice.days(3, 20);
    life.step(wait(dice), |case, now| Command::Triage {
        kind: case.data.kind,
        category: case.data.category.clone(),
        complexity,
        urgency,
        reason: None,
        case_leader: None,
        // The policy leaves orange matters' handling time to a promise to the parties.
        promised_due_at: (urgency == Urgency::Orange).then_some(now + promised),
    });
    if !dice.chance(98) {
        return;
    }
    let unit = life.world.unit.id;
    let fallback = dice.days(1, 3);
    let dispatch = move |case: &Case, now: DateTime<Utc>| Command::Dispatch {
        lead_unit: unit,
        supporting_units: vec![],
        due_at: case
            .due_at
            .filter(|due| *due > now + TimeDelta::hours(1))
            .unwrap_or(now + fallback),
        note: None,
    };
    life.step(wait(dice), dispatch);
    if dice.chance(3) {
        life.step(dice.hours(1, 8), |_, _| Command::Return {
            reason: "不属于本单位职责".into(),
        });
        life.step(dice.hours(1, 24), dispatch);
    }
    life.step(wait(dice), |_, _| Command::Acknowledge { note: None });
    if !dice.chance(97) {
        return;
    }
    if dice.chance(4)
        && let Some(due) = life.case.due_at.filter(|due| *due > life.now)
    {
        let half = (due - life.now) / 2;
        let extra = dice.days(3, 10);
        life.step(half, |_, _| Command::RequestExtension {
            until: due + extra,
            reason: "等待司法鉴定结果".into(),
        });
        if dice.chance(85) {
            life.step(dice.hours(1, 24), |_, _| Command::ApproveExtension {
                note: None,
            });
        } else {
            life.step(dice.hours(1, 24), |_, _| Command::RefuseExtension {
                note: "可先行调解，不予延期".into(),
            });
        }
    }
    if dice.chance(2) {
        life.step(dice.hours(1, 48), |_, _| Command::Escalate {
            reason: "涉及多个部门，需上级协调".into(),
        });
    }
    let kind = life.case.data.kind;
    resolve(life, dice, kind);
    if life.state() != CaseState::Resolved || !dice.chance(97) {
        return;
    }
    if dice.chance(6) {
        life.step(dice.days(1, 3), |_, _| Command::Rework {
            reason: "回访发现现场未整改到位".into(),
        });
        resolve(life, dice, kind);
    }
    life.step(dice.hours(1, 72), |_, _| Command::Verify { note: None });
    if dice.chance(90) {
        let satisfaction = satisfaction(dice);
        life.step(dice.days(1, 5), |_, _| Command::FollowUp {
            satisfaction,
            note: None,
        });
        if dice.chance(70) {
            life.step(dice.days(1, 10), |_, _| Command::Archive {});
        }
    }
}

/// The unit resolves the case: 85% by its deadline (somewhere before it), the others late,
/// up to ten days after.
fn resolve(life: &mut Life<'_>, dice: &mut Dice, kind: CaseKind) {
    let due = life.case.due_at;
    let after = match due.filter(|due| *due > life.now + TimeDelta::minutes(10)) {
        Some(due) if dice.chance(85) => {
            let span = (due - life.now).num_seconds();
            let share = 10 + dice.below(86) as i64; // 10–95% of the time left
            TimeDelta::seconds(span * share / 100)
        }
        _ => {
            let late_from = due.map_or(TimeDelta::zero(), |due| {
                (due - life.now).max(TimeDelta::zero())
            });
            late_from + dice.hours(1, 240)
        }
    };
    let (outcome, referral) = outcome(dice, kind);
    life.step(after, |_, _| Command::Resolve {
        outcome,
        note: "经调解，双方签订调解协议".into(),
        referral,
    });
}

/// How a loader makes its cases.
#[derive(Debug, Clone, Copy)]
struct How {
    seed: u64,
    /// Ops per transaction, about.
    batch: usize,
    op_per_command: bool,
    /// Percent of the cases that live past their report.
    lived: u8,
}

/// One transaction's ops, and what they hold.
#[derive(Debug)]
struct Batch {
    ops: Vec<WriteOp>,
    cases: u64,
}

/// What a loader generated, to check the database against.
#[derive(Debug, Default)]
struct Generated {
    cases: u64,
    events: u64,
    ops: u64,
    /// The province-year tally of the cases, summed from their final projections.
    tally: Tally,
    /// Cases by final state.
    states: BTreeMap<&'static str, u64>,
    /// Steps the domain refused, by refusal (the case stops there).
    refusals: BTreeMap<String, u64>,
    /// A few cases to read back: id, number, state, version.
    probes: Vec<(CaseId, CaseNumber, CaseState, u32)>,
}

/// Generates `share`'s cases in time order, in batches of about `batch` ops, and sends each
/// batch to the writer. Runs on a blocking thread.
fn generate(
    world: &World,
    share: &Share,
    how: How,
    send: &tokio::sync::mpsc::Sender<Batch>,
) -> anyhow::Result<Generated> {
    let How {
        seed,
        batch,
        op_per_command,
        lived,
    } = how;
    let mut dice = Dice::new(seed ^ (share.index as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let tracking_base = Dice::new(seed).next();
    let province = world.province_code()?;
    let (from, to) = (first_day(), last_day());
    let mut numbers: HashMap<RegionCode, u32> = HashMap::new();
    let mut generated = Generated::default();
    let mut ops = Vec::with_capacity(batch + 64);
    let mut cases_in_batch = 0;
    let probe_every = (share.cases / 8).max(1);
    for k in 0..share.cases {
        let at = reported_at(k, share.cases);
        let mut data = world.reports[dice.below(world.reports.len() as u64) as usize].clone();
        data.region = share.villages[dice.below(share.villages.len() as u64) as usize].clone();
        let reporter = if data.channel == Channel::GridReport {
            &world.grid_worker
        } else {
            &world.clerk
        };
        let millis = u64::try_from(at.timestamp_millis())?;
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&dice.next().to_le_bytes());
        random[8..].copy_from_slice(&dice.next().to_le_bytes()[..2]);
        let county = data.county();
        let id = CaseId::compose(millis, &county, random);
        let tracking_code = TrackingCode::from_random(distinct(tracking_base, share.first + k));
        // The number the store gives: the county's next, counted per year; this loader is the
        // only one writing the county's cases.
        let sequence = numbers.entry(county.clone()).or_insert(0);
        *sequence += 1;
        let number = CaseNumber::new(county, Case::number_year(at), *sequence);
        // The projection the store makes of the report, made the same way.
        let event = reported_event(
            id,
            number,
            tracking_code.clone(),
            data.clone(),
            reporter,
            at,
        );
        let reported = evolve(None, &event).ok_or_else(|| anyhow!("a report made no case"))?;
        let create = WriteOp::CreateCase {
            id,
            tracking_code,
            data: Box::new(data),
            actor: reporter.clone(),
            at,
            idempotency: None,
        };
        let mut life = Life::new(world, create, reported, op_per_command);
        // At 100 the dice are not rolled, so a seed gives the same cases as before the option.
        if lived >= 100 || dice.chance(u64::from(lived)) {
            live(&mut life, &mut dice);
        }
        life.finish();
        let Life {
            case,
            ops: case_ops,
            events,
            refusal,
            ..
        } = life;
        generated.cases += 1;
        generated.events += events;
        generated.ops += case_ops.len() as u64;
        generated.tally += tally_of_cases([&case], &province, from, to);
        *generated.states.entry(case.state.as_str()).or_default() += 1;
        if let Some(refusal) = refusal {
            *generated.refusals.entry(refusal).or_default() += 1;
        }
        if k % probe_every == 0 || k + 1 == share.cases {
            generated
                .probes
                .push((case.id, case.number.clone(), case.state, case.version));
        }
        ops.extend(case_ops);
        cases_in_batch += 1;
        if ops.len() >= batch {
            let full = std::mem::replace(&mut ops, Vec::with_capacity(batch + 64));
            send.blocking_send(Batch {
                ops: full,
                cases: std::mem::take(&mut cases_in_batch),
            })
            .map_err(|_| anyhow!("the writer stopped"))?;
        }
    }
    if !ops.is_empty() {
        send.blocking_send(Batch {
            ops,
            cases: cases_in_batch,
        })
        .map_err(|_| anyhow!("the writer stopped"))?;
    }
    Ok(generated)
}

// ---- one engine -----------------------------------------------------------------------------

struct EngineBench<'a> {
    engine: Engine,
    args: &'a BenchStatsArgs,
    pg_url: Option<&'a str>,
    world: Arc<World>,
}

/// A fresh, empty database, and how to get rid of it.
enum Fresh {
    Sqlite {
        store: Arc<SqliteStore>,
        path: PathBuf,
        dir: tempfile::TempDir,
    },
    Postgres {
        store: Arc<PostgresStore>,
        schema: String,
    },
}

impl Fresh {
    fn store(&self) -> Arc<dyn Store> {
        match self {
            Fresh::Sqlite { store, .. } => store.clone(),
            Fresh::Postgres { store, .. } => store.clone(),
        }
    }

    /// Drops the secondary indexes of [`DEFERRED_TABLES`] (not the keys and unique
    /// constraints of their tables' definitions) and returns each one's name and definition.
    async fn drop_indexes(&self) -> anyhow::Result<Vec<(String, String)>> {
        let tables = DEFERRED_TABLES.map(|t| format!("'{t}'")).join(", ");
        let indexes: Vec<(String, String)> = match self {
            Fresh::Sqlite { path, .. } => {
                let mut conn = sqlite_connection(path).await?;
                let indexes = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
                     AND sql IS NOT NULL AND tbl_name IN ({tables}) ORDER BY name"
                )))
                .fetch_all(&mut conn)
                .await?;
                for (name, _) in &indexes {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                        .execute(&mut conn)
                        .await?;
                }
                sqlx::Connection::close(conn).await?;
                indexes
            }
            Fresh::Postgres { store, schema } => {
                let indexes: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = $1 \
                     AND tablename IN ({tables}) AND indexname NOT IN \
                     (SELECT conname FROM pg_constraint WHERE connamespace = $1::regnamespace) \
                     ORDER BY indexname"
                )))
                .bind(schema)
                .fetch_all(store.pool())
                .await?;
                for (name, _) in &indexes {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP INDEX \"{schema}\".\"{name}\""
                    )))
                    .execute(store.pool())
                    .await?;
                }
                indexes
            }
        };
        Ok(indexes)
    }

    /// Builds again the indexes [`Fresh::drop_indexes`] dropped.
    async fn create_indexes(&self, indexes: &[(String, String)]) -> anyhow::Result<()> {
        match self {
            Fresh::Sqlite { path, .. } => {
                let mut conn = sqlite_connection(path).await?;
                for (name, sql) in indexes {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&mut conn)
                        .await
                        .with_context(|| format!("building index {name}"))?;
                }
                sqlx::Connection::close(conn).await?;
            }
            Fresh::Postgres { store, .. } => {
                for (name, sql) in indexes {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(store.pool())
                        .await
                        .with_context(|| format!("building index {name}"))?;
                }
            }
        }
        Ok(())
    }

    async fn remove(self) -> anyhow::Result<()> {
        match self {
            Fresh::Sqlite { store, dir, .. } => {
                store.close().await;
                drop(store);
                let path = dir.path().to_owned();
                dir.close()
                    .with_context(|| format!("removing {}", path.display()))
            }
            Fresh::Postgres { store, .. } => store
                .drop_schema()
                .await
                .context("dropping the bench schema"),
        }
    }
}

/// A connection of its own to the bench's SQLite file, for changes to its schema while the
/// store's connections are idle.
async fn sqlite_connection(path: &std::path::Path) -> anyhow::Result<sqlx::SqliteConnection> {
    use sqlx::ConnectOptions as _;
    Ok(sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::from_secs(60))
        .connect()
        .await?)
}

/// The load: how long it took and what went in.
#[derive(Debug)]
struct Load {
    writers: usize,
    elapsed: Duration,
    transactions: u64,
    /// Per transaction, sorted.
    latencies: Vec<Duration>,
    generated: Generated,
    /// Cases written and the time, each time another tenth of the load was done.
    tenths: Vec<(u64, Duration)>,
    /// The machine's load average over a minute before and after the load (other work on
    /// the machine slows the load down).
    load_average: (Option<f64>, Option<f64>),
    /// PostgreSQL only: what the backends writing the bench schema were doing.
    waits: Option<WaitSamples>,
    /// With `--defer-indexes`: how many were built again after the load, and how long that
    /// took.
    indexes: Option<(usize, Duration)>,
}

/// The tables whose secondary indexes `--defer-indexes` drops for the load: `cases` only.
/// Its rows are stored in insertion order (a rowid table), so building an index again reads
/// the table front to back. The audit log, the case units and the party keys are keyed by
/// county first, so their rows lie scattered over the file in insertion order: at 10 million
/// cases (a 44 GB file on a 24 GB machine) rebuilding the audit log's indexes read it a page
/// at a time, about 1 MB/s, for hours. Their indexes take every write instead.
const DEFERRED_TABLES: [&str; 1] = ["cases"];

/// What PostgreSQL's backends writing the bench schema were doing, sampled during the load:
/// the number of samples, and of backends seen in each state and wait.
#[derive(Debug, Default)]
struct WaitSamples {
    samples: u64,
    seen: BTreeMap<String, u64>,
}

/// Samples, four times a second until `stop`, the backends that hold a lock on a table of
/// `schema` (the bench's writers, whatever else uses the database): their state and what
/// they wait for (`Lock/transactionid` is a row lock held by another transaction; `IO/
/// WALSync` a commit's flush; none, the CPU).
async fn sample_waits(
    pool: sqlx::PgPool,
    schema: String,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<WaitSamples> {
    let mut samples = WaitSamples::default();
    loop {
        tokio::select! {
            _ = stop.changed() => return Ok(samples),
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let rows: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT a.state, a.wait_event_type, a.wait_event, count(*)
             FROM pg_stat_activity a
             WHERE a.pid <> pg_backend_pid() AND a.state <> 'idle'
               AND EXISTS (SELECT 1 FROM pg_locks l
                           JOIN pg_class c ON c.oid = l.relation
                           JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE l.pid = a.pid AND n.nspname = $1)
             GROUP BY 1, 2, 3",
        )
        .bind(&schema)
        .fetch_all(&pool)
        .await?;
        samples.samples += 1;
        for (state, kind, event, count) in rows {
            let key = match (&kind, &event) {
                _ if state.starts_with("idle in transaction") => {
                    format!("{state} (waiting for the client)")
                }
                (Some(kind), Some(event)) => format!("{state}, waiting on {kind}/{event}"),
                _ if state == "active" => "active, on the CPU".to_owned(),
                _ => state.clone(),
            };
            *samples.seen.entry(key).or_default() += count.unsigned_abs();
        }
    }
}

/// The machine's load average over the last minute, from `/proc/loadavg`.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One question, timed.
#[derive(Debug)]
struct Timing {
    label: String,
    how: &'static str,
    /// Rows in the answer (days, children), 1 for a tally.
    answer_rows: usize,
    warmups: usize,
    /// In the order of the runs.
    runs: Vec<Duration>,
}

/// What one engine measured.
#[derive(Debug)]
struct EngineResult {
    engine: Engine,
    setting: String,
    load: Load,
    stored_cases: u64,
    stored_events: u64,
    rollup_rows: u64,
    /// Bytes on disk, and what they are.
    size: u64,
    size_note: String,
    tables: Vec<(String, u64)>,
    timings: Vec<Timing>,
    tally: Tally,
}

impl EngineBench<'_> {
    async fn fresh(&self) -> anyhow::Result<Fresh> {
        match self.engine {
            Engine::Sqlite => {
                let mut builder = tempfile::Builder::new();
                builder.prefix("hezhi-bench-stats-");
                let dir = match &self.args.dir {
                    Some(parent) => builder.tempdir_in(parent),
                    None => builder.tempdir(),
                }
                .context("creating a temporary directory")?;
                let path = dir.path().join("hezhi.db");
                let store = SqliteStore::open(&path, &bench_keys()?)
                    .await
                    .with_context(|| format!("opening {}", path.display()))?;
                Ok(Fresh::Sqlite {
                    store: Arc::new(store),
                    path,
                    dir,
                })
            }
            Engine::Postgres => {
                let url = self.pg_url.ok_or_else(|| anyhow!("no PostgreSQL URL"))?;
                let schema = format!("hezhi_bench_stats_{}", hex(&random_bytes(4)?));
                let store = PostgresStore::connect_fresh_schema(url, &schema, &bench_keys()?)
                    .await
                    .with_context(|| format!("creating schema {schema} at {}", redact(url)))?;
                Ok(Fresh::Postgres {
                    store: Arc::new(store),
                    schema,
                })
            }
        }
    }

    async fn run(&self) -> anyhow::Result<EngineResult> {
        let fresh = self.fresh().await?;
        let result = self.measure(&fresh).await;
        let removed = fresh.remove().await;
        let result = result?;
        removed?;
        Ok(result)
    }

    async fn measure(&self, fresh: &Fresh) -> anyhow::Result<EngineResult> {
        let store = fresh.store();
        let world = &self.world;
        store.upsert_categories(&world.categories).await?;
        for chunk in world.province.regions.chunks(20_000) {
            store.upsert_regions(chunk).await?;
        }
        store.insert_unit(&world.unit).await?;
        let setting = self.setting(fresh).await?;

        let deferred = if self.args.defer_indexes {
            Some(fresh.drop_indexes().await?)
        } else {
            None
        };
        let mut load = self.load(Arc::clone(&store), fresh).await?;
        if let Some(indexes) = deferred {
            let began = Instant::now();
            fresh.create_indexes(&indexes).await?;
            load.indexes = Some((indexes.len(), began.elapsed()));
            eprintln!(
                "{}: built {} indexes again in {:.0} s",
                self.engine.name(),
                indexes.len(),
                began.elapsed().as_secs_f64()
            );
        }
        let generated = &load.generated;
        eprintln!(
            "{}: loaded {} cases and {} events in {:.0} s ({:.0} cases/s)",
            self.engine.name(),
            generated.cases,
            generated.events,
            load.elapsed.as_secs_f64(),
            generated.cases as f64 / load.elapsed.as_secs_f64().max(1e-9),
        );

        // What went in is what was generated, and reads back as generated.
        let (stored_cases, stored_events) = store.count_cases_and_events().await?;
        ensure!(
            stored_cases == generated.cases && stored_events == generated.events,
            "{}: {stored_cases} cases and {stored_events} events stored, {} and {} generated",
            self.engine.name(),
            generated.cases,
            generated.events
        );
        for (id, number, state, version) in &generated.probes {
            let case = store
                .case(*id)
                .await?
                .ok_or_else(|| anyhow!("case {id} was not stored"))?;
            ensure!(
                case.number == *number && case.state == *state && case.version == *version,
                "case {id} reads back as {} {} v{}, generated as {number} {} v{version}",
                case.number,
                case.state.as_str(),
                case.version,
                state.as_str(),
            );
        }

        let timings = self.questions(store.as_ref(), &generated.tally).await?;
        for t in &timings {
            eprintln!(
                "{}: {} by {}: median {} ms",
                self.engine.name(),
                t.label,
                t.how,
                ms(median(&t.runs))
            );
        }
        let (rollup_rows, size, size_note, tables) = self.sizes(fresh).await?;
        Ok(EngineResult {
            engine: self.engine,
            setting,
            stored_cases,
            stored_events,
            rollup_rows,
            size,
            size_note,
            tables,
            timings,
            tally: load.generated.tally,
            load,
        })
    }

    /// How the engine is set up, read back from it where it can be.
    async fn setting(&self, fresh: &Fresh) -> anyhow::Result<String> {
        match fresh {
            Fresh::Sqlite { path, .. } => Ok(format!(
                "sqlite: WAL, synchronous=FULL (as SqliteStore::open sets it), one writer; file {}",
                path.display()
            )),
            Fresh::Postgres { store, .. } => {
                let setting = async |name: &str| -> anyhow::Result<String> {
                    let sql = format!("SHOW {name}");
                    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_one(store.pool())
                        .await?)
                };
                Ok(format!(
                    "postgres: PostgreSQL {} at {}, synchronous_commit={}, fsync={}, \
                     shared_buffers={}, max_wal_size={}",
                    setting("server_version").await?,
                    redact(self.pg_url.unwrap_or_default()),
                    setting("synchronous_commit").await?,
                    setting("fsync").await?,
                    setting("shared_buffers").await?,
                    setting("max_wal_size").await?,
                ))
            }
        }
    }

    fn writers(&self) -> usize {
        match self.engine {
            Engine::Sqlite => self.args.writers.unwrap_or(1),
            Engine::Postgres => self.args.writers.unwrap_or(2),
        }
    }

    /// Loads the cases: one generator thread and one writer per share, the generator a
    /// couple of batches ahead of its writer. On PostgreSQL, what the writing backends wait
    /// for is sampled meanwhile.
    async fn load(&self, store: Arc<dyn Store>, fresh: &Fresh) -> anyhow::Result<Load> {
        let writers = self.writers();
        let cases = self.args.cases;
        let shares = shares(&self.world.province.counties, writers, cases);
        let progress = progress(cases, &format!("{} load", self.engine.name()));
        let load_average = load_average();
        let start = Instant::now();
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let tenths = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop_sampling, stopped) = tokio::sync::watch::channel(false);
        let sampler = match fresh {
            Fresh::Postgres { store, schema } => Some(tokio::spawn(sample_waits(
                store.pool().clone(),
                schema.clone(),
                stopped,
            ))),
            Fresh::Sqlite { .. } => None,
        };
        let mut tasks = tokio::task::JoinSet::new();
        for share in shares {
            let (send, mut receive) = tokio::sync::mpsc::channel::<Batch>(2);
            let world = Arc::clone(&self.world);
            let how = How {
                seed: self.args.seed,
                batch: self.args.batch,
                op_per_command: self.args.op_per_command,
                lived: self.args.lived,
            };
            let generator =
                tokio::task::spawn_blocking(move || generate(&world, &share, how, &send));
            let store = Arc::clone(&store);
            let progress = progress.clone();
            let (done, tenths) = (Arc::clone(&done), Arc::clone(&tenths));
            tasks.spawn(async move {
                let mut latencies = Vec::new();
                while let Some(batch) = receive.recv().await {
                    let began = Instant::now();
                    let results = store.write_batch(batch.ops).await?;
                    latencies.push(began.elapsed());
                    for (i, result) in results.into_iter().enumerate() {
                        result.with_context(|| format!("op {i} of a batch was refused"))?;
                    }
                    progress.inc(batch.cases);
                    let before = done.fetch_add(batch.cases, std::sync::atomic::Ordering::Relaxed);
                    let after = before + batch.cases;
                    if after * 10 / cases > before * 10 / cases
                        && let Ok(mut tenths) = tenths.lock()
                    {
                        tenths.push((after, start.elapsed()));
                    }
                }
                let generated = generator.await??;
                anyhow::Ok((generated, latencies))
            });
        }
        let mut generated = Generated::default();
        let mut latencies = Vec::new();
        let mut failure = None;
        while let Some(done) = tasks.join_next().await {
            let (part, times) = match done.map_err(anyhow::Error::from).and_then(|r| r) {
                Ok(part) => part,
                Err(error) => {
                    failure.get_or_insert(error);
                    continue;
                }
            };
            generated.cases += part.cases;
            generated.events += part.events;
            generated.ops += part.ops;
            generated.tally += part.tally;
            for (state, count) in part.states {
                *generated.states.entry(state).or_default() += count;
            }
            for (refusal, count) in part.refusals {
                *generated.refusals.entry(refusal).or_default() += count;
            }
            generated.probes.extend(part.probes);
            latencies.extend(times);
        }
        let elapsed = start.elapsed();
        let _ = stop_sampling.send(true);
        let waits = match sampler {
            Some(sampler) => Some(sampler.await??),
            None => None,
        };
        if let Some(error) = failure {
            progress.abandon();
            return Err(error);
        }
        progress.finish();
        latencies.sort_unstable();
        let mut tenths = tenths.lock().map(|t| t.clone()).unwrap_or_default();
        tenths.sort_unstable();
        Ok(Load {
            writers,
            elapsed,
            transactions: latencies.len() as u64,
            latencies,
            generated,
            tenths,
            load_average: (load_average, self::load_average()),
            waits,
            indexes: None,
        })
    }

    /// Times the questions and checks their answers against each other and the load.
    async fn questions(&self, store: &dyn Store, expected: &Tally) -> anyhow::Result<Vec<Timing>> {
        let runs = self.args.runs;
        let code = |text: &str| RegionCode::parse(text).with_context(|| format!("region {text}"));
        let day = |y: i32, m: u32, d: u32| {
            NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow!("no day {y}-{m}-{d}"))
        };
        let province = code(PROVINCE)?;
        let first_county = &self.world.province.counties[0];
        let county = first_county.code.clone();
        let village = first_county.villages[0].clone();
        let town = village
            .parent()
            .ok_or_else(|| anyhow!("village {village} has no town"))?;
        let (from, to) = (first_day(), last_day());
        let mut timings = Vec::new();
        let spinner = spinner(&format!("{} questions", self.engine.name()));

        // (a) The province-year question with the rollups.
        spinner.set_message(format!(
            "{} {province} × {YEAR}, rollups",
            self.engine.name()
        ));
        let (rollups, times) =
            timed(1, runs, async || store.tally(&province, from, to).await).await?;
        timings.push(Timing {
            label: format!("province {province} × year {YEAR}"),
            how: "rollups",
            answer_rows: 1,
            warmups: 1,
            runs: times,
        });
        // (b) The same question by a full scan of the cases.
        spinner.set_message(format!(
            "{} {province} × {YEAR}, full scan",
            self.engine.name()
        ));
        let (scanned, times) = timed(0, self.args.scan_runs, async || {
            store.tally_by_scan(&province, from, to).await
        })
        .await?;
        timings.push(Timing {
            label: format!("province {province} × year {YEAR}"),
            how: "full scan",
            answer_rows: 1,
            warmups: 0,
            runs: times,
        });
        spinner.finish_and_clear();
        ensure!(
            rollups == scanned,
            "{}: the rollups and the full scan disagree on {province} × {YEAR}:\nrollups: {rollups:?}\nscan:    {scanned:?}",
            self.engine.name()
        );
        ensure!(
            rollups == *expected,
            "{}: the rollups disagree with the loaded cases on {province} × {YEAR}:\nrollups: {rollups:?}\ncases:   {expected:?}",
            self.engine.name()
        );

        // (c) Other shapes, with the rollups.
        let (march_from, march_to) = (day(YEAR, 3, 1)?, day(YEAR, 3, 31)?);
        let (_, times) = timed(1, runs, async || {
            store.tally(&county, march_from, march_to).await
        })
        .await?;
        timings.push(Timing {
            label: format!("county {county} × March"),
            how: "rollups",
            answer_rows: 1,
            warmups: 1,
            runs: times,
        });
        let one_day = day(YEAR, 6, 15)?;
        let (_, times) =
            timed(1, runs, async || store.tally(&town, one_day, one_day).await).await?;
        timings.push(Timing {
            label: format!("town {town} × {one_day}"),
            how: "rollups",
            answer_rows: 1,
            warmups: 1,
            runs: times,
        });
        let (_, times) = timed(1, runs, async || store.tally(&village, from, to).await).await?;
        timings.push(Timing {
            label: format!("village {village} × year {YEAR}"),
            how: "rollups",
            answer_rows: 1,
            warmups: 1,
            runs: times,
        });
        let cities: Vec<RegionCode> = self
            .world
            .province
            .regions
            .iter()
            .filter(|r| r.level == RegionLevel::City)
            .map(|r| r.code.clone())
            .collect();
        let (children, times) = timed(1, runs, async || {
            store.region_tallies(&cities, from, to).await
        })
        .await?;
        timings.push(Timing {
            label: format!("each city of {province} × year {YEAR} (region_tallies)"),
            how: "rollups",
            answer_rows: children.len(),
            warmups: 1,
            runs: times,
        });
        let mut sum = Tally::default();
        for (_, tally) in &children {
            sum += *tally;
        }
        ensure!(
            sum == rollups,
            "{}: the cities of {province} do not add up to it",
            self.engine.name()
        );
        let (days, times) = timed(1, runs, async || {
            store.daily_tallies(&county, from, to).await
        })
        .await?;
        timings.push(Timing {
            label: format!("county {county}, each day of {YEAR} (daily_tallies)"),
            how: "rollups",
            answer_rows: days.len(),
            warmups: 1,
            runs: times,
        });
        let county_year = store.tally(&county, from, to).await?;
        let mut sum = Tally::default();
        for (_, tally) in &days {
            sum += *tally;
        }
        ensure!(
            sum == county_year,
            "{}: the days of {county} do not add up to its year",
            self.engine.name()
        );
        Ok(timings)
    }

    /// Rollup rows, bytes on disk and what they are, and the biggest tables.
    async fn sizes(&self, fresh: &Fresh) -> anyhow::Result<(u64, u64, String, Vec<(String, u64)>)> {
        match fresh {
            Fresh::Sqlite { path, .. } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .read_only(true);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await?;
                let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM stat_rollups")
                    .fetch_one(&pool)
                    .await?;
                // The pages of each table and index, where SQLite is built with the dbstat
                // table (it reads the whole file).
                let objects: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8",
                )
                .fetch_all(&pool)
                .await
                .unwrap_or_default();
                pool.close().await;
                let file = |suffix: &str| {
                    let mut name = path.as_os_str().to_owned();
                    name.push(suffix);
                    std::fs::metadata(PathBuf::from(name)).map_or(0, |m| m.len())
                };
                let (db, wal) = (file(""), file("-wal"));
                let tables = objects
                    .into_iter()
                    .map(|(name, b)| (name, b.unsigned_abs()))
                    .collect();
                Ok((
                    rows.unsigned_abs(),
                    db + wal,
                    format!("hezhi.db {} + WAL {}", bytes(db), bytes(wal)),
                    tables,
                ))
            }
            Fresh::Postgres { store, schema } => {
                let pool = store.pool();
                let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM stat_rollups")
                    .fetch_one(pool)
                    .await?;
                let tables: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT c.relname::text, pg_total_relation_size(c.oid)
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = $1 AND c.relkind = 'r'
                     ORDER BY 2 DESC",
                )
                .bind(schema)
                .fetch_all(pool)
                .await?;
                let database: i64 =
                    sqlx::query_scalar("SELECT pg_database_size(current_database())")
                        .fetch_one(pool)
                        .await?;
                let total: u64 = tables.iter().map(|(_, b)| b.unsigned_abs()).sum();
                Ok((
                    rows.unsigned_abs(),
                    total,
                    format!(
                        "the schema's tables with their indexes and TOAST (the whole database: {})",
                        bytes(database.unsigned_abs())
                    ),
                    tables
                        .into_iter()
                        .map(|(name, b)| (name, b.unsigned_abs()))
                        .take(8)
                        .collect(),
                ))
            }
        }
    }
}

/// Runs `question` `warmups` times untimed, then `runs` times timed; the last answer and the
/// times, in the order of the runs.
async fn timed<T>(
    warmups: usize,
    runs: usize,
    question: impl AsyncFn() -> hezhi_store::StoreResult<T>,
) -> anyhow::Result<(T, Vec<Duration>)> {
    for _ in 0..warmups {
        question().await?;
    }
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let began = Instant::now();
        let answer = question().await?;
        times.push(began.elapsed());
        last = Some(answer);
    }
    let answer = last.ok_or_else(|| anyhow!("no run"))?;
    Ok((answer, times))
}

/// The median of durations (the mean of the middle two for an even count).
fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    if n == 0 {
        Duration::ZERO
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

fn progress(len: u64, prefix: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{prefix:<14} [{bar:32}] {human_pos:>10}/{human_len:<10} cases {per_sec:>14} {elapsed_precise} (eta {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    ProgressBar::new(len)
        .with_style(style)
        .with_prefix(prefix.to_owned())
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

// ---- the machine ----------------------------------------------------------------------------

/// The processor model and count, from the text of `/proc/cpuinfo`.
fn cpus_from(cpuinfo: &str) -> (usize, Option<String>) {
    let count = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    let model = cpuinfo
        .lines()
        .find(|l| {
            l.split(':')
                .next()
                .is_some_and(|k| k.trim() == "model name")
        })
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned());
    (count, model)
}

/// The memory in bytes, from the text of `/proc/meminfo` (`MemTotal: … kB`).
fn memory_from(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let (mut count, model) = cpus_from(&cpuinfo);
    if count == 0 {
        count = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    }
    format!(
        "{count} CPUs ({}), {} RAM, {} {}",
        model.as_deref().unwrap_or("model unknown"),
        memory_from(&meminfo).map_or_else(|| "unknown".to_owned(), bytes),
        std::env::consts::OS,
        std::env::consts::ARCH,
    )
}

// ---- the report -----------------------------------------------------------------------------

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        thousands(ms.round() as u64)
    } else if ms >= 1.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.3}")
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let n = sorted.len();
    if n == 0 {
        return Duration::ZERO;
    }
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

fn report(
    args: &BenchStatsArgs,
    world: &World,
    results: &[EngineResult],
    notes: &[String],
) -> String {
    let mut out = String::new();
    let province = &world.province;
    let _ = writeln!(out, "## hezhi bench-stats\n");
    let _ = writeln!(
        out,
        "machine: {}; release build: {}",
        machine(),
        !cfg!(debug_assertions)
    );
    for result in results {
        let _ = writeln!(out, "{}", result.setting);
    }
    let _ = writeln!(
        out,
        "\nworkload: {} cases in a synthetic province {PROVINCE} ({} cities, {} counties, {} \
         towns, {} villages), reported evenly over the China days of {YEAR} in time order; \
         {} carried through a random part of its life by the domain (decide with the \
         default deadline policy and the holiday calendar, evolve, and the deadline \
         sweeper's warnings, overdue notices and escalations), nothing after the year's end; \
         written with write_batch, about {} ops per transaction, the report and the later \
         steps of a case in the same transaction, {}; seed {}.",
        thousands(args.cases),
        province.count(RegionLevel::City),
        province.count(RegionLevel::County),
        province.count(RegionLevel::Town),
        thousands(province.villages() as u64),
        if args.lived >= 100 {
            "each".to_owned()
        } else {
            format!(
                "{}% of them (--lived; the others stay as reported)",
                args.lived
            )
        },
        thousands(args.batch as u64),
        if args.op_per_command {
            "one op per command, as the application writes them"
        } else {
            "in two ops (the report, then the rest of its life in one AppendEvents op decided \
             on the reported projection; --op-per-command writes one op per command instead)"
        },
        args.seed,
    );
    if let Some(first) = results.first() {
        let generated = &first.load.generated;
        let states: Vec<String> = generated
            .states
            .iter()
            .map(|(state, n)| {
                format!(
                    "{state} {:.1}%",
                    100.0 * *n as f64 / generated.cases.max(1) as f64
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "\ncases at the end of the year: {}.",
            states.join(", ")
        );
        if !generated.refusals.is_empty() {
            let refusals: Vec<String> = generated
                .refusals
                .iter()
                .map(|(why, n)| format!("{} × {why}", thousands(*n)))
                .collect();
            let _ = writeln!(
                out,
                "steps the domain refused (the case stops there): {}.",
                refusals.join("; ")
            );
        }
    }

    let _ = writeln!(out, "\n### Load\n");
    let _ = writeln!(
        out,
        "| engine | writers | cases | events | ops | transactions | seconds | cases/s | events/s | txn p50 ms | txn p99 ms | txn max ms |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in results {
        let load = &r.load;
        let seconds = load.elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            r.engine.name(),
            load.writers,
            thousands(load.generated.cases),
            thousands(load.generated.events),
            thousands(load.generated.ops),
            thousands(load.transactions),
            seconds,
            thousands((load.generated.cases as f64 / seconds).round() as u64),
            thousands((load.generated.events as f64 / seconds).round() as u64),
            ms(percentile(&load.latencies, 0.5)),
            ms(percentile(&load.latencies, 0.99)),
            ms(load.latencies.last().copied().unwrap_or_default()),
        );
    }

    for r in results {
        let load = &r.load;
        let mut previous = (0, Duration::ZERO);
        let rates: Vec<String> = load
            .tenths
            .iter()
            .map(|&(cases, at)| {
                let rate = (cases - previous.0) as f64 / (at - previous.1).as_secs_f64().max(1e-9);
                previous = (cases, at);
                thousands(rate.round() as u64)
            })
            .collect();
        let average = |a: Option<f64>| a.map_or_else(|| "?".to_owned(), |a| format!("{a:.2}"));
        let _ = writeln!(
            out,
            "\n{}: cases/s in each tenth of the load: {}. Load average (1 min) before the \
             load {}, after it {}.",
            r.engine.name(),
            rates.join(", "),
            average(load.load_average.0),
            average(load.load_average.1),
        );
        if let Some((count, took)) = load.indexes {
            let whole = (load.elapsed + took).as_secs_f64().max(1e-9);
            let _ = writeln!(
                out,
                "{}: --defer-indexes: {count} secondary indexes of {} were dropped before the \
                 load and built again after it in {:.0} s; with that, {} cases/s.",
                r.engine.name(),
                DEFERRED_TABLES.join(", "),
                took.as_secs_f64(),
                thousands((load.generated.cases as f64 / whole).round() as u64),
            );
        }
        if let Some(waits) = &load.waits {
            let total: u64 = waits.seen.values().sum();
            let mut seen: Vec<(&String, &u64)> = waits.seen.iter().collect();
            seen.sort_by(|a, b| b.1.cmp(a.1));
            let shares: Vec<String> = seen
                .iter()
                .map(|(what, n)| format!("{what} {:.1}%", 100.0 * **n as f64 / total.max(1) as f64))
                .collect();
            let _ = writeln!(
                out,
                "{}: the backends writing the bench schema, sampled {} times (every 250 ms; \
                 {:.2} of them busy on average): {}.",
                r.engine.name(),
                thousands(waits.samples),
                total as f64 / waits.samples.max(1) as f64,
                shares.join(", "),
            );
        }
    }

    let _ = writeln!(out, "\n### Questions\n");
    let _ = writeln!(
        out,
        "| engine | question | answered from | rows in answer | runs | median ms | min ms |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---|---:|---:|");
    for r in results {
        for t in &r.timings {
            let runs = if t.warmups > 0 {
                format!("{} after {} warm-up", t.runs.len(), t.warmups)
            } else {
                format!("{}", t.runs.len())
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {runs} | {} | {} |",
                r.engine.name(),
                t.label,
                t.how,
                t.answer_rows,
                ms(median(&t.runs)),
                ms(t.runs.iter().min().copied().unwrap_or_default()),
            );
        }
    }
    let _ = writeln!(out);
    for r in results {
        for t in r.timings.iter().filter(|t| t.warmups == 0) {
            let each: Vec<String> = t.runs.iter().map(|d| ms(*d)).collect();
            let _ = writeln!(
                out,
                "- {}: {} by {}, each run in order: {} ms (the first reads what the load left \
                 out of the caches).",
                r.engine.name(),
                t.label,
                t.how,
                each.join(", "),
            );
        }
    }
    for r in results {
        let find = |how: &str| {
            r.timings
                .iter()
                .find(|t| t.how == how && t.label.starts_with("province"))
                .map(|t| median(&t.runs))
        };
        if let (Some(rollups), Some(scan)) = (find("rollups"), find("full scan")) {
            let _ = writeln!(
                out,
                "- {}: the province-year question takes {} ms from the rollups and {} ms by a \
                 full scan ({:.0}× as long); both give the same tally, equal to the sum of the \
                 loaded cases' contributions.",
                r.engine.name(),
                ms(rollups),
                ms(scan),
                scan.as_secs_f64() / rollups.as_secs_f64().max(1e-9),
            );
        }
    }

    let _ = writeln!(out, "\n### Stored\n");
    let _ = writeln!(
        out,
        "| engine | cases | events | rollup rows | on disk | what |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.engine.name(),
            thousands(r.stored_cases),
            thousands(r.stored_events),
            thousands(r.rollup_rows),
            bytes(r.size),
            r.size_note,
        );
    }
    for r in results.iter().filter(|r| !r.tables.is_empty()) {
        let tables: Vec<String> = r
            .tables
            .iter()
            .map(|(name, b)| format!("{name} {}", bytes(*b)))
            .collect();
        let _ = writeln!(out, "\n{} tables: {}.", r.engine.name(), tables.join(", "));
    }

    if let Some(r) = results.first() {
        let t = &r.tally;
        let _ = writeln!(out, "\n### The province's year\n");
        let _ = writeln!(
            out,
            "受理 {}, 排查 {}, 派遣 {}, 办结 {}, 应结 {}, 应结已结 {}, 按期办结 {}, 调解 {}, \
             调解成功 {}, 首问办结 {}, 返工 {}, 回访 {}, 涉及金额 {} 元, 涉及人数 {}.",
            thousands(t.reported),
            thousands(t.screened),
            thousands(t.dispatched),
            thousands(t.closed),
            thousands(t.due_for_closure),
            thousands(t.closed_of_due),
            thousands(t.closed_on_time),
            thousands(t.mediations),
            thousands(t.mediations_settled),
            thousands(t.first_contact),
            thousands(t.reworked),
            thousands(t.followed_up),
            thousands(t.amount_yuan),
            thousands(t.people),
        );
        let rates: Vec<String> = t
            .rates()
            .iter()
            .map(|(name, rate)| format!("{name} {rate}"))
            .collect();
        let _ = writeln!(out, "\n{}.", rates.join(", "));
    }
    for note in notes {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_province_has_real_looking_codes() {
        let province = synthetic_province("37", SHANDONG_LIKE).unwrap();
        assert_eq!(province.count(RegionLevel::City), 16);
        assert_eq!(province.count(RegionLevel::County), 144);
        assert_eq!(province.count(RegionLevel::Town), 1728);
        assert_eq!(province.villages(), 57_024);
        let codes: std::collections::BTreeSet<&str> =
            province.regions.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes.len(), province.regions.len(), "codes are unique");
        for region in &province.regions {
            assert_eq!(region.code.level(), region.level);
            assert!(region.code.as_str().starts_with("37"));
            // Every parent comes before its child.
            if let Some(parent) = &region.parent {
                assert_eq!(region.code.parent().as_ref(), Some(parent));
                assert!(codes.contains(parent.as_str()));
            }
        }
        let county = &province.counties[0];
        assert_eq!(county.code.as_str(), "370102");
        assert_eq!(county.villages[0].as_str(), "370102001001");
        assert_eq!(county.villages[8].as_str(), "370102001201");
        assert!(
            province
                .regions
                .iter()
                .any(|r| r.code.as_str() == "371610108")
        );
        assert!(
            synthetic_province(
                "37",
                Shape {
                    cities: 100,
                    ..SHANDONG_LIKE
                }
            )
            .is_err()
        );
    }

    #[test]
    fn shares_deal_every_county_and_case_once() {
        let province = synthetic_province("37", SHANDONG_LIKE).unwrap();
        for writers in [1, 2, 3, 4, 7] {
            let shares = shares(&province.counties, writers, 1_000_003);
            assert_eq!(shares.len(), writers);
            assert_eq!(shares.iter().map(|s| s.cases).sum::<u64>(), 1_000_003);
            let villages: usize = shares.iter().map(|s| s.villages.len()).sum();
            assert_eq!(villages, province.villages());
            let mut next = 0;
            for share in &shares {
                assert_eq!(share.first, next);
                next += share.cases;
            }
            // No county is split between loaders.
            for county in &province.counties {
                let holders = shares
                    .iter()
                    .filter(|s| s.villages.contains(&county.villages[0]))
                    .count();
                assert_eq!(holders, 1);
            }
        }
    }

    #[test]
    fn reports_spread_over_the_china_days_of_the_year_in_order() {
        let n = 10_000;
        let first = reported_at(0, n);
        assert_eq!(hezhi_domain::indicators::china_day(first), first_day());
        let last = reported_at(n - 1, n);
        assert_eq!(hezhi_domain::indicators::china_day(last), last_day());
        let mut previous = first;
        for k in 1..n {
            let at = reported_at(k, n);
            assert!(at >= previous);
            assert!(at <= year_end());
            previous = at;
        }
    }

    #[test]
    fn tracking_code_seeds_are_distinct() {
        let mut seen: Vec<u64> = (0..100_000).map(|i| distinct(123_456_789_012, i)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 100_000);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[]), Duration::ZERO);
        assert_eq!(median(&[ms(3)]), ms(3));
        assert_eq!(median(&[ms(1), ms(2), ms(10)]), ms(2));
        assert_eq!(median(&[ms(1), ms(2), ms(4), ms(10)]), ms(3));
        assert_eq!(median(&[ms(10), ms(1), ms(4), ms(2)]), ms(3));
        assert_eq!(median(&[ms(70), ms(11)]), Duration::from_micros(40_500));
    }

    #[test]
    fn the_machine_is_read_from_proc() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Example CPU @ 2.00GHz\n\nprocessor\t: 1\nmodel name\t: Example CPU @ 2.00GHz\n";
        assert_eq!(
            cpus_from(cpuinfo),
            (2, Some("Example CPU @ 2.00GHz".to_owned()))
        );
        assert_eq!(
            memory_from("MemTotal:       24559432 kB\nMemFree: 1 kB\n"),
            Some(24_559_432 * 1024)
        );
        assert_eq!(memory_from(""), None);
        assert_eq!(thousands(10_000_000), "10,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(bytes(1536), "1.5 KiB");
    }

    /// Every life the workload makes is one the domain accepts, the loader's projections are
    /// what replaying their events gives, and both ways of cutting a life into ops carry the
    /// same events to the same cases.
    #[test]
    fn lives_are_decided_by_the_domain() {
        let world = World::new().unwrap();
        let share = shares(&world.province.counties, 1, 2000).remove(0);
        let mut outcomes = Vec::new();
        for op_per_command in [false, true] {
            let (send, mut receive) = tokio::sync::mpsc::channel(1024);
            let how = How {
                seed: 7,
                batch: 500,
                op_per_command,
                lived: 100,
            };
            let generated = generate(&world, &share, how, &send).unwrap();
            drop(send);
            let mut ops = Vec::new();
            while let Ok(batch) = receive.try_recv() {
                assert!(batch.cases > 0);
                ops.extend(batch.ops);
            }
            assert_eq!(generated.cases, 2000);
            assert_eq!(ops.len() as u64, generated.ops);
            let mut events = 0;
            let mut finals = BTreeMap::new();
            for op in &ops {
                match op {
                    WriteOp::CreateCase { id, .. } => {
                        events += 1;
                        assert!(finals.insert(*id, 1).is_none());
                    }
                    WriteOp::AppendEvents {
                        expected_version,
                        events: appended,
                        before,
                        case,
                        ..
                    } => {
                        // Each append follows from the projection before it, the version the
                        // store holds at that point.
                        assert_eq!(before.version, *expected_version);
                        assert_eq!(finals.get(&case.id), Some(expected_version));
                        let replayed = appended
                            .iter()
                            .try_fold((**before).clone(), |c, e| evolve(Some(c), e))
                            .unwrap();
                        assert_eq!(&replayed, &**case);
                        events += appended.len() as u64;
                        finals.insert(case.id, case.version);
                    }
                }
            }
            assert_eq!(finals.len(), 2000);
            assert_eq!(events, generated.events);
            let states = &generated.states;
            for state in ["resolved", "archived", "in_progress", "declined"] {
                assert!(
                    states.contains_key(state),
                    "some cases end {state}: {states:?}"
                );
            }
            let tally = generated.tally;
            assert!(tally.closed > 0 && tally.due_for_closure > 0);
            assert!(tally.closed_on_time < tally.closed_of_due, "some are late");
            assert!(generated.events > 4 * generated.cases);
            outcomes.push((generated.events, tally, generated.states, finals));
        }
        assert_eq!(outcomes[0], outcomes[1], "the same lives either way");
    }

    /// `--lived` leaves the rest of the cases as reported: one op and one event each, and
    /// every case still counted as received.
    #[test]
    fn cases_that_do_not_live_stay_as_reported() {
        let world = World::new().unwrap();
        let share = shares(&world.province.counties, 1, 1000).remove(0);
        let mut lived = Vec::new();
        for percent in [0, 30] {
            let (send, mut receive) = tokio::sync::mpsc::channel(1024);
            let how = How {
                seed: 7,
                batch: 500,
                op_per_command: false,
                lived: percent,
            };
            let generated = generate(&world, &share, how, &send).unwrap();
            drop(send);
            let mut appends = 0;
            while let Ok(batch) = receive.try_recv() {
                appends += batch
                    .ops
                    .iter()
                    .filter(|op| matches!(op, WriteOp::AppendEvents { .. }))
                    .count();
            }
            assert_eq!(generated.tally.reported, 1000);
            lived.push((appends, generated.events, generated.states));
        }
        assert_eq!(lived[0].0, 0);
        assert_eq!(lived[0].1, 1000, "one event a case");
        assert_eq!(lived[0].2.get("reported"), Some(&1000));
        // About 30% live on (those declined at once or stopped early also count as lived).
        assert!((200..400).contains(&lived[1].0), "{}", lived[1].0);
        assert!(lived[1].1 > 1000 + 4 * lived[1].0 as u64 / 2);
    }
}
