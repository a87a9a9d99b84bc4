//! Choosing the storage backend, once, for every subcommand.

use crate::config::Config;
use anyhow::{Context, bail};
use hezhi_domain::{CaseKind, CategoryCode};
use hezhi_store::{Category, CryptoError, MasterKey, PersonalDataKeys, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The categories shipped with the binary (`data/categories.csv`).
const CATEGORIES_CSV: &str = include_str!("../../../data/categories.csv");

/// Where the master key of personal data came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// `personal_data_key` in the config file or `HEZHI_PERSONAL_DATA_KEY`.
    Configured,
    /// The key file of the data directory (SQLite without a configured key).
    File(PathBuf),
}

impl std::fmt::Display for MasterKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MasterKeySource::Configured => f.write_str("personal_data_key"),
            MasterKeySource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Opens the configured database (creating the SQLite file on first use), applies
/// migrations, opens the personal-data keys and loads the shipped categories.
pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(open_with_key_source(config).await?.0)
}

/// Like [`open`], also saying where the master key came from.
pub async fn open_with_key_source(
    config: &Config,
) -> anyhow::Result<(Arc<dyn Store>, MasterKeySource)> {
    let cipher = config.cipher()?;
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    let (master, source, created) = master_key(config)?;
    let keys = PersonalDataKeys::new(master, cipher);
    let opened: Result<Arc<dyn Store>, StoreError> = match &config.database_url {
        Some(url) => hezhi_store_postgres::PostgresStore::connect_with_pool(
            url,
            &keys,
            config.database_max_connections,
        )
        .await
        .map(|s| Arc::new(s.with_audit_hash(config.audit_hash)) as Arc<dyn Store>),
        None => hezhi_store_sqlite::SqliteStore::open(&config.sqlite_path(), &keys)
            .await
            .map(|s| Arc::new(s.with_audit_hash(config.audit_hash)) as Arc<dyn Store>),
    };
    let store = match opened {
        Ok(store) => store,
        Err(StoreError::Keys(CryptoError::WrongMasterKey)) => {
            if created && let MasterKeySource::File(path) = &source {
                // A key made just now cannot be the one the database was encrypted under:
                // remove it again so that restoring the right one is all that is needed.
                let _ = std::fs::remove_file(path);
                bail!(
                    "{} holds personal data encrypted under a master key, but {} is missing: \
                     restore it from your backup, or set personal_data_key",
                    describe(config),
                    path.display()
                );
            }
            bail!(
                "the master key from {source} does not open the personal-data keys stored in {}: \
                 it is the wrong key (after `hezhi keys rewrap`, configure the new one)",
                describe(config)
            );
        }
        Err(error) => {
            return Err(anyhow::Error::new(error))
                .with_context(|| format!("cannot open {}", describe(config)));
        }
    };
    store.upsert_categories(&shipped_categories()?).await?;
    Ok((store, source))
}

/// The master key: configured, or (SQLite only) read from the data directory's key file,
/// which is created with a new random key on first use. The flag says it was just created.
fn master_key(config: &Config) -> anyhow::Result<(MasterKey, MasterKeySource, bool)> {
    if let Some(key) = &config.personal_data_key {
        let key = MasterKey::from_base64(key).context("personal_data_key")?;
        return Ok((key, MasterKeySource::Configured, false));
    }
    if config.database_url.is_some() {
        bail!(
            "PostgreSQL needs personal_data_key (or HEZHI_PERSONAL_DATA_KEY): the master key \
             that encrypts parties' personal data, base64 of 32 random bytes. `hezhi keys \
             generate` prints a new one; keep it apart from the database and its backups"
        );
    }
    let path = config.master_key_path();
    let source = MasterKeySource::File(path.clone());
    let key = MasterKey::generate()?;
    match write_secret_file(&path, &key, false) {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "created the master key of personal data: back it up apart from the database; \
                 without it the parties' ID numbers, phones and addresses cannot be read"
            );
            Ok((key, source, true))
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok((read_master_key(&path)?, source, false))
        }
        Err(error) => Err(error).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Reads a master key file, warning when others than its owner may read it.
pub fn read_master_key(path: &Path) -> anyhow::Result<MasterKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    #[cfg(unix)]
    if let Ok(metadata) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the master key file is readable by others: chmod 600 it");
        }
    }
    MasterKey::from_base64(&text).with_context(|| format!("{} holds no master key", path.display()))
}

/// Writes `key` to `path`, readable by its owner only. Refuses to replace an existing file
/// unless `replace`, in which case it is replaced whole (written aside, then renamed).
pub fn write_secret_file(path: &Path, key: &MasterKey, replace: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let target = if replace {
        path.with_extension("key.new")
    } else {
        path.to_owned()
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&target)?;
    file.write_all(format!("{}\n", key.to_base64().as_str()).as_bytes())?;
    file.sync_all()?;
    if replace {
        std::fs::rename(&target, path)?;
    }
    Ok(())
}

/// A short description of where the data is, for messages to the operator.
pub fn describe(config: &Config) -> String {
    match &config.database_url {
        Some(_) => "PostgreSQL (database_url)".into(),
        None => format!("SQLite {}", config.sqlite_path().display()),
    }
}

pub fn shipped_categories() -> anyhow::Result<Vec<Category>> {
    let mut reader = csv::Reader::from_reader(CATEGORIES_CSV.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record?;
            let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
            Ok(Category {
                kind: hezhi_app::input::parse_enum::<CaseKind>("kind", &field(0))?,
                code: CategoryCode::parse(&field(1))?,
                name_zh: field(2),
                name_en: field(3),
            })
        })
        .collect()
}
