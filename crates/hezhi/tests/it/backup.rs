//! `hezhi backup` while the server takes writes, and `hezhi restore` into an empty directory.

use crate::cli::{hezhi_with, stdout};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn hezhi(data_dir: &Path, args: &[&str]) -> Output {
    hezhi_with(data_dir, args, &[])
}

fn failure(output: &Output) -> String {
    assert!(!output.status.success(), "hezhi should have failed");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The API token of a demo user, from the seed's token file.
fn demo_token(data_dir: &Path, user: &str) -> String {
    let text = std::fs::read_to_string(data_dir.join("demo-tokens.txt")).expect("tokens");
    text.lines()
        .find(|line| line.starts_with(&format!("{user}\t")))
        .and_then(|line| line.split('\t').nth(3))
        .expect("the user's token")
        .to_owned()
}

/// "N cases, M events" as `hezhi migrate` prints them.
fn counts(data_dir: &Path) -> (u64, u64) {
    let out = stdout(&hezhi(data_dir, &["migrate"]));
    let inside = out
        .split('(')
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("counts");
    let numbers: Vec<u64> = inside
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("number"))
        .collect();
    (numbers[0], numbers[1])
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"))
        .expect("json")
}

/// `hezhi serve` on a free port of loopback over `data`, once it answers `/healthz`, and its
/// address.
pub(crate) async fn start_server(data: &Path, stderr: Stdio) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let server = Command::new(env!("CARGO_BIN_EXE_hezhi"))
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", &address])
        .env_remove("HEZHI_DATABASE_URL")
        .env_remove("HEZHI_CONFIG")
        .env_remove("HEZHI_PERSONAL_DATA_KEY")
        .env("HEZHI_LOG", "warn")
        // The test's clients all write from loopback, past the default rate of one address.
        .env("HEZHI_SUBMISSIONS_PER_MINUTE", "100000")
        .env("HEZHI_HEADER_TIMEOUT_SECONDS", "2")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("serve");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("http://{address}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_writes_restores_whole_and_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    stdout(&hezhi(&data, &["seed", "demo"]));
    let (seeded, _) = counts(&data);
    let token = demo_token(&data, "dispatcher-370811");
    let (mut server, address) = start_server(&data, Stdio::null()).await;
    let client = reqwest::Client::new();

    // One client reports cases, one after the other, until told to stop.
    let acknowledged = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
        let url = format!("http://{address}/api/v1/cases");
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = serde_json::json!({
                    "kind": "dispute",
                    "category": "neighbour",
                    "channel": "window",
                    "region": "370811002001",
                    "title": format!("楼道堆物纠纷（第{n}件）"),
                    "description": "邻居在楼道堆放杂物，影响通行，协商未果。",
                });
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("backup-test-{n}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("the server answers");
                assert_eq!(response.status().as_u16(), 201, "a report is acknowledged");
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while acknowledged.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = acknowledged.load(Ordering::SeqCst);
    let backup = dir.path().join("backup");
    let output = {
        let (data, backup) = (data.clone(), backup.clone());
        tokio::task::spawn_blocking(move || {
            hezhi(&data, &["backup", backup.to_str().expect("utf-8")])
        })
        .await
        .expect("backup")
    };
    let out = stdout(&output);
    let after = acknowledged.load(Ordering::SeqCst);
    // Writes go on after the backup.
    while acknowledged.load(Ordering::SeqCst) < after + 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer");
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.contains("backed up"), "{out}");
    assert!(out.contains("master key"), "{out}");

    let manifest = manifest(&backup);
    let cases = manifest["cases"].as_u64().expect("cases");
    let events = manifest["events"].as_u64().expect("events");
    assert!(
        (seeded + before..=seeded + after + 1).contains(&cases),
        "the copy holds the cases acknowledged before it began ({}) and none reported after \
         it ended (at most {}, one report being in flight): {cases}",
        seeded + before,
        seeded + after + 1
    );
    assert_eq!(manifest["engine"], "sqlite");
    assert!(!backup.join("master.key").exists(), "the key stays out");

    // A restore needs the master key in the empty directory first, and writes nothing without.
    let restored = dir.path().join("restored");
    let refused = failure(&hezhi(
        &restored,
        &["restore", backup.to_str().expect("utf-8")],
    ));
    assert!(refused.contains("master key"), "{refused}");
    assert!(!restored.join("hezhi.db").exists());
    std::fs::create_dir_all(&restored).expect("dir");
    std::fs::copy(data.join("master.key"), restored.join("master.key")).expect("key");
    let out = stdout(&hezhi(
        &restored,
        &["restore", backup.to_str().expect("utf-8")],
    ));
    assert!(
        out.contains(&format!("restored {cases} cases, {events} events")),
        "{out}"
    );
    let verified = stdout(&hezhi(&restored, &["audit", "verify"]));
    assert!(verified.contains("no entry was changed"), "{verified}");
    assert_eq!(counts(&restored), (cases, events));

    // Never over a database, never into a non-empty backup directory.
    let refused = failure(&hezhi(
        &restored,
        &["restore", backup.to_str().expect("utf-8")],
    ));
    assert!(refused.contains("empty data directory"), "{refused}");
    let refused = failure(&hezhi(&data, &["backup", backup.to_str().expect("utf-8")]));
    assert!(refused.contains("not empty"), "{refused}");

    // A damaged copy is found by its checksum, and nothing is restored.
    let damaged = dir.path().join("damaged");
    std::fs::create_dir_all(&damaged).expect("dir");
    for name in ["manifest.json", "hezhi.db"] {
        std::fs::copy(backup.join(name), damaged.join(name)).expect("copy");
    }
    let mut bytes = std::fs::read(damaged.join("hezhi.db")).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(damaged.join("hezhi.db"), bytes).expect("write");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    std::fs::copy(data.join("master.key"), elsewhere.join("master.key")).expect("key");
    let refused = failure(&hezhi(
        &elsewhere,
        &["restore", damaged.to_str().expect("utf-8")],
    ));
    assert!(refused.contains("does not match the manifest"), "{refused}");
    let left: Vec<_> = std::fs::read_dir(&elsewhere)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("master.key")]);
}

/// Databases made for a test, dropped when it ends, passed or failed.
struct Databases {
    url: String,
    names: Vec<String>,
}

impl Drop for Databases {
    fn drop(&mut self) {
        let (url, names) = (self.url.clone(), std::mem::take(&mut self.names));
        // A runtime of its own: this may run while a test's runtime unwinds.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&url).await {
                    for name in names {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut admin)
                        .await;
                    }
                }
            });
        })
        .join();
    }
}

/// PostgreSQL: `pg_dump` of one snapshot, counted in that snapshot, and `pg_restore` into an
/// empty database, which then verifies and counts the same.
#[tokio::test]
async fn a_postgres_backup_restores_into_an_empty_database() {
    use sqlx::{Connection, PgConnection};
    let Ok(url) = std::env::var("HEZHI_TEST_PG_URL") else {
        eprintln!("HEZHI_TEST_PG_URL is not set: skipping a PostgreSQL test");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let (from, to) = (
        format!("hezhi_bk_{suffix}_a"),
        format!("hezhi_bk_{suffix}_b"),
    );
    let _databases = Databases {
        url: url.clone(),
        names: vec![from.clone(), to.clone()],
    };
    let mut admin = PgConnection::connect(&url).await.expect("connect");
    for name in [&from, &to] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create database");
    }
    admin.close().await.expect("close");
    let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
    let (from_url, to_url) = (format!("{base}/{from}"), format!("{base}/{to}"));
    let key = stdout(&hezhi(dir.path(), &["keys", "generate"]))
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 44 && line.ends_with('='))
        .expect("a key")
        .to_owned();
    let env = [("HEZHI_PERSONAL_DATA_KEY", key.as_str())];
    let run = |database: &str, args: &[&str]| {
        let mut all = vec!["--database-url", database];
        all.extend_from_slice(args);
        hezhi_with(dir.path(), &all, &env)
    };
    stdout(&run(&from_url, &["seed", "demo"]));
    let backup = dir.path().join("backup");
    let out = stdout(&run(
        &from_url,
        &["backup", backup.to_str().expect("utf-8")],
    ));
    assert!(out.contains("backed up"), "{out}");
    let manifest = manifest(&backup);
    assert_eq!(manifest["engine"], "postgres");
    let cases = manifest["cases"].as_u64().expect("cases");
    let events = manifest["events"].as_u64().expect("events");
    assert!(cases > 0 && events > cases);
    let out = stdout(&run(&to_url, &["restore", backup.to_str().expect("utf-8")]));
    assert!(
        out.contains(&format!("restored {cases} cases, {events} events")),
        "{out}"
    );
    let verified = stdout(&run(&to_url, &["audit", "verify"]));
    assert!(verified.contains("no entry was changed"), "{verified}");
    // Never over a database that holds one.
    let refused = failure(&run(&to_url, &["restore", backup.to_str().expect("utf-8")]));
    assert!(refused.contains("empty database"), "{refused}");
}

/// SIGTERM while a client writes: the server stops taking connections, finishes the requests
/// in flight, commits what is queued and exits 0; every acknowledged report is there after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_finishes_what_it_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    stdout(&hezhi(&data, &["seed", "demo"]));
    let (seeded, _) = counts(&data);
    let token = demo_token(&data, "dispatcher-370811");
    let (server, address) = start_server(&data, Stdio::piped()).await;
    let client = reqwest::Client::new();
    // Four clients report until the server stops answering.
    let acknowledged = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (acknowledged, client, token) =
            (Arc::clone(&acknowledged), client.clone(), token.clone());
        let url = format!("http://{address}/api/v1/cases");
        clients.push(tokio::spawn(async move {
            for n in 0u64.. {
                let body = serde_json::json!({
                    "kind": "dispute",
                    "category": "neighbour",
                    "channel": "window",
                    "region": "370811002001",
                    "title": format!("噪音扰民（{c}-{n}）"),
                    "description": "楼下商铺夜间噪音扰民，多次沟通未果。",
                });
                match client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("stop-test-{c}-{n}"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(response) if response.status().as_u16() == 201 => {
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(response) => {
                        // Past the shutdown a request may be refused, never half-done.
                        assert_eq!(response.status().as_u16(), 503, "while stopping");
                        return;
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    while acknowledged.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let terminated = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(terminated.success());
    let output = tokio::task::spawn_blocking(move || server.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    for client in clients {
        client.await.expect("client");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit status {}: {stderr}",
        output.status
    );
    assert!(stderr.contains("stopped"), "{stderr}");
    let acknowledged = acknowledged.load(Ordering::SeqCst);
    let (cases, _) = counts(&data);
    assert!(
        (seeded + acknowledged..=seeded + acknowledged + 4).contains(&cases),
        "{acknowledged} reports acknowledged on top of {seeded}; {cases} cases stored"
    );
    let verified = stdout(&hezhi(&data, &["audit", "verify"]));
    assert!(verified.contains("no entry was changed"), "{verified}");
}
