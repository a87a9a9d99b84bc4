//! The leader's overview (态势总览) of one region for one period: counts by state, urgency,
//! category and the region's children, the trend of reports day by day, open cases by grid
//! for the map, and the overdue cases. Only for users whose role may see the region's figures
//! (the `export` right inside their scope).

use crate::error::AppError;
use crate::service::App;
use chrono::{DateTime, Utc};
use hezhi_domain::access::{Action, Relation, permits, relation_to_region};
use hezhi_domain::{Case, Principal, RegionCode, RegionLevel};
use hezhi_store::{CaseCountQuery, CaseFilter, CaseOrder, CountBy, GridShape, PageRequest, Region};

/// How many overdue cases the overview lists (the most urgent first).
pub const OVERDUE_LISTED: u32 = 20;

/// Counts by key, ordered by key.
pub type Counts = Vec<(String, u64)>;

#[derive(Debug, Clone)]
pub struct Overview {
    pub region: Region,
    pub children: Vec<Region>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Reported in the period.
    pub by_state: Counts,
    pub by_urgency: Counts,
    pub by_category: Counts,
    pub by_child: Counts,
    /// Reported per China day of the period.
    pub trend: Counts,
    /// Open now, by the children of the region.
    pub open_by_child: Counts,
    /// Open now, by grid (cases registered above every grid under their own code).
    pub open_by_grid: Counts,
    /// The grids drawn on the map: those of the region's villages (a town or a village).
    pub grids: Vec<GridShape>,
    /// The regions of those villages' grids, for their names.
    pub grid_regions: Vec<Region>,
    pub overdue: Vec<Case>,
}

impl App {
    /// Whether `principal` may see the figures of `region`.
    pub fn may_see_figures(principal: &Principal, region: &RegionCode) -> bool {
        principal.assignments.iter().any(|actor| {
            relation_to_region(actor, region) == Relation::Inside
                && permits(actor.role, Relation::Inside, Action::Export)
        })
    }

    /// The overview of `region` for cases reported in `[from, to)`.
    pub async fn overview(
        &self,
        principal: &Principal,
        region: &RegionCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Overview, AppError> {
        if !Self::may_see_figures(principal, region) {
            return Err(AppError::NotFound("region"));
        }
        let (region, children) = self.region_with_children(region).await?;
        let store = self.store();
        let count = |by, open_only, period: bool| {
            let query = CaseCountQuery {
                region: region.code.clone(),
                reported_from: period.then_some(from),
                reported_to: period.then_some(to),
                open_only,
                by,
            };
            async move { store.count_cases(&query).await }
        };
        let child_level = region.level.child().unwrap_or(RegionLevel::Grid);
        let by_state = count(CountBy::State, false, true).await?;
        let by_urgency = count(CountBy::Urgency, false, true).await?;
        let by_category = count(CountBy::Category, false, true).await?;
        let by_child = count(CountBy::Region(child_level), false, true).await?;
        let trend = count(CountBy::ReportedDay, false, true).await?;
        let open_by_child = count(CountBy::Region(child_level), true, false).await?;
        let open_by_grid = count(CountBy::Region(RegionLevel::Grid), true, false).await?;
        let villages: Vec<RegionCode> = match region.level {
            RegionLevel::Village => vec![region.code.clone()],
            RegionLevel::Town => children.iter().map(|c| c.code.clone()).collect(),
            _ => Vec::new(),
        };
        let mut grids = Vec::new();
        let mut grid_regions = Vec::new();
        for village in &villages {
            grids.extend(store.grid_shapes_in_village(village).await?);
            grid_regions.extend(store.region_children(village).await?);
        }
        let overdue = self
            .list_cases(
                principal,
                CaseFilter {
                    region: Some(region.code.clone()),
                    overdue_at: Some(self.now()),
                    order: CaseOrder::Queue,
                    ..CaseFilter::default()
                },
                PageRequest {
                    after: None,
                    limit: OVERDUE_LISTED,
                },
            )
            .await?
            .items;
        Ok(Overview {
            region,
            children,
            from,
            to,
            by_state,
            by_urgency,
            by_category,
            by_child,
            trend,
            open_by_child,
            open_by_grid,
            grids,
            grid_regions,
            overdue,
        })
    }
}
