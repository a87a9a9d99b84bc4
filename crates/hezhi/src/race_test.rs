//! `hezhi race-test`: many clients send conflicting commands to the same few cases through
//! a running server, and every outcome is checked.
//!
//! For each engine, on a fresh database filled with the demo, `hezhi serve` runs as a child
//! process; `--cases` cases are reported, then `--clients` clients each read a random case
//! and send a command its state allows (accept or decline a new report, triage an accepted
//! one, supervise an open one, archive a declined one) with `If-Match` of the version read,
//! until `--commands` were sent. Many read the same version, so most lose the race. With the
//! server stopped, the database is opened and the test passes when:
//!
//! - no update was lost: each case's version is 1 + the commands acknowledged on it, and the
//!   versions the 200s named are exactly 2 … that version, each once;
//! - every refused command was a 412 `version_mismatch`, and wrote nothing: the events
//!   stored are the reports plus the commands acknowledged, no more;
//! - every final state is reachable by the lifecycle: replaying each case's events gives its
//!   stored projection, and each step is a transition the lifecycle allows.

use crate::bench::Engine;
use crate::crash_test::{Target, free_address, on_each_engine, start};
use anyhow::{anyhow, bail, ensure};
use hezhi_domain::{CaseId, CaseState, CommandKind, evolve};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct RaceTestArgs {
    /// Clients sending at the same time.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Cases they fight over.
    #[arg(long, default_value_t = 20)]
    cases: usize,
    /// Commands sent in all.
    #[arg(long, default_value_t = 2000)]
    commands: u64,
    /// The engines to test, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    engines: Vec<Engine>,
    /// PostgreSQL server to test on, in a fresh database dropped afterwards
    /// [default: $HEZHI_BENCH_PG_URL, then $HEZHI_TEST_PG_URL].
    #[arg(long)]
    pg_url: Option<String>,
}

pub async fn run(args: RaceTestArgs) -> anyhow::Result<()> {
    ensure!(
        args.clients > 0 && args.cases > 0 && args.commands > 0,
        "--clients, --cases and --commands must be positive"
    );
    let (pg_url, engines, _) =
        crate::bench::engines_to_measure(args.pg_url.clone(), &args.engines)?;
    let passed = on_each_engine(pg_url.as_deref(), engines, async |target| {
        race(&args, target).await
    })
    .await?;
    if !passed {
        bail!("the race test failed");
    }
    Ok(())
}

/// What the clients saw.
#[derive(Debug, Default)]
struct Seen {
    /// Per case, the versions the 200s named.
    acknowledged: HashMap<String, Vec<u32>>,
    refused_412: u64,
    /// Anything else: status and error code.
    other: BTreeMap<String, u64>,
    by_command: BTreeMap<&'static str, (u64, u64)>,
}

async fn race(args: &RaceTestArgs, target: &Target) -> anyhow::Result<(String, bool)> {
    let token = target.demo_token("dispatcher-370811")?;
    let address = free_address()?;
    let mut server = start(target, &address).await?;
    let base = format!("http://{address}/api/v1");
    let http = reqwest::Client::new();
    let result = async {
        let mut ids = Vec::new();
        for n in 0..args.cases {
            let body = serde_json::json!({
                "kind": "dispute",
                "category": "neighbour",
                "channel": "window",
                "region": "370811002001",
                "title": format!("宅基地边界纠纷（{n}）"),
                "description": "两户因宅基地边界发生争执，要求村委会出面调解。",
            });
            let response = http
                .post(format!("{base}/cases"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?;
            ensure!(response.status().as_u16() == 201, "a report was refused");
            let body: serde_json::Value = response.json().await?;
            ids.push(
                body["id"]
                    .as_str()
                    .ok_or_else(|| anyhow!("no id"))?
                    .to_owned(),
            );
        }
        let ids = Arc::new(ids);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let sent = Arc::new(AtomicU64::new(0));
        let began = Instant::now();
        let mut clients = tokio::task::JoinSet::new();
        for c in 0..args.clients {
            let (ids, seen, sent) = (Arc::clone(&ids), Arc::clone(&seen), Arc::clone(&sent));
            let (http, base, token, limit) =
                (http.clone(), base.clone(), token.clone(), args.commands);
            clients.spawn(async move {
                let mut dice = crate::bench::random_bytes(8)?
                    .iter()
                    .fold(c as u64 + 1, |a, b| {
                        a.wrapping_mul(31).wrapping_add(u64::from(*b))
                    });
                loop {
                    if sent.fetch_add(1, Ordering::SeqCst) >= limit {
                        return anyhow::Ok(());
                    }
                    dice ^= dice << 13;
                    dice ^= dice >> 7;
                    dice ^= dice << 17;
                    let id = &ids[(dice % ids.len() as u64) as usize];
                    let case: serde_json::Value = http
                        .get(format!("{base}/cases/{id}"))
                        .bearer_auth(&token)
                        .send()
                        .await?
                        .json()
                        .await?;
                    let version = case["version"]
                        .as_u64()
                        .ok_or_else(|| anyhow!("no version"))?;
                    let Some((command, body)) =
                        command_for(case["state"].as_str().unwrap_or(""), dice)
                    else {
                        continue;
                    };
                    let response = http
                        .post(format!("{base}/cases/{id}/{command}"))
                        .bearer_auth(&token)
                        .header("If-Match", format!("\"{version}\""))
                        .json(&body)
                        .send()
                        .await?;
                    let status = response.status().as_u16();
                    let reply: serde_json::Value = response.json().await.unwrap_or_default();
                    let mut seen = seen.lock().map_err(|_| anyhow!("poisoned"))?;
                    let counts = seen.by_command.entry(command).or_default();
                    if status == 200 {
                        counts.0 += 1;
                        let new = reply["version"]
                            .as_u64()
                            .and_then(|v| u32::try_from(v).ok())
                            .ok_or_else(|| anyhow!("no version in {reply}"))?;
                        seen.acknowledged.entry(id.clone()).or_default().push(new);
                    } else if status == 412 && reply["error"]["code"] == "version_mismatch" {
                        counts.1 += 1;
                        seen.refused_412 += 1;
                    } else {
                        let what = format!("{status} {}", reply["error"]["code"]);
                        *seen.other.entry(what).or_default() += 1;
                    }
                }
            });
        }
        while let Some(done) = clients.join_next().await {
            done??;
        }
        let elapsed = began.elapsed();
        let seen = std::mem::take(&mut *seen.lock().map_err(|_| anyhow!("poisoned"))?);
        anyhow::Ok((ids, seen, elapsed))
    }
    .await;
    server.kill().ok();
    server.wait().ok();
    let (ids, seen, elapsed) = result?;

    // The database, with the server stopped.
    let store = target.store().await?;
    let mut problems = Vec::new();
    let mut finals: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut accepted_total = 0u64;
    for id in ids.iter() {
        let case_id = CaseId::parse(id).ok_or_else(|| anyhow!("case id {id}"))?;
        let stored = store
            .case(case_id)
            .await?
            .ok_or_else(|| anyhow!("case {id} is gone"))?;
        let events = store.events(case_id).await?;
        let mut versions = seen.acknowledged.get(id).cloned().unwrap_or_default();
        versions.sort_unstable();
        accepted_total += versions.len() as u64;
        let expected: Vec<u32> = (2..=stored.version).collect();
        if versions != expected {
            problems.push(format!(
                "{id}: stored v{}, the 200s named {versions:?}",
                stored.version
            ));
        }
        if events.len() != stored.version as usize {
            problems.push(format!(
                "{id}: v{} with {} events",
                stored.version,
                events.len()
            ));
        }
        let mut replayed = None;
        for event in &events {
            let before = replayed.as_ref().map(|c: &hezhi_domain::Case| c.state);
            replayed = evolve(replayed, event);
            let after = replayed.as_ref().map(|c| c.state);
            if let (Some(from), Some(to)) = (before, after)
                && from != to
                && !CommandKind::ALL
                    .iter()
                    .any(|k| k.transition(from) == Some(to))
            {
                problems.push(format!(
                    "{id}: {} → {} is no transition",
                    from.as_str(),
                    to.as_str()
                ));
            }
        }
        if replayed.as_ref() != Some(&stored) {
            problems.push(format!(
                "{id}: replaying its events does not give the stored case"
            ));
        }
        *finals.entry(stored.state.as_str()).or_default() += 1;
    }
    let (cases, events) = store.count_cases_and_events().await?;
    let reported_events: u64 = ids.len() as u64 + accepted_total;
    let ours: u64 = {
        let mut n = 0u64;
        for id in ids.iter() {
            let case_id = CaseId::parse(id).ok_or_else(|| anyhow!("case id {id}"))?;
            n += store.events(case_id).await?.len() as u64;
        }
        n
    };
    if ours != reported_events {
        problems.push(format!(
            "{ours} events stored on the raced cases; {} reports + {accepted_total} acknowledged commands",
            ids.len()
        ));
    }
    if !seen.other.is_empty() {
        problems.push(format!("answers other than 200 and 412: {:?}", seen.other));
    }
    for problem in problems.iter().take(20) {
        eprintln!("PROBLEM {problem}");
    }
    let commands: Vec<String> = seen
        .by_command
        .iter()
        .map(|(c, (ok, refused))| format!("{c} {ok}/{}", ok + refused))
        .collect();
    let states: Vec<String> = finals.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let line = format!(
        "{}: {} commands from {} clients on {} cases in {:.1} s: accepted {accepted_total}, \
         refused 412 {}, other {}; lost updates {}; events on the raced cases {ours} = {} \
         reports + {accepted_total} accepted; final states {} (all reached by lifecycle \
         transitions); by command (accepted/sent): {}; {} cases and {} events in the database",
        target.engine.name(),
        accepted_total + seen.refused_412 + seen.other.values().sum::<u64>(),
        args.clients,
        ids.len(),
        elapsed.as_secs_f64(),
        seen.refused_412,
        seen.other.values().sum::<u64>(),
        problems.iter().filter(|p| p.contains("200s named")).count(),
        ids.len(),
        states.join(", "),
        commands.join(", "),
        cases,
        events,
    );
    let ok = problems.is_empty();
    if !ok {
        return Ok((
            format!("{line}\nFAILED: {} problems", problems.len()),
            false,
        ));
    }
    Ok((line, true))
}

/// A command the state allows, chosen by `dice`, with its body.
fn command_for(state: &str, dice: u64) -> Option<(&'static str, serde_json::Value)> {
    let supervise = ("supervise", serde_json::json!({ "note": "请加快办理" }));
    Some(match (CaseState::parse(state)?, dice % 4) {
        (CaseState::Reported, 0 | 1) => ("accept", serde_json::json!({})),
        (CaseState::Reported, 2) => (
            "decline",
            serde_json::json!({
                "reason": "属于法院受理范围，已告知当事人",
                "suggested_channel": "litigation",
            }),
        ),
        (CaseState::Accepted, 0..=2) => (
            "triage",
            serde_json::json!({
                "kind": "dispute",
                "category": "neighbour",
                "complexity": "simple",
                "urgency": "green",
                "reason": "事实清楚，适合调解",
            }),
        ),
        (CaseState::Declined, _) => ("archive", serde_json::json!({})),
        (CaseState::Reported | CaseState::Accepted | CaseState::Triaged, _) => supervise,
        _ => return None,
    })
}
