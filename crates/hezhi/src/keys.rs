//! `hezhi keys`: the keys that encrypt parties' personal data (see `hezhi_crypto`).
//!
//! Rotating the data key adds a key that encrypts new values; changing the master key
//! re-wraps the stored keys. Neither rewrites a case or an event.

use crate::backend::{self, MasterKeySource};
use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use hezhi_store::MasterKey;
use std::path::Path;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random master key (base64), for `personal_data_key`.
    Generate,
    /// List the stored keys: id, purpose, cipher, and which one encrypts new values.
    List,
    /// Add a data key (with the configured cipher) that encrypts new values from now on;
    /// older ones stay for reading.
    RotateDataKey,
    /// Wrap the stored keys under a new master key. Afterwards only the new key opens the
    /// database; no case or event is rewritten.
    Rewrap {
        /// A file holding the new master key, or the key itself (base64 of 32 bytes).
        #[arg(long, value_name = "FILE_OR_BASE64")]
        new_master_key: String,
    },
}

pub async fn run(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Generate => {
            println!("{}", MasterKey::generate()?.to_base64().as_str());
            Ok(())
        }
        KeysCommand::List => {
            let store = backend::open(config).await?;
            let keys = store.data_keys().await?;
            let current = keys
                .iter()
                .filter(|k| k.purpose == hezhi_store::KeyPurpose::Data)
                .map(|k| k.id)
                .max();
            for key in keys {
                let mark = if Some(key.id) == current {
                    "\tcurrent"
                } else {
                    ""
                };
                println!("{}\t{}\t{}{mark}", key.id, key.purpose.as_str(), key.cipher);
            }
            Ok(())
        }
        KeysCommand::RotateDataKey => {
            let store = backend::open(config).await?;
            let id = store.rotate_data_key().await?;
            println!(
                "data key {id} ({}) now encrypts new personal data; older keys stay for reading",
                config.cipher()?
            );
            println!("restart running servers so that they write with it too");
            Ok(())
        }
        KeysCommand::Rewrap { new_master_key } => {
            let new = new_master_key_from(&new_master_key)?;
            let (store, source) = backend::open_with_key_source(config).await?;
            let count = store.rewrap_data_keys(&new).await?;
            println!("{count} keys are now wrapped under the new master key");
            match source {
                MasterKeySource::File(path) => {
                    backend::write_secret_file(&path, &new, true).with_context(|| {
                        format!("cannot write the new key to {}", path.display())
                    })?;
                    println!("{} now holds the new master key", path.display());
                }
                MasterKeySource::Configured => println!(
                    "set personal_data_key (or HEZHI_PERSONAL_DATA_KEY) to the new key before the \
                     next start, and restart running servers"
                ),
            }
            println!(
                "keep the old master key as long as you keep backups made before now: they \
                 need it"
            );
            Ok(())
        }
    }
}

/// `FILE_OR_BASE64`: a file that exists is read; anything else must be the key itself.
fn new_master_key_from(argument: &str) -> anyhow::Result<MasterKey> {
    let path = Path::new(argument);
    if path.is_file() {
        return backend::read_master_key(path);
    }
    MasterKey::from_base64(argument).map_err(|error| {
        anyhow::anyhow!("--new-master-key is neither a file nor a base64 master key: {error}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_master_key_is_read_from_a_file_or_given_inline() {
        let key = MasterKey::generate().expect("random");
        let inline = new_master_key_from(key.to_base64().as_str()).expect("inline");
        assert_eq!(inline.to_base64(), key.to_base64());
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("new.key");
        backend::write_secret_file(&path, &key, false).expect("write");
        let from_file = new_master_key_from(path.to_str().expect("utf-8")).expect("file");
        assert_eq!(from_file.to_base64(), key.to_base64());
        assert!(new_master_key_from("/no/such/file").is_err());
    }

    #[test]
    fn refusing_to_overwrite_a_key_file_unless_replacing_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("master.key");
        let first = MasterKey::generate().expect("random");
        backend::write_secret_file(&path, &first, false).expect("create");
        let second = MasterKey::generate().expect("random");
        assert!(backend::write_secret_file(&path, &second, false).is_err());
        backend::write_secret_file(&path, &second, true).expect("replace");
        let read = backend::read_master_key(&path).expect("read");
        assert_eq!(read.to_base64(), second.to_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
