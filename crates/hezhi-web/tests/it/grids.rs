//! Grid shapes: imported from GeoJSON under a village by the system administrator (all or
//! nothing), found again from a point, and used to register a report that names its village
//! in the grid its position lies in — never in another village's grid.

use crate::fixture::{GRID, OTHER_TOWN, OTHER_VILLAGE, TOWN, VILLAGE, case_in};
use crate::harness::{Harness, on_postgres, on_sqlite};
use serde_json::{Value, json};

/// A closed ring through `corners` (longitude, latitude).
fn ring(corners: &[(f64, f64)]) -> Value {
    let mut positions: Vec<Value> = corners.iter().map(|(lon, lat)| json!([lon, lat])).collect();
    positions.push(positions[0].clone());
    Value::Array(positions)
}

fn polygon(corners: &[(f64, f64)]) -> Value {
    json!({ "type": "Polygon", "coordinates": [ring(corners)] })
}

fn feature(number: u16, name: &str, geometry: Value) -> Value {
    json!({ "type": "Feature", "properties": { "number": number, "name": name }, "geometry": geometry })
}

fn collection(features: Vec<Value>) -> Value {
    json!({ "type": "FeatureCollection", "features": features })
}

/// Grid 1 of the village: a block in its south-west corner.
fn west_block() -> Value {
    polygon(&[
        (116.580, 35.390),
        (116.585, 35.390),
        (116.585, 35.394),
        (116.580, 35.394),
    ])
}

/// Grid 2: an L wrapping the block on the east and north. Its bounding box holds grid 1
/// whole, so a point in grid 1 is a candidate for both and only the shape tells them apart.
fn east_and_north() -> Value {
    polygon(&[
        (116.585, 35.390),
        (116.592, 35.390),
        (116.592, 35.398),
        (116.580, 35.398),
        (116.580, 35.394),
        (116.585, 35.394),
    ])
}

pub(crate) fn village_file() -> Value {
    collection(vec![
        feature(1, "南张村西南片", west_block()),
        feature(2, "南张村东北片", east_and_north()),
    ])
}

/// The neighbouring town's village has one grid, east of ours.
fn other_village_file() -> Value {
    collection(vec![feature(
        1,
        "越河社区第一网格",
        polygon(&[
            (116.600, 35.390),
            (116.605, 35.390),
            (116.605, 35.394),
            (116.600, 35.394),
        ]),
    )])
}

const IN_WEST_BLOCK: (f64, f64) = (116.582, 35.392);
pub(crate) const IN_EAST_ARM: (f64, f64) = (116.588, 35.392);
const IN_NORTH_ARM: (f64, f64) = (116.582, 35.396);
const ON_SHARED_EDGE: (f64, f64) = (116.585, 35.392);
pub(crate) const OUTSIDE_EVERY_GRID: (f64, f64) = (116.570, 35.392);
const IN_OTHER_VILLAGES_GRID: (f64, f64) = (116.602, 35.392);

pub(crate) async fn import(h: &Harness, village: &str, file: &Value) -> Value {
    h.post(format!("/api/v1/regions/{village}/grids/import"))
        .by(&h.fx.admin)
        .json(file)
        .send()
        .await
        .expect_status(200)
        .json
}

/// The grid `GET /grids/locate` answers for a point (`None` for 404).
async fn locate(h: &Harness, (lon, lat): (f64, f64)) -> Option<String> {
    let reply = h
        .get(format!("/api/v1/grids/locate?lat={lat}&lon={lon}"))
        .by(&h.fx.clerk)
        .send()
        .await;
    match reply.status.as_u16() {
        200 => Some(reply.str("code").to_owned()),
        404 => {
            assert_eq!(reply.code(), "not_found");
            None
        }
        other => panic!("locate answered {other}: {}", reply.text()),
    }
}

async fn children(h: &Harness, village: &str) -> Vec<(String, String)> {
    let reply = h
        .get(format!("/api/v1/regions/{village}"))
        .by(&h.fx.clerk)
        .send()
        .await
        .expect_status(200);
    reply.json["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().expect("code").to_owned(),
                c["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

fn grid(village: &str, number: u16) -> String {
    format!("{village}{number:03}")
}

async fn grids_are_imported_all_or_nothing_and_located(h: Harness) {
    let fx = &h.fx;
    let before = children(&h, VILLAGE).await;
    assert_eq!(before, [(GRID.to_owned(), "南张村第一网格".to_owned())]);

    // Only a system administrator over the village imports.
    for who in [&fx.clerk, &fx.dispatcher, &fx.grid_worker] {
        let refused = h
            .post(format!("/api/v1/regions/{VILLAGE}/grids/import"))
            .by(who)
            .json(&village_file())
            .send()
            .await
            .expect_status(403);
        assert_eq!(refused.code(), "forbidden", "{}", who.name);
    }

    // One bad feature and nothing is written, not even the good feature before it.
    let open_ring = json!({ "type": "Polygon", "coordinates": [[
        [116.580, 35.390], [116.585, 35.390], [116.585, 35.394], [116.580, 35.394]]] });
    let bad = collection(vec![
        feature(3, "新网格", west_block()),
        feature(2, "南张村东北片", open_ring),
    ]);
    let refused = h
        .post(format!("/api/v1/regions/{VILLAGE}/grids/import"))
        .by(&fx.admin)
        .json(&bad)
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (refused.code(), refused.field()),
        (
            "ring_not_closed",
            Some("features[1].geometry.coordinates[0]")
        )
    );
    assert_eq!(
        refused.message(),
        "多边形边界未闭合：最后一个点须与第一个点相同"
    );
    let english = h
        .post(format!("/api/v1/regions/{VILLAGE}/grids/import"))
        .by(&fx.admin)
        .english()
        .json(&bad)
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        english.message(),
        "A ring is not closed: its last position must repeat the first"
    );
    assert_eq!(children(&h, VILLAGE).await, before, "nothing written");
    assert_eq!(locate(&h, IN_WEST_BLOCK).await, None);

    // A good file creates grid 2, renames grid 1, and gives both their shapes; again, and
    // nothing changes.
    for _ in 0..2 {
        let imported = import(&h, VILLAGE, &village_file()).await;
        assert_eq!(imported["village"], VILLAGE);
        let items: Vec<(&str, &str, &str)> = imported["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|g| {
                (
                    g["code"].as_str().expect("code"),
                    g["name"].as_str().expect("name"),
                    g["level"].as_str().expect("level"),
                )
            })
            .collect();
        assert_eq!(
            items,
            [
                (GRID, "南张村西南片", "grid"),
                (grid(VILLAGE, 2).as_str(), "南张村东北片", "grid")
            ]
        );
        assert_eq!(
            children(&h, VILLAGE).await,
            [
                (GRID.to_owned(), "南张村西南片".to_owned()),
                (grid(VILLAGE, 2), "南张村东北片".to_owned())
            ]
        );
    }
    import(&h, OTHER_VILLAGE, &other_village_file()).await;

    assert_eq!(locate(&h, IN_WEST_BLOCK).await.as_deref(), Some(GRID));
    assert_eq!(locate(&h, IN_EAST_ARM).await, Some(grid(VILLAGE, 2)));
    assert_eq!(locate(&h, IN_NORTH_ARM).await, Some(grid(VILLAGE, 2)));
    assert_eq!(
        locate(&h, ON_SHARED_EDGE).await.as_deref(),
        Some(GRID),
        "an edge two grids share: the first by code"
    );
    assert_eq!(locate(&h, OUTSIDE_EVERY_GRID).await, None);
    assert_eq!(
        locate(&h, IN_OTHER_VILLAGES_GRID).await,
        Some(grid(OTHER_VILLAGE, 1))
    );

    // Bad queries.
    let cases = [
        ("lat=35.39", 422, "required", Some("lon")),
        ("lon=116.58", 422, "required", Some("lat")),
        ("lat=95&lon=116.58", 422, "invalid_position", Some("lat")),
        ("lat=35.39&lon=-181", 422, "invalid_position", Some("lon")),
        ("lat=NaN&lon=116.58", 422, "invalid_position", Some("lat")),
        ("lat=north&lon=116.58", 400, "invalid_query", None),
        ("lat=35.39&lon=116.58&radius=5", 400, "invalid_query", None),
    ];
    for (query, status, code, field) in cases {
        let reply = h
            .get(format!("/api/v1/grids/locate?{query}"))
            .by(&fx.clerk)
            .send()
            .await
            .expect_status(status);
        assert_eq!((reply.code(), reply.field()), (code, field), "{query}");
    }
    h.get("/api/v1/grids/locate?lat=35.392&lon=116.582")
        .send()
        .await
        .expect_status(401);
}

async fn bad_imports_get_a_clear_error_and_write_nothing(h: Harness) {
    let fx = &h.fx;
    let before = children(&h, VILLAGE).await;
    let post = |village: &str| {
        h.post(format!("/api/v1/regions/{village}/grids/import"))
            .by(&fx.admin)
    };
    let reply = post(TOWN)
        .json(&village_file())
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (reply.code(), reply.field()),
        ("unknown_region", Some("village"))
    );
    let reply = post("370811002009")
        .json(&village_file())
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (reply.code(), reply.field()),
        ("unknown_region", Some("village"))
    );
    let reply = post("3708110")
        .json(&village_file())
        .send()
        .await
        .expect_status(422);
    assert_eq!(reply.code(), "invalid_region_code");
    let reply = post(VILLAGE)
        .raw(Some("text/plain"), village_file().to_string())
        .send()
        .await
        .expect_status(415);
    assert_eq!(reply.code(), "unsupported_media_type");
    let reply = post(VILLAGE)
        .raw(Some("application/json"), "{\"type\": ")
        .send()
        .await
        .expect_status(400);
    assert_eq!(reply.code(), "invalid_json");
    let reply = post(VILLAGE)
        .json(&json!({ "type": "Feature", "geometry": west_block() }))
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (reply.code(), reply.field()),
        ("invalid_geojson", Some("type"))
    );
    let reply = post(VILLAGE)
        .json(&collection(vec![feature(0, "零号网格", west_block())]))
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (reply.code(), reply.field()),
        ("invalid_grid_number", Some("features[0].properties.number"))
    );
    let reply = post(VILLAGE)
        .json(&collection(vec![
            feature(4, "四", west_block()),
            feature(4, "又四", east_and_north()),
        ]))
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (reply.code(), reply.field()),
        (
            "duplicate_grid_number",
            Some("features[1].properties.number")
        )
    );
    let point = json!({ "type": "Point", "coordinates": [116.58, 35.39] });
    let reply = post(VILLAGE)
        .json(&collection(vec![feature(4, "四", point)]))
        .send()
        .await
        .expect_status(422);
    assert_eq!(
        (reply.code(), reply.field()),
        ("unsupported_geometry", Some("features[0].geometry.type"))
    );
    assert_eq!(children(&h, VILLAGE).await, before, "nothing written");

    // A grid file is allowed more than the 256 KiB of other requests: here a circle of
    // 9,999 positions (about 380 KB) ...
    let circle: Vec<(f64, f64)> = (0..9_999)
        .map(|i| {
            let angle = std::f64::consts::TAU * f64::from(i) / 9_999.0;
            (
                116.700 + 0.004_123_456_789 * angle.cos(),
                35.400 + 0.003_123_456_789 * angle.sin(),
            )
        })
        .collect();
    let large = collection(vec![feature(5, "圆形网格", polygon(&circle))]);
    let body = large.to_string();
    assert!(body.len() > hezhi_web::MAX_JSON_BODY, "{}", body.len());
    import(&h, VILLAGE, &large).await;
    assert_eq!(locate(&h, (116.700, 35.400)).await, Some(grid(VILLAGE, 5)));
    // ... but not without limit.
    let padded = format!(
        "{}{}",
        village_file(),
        " ".repeat(hezhi_web::MAX_GEOJSON_BODY)
    );
    let reply = post(VILLAGE)
        .raw(Some("application/geo+json"), padded)
        .send()
        .await
        .expect_status(413);
    assert_eq!(reply.code(), "body_too_large");
}

/// The region a report is registered in, as its reporter reads it back.
async fn registered_region(h: &Harness, who: &crate::fixture::Person, body: &Value) -> String {
    let case = h.report(who, body).await;
    h.show(who, &case).await["region"]
        .as_str()
        .expect("region")
        .to_owned()
}

fn at(mut body: Value, (lon, lat): (f64, f64)) -> Value {
    body["position"] = json!({ "lat": lat, "lon": lon });
    body
}

async fn a_report_naming_its_village_is_registered_in_the_grid_of_its_position(h: Harness) {
    let fx = &h.fx;
    let in_village = || case_in(VILLAGE, "dispute", "neighbour", "邻里噪音");

    // Before any shape is imported, a position changes nothing.
    assert_eq!(
        registered_region(&h, &fx.clerk, &at(in_village(), IN_EAST_ARM)).await,
        VILLAGE
    );
    import(&h, VILLAGE, &village_file()).await;
    import(&h, OTHER_VILLAGE, &other_village_file()).await;

    let east = h.report(&fx.clerk, &at(in_village(), IN_EAST_ARM)).await;
    assert_eq!(h.show(&fx.clerk, &east).await["region"], grid(VILLAGE, 2));
    let events = h
        .get(format!("/api/v1/cases/{}/events", east.id))
        .by(&fx.clerk)
        .send()
        .await
        .expect_status(200);
    assert_eq!(
        events.json["items"][0]["case"]["region"],
        grid(VILLAGE, 2),
        "the report event records the grid"
    );
    assert_eq!(
        registered_region(&h, &fx.clerk, &at(in_village(), IN_NORTH_ARM)).await,
        grid(VILLAGE, 2)
    );
    let west = h.report(&fx.clerk, &at(in_village(), IN_WEST_BLOCK)).await;
    assert_eq!(
        h.show(&fx.clerk, &west).await["region"],
        GRID,
        "inside grid 2's box but not its shape"
    );
    assert_eq!(
        registered_region(&h, &fx.clerk, &at(in_village(), ON_SHARED_EDGE)).await,
        GRID
    );
    let outside = h
        .report(&fx.clerk, &at(in_village(), OUTSIDE_EVERY_GRID))
        .await;
    assert_eq!(h.show(&fx.clerk, &outside).await["region"], VILLAGE);
    assert_eq!(
        registered_region(&h, &fx.clerk, &in_village()).await,
        VILLAGE,
        "no position"
    );
    // A report that names a grid keeps it, wherever its position.
    assert_eq!(
        registered_region(
            &h,
            &fx.clerk,
            &at(
                case_in(GRID, "dispute", "neighbour", "邻里噪音"),
                IN_EAST_ARM
            )
        )
        .await,
        GRID
    );
    // A position inside another village's grid does not move the case to that village.
    let misplaced = h
        .report(&fx.clerk, &at(in_village(), IN_OTHER_VILLAGES_GRID))
        .await;
    assert_eq!(h.show(&fx.clerk, &misplaced).await["region"], VILLAGE);
    assert!(
        !h.list(&fx.other_dispatcher, "")
            .await
            .contains(&misplaced.id),
        "the other town does not receive it"
    );
    // Residents' reports are placed the same way, and a retry lands on the same case.
    let mut online = at(in_village(), IN_EAST_ARM);
    online["channel"] = json!("online");
    let first = h
        .post("/api/v1/cases")
        .by(&fx.resident)
        .idempotency_key("grid-report-0001")
        .json(&online)
        .send()
        .await
        .expect_status(201);
    let again = h
        .post("/api/v1/cases")
        .by(&fx.resident)
        .idempotency_key("grid-report-0001")
        .json(&online)
        .send()
        .await
        .expect_status(201);
    assert_eq!(first.str("id"), again.str("id"));
    let resident_case = crate::harness::CaseRef {
        id: first.str("id").to_owned(),
        version: 1,
    };
    assert_eq!(
        h.show(&fx.resident, &resident_case).await["region"],
        grid(VILLAGE, 2)
    );

    // Where a case is registered decides who sees it: the worker of grid 1 sees the cases of
    // his grid and of the village, not those of grid 2.
    let seen = h.list(&fx.grid_worker, "").await;
    assert!(seen.contains(&west.id) && seen.contains(&outside.id));
    assert!(!seen.contains(&east.id) && !seen.contains(&resident_case.id));
    assert!(h.list(&fx.dispatcher, "").await.contains(&east.id));
    assert!(
        h.list(&fx.other_dispatcher, "").await.is_empty(),
        "nothing reached {OTHER_TOWN}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grids_are_imported_all_or_nothing_and_located_on_sqlite() {
    on_sqlite(grids_are_imported_all_or_nothing_and_located).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grids_are_imported_all_or_nothing_and_located_on_postgres() {
    on_postgres(grids_are_imported_all_or_nothing_and_located).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_imports_get_a_clear_error_and_write_nothing_on_sqlite() {
    on_sqlite(bad_imports_get_a_clear_error_and_write_nothing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_imports_get_a_clear_error_and_write_nothing_on_postgres() {
    on_postgres(bad_imports_get_a_clear_error_and_write_nothing).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_naming_its_village_is_registered_in_the_grid_of_its_position_on_sqlite() {
    on_sqlite(a_report_naming_its_village_is_registered_in_the_grid_of_its_position).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_naming_its_village_is_registered_in_the_grid_of_its_position_on_postgres() {
    on_postgres(a_report_naming_its_village_is_registered_in_the_grid_of_its_position).await;
}
