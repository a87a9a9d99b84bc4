//! Staff passwords: the rules a new one must meet, and argon2id hashing off the async
//! threads.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use hezhi_domain::ValidationError;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use tokio::sync::{OnceCell, Semaphore};

/// The shortest password accepted, in characters.
pub const MIN_LENGTH: usize = 10;
/// The longest, so that hashing stays cheap to ask for.
pub const MAX_LENGTH: usize = 256;

/// Passwords too common to allow (`data/common-passwords.txt`), lowercase.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Whether `password` is on the list of common passwords (case-insensitive).
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

/// Checks a new password for user `name`; the error names `field`. The rules: at least
/// [`MIN_LENGTH`] characters, not the user's name nor containing it (case-insensitive), not
/// a common password.
pub fn check_rules(field: &str, name: &str, password: &str) -> Result<(), ValidationError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(ValidationError::new(
            field,
            "password_too_short",
            format!("a password has at least {MIN_LENGTH} characters"),
        ));
    }
    if length > MAX_LENGTH {
        return Err(ValidationError::new(
            field,
            "password_too_long",
            format!("a password has at most {MAX_LENGTH} characters"),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "control_character",
            "a password may not contain control characters",
        ));
    }
    let name = name.trim().to_lowercase();
    if !name.is_empty() && password.to_lowercase().contains(&name) {
        return Err(ValidationError::new(
            field,
            "password_contains_name",
            "a password may not contain the user name",
        ));
    }
    if is_common(password) {
        return Err(ValidationError::new(
            field,
            "password_too_common",
            "this password is too common",
        ));
    }
    Ok(())
}

/// Hashes and verifies passwords with argon2id (19 MiB, 2 passes: OWASP's recommendation),
/// on tokio's blocking threads, a few at a time so that a burst of sign-ins cannot exhaust
/// memory.
#[derive(Debug, Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when a user has none, so that an
    /// unknown name takes as long to refuse as a wrong password.
    decoy: Arc<OnceCell<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(String),
}

impl Default for Hasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            permits: Arc::new(Semaphore::new(cores.max(2))),
            decoy: Arc::default(),
        }
    }
}

impl Hasher {
    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _permit = self.permits.acquire().await;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| HashError::Hash(e.to_string()))
        })
        .await
        .map_err(|e| HashError::Task(e.to_string()))?
    }

    /// Whether `password` matches `hash`. With no hash, a decoy is verified (and `false`
    /// returned), so that the answer takes the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        let (hash, real) = match hash {
            Some(hash) => (hash.to_owned(), true),
            None => (self.decoy().await?, false),
        };
        let _permit = self.permits.acquire().await;
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .map_err(|e| HashError::Task(e.to_string()))?;
        Ok(real && matches)
    }

    async fn decoy(&self) -> Result<String, HashError> {
        self.decoy
            .get_or_try_init(|| async {
                let random = crate::random::secret_bytes::<16>()
                    .map_err(|e| HashError::Hash(e.to_string()))?;
                self.hash(&crate::random::hex(&random)).await
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_name_bearing_passwords_are_refused_with_a_code() {
        let code = |name: &str, password: &str| {
            check_rules("password", name, password)
                .err()
                .map(|e| e.code.to_string())
        };
        assert_eq!(
            code("wangfang", "Ab3$efgh9").as_deref(),
            Some("password_too_short")
        );
        assert_eq!(
            code("王芳", "王芳的密码很长很长").as_deref(),
            Some("password_too_short")
        );
        assert_eq!(
            code("wangfang", "my-WangFang-2026").as_deref(),
            Some("password_contains_name")
        );
        assert_eq!(
            code("王芳", "我是王芳我是王芳！").as_deref(),
            Some("password_too_short")
        );
        assert_eq!(
            code("王芳", "我是王芳，我的密码够长了").as_deref(),
            Some("password_contains_name")
        );
        for common in [
            "123456789a",
            "woaini1314",
            "qwertyuiop",
            "a1234567890",
            "1234567890",
            "QwertyUiop",
            "password123",
        ] {
            assert_eq!(
                code("wangfang", common).as_deref(),
                Some("password_too_common"),
                "{common}"
            );
        }
        assert_eq!(
            code("wangfang", "tab\there-and-more").as_deref(),
            Some("control_character")
        );
        assert_eq!(
            code("wangfang", &"x".repeat(257)).as_deref(),
            Some("password_too_long")
        );
        assert_eq!(code("wangfang", "sorrel-kettle-41"), None);
        assert_eq!(code("王芳", "南张村调解2026年"), None);
    }

    #[test]
    fn the_common_list_has_thousands_of_entries() {
        assert!(COMMON.len() > 3000, "{}", COMMON.len());
        assert!(!COMMON.iter().any(|p| p.starts_with('#')));
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Hasher::default();
        let hash = hasher.hash("sorrel-kettle-41").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("sorrel-kettle-41", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("sorrel-kettle-42", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("sorrel-kettle-41", None)
                .await
                .expect("decoy")
        );
        assert!(
            !hasher
                .verify("x", Some("not a hash"))
                .await
                .expect("garbage")
        );
    }
}
