//! The indicator rollups after a random workload equal a rebuild from the event log, and
//! answer region and period questions as a scan of the cases does.

use crate::stats::tally_of_cases;
use crate::{Store, Unit, WriteOp};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hezhi_domain::indicators::Tally;
use hezhi_domain::{
    Actor, Case, CaseId, CaseKind, CaseState, CategoryCode, Channel, Command, Complexity, NewCase,
    Outcome, ReferralChannel, RegionCode, Role, Satisfaction, TrackingCode, UnitId, UnitKind,
    Urgency, UserId, decide, evolve,
};
use std::sync::Arc;

/// A small deterministic generator (xorshift64*), so that a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const VILLAGES: [&str; 4] = [
    "370811002001",
    "370811002002",
    "370811003001",
    "370827001001",
];

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region code")
}

fn actor(n: u128, role: Role, region: Option<&str>, unit: Option<UnitId>) -> Actor {
    Actor {
        user: UserId::from_uuid(uuid::Uuid::from_u128(0x5000 + n)),
        role,
        region: region.map(code),
        unit,
    }
}

fn new_case(dice: &mut Dice) -> NewCase {
    let village = VILLAGES[dice.below(4) as usize];
    NewCase {
        kind: if dice.chance(70) {
            CaseKind::Dispute
        } else {
            CaseKind::Hazard
        },
        category: CategoryCode::parse("neighbour").expect("category"),
        channel: if dice.chance(40) {
            Channel::GridReport
        } else {
            Channel::Window
        },
        region: code(village),
        address: None,
        position: None,
        title: "随机工作量".into(),
        description: "用于核对统计汇总的随机案件".into(),
        parties: vec![],
        amount_yuan: dice.chance(50).then(|| dice.below(50_000)),
        people_involved: Some(1 + dice.below(9) as u32),
        case_leader: None,
    }
}

fn create_op(dice: &mut Dice, n: u64, when: DateTime<Utc>, reporter: &Actor) -> WriteOp {
    let data = new_case(dice);
    WriteOp::CreateCase {
        id: CaseId::compose(
            u64::try_from(when.timestamp_millis()).expect("after 1970"),
            &data.region,
            (u128::from(0x5151_0000 + n) << 16).to_be_bytes()[6..16]
                .try_into()
                .expect("10 bytes"),
        ),
        tracking_code: TrackingCode::from_random(0x5151_0000 + n * 7919),
        data: Box::new(data),
        actor: reporter.clone(),
        at: when,
        idempotency: None,
    }
}

/// A command a case in its state may take next, picked by the dice.
fn next_command(dice: &mut Dice, case: &Case, unit: UnitId, now: DateTime<Utc>) -> Command {
    let outcome = |dice: &mut Dice| match dice.below(4) {
        0 => Outcome::Handled,
        1 => Outcome::NotSettled,
        _ => Outcome::Settled,
    };
    match case.state {
        CaseState::Reported => match dice.below(6) {
            0 => Command::Decline {
                reason: "不属于受理范围".into(),
                suggested_channel: ReferralChannel::Litigation,
            },
            1 | 2 => Command::ResolveAtFirstContact {
                outcome: outcome(dice),
                note: "当场化解".into(),
            },
            _ => Command::Accept { note: None },
        },
        CaseState::Accepted => Command::Triage {
            kind: if dice.chance(80) {
                case.data.kind
            } else {
                CaseKind::Request
            },
            category: case.data.category.clone(),
            complexity: Complexity::Simple,
            urgency: Urgency::Yellow,
            reason: None,
            case_leader: None,
            promised_due_at: None,
        },
        CaseState::Triaged => Command::Dispatch {
            lead_unit: unit,
            supporting_units: vec![],
            due_at: now + Duration::hours(6 + dice.below(24 * 12) as i64),
            note: None,
        },
        CaseState::Dispatched => {
            if dice.chance(15) {
                Command::Return {
                    reason: "不属于本单位".into(),
                }
            } else {
                Command::Acknowledge { note: None }
            }
        }
        CaseState::InProgress => match (dice.below(10), &case.pending_extension) {
            (_, Some(_)) => Command::ApproveExtension { note: None },
            (0, None) if case.extensions_granted < 2 => Command::RequestExtension {
                until: case.due_at.unwrap_or(now) + Duration::days(3),
                reason: "等待鉴定".into(),
            },
            (1, None) => Command::Escalate {
                reason: "久拖未决".into(),
            },
            _ => Command::Resolve {
                outcome: outcome(dice),
                note: "办结".into(),
                referral: None,
            },
        },
        CaseState::Resolved if case.resolved_at_first_contact => Command::FollowUp {
            satisfaction: Satisfaction::Satisfied,
            note: None,
        },
        CaseState::Resolved => {
            if dice.chance(20) {
                Command::Rework {
                    reason: "现场未整改".into(),
                }
            } else {
                Command::Verify { note: None }
            }
        }
        CaseState::Verified => Command::FollowUp {
            satisfaction: match dice.below(3) {
                0 => Satisfaction::Dissatisfied,
                1 => Satisfaction::BasicallySatisfied,
                _ => Satisfaction::Satisfied,
            },
            note: None,
        },
        CaseState::FollowedUp | CaseState::Declined | CaseState::Archived => Command::Archive {},
    }
}

pub(super) async fn rollups_equal_a_rebuild(store: Arc<dyn Store>) {
    let unit = Unit {
        id: UnitId::from_uuid(uuid::Uuid::from_u128(0x5100)),
        name: "统计核对调解委员会".into(),
        kind: UnitKind::MediationCommittee,
        region: code("37"),
        categories: vec![],
    };
    store.insert_unit(&unit).await.expect("unit");
    let actors = [
        actor(1, Role::IntakeClerk, Some("37"), None),
        actor(2, Role::Dispatcher, Some("37"), None),
        actor(3, Role::UnitHandler, Some("37"), Some(unit.id)),
        actor(4, Role::Supervisor, Some("37"), None),
        actor(5, Role::GridWorker, Some("37"), None),
        actor(6, Role::Leader, Some("37"), None),
    ];
    let units = [unit.snapshot()];
    let start = Utc
        .with_ymd_and_hms(2026, 7, 1, 1, 0, 0)
        .single()
        .expect("time");
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let mut cases: Vec<Case> = Vec::new();
    // Reports, in batches of up to five (the batched path adds to the rollups too).
    let mut n = 0;
    while n < 120 {
        let size = 1 + dice.below(5);
        let ops: Vec<WriteOp> = (0..size)
            .map(|i| {
                let when = start + Duration::minutes(dice.below(60 * 24 * 40) as i64);
                create_op(&mut dice, n + i, when, &actors[1])
            })
            .collect();
        n += size;
        for result in store.write_batch(ops).await.expect("batch") {
            let receipt = result.expect("created");
            cases.push(store.case(receipt.id).await.expect("read").expect("case"));
        }
    }
    // Each case walks a random part of its life, with the sweeper passing now and then.
    for case in &mut cases {
        let mut now = case.reported_at;
        let steps = dice.below(12);
        for _ in 0..steps {
            now += Duration::hours(1 + dice.below(24 * 6) as i64);
            let events = if dice.chance(15) {
                hezhi_domain::sweep::sweep(case, now)
            } else {
                let command = next_command(&mut dice, case, unit.id, now);
                let Some(events) = actors
                    .iter()
                    .find_map(|a| decide(case, &command, a, now, &units).ok())
                else {
                    continue;
                };
                events
            };
            if events.is_empty() {
                continue;
            }
            let next = events
                .iter()
                .try_fold(case.clone(), |c, e| evolve(Some(c), e))
                .expect("evolves");
            store
                .write_batch(vec![WriteOp::append(
                    case.clone(),
                    events,
                    next.clone(),
                    None,
                )])
                .await
                .expect("transaction")
                .pop()
                .expect("one result")
                .expect("applied");
            *case = next;
        }
    }
    let resolved = cases.iter().filter(|c| c.resolved_at.is_some()).count();
    assert!(resolved >= 30, "the workload resolves cases ({resolved})");

    // Questions on several regions and periods: rollups = scan = the cases in memory.
    let day = |text: &str| text.parse::<NaiveDate>().expect("date");
    for (region, from, to) in [
        ("37", "2026-07-01", "2026-12-31"),
        ("370811", "2026-07-01", "2026-07-31"),
        ("370811002", "2026-07-10", "2026-08-20"),
        ("370827001001", "2026-07-01", "2026-09-30"),
        ("3708", "2026-08-01", "2026-08-01"),
    ] {
        let (region, from, to) = (code(region), day(from), day(to));
        let live = store.tally(&region, from, to).await.expect("tally");
        let expected = tally_of_cases(&cases, &region, from, to);
        let scanned = store.tally_by_scan(&region, from, to).await.expect("scan");
        assert_eq!(live, expected, "rollups of {region} {from}..{to}");
        assert_eq!(scanned, expected, "scan of {region} {from}..{to}");
    }
    let year = store
        .tally(&code("37"), day("2026-07-01"), day("2026-12-31"))
        .await
        .expect("tally");
    assert!(year.reported >= 120 && year.closed >= 30 && year.due_for_closure > 0);
    let children = store
        .region_tallies(
            &[code("370811002"), code("370811003"), code("370811009")],
            day("2026-07-01"),
            day("2026-12-31"),
        )
        .await
        .expect("children");
    let towns: Vec<&str> = children.iter().map(|(c, _)| c.as_str()).collect();
    assert!(towns.contains(&"370811002") && towns.contains(&"370811003"));
    let mut sum = Tally::default();
    for (_, tally) in &children {
        sum += *tally;
    }
    let county = store
        .tally(&code("370811"), day("2026-07-01"), day("2026-12-31"))
        .await
        .expect("county");
    assert_eq!(sum, county, "the towns add up to their county");
    let daily = store
        .daily_tallies(&code("370811"), day("2026-07-01"), day("2026-12-31"))
        .await
        .expect("daily");
    let mut sum = Tally::default();
    for (_, tally) in &daily {
        sum += *tally;
    }
    assert_eq!(sum, county, "the days add up to their year");

    // A rebuild from the event log gives the very same rows.
    let live_rows = store.rollup_rows().await.expect("rows");
    let seen = std::sync::atomic::AtomicU64::new(0);
    let summary = store
        .rebuild_rollups(&|done| seen.store(done, std::sync::atomic::Ordering::Relaxed))
        .await
        .expect("rebuild");
    assert!(summary.cases >= 120);
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::Relaxed),
        summary.cases
    );
    let rebuilt = store.rollup_rows().await.expect("rows");
    let only_live: Vec<_> = live_rows.iter().filter(|r| !rebuilt.contains(r)).collect();
    let only_rebuilt: Vec<_> = rebuilt.iter().filter(|r| !live_rows.contains(r)).collect();
    assert!(
        only_live.is_empty() && only_rebuilt.is_empty(),
        "rows only live: {only_live:?}\nrows only rebuilt: {only_rebuilt:?}"
    );
    assert!(
        rebuilt == live_rows,
        "rollups after a rebuild equal the live ones"
    );
}
