//! The audit log as people use it: auditors (and the operator at the console) search it, and
//! every search and every change of access is itself recorded. Sealing and verifying the
//! chains is `hezhi_store::audit`'s.

use crate::error::AppError;
use crate::service::App;
use chrono::{DateTime, Utc};
use hezhi_domain::access::Action;
use hezhi_domain::{CaseId, Principal, UserId, ValidationError};
use hezhi_store::{AuditEntry, AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Entries an audit search returns unless it asks for another number.
pub const AUDIT_SEARCH_LIMIT: u32 = 100;
/// The most entries one audit search returns.
pub const AUDIT_SEARCH_MAX: u32 = 1000;

/// An audit search as typed, every value still text: who (`user`, an id or a user name),
/// which case, which action, from when (inclusive) to when (exclusive, RFC 3339), how many.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub case: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

/// A value given, or `None` for an absent or empty one (an empty form field filters nothing).
fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn invalid(field: &str, code: &'static str, message: String) -> AppError {
    ValidationError::new(field, code, message).into()
}

fn time(field: &str, value: Option<&String>) -> Result<Option<DateTime<Utc>>, AppError> {
    given(value)
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    invalid(
                        field,
                        "invalid_time",
                        format!(
                            "`{text}` is not an RFC 3339 time such as 2026-03-02T09:00:00+08:00"
                        ),
                    )
                })
        })
        .transpose()
}

/// An action name: snake_case words, perhaps dotted (`case.accepted`).
fn is_action_name(text: &str) -> bool {
    text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

impl App {
    /// Searches the audit log for an auditor, within the auditor's region (the system chain
    /// and the chains of the counties inside it), newest first. The search is recorded.
    pub async fn search_audit(
        &self,
        principal: &Principal,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let Some((actor, within)) = principal
            .with_right(Action::ReadAudit)
            .find_map(|actor| actor.region.clone().map(|region| (actor, region)))
        else {
            return Err(AppError::Forbidden("audit_not_permitted"));
        };
        let filter = AuditFilter {
            within: Some(within),
            ..self.audit_filter(query).await?
        };
        self.searched(Some(actor.user), &filter, "api").await
    }

    /// Searches the whole audit log for the operator at the console (`hezhi audit search`).
    /// The search is recorded.
    pub async fn search_audit_at_console(
        &self,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let filter = self.audit_filter(query).await?;
        self.searched(None, &filter, "console").await
    }

    /// Runs the search and records it; a search that cannot be recorded returns nothing.
    async fn searched(
        &self,
        actor: Option<UserId>,
        filter: &AuditFilter,
        via: &str,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let entries = self.store().search_audit(filter).await?;
        let mut detail = json!({ "via": via, "limit": filter.limit, "found": entries.len() });
        let filters = [
            ("user", filter.actor.map(|u| u.to_string())),
            ("case", filter.case.map(|c| c.to_string())),
            ("action", filter.action.clone()),
            ("from", filter.from.map(|t| t.to_rfc3339())),
            ("to", filter.to.map(|t| t.to_rfc3339())),
            ("within", filter.within.as_ref().map(ToString::to_string)),
        ];
        for (name, value) in filters {
            if let Some(value) = value {
                detail[name] = json!(value);
            }
        }
        self.audit_system(actor, "audit_searched", detail).await?;
        Ok(entries)
    }

    /// The filter a query asks for; every error names its field.
    async fn audit_filter(&self, query: &AuditQuery) -> Result<AuditFilter, AppError> {
        let actor = match given(query.user.as_ref()) {
            None => None,
            Some(text) => match UserId::parse(text) {
                Some(id) => Some(id),
                None => Some(
                    self.store()
                        .user_by_name(text)
                        .await?
                        .ok_or_else(|| {
                            invalid("user", "unknown_user", format!("no user is named `{text}`"))
                        })?
                        .id,
                ),
            },
        };
        let case = given(query.case.as_ref())
            .map(|text| {
                CaseId::parse(text).ok_or_else(|| {
                    invalid(
                        "case",
                        "invalid_value",
                        format!("`{text}` is not a case id"),
                    )
                })
            })
            .transpose()?;
        let action = given(query.action.as_ref())
            .map(|text| {
                if is_action_name(text) {
                    Ok(text.to_owned())
                } else {
                    Err(invalid(
                        "action",
                        "invalid_value",
                        format!("`{text}` is not an action name such as case.accepted"),
                    ))
                }
            })
            .transpose()?;
        let from = time("from", query.from.as_ref())?;
        let to = time("to", query.to.as_ref())?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(invalid(
                "to",
                "invalid_time_range",
                "`to` must be later than `from`".into(),
            ));
        }
        let limit = match given(query.limit.as_ref()) {
            None => AUDIT_SEARCH_LIMIT,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=AUDIT_SEARCH_MAX).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "limit",
                        "invalid_value",
                        format!("`{text}` is not a number from 1 to {AUDIT_SEARCH_MAX}"),
                    )
                })?,
        };
        Ok(AuditFilter {
            within: None,
            actor,
            case,
            action,
            from,
            to,
            limit,
        })
    }

    /// Appends one entry to the system chain, stamped now. `actor` is `None` for the
    /// operator at the console.
    pub(crate) async fn audit_system(
        &self,
        actor: Option<UserId>,
        action: &str,
        detail: Value,
    ) -> Result<(), AppError> {
        let record = AuditRecord {
            at: self.now(),
            actor,
            action: action.to_owned(),
            case: None,
            county: None,
            detail,
        };
        self.store().append_audit(vec![record]).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_snake_case_and_dotted() {
        assert!(is_action_name("case.accepted"));
        assert!(is_action_name("user_created"));
        assert!(!is_action_name("Case Accepted"));
        assert!(!is_action_name("x'; DROP TABLE audit_log; --"));
        assert!(!is_action_name(&"a".repeat(65)));
    }
}
