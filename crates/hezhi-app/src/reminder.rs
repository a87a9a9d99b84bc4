//! Deadline reminders by SMS: when the sweeper warns about a case, finds it overdue or
//! escalates it, the people who must act hear of it on their phones as well as in the app's
//! list (`/reminders`), through the same pluggable [`crate::SmsSender`] as residents' codes.
//! A message that cannot be sent is logged and not retried: the in-app list and the case's
//! timeline are the record.

use crate::error::AppError;
use crate::service::App;
use chrono::Duration;
use hezhi_domain::access::Action;
use hezhi_domain::{
    Case, CaseState, Event, EventKind, Phone, Principal, RegionLevel, Role, UserId,
};
use hezhi_store::RecipientScope;

/// Who hears of `event` on `case` (in the state it was swept in): the lead unit's handlers
/// and mediators while a unit handles it, the town centre's dispatchers before dispatch and
/// for the follow-up, the grid's workers (and the town's dispatchers) for the verification,
/// and the supervisors of the level a case is escalated to.
pub fn recipients(case: &Case, event: &EventKind) -> Vec<(Role, RecipientScope)> {
    let town = case
        .data
        .region
        .ancestor_at(RegionLevel::Town)
        .unwrap_or_else(|| case.data.region.clone());
    let dispatchers = (Role::Dispatcher, RecipientScope::Region(town));
    match event {
        EventKind::Escalated { to, .. } => {
            vec![(Role::Supervisor, RecipientScope::Region(to.clone()))]
        }
        EventKind::DeadlineWarned { .. } | EventKind::Overdue { .. } => match case.state {
            CaseState::Resolved => {
                let mut to = vec![dispatchers];
                if case.data.region.level() == RegionLevel::Grid {
                    to.push((
                        Role::GridWorker,
                        RecipientScope::Region(case.data.region.clone()),
                    ));
                }
                to
            }
            _ => match &case.assignment {
                Some(assignment) => vec![
                    (
                        Role::UnitHandler,
                        RecipientScope::Unit(assignment.lead_unit),
                    ),
                    (Role::Mediator, RecipientScope::Unit(assignment.lead_unit)),
                ],
                None => vec![dispatchers],
            },
        },
        _ => Vec::new(),
    }
}

/// China time of day for a message (`03-09 17:00`).
fn short_time(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + Duration::hours(8)).format("%m-%d %H:%M").to_string()
}

/// The text of the reminder for `event` on `case`, or `None` for an event that has none.
pub fn reminder_text(case: &Case, event: &EventKind) -> Option<String> {
    let stage = match case.state {
        CaseState::Resolved => "核查",
        CaseState::Verified => "回访",
        _ => "办理",
    };
    let number = &case.number;
    Some(match event {
        EventKind::DeadlineWarned { due_at } => format!(
            "【和治】事件{number}「{}」{stage}期限为{}，即将到期，请及时处理。",
            short(&case.data.title),
            short_time(*due_at)
        ),
        EventKind::Overdue { due_at } => format!(
            "【和治】事件{number}「{}」已超过{stage}期限（{}），请立即处理。",
            short(&case.data.title),
            short_time(*due_at)
        ),
        EventKind::Escalated { to, .. } => format!(
            "【和治】事件{number}「{}」逾期未办结，已提级至{}督办，请关注。",
            short(&case.data.title),
            to
        ),
        _ => return None,
    })
}

/// A title cut to 20 characters, so that a message stays within one or two SMS parts.
fn short(title: &str) -> String {
    let mut chars = title.chars();
    let head: String = chars.by_ref().take(20).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

impl App {
    /// Sets (or with `None` removes) the phone a staff member's reminders go to. System
    /// administrators only; recorded as `staff_phone_set` (the number masked).
    pub async fn set_staff_phone(
        &self,
        by: &Principal,
        user: UserId,
        phone: Option<&str>,
    ) -> Result<(), AppError> {
        self.require_admin(by, Action::ManageUsers, None, None)
            .await?;
        self.set_staff_phone_as(Some(by.user), user, phone).await
    }

    /// [`App::set_staff_phone`] for the operator at the console (`hezhi user set-phone`).
    pub async fn operator_set_staff_phone(
        &self,
        user: UserId,
        phone: Option<&str>,
    ) -> Result<(), AppError> {
        self.set_staff_phone_as(None, user, phone).await
    }

    async fn set_staff_phone_as(
        &self,
        by: Option<UserId>,
        user: UserId,
        phone: Option<&str>,
    ) -> Result<(), AppError> {
        let phone = phone
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Phone::parse)
            .transpose()?;
        self.store()
            .user(user)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        self.store()
            .set_staff_phone(user, phone.as_ref(), self.now())
            .await?;
        self.audit_system(
            by,
            "staff_phone_set",
            serde_json::json!({
                "user": user.to_string(),
                "phone": phone.as_ref().map(Phone::masked),
            }),
        )
        .await
    }

    /// Sends the reminders of the sweeper's `events` on `case` (as it was when swept). Returns
    /// how many messages went out; failures are logged.
    pub(crate) async fn send_reminders(&self, case: &Case, events: &[Event]) -> usize {
        let mut sent = 0;
        for event in events {
            let Some(text) = reminder_text(case, &event.kind) else {
                continue;
            };
            let mut seen: Vec<UserId> = Vec::new();
            for (role, scope) in recipients(case, &event.kind) {
                let found = match self.store().reminder_recipients(role, &scope).await {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::warn!(%error, case = %case.id, "reminder recipients unknown");
                        continue;
                    }
                };
                for (user, phone) in found {
                    if seen.contains(&user) {
                        continue;
                    }
                    seen.push(user);
                    match self.sms_sender().send(&phone, &text).await {
                        Ok(()) => sent += 1,
                        Err(error) => tracing::warn!(
                            %error, case = %case.id, phone = %phone.masked(),
                            "reminder SMS not sent"
                        ),
                    }
                }
            }
        }
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_titles_are_cut_for_a_short_message() {
        assert_eq!(short("楼上漏水"), "楼上漏水");
        let long = "某".repeat(25);
        assert_eq!(short(&long).chars().count(), 21);
        assert!(short(&long).ends_with('…'));
    }
}
