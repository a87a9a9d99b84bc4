//! Settings in one typed struct: defaults, then a TOML file, then `HEZHI_…` environment
//! variables, then command-line flags. Unknown keys in the file are refused.

use anyhow::{Context, bail};
use hezhi_store::AuditHash;
use hezhi_store::{Cipher, MasterKey};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite file and other local state live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite file.
    pub database_url: Option<String>,
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// Log filter, e.g. `info` or `hezhi=debug,info`.
    pub log: String,
    /// The hash function that seals new audit entries; entries sealed before a change keep
    /// their own and still verify.
    pub audit_hash: AuditHash,
    /// How long the audit log is kept, in days; at least [`MIN_AUDIT_RETENTION_DAYS`].
    pub audit_retention_days: u32,
    /// The master key of personal data (base64 of 32 bytes). A secret: never logged. Unset
    /// with SQLite, `DATA_DIR/master.key` is used (and created on first use); PostgreSQL
    /// needs it set.
    pub personal_data_key: Option<String>,
    /// The cipher of new data keys: `aes-256-gcm` (default) or `sm4-gcm`.
    pub personal_data_cipher: String,
}

/// The shortest audit retention accepted: 180 days, as the Cybersecurity Law (art. 21)
/// requires of network logs.
pub const MIN_AUDIT_RETENTION_DAYS: u32 = 180;

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("hezhi-data"),
            database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log: "info".into(),
            audit_hash: AuditHash::Sha256,
            audit_retention_days: 365,
            personal_data_key: None,
            personal_data_cipher: Cipher::default().as_str().into(),
        }
    }
}

impl fmt::Debug for Config {
    // The database URL may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("listen", &self.listen)
            .field("log", &self.log)
            .field("audit_hash", &self.audit_hash)
            .field("audit_retention_days", &self.audit_retention_days)
            .field(
                "personal_data_key",
                &self.personal_data_key.as_ref().map(|_| "<redacted>"),
            )
            .field("personal_data_cipher", &self.personal_data_cipher)
            .finish()
    }
}

/// The commented example printed by `hezhi config example`.
pub const EXAMPLE: &str = r#"# Hezhi configuration. Every key is optional; the values shown are the defaults.
# Precedence: this file < HEZHI_* environment variables < command-line flags.
# Pass the file with `--config FILE` or HEZHI_CONFIG=FILE.

# Where the embedded SQLite database and other local state live (HEZHI_DATA_DIR).
data_dir = "hezhi-data"

# Use PostgreSQL instead of SQLite (HEZHI_DATABASE_URL), e.g.
# database_url = "postgres://hezhi:secret@127.0.0.1:5432/hezhi"

# Address the server listens on (HEZHI_LISTEN).
listen = "127.0.0.1:8080"

# Log filter (HEZHI_LOG), e.g. "info" or "hezhi=debug,info".
log = "info"

# The hash function that seals new audit log entries (HEZHI_AUDIT_HASH): "sha256" or "sm3"
# (GB/T 32905). Every entry records which one sealed it, so changing this later keeps the
# older entries verifiable.
audit_hash = "sha256"

# How many days the audit log is kept (HEZHI_AUDIT_RETENTION_DAYS); at least 180.
audit_retention_days = 365

# Parties' ID numbers, phones and addresses are encrypted at rest. The master key (base64 of
# 32 random bytes, e.g. from `hezhi keys generate`) wraps the keys that encrypt them; keep it
# out of the database and its backups (HEZHI_PERSONAL_DATA_KEY). Unset with SQLite, the key
# in DATA_DIR/master.key is used, created on first start; PostgreSQL needs it set, e.g.
# personal_data_key = "…"

# Cipher of new data keys (HEZHI_PERSONAL_DATA_CIPHER): "aes-256-gcm" or "sm4-gcm" (SM4,
# GB/T 32907). Changing it takes effect with `hezhi keys rotate-data-key`; old keys still read.
personal_data_cipher = "aes-256-gcm"
"#;

impl Config {
    /// Loads the file (if any) and the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid config file {}", path.display()))?
            }
            None => Config::default(),
        };
        if let Some(dir) = env("HEZHI_DATA_DIR") {
            config.data_dir = PathBuf::from(dir);
        }
        if let Some(url) = env("HEZHI_DATABASE_URL") {
            config.database_url = Some(url);
        }
        if let Some(listen) = env("HEZHI_LISTEN") {
            config.listen = listen
                .parse()
                .with_context(|| format!("HEZHI_LISTEN={listen}"))?;
        }
        if let Some(log) = env("HEZHI_LOG") {
            config.log = log;
        }
        if let Some(hash) = env("HEZHI_AUDIT_HASH") {
            config.audit_hash = AuditHash::parse(&hash)
                .with_context(|| format!("HEZHI_AUDIT_HASH={hash}: use sha256 or sm3"))?;
        }
        if let Some(days) = env("HEZHI_AUDIT_RETENTION_DAYS") {
            config.audit_retention_days = days
                .parse()
                .with_context(|| format!("HEZHI_AUDIT_RETENTION_DAYS={days}"))?;
        }
        if let Some(key) = env("HEZHI_PERSONAL_DATA_KEY") {
            config.personal_data_key = Some(key);
        }
        if let Some(cipher) = env("HEZHI_PERSONAL_DATA_CIPHER") {
            config.personal_data_cipher = cipher;
        }
        config.check()?;
        Ok(config)
    }

    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            bail!("database_url must start with postgres:// (leave it unset for SQLite)");
        }
        if self.audit_retention_days < MIN_AUDIT_RETENTION_DAYS {
            bail!(
                "audit_retention_days = {}: the audit log must be kept at least {MIN_AUDIT_RETENTION_DAYS} days",
                self.audit_retention_days
            );
        }
        self.cipher()?;
        if let Some(key) = &self.personal_data_key {
            MasterKey::from_base64(key).context("personal_data_key")?;
        }
        Ok(())
    }

    pub fn cipher(&self) -> anyhow::Result<Cipher> {
        Cipher::parse(&self.personal_data_cipher).context("personal_data_cipher")
    }

    /// Where the master key lives when none is configured (SQLite only).
    pub fn master_key_path(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("hezhi.db")
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let parsed: Config = toml::from_str(EXAMPLE).expect("example parses");
        let default = Config::default();
        assert_eq!(parsed.data_dir, default.data_dir);
        assert_eq!(parsed.listen, default.listen);
        assert_eq!(parsed.database_url, None);
        assert_eq!(parsed.log, default.log);
        assert_eq!(parsed.audit_hash, default.audit_hash);
        assert_eq!(parsed.audit_retention_days, default.audit_retention_days);
        assert_eq!(parsed.personal_data_key, None);
        assert_eq!(parsed.personal_data_cipher, default.personal_data_cipher);
        assert_eq!(parsed.cipher().expect("cipher"), Cipher::Aes256Gcm);
    }

    #[test]
    fn sm3_is_chosen_by_name_and_unknown_functions_are_refused() {
        let sm3: Config = toml::from_str("audit_hash = \"sm3\"").expect("sm3");
        assert_eq!(sm3.audit_hash, AuditHash::Sm3);
        assert!(toml::from_str::<Config>("audit_hash = \"md5\"").is_err());
    }

    #[test]
    fn an_audit_retention_under_180_days_is_refused() {
        let short: Config = toml::from_str("audit_retention_days = 179").expect("parses");
        let error = short.check().expect_err("refused");
        assert!(error.to_string().contains("at least 180 days"), "{error}");
        let enough: Config = toml::from_str("audit_retention_days = 180").expect("parses");
        assert!(enough.check().is_ok());
    }

    #[test]
    fn a_bad_cipher_or_master_key_is_refused() {
        let sm4: Config = toml::from_str("personal_data_cipher = \"sm4-gcm\"").expect("parses");
        assert_eq!(sm4.cipher().expect("cipher"), Cipher::Sm4Gcm);
        let des: Config = toml::from_str("personal_data_cipher = \"des\"").expect("parses");
        assert!(des.check().is_err());
        let short: Config = toml::from_str("personal_data_key = \"c2hvcnQ=\"").expect("parses");
        assert!(short.check().is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("data_dri = \"x\"").is_err());
    }

    #[test]
    fn debug_output_hides_the_database_url_and_the_master_key() {
        let config = Config {
            database_url: Some("postgres://u:secret@h/db".into()),
            personal_data_key: Some("c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy0hISE=".into()),
            ..Config::default()
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("secret"));
        assert!(!debug.contains("c2VjcmV0"));
    }
}
