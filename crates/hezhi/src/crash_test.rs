//! `hezhi crash-test`: kills the server with SIGKILL at random moments under write load, and
//! checks that nothing it acknowledged was lost.
//!
//! For each engine, on a fresh database filled with the demo:
//!
//! 1. starts `hezhi serve` (this binary, as a child process) and lets several clients write
//!    through the HTTP API: reports of new cases and `accept` commands on them, each with an
//!    `Idempotency-Key`. A request that fails because the server is gone is retried with the
//!    same key until the server is back, as a careful client does;
//! 2. kills the server with SIGKILL after a random 0.2–1.5 s and starts it again, `--kills`
//!    times;
//! 3. with the server stopped, opens the database and checks that every case whose report
//!    got a 201 is there, with at least as many events as the last version a 2xx
//!    acknowledged; runs the integrity check (SQLite `PRAGMA integrity_check`; PostgreSQL
//!    amcheck's `bt_index_check` on every B-tree index) and verifies every audit chain;
//! 4. prints `acknowledged N, found N, lost 0`, and fails if anything was lost.

use crate::bench::{Engine, hex, random_bytes};
use anyhow::{Context, anyhow, bail, ensure};
use hezhi_store::audit::{VERIFY_PAGE, verify_log};
use hezhi_store::{Cipher, MasterKey, PersonalDataKeys, Store};
use hezhi_store_postgres::PostgresStore;
use hezhi_store_sqlite::SqliteStore;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct CrashTestArgs {
    /// How many times the server is killed.
    #[arg(long, default_value_t = 20)]
    kills: u32,
    /// Clients writing at the same time.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// The engines to test, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    engines: Vec<Engine>,
    /// PostgreSQL server to test on, in a fresh database dropped afterwards
    /// [default: $HEZHI_BENCH_PG_URL, then $HEZHI_TEST_PG_URL].
    #[arg(long)]
    pg_url: Option<String>,
}

/// What the clients were told, per case: the last version a 2xx acknowledged.
type Acknowledged = Arc<Mutex<HashMap<String, u32>>>;

pub async fn run(args: CrashTestArgs) -> anyhow::Result<()> {
    ensure!(
        args.kills > 0 && args.clients > 0,
        "--kills and --clients must be positive"
    );
    let (pg_url, engines, _) =
        crate::bench::engines_to_measure(args.pg_url.clone(), &args.engines)?;
    let passed = on_each_engine(pg_url.as_deref(), engines, async |target| {
        let outcome = crash(&args, target).await?;
        Ok((outcome.text, outcome.lost == 0))
    })
    .await?;
    if !passed {
        bail!("acknowledged writes were lost");
    }
    Ok(())
}

/// Runs `test` on a fresh database of each engine (removed afterwards, passed or failed),
/// prints the line it returns, and says whether every engine passed.
pub(crate) async fn on_each_engine(
    pg_url: Option<&str>,
    engines: Vec<Engine>,
    mut test: impl AsyncFnMut(&Target) -> anyhow::Result<(String, bool)>,
) -> anyhow::Result<bool> {
    let mut passed = true;
    for engine in engines {
        let target = Target::fresh(engine, pg_url).await?;
        let result = test(&target).await;
        let removed = target.remove().await;
        let (line, ok) = result?;
        removed?;
        println!("{line}");
        passed &= ok;
    }
    Ok(passed)
}

/// A database for one engine, and how the server is started on it.
pub(crate) struct Target {
    pub(crate) engine: Engine,
    dir: tempfile::TempDir,
    /// PostgreSQL: the admin URL, the database made for the test and its URL.
    postgres: Option<(String, String, String)>,
    /// The master key, for PostgreSQL (SQLite keeps its own in the data directory).
    key: String,
}

impl Target {
    pub(crate) async fn fresh(engine: Engine, pg_url: Option<&str>) -> anyhow::Result<Target> {
        let dir = tempfile::Builder::new()
            .prefix("hezhi-crash-test-")
            .tempdir()
            .context("a temporary directory")?;
        let key = MasterKey::generate()?.to_base64().to_string();
        let postgres = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => {
                let url = pg_url.ok_or_else(|| anyhow!("no PostgreSQL URL"))?;
                let name = format!("hezhi_crash_{}", hex(&random_bytes(4)?));
                let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(url).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await?;
                sqlx::Connection::close(admin).await?;
                let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
                let database_url = format!("{base}/{name}");
                Some((url.to_owned(), name, database_url))
            }
        };
        let target = Target {
            engine,
            dir,
            postgres,
            key,
        };
        let seeded = target.hezhi(&["seed", "demo"]).output()?;
        ensure!(
            seeded.status.success(),
            "seeding the demo failed: {}",
            String::from_utf8_lossy(&seeded.stderr)
        );
        Ok(target)
    }

    /// The API token the demo gave `user` (its token file is in the data directory).
    pub(crate) fn demo_token(&self, user: &str) -> anyhow::Result<String> {
        let tokens = std::fs::read_to_string(self.data_dir().join("demo-tokens.txt"))?;
        tokens
            .lines()
            .find(|line| line.starts_with(&format!("{user}\t")))
            .and_then(|line| line.split('\t').nth(3))
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the demo has no {user}"))
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// This binary on the target's database.
    fn hezhi(&self, args: &[&str]) -> Command {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("hezhi"));
        let mut command = Command::new(exe);
        command
            .arg("--data-dir")
            .arg(self.data_dir())
            .env_remove("HEZHI_CONFIG")
            .env_remove("HEZHI_DATABASE_URL")
            .env("HEZHI_LOG", "warn")
            // Every client writes from loopback: one address, past the default rate.
            .env("HEZHI_SUBMISSIONS_PER_MINUTE", "100000")
            .stdout(Stdio::null());
        match &self.postgres {
            Some((_, _, url)) => {
                command
                    .arg("--database-url")
                    .arg(url)
                    .env("HEZHI_PERSONAL_DATA_KEY", &self.key);
            }
            None => {
                command.env_remove("HEZHI_PERSONAL_DATA_KEY");
            }
        }
        command.args(args);
        command
    }

    /// The store, opened directly once the server is down.
    pub(crate) async fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(match &self.postgres {
            Some((_, _, url)) => {
                let keys =
                    PersonalDataKeys::new(MasterKey::from_base64(&self.key)?, Cipher::default());
                Arc::new(PostgresStore::connect(url, &keys).await?)
            }
            None => {
                let master = crate::backend::read_master_key(&self.data_dir().join("master.key"))?;
                let keys = PersonalDataKeys::new(master, Cipher::default());
                Arc::new(SqliteStore::open(&self.data_dir().join("hezhi.db"), &keys).await?)
            }
        })
    }

    /// The integrity check of the engine, on the stopped server's database.
    async fn integrity(&self) -> anyhow::Result<String> {
        match &self.postgres {
            None => {
                let master = crate::backend::read_master_key(&self.data_dir().join("master.key"))?;
                let keys = PersonalDataKeys::new(master, Cipher::default());
                let store = SqliteStore::open(&self.data_dir().join("hezhi.db"), &keys).await?;
                let checked = store.integrity_check().await;
                store.close().await;
                checked.context("PRAGMA integrity_check")?;
                Ok("PRAGMA integrity_check ok".into())
            }
            Some((_, _, url)) => {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url).await?;
                sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
                    .execute(&mut conn)
                    .await
                    .context("amcheck (PostgreSQL's contrib) is needed for the integrity check")?;
                let indexes: Vec<(String,)> = sqlx::query_as(
                    "SELECT c.relname::text FROM pg_index i
                     JOIN pg_class c ON c.oid = i.indexrelid
                     JOIN pg_am a ON a.oid = c.relam
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE a.amname = 'btree' AND n.nspname = current_schema()",
                )
                .fetch_all(&mut conn)
                .await?;
                for (index,) in &indexes {
                    sqlx::query("SELECT bt_index_check($1::regclass, true)")
                        .bind(index)
                        .execute(&mut conn)
                        .await
                        .with_context(|| format!("index {index} is damaged"))?;
                }
                sqlx::Connection::close(conn).await?;
                Ok(format!(
                    "amcheck bt_index_check ok on {} B-tree indexes",
                    indexes.len()
                ))
            }
        }
    }

    pub(crate) async fn remove(self) -> anyhow::Result<()> {
        if let Some((admin_url, name, _)) = &self.postgres {
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(admin_url).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await?;
            sqlx::Connection::close(admin).await?;
        }
        Ok(())
    }
}

/// A free port of loopback.
pub(crate) fn free_address() -> anyhow::Result<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// Starts the server and waits until it answers.
pub(crate) async fn start(target: &Target, address: &str) -> anyhow::Result<Child> {
    let mut child = target
        .hezhi(&["serve", "--listen", address])
        .stderr(Stdio::null())
        .spawn()
        .context("starting hezhi serve")?;
    let client = reqwest::Client::new();
    let began = Instant::now();
    loop {
        if client
            .get(format!("http://{address}/healthz"))
            .send()
            .await
            .is_ok()
        {
            return Ok(child);
        }
        if let Some(status) = child.try_wait()? {
            bail!("the server exited while starting: {status}");
        }
        ensure!(
            began.elapsed() < Duration::from_secs(60),
            "the server did not answer within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The result line of one engine.
struct Outcome {
    lost: u64,
    text: String,
}

async fn crash(args: &CrashTestArgs, target: &Target) -> anyhow::Result<Outcome> {
    let token = target.demo_token("dispatcher-370811")?;
    let address = free_address()?;
    let acknowledged: Acknowledged = Arc::default();
    let requests = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut server = start(target, &address).await?;
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..args.clients {
        let client = Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            base: format!("http://{address}/api/v1"),
            token: token.clone(),
            name: format!("{}-{c}", hex(&random_bytes(3)?)),
            acknowledged: Arc::clone(&acknowledged),
            requests: Arc::clone(&requests),
            stop: Arc::clone(&stop),
        };
        clients.spawn(client.run());
    }
    let began = Instant::now();
    for kill in 0..args.kills {
        let wait =
            200 + u64::from(u16::from_le_bytes([random_bytes(1)?[0], random_bytes(1)?[0]]) % 1300);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.kill().context("SIGKILL")?;
        server.wait()?;
        eprintln!(
            "{}: kill {} of {} after {wait} ms; {} acknowledged so far",
            target.engine.name(),
            kill + 1,
            args.kills,
            acknowledged.lock().map(|a| a.len()).unwrap_or_default()
        );
        if kill + 1 < args.kills {
            server = start(target, &address).await?;
        }
    }
    stop.store(true, Ordering::SeqCst);
    // The server is down: the clients stop retrying and end.
    while let Some(done) = clients.join_next().await {
        done??;
    }
    let elapsed = began.elapsed();

    let integrity = target.integrity().await?;
    let store = target.store().await?;
    let acknowledged = acknowledged
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .clone();
    // Each case counts its report and each acknowledged command: a write is found when the
    // stored case has reached its version, with the events to show for it.
    let (mut writes, mut found, mut commands) = (0u64, 0u64, 0u64);
    let mut lost = Vec::new();
    for (id, version) in &acknowledged {
        writes += u64::from(*version);
        commands += u64::from(version.saturating_sub(1));
        let case_id = hezhi_domain::CaseId::parse(id).ok_or_else(|| anyhow!("case id {id}"))?;
        let stored = match store.case(case_id).await? {
            Some(case) => {
                let events = u32::try_from(store.events(case_id).await?.len()).unwrap_or(u32::MAX);
                case.version.min(events)
            }
            None => 0,
        };
        found += u64::from(stored.min(*version));
        if stored < *version {
            lost.push(format!("{id}: acknowledged v{version}, stored v{stored}"));
        }
    }
    let reports = verify_log(store.as_ref(), VERIFY_PAGE, &mut |_| {}).await?;
    if let Some(finding) = reports.iter().find_map(|r| r.finding.as_ref()) {
        bail!(
            "{}: the audit log does not verify: {finding}",
            target.engine.name()
        );
    }
    let entries: u64 = reports.iter().map(|r| r.entries).sum();
    for line in lost.iter().take(20) {
        eprintln!("LOST {line}");
    }
    let text = format!(
        "{}: acknowledged {writes}, found {found}, lost {} ({} reports and {commands} accept \
         commands acknowledged over {} kills in {:.0} s, {} requests); {integrity}; {} audit \
         chains verified ({entries} entries)",
        target.engine.name(),
        writes - found,
        acknowledged.len(),
        args.kills,
        elapsed.as_secs_f64(),
        requests.load(Ordering::SeqCst),
        reports.len(),
    );
    Ok(Outcome {
        lost: writes - found,
        text,
    })
}

/// One writing client: reports cases and accepts the ones it reported, retrying each request
/// with its idempotency key until the server answers.
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    name: String,
    acknowledged: Acknowledged,
    requests: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// What a request came to once the server answered it.
enum Answer {
    Ok(serde_json::Value),
    Refused(u16),
    Stopped,
}

impl Client {
    async fn run(self) -> anyhow::Result<()> {
        let mut reported: Vec<String> = Vec::new();
        for n in 0u64.. {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            // Every other request accepts a case this client reported.
            if n % 2 == 1
                && let Some(id) = reported.pop()
            {
                let key = format!("crash-{}-{n}", self.name);
                match self
                    .send(
                        &format!("{}/cases/{id}/accept", self.base),
                        &key,
                        Some(1),
                        &serde_json::json!({}),
                    )
                    .await?
                {
                    Answer::Ok(body) => self.acknowledge(&body)?,
                    // Another attempt of this one may have moved the case on: not ours to count.
                    Answer::Refused(412 | 409) => {}
                    Answer::Refused(status) => bail!("accept refused with {status}"),
                    Answer::Stopped => return Ok(()),
                }
                continue;
            }
            let key = format!("crash-{}-{n}", self.name);
            let body = serde_json::json!({
                "kind": "dispute",
                "category": "neighbour",
                "channel": "window",
                "region": "370811002001",
                "title": format!("相邻关系纠纷（{}-{n}）", self.name),
                "description": "邻居加装空调外机正对卧室窗户，噪音和热风影响休息，协商未果。",
                "parties": [{ "role": "applicant", "name": "李某某", "phone": "13800138000" }],
            });
            match self
                .send(&format!("{}/cases", self.base), &key, None, &body)
                .await?
            {
                Answer::Ok(body) => {
                    self.acknowledge(&body)?;
                    if let Some(id) = body["id"].as_str() {
                        reported.push(id.to_owned());
                    }
                }
                Answer::Refused(status) => bail!("a report was refused with {status}"),
                Answer::Stopped => return Ok(()),
            }
        }
        Ok(())
    }

    fn acknowledge(&self, body: &serde_json::Value) -> anyhow::Result<()> {
        let id = body["id"]
            .as_str()
            .ok_or_else(|| anyhow!("no id in {body}"))?;
        let version = body["version"]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| anyhow!("no version in {body}"))?;
        let mut acknowledged = self.acknowledged.lock().map_err(|_| anyhow!("poisoned"))?;
        let entry = acknowledged.entry(id.to_owned()).or_insert(version);
        *entry = (*entry).max(version);
        Ok(())
    }

    /// POSTs `body` until the server answers other than 503 or a broken connection; gives up
    /// (`Stopped`) once told to stop and the server is gone.
    async fn send(
        &self,
        url: &str,
        key: &str,
        if_match: Option<u32>,
        body: &serde_json::Value,
    ) -> anyhow::Result<Answer> {
        loop {
            let mut request = self
                .http
                .post(url)
                .bearer_auth(&self.token)
                .header("Idempotency-Key", key)
                .json(body);
            if let Some(version) = if_match {
                request = request.header("If-Match", format!("\"{version}\""));
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            match request.send().await {
                Ok(response) if response.status().is_success() => {
                    return Ok(Answer::Ok(response.json().await.unwrap_or_default()));
                }
                Ok(response) if response.status().as_u16() != 503 => {
                    return Ok(Answer::Refused(response.status().as_u16()));
                }
                _ => {
                    if self.stop.load(Ordering::SeqCst) {
                        return Ok(Answer::Stopped);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}
