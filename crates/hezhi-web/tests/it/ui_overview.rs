//! The leader's overview: figures of his region for a period, a map of its grids coloured by
//! open cases, the daily trend, and the overdue cases; nothing of a region outside his own.

use crate::fixture::{GRID, OTHER_VILLAGE, TOWN, VILLAGE, case_in, leak_case};
use crate::grids::{import, village_file};
use crate::harness::{Harness, on_postgres, on_sqlite};
use crate::ui::{page, sign_in};
use hezhi_domain::Role;

async fn a_leader_sees_his_towns_figures_map_trend_and_overdue_cases(h: Harness) {
    let fx = &h.fx;
    import(&h, VILLAGE, &village_file()).await;
    // Three cases in grid 1, one at the village, one in the next town.
    let mut overdue = h.dispatched_case(&leak_case()).await;
    h.report(&fx.clerk, &case_in(GRID, "dispute", "labour", "拖欠工资"))
        .await;
    h.clock.advance(chrono::Duration::days(1));
    h.report(
        &fx.clerk,
        &case_in(GRID, "dispute", "neighbour", "占道停车"),
    )
    .await;
    h.report(
        &fx.clerk,
        &case_in(VILLAGE, "dispute", "neighbour", "广场噪音"),
    )
    .await;
    h.report(
        &fx.other_dispatcher,
        &case_in(OTHER_VILLAGE, "dispute", "neighbour", "邻村"),
    )
    .await;
    // The first one's week passes.
    h.clock.advance(chrono::Duration::days(8));
    let _ = &mut overdue;

    let leader = h
        .person("town_leader", Role::Leader, Some(TOWN), None)
        .await;
    let browser = sign_in(&h, &leader).await;
    let cases = page(&h, &browser, "/cases").await.expect_status(200).text();
    assert!(
        cases.contains(r#"<a href="/overview">态势总览</a>"#),
        "{cases}"
    );
    let html = page(&h, &browser, "/overview")
        .await
        .expect_status(200)
        .text();
    assert!(html.contains("<h1>态势总览</h1>"), "{html}");
    // Four reported in the town in the last 30 days, none closed, four open, one overdue.
    assert!(html.contains("<dt>期间受理</dt><dd>4</dd>"), "{html}");
    assert!(html.contains("<dt>当前未办结</dt><dd>4</dd>"), "{html}");
    assert!(html.contains("<dt>当前已超期</dt><dd>1</dd>"), "{html}");
    // The map: the village's two grids, the first with three open cases.
    assert_eq!(html.matches("<path d=").count(), 2, "{html}");
    assert!(
        html.contains("南张村西南片: 3</title>") || html.contains(": 3</title></path>"),
        "{html}"
    );
    assert!(
        html.contains("登记在村（社区）及以上、未落到网格的未办结事件: 1"),
        "{html}"
    );
    // The trend: thirty columns, two days with reports.
    assert!(html.contains(r#"<svg class="trend""#));
    assert_eq!(html.matches("<rect x=").count(), 30, "{html}");
    // By category, by region with a link down to the village.
    assert!(
        html.contains("<td>邻里纠纷</td><td>2</td>") || html.contains("邻里"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/overview?region={VILLAGE}")),
        "{html}"
    );
    // The overdue list names the case.
    assert!(html.contains("楼上卫生间漏水"), "{html}");
    // The indicators of the same period, from the rollups: the first case was due in the
    // period and is not closed, so the closure rate is 0 of 1; nothing was followed up.
    assert!(
        html.contains("<h2 id=\"indicators\">考核指标</h2>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td>结案率</td><td>0.00%</td><td>0 / 1</td></tr>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td>满意率</td><td>—</td><td>0 / 0</td></tr>"),
        "{html}"
    );
    assert!(html.contains("<tr><td>受理</td><td>4</td>"), "{html}");
    // The ledger of the same region and period, exported from the page with the session.
    let href = html
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .find(|href| href.starts_with("/api/v1/exports/ledger") && href.ends_with("xlsx"))
        .unwrap_or_else(|| panic!("no ledger link in {html}"))
        .replace("&amp;", "&");
    let ledger = h
        .get(href)
        .cookie(&browser.session)
        .send()
        .await
        .expect_status(200);
    assert!(ledger.bytes.starts_with(b"PK"), "a workbook");

    // One level down; a chosen period that holds only the first day.
    let village = page(&h, &browser, &format!("/overview?region={VILLAGE}"))
        .await
        .expect_status(200)
        .text();
    assert!(village.contains("<dt>期间受理</dt><dd>4</dd>"), "{village}");
    let start = h.now() - chrono::Duration::days(9);
    let day = start
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .date_naive();
    let first_day = page(&h, &browser, &format!("/overview?from={day}&to={day}"))
        .await
        .expect_status(200)
        .text();
    assert!(
        first_day.contains("<dt>期间受理</dt><dd>2</dd>"),
        "{first_day}"
    );

    // Not the next town, not a reversed or endless period.
    let other = page(&h, &browser, "/overview?region=370811003").await;
    assert_eq!(other.status.as_u16(), 404);
    let reversed = page(&h, &browser, "/overview?from=2026-12-01&to=2026-11-01").await;
    assert_eq!(reversed.status.as_u16(), 422);
    let endless = page(&h, &browser, "/overview?from=2020-01-01&to=2026-11-01").await;
    assert_eq!(endless.status.as_u16(), 422);
    let garbage = page(&h, &browser, "/overview?from=yesterday").await;
    assert_eq!(garbage.status.as_u16(), 422);

    // A grid worker has no overview.
    let worker = sign_in(&h, &fx.grid_worker).await;
    let his = page(&h, &worker, "/cases").await.expect_status(200).text();
    assert!(!his.contains(r#"href="/overview""#));
    let refused = page(&h, &worker, "/overview").await;
    assert_eq!(refused.status.as_u16(), 403);
    let refused = page(&h, &worker, &format!("/overview?region={GRID}")).await;
    assert_eq!(refused.status.as_u16(), 404);
}

async fn without_grid_shapes_the_map_is_tiles_of_the_children(h: Harness) {
    let county_leader = h
        .person("county_leader", Role::Leader, Some("370811"), None)
        .await;
    h.report(&h.fx.clerk, &leak_case()).await;
    let browser = sign_in(&h, &county_leader).await;
    let html = page(&h, &browser, "/overview")
        .await
        .expect_status(200)
        .text();
    assert!(html.contains(r#"<svg class="map""#), "{html}");
    assert!(!html.contains("<path d="), "no shapes at county level");
    assert!(
        html.contains(": 1</title><rect"),
        "the town with the open case: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_sees_his_towns_figures_on_sqlite() {
    on_sqlite(a_leader_sees_his_towns_figures_map_trend_and_overdue_cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_sees_his_towns_figures_on_postgres() {
    on_postgres(a_leader_sees_his_towns_figures_map_trend_and_overdue_cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_grid_shapes_the_map_is_tiles_on_sqlite() {
    on_sqlite(without_grid_shapes_the_map_is_tiles_of_the_children).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_grid_shapes_the_map_is_tiles_on_postgres() {
    on_postgres(without_grid_shapes_the_map_is_tiles_of_the_children).await;
}
