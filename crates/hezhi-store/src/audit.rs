//! The audit log: who did what, when, to which case — append-only and hash-chained.
//!
//! Entries form chains: one per county for everything about its cases (so that a county's
//! writes never wait on another county's), and the chain `-` for the rest (sign-ins, role
//! changes, exports). Each entry carries the hash of the entry before it in its chain; the
//! head of each chain (its last sequence number and hash) is kept beside the log, so that a
//! removed last entry is noticed as well.

use crate::error::StoreError;
use crate::traits::{AuditStore, StoreResult};
use chrono::{DateTime, Utc};
use hezhi_domain::{CaseId, RegionCode, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sm3::Sm3;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

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

/// The hash function that seals new entries. Every stored hash says which function made it
/// (a plain hex digest is SHA-256, `sm3:` and hex is SM3), so entries sealed before the
/// setting changed still verify.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AuditHash {
    #[default]
    Sha256,
    /// SM3 (GB/T 32905-2016), the hash function of China's commercial cryptography standards.
    Sm3,
}

/// The prefix of a hash sealed with SM3.
const SM3_PREFIX: &str = "sm3:";

impl AuditHash {
    pub const ALL: [AuditHash; 2] = [AuditHash::Sha256, AuditHash::Sm3];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditHash::Sha256 => "sha256",
            AuditHash::Sm3 => "sm3",
        }
    }

    pub fn parse(text: &str) -> Option<AuditHash> {
        Self::ALL.into_iter().find(|h| h.as_str() == text)
    }

    /// The function that made a stored hash; `None` when it is not one of ours.
    pub fn of_sealed(hash: &str) -> Option<AuditHash> {
        let (function, hex) = match hash.strip_prefix(SM3_PREFIX) {
            Some(hex) => (AuditHash::Sm3, hex),
            None => (AuditHash::Sha256, hash),
        };
        let is_digest =
            hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        is_digest.then_some(function)
    }

    /// The digest of `bytes` as stored: lowercase hex, after the function's prefix.
    fn digest(self, bytes: &[u8]) -> String {
        match self {
            AuditHash::Sha256 => hex(&Sha256::digest(bytes)),
            AuditHash::Sm3 => format!("{SM3_PREFIX}{}", hex(&Sm3::digest(bytes))),
        }
    }
}

impl fmt::Display for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// The hash an entry sealed with `hash` must carry.
pub fn entry_hash(hash: AuditHash, entry: &AuditEntry) -> String {
    hash.digest(&canonical(entry))
}

/// Whether an entry's hash is the one its content was sealed with, by the function the
/// hash names.
pub fn is_sealed(entry: &AuditEntry) -> bool {
    AuditHash::of_sealed(&entry.hash).is_some_and(|hash| entry_hash(hash, entry) == entry.hash)
}

/// Seals `records` onto the chains whose current heads are `heads` (a chain without a head
/// starts from [`GENESIS`]). Returns the entries and the new heads.
pub fn seal(
    hash: AuditHash,
    records: Vec<AuditRecord>,
    heads: &[AuditHead],
) -> (Vec<AuditEntry>, Vec<AuditHead>) {
    let mut current: BTreeMap<String, AuditHead> =
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

/// What is wrong with a chain: the first finding, naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    /// The entry's content, number or hash is not what was sealed; or its hash is not the
    /// one the next entry recorded for it (changed and sealed again).
    #[error("chain {chain}: entry {seq} was changed (it is not what was sealed)")]
    Changed { chain: String, seq: u64 },
    /// `count` entries from `seq` on are missing from the middle of the chain (perhaps with
    /// the entries after them renumbered to close the gap).
    #[error("chain {chain}: {}", removed_text(*.seq, *.count))]
    Removed { chain: String, seq: u64, count: u64 },
    /// An entry the chain does not link through: the entry after it links to the one before
    /// it, its number is used twice, or it lies past the chain's head.
    #[error("chain {chain}: entry {seq} was inserted (the chain does not link through it)")]
    Inserted { chain: String, seq: u64 },
    /// The log ends before the chain's head: the last entries were removed.
    #[error("chain {chain}: {}", truncated_text(*.last, *.head))]
    Truncated { chain: String, last: u64, head: u64 },
    /// The recorded head names entry `seq` with another hash than that entry has.
    #[error("chain {chain}: the head was changed: it records another hash for entry {seq}")]
    HeadChanged { chain: String, seq: u64 },
    /// The log has entries on a chain whose head is gone.
    #[error("chain {chain}: the head is missing, but the log has entries up to {last}")]
    HeadMissing { chain: String, last: u64 },
}

fn removed_text(seq: u64, count: u64) -> String {
    if count > 1 {
        format!("entries {seq} to {} were removed", seq + count - 1)
    } else {
        format!("entry {seq} was removed")
    }
}

fn truncated_text(last: u64, head: u64) -> String {
    let removed = if last + 1 == head {
        format!("entry {head} was")
    } else {
        format!("entries {} to {head} were", last + 1)
    };
    format!("{removed} removed from the end (the log ends at entry {last}, the head is {head})")
}

impl Tamper {
    /// `changed`, `removed`, `inserted`, `truncated`, `head_changed` or `head_missing`.
    pub fn kind(&self) -> &'static str {
        match self {
            Tamper::Changed { .. } => "changed",
            Tamper::Removed { .. } => "removed",
            Tamper::Inserted { .. } => "inserted",
            Tamper::Truncated { .. } => "truncated",
            Tamper::HeadChanged { .. } => "head_changed",
            Tamper::HeadMissing { .. } => "head_missing",
        }
    }

    pub fn chain(&self) -> &str {
        match self {
            Tamper::Changed { chain, .. }
            | Tamper::Removed { chain, .. }
            | Tamper::Inserted { chain, .. }
            | Tamper::Truncated { chain, .. }
            | Tamper::HeadChanged { chain, .. }
            | Tamper::HeadMissing { chain, .. } => chain,
        }
    }

    /// The entry the finding names: the first one changed, removed or inserted; for a
    /// truncated chain the first one missing.
    pub fn seq(&self) -> u64 {
        match self {
            Tamper::Changed { seq, .. }
            | Tamper::Removed { seq, .. }
            | Tamper::Inserted { seq, .. }
            | Tamper::HeadChanged { seq, .. } => *seq,
            Tamper::Truncated { last, .. } => last + 1,
            Tamper::HeadMissing { last, .. } => *last,
        }
    }
}

/// Accepted entries remembered for a broken link: an entry that links to one of them,
/// further back than its predecessor, shows the entries in between to be inserted.
const RECENT: usize = 1024;

/// How far a renumbered entry's sealed number is looked for: entries after a removed one
/// may have been renumbered to close the gap.
const RENUMBERED: u64 = 8;

/// Checks one chain entry by entry, oldest first, so that a chain of any length is checked
/// page by page in constant memory.
///
/// An entry is judged once the entry after it has been read (or the chain has ended): the
/// next entry's link tells an inserted entry from a changed one.
#[derive(Debug)]
pub struct ChainVerifier {
    chain: String,
    head: Option<AuditHead>,
    /// The last entry found in order, as (seq, hash); (0, GENESIS) before the first.
    last: (u64, String),
    recent: VecDeque<(u64, String)>,
    /// The entry read but not judged yet.
    pending: Option<AuditEntry>,
    /// The hash of the entry numbered as the head is.
    at_head: Option<String>,
}

impl ChainVerifier {
    /// A verifier of `chain`, whose recorded head is `head` (`None` when it has none).
    pub fn new(chain: &str, head: Option<&AuditHead>) -> Self {
        Self {
            chain: chain.to_owned(),
            head: head.cloned(),
            last: (0, GENESIS.to_owned()),
            recent: VecDeque::from([(0, GENESIS.to_owned())]),
            pending: None,
            at_head: None,
        }
    }

    /// The next entry of the chain, by sequence number.
    pub fn push(&mut self, entry: AuditEntry) -> Result<(), Tamper> {
        if let Some(previous) = self.pending.take() {
            self.judge(&previous, Some(&entry))?;
            self.accept(previous);
        }
        self.pending = Some(entry);
        Ok(())
    }

    /// Judges the last entry and compares the chain with its head. Returns the number of
    /// the last entry.
    pub fn finish(mut self) -> Result<u64, Tamper> {
        if let Some(last) = self.pending.take() {
            self.judge(&last, None)?;
            self.accept(last);
        }
        let chain = self.chain.clone();
        let (last, last_hash) = &self.last;
        let last = *last;
        match &self.head {
            None if last == 0 => Ok(0),
            None => Err(Tamper::HeadMissing { chain, last }),
            Some(head) if head.seq == last && head.hash == *last_hash => Ok(last),
            Some(head) if head.seq > last => Err(Tamper::Truncated {
                chain,
                last,
                head: head.seq,
            }),
            Some(head) if head.seq < last && self.at_head.as_deref() == Some(&head.hash) => {
                Err(Tamper::Inserted {
                    chain,
                    seq: head.seq + 1,
                })
            }
            Some(head) => Err(Tamper::HeadChanged {
                chain,
                seq: head.seq,
            }),
        }
    }

    fn accept(&mut self, entry: AuditEntry) {
        if self.head.as_ref().is_some_and(|h| h.seq == entry.seq) {
            self.at_head = Some(entry.hash.clone());
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((entry.seq, entry.hash.clone()));
        self.last = (entry.seq, entry.hash);
    }

    /// Whether `entry`, read after the last accepted entry and before `next`, belongs there.
    fn judge(&self, entry: &AuditEntry, next: Option<&AuditEntry>) -> Result<(), Tamper> {
        let chain = || self.chain.clone();
        let (last_seq, last_hash) = (self.last.0, self.last.1.as_str());
        if entry.seq <= last_seq {
            // A number used twice, or out of order.
            return Err(Tamper::Inserted {
                chain: chain(),
                seq: entry.seq,
            });
        }
        let sealed = is_sealed(entry);
        let next_skips_it =
            next.is_some_and(|n| n.prev_hash != entry.hash && n.prev_hash == last_hash);
        if entry.prev_hash == last_hash {
            return if !sealed {
                Err(Tamper::Changed {
                    chain: chain(),
                    seq: entry.seq,
                })
            } else if entry.seq != last_seq + 1 || next_skips_it {
                // Sealed by someone who knew the link, but not part of the chain.
                Err(Tamper::Inserted {
                    chain: chain(),
                    seq: entry.seq,
                })
            } else {
                Ok(())
            };
        }
        // The link to the predecessor is broken.
        if let Some((earlier, _)) = self
            .recent
            .iter()
            .rev()
            .find(|(seq, hash)| *seq < last_seq && *hash == entry.prev_hash)
        {
            // It links further back: the entries in between are not part of the chain.
            return Err(Tamper::Inserted {
                chain: chain(),
                seq: earlier + 1,
            });
        }
        if entry.seq > last_seq + 1 {
            return Err(Tamper::Removed {
                chain: chain(),
                seq: last_seq + 1,
                count: entry.seq - last_seq - 1,
            });
        }
        if next_skips_it {
            return Err(Tamper::Inserted {
                chain: chain(),
                seq: entry.seq,
            });
        }
        if !sealed {
            let renumbered = (1..=RENUMBERED).find(|gap| {
                let mut original = entry.clone();
                original.seq += gap;
                is_sealed(&original)
            });
            return Err(match renumbered {
                Some(count) => Tamper::Removed {
                    chain: chain(),
                    seq: entry.seq,
                    count,
                },
                None => Tamper::Changed {
                    chain: chain(),
                    seq: entry.seq,
                },
            });
        }
        // A sound entry that links to a hash nobody has: its predecessor was changed and
        // sealed again (or, for the first entry, it was itself forged).
        Err(Tamper::Changed {
            chain: chain(),
            seq: if last_seq == 0 { entry.seq } else { last_seq },
        })
    }
}

/// Checks one whole chain, oldest first, against its recorded head; returns the number of
/// its last entry.
pub fn verify_chain(
    chain: &str,
    entries: &[AuditEntry],
    head: Option<&AuditHead>,
) -> Result<u64, Tamper> {
    let mut verifier = ChainVerifier::new(chain, head);
    for entry in entries {
        verifier.push(entry.clone())?;
    }
    verifier.finish()
}

/// The verification of one chain of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainReport {
    pub chain: String,
    /// Entries read (up to the finding, when there is one).
    pub entries: u64,
    /// The recorded head.
    pub head: Option<AuditHead>,
    /// Entries sealed with each hash function, as far as read.
    pub sealed_with: BTreeMap<AuditHash, u64>,
    pub finding: Option<Tamper>,
}

/// How far a verification has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyProgress {
    /// About to read `chains` chains of about `entries` entries (the heads' numbers).
    Started { chains: usize, entries: u64 },
    /// Read `entries` more entries.
    Read { entries: u64 },
}

/// Entries read per query when verifying.
pub const VERIFY_PAGE: u32 = 1000;

/// Verifies every chain of the log: every chain that has a head and every chain that has
/// entries, `page` entries per query. A finding on one chain does not stop the others.
pub async fn verify_log(
    store: &dyn AuditStore,
    page: u32,
    progress: &mut (dyn FnMut(VerifyProgress) + Send),
) -> StoreResult<Vec<ChainReport>> {
    let page = page.max(1);
    let mut chains: BTreeMap<String, Option<AuditHead>> = store
        .audit_heads()
        .await?
        .into_iter()
        .map(|head| (head.chain.clone(), Some(head)))
        .collect();
    for chain in store.audit_chain_names().await? {
        chains.entry(chain).or_insert(None);
    }
    progress(VerifyProgress::Started {
        chains: chains.len(),
        entries: chains.values().flatten().map(|h| h.seq).sum(),
    });
    let mut reports = Vec::with_capacity(chains.len());
    for (chain, head) in chains {
        let mut verifier = ChainVerifier::new(&chain, head.as_ref());
        let mut report = ChainReport {
            chain,
            entries: 0,
            head,
            sealed_with: BTreeMap::new(),
            finding: None,
        };
        let mut after = 0;
        'pages: loop {
            let entries = store.audit_chain(&report.chain, after, page).await?;
            let read = entries.len() as u64;
            let full = read == u64::from(page);
            for entry in entries {
                after = entry.seq;
                report.entries += 1;
                if let Some(hash) = AuditHash::of_sealed(&entry.hash) {
                    *report.sealed_with.entry(hash).or_default() += 1;
                }
                if let Err(finding) = verifier.push(entry) {
                    report.finding = Some(finding);
                    progress(VerifyProgress::Read { entries: read });
                    break 'pages;
                }
            }
            progress(VerifyProgress::Read { entries: read });
            if !full {
                break;
            }
        }
        if report.finding.is_none() {
            report.finding = verifier.finish().err();
        }
        reports.push(report);
    }
    Ok(reports)
}

/// Filters of an audit search; all optional, combined with AND, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Only the system chain and the chains of the counties inside this region (an auditor's
    /// scope). A region below a county contains no county's chain.
    pub within: Option<RegionCode>,
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

    /// A system chain of `n` entries sealed with `hash`, and its head.
    fn chain_of(n: usize, hash: AuditHash) -> (Vec<AuditEntry>, AuditHead) {
        let records = (1..=n).map(|i| record(&format!("a{i}"), None)).collect();
        let (entries, mut heads) = seal(hash, records, &[]);
        (entries, heads.pop().expect("a head"))
    }

    fn verify(entries: &[AuditEntry], head: &AuditHead) -> Result<u64, Tamper> {
        verify_chain(SYSTEM_CHAIN, entries, Some(head))
    }

    /// The entry sealed as it would be at `seq` after `previous`: what an attacker who knows
    /// the algorithm makes.
    fn forged(seq: u64, previous: &AuditEntry) -> AuditEntry {
        let mut entry = AuditEntry {
            seq,
            action: "forged".into(),
            prev_hash: previous.hash.clone(),
            ..previous.clone()
        };
        entry.hash = entry_hash(AuditHash::Sha256, &entry);
        entry
    }

    fn changed(seq: u64) -> Result<u64, Tamper> {
        Err(Tamper::Changed {
            chain: SYSTEM_CHAIN.into(),
            seq,
        })
    }

    fn inserted(seq: u64) -> Result<u64, Tamper> {
        Err(Tamper::Inserted {
            chain: SYSTEM_CHAIN.into(),
            seq,
        })
    }

    fn removed(seq: u64, count: u64) -> Result<u64, Tamper> {
        Err(Tamper::Removed {
            chain: SYSTEM_CHAIN.into(),
            seq,
            count,
        })
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
        assert_eq!(verify_chain("370811", &county, head), Ok(2));
        assert_eq!(verify_chain("370811", &[], None), Ok(0), "an empty chain");
    }

    #[test]
    fn a_changed_field_names_the_entry() {
        let (mut entries, head) = chain_of(5, AuditHash::Sha256);
        entries[2].action = "case.archived".into();
        assert_eq!(verify(&entries, &head), changed(3));
    }

    #[test]
    fn an_entry_changed_and_sealed_again_is_named_by_the_link_of_the_next() {
        let (mut entries, head) = chain_of(5, AuditHash::Sha256);
        entries[2].action = "case.archived".into();
        entries[2].hash = entry_hash(AuditHash::Sha256, &entries[2]);
        assert_eq!(verify(&entries, &head), changed(3));
        // The first entry, changed and sealed again, too.
        let (mut entries, head) = chain_of(3, AuditHash::Sha256);
        entries[0].action = "x".into();
        entries[0].hash = entry_hash(AuditHash::Sha256, &entries[0]);
        assert_eq!(verify(&entries, &head), changed(1));
    }

    #[test]
    fn a_removed_entry_is_named_with_or_without_renumbering() {
        let (entries, head) = chain_of(6, AuditHash::Sha256);
        let mut gap = entries.clone();
        gap.drain(2..4);
        assert_eq!(verify(&gap, &head), removed(3, 2));
        let mut first = entries.clone();
        first.remove(0);
        assert_eq!(verify(&first, &head), removed(1, 1));
        // Renumbered to close the gap, and the head moved back to match.
        let mut renumbered = entries.clone();
        renumbered.remove(2);
        for entry in &mut renumbered[2..] {
            entry.seq -= 1;
        }
        let head = AuditHead { seq: 5, ..head };
        assert_eq!(verify(&renumbered, &head), removed(3, 1));
    }

    #[test]
    fn an_inserted_entry_is_named_wherever_it_is_put() {
        let (entries, head) = chain_of(4, AuditHash::Sha256);
        // Sealed after entry 2 as entry 3, with the rest renumbered: entry 4 (the old 3)
        // still links to entry 2.
        let mut shifted = entries.clone();
        shifted.insert(2, forged(3, &entries[1]));
        for entry in &mut shifted[3..] {
            entry.seq += 1;
        }
        let moved_head = AuditHead {
            seq: 5,
            ..head.clone()
        };
        assert_eq!(verify(&shifted, &moved_head), inserted(3));
        // Two inserted: the entry after them links to the entry before them.
        let mut two = entries.clone();
        let first = forged(3, &entries[1]);
        let second = forged(4, &first);
        two.splice(2..2, [first, second]);
        for entry in &mut two[4..] {
            entry.seq += 2;
        }
        assert_eq!(verify(&two, &moved_head), inserted(3));
        // Not even sealed: still the next entry skips it.
        let mut crude = shifted.clone();
        crude[2].hash = "f".repeat(64);
        crude[2].prev_hash = "e".repeat(64);
        assert_eq!(verify(&crude, &moved_head), inserted(3));
        // A number used twice.
        let mut twice = entries.clone();
        twice.insert(2, forged(2, &entries[0]));
        assert_eq!(verify(&twice, &head), inserted(2));
        // Appended past the head.
        let mut appended = entries.clone();
        appended.push(forged(5, &entries[3]));
        assert_eq!(verify(&appended, &head), inserted(5));
    }

    #[test]
    fn a_truncated_chain_and_a_changed_or_missing_head_are_named() {
        let (entries, head) = chain_of(4, AuditHash::Sha256);
        assert_eq!(
            verify(&entries[..2], &head),
            Err(Tamper::Truncated {
                chain: "-".into(),
                last: 2,
                head: 4
            })
        );
        let other = AuditHead {
            hash: "0".repeat(64),
            ..head.clone()
        };
        assert_eq!(
            verify(&entries, &other),
            Err(Tamper::HeadChanged {
                chain: "-".into(),
                seq: 4
            })
        );
        assert_eq!(
            verify_chain("-", &entries, None),
            Err(Tamper::HeadMissing {
                chain: "-".into(),
                last: 4
            })
        );
        assert_eq!(
            verify_chain("-", &[], Some(&head)),
            Err(Tamper::Truncated {
                chain: "-".into(),
                last: 0,
                head: 4
            })
        );
    }

    #[test]
    fn findings_say_what_and_where() {
        let finding = Tamper::Removed {
            chain: "370811".into(),
            seq: 7,
            count: 3,
        };
        assert_eq!(
            finding.to_string(),
            "chain 370811: entries 7 to 9 were removed"
        );
        assert_eq!(
            (finding.kind(), finding.chain(), finding.seq()),
            ("removed", "370811", 7)
        );
        let truncated = Tamper::Truncated {
            chain: "-".into(),
            last: 4,
            head: 6,
        };
        assert_eq!((truncated.kind(), truncated.seq()), ("truncated", 5));
        assert_eq!(
            truncated.to_string(),
            "chain -: entries 5 to 6 were removed from the end (the log ends at entry 4, the head is 6)"
        );
    }

    #[test]
    fn sm3_entries_say_so_and_verify_beside_sha256_ones() {
        let (sha, heads) = seal(AuditHash::Sha256, vec![record("a", None)], &[]);
        let (sm3, heads) = seal(AuditHash::Sm3, vec![record("b", None)], &heads);
        assert!(sm3[0].hash.starts_with("sm3:"), "{}", sm3[0].hash);
        assert_eq!(AuditHash::of_sealed(&sm3[0].hash), Some(AuditHash::Sm3));
        assert_eq!(AuditHash::of_sealed(&sha[0].hash), Some(AuditHash::Sha256));
        assert_eq!(AuditHash::of_sealed("md5:abc"), None);
        let entries = [sha[0].clone(), sm3[0].clone()];
        assert_eq!(verify_chain("-", &entries, heads.first()), Ok(2));
        // Relabelling the function does not pass either.
        let mut relabelled = entries.clone();
        relabelled[1].hash = relabelled[1].hash.replace("sm3:", "");
        assert_eq!(verify_chain("-", &relabelled, heads.first()), changed(2));
    }

    #[test]
    fn sm3_is_the_standard_function() {
        // GB/T 32905-2016, example 1: SM3("abc").
        assert_eq!(
            AuditHash::Sm3.digest(b"abc"),
            "sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(AuditHash::parse("sm3"), Some(AuditHash::Sm3));
        assert_eq!(AuditHash::parse("md5"), None);
    }
}
