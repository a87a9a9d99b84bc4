//! Raw input from the API and forms, and its parsing into domain values ("parse, don't
//! validate"): every error names the field it is about, nested fields by path.

use hezhi_domain::case::{ADDRESS_MAX_CHARS, check_text};
use hezhi_domain::{
    CaseKind, CategoryCode, Channel, NewCase, Party, PartyRole, Position, RegionCode, Shape,
    ValidationError,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub kind: String,
    pub category: String,
    pub channel: String,
    pub region: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub position: Option<PositionInput>,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    #[serde(default)]
    pub amount_yuan: Option<u64>,
    #[serde(default)]
    pub people_involved: Option<u32>,
    #[serde(default)]
    pub case_leader: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionInput {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    pub role: String,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// Parses a snake_case enum value, naming `field` when it is not one of the variants.
pub fn parse_enum<T: DeserializeOwned>(field: &str, value: &str) -> Result<T, ValidationError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        ValidationError::new(
            field,
            "invalid_value",
            format!("`{value}` is not a valid {field}"),
        )
    })
}

impl CaseInput {
    /// The case as reported. Whether the region and category exist is checked by the caller
    /// against stored data.
    pub fn parse(&self) -> Result<NewCase, ValidationError> {
        let parties = self
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| p.parse().map_err(|e| e.nested(&format!("parties[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let address = self
            .address
            .as_deref()
            .map(|a| check_text("address", a, ADDRESS_MAX_CHARS, false))
            .transpose()?
            .filter(|a| !a.is_empty());
        let case = NewCase {
            kind: parse_enum::<CaseKind>("kind", &self.kind)?,
            category: CategoryCode::parse(&self.category)?,
            channel: parse_enum::<Channel>("channel", &self.channel)?,
            region: RegionCode::parse(&self.region)?,
            address,
            position: self
                .position
                .map(|p| Position::new(p.lat, p.lon))
                .transpose()?,
            title: self.title.trim().to_owned(),
            description: self.description.trim().to_owned(),
            parties,
            amount_yuan: self.amount_yuan,
            people_involved: self.people_involved,
            case_leader: self
                .case_leader
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        };
        case.validate()?;
        Ok(case)
    }
}

impl PartyInput {
    pub fn parse(&self) -> Result<Party, ValidationError> {
        Party::parse(
            parse_enum::<PartyRole>("role", &self.role)?,
            &self.name,
            self.phone.as_deref(),
            self.id_number.as_deref(),
            self.address.as_deref(),
        )
    }
}

/// The longest grid name, as `hezhi grid add` allows.
pub const GRID_NAME_MAX_CHARS: usize = 50;

/// One grid of a GeoJSON grid file: its number under the village, its name and its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct GridFeature {
    pub number: u16,
    pub name: String,
    pub shape: Shape,
}

fn invalid_geojson(field: &str, message: &str) -> ValidationError {
    ValidationError::new(field, "invalid_geojson", message)
}

/// Reads a GeoJSON `FeatureCollection` of grids: each feature a `Polygon` or `MultiPolygon`
/// with the properties `number` (1–999, a JSON number or a string of digits) and `name`.
/// Every feature is checked; the first problem is returned, named by its path
/// (`features[2].properties.number`, `features[0].geometry.coordinates[0]`).
pub fn parse_grid_features(collection: &Value) -> Result<Vec<GridFeature>, ValidationError> {
    if collection.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(invalid_geojson(
            "type",
            "a grid file is a GeoJSON FeatureCollection",
        ));
    }
    let Some(features) = collection.get("features").and_then(Value::as_array) else {
        return Err(invalid_geojson("features", "`features` is an array"));
    };
    if features.is_empty() {
        return Err(ValidationError::new(
            "features",
            "required",
            "the collection has no features",
        ));
    }
    let mut grids: Vec<GridFeature> = Vec::with_capacity(features.len());
    for (index, feature) in features.iter().enumerate() {
        let path = format!("features[{index}]");
        let grid = parse_grid_feature(feature).map_err(|e| nest(e, &path))?;
        if let Some(first) = grids.iter().position(|g| g.number == grid.number) {
            return Err(ValidationError::new(
                format!("{path}.properties.number"),
                "duplicate_grid_number",
                format!("grid number {} is also features[{first}]", grid.number),
            ));
        }
        grids.push(grid);
    }
    Ok(grids)
}

/// `error` reported under `parent`; an error about the whole value takes the parent's path.
fn nest(error: ValidationError, parent: &str) -> ValidationError {
    if error.field.is_empty() {
        ValidationError {
            field: parent.to_owned(),
            ..error
        }
    } else {
        error.nested(parent)
    }
}

fn parse_grid_feature(feature: &Value) -> Result<GridFeature, ValidationError> {
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(invalid_geojson("type", "each feature is a GeoJSON Feature"));
    }
    let Some(properties) = feature.get("properties").and_then(Value::as_object) else {
        return Err(ValidationError::new(
            "properties",
            "required",
            "a grid feature has properties `number` and `name`",
        ));
    };
    let number = match properties.get("number") {
        None | Some(Value::Null) => {
            return Err(ValidationError::new(
                "properties.number",
                "required",
                "a grid feature has a `number`",
            ));
        }
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(text))
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) =>
        {
            text.parse::<u64>().ok()
        }
        Some(_) => None,
    }
    .and_then(|n| u16::try_from(n).ok())
    .filter(|n| (1..=999).contains(n))
    .ok_or_else(|| {
        ValidationError::new(
            "properties.number",
            "invalid_grid_number",
            "a grid is numbered 1–999 under a village",
        )
    })?;
    let name = match properties.get("name") {
        Some(Value::String(name)) => check_text("name", name, GRID_NAME_MAX_CHARS, true)
            .map_err(|e| e.nested("properties"))?,
        None | Some(Value::Null) => {
            return Err(ValidationError::new(
                "properties.name",
                "required",
                "a grid feature has a `name`",
            ));
        }
        Some(_) => {
            return Err(ValidationError::new(
                "properties.name",
                "invalid_value",
                "a grid's name is a string",
            ));
        }
    };
    let geometry = match feature.get("geometry") {
        None | Some(Value::Null) => {
            return Err(ValidationError::new(
                "geometry",
                "required",
                "a grid feature has a geometry",
            ));
        }
        Some(geometry) => Shape::from_geojson(geometry).map_err(|e| nest(e, "geometry"))?,
    };
    Ok(GridFeature {
        number,
        name,
        shape: geometry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CaseInput {
        CaseInput {
            kind: "dispute".into(),
            category: "neighbour".into(),
            channel: "window".into(),
            region: "370811002001".into(),
            title: "楼上漏水".into(),
            description: "楼上漏水导致楼下天花板受损。".into(),
            parties: vec![PartyInput {
                role: "applicant".into(),
                name: "陈某某".into(),
                phone: Some("15100002320".into()),
                ..PartyInput::default()
            }],
            ..CaseInput::default()
        }
    }

    #[test]
    fn a_valid_input_parses_into_a_new_case() {
        let case = input().parse().expect("valid");
        assert_eq!(
            case.parties[0]
                .phone
                .as_ref()
                .map(|p| p.masked())
                .as_deref(),
            Some("151****2320")
        );
    }

    #[test]
    fn a_bad_phone_of_the_second_party_is_named_by_its_path() {
        let mut bad = input();
        bad.parties.push(PartyInput {
            role: "respondent".into(),
            name: "周某某".into(),
            phone: Some("12345".into()),
            ..PartyInput::default()
        });
        let error = bad.parse().expect_err("bad phone");
        assert_eq!(
            (error.field.as_str(), error.code),
            ("parties[1].phone", "invalid_phone")
        );
    }

    #[test]
    fn an_unknown_channel_and_a_town_region_are_refused_by_field() {
        let error = CaseInput {
            channel: "fax".into(),
            ..input()
        }
        .parse()
        .expect_err("channel");
        assert_eq!(error.field, "channel");
        let error = CaseInput {
            region: "370811002".into(),
            ..input()
        }
        .parse()
        .expect_err("town");
        assert_eq!(
            (error.field.as_str(), error.code),
            ("region", "region_not_village_or_grid")
        );
    }

    fn grid_file(features: Value) -> Value {
        serde_json::json!({ "type": "FeatureCollection", "features": features })
    }

    fn feature(number: Value, name: Value, geometry: Value) -> Value {
        serde_json::json!({ "type": "Feature", "properties": { "number": number, "name": name },
            "geometry": geometry })
    }

    fn square() -> Value {
        serde_json::json!({ "type": "Polygon",
            "coordinates": [[[116.0, 35.0], [116.1, 35.0], [116.1, 35.1], [116.0, 35.1], [116.0, 35.0]]] })
    }

    #[test]
    fn a_grid_file_parses_into_numbered_named_shapes() {
        use serde_json::json;
        let grids = parse_grid_features(&grid_file(json!([
            feature(json!(1), json!(" 第一网格 "), square()),
            feature(json!("012"), json!("第十二网格"), square()),
        ])))
        .expect("valid file");
        assert_eq!(
            grids
                .iter()
                .map(|g| (g.number, g.name.as_str()))
                .collect::<Vec<_>>(),
            [(1, "第一网格"), (12, "第十二网格")]
        );
        assert!(grids[0].shape.contains(Position {
            lat: 35.05,
            lon: 116.05
        }));
    }

    #[test]
    fn a_bad_grid_file_is_refused_naming_the_feature_and_what_is_wrong() {
        use serde_json::json;
        let good = || feature(json!(1), json!("第一网格"), square());
        let refused = |file: Value| {
            let error = parse_grid_features(&file).expect_err("refused");
            (error.field, error.code)
        };
        let open_ring = json!({ "type": "Polygon",
            "coordinates": [[[116.0, 35.0], [116.1, 35.0], [116.1, 35.1], [116.0, 35.1]]] });
        let cases = [
            (json!({ "type": "Feature" }), ("type", "invalid_geojson")),
            (
                json!({ "type": "FeatureCollection" }),
                ("features", "invalid_geojson"),
            ),
            (grid_file(json!([])), ("features", "required")),
            (
                grid_file(json!([
                    good(),
                    feature(json!(2), json!("第二网格"), open_ring)
                ])),
                ("features[1].geometry.coordinates[0]", "ring_not_closed"),
            ),
            (
                grid_file(json!([good(), feature(json!(1000), json!("x"), square())])),
                ("features[1].properties.number", "invalid_grid_number"),
            ),
            (
                grid_file(json!([feature(json!(0), json!("x"), square())])),
                ("features[0].properties.number", "invalid_grid_number"),
            ),
            (
                grid_file(json!([feature(json!(2.5), json!("x"), square())])),
                ("features[0].properties.number", "invalid_grid_number"),
            ),
            (
                grid_file(json!([feature(json!("-3"), json!("x"), square())])),
                ("features[0].properties.number", "invalid_grid_number"),
            ),
            (
                grid_file(json!([good(), good()])),
                ("features[1].properties.number", "duplicate_grid_number"),
            ),
            (
                grid_file(json!([feature(json!(3), json!(""), square())])),
                ("features[0].properties.name", "required"),
            ),
            (
                grid_file(json!([feature(json!(3), json!(7), square())])),
                ("features[0].properties.name", "invalid_value"),
            ),
            (
                grid_file(json!([feature(json!(3), json!("x"), json!(null))])),
                ("features[0].geometry", "required"),
            ),
            (
                grid_file(json!([feature(json!(3), json!("x"), json!("Polygon"))])),
                ("features[0].geometry", "invalid_geometry"),
            ),
            (
                grid_file(json!([feature(
                    json!(3),
                    json!("x"),
                    json!({ "type": "LineString", "coordinates": [[0, 0], [1, 1]] })
                )])),
                ("features[0].geometry.type", "unsupported_geometry"),
            ),
            (
                grid_file(json!([{ "type": "Feature", "geometry": square() }])),
                ("features[0].properties", "required"),
            ),
            (
                grid_file(json!([{ "type": "Feature", "properties": { "name": "x" },
                    "geometry": square() }])),
                ("features[0].properties.number", "required"),
            ),
        ];
        for (file, (field, code)) in cases {
            assert_eq!(refused(file.clone()), (field.to_owned(), code), "{file}");
        }
    }
}
