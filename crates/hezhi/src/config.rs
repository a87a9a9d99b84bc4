//! Settings in one typed struct: defaults, then a TOML file, then `HEZHI_…` environment
//! variables, then command-line flags. Unknown keys in the file are refused.

use anyhow::{Context, bail};
use hezhi_app::{LogSmsSender, SignInPolicy, SmsSender};
use hezhi_domain::RegionCode;
use hezhi_store::AuditHash;
use hezhi_store::{Cipher, MasterKey};
use hezhi_web::{Limits, WebSettings};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// The address people reach the server at, e.g. `https://hezhi.example.gov.cn`. When it
    /// starts with `https://`, session cookies are marked `Secure`.
    pub public_url: Option<String>,
    /// A reverse proxy in front sets `X-Forwarded-Proto` and `X-Forwarded-For`: believe them
    /// (for `Secure` cookies and for counting failed sign-ins per client address).
    pub trust_proxy_headers: bool,
    /// Minutes a session may go unused before it ends.
    pub session_idle_minutes: u32,
    /// Hours after sign-in at which a session ends, however busy.
    pub session_absolute_hours: u32,
    /// Require a TOTP code of every staff member, not only of administrators and auditors.
    pub totp_required_for_all_staff: bool,
    /// The region the bootstrap administrators are bound to. Unset: the demo's province when
    /// `serve --demo` fills a new database, else the first province in the database (on an
    /// empty database the shipped provinces are stored first, so it is 11 北京市).
    pub bootstrap_region: Option<String>,
    /// How residents' sign-in codes are sent: `log` (the only sender so far) writes each
    /// message to the log instead of sending it. See [`Config::sms_sender`] for adding one.
    pub sms_sender: String,
    /// The largest JSON request body or form without files, in KiB.
    pub max_json_body_kib: u32,
    /// The largest file upload request, in KiB (a form may carry up to four files).
    pub max_upload_kib: u32,
    /// Seconds a request may take before it is answered 503 (exports excepted).
    pub request_timeout_seconds: u32,
    /// Seconds a client has to send a request's headers before its connection is closed.
    pub header_timeout_seconds: u32,
    /// Sign-in attempts (and code requests, tracking lookups) per client address a minute.
    pub sign_in_per_minute: u32,
    /// Case reports and uploads per client address a minute.
    pub submissions_per_minute: u32,
    /// PostgreSQL connections this process may open at most.
    pub database_max_connections: u32,
}

/// Bytes as whole KiB (rounded up).
fn kib(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
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
            public_url: None,
            trust_proxy_headers: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            totp_required_for_all_staff: false,
            bootstrap_region: None,
            sms_sender: "log".into(),
            max_json_body_kib: kib(Limits::default().json_body),
            max_upload_kib: kib(Limits::default().upload_body),
            request_timeout_seconds: 30,
            header_timeout_seconds: 10,
            sign_in_per_minute: Limits::default().sign_in_per_minute,
            submissions_per_minute: Limits::default().submissions_per_minute,
            database_max_connections: hezhi_store_postgres::MAX_CONNECTIONS,
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
            .field("public_url", &self.public_url)
            .field("trust_proxy_headers", &self.trust_proxy_headers)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field(
                "totp_required_for_all_staff",
                &self.totp_required_for_all_staff,
            )
            .field("bootstrap_region", &self.bootstrap_region)
            .field("sms_sender", &self.sms_sender)
            .field("max_json_body_kib", &self.max_json_body_kib)
            .field("max_upload_kib", &self.max_upload_kib)
            .field("request_timeout_seconds", &self.request_timeout_seconds)
            .field("header_timeout_seconds", &self.header_timeout_seconds)
            .field("sign_in_per_minute", &self.sign_in_per_minute)
            .field("submissions_per_minute", &self.submissions_per_minute)
            .field("database_max_connections", &self.database_max_connections)
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

# --- Sign-in ---

# The address people reach the server at (HEZHI_PUBLIC_URL). When it starts with https://,
# session cookies are marked Secure. E.g.
# public_url = "https://hezhi.example.gov.cn"

# A reverse proxy in front sets X-Forwarded-Proto and X-Forwarded-For; believe them
# (HEZHI_TRUST_PROXY_HEADERS). Leave false when clients connect directly: they could
# send these headers themselves.
trust_proxy_headers = false

# A session ends after this many minutes unused (HEZHI_SESSION_IDLE_MINUTES) ...
session_idle_minutes = 30
# ... and this many hours after sign-in, however busy (HEZHI_SESSION_ABSOLUTE_HOURS).
session_absolute_hours = 12

# Administrators and auditors always need a TOTP code; this requires it of all staff
# (HEZHI_TOTP_REQUIRED_FOR_ALL_STAFF).
totp_required_for_all_staff = false

# When the database has no users, `hezhi serve` and `hezhi migrate` create the
# administrators sysadmin, secadmin and auditor, bound to this region, and print their
# passwords once (HEZHI_BOOTSTRAP_REGION). Unset: the demo's province with `serve --demo`,
# else the first province in the database.
# bootstrap_region = "37"

# --- Residents ---

# Residents sign in with their phone and a one-time code sent by SMS (HEZHI_SMS_SENDER).
# "log", the only sender so far, writes each message (code included, phone masked) to the log
# instead of sending it: for a laptop or a demo, where staff read the code out; not for the
# public.
sms_sender = "log"

# --- Limits that protect the server ---

# The largest JSON request body, or form without files, in KiB (HEZHI_MAX_JSON_BODY_KIB).
max_json_body_kib = 256
# The largest file upload request, in KiB (HEZHI_MAX_UPLOAD_KIB); at most 10304: files over
# 10 MiB are refused whatever this says. A form may carry four files.
max_upload_kib = 10304
# A request taking longer is answered 503 request_timeout (HEZHI_REQUEST_TIMEOUT_SECONDS).
# Exports are exempt. A write that timed out may still commit: retry with the same
# Idempotency-Key.
request_timeout_seconds = 30
# A client that has not sent a request's headers in this many seconds is disconnected
# (HEZHI_HEADER_TIMEOUT_SECONDS): slow clients cannot hold connections for ever.
header_timeout_seconds = 10
# Per client address and minute, with bursts up to the same number; more gets 429 with
# Retry-After. Sign-in attempts, sign-in code requests and tracking-code lookups
# (HEZHI_SIGN_IN_PER_MINUTE) ...
sign_in_per_minute = 20
# ... and case reports and uploads (HEZHI_SUBMISSIONS_PER_MINUTE). Behind a proxy, set
# trust_proxy_headers, or every client shares the proxy's address.
submissions_per_minute = 120
# PostgreSQL connections this process opens at most (HEZHI_DATABASE_MAX_CONNECTIONS);
# requests wait up to 30 s for one. Keep the sum over processes under the server's
# max_connections.
database_max_connections = 16
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
        if let Some(url) = env("HEZHI_PUBLIC_URL") {
            config.public_url = Some(url);
        }
        if let Some(flag) = env("HEZHI_TRUST_PROXY_HEADERS") {
            config.trust_proxy_headers = parse_env("HEZHI_TRUST_PROXY_HEADERS", &flag)?;
        }
        if let Some(minutes) = env("HEZHI_SESSION_IDLE_MINUTES") {
            config.session_idle_minutes = parse_env("HEZHI_SESSION_IDLE_MINUTES", &minutes)?;
        }
        if let Some(hours) = env("HEZHI_SESSION_ABSOLUTE_HOURS") {
            config.session_absolute_hours = parse_env("HEZHI_SESSION_ABSOLUTE_HOURS", &hours)?;
        }
        if let Some(flag) = env("HEZHI_TOTP_REQUIRED_FOR_ALL_STAFF") {
            config.totp_required_for_all_staff =
                parse_env("HEZHI_TOTP_REQUIRED_FOR_ALL_STAFF", &flag)?;
        }
        if let Some(region) = env("HEZHI_BOOTSTRAP_REGION") {
            config.bootstrap_region = Some(region);
        }
        if let Some(sender) = env("HEZHI_SMS_SENDER") {
            config.sms_sender = sender;
        }
        for (name, field) in [
            ("HEZHI_MAX_JSON_BODY_KIB", &mut config.max_json_body_kib),
            ("HEZHI_MAX_UPLOAD_KIB", &mut config.max_upload_kib),
            (
                "HEZHI_REQUEST_TIMEOUT_SECONDS",
                &mut config.request_timeout_seconds,
            ),
            (
                "HEZHI_HEADER_TIMEOUT_SECONDS",
                &mut config.header_timeout_seconds,
            ),
            ("HEZHI_SIGN_IN_PER_MINUTE", &mut config.sign_in_per_minute),
            (
                "HEZHI_SUBMISSIONS_PER_MINUTE",
                &mut config.submissions_per_minute,
            ),
            (
                "HEZHI_DATABASE_MAX_CONNECTIONS",
                &mut config.database_max_connections,
            ),
        ] {
            if let Some(value) = env(name) {
                *field = parse_env(name, &value)?;
            }
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
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            bail!("public_url must start with https:// or http://");
        }
        if self.session_idle_minutes == 0 || self.session_absolute_hours == 0 {
            bail!("session_idle_minutes and session_absolute_hours must be at least 1");
        }
        if u64::from(self.session_idle_minutes) > u64::from(self.session_absolute_hours) * 60 {
            bail!("session_idle_minutes is longer than session_absolute_hours");
        }
        if let Some(region) = &self.bootstrap_region {
            RegionCode::parse(region)
                .with_context(|| format!("bootstrap_region `{region}` is not a region code"))?;
        }
        self.sms_sender()?;
        for (name, value, range) in [
            ("max_json_body_kib", self.max_json_body_kib, 1..=65_536),
            (
                "max_upload_kib",
                self.max_upload_kib,
                1..=kib(Limits::default().upload_body),
            ),
            (
                "request_timeout_seconds",
                self.request_timeout_seconds,
                1..=3600,
            ),
            (
                "header_timeout_seconds",
                self.header_timeout_seconds,
                1..=300,
            ),
            ("sign_in_per_minute", self.sign_in_per_minute, 1..=100_000),
            (
                "submissions_per_minute",
                self.submissions_per_minute,
                1..=100_000,
            ),
            (
                "database_max_connections",
                self.database_max_connections,
                2..=1000,
            ),
        ] {
            if !range.contains(&value) {
                bail!(
                    "{name} = {value}: it must be from {} to {}",
                    range.start(),
                    range.end()
                );
            }
        }
        Ok(())
    }

    /// The limits the web server runs with.
    pub fn limits(&self) -> Limits {
        Limits {
            json_body: self.max_json_body_kib as usize * 1024,
            upload_body: self.max_upload_kib as usize * 1024,
            request_timeout: std::time::Duration::from_secs(u64::from(
                self.request_timeout_seconds,
            )),
            sign_in_per_minute: self.sign_in_per_minute,
            submissions_per_minute: self.submissions_per_minute,
        }
    }

    /// The sender of residents' sign-in codes. Another gateway plugs in here: a type
    /// implementing `hezhi_app::SmsSender` (its settings added to this struct) and a name
    /// for it below.
    pub fn sms_sender(&self) -> anyhow::Result<Arc<dyn SmsSender>> {
        match self.sms_sender.as_str() {
            "log" => Ok(Arc::new(LogSmsSender)),
            other => bail!("sms_sender = \"{other}\": the only sender is \"log\""),
        }
    }

    pub fn cipher(&self) -> anyhow::Result<Cipher> {
        Cipher::parse(&self.personal_data_cipher).context("personal_data_cipher")
    }

    /// Where the master key lives when none is configured (SQLite only).
    pub fn master_key_path(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    /// The holiday calendar: `DATA_DIR/china-holidays.csv` when the operator has put one there
    /// (to add a year whose notice came out after this release), else the shipped one. A file
    /// that does not read stops the server with the line at fault.
    pub fn working_calendar(&self) -> anyhow::Result<hezhi_domain::WorkingCalendar> {
        let path = self.data_dir.join("china-holidays.csv");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return hezhi_domain::WorkingCalendar::parse(&text)
                .with_context(|| format!("holiday calendar {}", path.display()));
        }
        Ok(hezhi_domain::WorkingCalendar::china()?)
    }

    /// Sessions and second factors, as configured.
    pub fn sign_in_policy(&self) -> SignInPolicy {
        SignInPolicy {
            idle_timeout: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            absolute_timeout: chrono::Duration::hours(i64::from(self.session_absolute_hours)),
            totp_required_for_all_staff: self.totp_required_for_all_staff,
            ..SignInPolicy::default()
        }
    }

    /// How the HTTP layer is reached.
    pub fn web_settings(&self) -> WebSettings {
        WebSettings {
            public_https: self
                .public_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https://")),
            trust_proxy_headers: self.trust_proxy_headers,
            limits: self.limits(),
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("hezhi.db")
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse_env<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value
        .trim()
        .parse()
        .with_context(|| format!("{name}={value}"))
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
        assert_eq!(parsed.public_url, None);
        assert!(!parsed.trust_proxy_headers);
        assert_eq!(parsed.session_idle_minutes, 30);
        assert_eq!(parsed.session_absolute_hours, 12);
        assert!(!parsed.totp_required_for_all_staff);
        assert_eq!(parsed.bootstrap_region, None);
        assert_eq!(parsed.sms_sender, "log");
        assert_eq!(parsed.sign_in_policy(), SignInPolicy::default());
        assert_eq!(parsed.web_settings(), WebSettings::default());
        parsed.check().expect("the defaults are valid");
    }

    #[test]
    fn the_limits_default_safely_are_configured_and_out_of_range_values_are_refused() {
        let default = Config::default();
        default.check().expect("the defaults are valid");
        let limits = default.limits();
        assert_eq!(limits, Limits::default());
        assert_eq!(limits.json_body, 256 * 1024);
        assert_eq!(default.database_max_connections, 16);
        let parsed: Config = toml::from_str(
            "max_json_body_kib = 64\nmax_upload_kib = 2048\nrequest_timeout_seconds = 10\n\
             sign_in_per_minute = 5\nsubmissions_per_minute = 30\ndatabase_max_connections = 4",
        )
        .expect("parses");
        parsed.check().expect("valid");
        let limits = parsed.limits();
        assert_eq!(limits.json_body, 64 * 1024);
        assert_eq!(limits.upload_body, 2048 * 1024);
        assert_eq!(limits.request_timeout, std::time::Duration::from_secs(10));
        assert_eq!(
            (limits.sign_in_per_minute, limits.submissions_per_minute),
            (5, 30)
        );
        for bad in [
            "max_json_body_kib = 0",
            "max_upload_kib = 20000",
            "request_timeout_seconds = 0",
            "sign_in_per_minute = 0",
            "submissions_per_minute = 0",
            "database_max_connections = 1",
        ] {
            let config: Config = toml::from_str(bad).expect("parses");
            let error = config.check().expect_err(bad);
            let name = bad.split(' ').next().unwrap_or_default();
            assert!(error.to_string().contains(name), "{bad}: {error}");
        }
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
    fn an_https_public_url_makes_cookies_secure_and_timeouts_are_checked() {
        let config: Config = toml::from_str(
            "public_url = \"https://hezhi.example.gov.cn\"\nsession_idle_minutes = 15\nsession_absolute_hours = 8\ntotp_required_for_all_staff = true\nbootstrap_region = \"37\"",
        )
        .expect("parses");
        config.check().expect("valid");
        assert!(config.web_settings().public_https);
        let policy = config.sign_in_policy();
        assert_eq!(policy.idle_timeout, chrono::Duration::minutes(15));
        assert_eq!(policy.absolute_timeout, chrono::Duration::hours(8));
        assert!(policy.totp_required_for_all_staff);
        for bad in [
            "session_idle_minutes = 0",
            "session_idle_minutes = 800\nsession_absolute_hours = 12",
            "public_url = \"hezhi.example\"",
            "bootstrap_region = \"3\"",
        ] {
            let config: Config = toml::from_str(bad).expect("parses");
            assert!(config.check().is_err(), "{bad}");
        }
    }

    #[test]
    fn residents_codes_go_to_the_log_and_unknown_senders_are_refused() {
        let config: Config = toml::from_str("sms_sender = \"log\"").expect("parses");
        config.check().expect("valid");
        assert_eq!(
            format!("{:?}", config.sms_sender().expect("sender")),
            "LogSmsSender"
        );
        let unknown: Config = toml::from_str("sms_sender = \"aliyun\"").expect("parses");
        let error = unknown.check().expect_err("no such sender").to_string();
        assert!(error.contains("aliyun"), "{error}");
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

    #[test]
    fn a_holiday_file_in_the_data_directory_replaces_the_shipped_one() {
        let dir = tempfile::tempdir().expect("dir");
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let shipped = config.working_calendar().expect("shipped");
        assert_eq!(shipped.years().collect::<Vec<_>>(), [2024, 2025, 2026]);
        std::fs::write(
            dir.path().join("china-holidays.csv"),
            "years,2026,2027\ndate,kind,name\n2027-01-01,holiday,元旦\n",
        )
        .expect("write");
        let extended = config.working_calendar().expect("extended");
        assert_eq!(extended.years().collect::<Vec<_>>(), [2026, 2027]);
        std::fs::write(
            dir.path().join("china-holidays.csv"),
            "years,2027\n2027-02-30,holiday,x\n",
        )
        .expect("write");
        let error = format!("{:#}", config.working_calendar().expect_err("refused"));
        assert!(error.contains("line 2"), "{error}");
    }
}
