//! The audit log: who did what, when, to which case — append-only and hash-chained.
//!
//! Entries form chains: one per county for everything about its cases (so that a county's
//! writes never wait on another county's), and the chain `-` for the rest (sign-ins, role
//! changes, exports). Each entry carries the hash of the entry before it in its chain; the
//! head of each chain (its last sequence number and hash) is kept beside the log, so that a
//! removed last entry is noticed as well.

use crate::error::StoreError;
use chrono::{DateTime, Utc};
use hezhi_domain::{CaseId, RegionCode, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The chain of entries that concern no county.
pub const SYSTEM_CHAIN: &str = "-";

/// The hash before the first entry of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something to record. The store assigns its place in a chain and seals it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    /// The acting user; `None` for an unknown one (a failed sign-in by name, say).
    pub actor: Option<UserId>,
    /// snake_case, e.g. `sign_in`, `sign_in_failed`, `role_granted`, `case.accepted`,
    /// `personal_data_revealed`, `export`.
    pub action: String,
    pub case: Option<CaseId>,
    /// Puts the entry on the county's chain; `None` for the system chain.
    pub county: Option<RegionCode>,
    /// Anything else worth keeping (never personal data in the clear).
    pub detail: serde_json::Value,
}

impl AuditRecord {
    pub fn chain(&self) -> String {
        self.county
            .as_ref()
            .map_or_else(|| SYSTEM_CHAIN.to_owned(), ToString::to_string)
    }
}

/// A sealed entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub chain: String,
    /// 1, 2, 3… within the chain.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub action: String,
    pub case: Option<CaseId>,
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The last entry of a chain, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub chain: String,
    pub seq: u64,
    pub hash: String,
}

/// The hash function of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditHash {
    #[default]
    Sha256,
}

impl AuditHash {
    fn digest(self, bytes: &[u8]) -> String {
        match self {
            AuditHash::Sha256 => Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }
}

/// The bytes an entry's hash covers: every field but the hash, in a fixed order, each
/// length-prefixed so that no two entries can produce the same bytes.
fn canonical(entry: &AuditEntry) -> Vec<u8> {
    let fields = [
        entry.chain.clone(),
        entry.seq.to_string(),
        entry.at.timestamp_millis().to_string(),
        entry.actor.map(|a| a.to_string()).unwrap_or_default(),
        entry.action.clone(),
        entry.case.map(|c| c.to_string()).unwrap_or_default(),
        entry.detail.to_string(),
        entry.prev_hash.clone(),
    ];
    let mut bytes = Vec::new();
    for field in fields {
        bytes.extend_from_slice(&(field.len() as u64).to_be_bytes());
        bytes.extend_from_slice(field.as_bytes());
    }
    bytes
}

/// The hash an entry must carry.
pub fn entry_hash(hash: AuditHash, entry: &AuditEntry) -> String {
    hash.digest(&canonical(entry))
}

/// Seals `records` onto the chains whose current heads are `heads` (a chain without a head
/// starts from [`GENESIS`]). Returns the entries and the new heads.
pub fn seal(
    hash: AuditHash,
    records: Vec<AuditRecord>,
    heads: &[AuditHead],
) -> (Vec<AuditEntry>, Vec<AuditHead>) {
    let mut current: std::collections::BTreeMap<String, AuditHead> =
        heads.iter().map(|h| (h.chain.clone(), h.clone())).collect();
    let mut entries = Vec::with_capacity(records.len());
    for record in records {
        let chain = record.chain();
        let head = current.entry(chain.clone()).or_insert_with(|| AuditHead {
            chain: chain.clone(),
            seq: 0,
            hash: GENESIS.to_owned(),
        });
        let mut entry = AuditEntry {
            chain,
            seq: head.seq + 1,
            at: record.at,
            actor: record.actor,
            action: record.action,
            case: record.case,
            detail: record.detail,
            prev_hash: head.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry_hash(hash, &entry);
        head.seq = entry.seq;
        head.hash = entry.hash.clone();
        entries.push(entry);
    }
    (entries, current.into_values().collect())
}

/// What is wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    #[error("chain {chain}: entry {seq} was changed (its hash does not match its content)")]
    Changed { chain: String, seq: u64 },
    #[error(
        "chain {chain}: entry {seq} does not follow entry {previous} (removed or inserted entries)"
    )]
    Broken {
        chain: String,
        seq: u64,
        previous: u64,
    },
    #[error("chain {chain}: the log ends at entry {last} but the chain's head is entry {head}")]
    Truncated { chain: String, last: u64, head: u64 },
}

/// Checks one chain, oldest first, against its recorded head. `start` is the entry before
/// the first one given (`None` when the chain is given from its beginning).
pub fn verify_chain(
    hash: AuditHash,
    entries: &[AuditEntry],
    start: Option<(u64, String)>,
    head: Option<&AuditHead>,
) -> Result<u64, Tamper> {
    let (mut seq, mut previous_hash) = start.unwrap_or((0, GENESIS.to_owned()));
    for entry in entries {
        if entry.seq != seq + 1 || entry.prev_hash != previous_hash {
            return Err(Tamper::Broken {
                chain: entry.chain.clone(),
                seq: entry.seq,
                previous: seq,
            });
        }
        if entry_hash(hash, entry) != entry.hash {
            return Err(Tamper::Changed {
                chain: entry.chain.clone(),
                seq: entry.seq,
            });
        }
        seq = entry.seq;
        previous_hash = entry.hash.clone();
    }
    if let Some(head) = head
        && (head.seq != seq || head.hash != previous_hash)
    {
        return Err(Tamper::Truncated {
            chain: head.chain.clone(),
            last: seq,
            head: head.seq,
        });
    }
    Ok(seq)
}

/// Filters of an audit search; all optional, combined with AND, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub case: Option<CaseId>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// An entry from its stored columns.
#[expect(clippy::too_many_arguments, reason = "one argument per stored column")]
pub fn entry_from_columns(
    chain: String,
    seq: i64,
    at: DateTime<Utc>,
    actor: Option<uuid::Uuid>,
    action: String,
    case: Option<uuid::Uuid>,
    detail: &str,
    prev_hash: String,
    hash: String,
) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        chain,
        seq: u64::try_from(seq).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        at,
        actor: actor.map(UserId::from_uuid),
        action,
        case: case.map(CaseId::from_uuid),
        detail: serde_json::from_str(detail).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        prev_hash,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str, county: Option<&str>) -> AuditRecord {
        AuditRecord {
            at: DateTime::from_timestamp_millis(1_770_000_000_000).expect("time"),
            actor: None,
            action: action.into(),
            case: None,
            county: county.map(|c| RegionCode::parse(c).expect("code")),
            detail: serde_json::json!({ "n": 1 }),
        }
    }

    #[test]
    fn sealed_entries_chain_per_county_and_verify() {
        let records = vec![
            record("a", Some("370811")),
            record("b", None),
            record("c", Some("370811")),
        ];
        let (entries, heads) = seal(AuditHash::Sha256, records, &[]);
        assert_eq!(entries[0].seq, 1);
        assert_eq!(entries[2].seq, 2);
        assert_eq!(entries[2].prev_hash, entries[0].hash);
        assert_eq!(entries[1].chain, SYSTEM_CHAIN);
        let county: Vec<_> = entries
            .iter()
            .filter(|e| e.chain == "370811")
            .cloned()
            .collect();
        let head = heads.iter().find(|h| h.chain == "370811");
        assert_eq!(verify_chain(AuditHash::Sha256, &county, None, head), Ok(2));
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let records = (0..4).map(|i| record(&format!("a{i}"), None)).collect();
        let (entries, heads) = seal(AuditHash::Sha256, records, &[]);
        let head = heads.first();
        let mut changed = entries.clone();
        changed[1].action = "b".into();
        assert_eq!(
            verify_chain(AuditHash::Sha256, &changed, None, head),
            Err(Tamper::Changed {
                chain: "-".into(),
                seq: 2
            })
        );
        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(
            verify_chain(AuditHash::Sha256, &removed, None, head),
            Err(Tamper::Broken {
                chain: "-".into(),
                seq: 3,
                previous: 1
            })
        );
        let mut truncated = entries.clone();
        truncated.pop();
        assert_eq!(
            verify_chain(AuditHash::Sha256, &truncated, None, head),
            Err(Tamper::Truncated {
                chain: "-".into(),
                last: 3,
                head: 4
            })
        );
    }
}
