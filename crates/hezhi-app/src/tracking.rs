//! A resident follows one case with its tracking code and his phone number, without an
//! account: he sees the public parts of it, nothing about the people who handle it.

use crate::error::AppError;
use crate::service::App;
use chrono::{DateTime, Duration, Utc};
use hezhi_domain::{
    Case, CaseKind, CaseNumber, CaseState, CategoryCode, Event, EventKind, Outcome, Phone,
    ReferralChannel, TrackingCode,
};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// What a resident sees of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicCase {
    pub number: CaseNumber,
    pub tracking_code: TrackingCode,
    pub state: CaseState,
    pub kind: CaseKind,
    pub category: CategoryCode,
    pub title: String,
    pub reported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub timeline: Vec<PublicStep>,
}

/// One step of the public timeline: what happened and when, with only what the resident
/// needs (where to turn if the case was declined, how it ended).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicStep {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_channel: Option<ReferralChannel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral: Option<ReferralChannel>,
}

/// The steps a resident is shown; supervision, escalation, returns, rework and extensions are
/// the centre's internal business.
pub fn public_step(event: &Event) -> Option<PublicStep> {
    let step = |kind| PublicStep {
        kind,
        at: event.at,
        suggested_channel: None,
        outcome: None,
        referral: None,
    };
    match &event.kind {
        EventKind::Reported { .. } => Some(step("reported")),
        EventKind::Accepted { .. } => Some(step("accepted")),
        EventKind::Declined {
            suggested_channel, ..
        } => Some(PublicStep {
            suggested_channel: Some(*suggested_channel),
            ..step("declined")
        }),
        EventKind::Dispatched { .. } => Some(step("dispatched")),
        EventKind::Acknowledged { .. } => Some(step("acknowledged")),
        EventKind::ResolvedAtFirstContact { outcome, .. } => Some(PublicStep {
            outcome: Some(*outcome),
            ..step("resolved")
        }),
        EventKind::Resolved {
            outcome, referral, ..
        } => Some(PublicStep {
            outcome: Some(*outcome),
            referral: *referral,
            ..step("resolved")
        }),
        EventKind::Verified { .. } => Some(step("verified")),
        EventKind::FollowedUp { .. } => Some(step("followed_up")),
        EventKind::Archived {} => Some(step("archived")),
        _ => None,
    }
}

impl PublicCase {
    pub fn of(case: &Case, events: &[Event]) -> Self {
        Self {
            number: case.number.clone(),
            tracking_code: case.tracking_code.clone(),
            state: case.state,
            kind: case.data.kind,
            category: case.data.category.clone(),
            title: case.data.title.clone(),
            reported_at: case.reported_at,
            updated_at: case.updated_at,
            due_at: case.due_at,
            timeline: events.iter().filter_map(public_step).collect(),
        }
    }
}

/// Failed lookups per client address, so that nobody can try tracking codes and phone
/// numbers at scale.
#[derive(Debug, Default)]
pub struct TrackingThrottle(Mutex<HashMap<String, (u32, DateTime<Utc>)>>);

impl TrackingThrottle {
    /// Failed lookups allowed per address in [`Self::WINDOW`].
    pub const MAX_FAILURES: u32 = 10;
    pub const WINDOW: Duration = Duration::minutes(15);

    fn blocked_until(&self, address: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let failures = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        failures.get(address).and_then(|(count, since)| {
            let until = *since + Self::WINDOW;
            (*count >= Self::MAX_FAILURES && now < until).then_some(until)
        })
    }

    fn fail(&self, address: &str, now: DateTime<Utc>) {
        let mut failures = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| now - *since < Self::WINDOW);
        }
        let entry = failures.entry(address.to_owned()).or_insert((0, now));
        if now - entry.1 >= Self::WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

impl App {
    /// The public view of the case with `code`, if `phone` is the phone of one of its
    /// parties. A wrong code and a wrong phone are answered alike, and an address that fails
    /// too often is told to wait.
    pub async fn track(
        &self,
        code: &str,
        phone: &str,
        address: &str,
    ) -> Result<PublicCase, AppError> {
        let now = self.now();
        if let Some(until) = self.tracking_throttle.blocked_until(address, now) {
            return Err(AppError::TooManyAttempts {
                retry_after: (until - now).num_seconds().max(1),
            });
        }
        let code = TrackingCode::parse(code)?;
        let phone = Phone::parse(phone)?;
        let found = self
            .store()
            .case_by_tracking_code(&code)
            .await?
            .filter(|case| {
                case.data
                    .parties
                    .iter()
                    .any(|p| p.phone.as_ref() == Some(&phone))
            });
        let Some(case) = found else {
            self.tracking_throttle.fail(address, now);
            return Err(AppError::NotFound("case"));
        };
        let events = self.store().events(case.id).await?;
        Ok(PublicCase::of(&case, &events))
    }
}
