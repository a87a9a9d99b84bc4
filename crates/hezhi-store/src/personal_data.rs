//! The keys of personal data, as a store holds them: the master key and cipher it was opened
//! with, and the keyring unwrapped from the database's `data_keys`. The steps that read and
//! change `data_keys` are written once here over [`WriteTx`]; each backend only spells the
//! statements.

use crate::apply::WriteTx;
use crate::error::StoreError;
use crate::traits::StoreResult;
use hezhi_crypto::{Cipher, CryptoError, Keyring, MasterKey, StoredKey};
use std::sync::{Arc, PoisonError, RwLock};

/// What a backend is opened with: the master key from configuration, and the cipher of the
/// data keys it creates (existing keys keep the cipher they were made with).
#[derive(Debug, Clone)]
pub struct PersonalDataKeys {
    pub master: MasterKey,
    pub cipher: Cipher,
}

impl PersonalDataKeys {
    pub fn new(master: MasterKey, cipher: Cipher) -> Self {
        Self { master, cipher }
    }
}

/// The keys of an open store. The keyring is replaced, never changed: readers keep the one
/// they took for as long as they decode.
#[derive(Debug)]
pub struct KeyHolder {
    config: RwLock<PersonalDataKeys>,
    keyring: RwLock<Arc<Keyring>>,
}

impl KeyHolder {
    pub fn new(config: PersonalDataKeys, keyring: Keyring) -> Self {
        Self {
            config: RwLock::new(config),
            keyring: RwLock::new(Arc::new(keyring)),
        }
    }

    pub fn keyring(&self) -> Arc<Keyring> {
        Arc::clone(&self.keyring.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn config(&self) -> PersonalDataKeys {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, keyring: Keyring) {
        *self.keyring.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keyring);
    }

    fn replace_master(&self, master: MasterKey) {
        self.config
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .master = master;
    }
}

/// Whether a decoding failed only because a value names a data key added since the keys were
/// loaded (by another process sharing the database): reloading them is then worth a try.
pub fn needs_reload<T>(result: &StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::Keys(CryptoError::UnknownKey(_))))
}

/// Opens the keys stored in the database, creating the first ones (a lookup key and a data
/// key) in a database that has none. A master key that does not open them is refused here,
/// when the store opens, with [`CryptoError::WrongMasterKey`].
pub async fn open_keys(tx: &mut dyn WriteTx, keys: &PersonalDataKeys) -> StoreResult<KeyHolder> {
    let mut stored = tx.data_keys().await?;
    if stored.is_empty() {
        let (_, first) = Keyring::create(&keys.master, keys.cipher)?;
        // Another process opening the same new database at the same time may have stored
        // its own first keys: theirs stand (under the same master key, or the open below
        // says it is the wrong one).
        tx.insert_data_keys(&first).await?;
        stored = tx.data_keys().await?;
        tracing::info!(cipher = %keys.cipher, "personal-data keys created");
    }
    let keyring = Keyring::open(&keys.master, &stored)?;
    Ok(KeyHolder::new(keys.clone(), keyring))
}

/// Reads the stored keys again (after another process rotated the data key).
pub async fn reload_keys(tx: &mut dyn WriteTx, holder: &KeyHolder) -> StoreResult<()> {
    let stored = tx.data_keys().await?;
    let keyring = Keyring::open(&holder.config().master, &stored)?;
    holder.replace(keyring);
    Ok(())
}

/// Keys changed in a transaction, for the store to use once it has committed.
#[derive(Debug)]
#[must_use = "the store keeps its old keys until the change is applied"]
pub struct KeyChange {
    keyring: Keyring,
    master: Option<MasterKey>,
}

impl KeyChange {
    pub fn apply_to(self, holder: &KeyHolder) {
        holder.replace(self.keyring);
        if let Some(master) = self.master {
            holder.replace_master(master);
        }
    }
}

/// Adds a data key under the configured cipher, which this store then writes with; returns
/// its id. Values encrypted before keep their key.
pub async fn rotate_data_key(
    tx: &mut dyn WriteTx,
    holder: &KeyHolder,
) -> StoreResult<(u32, KeyChange)> {
    let config = holder.config();
    let mut stored = tx.data_keys().await?;
    let key = Keyring::new_data_key(&config.master, config.cipher, &stored, 1)?;
    let id = key.id;
    if tx.insert_data_keys(std::slice::from_ref(&key)).await? == 0 {
        return Err(StoreError::Duplicate("data_key"));
    }
    stored.push(key);
    let keyring = Keyring::open(&config.master, &stored)?;
    Ok((
        id,
        KeyChange {
            keyring,
            master: None,
        },
    ))
}

/// Wraps every stored key under `new_master` instead of the current master key. Returns how
/// many keys were re-wrapped. Nothing they encrypted changes.
pub async fn rewrap_keys(
    tx: &mut dyn WriteTx,
    holder: &KeyHolder,
    new_master: &MasterKey,
) -> StoreResult<(usize, KeyChange)> {
    let config = holder.config();
    let stored = tx.data_keys().await?;
    let rewrapped = Keyring::rewrap(&config.master, new_master, &stored)?;
    tx.update_data_keys(&rewrapped).await?;
    let keyring = Keyring::open(new_master, &rewrapped)?;
    Ok((
        rewrapped.len(),
        KeyChange {
            keyring,
            master: Some(new_master.clone()),
        },
    ))
}

/// A stored key from its columns.
pub fn stored_key_from_columns(
    id: i64,
    purpose: &str,
    cipher: &str,
    wrapped: String,
) -> StoreResult<StoredKey> {
    Ok(StoredKey {
        id: u32::try_from(id).map_err(|e| StoreError::Corrupt(format!("data key id: {e}")))?,
        purpose: hezhi_crypto::KeyPurpose::parse(purpose)
            .ok_or_else(|| StoreError::Corrupt(format!("data key purpose {purpose}")))?,
        cipher: Cipher::parse(cipher)?,
        wrapped,
    })
}
