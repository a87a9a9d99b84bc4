//! Idempotency keys: a retried request gets the first answer, and is never applied twice.
//!
//! The record of a key is written in the same transaction as the write it answers, so a
//! crash cannot separate them. Requests still in progress are tracked in memory: a retry
//! that arrives while the first attempt runs gets `409`; if two server processes race on one
//! key, the database's primary key lets only one commit and the other replays its answer.

use crate::error::AppError;
use hezhi_domain::{UserId, ValidationError};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

/// The key a client sent, and the hash of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRequest {
    pub key: String,
    /// SHA-256 (hex) of the method, path and body of the request.
    pub request_hash: String,
}

impl IdempotencyRequest {
    pub const KEY_MAX_LEN: usize = 255;

    pub fn new(key: &str, request_hash: String) -> Result<Self, ValidationError> {
        let ok = !key.is_empty()
            && key.len() <= Self::KEY_MAX_LEN
            && key.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self {
                key: key.to_owned(),
                request_hash,
            })
        } else {
            Err(ValidationError::new(
                "Idempotency-Key",
                "invalid_idempotency_key",
                "an idempotency key has 1–255 visible ASCII characters",
            ))
        }
    }
}

/// Keys whose first request is still running in this process.
#[derive(Debug, Default, Clone)]
pub struct InFlight(Arc<Mutex<HashSet<(UserId, String)>>>);

/// Removes the key from the in-flight set when the request ends, however it ends.
#[derive(Debug)]
pub struct InFlightGuard {
    set: InFlight,
    entry: (UserId, String),
}

impl InFlight {
    pub fn enter(&self, user: UserId, key: &str) -> Result<InFlightGuard, AppError> {
        let entry = (user, key.to_owned());
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !set.insert(entry.clone()) {
            return Err(AppError::IdempotencyInFlight);
        }
        Ok(InFlightGuard {
            set: self.clone(),
            entry,
        })
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.set
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.entry);
    }
}
