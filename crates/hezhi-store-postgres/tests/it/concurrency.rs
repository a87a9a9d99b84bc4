//! Parallel writers: PostgreSQL commits several batches at once, and they must neither
//! deadlock nor break gap-free numbering nor let two writers win the same version.

use super::with_fresh_store;
use chrono::{DateTime, TimeZone, Utc};
use hezhi_domain::{
    Actor, Case, CaseId, CaseKind, CategoryCode, Channel, Command, NewCase, RegionCode, Role,
    TrackingCode, UserId, decide, evolve,
};
use hezhi_store::{
    CaseReader, CaseWriter, GroupCommit, GroupCommitConfig, Store, StoreError, WriteOp,
    WriteReceipt,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(1);

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn dispatcher() -> Actor {
    Actor {
        user: UserId::from_uuid(uuid::Uuid::from_u128(1)),
        role: Role::Dispatcher,
        region: Some(RegionCode::parse("37").expect("code")),
        unit: None,
    }
}

/// A new case reported in `village`, with an id and tracking code no other op uses.
fn create_op(village: &str) -> WriteOp {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let region = RegionCode::parse(village).expect("village");
    let data = NewCase {
        kind: CaseKind::Dispute,
        category: CategoryCode::parse("neighbour").expect("category"),
        channel: Channel::Window,
        region: region.clone(),
        address: None,
        position: None,
        title: "噪音扰民".into(),
        description: "夜间装修噪音。".into(),
        parties: vec![],
        amount_yuan: None,
        people_involved: None,
        case_leader: None,
    };
    let at = noon();
    let millis = u64::try_from(at.timestamp_millis()).expect("after 1970") + n;
    let mut random = [0u8; 10];
    random[2..].copy_from_slice(&n.to_be_bytes());
    WriteOp::CreateCase {
        id: CaseId::compose(millis, &region, random),
        tracking_code: TrackingCode::from_random(n * 7_919),
        data: Box::new(data),
        actor: dispatcher(),
        at,
        idempotency: None,
    }
}

/// The sequence numbers handed out, by county.
fn sequences_by_county(receipts: &[WriteReceipt]) -> BTreeMap<String, Vec<u32>> {
    let mut by_county: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for receipt in receipts {
        let number = receipt.number.to_string();
        let (county, sequence) = number.split_once('-').expect("county-year-sequence");
        let sequence = sequence.rsplit('-').next().expect("sequence");
        by_county
            .entry(county.into())
            .or_default()
            .push(sequence.parse().expect("digits"));
    }
    for sequences in by_county.values_mut() {
        sequences.sort_unstable();
    }
    by_county
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_batches_crossing_counties_neither_deadlock_nor_skip_numbers() {
    with_fresh_store(|store| async move {
        let store = Arc::new(store);
        let (tasks, rounds) = (8, 10);
        let writers: Vec<_> = (0..tasks)
            .map(|task| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut receipts = Vec::new();
                    for _ in 0..rounds {
                        // Half the writers go X then Y, the other half Y then X.
                        let (first, second) = if task % 2 == 0 {
                            ("370811002001", "370404103202")
                        } else {
                            ("370404103202", "370811002001")
                        };
                        let results = store
                            .write_batch(vec![create_op(first), create_op(second)])
                            .await
                            .expect("the batch commits");
                        for result in results {
                            receipts.push(result.expect("each op succeeds"));
                        }
                    }
                    receipts
                })
            })
            .collect();
        let mut receipts = Vec::new();
        for writer in writers {
            receipts.extend(writer.await.expect("writer"));
        }
        let expected: Vec<u32> = (1..=tasks * rounds).collect();
        let by_county = sequences_by_county(&receipts);
        assert_eq!(by_county.len(), 2);
        for (county, sequences) in by_county {
            assert_eq!(sequences, expected, "county {county}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_with_the_backends_parallelism_numbers_every_case_once() {
    with_fresh_store(|store| async move {
        let store = Arc::new(store);
        let writer = GroupCommit::start(
            Arc::clone(&store) as Arc<dyn CaseWriter>,
            GroupCommitConfig {
                workers: store.writer_parallelism(),
                ..GroupCommitConfig::default()
            },
        );
        let writer = Arc::new(writer);
        let villages = ["370811002001", "370404103202", "370830001001"];
        let submits: Vec<_> = (0..300)
            .map(|i| {
                let writer = Arc::clone(&writer);
                tokio::spawn(async move { writer.submit(create_op(villages[i % 3])).await })
            })
            .collect();
        let mut receipts = Vec::new();
        for submit in submits {
            receipts.push(submit.await.expect("task").expect("created"));
        }
        let expected: Vec<u32> = (1..=100).collect();
        for (county, sequences) in sequences_by_county(&receipts) {
            assert_eq!(sequences, expected, "county {county}");
        }
        assert_eq!(
            store.count_cases_and_events().await.expect("count"),
            (300, 300)
        );
        Arc::try_unwrap(writer)
            .expect("all submitters done")
            .close()
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_writers_racing_on_one_version_exactly_one_wins() {
    with_fresh_store(|store| async move {
        let store = Arc::new(store);
        let receipt = store
            .write_batch(vec![create_op("370811002001")])
            .await
            .expect("tx")
            .pop()
            .expect("one")
            .expect("created");
        let case = store.case(receipt.id).await.expect("read").expect("exists");
        let racers: Vec<_> = (0..8)
            .map(|i| {
                let (store, case) = (Arc::clone(&store), case.clone());
                tokio::spawn(async move {
                    let op = accept_op(&case, format!("racer {i}"));
                    let mut results = store.write_batch(vec![op]).await.expect("tx");
                    results.pop().expect("one")
                })
            })
            .collect();
        let mut wins = 0;
        for racer in racers {
            match racer.await.expect("racer") {
                Ok(receipt) => {
                    wins += 1;
                    assert_eq!(receipt.version, 2);
                }
                Err(StoreError::VersionConflict {
                    expected: 1,
                    found: 2,
                }) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1);
        assert_eq!(store.events(case.id).await.expect("events").len(), 2);
    })
    .await;
}

/// An `Accept` on `case` as the dispatcher, as an op that expects the case's version.
fn accept_op(case: &Case, note: String) -> WriteOp {
    let command = Command::Accept { note: Some(note) };
    let events = decide(case, &command, &dispatcher(), noon(), &[]).expect("legal");
    let next = events
        .iter()
        .try_fold(case.clone(), |c, e| evolve(Some(c), e))
        .expect("evolves");
    WriteOp::append(case.clone(), events, next, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_batches_changing_two_cases_in_opposite_orders_do_not_deadlock() {
    with_fresh_store(|store| async move {
        let store = Arc::new(store);
        let mut cases = Vec::new();
        for village in ["370811002001", "370404103202"] {
            let receipt = store
                .write_batch(vec![create_op(village)])
                .await
                .expect("tx")
                .pop()
                .expect("one")
                .expect("created");
            cases.push(store.case(receipt.id).await.expect("read").expect("exists"));
        }
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let store = Arc::clone(&store);
                let (p, q) = (&cases[i % 2], &cases[1 - i % 2]);
                let ops = vec![accept_op(p, format!("{i}")), accept_op(q, format!("{i}"))];
                tokio::spawn(
                    async move { store.write_batch(ops).await.expect("the batch commits") },
                )
            })
            .collect();
        let mut wins = 0;
        for writer in writers {
            for result in writer.await.expect("writer") {
                match result {
                    Ok(_) => wins += 1,
                    Err(StoreError::VersionConflict {
                        expected: 1,
                        found: 2,
                    }) => {}
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(wins, 2, "one accept per case");
    })
    .await;
}
