//! The figures centres report upward, and the formula of each. The counts come from the event
//! log (a [`Tally`] of one region subtree and one period); the rates are ratios of them,
//! kept as numerator and denominator so that nothing is lost to rounding until they are
//! shown.

use std::fmt;

/// A ratio, shown as a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
}

impl Rate {
    pub fn new(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
        }
    }

    /// The percentage, or `None` when there is nothing to divide by (shown as "—", never as
    /// 0% or 100%).
    pub fn percent(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 * 100.0 / self.denominator as f64)
    }

    /// The percentage rounded to the nearest `decimals` places, as reports print it
    /// (`93.72%`), or `—`.
    pub fn show(self, decimals: usize) -> String {
        match self.percent() {
            Some(p) => format!("{p:.decimals$}%"),
            None => "—".to_owned(),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.show(2))
    }
}

/// The counts of one region subtree over one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// 受理: cases reported in the period.
    pub reported: u64,
    /// 派遣: cases dispatched to a unit in the period.
    pub dispatched: u64,
    /// 办结: cases resolved (at first contact or by a unit) in the period.
    pub closed: u64,
    /// 应结: cases whose handling deadline fell in the period, closed or not.
    pub due_for_closure: u64,
    /// Of those, the ones resolved by their deadline (extensions granted included).
    pub closed_on_time: u64,
    /// 排查: disputes and hazards found by grid workers' screening (reported through the grid
    /// channel).
    pub screened: u64,
    /// 预防: risks (hazards) closed before they became disputes.
    pub prevented: u64,
    /// 调解: disputes accepted for mediation.
    pub mediations: u64,
    /// 调解成功: of those, the ones resolved as settled.
    pub mediations_settled: u64,
    /// 首问办结: resolved at first contact.
    pub first_contact: u64,
    /// 返工: resolved cases sent back after verification.
    pub reworked: u64,
    /// 回访: cases followed up.
    pub followed_up: u64,
    /// 满意 and 基本满意 at follow-up.
    pub satisfied: u64,
    pub basically_satisfied: u64,
    /// 就地化解: resolved at village or town level without escalation.
    pub resolved_locally: u64,
    /// 涉及金额 (yuan) and 涉及人数 of the cases reported.
    pub amount_yuan: u64,
    pub people: u64,
}

impl Tally {
    /// 结案率 = 办结 / 应结.
    pub fn closure_rate(&self) -> Rate {
        Rate::new(self.closed, self.due_for_closure)
    }

    /// 按期结案率 = 按期办结 / 应结.
    pub fn on_time_rate(&self) -> Rate {
        Rate::new(self.closed_on_time, self.due_for_closure)
    }

    /// 调解成功率 = 调解成功 / 受理调解.
    pub fn mediation_success_rate(&self) -> Rate {
        Rate::new(self.mediations_settled, self.mediations)
    }

    /// 首问办结率 = 首问办结 / 办结.
    pub fn first_contact_rate(&self) -> Rate {
        Rate::new(self.first_contact, self.closed)
    }

    /// 返工率 = 返工 / 办结.
    pub fn rework_rate(&self) -> Rate {
        Rate::new(self.reworked, self.closed)
    }

    /// 满意率 = (满意 + 基本满意) / 回访.
    pub fn satisfaction_rate(&self) -> Rate {
        Rate::new(self.satisfied + self.basically_satisfied, self.followed_up)
    }

    /// 就地化解率 = 在村、镇两级化解且未提级 / 办结.
    pub fn local_resolution_rate(&self) -> Rate {
        Rate::new(self.resolved_locally, self.closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Figures published by centres, as the issue quotes them.
    #[test]
    fn the_rates_match_published_figures() {
        let tally = Tally {
            due_for_closure: 972,
            closed: 911,
            closed_on_time: 737,
            mediations: 869,
            mediations_settled: 842,
            ..Tally::default()
        };
        assert_eq!(tally.closure_rate().show(2), "93.72%");
        assert_eq!(tally.on_time_rate().show(2), "75.82%");
        assert_eq!(tally.mediation_success_rate().show(1), "96.9%");
        assert_eq!(tally.closure_rate().to_string(), "93.72%");
    }

    #[test]
    fn the_other_rates_follow_their_formulas() {
        let tally = Tally {
            closed: 200,
            first_contact: 50,
            reworked: 6,
            followed_up: 180,
            satisfied: 150,
            basically_satisfied: 24,
            resolved_locally: 171,
            ..Tally::default()
        };
        assert_eq!(tally.first_contact_rate().show(1), "25.0%");
        assert_eq!(tally.rework_rate().show(1), "3.0%");
        assert_eq!(tally.satisfaction_rate(), Rate::new(174, 180));
        assert_eq!(tally.satisfaction_rate().show(2), "96.67%");
        assert_eq!(tally.local_resolution_rate().show(1), "85.5%");
    }

    #[test]
    fn nothing_to_divide_by_is_shown_as_a_dash() {
        let tally = Tally::default();
        assert_eq!(tally.closure_rate().percent(), None);
        assert_eq!(tally.satisfaction_rate().show(1), "—");
    }
}
