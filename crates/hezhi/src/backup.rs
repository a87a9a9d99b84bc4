//! `hezhi backup DEST` and `hezhi restore SOURCE`.
//!
//! A backup is a directory: the database copy (SQLite: `hezhi.db`, a consistent snapshot
//! taken with `VACUUM INTO` while the server goes on writing; PostgreSQL: `hezhi.pgdump`, a
//! `pg_dump` custom-format archive of one exported snapshot), the operator's holiday file when
//! there is one, and `manifest.json`: what was copied, each file's size and SHA-256, the
//! schema, and the cases, events and audit entries the copy holds, counted in the same
//! snapshot. The master key of personal data is never put in a backup.
//!
//! A restore goes into an empty data directory (SQLite) or an empty database (PostgreSQL). It
//! checks every file against the manifest, opens the copy with the master key (migrating an
//! older schema), verifies every audit chain and compares the counts with the manifest; on
//! SQLite the copy takes its place only once all of that passed.

use crate::backend;
use crate::bench::hex;
use crate::config::Config;
use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use hezhi_app::{Clock as _, SystemClock};
use hezhi_store::audit::{VERIFY_PAGE, verify_log};
use hezhi_store::{PersonalDataKeys, Store};
use hezhi_store_sqlite::SqliteStore;
use hezhi_store_sqlite::backup::{FileFacts, backup_file, file_facts};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read as _;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The directory to write the backup to: new, or empty.
    dest: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A directory written by `hezhi backup`.
    source: PathBuf,
}

/// The manifest's file name in a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// The layout of backups this release writes and reads.
const FORMAT: u32 = 1;
/// The SQLite copy's name, in the backup and in the data directory.
const SQLITE_FILE: &str = "hezhi.db";
/// The PostgreSQL archive's name in the backup.
const PG_DUMP_FILE: &str = "hezhi.pgdump";
/// The operator's holiday calendar, copied along when present.
const HOLIDAYS_FILE: &str = "china-holidays.csv";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BackedUpFile {
    name: String,
    bytes: u64,
    sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    engine: Engine,
    made_at: DateTime<Utc>,
    /// The release that wrote it.
    hezhi_version: String,
    /// The last migration applied to the copy.
    schema: String,
    cases: u64,
    events: u64,
    audit_entries: u64,
    files: Vec<BackedUpFile>,
}

pub async fn backup(config: &Config, args: &BackupArgs) -> anyhow::Result<()> {
    prepare_dest(&args.dest)?;
    let (engine, facts, mut files) = match &config.database_url {
        None => {
            let source = config.sqlite_path();
            ensure!(
                source.is_file(),
                "there is no database at {} to back up",
                source.display()
            );
            let copy = args.dest.join(SQLITE_FILE);
            eprintln!(
                "copying {} (the server may go on writing)…",
                source.display()
            );
            let facts = backup_file(&source, &copy)
                .await
                .with_context(|| format!("backing up {}", source.display()))?;
            (Engine::Sqlite, facts, vec![SQLITE_FILE.to_owned()])
        }
        Some(url) => {
            let facts = pg::dump(url, &args.dest.join(PG_DUMP_FILE)).await?;
            (Engine::Postgres, facts, vec![PG_DUMP_FILE.to_owned()])
        }
    };
    let holidays = config.data_dir.join(HOLIDAYS_FILE);
    if holidays.is_file() {
        std::fs::copy(&holidays, args.dest.join(HOLIDAYS_FILE))
            .with_context(|| format!("copying {}", holidays.display()))?;
        files.push(HOLIDAYS_FILE.to_owned());
    }
    let files = files
        .iter()
        .map(|name| describe_file(&args.dest, name))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifest = Manifest {
        format: FORMAT,
        engine,
        made_at: SystemClock.now(),
        hezhi_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema: facts.schema,
        cases: facts.cases,
        events: facts.events,
        audit_entries: facts.audit_entries,
        files,
    };
    write_synced(
        &args.dest.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    sync_dir(&args.dest)?;
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "backed up {} cases, {} events and {} audit entries (schema {}) to {}: {} files, {bytes} bytes",
        manifest.cases,
        manifest.events,
        manifest.audit_entries,
        manifest.schema,
        args.dest.display(),
        manifest.files.len() + 1,
    );
    println!(
        "the master key of personal data is not in the backup: keep {} apart from it",
        match &config.personal_data_key {
            Some(_) => "personal_data_key".to_owned(),
            None => config.master_key_path().display().to_string(),
        }
    );
    Ok(())
}

pub async fn restore(config: &Config, args: &RestoreArgs) -> anyhow::Result<()> {
    let manifest = read_manifest(&args.source)?;
    for file in &manifest.files {
        let found = describe_file(&args.source, &file.name)?;
        ensure!(
            &found == file,
            "{} does not match the manifest (expected {} bytes, SHA-256 {}; found {} bytes, \
             SHA-256 {}): the backup is damaged",
            args.source.join(&file.name).display(),
            file.bytes,
            file.sha256,
            found.bytes,
            found.sha256
        );
    }
    let expected = FileFacts {
        schema: manifest.schema.clone(),
        cases: manifest.cases,
        events: manifest.events,
        audit_entries: manifest.audit_entries,
    };
    match (&manifest.engine, &config.database_url) {
        (Engine::Sqlite, None) => restore_sqlite(config, &args.source, &manifest, &expected).await,
        (Engine::Postgres, Some(url)) => {
            pg::restore(url, &args.source.join(PG_DUMP_FILE)).await?;
            let store = backend::open(config).await?;
            check_restored(store.as_ref(), &expected).await.context(
                "the archive was restored, but the database does not match the backup: drop it \
                 before trying again",
            )?;
            println!(
                "restored {} cases, {} events and {} audit entries into PostgreSQL; every audit \
                 chain verifies",
                expected.cases, expected.events, expected.audit_entries
            );
            Ok(())
        }
        (Engine::Sqlite, Some(_)) => bail!(
            "this is a backup of SQLite; restore it without --database-url (into a data \
             directory)"
        ),
        (Engine::Postgres, None) => bail!(
            "this is a backup of PostgreSQL; restore it with --database-url of an empty database"
        ),
    }
}

async fn restore_sqlite(
    config: &Config,
    source: &Path,
    manifest: &Manifest,
    expected: &FileFacts,
) -> anyhow::Result<()> {
    let target = config.sqlite_path();
    for path in [
        target.clone(),
        with_suffix(&target, "-wal"),
        with_suffix(&target, "-journal"),
    ] {
        ensure!(
            !path.exists(),
            "{} exists: restore into an empty data directory (move the old one aside first)",
            path.display()
        );
    }
    let keys = existing_keys(config)?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let staging = with_suffix(&target, ".restoring");
    for leftover in [
        staging.clone(),
        with_suffix(&staging, "-wal"),
        with_suffix(&staging, "-shm"),
    ] {
        let _ = std::fs::remove_file(leftover);
    }
    std::fs::copy(source.join(SQLITE_FILE), &staging)
        .with_context(|| format!("copying into {}", staging.display()))?;
    let checked = async {
        file_facts(&staging).await?;
        let store = SqliteStore::open(&staging, &keys)
            .await
            .context("opening the copy with the master key")?;
        let result = check_restored(&store, expected).await;
        store.close().await;
        result
    }
    .await;
    if let Err(error) = checked {
        for path in [
            staging.clone(),
            with_suffix(&staging, "-wal"),
            with_suffix(&staging, "-shm"),
        ] {
            let _ = std::fs::remove_file(path);
        }
        return Err(error.context("nothing was restored"));
    }
    // The store checkpointed and closed the copy: no WAL is left beside it.
    std::fs::rename(&staging, &target)
        .with_context(|| format!("moving the copy to {}", target.display()))?;
    let holidays = config.data_dir.join(HOLIDAYS_FILE);
    if manifest.files.iter().any(|f| f.name == HOLIDAYS_FILE) && !holidays.exists() {
        std::fs::copy(source.join(HOLIDAYS_FILE), &holidays)
            .with_context(|| format!("copying {}", holidays.display()))?;
    }
    sync_dir(&config.data_dir)?;
    println!(
        "restored {} cases, {} events and {} audit entries into {}; every audit chain verifies",
        expected.cases,
        expected.events,
        expected.audit_entries,
        target.display()
    );
    Ok(())
}

/// Verifies every audit chain of the restored store and compares its counts with the
/// manifest's.
async fn check_restored(store: &dyn Store, expected: &FileFacts) -> anyhow::Result<()> {
    let reports = verify_log(store, VERIFY_PAGE, &mut |_| {}).await?;
    if let Some(finding) = reports.iter().find_map(|r| r.finding.as_ref()) {
        bail!("the restored audit log does not verify: {finding}");
    }
    let entries: u64 = reports.iter().map(|r| r.entries).sum();
    let (cases, events) = store.count_cases_and_events().await?;
    ensure!(
        (cases, events, entries) == (expected.cases, expected.events, expected.audit_entries),
        "the restored copy holds {cases} cases, {events} events and {entries} audit entries; \
         the backup's manifest says {}, {} and {}",
        expected.cases,
        expected.events,
        expected.audit_entries
    );
    Ok(())
}

/// The keys of personal data of a restore: the configured master key or the data
/// directory's key file, which must be there already (a restore never makes a new key).
fn existing_keys(config: &Config) -> anyhow::Result<PersonalDataKeys> {
    let master = match &config.personal_data_key {
        Some(key) => hezhi_store::MasterKey::from_base64(key).context("personal_data_key")?,
        None => {
            let path = config.master_key_path();
            ensure!(
                path.is_file(),
                "a restore needs the master key of personal data the backup was made under: \
                 put its key file at {} first (or set personal_data_key)",
                path.display()
            );
            backend::read_master_key(&path)?
        }
    };
    Ok(PersonalDataKeys::new(master, config.cipher()?))
}

fn prepare_dest(dest: &Path) -> anyhow::Result<()> {
    if dest.exists() {
        let mut entries =
            std::fs::read_dir(dest).with_context(|| format!("cannot read {}", dest.display()))?;
        ensure!(
            entries.next().is_none(),
            "{} is not empty: back up into a new or empty directory",
            dest.display()
        );
    } else {
        std::fs::create_dir_all(dest)
            .with_context(|| format!("cannot create {}", dest.display()))?;
    }
    Ok(())
}

fn read_manifest(source: &Path) -> anyhow::Result<Manifest> {
    let path = source.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a backup: cannot read {}",
            source.display(),
            path.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a manifest this release reads", path.display()))?;
    ensure!(
        manifest.format == FORMAT,
        "{} is in backup format {}; this release reads format {FORMAT}",
        path.display(),
        manifest.format
    );
    for file in &manifest.files {
        ensure!(
            !file.name.contains(['/', '\\']) && !file.name.starts_with('.'),
            "{} names a file outside the backup: {}",
            path.display(),
            file.name
        );
    }
    Ok(manifest)
}

/// The size and SHA-256 of the backup's file `name`.
fn describe_file(dir: &Path, name: &str) -> anyhow::Result<BackedUpFile> {
    let path = dir.join(name);
    let mut file =
        std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok(BackedUpFile {
        name: name.to_owned(),
        bytes,
        sha256: hex(&hasher.finalize()),
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

/// PostgreSQL: `pg_dump` of one exported snapshot, and `pg_restore` into an empty database.
mod pg {
    use super::FileFacts;
    use anyhow::{Context, bail, ensure};
    use sqlx::{Connection, PgConnection};
    use std::path::Path;
    use std::process::Command;

    /// Dumps the database at `url` into `file` with `pg_dump`, from a snapshot this
    /// connection exports and counts in, so that the counts are those of the archive.
    pub async fn dump(url: &str, file: &Path) -> anyhow::Result<FileFacts> {
        let mut conn = PgConnection::connect(url)
            .await
            .context("cannot connect to PostgreSQL")?;
        sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut conn)
            .await?;
        let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut conn)
            .await?;
        let schema: Option<String> = sqlx::query_scalar("SELECT max(name) FROM schema_migrations")
            .fetch_one(&mut conn)
            .await
            .context("the database has no Hezhi schema")?;
        let (cases, events, audit_entries): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events),
                    (SELECT count(*) FROM audit_log)",
        )
        .fetch_one(&mut conn)
        .await?;
        eprintln!("dumping with pg_dump (the server may go on writing)…");
        let output = Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg(format!("--snapshot={snapshot}"))
            .arg("--file")
            .arg(file)
            .arg("--dbname")
            .arg(url)
            .output();
        let output = match output {
            Ok(output) => output,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
                "pg_dump is not on the PATH: install the PostgreSQL client of the server's \
                 version (Debian: postgresql-client), or follow docs/operations.md"
            ),
            Err(error) => return Err(error).context("cannot run pg_dump"),
        };
        sqlx::raw_sql("COMMIT").execute(&mut conn).await?;
        conn.close().await?;
        ensure!(
            output.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        std::fs::File::open(file)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", file.display()))?;
        Ok(FileFacts {
            schema: schema.unwrap_or_default(),
            cases: cases.unsigned_abs(),
            events: events.unsigned_abs(),
            audit_entries: audit_entries.unsigned_abs(),
        })
    }

    /// Restores `file` into the database at `url`, which must not hold a Hezhi schema, in one
    /// transaction.
    pub async fn restore(url: &str, file: &Path) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(url)
            .await
            .context("cannot connect to PostgreSQL")?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('schema_migrations')::text")
                .fetch_one(&mut conn)
                .await?;
        conn.close().await?;
        ensure!(
            existing.is_none(),
            "the database already holds a Hezhi schema: restore into an empty database \
             (createdb a new one)"
        );
        let output = Command::new("pg_restore")
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg("--exit-on-error")
            .arg("--single-transaction")
            .arg("--dbname")
            .arg(url)
            .arg(file)
            .output();
        let output = match output {
            Ok(output) => output,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
                "pg_restore is not on the PATH: install the PostgreSQL client of the server's \
                 version (Debian: postgresql-client)"
            ),
            Err(error) => return Err(error).context("cannot run pg_restore"),
        };
        ensure!(
            output.status.success(),
            "pg_restore failed, and restored nothing: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Ok(())
    }
}
