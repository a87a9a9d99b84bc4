//! `hezhi bench`: durable write throughput, on SQLite and PostgreSQL in one run.
//!
//! For each engine, three workloads, each on a fresh, empty database:
//!
//! - (a) cases reported through the real HTTP API (`POST /api/v1/cases`, JSON, a bearer
//!   token and a unique `Idempotency-Key` per request) by many concurrent clients, against
//!   the server started in-process on loopback; the server batches concurrent writes
//!   through group commit;
//! - (b) the same cases written straight to the store, one transaction per case, one after
//!   the other;
//! - (c) the same cases written straight to the store, 1,000 per transaction.
//!
//! Durability stays on throughout: SQLite in WAL mode with `synchronous=FULL` (as
//! [`SqliteStore::open`] configures it), PostgreSQL with `synchronous_commit=on`.

use anyhow::{Context, anyhow, bail, ensure};
use async_trait::async_trait;
use hezhi_app::{App, CaseInput, Clock, NewUser, SystemClock};
use hezhi_domain::{Actor, CaseId, RegionCode, RegionLevel, Role, TrackingCode, UserId};
use hezhi_store::{
    CaseWriter, Category, IdempotencyRecord, Region, Store, StoreResult, WriteOp, WriteReceipt,
};
use hezhi_store_postgres::PostgresStore;
use hezhi_store_sqlite::SqliteStore;
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The sample cases shipped with the binary; those of county 370811 are the bench's text.
/// The county every bench case is reported in (任城区, 济宁市, 山东省).
const COUNTY: &str = "370811";
/// Where the bench user works: 许庄街道, the town of the sample cases of [`COUNTY`].
const TOWN: &str = "370811002";

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Cases written by workloads (a), over HTTP, and (c), 1,000 per transaction.
    #[arg(long, default_value_t = 20_000)]
    cases: usize,
    /// Cases written by workload (b), one transaction each (slow by nature).
    #[arg(long, default_value_t = 2000)]
    direct_cases: usize,
    /// Concurrent HTTP clients in workload (a).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Cases per transaction in workload (c).
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// PostgreSQL to measure, e.g. postgres://postgres@127.0.0.1:5432/test. Each workload
    /// runs in a fresh schema that is dropped afterwards. [default: $HEZHI_BENCH_PG_URL,
    /// then $HEZHI_TEST_PG_URL]
    #[arg(long)]
    pg_url: Option<String>,
    /// Group-commit workers of the server in workload (a) [default: the backend's own: 1 for
    /// SQLite, 4 for PostgreSQL]. For exploring the write path; the default is what
    /// `hezhi serve` runs.
    #[arg(long)]
    writers: Option<usize>,
    /// The engines to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    engines: Vec<Engine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Http,
    OnePerTransaction,
    Batched,
}

/// One row of the table.
#[derive(Debug)]
struct Row {
    engine: Engine,
    workload: Workload,
    label: String,
    cases: usize,
    elapsed: Duration,
    /// Per request (a) or per transaction (b, c), sorted.
    latencies: Vec<Duration>,
    transactions: u64,
    largest_transaction: u64,
    /// Time inside `write_batch`, summed over concurrent transactions.
    store_busy: Duration,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.cases as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        let n = self.latencies.len();
        if n == 0 {
            return 0.0;
        }
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
        self.latencies[rank - 1].as_secs_f64() * 1000.0
    }
}

/// The PostgreSQL URL (`--pg-url`, else `HEZHI_BENCH_PG_URL`, else `HEZHI_TEST_PG_URL`) and
/// the engines a bench measures: PostgreSQL is left out, with a note, when there is no URL.
pub(crate) fn engines_to_measure(
    pg_url: Option<String>,
    asked: &[Engine],
) -> anyhow::Result<(Option<String>, Vec<Engine>, Vec<String>)> {
    let pg_url = pg_url
        .or_else(|| std::env::var("HEZHI_BENCH_PG_URL").ok())
        .or_else(|| std::env::var("HEZHI_TEST_PG_URL").ok())
        .filter(|url| !url.trim().is_empty());
    let mut engines = asked.to_vec();
    engines.dedup();
    let mut notes = Vec::new();
    if engines.contains(&Engine::Postgres) && pg_url.is_none() {
        engines.retain(|e| *e != Engine::Postgres);
        let note = "PostgreSQL skipped: no URL. Pass --pg-url postgres://USER@HOST:PORT/DB or set \
                    HEZHI_BENCH_PG_URL (or HEZHI_TEST_PG_URL); the bench works in fresh schemas \
                    that it drops afterwards.";
        eprintln!("{note}");
        notes.push(note.to_owned());
    }
    ensure!(!engines.is_empty(), "no engine to measure");
    Ok((pg_url, engines, notes))
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    ensure!(
        args.cases > 0 && args.direct_cases > 0 && args.clients > 0 && args.batch > 0,
        "--cases, --direct-cases, --clients and --batch must be positive"
    );
    let (pg_url, engines, notes) = engines_to_measure(args.pg_url.clone(), &args.engines)?;

    let fixture = Fixture::new()?;
    let temp = std::env::temp_dir();
    let flush = {
        let temp = temp.clone();
        tokio::task::spawn_blocking(move || flush_latency(&temp)).await??
    };
    let mut rows = Vec::new();
    let mut durability = Vec::new();
    for engine in engines {
        let bench = EngineBench {
            engine,
            args: &args,
            pg_url: pg_url.as_deref(),
            fixture: &fixture,
        };
        durability.push(bench.durability().await?);
        rows.push(bench.measure(Workload::Http).await?);
        rows.push(bench.measure(Workload::OnePerTransaction).await?);
        rows.push(bench.measure(Workload::Batched).await?);
    }
    print!(
        "{}",
        report(&args, &rows, &durability, (&temp, flush), &notes)
    );
    Ok(())
}

// ---- the cases ----------------------------------------------------------------------------

/// Reference data and case texts shared by every workload.
#[derive(Debug)]
struct Fixture {
    categories: Vec<Category>,
    regions: Vec<Region>,
    /// Realistic reports (Chinese text, parties with phones and ID numbers), one per sample.
    inputs: Vec<CaseInput>,
    /// A tag for this run, in idempotency keys and schema names.
    run_tag: String,
}

impl Fixture {
    fn new() -> anyhow::Result<Self> {
        let categories = crate::backend::shipped_categories()?;
        let samples: Vec<_> = crate::samples::load()?
            .into_iter()
            .filter(|sample| sample.region.starts_with(TOWN))
            .collect();
        ensure!(!samples.is_empty(), "no sample case in town {TOWN}");

        let code = |c: &str| RegionCode::parse(c).with_context(|| format!("region {c}"));
        let mut regions = vec![
            Region {
                code: code("37")?,
                name: "山东省".into(),
                level: RegionLevel::Province,
                parent: None,
            },
            Region {
                code: code("3708")?,
                name: "济宁市".into(),
                level: RegionLevel::City,
                parent: Some(code("37")?),
            },
            Region {
                code: code(COUNTY)?,
                name: "任城区".into(),
                level: RegionLevel::County,
                parent: Some(code("3708")?),
            },
            Region {
                code: code(TOWN)?,
                name: "许庄街道".into(),
                level: RegionLevel::Town,
                parent: Some(code(COUNTY)?),
            },
        ];
        let mut inputs = Vec::new();
        for sample in samples {
            let category = sample.category_code(&categories)?;
            if !regions.iter().any(|r| r.code.as_str() == sample.region) {
                regions.push(Region {
                    code: code(&sample.region)?,
                    name: sample.region_name.clone(),
                    level: RegionLevel::Village,
                    parent: Some(code(TOWN)?),
                });
            }
            let input = sample.input(&category, &code(&sample.region)?);
            input
                .parse()
                .with_context(|| format!("sample case {}", input.title))?;
            inputs.push(input);
        }
        Ok(Self {
            categories,
            regions,
            inputs,
            run_tag: hex(&random_bytes(6)?),
        })
    }

    /// The `index`th report: a sample, its title numbered so that no two are alike.
    fn input(&self, index: usize) -> CaseInput {
        let mut input = self.inputs[index % self.inputs.len()].clone();
        input.title = format!("{}（第{}件）", input.title, index + 1);
        input
    }

    /// `count` create-case ops by `actor`, with unique ids and tracking codes.
    fn ops(&self, count: usize, actor: &Actor) -> anyhow::Result<Vec<WriteOp>> {
        let random = random_bytes(10 * count + 8)?;
        let (seeds, base) = random.split_at(10 * count);
        let base = u64::from_le_bytes(base.try_into()?);
        let at = SystemClock.now();
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        (0..count)
            .map(|index| {
                let data = self.input(index).parse()?;
                let mut seed = [0u8; 10];
                seed.copy_from_slice(&seeds[10 * index..10 * (index + 1)]);
                Ok(WriteOp::CreateCase {
                    id: CaseId::compose(millis, &data.region, seed),
                    tracking_code: TrackingCode::from_random(distinct(base, index)),
                    data: Box::new(data),
                    actor: actor.clone(),
                    at,
                    idempotency: None,
                })
            })
            .collect()
    }
}

/// The `index`th of a sequence of values that are distinct modulo 10⁹ (tracking codes keep
/// nine digits) and scattered over that range: a stride prime to 10⁹ from a random start.
fn distinct(base: u64, index: usize) -> u64 {
    const CODES: u64 = 1_000_000_000;
    const STRIDE: u64 = 387_420_489; // 3¹⁸
    (base % CODES + (index as u64 % CODES) * STRIDE) % CODES
}

pub(crate) fn random_bytes(count: usize) -> anyhow::Result<Vec<u8>> {
    let mut buffer = vec![0u8; count];
    getrandom::fill(&mut buffer).map_err(|e| anyhow!("random generator: {e}"))?;
    Ok(buffer)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

// ---- one engine -----------------------------------------------------------------------------

struct EngineBench<'a> {
    engine: Engine,
    args: &'a BenchArgs,
    pg_url: Option<&'a str>,
    fixture: &'a Fixture,
}

/// A fresh, empty database for one workload, and how to get rid of it.
enum Fresh {
    Sqlite {
        store: Arc<SqliteStore>,
        dir: tempfile::TempDir,
    },
    Postgres {
        store: Arc<PostgresStore>,
    },
}

impl Fresh {
    fn store(&self) -> Arc<dyn Store> {
        match self {
            Fresh::Sqlite { store, .. } => store.clone(),
            Fresh::Postgres { store } => store.clone(),
        }
    }

    async fn remove(self) -> anyhow::Result<()> {
        match self {
            Fresh::Sqlite { store, dir } => {
                store.close().await;
                drop(store);
                let path = dir.path().to_owned();
                dir.close()
                    .with_context(|| format!("removing {}", path.display()))
            }
            Fresh::Postgres { store } => store
                .drop_schema()
                .await
                .context("dropping the bench schema"),
        }
    }
}

/// A throwaway master key for a bench database, which is deleted afterwards: personal data
/// is encrypted as in production, so the figures include it.
pub(crate) fn bench_keys() -> anyhow::Result<hezhi_store::PersonalDataKeys> {
    Ok(hezhi_store::PersonalDataKeys::new(
        hezhi_store::MasterKey::generate()?,
        hezhi_store::Cipher::default(),
    ))
}

impl EngineBench<'_> {
    async fn fresh(&self) -> anyhow::Result<Fresh> {
        match self.engine {
            Engine::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("hezhi-bench-")
                    .tempdir()
                    .context("creating a temporary directory")?;
                let path: PathBuf = dir.path().join("hezhi.db");
                let store = SqliteStore::open(&path, &bench_keys()?)
                    .await
                    .with_context(|| format!("opening {}", path.display()))?;
                Ok(Fresh::Sqlite {
                    store: Arc::new(store),
                    dir,
                })
            }
            Engine::Postgres => {
                let url = self.pg_url.ok_or_else(|| anyhow!("no PostgreSQL URL"))?;
                let schema = format!(
                    "hezhi_bench_{}_{}",
                    self.fixture.run_tag,
                    hex(&random_bytes(3)?)
                );
                let store = PostgresStore::connect_fresh_schema(url, &schema, &bench_keys()?)
                    .await
                    .with_context(|| format!("creating schema {schema} at {}", redact(url)))?;
                Ok(Fresh::Postgres {
                    store: Arc::new(store),
                })
            }
        }
    }

    /// How the engine is configured, read back from the database where it can be.
    async fn durability(&self) -> anyhow::Result<String> {
        match self.engine {
            Engine::Sqlite => Ok(format!(
                "sqlite: WAL, synchronous=FULL (as SqliteStore::open sets it), files under {}",
                std::env::temp_dir().display()
            )),
            Engine::Postgres => {
                let fresh = self.fresh().await?;
                let result = async {
                    let Fresh::Postgres { store } = &fresh else {
                        bail!("not PostgreSQL")
                    };
                    let setting = async |name: &str| -> anyhow::Result<String> {
                        let sql = format!("SHOW {name}");
                        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                            .fetch_one(store.pool())
                            .await?)
                    };
                    let synchronous_commit = setting("synchronous_commit").await?;
                    let fsync = setting("fsync").await?;
                    ensure!(
                        synchronous_commit == "on" && fsync == "on",
                        "PostgreSQL is not durable here (synchronous_commit={synchronous_commit}, \
                         fsync={fsync}); the bench measures durable writes only"
                    );
                    Ok(format!(
                        "postgres: PostgreSQL {} at {}, synchronous_commit={synchronous_commit}, \
                         fsync={fsync}, wal_sync_method={}, commit_delay={}",
                        setting("server_version").await?,
                        redact(self.pg_url.unwrap_or_default()),
                        setting("wal_sync_method").await?,
                        setting("commit_delay").await?,
                    ))
                }
                .await;
                fresh.remove().await?;
                result
            }
        }
    }

    async fn measure(&self, workload: Workload) -> anyhow::Result<Row> {
        let fresh = self.fresh().await?;
        let stats = Arc::new(BatchStats::default());
        let store = fresh.store();
        let writer = Arc::new(Counting {
            inner: Arc::clone(&store),
            stats: Arc::clone(&stats),
        });
        let result = self.prepared(store, writer, workload, &stats).await;
        let removed = fresh.remove().await;
        let row = result?;
        removed?;
        Ok(row)
    }

    async fn prepared(
        &self,
        store: Arc<dyn Store>,
        writer: Arc<Counting>,
        workload: Workload,
        stats: &BatchStats,
    ) -> anyhow::Result<Row> {
        store.upsert_categories(&self.fixture.categories).await?;
        store.upsert_regions(&self.fixture.regions).await?;
        let workers = self
            .args
            .writers
            .unwrap_or_else(|| store.writer_parallelism());
        let app = App::with_writer(
            Arc::clone(&store),
            Arc::clone(&writer) as Arc<dyn CaseWriter>,
            workers,
            Arc::new(SystemClock),
        );
        let user = app
            .add_user(NewUser {
                name: "bench-intake-clerk".into(),
                role: Role::IntakeClerk,
                region: Some(RegionCode::parse(TOWN)?),
                unit: None,
            })
            .await;
        let (user, token) = match user {
            Ok(user) => user,
            Err(error) => {
                app.shutdown().await;
                return Err(error.into());
            }
        };
        stats.reset();
        let mut row = match workload {
            Workload::Http => self.http(app, &token).await?,
            Workload::OnePerTransaction | Workload::Batched => {
                app.shutdown().await;
                let per_transaction = if workload == Workload::Batched {
                    self.args.batch
                } else {
                    1
                };
                let count = if workload == Workload::Batched {
                    self.args.cases
                } else {
                    self.args.direct_cases
                };
                self.direct(
                    writer.as_ref(),
                    &user.assignments[0].actor(),
                    count,
                    per_transaction,
                )
                .await?
            }
        };
        row.transactions = stats.transactions.load(Ordering::Relaxed);
        row.largest_transaction = stats.largest.load(Ordering::Relaxed);
        row.store_busy = Duration::from_nanos(stats.busy_nanos.load(Ordering::Relaxed));
        let (cases, events) = store.count_cases_and_events().await?;
        ensure!(
            cases == row.cases as u64 && events == cases,
            "{} {}: {cases} cases and {events} events stored, {} expected",
            self.engine.name(),
            row.label,
            row.cases
        );
        Ok(row)
    }

    /// Workload (a): the server in-process, `clients` HTTP clients over loopback.
    async fn http(&self, app: App, token: &str) -> anyhow::Result<Row> {
        let count = self.args.cases;
        let clients = self.args.clients.min(count);
        let app = Arc::new(app);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/api/v1/cases", listener.local_addr()?);
        let region_url = format!("http://{}/api/v1/regions/{TOWN}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = hezhi_web::router(Arc::clone(&app));
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
        });

        let bodies = (0..count)
            .map(|i| serde_json::to_vec(&self.fixture.input(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .timeout(Duration::from_secs(60))
            .build()?;
        let result = async {
            // Before the clock starts: open the keep-alive connections, and the database
            // connections the requests read through (token, region), with a few reads.
            let mut warm = tokio::task::JoinSet::new();
            for _ in 0..clients {
                let (client, region) = (client.clone(), region_url.clone());
                let authorization = format!("Bearer {token}");
                warm.spawn(async move {
                    for _ in 0..2 {
                        client
                            .get(&region)
                            .header("authorization", &authorization)
                            .send()
                            .await?
                            .error_for_status()?;
                    }
                    Ok::<_, reqwest::Error>(())
                });
            }
            while let Some(done) = warm.join_next().await {
                done??;
            }

            let progress = progress(count as u64, &format!("{} (a) HTTP", self.engine.name()));
            let shared = Arc::new(HttpRun {
                client: client.clone(),
                url,
                authorization: format!("Bearer {token}"),
                bodies,
                next: AtomicUsize::new(0),
                key_prefix: format!("bench-{}-", self.fixture.run_tag),
                progress: progress.clone(),
            });
            let start = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..clients {
                tasks.spawn(Arc::clone(&shared).client());
            }
            let mut latencies = Vec::with_capacity(count);
            while let Some(done) = tasks.join_next().await {
                latencies.extend(done??);
            }
            let elapsed = start.elapsed();
            progress.finish();
            Ok::<_, anyhow::Error>((latencies, elapsed))
        }
        .await;
        drop(client);
        let _ = stop.send(());
        match tokio::time::timeout(Duration::from_secs(10), server).await {
            Ok(joined) => joined??,
            Err(_) => tracing::warn!("the bench server did not stop within 10 s"),
        }
        // Every request was answered, so every write is committed; stop the workers.
        if let Ok(app) = Arc::try_unwrap(app) {
            app.shutdown().await;
        }
        let (mut latencies, elapsed) = result?;
        latencies.sort_unstable();
        Ok(Row {
            engine: self.engine,
            workload: Workload::Http,
            label: format!("(a) HTTP POST /api/v1/cases, {clients} clients"),
            cases: count,
            elapsed,
            latencies,
            transactions: 0,
            largest_transaction: 0,
            store_busy: Duration::ZERO,
        })
    }

    /// Workloads (b) and (c): `write_batch` straight on the store, one call at a time.
    async fn direct(
        &self,
        store: &dyn CaseWriter,
        actor: &Actor,
        count: usize,
        per_transaction: usize,
    ) -> anyhow::Result<Row> {
        let mut ops = self.fixture.ops(count, actor)?.into_iter();
        let (tag, label) = if per_transaction == 1 {
            (
                "(b) 1 case/txn",
                "(b) store, 1 case per transaction".to_owned(),
            )
        } else {
            (
                "(c) batched",
                format!("(c) store, {per_transaction} cases per transaction"),
            )
        };
        let progress = progress(count as u64, &format!("{} {tag}", self.engine.name()));
        let mut latencies = Vec::with_capacity(count.div_ceil(per_transaction));
        let start = Instant::now();
        loop {
            let batch: Vec<WriteOp> = ops.by_ref().take(per_transaction).collect();
            if batch.is_empty() {
                break;
            }
            let size = batch.len();
            let began = Instant::now();
            let results = store.write_batch(batch).await?;
            latencies.push(began.elapsed());
            for result in results {
                result?;
            }
            progress.inc(size as u64);
        }
        let elapsed = start.elapsed();
        progress.finish();
        latencies.sort_unstable();
        Ok(Row {
            engine: self.engine,
            workload: if per_transaction == 1 {
                Workload::OnePerTransaction
            } else {
                Workload::Batched
            },
            label,
            cases: count,
            elapsed,
            latencies,
            transactions: 0,
            largest_transaction: 0,
            store_busy: Duration::ZERO,
        })
    }
}

/// What the HTTP clients share.
struct HttpRun {
    client: reqwest::Client,
    url: String,
    authorization: String,
    bodies: Vec<Vec<u8>>,
    next: AtomicUsize,
    key_prefix: String,
    progress: ProgressBar,
}

impl HttpRun {
    /// One client: takes the next case until there is none left, one request at a time.
    async fn client(self: Arc<Self>) -> anyhow::Result<Vec<Duration>> {
        let mut latencies = Vec::new();
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(body) = self.bodies.get(index) else {
                return Ok(latencies);
            };
            let began = Instant::now();
            let response = self
                .client
                .post(&self.url)
                .header("authorization", &self.authorization)
                .header("content-type", "application/json")
                .header("idempotency-key", format!("{}{index}", self.key_prefix))
                .body(body.clone())
                .send()
                .await?;
            let status = response.status();
            let answer = response.bytes().await?;
            latencies.push(began.elapsed());
            if status != reqwest::StatusCode::CREATED {
                bail!(
                    "POST /api/v1/cases answered {status}: {}",
                    String::from_utf8_lossy(&answer)
                );
            }
            self.progress.inc(1);
        }
    }
}

fn progress(len: u64, prefix: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{prefix:<22} [{bar:32}] {pos:>6}/{len:<6} {per_sec:>12} {elapsed_precise}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    ProgressBar::new(len)
        .with_style(style)
        .with_prefix(prefix.to_owned())
}

/// The URL without its password.
pub(crate) fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

// ---- the report -----------------------------------------------------------------------------

fn report(
    args: &BenchArgs,
    rows: &[Row],
    durability: &[String],
    (temp, flush): (&Path, Duration),
    notes: &[String],
) -> String {
    let mut out = String::new();
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let _ = writeln!(out, "## hezhi bench\n");
    let _ = writeln!(
        out,
        "machine: {cpus} CPUs (available_parallelism), {} {}; server, {} clients and the \
         databases share them; release build: {}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        args.clients,
        !cfg!(debug_assertions)
    );
    let flush_ms = flush.as_secs_f64() * 1000.0;
    let _ = writeln!(
        out,
        "disk: fdatasync after a 4 KiB append in {} takes {flush_ms:.3} ms (median of {FLUSH_SAMPLES})",
        temp.display()
    );
    for line in durability {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| engine | workload | cases | seconds | cases/s | p50 ms | p99 ms | txns | cases/txn (max) | in store |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let per_txn = if row.transactions == 0 {
            0.0
        } else {
            row.cases as f64 / row.transactions as f64
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {:.0} | {:.2} | {:.2} | {} | {:.1} ({}) | {:.0}% |",
            row.engine.name(),
            row.label,
            row.cases,
            row.elapsed.as_secs_f64(),
            row.per_second(),
            row.percentile_ms(0.50),
            row.percentile_ms(0.99),
            row.transactions,
            per_txn,
            row.largest_transaction,
            100.0 * row.store_busy.as_secs_f64() / row.elapsed.as_secs_f64().max(1e-9),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Latency is per request for (a) and per transaction for (b) and (c). (a) goes through \
         group commit: concurrent requests share one transaction and one fsync. txns and \
         cases/txn count the transactions the store committed; \"in store\" is the time spent \
         inside them over the wall time, summed over concurrent group-commit workers (up to \
         100% per worker)."
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "ratios (cases/s):");
    let mut engines: Vec<Engine> = rows.iter().map(|r| r.engine).collect();
    engines.dedup();
    for engine in engines {
        let rate = |workload: Workload| {
            rows.iter()
                .find(|r| r.engine == engine && r.workload == workload)
                .map(Row::per_second)
        };
        if let (Some(a), Some(b), Some(c)) = (
            rate(Workload::Http),
            rate(Workload::OnePerTransaction),
            rate(Workload::Batched),
        ) {
            let met = |ok: bool| if ok { "met" } else { "NOT met" };
            let _ = writeln!(
                out,
                "- {}: a/b = {:.2} (target: well above 1, counted as ≥ 2 — {}), a/c = {:.2} (target: at least 0.5 — {})",
                engine.name(),
                a / b,
                met(a / b >= 2.0),
                a / c,
                met(a / c >= 0.5),
            );
        }
    }
    if flush_ms < 0.2 {
        let _ = writeln!(
            out,
            "\nnote: a flush to disk costs only {flush_ms:.3} ms here (a disk cache that \
             acknowledges flushes early, as many virtual machines have), so (b) is bound by \
             the CPU cost of its statements rather than by fsync, and group commit has little \
             to save. On a disk where a flush takes 1 ms or more, (b) is capped near 1000 \
             cases/s while (a) shares each flush among a whole batch (see cases/txn)."
        );
    }
    for note in notes {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

const FLUSH_SAMPLES: usize = 200;

/// The median time to make a small append durable in `dir`: what every commit waits for.
fn flush_latency(dir: &Path) -> anyhow::Result<Duration> {
    use std::io::Write as _;
    let mut file = tempfile::tempfile_in(dir)
        .with_context(|| format!("creating a probe file in {}", dir.display()))?;
    let block = [0x5au8; 4096];
    let mut samples = Vec::with_capacity(FLUSH_SAMPLES);
    for _ in 0..FLUSH_SAMPLES {
        file.write_all(&block)?;
        let began = Instant::now();
        file.sync_data()?;
        samples.push(began.elapsed());
    }
    samples.sort_unstable();
    Ok(samples[FLUSH_SAMPLES / 2])
}

// ---- counting the transactions --------------------------------------------------------------

/// Transactions and their sizes, as the store saw them.
#[derive(Debug, Default)]
struct BatchStats {
    transactions: AtomicU64,
    largest: AtomicU64,
    /// Time spent inside `write_batch`, summed over concurrent calls.
    busy_nanos: AtomicU64,
}

impl BatchStats {
    fn reset(&self) {
        self.transactions.store(0, Ordering::Relaxed);
        self.largest.store(0, Ordering::Relaxed);
        self.busy_nanos.store(0, Ordering::Relaxed);
    }
}

/// A case writer that counts the transactions (`write_batch` calls) going through it, so
/// that the report can show the batch sizes group commit achieves.
struct Counting {
    inner: Arc<dyn Store>,
    stats: Arc<BatchStats>,
}

#[async_trait]
impl CaseWriter for Counting {
    async fn write_batch(&self, ops: Vec<WriteOp>) -> StoreResult<Vec<StoreResult<WriteReceipt>>> {
        self.stats.transactions.fetch_add(1, Ordering::Relaxed);
        self.stats
            .largest
            .fetch_max(ops.len() as u64, Ordering::Relaxed);
        let began = Instant::now();
        let result = self.inner.write_batch(ops).await;
        let nanos = u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.stats.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
        result
    }
    async fn idempotency_record(
        &self,
        user: UserId,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        self.inner.idempotency_record(user, key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_code_seeds_are_distinct() {
        let mut seen: Vec<u64> = (0..100_000).map(|i| distinct(987_654_321_987, i)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 100_000);
    }

    #[test]
    fn the_fixture_has_valid_cases_and_regions() {
        let fixture = Fixture::new().unwrap();
        assert!(fixture.inputs.len() >= 5);
        assert!(fixture.input(12).parse().is_ok());
        assert!(
            fixture
                .regions
                .iter()
                .any(|r| r.level == RegionLevel::Village)
        );
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let row = Row {
            engine: Engine::Sqlite,
            workload: Workload::Http,
            label: String::new(),
            cases: 100,
            elapsed: Duration::from_secs(1),
            latencies: (1..=100).map(Duration::from_millis).collect(),
            transactions: 0,
            largest_transaction: 0,
            store_busy: Duration::ZERO,
        };
        assert!((row.percentile_ms(0.5) - 50.0).abs() < 1e-9);
        assert!((row.percentile_ms(0.99) - 99.0).abs() < 1e-9);
    }
}
