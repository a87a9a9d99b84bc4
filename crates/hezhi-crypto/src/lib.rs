#![doc = include_str!("../README.md")]

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

/// SM4 in Galois/Counter Mode with a 96-bit nonce: the GCM construction of `aes-gcm` over
/// the SM4 block cipher.
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const MASTER_KEY_BYTES: usize = 32;
const LOOKUP_KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
/// Marks an encrypted value and names its format, so that a later format can be told apart.
const SEALED_PREFIX: &str = "enc1:";

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the personal-data master key is not valid: {0}")]
    InvalidMasterKey(&'static str),
    #[error(
        "the personal-data master key does not open the keys stored in this database \
         (a wrong personal_data_key or master.key?)"
    )]
    WrongMasterKey,
    #[error("stored key {id} is damaged: it does not unwrap although the others do")]
    DamagedKey { id: u32 },
    #[error("the database holds no data key")]
    NoDataKey,
    #[error("the database holds no lookup key, or more than one")]
    NoLookupKey,
    #[error("the value was encrypted with data key {0}, which this database does not hold")]
    UnknownKey(u32),
    #[error("the value is not of the form enc1:<key id>:<base64>")]
    Malformed,
    #[error(
        "the value does not decrypt with data key {key}: it was changed, or moved from another \
         case or field"
    )]
    Undecryptable { key: u32 },
    #[error("unknown cipher `{0}` (expected aes-256-gcm or sm4-gcm)")]
    UnknownCipher(String),
    #[error("no randomness available: {0}")]
    Random(String),
    #[error("the value cannot be encrypted (too long)")]
    TooLong,
}

pub type CryptoResult<T> = Result<T, CryptoError>;

fn random<const N: usize>() -> CryptoResult<Zeroizing<[u8; N]>> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::fill(bytes.as_mut_slice()).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(bytes)
}

/// The authenticated cipher that encrypts values and wraps keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Cipher {
    #[default]
    Aes256Gcm,
    Sm4Gcm,
}

impl Cipher {
    pub const ALL: [Cipher; 2] = [Cipher::Aes256Gcm, Cipher::Sm4Gcm];

    pub fn as_str(self) -> &'static str {
        match self {
            Cipher::Aes256Gcm => "aes-256-gcm",
            Cipher::Sm4Gcm => "sm4-gcm",
        }
    }

    pub fn parse(text: &str) -> CryptoResult<Cipher> {
        Cipher::ALL
            .into_iter()
            .find(|c| c.as_str() == text.trim())
            .ok_or_else(|| CryptoError::UnknownCipher(text.to_owned()))
    }

    fn key_bytes(self) -> usize {
        match self {
            Cipher::Aes256Gcm => 32,
            Cipher::Sm4Gcm => 16,
        }
    }
}

impl fmt::Display for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a stored key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPurpose {
    /// Encrypts values.
    Data,
    /// Keys the hashes of identifiers used for exact lookup.
    Lookup,
}

impl KeyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::Data => "data",
            KeyPurpose::Lookup => "lookup",
        }
    }

    pub fn parse(text: &str) -> Option<KeyPurpose> {
        [KeyPurpose::Data, KeyPurpose::Lookup]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// The key that wraps every other key; it comes from configuration and never reaches the
/// database. Its `Debug` output does not show it.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; MASTER_KEY_BYTES]>);

impl MasterKey {
    /// A new random master key.
    pub fn generate() -> CryptoResult<MasterKey> {
        Ok(MasterKey(random::<MASTER_KEY_BYTES>()?))
    }

    /// Reads a master key written as base64 (surrounding whitespace is ignored).
    pub fn from_base64(text: &str) -> CryptoResult<MasterKey> {
        let bytes = Zeroizing::new(
            BASE64
                .decode(text.trim())
                .map_err(|_| CryptoError::InvalidMasterKey("it is not base64"))?,
        );
        let array: [u8; MASTER_KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| {
            CryptoError::InvalidMasterKey("it must be 32 bytes (44 base64 characters)")
        })?;
        Ok(MasterKey(Zeroizing::new(array)))
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.0.as_slice()))
    }

    /// The key that wraps stored keys under `cipher`, derived rather than used directly so
    /// that one master key serves both ciphers (SM4 takes 16 bytes) without reuse across
    /// them.
    fn wrapping_key(&self, cipher: Cipher) -> AeadKey {
        let derived = keyed_hash(
            self.0.as_slice(),
            &[b"hezhi key wrapping", cipher.as_str().as_bytes()],
        );
        AeadKey::new(cipher, &derived[..cipher.key_bytes()])
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// HMAC-SHA256 of the parts, each length-prefixed so that no two lists of parts collide.
fn keyed_hash(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key)
        .expect("HMAC accepts keys of every length");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// A key as the database keeps it: wrapped under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Named by every value it encrypts (`enc1:<id>:…`); ids grow, the newest data key is
    /// the one new values use.
    pub id: u32,
    pub purpose: KeyPurpose,
    pub cipher: Cipher,
    /// base64 of nonce ‖ ciphertext ‖ tag.
    pub wrapped: String,
}

impl StoredKey {
    /// The associated data of a wrapped key: a wrapped key moved to another row, purpose or
    /// cipher does not unwrap.
    fn aad(id: u32, purpose: KeyPurpose, cipher: Cipher) -> String {
        format!(
            "hezhi data_keys {id} {} {}",
            purpose.as_str(),
            cipher.as_str()
        )
    }

    fn wrap(
        master: &MasterKey,
        id: u32,
        purpose: KeyPurpose,
        cipher: Cipher,
        key: &[u8],
    ) -> CryptoResult<StoredKey> {
        let sealed = master
            .wrapping_key(cipher)
            .seal(key, Self::aad(id, purpose, cipher).as_bytes())?;
        Ok(StoredKey {
            id,
            purpose,
            cipher,
            wrapped: BASE64.encode(sealed),
        })
    }

    /// The key in the clear, or `None` when `master` does not open it.
    fn unwrap_with(&self, master: &MasterKey) -> Option<Zeroizing<Vec<u8>>> {
        let sealed = BASE64.decode(&self.wrapped).ok()?;
        let key = master.wrapping_key(self.cipher).open(
            &sealed,
            Self::aad(self.id, self.purpose, self.cipher).as_bytes(),
        )?;
        let expected = match self.purpose {
            KeyPurpose::Data => self.cipher.key_bytes(),
            KeyPurpose::Lookup => LOOKUP_KEY_BYTES,
        };
        (key.len() == expected).then_some(key)
    }
}

/// An initialized AEAD of either cipher.
enum AeadKey {
    Aes(Box<Aes256Gcm>),
    Sm4(Box<Sm4Gcm>),
}

impl AeadKey {
    /// `key` has the cipher's length: callers make or check it.
    fn new(cipher: Cipher, key: &[u8]) -> AeadKey {
        const CHECKED: &str = "key lengths are checked before use";
        match cipher {
            Cipher::Aes256Gcm => {
                AeadKey::Aes(Box::new(Aes256Gcm::new_from_slice(key).expect(CHECKED)))
            }
            Cipher::Sm4Gcm => AeadKey::Sm4(Box::new(Sm4Gcm::new_from_slice(key).expect(CHECKED))),
        }
    }

    /// nonce ‖ ciphertext ‖ tag, with a fresh random nonce.
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> CryptoResult<Vec<u8>> {
        let nonce_bytes = random::<NONCE_BYTES>()?;
        let nonce = Nonce::<U12>::from(*nonce_bytes);
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        let ciphertext = match self {
            AeadKey::Aes(aead) => aead.encrypt(&nonce, payload),
            AeadKey::Sm4(aead) => aead.encrypt(&nonce, payload),
        }
        .map_err(|_| CryptoError::TooLong)?;
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(nonce_bytes.as_slice());
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// The plaintext of `nonce ‖ ciphertext ‖ tag`, or `None` if it is not authentic.
    fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let nonce = Nonce::<U12>::try_from(nonce).ok()?;
        let payload = Payload {
            msg: ciphertext,
            aad,
        };
        match self {
            AeadKey::Aes(aead) => aead.decrypt(&nonce, payload),
            AeadKey::Sm4(aead) => aead.decrypt(&nonce, payload),
        }
        .ok()
        .map(Zeroizing::new)
    }
}

/// The unwrapped keys of one database: every data key by id, the newest of which encrypts
/// new values, and the lookup key.
pub struct Keyring {
    data: BTreeMap<u32, AeadKey>,
    current: u32,
    lookup: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("data_keys", &self.data.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// The first keys of a new database: a lookup key (id 1) and a data key (id 2), both
    /// under `cipher`. Returns the keyring and the keys to store.
    pub fn create(master: &MasterKey, cipher: Cipher) -> CryptoResult<(Keyring, Vec<StoredKey>)> {
        let lookup = random::<LOOKUP_KEY_BYTES>()?;
        let stored = vec![
            StoredKey::wrap(master, 1, KeyPurpose::Lookup, cipher, lookup.as_slice())?,
            Keyring::new_data_key(master, cipher, &[], 2)?,
        ];
        let keyring = Keyring::open(master, &stored)?;
        Ok((keyring, stored))
    }

    /// Unwraps the stored keys of a database with `master`.
    ///
    /// A master key that opens none of them is [`CryptoError::WrongMasterKey`], so that a
    /// misconfigured server stops at start instead of failing on every read.
    pub fn open(master: &MasterKey, stored: &[StoredKey]) -> CryptoResult<Keyring> {
        let mut data = BTreeMap::new();
        let mut lookup = Vec::new();
        for (index, key) in stored.iter().enumerate() {
            let Some(bytes) = key.unwrap_with(master) else {
                return Err(if index == 0 {
                    CryptoError::WrongMasterKey
                } else {
                    CryptoError::DamagedKey { id: key.id }
                });
            };
            match key.purpose {
                KeyPurpose::Data => {
                    data.insert(key.id, AeadKey::new(key.cipher, &bytes));
                }
                KeyPurpose::Lookup => lookup.push(bytes),
            }
        }
        let current = *data.keys().next_back().ok_or(CryptoError::NoDataKey)?;
        let lookup = match lookup.pop() {
            Some(key) if lookup.is_empty() => key,
            _ => return Err(CryptoError::NoLookupKey),
        };
        Ok(Keyring {
            data,
            current,
            lookup,
        })
    }

    /// A new random data key under `cipher`, to store beside `stored`: its id is one more
    /// than any of theirs (at least `minimum_id`), which makes it the current one.
    pub fn new_data_key(
        master: &MasterKey,
        cipher: Cipher,
        stored: &[StoredKey],
        minimum_id: u32,
    ) -> CryptoResult<StoredKey> {
        let id = stored
            .iter()
            .map(|k| k.id.saturating_add(1))
            .max()
            .unwrap_or(minimum_id)
            .max(minimum_id);
        let key = random::<32>()?;
        StoredKey::wrap(
            master,
            id,
            KeyPurpose::Data,
            cipher,
            &key[..cipher.key_bytes()],
        )
    }

    /// The same keys wrapped under `new` instead of `old`; nothing they encrypted changes.
    pub fn rewrap(
        old: &MasterKey,
        new: &MasterKey,
        stored: &[StoredKey],
    ) -> CryptoResult<Vec<StoredKey>> {
        stored
            .iter()
            .enumerate()
            .map(|(index, key)| {
                let bytes = key.unwrap_with(old).ok_or(if index == 0 {
                    CryptoError::WrongMasterKey
                } else {
                    CryptoError::DamagedKey { id: key.id }
                })?;
                StoredKey::wrap(new, key.id, key.purpose, key.cipher, &bytes)
            })
            .collect()
    }

    /// The id of the data key new values are encrypted with.
    pub fn current_data_key(&self) -> u32 {
        self.current
    }

    /// Whether `text` is an encrypted value (rather than plaintext written before encryption).
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(SEALED_PREFIX)
    }

    /// Encrypts `plaintext` with the current data key, bound to `context`.
    pub fn encrypt(&self, plaintext: &str, context: &str) -> CryptoResult<String> {
        let key = self.data.get(&self.current).ok_or(CryptoError::NoDataKey)?;
        let sealed = key.seal(plaintext.as_bytes(), context.as_bytes())?;
        Ok(format!(
            "{SEALED_PREFIX}{}:{}",
            self.current,
            BASE64.encode(sealed)
        ))
    }

    /// Decrypts a value made by [`Keyring::encrypt`] with the same `context`.
    pub fn decrypt(&self, sealed: &str, context: &str) -> CryptoResult<String> {
        let rest = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(CryptoError::Malformed)?;
        let (id, body) = rest.split_once(':').ok_or(CryptoError::Malformed)?;
        let id: u32 = id.parse().map_err(|_| CryptoError::Malformed)?;
        let key = self.data.get(&id).ok_or(CryptoError::UnknownKey(id))?;
        let bytes = BASE64.decode(body).map_err(|_| CryptoError::Malformed)?;
        let plaintext = key
            .open(&bytes, context.as_bytes())
            .ok_or(CryptoError::Undecryptable { key: id })?;
        String::from_utf8(plaintext.to_vec()).map_err(|_| CryptoError::Undecryptable { key: id })
    }

    /// The keyed hash of an identifier for exact lookup, as 64 hex digits: HMAC-SHA256 with
    /// the lookup key over `kind` and the `normalized` value. Equal inputs give equal hashes
    /// in every process that opens the same database; without the key the hash says nothing.
    pub fn lookup_hash(&self, kind: &str, normalized: &str) -> String {
        keyed_hash(&self.lookup, &[kind.as_bytes(), normalized.as_bytes()])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(cipher: Cipher) -> (MasterKey, Keyring, Vec<StoredKey>) {
        let master = MasterKey::generate().expect("random");
        let (keyring, stored) = Keyring::create(&master, cipher).expect("create");
        (master, keyring, stored)
    }

    #[test]
    fn values_round_trip_with_either_cipher() {
        for cipher in Cipher::ALL {
            let (_, keyring, stored) = keyring(cipher);
            assert!(stored.iter().all(|k| k.cipher == cipher));
            for text in ["13800138000", "370811199203213389", "南张村3排5号", ""] {
                let sealed = keyring.encrypt(text, "case:phone").expect("encrypt");
                assert!(sealed.starts_with("enc1:2:"), "{sealed}");
                assert!(!sealed.contains(text) || text.is_empty());
                assert_eq!(
                    keyring.decrypt(&sealed, "case:phone").expect("decrypt"),
                    text
                );
            }
        }
    }

    #[test]
    fn the_same_value_encrypts_differently_each_time() {
        let (_, keyring, _) = keyring(Cipher::Aes256Gcm);
        let a = keyring.encrypt("13800138000", "c").expect("encrypt");
        let b = keyring.encrypt("13800138000", "c").expect("encrypt");
        assert_ne!(a, b);
    }

    #[test]
    fn sm4_gcm_matches_the_published_test_vector() {
        // RFC 8998, appendix A.1 (SM4-GCM).
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
                .collect()
        };
        let key = hex("0123456789ABCDEFFEDCBA9876543210");
        let nonce = hex("00001234567800000000ABCD");
        let aad = hex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let plaintext = hex(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        );
        let expected = hex(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC",
        );
        let aead = Sm4Gcm::new_from_slice(&key).expect("key");
        let nonce = Nonce::<U12>::try_from(nonce.as_slice()).expect("nonce");
        let sealed = aead
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .expect("encrypt");
        assert_eq!(sealed, expected);
    }

    #[test]
    fn a_wrong_master_key_is_named_at_open() {
        let (_, _, stored) = keyring(Cipher::Aes256Gcm);
        let other = MasterKey::generate().expect("random");
        assert_eq!(
            Keyring::open(&other, &stored).expect_err("wrong key"),
            CryptoError::WrongMasterKey
        );
        assert!(
            CryptoError::WrongMasterKey
                .to_string()
                .contains("personal_data_key")
        );
    }

    #[test]
    fn a_changed_or_moved_value_does_not_decrypt() {
        let (_, keyring, _) = keyring(Cipher::Aes256Gcm);
        let sealed = keyring
            .encrypt("13800138000", "case-1:phone")
            .expect("encrypt");
        // Another context: the value was copied to another case or field.
        assert_eq!(
            keyring.decrypt(&sealed, "case-2:phone"),
            Err(CryptoError::Undecryptable { key: 2 })
        );
        // One bit of the ciphertext flipped.
        let (head, body) = sealed.rsplit_once(':').expect("body");
        let mut bytes = BASE64.decode(body).expect("base64");
        bytes[NONCE_BYTES] ^= 1;
        let tampered = format!("{head}:{}", BASE64.encode(&bytes));
        assert_eq!(
            keyring.decrypt(&tampered, "case-1:phone"),
            Err(CryptoError::Undecryptable { key: 2 })
        );
        assert_eq!(
            keyring.decrypt("enc1:2:!!", "case-1:phone"),
            Err(CryptoError::Malformed)
        );
        assert_eq!(
            keyring.decrypt("enc1:9:AAAA", "case-1:phone"),
            Err(CryptoError::UnknownKey(9))
        );
        assert_eq!(
            keyring.decrypt("13800138000", "case-1:phone"),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn a_new_data_key_encrypts_new_values_and_old_values_still_read() {
        let (master, keyring, mut stored) = keyring(Cipher::Aes256Gcm);
        let old = keyring.encrypt("old", "c").expect("encrypt");
        stored.push(Keyring::new_data_key(&master, Cipher::Sm4Gcm, &stored, 2).expect("rotate"));
        let rotated = Keyring::open(&master, &stored).expect("open");
        assert_eq!(rotated.current_data_key(), 3);
        let new = rotated.encrypt("new", "c").expect("encrypt");
        assert!(new.starts_with("enc1:3:"));
        assert_eq!(rotated.decrypt(&old, "c").expect("old"), "old");
        assert_eq!(rotated.decrypt(&new, "c").expect("new"), "new");
        // The lookup key is not rotated: hashes stay comparable.
        assert_eq!(
            keyring.lookup_hash("phone", "13800138000"),
            rotated.lookup_hash("phone", "13800138000")
        );
    }

    #[test]
    fn rewrapping_changes_the_master_key_and_nothing_else() {
        let (old, keyring, stored) = keyring(Cipher::Sm4Gcm);
        let sealed = keyring.encrypt("370811199203213389", "c").expect("encrypt");
        let new = MasterKey::generate().expect("random");
        let rewrapped = Keyring::rewrap(&old, &new, &stored).expect("rewrap");
        assert_eq!(rewrapped.len(), stored.len());
        assert!(
            rewrapped
                .iter()
                .zip(&stored)
                .all(|(a, b)| a.id == b.id && a.purpose == b.purpose && a.wrapped != b.wrapped)
        );
        let reopened = Keyring::open(&new, &rewrapped).expect("open with the new key");
        assert_eq!(
            reopened.decrypt(&sealed, "c").expect("decrypt"),
            "370811199203213389"
        );
        assert_eq!(
            Keyring::open(&old, &rewrapped).expect_err("old key"),
            CryptoError::WrongMasterKey
        );
        assert_eq!(
            Keyring::rewrap(&new, &old, &stored).expect_err("wrong old key"),
            CryptoError::WrongMasterKey
        );
    }

    #[test]
    fn a_stored_key_moved_to_another_id_does_not_unwrap() {
        let (master, _, mut stored) = keyring(Cipher::Aes256Gcm);
        stored[1].id = 7;
        assert_eq!(
            Keyring::open(&master, &stored).expect_err("moved"),
            CryptoError::DamagedKey { id: 7 }
        );
    }

    #[test]
    fn lookup_hashes_are_keyed_and_separate_kinds() {
        let (_, a, _) = keyring(Cipher::Aes256Gcm);
        let (_, b, _) = keyring(Cipher::Aes256Gcm);
        let hash = a.lookup_hash("phone", "13800138000");
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, a.lookup_hash("phone", "13800138000"));
        assert_ne!(hash, b.lookup_hash("phone", "13800138000"));
        assert_ne!(hash, a.lookup_hash("id_number", "13800138000"));
    }

    #[test]
    fn master_keys_read_from_base64_and_never_print() {
        let key = MasterKey::generate().expect("random");
        let text = key.to_base64();
        assert_eq!(text.len(), 44);
        let again = MasterKey::from_base64(&format!("  {}\n", text.as_str())).expect("parse");
        assert_eq!(again.to_base64(), text);
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn ciphers_parse_by_their_configuration_names() {
        assert_eq!(Cipher::parse("sm4-gcm"), Ok(Cipher::Sm4Gcm));
        assert_eq!(Cipher::parse("aes-256-gcm"), Ok(Cipher::Aes256Gcm));
        assert!(Cipher::parse("des").is_err());
        assert_eq!(Cipher::default(), Cipher::Aes256Gcm);
    }
}
