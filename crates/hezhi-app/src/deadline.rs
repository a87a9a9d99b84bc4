//! The deadline policy in force, and new versions of it (a system administrator's setting).

use crate::error::AppError;
use crate::service::App;
use hezhi_domain::access::Action;
use hezhi_domain::deadline::{DeadlinePolicy, DeadlineRule, PauseReason};
use hezhi_domain::{Case, Principal};

impl App {
    /// The newest version of the deadline policy: the last one saved, else the shipped
    /// defaults (version 1).
    pub async fn deadline_policy(&self) -> Result<DeadlinePolicy, AppError> {
        Ok(self
            .store()
            .latest_deadline_policy()
            .await?
            .unwrap_or_else(DeadlinePolicy::defaults))
    }

    /// The version of the policy `case` runs under (recorded at triage); the one in force for
    /// a case triaged before versions were recorded.
    pub async fn deadline_policy_of(&self, case: &Case) -> Result<DeadlinePolicy, AppError> {
        match case.policy_version {
            Some(1) => Ok(DeadlinePolicy::defaults()),
            Some(version) => match self.store().deadline_policy(version).await? {
                Some(policy) => Ok(policy),
                None => self.deadline_policy().await,
            },
            None => self.deadline_policy().await,
        }
    }

    /// Saves `rules` (and, when given, the warning share and the reasons a clock may stop
    /// for; else those of the version in force) as the next version, which applies to cases
    /// from now on. Only users
    /// who manage settings may; the rules must pass [`DeadlinePolicy::validate`]. Recorded
    /// on the audit log's system chain as `deadline_policy_saved`.
    pub async fn save_deadline_policy(
        &self,
        by: &Principal,
        rules: Vec<DeadlineRule>,
        warning_percent: Option<u8>,
        pausable: Option<Vec<PauseReason>>,
    ) -> Result<DeadlinePolicy, AppError> {
        self.require_admin(by, Action::ManageSettings, None, None)
            .await?;
        let current = self.deadline_policy().await?;
        let policy = DeadlinePolicy {
            version: 0,
            rules,
            warning_percent: warning_percent.unwrap_or(current.warning_percent),
            pausable: pausable.unwrap_or(current.pausable),
        };
        policy.validate()?;
        let saved = self
            .store()
            .save_deadline_policy(&policy, self.now(), Some(by.user))
            .await?;
        self.audit_system(
            Some(by.user),
            "deadline_policy_saved",
            serde_json::json!({ "version": saved.version, "rules": saved.rules.len() }),
        )
        .await?;
        Ok(saved)
    }
}
