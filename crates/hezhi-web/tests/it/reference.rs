//! What a client reads before it reports: the health check, and the regions, units and
//! categories a case is filled in with.

use crate::fixture::{TOWN, shipped_categories};
use crate::harness::{Harness, on_postgres, on_sqlite};

async fn reference_data_is_served_to_signed_in_clients(h: Harness) {
    let fx = &h.fx;
    let county = h
        .get("/api/v1/regions/370811")
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(200);
    assert_eq!(county.json["name"], "任城区");
    assert_eq!(county.json["level"], "county");
    assert_eq!(county.json["parent"], "3708");
    let children: Vec<&str> = county.json["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| c["code"].as_str().expect("code"))
        .collect();
    assert_eq!(children, [TOWN, "370811003"]);

    let missing = h
        .get("/api/v1/regions/370811009")
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(404);
    assert_eq!(missing.code(), "not_found");
    let malformed = h
        .get("/api/v1/regions/3708110")
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (malformed.code(), malformed.field()),
        ("invalid_region_code", Some("region"))
    );

    let units = h
        .get("/api/v1/units?region=370811")
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(200);
    let mut ids: Vec<&str> = units.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    let mut expected = [fx.committee.to_string(), fx.department.to_string()];
    expected.sort_unstable();
    assert_eq!(
        ids, expected,
        "units at the county and below, not the next county's"
    );
    let town_units = h
        .get(format!("/api/v1/units?region={TOWN}"))
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(200);
    assert_eq!(town_units.json["items"][0]["kind"], "mediation_committee");
    assert_eq!(town_units.json["items"].as_array().map(Vec::len), Some(1));
    let no_region = h
        .get("/api/v1/units")
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (no_region.code(), no_region.field()),
        ("required", Some("region"))
    );

    let categories = h
        .get("/api/v1/categories")
        .by(&fx.resident)
        .send()
        .await
        .expect_status(200);
    let items = categories.json["items"].as_array().expect("items");
    assert_eq!(items.len(), shipped_categories().len());
    assert!(
        items
            .iter()
            .any(|c| c["code"] == "neighbour" && c["kind"] == "dispute" && c["name_zh"] == "邻里")
    );

    for uri in [
        "/api/v1/regions/370811",
        "/api/v1/units?region=370811",
        "/api/v1/categories",
        "/api/v1/cases",
    ] {
        let reply = h.get(uri).send().await.expect_status(401);
        assert_eq!(reply.code(), "unauthenticated", "{uri}");
    }
}

async fn the_service_reports_itself_healthy(h: Harness) {
    let reply = h.get("/healthz").send().await.expect_status(200);
    assert_eq!(reply.json["status"], "ok");
    assert!(
        ["sqlite", "postgres"].contains(&reply.json["backend"].as_str().unwrap_or_default()),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_data_is_served_to_signed_in_clients_on_sqlite() {
    on_sqlite(reference_data_is_served_to_signed_in_clients).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_data_is_served_to_signed_in_clients_on_postgres() {
    on_postgres(reference_data_is_served_to_signed_in_clients).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_reports_itself_healthy_on_sqlite() {
    on_sqlite(the_service_reports_itself_healthy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_reports_itself_healthy_on_postgres() {
    on_postgres(the_service_reports_itself_healthy).await;
}
