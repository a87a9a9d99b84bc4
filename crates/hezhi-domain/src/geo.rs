//! Plane geometry on WGS-84 positions, as much as grids need: a polygon with holes, a shape of
//! one or more polygons (GeoJSON `Polygon` and `MultiPolygon`), its bounding box, and whether a
//! point lies in it. Which grid a position falls in is answered here rather than in SQL, so
//! that both storage backends answer it the same way (no PostGIS).
//!
//! Longitude is x and latitude y, in degrees, on a plane: at the size of a grid (a few hundred
//! metres) the curvature of the earth changes nothing. Shapes that cross the antimeridian are
//! not supported; no Chinese grid does.
//!
//! A point on the boundary of a shape (an edge, a vertex, the edge of a hole) counts as inside
//! it: two grids that share an edge both contain the points on it, and the caller picks one.
//! Rings are not checked for self-intersection, nor holes for lying inside their exterior;
//! such a shape still answers consistently by the even-odd rule.

use crate::case::Position;
use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The most positions one shape may have, over all its rings (closing positions included).
pub const MAX_VERTICES: usize = 10_000;

/// How far from an edge (in degrees, about 0.1 mm) a point still counts as on it: absorbs the
/// rounding of coordinates computed on that edge.
const ON_EDGE_TOLERANCE: f64 = 1e-9;

/// The smallest latitude/longitude box around a shape, edges included.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    fn at(p: Position) -> Self {
        Self {
            min_lat: p.lat,
            min_lon: p.lon,
            max_lat: p.lat,
            max_lon: p.lon,
        }
    }

    fn extend(&mut self, p: Position) {
        self.min_lat = self.min_lat.min(p.lat);
        self.min_lon = self.min_lon.min(p.lon);
        self.max_lat = self.max_lat.max(p.lat);
        self.max_lon = self.max_lon.max(p.lon);
    }

    fn union(mut self, other: BoundingBox) -> Self {
        self.extend(Position {
            lat: other.min_lat,
            lon: other.min_lon,
        });
        self.extend(Position {
            lat: other.max_lat,
            lon: other.max_lon,
        });
        self
    }

    /// Whether `p` lies in the box or on its edge.
    pub fn contains(&self, p: Position) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat)
            && (self.min_lon..=self.max_lon).contains(&p.lon)
    }
}

/// A closed ring: at least four positions, the last equal to the first, enclosing some area.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    positions: Vec<Position>,
    bbox: BoundingBox,
}

impl Ring {
    pub fn new(positions: Vec<Position>) -> Result<Self, ValidationError> {
        Self::checked(positions, "ring")
    }

    /// Checks the ring; errors are reported at `path`.
    fn checked(positions: Vec<Position>, path: &str) -> Result<Self, ValidationError> {
        let (Some(&first), Some(&last)) = (positions.first(), positions.last()) else {
            return Err(ValidationError::new(
                path,
                "ring_too_short",
                "a ring has at least 4 positions",
            ));
        };
        if let Some((i, _)) = positions
            .iter()
            .enumerate()
            .find(|(_, p)| !is_valid_coordinate(**p))
        {
            return Err(invalid_coordinate(&format!("{path}[{i}]")));
        }
        if positions.len() < 4 {
            return Err(ValidationError::new(
                path,
                "ring_too_short",
                format!(
                    "a ring has at least 4 positions (the last repeating the first), not {}",
                    positions.len()
                ),
            ));
        }
        if first != last {
            return Err(ValidationError::new(
                path,
                "ring_not_closed",
                "the last position of a ring must repeat the first",
            ));
        }
        let bbox = positions
            .iter()
            .fold(BoundingBox::at(first), |mut bbox, &p| {
                bbox.extend(p);
                bbox
            });
        let ring = Self { positions, bbox };
        if ring.twice_signed_area() == 0.0 {
            return Err(ValidationError::new(
                path,
                "degenerate_ring",
                "the ring encloses no area (its positions are all on one line)",
            ));
        }
        Ok(ring)
    }

    /// Every position, the closing one included.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    pub fn bbox(&self) -> BoundingBox {
        self.bbox
    }

    fn edges(&self) -> impl Iterator<Item = (Position, Position)> + '_ {
        self.positions.windows(2).map(|pair| (pair[0], pair[1]))
    }

    /// The shoelace sum: twice the area, positive when the ring runs counter-clockwise.
    fn twice_signed_area(&self) -> f64 {
        self.edges()
            .map(|(a, b)| a.lon * b.lat - b.lon * a.lat)
            .sum()
    }

    fn on_boundary(&self, p: Position) -> bool {
        self.edges().any(|(a, b)| on_segment(p, a, b))
    }

    /// Whether a ray from `p` towards increasing longitude crosses the ring an odd number of
    /// times. Each edge counts as half-open in latitude, so a ray through a vertex is counted
    /// once.
    fn odd_crossings(&self, p: Position) -> bool {
        self.edges().fold(false, |odd, (a, b)| {
            if (a.lat > p.lat) != (b.lat > p.lat) {
                let lon_at = a.lon + (p.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
                if p.lon < lon_at {
                    return !odd;
                }
            }
            odd
        })
    }
}

/// Whether `p` lies on the segment from `a` to `b`, within [`ON_EDGE_TOLERANCE`].
fn on_segment(p: Position, a: Position, b: Position) -> bool {
    let t = ON_EDGE_TOLERANCE;
    if p.lon < a.lon.min(b.lon) - t
        || p.lon > a.lon.max(b.lon) + t
        || p.lat < a.lat.min(b.lat) - t
        || p.lat > a.lat.max(b.lat) + t
    {
        return false;
    }
    let (dx, dy) = (b.lon - a.lon, b.lat - a.lat);
    let cross = dx * (p.lat - a.lat) - dy * (p.lon - a.lon);
    // |cross| / length is the distance from p to the line through a and b.
    cross.abs() <= t * dx.hypot(dy)
}

fn is_valid_coordinate(p: Position) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

fn invalid_coordinate(path: &str) -> ValidationError {
    ValidationError::new(
        path,
        "invalid_coordinate",
        "a position is [longitude, latitude] in degrees, longitude within ±180 and latitude within ±90",
    )
}

/// An area bounded by an exterior ring, minus the holes inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// The exterior first, then the holes.
    rings: Vec<Ring>,
}

impl Polygon {
    pub fn new(exterior: Ring, holes: Vec<Ring>) -> Self {
        let mut rings = Vec::with_capacity(holes.len() + 1);
        rings.push(exterior);
        rings.extend(holes);
        Self { rings }
    }

    pub fn exterior(&self) -> &Ring {
        &self.rings[0]
    }

    pub fn holes(&self) -> &[Ring] {
        &self.rings[1..]
    }

    pub fn bbox(&self) -> BoundingBox {
        self.exterior().bbox()
    }

    /// Whether `p` lies inside the polygon or on its boundary (holes' edges included), by the
    /// even-odd rule over all its rings.
    pub fn contains(&self, p: Position) -> bool {
        if !self.bbox().contains(p) {
            return false;
        }
        if self.rings.iter().any(|ring| ring.on_boundary(p)) {
            return true;
        }
        self.rings
            .iter()
            .filter(|ring| ring.odd_crossings(p))
            .count()
            % 2
            == 1
    }

    fn vertex_count(&self) -> usize {
        self.rings.iter().map(|r| r.positions.len()).sum()
    }

    fn to_coordinates(&self) -> Value {
        Value::Array(
            self.rings
                .iter()
                .map(|ring| {
                    Value::Array(
                        ring.positions
                            .iter()
                            .map(|p| json!([p.lon, p.lat]))
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

/// The area of a grid: one polygon or several (a GeoJSON `Polygon` or `MultiPolygon`).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    polygons: Vec<Polygon>,
    bbox: BoundingBox,
}

impl Shape {
    /// A shape of at least one polygon and at most [`MAX_VERTICES`] positions.
    pub fn new(polygons: Vec<Polygon>) -> Result<Self, ValidationError> {
        let Some(bbox) = polygons
            .iter()
            .map(Polygon::bbox)
            .reduce(BoundingBox::union)
        else {
            return Err(ValidationError::new(
                "coordinates",
                "invalid_geometry",
                "a shape has at least one polygon",
            ));
        };
        let shape = Self { polygons, bbox };
        if shape.vertex_count() > MAX_VERTICES {
            return Err(too_many_vertices());
        }
        Ok(shape)
    }

    pub fn polygons(&self) -> &[Polygon] {
        &self.polygons
    }

    pub fn bbox(&self) -> BoundingBox {
        self.bbox
    }

    /// Positions over every ring of every polygon.
    pub fn vertex_count(&self) -> usize {
        self.polygons.iter().map(Polygon::vertex_count).sum()
    }

    /// Whether `p` lies in one of the polygons or on its boundary.
    pub fn contains(&self, p: Position) -> bool {
        self.bbox.contains(p) && self.polygons.iter().any(|polygon| polygon.contains(p))
    }

    /// Parses a GeoJSON geometry object (RFC 7946) of type `Polygon` or `MultiPolygon`. An
    /// error names what is wrong by its path inside the object: `type`,
    /// `coordinates[0][3]` (the fourth position of the exterior ring), … Altitudes are
    /// accepted and dropped; other members (`bbox`, foreign members) are ignored.
    pub fn from_geojson(geometry: &Value) -> Result<Self, ValidationError> {
        let Some(object) = geometry.as_object() else {
            return Err(ValidationError::new(
                "",
                "invalid_geometry",
                "a geometry is a JSON object with `type` and `coordinates`",
            ));
        };
        let kind = object.get("type").and_then(Value::as_str);
        let coordinates = object.get("coordinates");
        let mut budget = MAX_VERTICES;
        let polygons = match kind {
            Some("Polygon") => vec![parse_polygon(coordinates, "coordinates", &mut budget)?],
            Some("MultiPolygon") => {
                let items = array(coordinates, "coordinates")?;
                if items.is_empty() {
                    return Err(ValidationError::new(
                        "coordinates",
                        "invalid_geometry",
                        "a MultiPolygon has at least one polygon",
                    ));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        parse_polygon(Some(item), &format!("coordinates[{i}]"), &mut budget)
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
            Some(other) => {
                return Err(ValidationError::new(
                    "type",
                    "unsupported_geometry",
                    format!("a grid is a Polygon or a MultiPolygon, not a {other}"),
                ));
            }
            None => {
                return Err(ValidationError::new(
                    "type",
                    "invalid_geometry",
                    "a geometry names its `type`",
                ));
            }
        };
        Self::new(polygons)
    }

    /// The GeoJSON geometry: a `Polygon` for one polygon, a `MultiPolygon` for several.
    /// [`Shape::from_geojson`] reads it back to an equal shape.
    pub fn to_geojson(&self) -> Value {
        match self.polygons.as_slice() {
            [one] => json!({ "type": "Polygon", "coordinates": one.to_coordinates() }),
            many => json!({
                "type": "MultiPolygon",
                "coordinates": many.iter().map(Polygon::to_coordinates).collect::<Vec<_>>(),
            }),
        }
    }
}

fn too_many_vertices() -> ValidationError {
    ValidationError::new(
        "coordinates",
        "too_many_vertices",
        format!("a grid's shape has at most {MAX_VERTICES} positions"),
    )
}

fn array<'v>(value: Option<&'v Value>, path: &str) -> Result<&'v Vec<Value>, ValidationError> {
    value.and_then(Value::as_array).ok_or_else(|| {
        ValidationError::new(path, "invalid_geometry", "expected an array of coordinates")
    })
}

/// A polygon's coordinates: an array of rings, the exterior first. `budget` is the number of
/// positions still allowed, checked before each ring is read.
fn parse_polygon(
    value: Option<&Value>,
    path: &str,
    budget: &mut usize,
) -> Result<Polygon, ValidationError> {
    let rings = array(value, path)?;
    if rings.is_empty() {
        return Err(ValidationError::new(
            path,
            "invalid_geometry",
            "a polygon has an exterior ring",
        ));
    }
    let mut parsed = Vec::with_capacity(rings.len());
    for (i, ring) in rings.iter().enumerate() {
        let ring_path = format!("{path}[{i}]");
        let positions = array(Some(ring), &ring_path)?;
        *budget = budget
            .checked_sub(positions.len())
            .ok_or_else(too_many_vertices)?;
        let positions = positions
            .iter()
            .enumerate()
            .map(|(j, p)| parse_position(p, &format!("{ring_path}[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
        parsed.push(Ring::checked(positions, &ring_path)?);
    }
    let exterior = parsed.remove(0);
    Ok(Polygon::new(exterior, parsed))
}

/// `[longitude, latitude]` or `[longitude, latitude, altitude]`.
fn parse_position(value: &Value, path: &str) -> Result<Position, ValidationError> {
    let numbers: Option<Vec<f64>> = value
        .as_array()
        .filter(|items| (2..=3).contains(&items.len()))
        .and_then(|items| items.iter().map(Value::as_f64).collect());
    match numbers.as_deref() {
        Some([lon, lat, ..]) => {
            let p = Position {
                lat: *lat,
                lon: *lon,
            };
            if is_valid_coordinate(p) {
                Ok(p)
            } else {
                Err(invalid_coordinate(path))
            }
        }
        _ => Err(invalid_coordinate(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lon: f64, lat: f64) -> Position {
        Position { lat, lon }
    }

    fn ring(points: &[(f64, f64)]) -> Ring {
        Ring::new(points.iter().map(|&(lon, lat)| p(lon, lat)).collect()).expect("valid ring")
    }

    fn square(lon: f64, lat: f64, side: f64) -> Ring {
        ring(&[
            (lon, lat),
            (lon + side, lat),
            (lon + side, lat + side),
            (lon, lat + side),
            (lon, lat),
        ])
    }

    fn error(geometry: Value) -> (String, &'static str) {
        let error = Shape::from_geojson(&geometry).expect_err("invalid geometry");
        (error.field, error.code)
    }

    #[test]
    fn a_square_contains_its_inside_and_its_boundary_and_nothing_else() {
        let polygon = Polygon::new(square(0.0, 0.0, 1.0), vec![]);
        assert!(polygon.contains(p(0.5, 0.5)));
        assert!(polygon.contains(p(0.5, 0.0)), "on an edge");
        assert!(polygon.contains(p(1.0, 0.25)), "on the right edge");
        assert!(polygon.contains(p(0.0, 0.0)), "on a vertex");
        assert!(polygon.contains(p(1.0, 1.0)), "on the opposite vertex");
        assert!(!polygon.contains(p(1.5, 0.5)));
        assert!(!polygon.contains(p(-0.000_001, 0.5)));
        assert!(!polygon.contains(p(0.5, 1.000_001)));
    }

    #[test]
    fn a_point_on_an_edge_computed_with_rounding_still_counts_as_on_it() {
        let polygon = Polygon::new(
            ring(&[(0.0, 0.0), (0.3, 0.0), (0.3, 0.7), (0.0, 0.0)]),
            vec![],
        );
        // On the diagonal from (0, 0) to (0.3, 0.7), as a floating-point product lands.
        let t = 0.1_f64 / 3.0;
        let on_diagonal = p(0.3 * t, 0.7 * t);
        assert!(polygon.contains(on_diagonal));
        assert!(!polygon.contains(p(0.3 * t - 1e-6, 0.7 * t)));
    }

    #[test]
    fn a_hole_is_outside_but_its_edge_is_not() {
        let polygon = Polygon::new(square(0.0, 0.0, 10.0), vec![square(4.0, 4.0, 2.0)]);
        assert!(polygon.contains(p(1.0, 1.0)));
        assert!(!polygon.contains(p(5.0, 5.0)), "inside the hole");
        assert!(polygon.contains(p(4.0, 5.0)), "on the hole's edge");
        assert!(
            polygon.contains(p(7.0, 5.0)),
            "beside the hole, same latitude"
        );
        assert!(!polygon.contains(p(11.0, 5.0)));
    }

    #[test]
    fn a_concave_shape_leaves_out_its_notch() {
        // A U open to the north: the notch between the arms is outside.
        let polygon = Polygon::new(
            ring(&[
                (0.0, 0.0),
                (3.0, 0.0),
                (3.0, 3.0),
                (2.0, 3.0),
                (2.0, 1.0),
                (1.0, 1.0),
                (1.0, 3.0),
                (0.0, 3.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        assert!(polygon.contains(p(0.5, 2.0)), "left arm");
        assert!(polygon.contains(p(2.5, 2.0)), "right arm");
        assert!(polygon.contains(p(1.5, 0.5)), "base");
        assert!(!polygon.contains(p(1.5, 2.0)), "the notch");
        // A ray from the notch's floor level passes exactly through two reflex vertices.
        assert!(polygon.contains(p(0.5, 1.0)));
        assert!(!polygon.contains(p(1.5, 1.000_1)));
        assert!(polygon.contains(p(1.5, 1.0)), "on the notch's floor");
    }

    #[test]
    fn a_multipolygon_contains_what_any_of_its_parts_contains() {
        let shape = Shape::from_geojson(&json!({
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
                [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]],
                 [[5.4, 5.4], [5.6, 5.4], [5.6, 5.6], [5.4, 5.6], [5.4, 5.4]]]
            ]
        }))
        .expect("valid multipolygon");
        assert_eq!(shape.polygons().len(), 2);
        assert_eq!(shape.vertex_count(), 15);
        assert!(shape.contains(p(0.5, 0.5)));
        assert!(shape.contains(p(5.2, 5.2)));
        assert!(!shape.contains(p(5.5, 5.5)), "the second part's hole");
        assert!(
            !shape.contains(p(3.0, 3.0)),
            "between the parts, inside the box"
        );
        assert_eq!(
            shape.bbox(),
            BoundingBox {
                min_lat: 0.0,
                min_lon: 0.0,
                max_lat: 6.0,
                max_lon: 6.0
            }
        );
    }

    #[test]
    fn geojson_reads_back_what_it_wrote() {
        let polygon = Shape::from_geojson(&json!({
            "type": "Polygon",
            "coordinates": [[[116.581, 35.395, 40.0], [116.584, 35.395], [116.584, 35.399],
                             [116.581, 35.399], [116.581, 35.395]]],
            "bbox": [116.581, 35.395, 116.584, 35.399]
        }))
        .expect("valid polygon");
        let written = polygon.to_geojson();
        assert_eq!(written["type"], "Polygon");
        assert_eq!(written["coordinates"][0][0], json!([116.581, 35.395]));
        assert_eq!(Shape::from_geojson(&written).expect("reads back"), polygon);
        assert!(polygon.contains(p(116.582, 35.396)));
        assert!(!polygon.contains(p(116.582, 35.394)));
    }

    #[test]
    fn bad_geometries_are_refused_naming_what_is_wrong() {
        let square = json!([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]);
        assert_eq!(
            error(json!({ "type": "Point", "coordinates": [0, 0] })),
            ("type".into(), "unsupported_geometry")
        );
        assert_eq!(
            error(json!({ "coordinates": [square] })),
            ("type".into(), "invalid_geometry")
        );
        assert_eq!(error(json!([1, 2])), ("".into(), "invalid_geometry"));
        assert_eq!(
            error(json!({ "type": "Polygon", "coordinates": "none" })),
            ("coordinates".into(), "invalid_geometry")
        );
        assert_eq!(
            error(json!({ "type": "Polygon", "coordinates": [] })),
            ("coordinates".into(), "invalid_geometry")
        );
        assert_eq!(
            error(json!({ "type": "MultiPolygon", "coordinates": [] })),
            ("coordinates".into(), "invalid_geometry")
        );
        assert_eq!(
            error(json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]] })),
            ("coordinates[0]".into(), "ring_not_closed")
        );
        assert_eq!(
            error(json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]] })),
            ("coordinates[0]".into(), "ring_too_short")
        );
        assert_eq!(
            error(json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]] })),
            ("coordinates[0]".into(), "degenerate_ring")
        );
        assert_eq!(
            error(
                json!({ "type": "Polygon", "coordinates": [square, [[0, 0], [0, 91], [1, 0], [0, 0]]] })
            ),
            ("coordinates[1][1]".into(), "invalid_coordinate")
        );
        assert_eq!(
            error(json!({ "type": "MultiPolygon", "coordinates": [[square], [[
                [0, 0], [1, 0], [1, 1], [181, 1], [0, 0]]]] })),
            ("coordinates[1][0][3]".into(), "invalid_coordinate")
        );
        for bad_position in [
            json!([1]),
            json!([1, 2, 3, 4]),
            json!(["1", 2]),
            json!(null),
        ] {
            let geometry = json!({ "type": "Polygon", "coordinates": [[
                [0, 0], [1, 0], bad_position, [0, 1], [0, 0]]] });
            assert_eq!(
                error(geometry),
                ("coordinates[0][2]".into(), "invalid_coordinate")
            );
        }
    }

    #[test]
    fn a_shape_has_at_most_ten_thousand_positions() {
        let circle = |n: usize| -> Value {
            let mut ring: Vec<Value> = (0..n)
                .map(|i| {
                    let angle = std::f64::consts::TAU * i as f64 / n as f64;
                    json!([angle.cos(), angle.sin()])
                })
                .collect();
            ring.push(ring[0].clone());
            json!({ "type": "Polygon", "coordinates": [ring] })
        };
        let largest = Shape::from_geojson(&circle(MAX_VERTICES - 1)).expect("at the limit");
        assert_eq!(largest.vertex_count(), MAX_VERTICES);
        assert!(largest.contains(p(0.0, 0.0)));
        assert_eq!(
            error(circle(MAX_VERTICES)),
            ("coordinates".into(), "too_many_vertices")
        );
    }

    /// A small deterministic generator, so that the property tests need no dependency.
    struct Lcg(u64);

    impl Lcg {
        /// A number in [0, 1).
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// The winding number of `ring` around `p`: another way to decide inside, to check the
    /// ray casting against.
    fn winding_number(ring: &Ring, p: Position) -> i32 {
        let side = |a: Position, b: Position| {
            (b.lon - a.lon) * (p.lat - a.lat) - (p.lon - a.lon) * (b.lat - a.lat)
        };
        ring.edges().fold(0, |winding, (a, b)| {
            if a.lat <= p.lat && b.lat > p.lat && side(a, b) > 0.0 {
                winding + 1
            } else if a.lat > p.lat && b.lat <= p.lat && side(a, b) < 0.0 {
                winding - 1
            } else {
                winding
            }
        })
    }

    /// A star-shaped (so simple, often concave) ring around `centre` with `n` spikes.
    fn star(rng: &mut Lcg, centre: Position, n: usize) -> Ring {
        let mut points: Vec<Position> = (0..n)
            .map(|i| {
                let angle = std::f64::consts::TAU * (i as f64 + 0.5 * rng.next()) / n as f64;
                let radius = 0.001 + 0.009 * rng.next();
                p(
                    centre.lon + radius * angle.cos(),
                    centre.lat + radius * angle.sin(),
                )
            })
            .collect();
        points.push(points[0]);
        Ring::new(points).expect("a star is a valid ring")
    }

    #[test]
    fn ray_casting_agrees_with_the_winding_number_on_random_simple_polygons() {
        let mut rng = Lcg(20_260_302);
        let centre = p(116.58, 35.39);
        for _ in 0..200 {
            let n = 3 + (rng.next() * 40.0) as usize;
            let exterior = star(&mut rng, centre, n);
            let polygon = Polygon::new(exterior.clone(), vec![]);
            for _ in 0..200 {
                let q = p(
                    centre.lon + 0.024 * (rng.next() - 0.5),
                    centre.lat + 0.024 * (rng.next() - 0.5),
                );
                if exterior.on_boundary(q) {
                    continue;
                }
                let inside = winding_number(&exterior, q) != 0;
                assert_eq!(polygon.contains(q), inside, "{q:?} in {exterior:?}");
                if inside {
                    assert!(polygon.bbox().contains(q));
                }
            }
        }
    }

    #[test]
    fn a_point_is_in_a_polygon_with_a_hole_exactly_when_it_is_in_the_exterior_and_not_the_hole() {
        let mut rng = Lcg(7);
        for _ in 0..100 {
            let centre = p(100.0 + rng.next(), 30.0 + rng.next());
            let exterior = Ring::new(
                [
                    (-0.02, -0.02),
                    (0.02, -0.02),
                    (0.02, 0.02),
                    (-0.02, 0.02),
                    (-0.02, -0.02),
                ]
                .iter()
                .map(|(x, y)| p(centre.lon + x, centre.lat + y))
                .collect(),
            )
            .expect("square");
            let hole = star(&mut rng, centre, 12);
            let with_hole = Polygon::new(exterior.clone(), vec![hole.clone()]);
            let outer = Polygon::new(exterior, vec![]);
            let inner = Polygon::new(hole.clone(), vec![]);
            for _ in 0..100 {
                let q = p(
                    centre.lon + 0.05 * (rng.next() - 0.5),
                    centre.lat + 0.05 * (rng.next() - 0.5),
                );
                if hole.on_boundary(q) {
                    continue;
                }
                assert_eq!(
                    with_hole.contains(q),
                    outer.contains(q) && !inner.contains(q),
                    "{q:?}"
                );
            }
            let shape = Shape::new(vec![with_hole]).expect("shape");
            assert_eq!(
                Shape::from_geojson(&shape.to_geojson()).expect("reads back"),
                shape,
                "GeoJSON round trip is exact"
            );
        }
    }
}
