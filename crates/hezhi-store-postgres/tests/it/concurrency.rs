//! Parallel writers: PostgreSQL commits several batches at once, and they must neither
//! deadlock nor break gap-free numbering nor let two writers win the same version.

use super::with_fresh_store;
use chrono::{DateTime, TimeZone, Utc};
use hezhi_domain::{
    Actor, CaseId, CaseKind, CategoryCode, Channel, Command, NewCase, RegionCode, Role,
    TrackingCode, UserId, decide, evolve,
};
use hezhi_store::{
    CaseReader, CaseWriter, GroupCommit, GroupCommitConfig, Region, RegionStore, Store, StoreError,
    WriteOp, WriteReceipt,
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
                    let command = Command::Accept {
                        note: Some(format!("racer {i}")),
                    };
                    let events =
                        decide(&case, &command, &dispatcher(), noon(), &[]).expect("legal");
                    let next = events
                        .iter()
                        .try_fold(case.clone(), |c, e| evolve(Some(c), e))
                        .expect("evolves");
                    let op = WriteOp::AppendEvents {
                        expected_version: case.version,
                        events,
                        case: Box::new(next),
                        idempotency: None,
                    };
                    store
                        .write_batch(vec![op])
                        .await
                        .expect("tx")
                        .pop()
                        .expect("one")
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

/// Not a test but a measurement (run with `--ignored --nocapture`): loads a national-sized
/// region tree (665 777 codes) and prints how long it took.
#[tokio::test]
#[ignore = "a measurement, not a test; prints figures"]
async fn loading_a_national_region_tree_prints_how_long_it_took() {
    with_fresh_store(|store| async move {
        let region = |code: String| {
            let code = RegionCode::parse(&code).expect("code");
            Region {
                level: code.level(),
                parent: code.parent(),
                name: format!("区划{code}"),
                code,
            }
        };
        let mut rows = vec![region("37".into())];
        for city in 1..=16 {
            let city = format!("37{city:02}");
            rows.push(region(city.clone()));
            for county in 1..=10 {
                let county = format!("{city}{county:02}");
                rows.push(region(county.clone()));
                for town in 1..=40 {
                    let town = format!("{county}{town:03}");
                    rows.push(region(town.clone()));
                    rows.extend((1..=103).map(|village| region(format!("{town}{village:03}"))));
                }
            }
        }
        let started = std::time::Instant::now();
        store.upsert_regions(&rows).await.expect("load");
        let loaded = started.elapsed();
        let started = std::time::Instant::now();
        store.upsert_regions(&rows).await.expect("reload");
        let reloaded = started.elapsed();
        assert_eq!(
            store.count_regions().await.expect("count"),
            rows.len() as u64
        );
        println!(
            "{} regions: loaded in {:.1} s, upserted again in {:.1} s",
            rows.len(),
            loaded.as_secs_f64(),
            reloaded.as_secs_f64()
        );
    })
    .await;
}
