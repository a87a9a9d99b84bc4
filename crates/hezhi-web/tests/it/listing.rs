//! `GET /api/v1/cases`: filters, newest-first and queue orders, and cursor pagination.

use crate::fixture::{GRID, VILLAGE, case_in, leak_case, triage_body};
use crate::harness::{CaseRef, Harness, on_postgres, on_sqlite};
use chrono::Duration;
use serde_json::json;

async fn the_case_list_filters_and_pages_newest_first(h: Harness) {
    let fx = &h.fx;
    // a: a neighbour dispute in the grid, red, dispatched to the committee, due tomorrow.
    let mut a = h.report(&fx.clerk, &leak_case()).await;
    h.step(&fx.clerk, &mut a, "accept", json!({})).await;
    h.step(
        &fx.dispatcher,
        &mut a,
        "triage",
        triage_body("dispute", "neighbour", "red"),
    )
    .await;
    let tomorrow = h.now() + Duration::days(1);
    h.step(
        &fx.dispatcher,
        &mut a,
        "dispatch",
        fx.dispatch_to(fx.committee, tomorrow),
    )
    .await;
    h.clock.advance(Duration::minutes(1));

    // b: a property dispute in the village, yellow, dispatched to the county department.
    let b_body = case_in(VILLAGE, "dispute", "property_management", "物业费纠纷");
    let mut b = h.triaged_case(&b_body).await;
    let in_ten_days = h.now() + Duration::days(10);
    h.step(
        &fx.dispatcher,
        &mut b,
        "dispatch",
        fx.dispatch_to(fx.department, in_ten_days),
    )
    .await;
    h.clock.advance(Duration::minutes(1));

    // c: a neighbour dispute in the village, only reported.
    let c = h
        .report(
            &fx.clerk,
            &case_in(VILLAGE, "dispute", "neighbour", "宅基地边界"),
        )
        .await;
    h.clock.advance(Duration::minutes(1));

    // d: in the other town, which the town dispatcher must not see.
    let d = h
        .report(
            &fx.other_dispatcher,
            &case_in(
                crate::fixture::OTHER_VILLAGE,
                "dispute",
                "neighbour",
                "噪音扰民",
            ),
        )
        .await;
    h.clock.advance(Duration::minutes(1));

    // e: a fire hazard in the grid, reported by the grid worker.
    let e = h
        .report(
            &fx.grid_worker,
            &case_in(GRID, "hazard", "fire_safety", "楼道堆放杂物"),
        )
        .await;

    h.clock.advance(Duration::days(2));
    let ids = |cases: &[&CaseRef]| -> Vec<String> { cases.iter().map(|c| c.id.clone()).collect() };
    let town = &fx.dispatcher;

    assert_eq!(
        h.list(town, "").await,
        ids(&[&e, &c, &b, &a]),
        "newest first"
    );
    assert_eq!(
        h.list(&fx.other_dispatcher, "").await,
        ids(&[&d]),
        "the other town sees its own"
    );
    assert_eq!(
        h.list(town, "order=queue").await,
        ids(&[&a, &b, &e, &c]),
        "the queue: red, yellow, then ungraded newest first"
    );
    assert_eq!(
        h.list(town, "order=queue&limit=1").await,
        ids(&[&a]),
        "the head of the queue"
    );
    assert_eq!(
        h.list(town, "open=true").await,
        ids(&[&e, &c, &b, &a]),
        "all four are still open"
    );
    assert_eq!(h.list(town, "state=dispatched").await, ids(&[&b, &a]));
    assert_eq!(h.list(town, "state=reported").await, ids(&[&e, &c]));
    assert_eq!(h.list(town, "state=archived").await, ids(&[]));
    assert_eq!(
        h.list(town, &format!("region={GRID}")).await,
        ids(&[&e, &a])
    );
    assert_eq!(
        h.list(town, &format!("region={VILLAGE}")).await,
        ids(&[&e, &c, &b, &a]),
        "a village includes its grids"
    );
    assert_eq!(
        h.list(town, "region=370811").await,
        ids(&[&e, &c, &b, &a]),
        "a wider region is cut to the caller's scope"
    );
    assert_eq!(
        h.list(town, "region=370811003").await,
        ids(&[]),
        "a region beside the scope"
    );
    assert_eq!(
        h.list(town, "category=property_management").await,
        ids(&[&b])
    );
    assert_eq!(h.list(town, "category=neighbour").await, ids(&[&c, &a]));
    assert_eq!(h.list(town, "urgency=red").await, ids(&[&a]));
    assert_eq!(h.list(town, "urgency=yellow").await, ids(&[&b]));
    let committee = format!("unit={}", fx.committee);
    assert_eq!(h.list(town, &committee).await, ids(&[&a]));
    let department = format!("unit={}", fx.department);
    assert_eq!(h.list(town, &department).await, ids(&[&b]));
    assert_eq!(h.list(town, "overdue=true").await, ids(&[&a]));
    assert_eq!(h.list(town, "overdue=false").await, ids(&[&e, &c, &b, &a]));
    assert_eq!(
        h.list(
            town,
            "state=dispatched&urgency=red&overdue=true&category=neighbour"
        )
        .await,
        ids(&[&a])
    );

    // Summaries carry what a list shows, and the overdue flag at the clock's now.
    let page = h
        .get("/api/v1/cases?state=dispatched")
        .by(&fx.dispatcher)
        .send()
        .await
        .expect_status(200);
    let items = page.json["items"].as_array().expect("items");
    assert_eq!(items[1]["id"], a.id);
    assert_eq!(items[1]["overdue"], true);
    assert_eq!(items[1]["urgency"], "red");
    assert_eq!(items[1]["number"], "370811-2026-000001");
    assert_eq!(items[0]["overdue"], false);
    assert_eq!(items[0]["number"], "370811-2026-000002");
    assert!(
        !page.text().contains("13800138000"),
        "no personal data in lists"
    );

    // Pagination: pages of two, then of three, following next_cursor to the end.
    for limit in [1, 2, 3, 4, 5] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut uri = format!("/api/v1/cases?limit={limit}");
            if let Some(cursor) = &cursor {
                uri.push_str(&format!("&cursor={cursor}"));
            }
            let reply = h
                .get(uri)
                .by(&fx.dispatcher)
                .send()
                .await
                .expect_status(200);
            let items = reply.json["items"].as_array().expect("items");
            assert!(items.len() <= limit, "a page holds at most {limit}");
            seen.extend(
                items
                    .iter()
                    .map(|i| i["id"].as_str().expect("id").to_owned()),
            );
            pages += 1;
            match reply.json["next_cursor"].as_str() {
                Some(next) => {
                    assert_eq!(items.len(), limit, "only a full page has a next page");
                    assert_eq!(Some(next), items.last().and_then(|i| i["id"].as_str()));
                    cursor = Some(next.to_owned());
                }
                None => {
                    assert!(reply.json["next_cursor"].is_null());
                    break;
                }
            }
            assert!(pages <= 4, "pagination ends");
        }
        assert_eq!(seen, ids(&[&e, &c, &b, &a]), "pages of {limit}");
        assert_eq!(pages, 4usize.div_ceil(limit), "pages of {limit}");
    }
    assert_eq!(
        h.list(town, &format!("cursor={}&limit=2", c.id)).await,
        ids(&[&b, &a])
    );

    // Bad filters are named.
    for (query, status, code, field) in [
        ("state=lost", 422, "invalid_value", Some("state")),
        ("urgency=purple", 422, "invalid_value", Some("urgency")),
        ("region=12345", 422, "invalid_region_code", Some("region")),
        (
            "category=Not%20A%20Code",
            422,
            "unknown_category",
            Some("category"),
        ),
        ("unit=committee", 422, "invalid_value", Some("unit")),
        ("cursor=yesterday", 422, "invalid_value", Some("cursor")),
        ("order=oldest", 422, "invalid_value", Some("order")),
        ("attention=later", 422, "invalid_value", Some("attention")),
        ("limit=0", 422, "invalid_value", Some("limit")),
        ("limit=201", 422, "invalid_value", Some("limit")),
        ("limit=-1", 400, "invalid_query", None),
        ("overdue=maybe", 400, "invalid_query", None),
        ("open=maybe", 400, "invalid_query", None),
        ("colour=red", 400, "invalid_query", None),
    ] {
        let reply = h
            .get(format!("/api/v1/cases?{query}"))
            .by(&fx.dispatcher)
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), status, "{query}: {}", reply.text());
        assert_eq!(reply.code(), code, "{query}");
        assert_eq!(reply.field(), field, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_list_filters_and_pages_newest_first_on_sqlite() {
    on_sqlite(the_case_list_filters_and_pages_newest_first).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_list_filters_and_pages_newest_first_on_postgres() {
    on_postgres(the_case_list_filters_and_pages_newest_first).await;
}
