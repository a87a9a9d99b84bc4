//! What a write is. Every change to a case is one [`WriteOp`]; the backends execute a batch
//! of them in one transaction, each op inside its own savepoint so that one refused op does
//! not undo the others.

use chrono::{DateTime, Utc};
use hezhi_domain::{
    Actor, Case, CaseId, CaseNumber, CaseState, Event, NewCase, RegionCode, TrackingCode, UserId,
};
use serde::{Deserialize, Serialize};

/// The idempotency key of the request that caused a write, recorded in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub user: UserId,
    pub key: String,
    /// SHA-256 of the request (method, path and body), to tell a retry from a different
    /// request that reuses the key.
    pub request_hash: String,
}

/// A stored idempotency record: what the first request with this key received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub status: u16,
    pub receipt: WriteReceipt,
}

#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Report a new case. The store allocates the gap-free number for the case's county and
    /// year, builds the `reported` event and the projection.
    CreateCase {
        id: CaseId,
        tracking_code: TrackingCode,
        data: Box<NewCase>,
        actor: Actor,
        at: DateTime<Utc>,
        idempotency: Option<IdempotencyKey>,
    },
    /// Append events decided on a case whose version was `expected_version`, and replace its
    /// projection `before` (the one at that version, which the events were decided on) with
    /// `case`. Refused with [`crate::StoreError::VersionConflict`] if the stored version
    /// differs.
    AppendEvents {
        expected_version: u32,
        events: Vec<Event>,
        before: Box<Case>,
        case: Box<Case>,
        idempotency: Option<IdempotencyKey>,
    },
}

impl WriteOp {
    /// Appends `events`, decided on `before`, which turn it into `after`.
    pub fn append(
        before: Case,
        events: Vec<Event>,
        after: Case,
        idempotency: Option<IdempotencyKey>,
    ) -> Self {
        WriteOp::AppendEvents {
            expected_version: before.version,
            events,
            before: Box::new(before),
            case: Box::new(after),
            idempotency,
        }
    }

    pub fn county(&self) -> RegionCode {
        match self {
            WriteOp::CreateCase { data, .. } => data.county(),
            WriteOp::AppendEvents { case, .. } => case.county(),
        }
    }

    pub fn idempotency(&self) -> Option<&IdempotencyKey> {
        match self {
            WriteOp::CreateCase { idempotency, .. } | WriteOp::AppendEvents { idempotency, .. } => {
                idempotency.as_ref()
            }
        }
    }

    /// The HTTP status a successful write answers with (kept with the idempotency record).
    pub fn success_status(&self) -> u16 {
        match self {
            WriteOp::CreateCase { .. } => 201,
            WriteOp::AppendEvents { .. } => 200,
        }
    }
}

/// What a committed write returns, and what a retry with the same idempotency key receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteReceipt {
    pub id: CaseId,
    pub number: CaseNumber,
    pub tracking_code: TrackingCode,
    pub state: CaseState,
    pub version: u32,
}

impl WriteReceipt {
    pub fn of(case: &Case) -> Self {
        Self {
            id: case.id,
            number: case.number.clone(),
            tracking_code: case.tracking_code.clone(),
            state: case.state,
            version: case.version,
        }
    }
}
