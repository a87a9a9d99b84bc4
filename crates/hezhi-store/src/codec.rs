//! How domain values become column values and back, shared by both backends so that they
//! store exactly the same thing.
//!
//! Parties' phones, ID numbers and addresses never reach a column in the clear: wherever a
//! party is stored (the case projection, the `reported` event), each of those fields is
//! replaced by its encryption under the current data key (`enc1:<key id>:…`), bound to the
//! case, the party's place and the field, and decrypted again when read.

use crate::error::StoreError;
use crate::model::CaseFilter;
use chrono::{DateTime, Utc};
use hezhi_crypto::Keyring;
use hezhi_domain::{Case, CaseState, Event, EventKind, Party, Role, UnitId, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The snake_case name serde gives a unit enum variant (`in_progress`, `red`…).
pub fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => format!("{other:?}"),
    }
}

pub fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The states in which a case is open, as stored (for `overdue` filters and indexes).
pub fn open_state_names() -> Vec<String> {
    CaseState::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// China is UTC+8 all year: days of the trend are China days.
pub const CHINA_OFFSET_SECONDS: i64 = 8 * 3600;

/// The grouping expression of a case count, for the backend's SQL: `day` is the
/// backend's expression of the China date of `reported_at`.
pub fn count_key(by: crate::CountBy, day: &str) -> String {
    match by {
        crate::CountBy::State => "state".to_owned(),
        crate::CountBy::Urgency => "COALESCE(urgency, '')".to_owned(),
        crate::CountBy::Category => "kind || '/' || category".to_owned(),
        crate::CountBy::Region(level) => format!("substr(region, 1, {})", level.code_len()),
        crate::CountBy::ReportedDay => day.to_owned(),
    }
}

/// The fields of a stored party that are personal data, encrypted at rest.
pub const PERSONAL_FIELDS: [&str; 3] = ["phone", "id_number", "address"];

/// The `kind` of a `case_party_keys` row for a phone number and for an ID number.
pub const PARTY_KEY_PHONE: &str = "phone";
pub const PARTY_KEY_ID_NUMBER: &str = "id_number";

/// What an encrypted field is bound to: a value moved to another case, party or field does
/// not decrypt.
fn field_context(case_id: uuid::Uuid, party: usize, field: &str) -> String {
    format!("{case_id}:parties[{party}].{field}")
}

/// Replaces the personal fields of each party in `parties` (a JSON array of parties) by
/// their encryption.
fn seal_parties(
    parties: Option<&mut Value>,
    case_id: uuid::Uuid,
    keys: &Keyring,
) -> Result<(), StoreError> {
    let Some(parties) = parties.and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for (index, party) in parties.iter_mut().enumerate() {
        for field in PERSONAL_FIELDS {
            if let Some(value) = party.get_mut(field)
                && let Some(text) = value.as_str()
            {
                *value = Value::String(keys.encrypt(text, &field_context(case_id, index, field))?);
            }
        }
    }
    Ok(())
}

/// Decrypts what [`seal_parties`] encrypted. A value without the `enc1:` mark was written
/// before encryption at rest and is read as it is.
fn open_parties(
    parties: Option<&mut Value>,
    case_id: uuid::Uuid,
    keys: &Keyring,
) -> Result<(), StoreError> {
    let Some(parties) = parties.and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for (index, party) in parties.iter_mut().enumerate() {
        for field in PERSONAL_FIELDS {
            if let Some(value) = party.get_mut(field)
                && let Some(text) = value.as_str()
                && Keyring::is_sealed(text)
            {
                *value = Value::String(keys.decrypt(text, &field_context(case_id, index, field))?);
            }
        }
    }
    Ok(())
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The case projection as stored in `data`, personal data encrypted.
pub fn encode_case(case: &Case, keys: &Keyring) -> Result<String, StoreError> {
    let mut value = to_value(case)?;
    seal_parties(value.pointer_mut("/parties"), case.id.as_uuid(), keys)?;
    to_json(&value)
}

/// A case projection from its stored `data`.
pub fn decode_case(data: &str, keys: &Keyring) -> Result<Case, StoreError> {
    let mut value: Value = from_json(data)?;
    let id: uuid::Uuid = from_value(value["id"].clone())?;
    open_parties(value.pointer_mut("/parties"), id, keys)?;
    from_value(value)
}

/// A case projection from its stored `data` without its parties (left empty): for counting,
/// which needs no personal data and so opens none.
pub fn decode_case_without_parties(data: &str) -> Result<Case, StoreError> {
    let mut value: Value = from_json(data)?;
    if let Some(parties) = value.get_mut("parties") {
        *parties = Value::Array(Vec::new());
    }
    from_value(value)
}

/// The keyed hashes under which a person's cases are found: one per distinct phone and ID
/// number of the case's parties, as `(kind, hash)`.
pub fn party_keys(parties: &[Party], keys: &Keyring) -> Vec<(&'static str, String)> {
    let mut found: Vec<(&'static str, String)> = parties
        .iter()
        .flat_map(|p| {
            let phone = p.phone.as_ref().map(|v| {
                (
                    PARTY_KEY_PHONE,
                    keys.lookup_hash(PARTY_KEY_PHONE, v.as_str()),
                )
            });
            let id_number = p.id_number.as_ref().map(|v| {
                (
                    PARTY_KEY_ID_NUMBER,
                    keys.lookup_hash(PARTY_KEY_ID_NUMBER, v.as_str()),
                )
            });
            phone.into_iter().chain(id_number)
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The `(kind, hash)` pairs a case must have among its party keys to match `filter`.
pub fn party_key_filters(filter: &CaseFilter, keys: &Keyring) -> Vec<(&'static str, String)> {
    let phone = filter.party_phone.as_ref().map(|v| {
        (
            PARTY_KEY_PHONE,
            keys.lookup_hash(PARTY_KEY_PHONE, v.as_str()),
        )
    });
    let id_number = filter.party_id_number.as_ref().map(|v| {
        (
            PARTY_KEY_ID_NUMBER,
            keys.lookup_hash(PARTY_KEY_ID_NUMBER, v.as_str()),
        )
    });
    phone.into_iter().chain(id_number).collect()
}

/// The indexed columns of a case row; the whole projection goes into `data`.
#[derive(Debug)]
pub struct CaseColumns {
    pub county: String,
    pub id: uuid::Uuid,
    pub number: String,
    pub tracking_code: String,
    pub state: String,
    pub kind: String,
    pub category: String,
    pub region: String,
    pub urgency: Option<String>,
    pub reported_by: uuid::Uuid,
    pub due_at: Option<DateTime<Utc>>,
    /// What the case waits on the centre for (`crate::Attention`), if anything.
    pub attention: Option<&'static str>,
    /// When the deadline sweeper must next look at the case (`hezhi_domain::sweep`).
    pub next_sweep_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub reported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub data: String,
    /// The units of the current assignment: `(unit, "lead" | "supporting")`.
    pub units: Vec<(uuid::Uuid, &'static str)>,
    /// The rows of `case_party_keys`: `(kind, keyed hash)`.
    pub party_keys: Vec<(&'static str, String)>,
}

impl CaseColumns {
    pub fn of(case: &Case, keys: &Keyring) -> Result<Self, StoreError> {
        let units = case
            .assignment
            .iter()
            .flat_map(|a| {
                std::iter::once((a.lead_unit.as_uuid(), "lead")).chain(
                    a.supporting
                        .iter()
                        .map(|p| (p.unit.as_uuid(), "supporting")),
                )
            })
            .collect();
        Ok(Self {
            county: case.county().to_string(),
            id: case.id.as_uuid(),
            number: case.number.to_string(),
            tracking_code: case.tracking_code.as_str().to_owned(),
            state: case.state.as_str().to_owned(),
            kind: enum_name(&case.data.kind),
            category: case.data.category.to_string(),
            region: case.data.region.to_string(),
            urgency: case.urgency.as_ref().map(enum_name),
            reported_by: case.reported_by.as_uuid(),
            // The deadline the case runs against now (handling, verification or follow-up;
            // none while its clock is stopped): what lists order and filter by.
            due_at: case.deadline().map(|(_, due)| due),
            attention: crate::Attention::of(case).map(crate::Attention::as_str),
            next_sweep_at: hezhi_domain::sweep::next_sweep_at(case),
            version: i64::from(case.version),
            reported_at: case.reported_at,
            updated_at: case.updated_at,
            data: encode_case(case, keys)?,
            units,
            party_keys: party_keys(&case.data.parties, keys),
        })
    }
}

/// The columns of an event row; the event's data goes into `payload`.
#[derive(Debug)]
pub struct EventColumns {
    pub county: String,
    pub case_id: uuid::Uuid,
    pub sequence: i64,
    pub event_type: &'static str,
    pub at: DateTime<Utc>,
    pub actor: uuid::Uuid,
    pub role: &'static str,
    pub payload: String,
}

impl EventColumns {
    pub fn of(county: &str, event: &Event, keys: &Keyring) -> Result<Self, StoreError> {
        let mut payload = to_value(&event.kind)?;
        if let EventKind::Reported { .. } = event.kind {
            seal_parties(
                payload.pointer_mut("/case/parties"),
                event.case_id.as_uuid(),
                keys,
            )?;
        }
        Ok(Self {
            county: county.to_owned(),
            case_id: event.case_id.as_uuid(),
            sequence: i64::from(event.sequence),
            event_type: event.kind.name(),
            at: event.at,
            actor: event.actor.as_uuid(),
            role: event.role.as_str(),
            payload: to_json(&payload)?,
        })
    }

    /// Rebuilds an event from the stored columns.
    pub fn decode(
        case_id: uuid::Uuid,
        sequence: i64,
        at: DateTime<Utc>,
        actor: uuid::Uuid,
        role: &str,
        payload: &str,
        keys: &Keyring,
    ) -> Result<Event, StoreError> {
        let mut payload: Value = from_json(payload)?;
        if payload["type"] == "reported" {
            open_parties(payload.pointer_mut("/case/parties"), case_id, keys)?;
        }
        let kind: EventKind = from_value(payload)?;
        Ok(Event {
            case_id: hezhi_domain::CaseId::from_uuid(case_id),
            sequence: u32::try_from(sequence).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            at,
            actor: UserId::from_uuid(actor),
            role: Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
            kind,
        })
    }
}

/// Unit categories are stored as a JSON array of codes.
pub fn unit_id(uuid: uuid::Uuid) -> UnitId {
    UnitId::from_uuid(uuid)
}

/// The exclusive upper bound of the codes that start with `prefix` (all codes are digits,
/// and `:` sorts right after `9`), so that "within region" is an index range scan.
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}:")
}

fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

/// A region code read from a column.
pub fn region_code(text: &str) -> Result<hezhi_domain::RegionCode, StoreError> {
    hezhi_domain::RegionCode::parse(text).map_err(|e| corrupt(format!("region {text}: {e}")))
}

/// A region from its stored columns.
pub fn region_from_columns(
    code: &str,
    name: String,
    level: &str,
    parent: Option<&str>,
) -> Result<crate::Region, StoreError> {
    Ok(crate::Region {
        code: hezhi_domain::RegionCode::parse(code).map_err(corrupt)?,
        name,
        level: hezhi_domain::RegionLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == level)
            .ok_or_else(|| corrupt(format!("region level {level}")))?,
        parent: parent
            .map(hezhi_domain::RegionCode::parse)
            .transpose()
            .map_err(corrupt)?,
    })
}

/// A unit from its stored columns (`categories` is a JSON array of codes).
pub fn unit_from_columns(
    id: uuid::Uuid,
    name: String,
    kind: &str,
    region: &str,
    categories: &str,
) -> Result<crate::Unit, StoreError> {
    Ok(crate::Unit {
        id: UnitId::from_uuid(id),
        name,
        kind: hezhi_domain::UnitKind::parse(kind)
            .ok_or_else(|| corrupt(format!("unit kind {kind}")))?,
        region: hezhi_domain::RegionCode::parse(region).map_err(corrupt)?,
        categories: from_json(categories)?,
    })
}

/// A role assignment from its stored columns.
pub fn assignment_from_columns(
    id: uuid::Uuid,
    user: uuid::Uuid,
    role: &str,
    region: Option<&str>,
    unit: Option<uuid::Uuid>,
    granted_at: DateTime<Utc>,
    granted_by: Option<uuid::Uuid>,
) -> Result<crate::RoleAssignment, StoreError> {
    Ok(crate::RoleAssignment {
        id: hezhi_domain::AssignmentId::from_uuid(id),
        user: UserId::from_uuid(user),
        role: Role::parse(role).ok_or_else(|| corrupt(format!("role {role}")))?,
        region: region
            .map(hezhi_domain::RegionCode::parse)
            .transpose()
            .map_err(corrupt)?,
        unit: unit.map(UnitId::from_uuid),
        granted_at,
        granted_by: granted_by.map(UserId::from_uuid),
    })
}

/// A category from its stored columns.
pub fn category_from_columns(
    kind: &str,
    code: &str,
    name_zh: String,
    name_en: String,
) -> Result<crate::Category, StoreError> {
    Ok(crate::Category {
        kind: from_json(&format!("\"{kind}\""))?,
        code: hezhi_domain::CategoryCode::parse(code).map_err(corrupt)?,
        name_zh,
        name_en,
    })
}

/// A stored version of the deadline policy: the policy as JSON, its version the row's.
pub fn deadline_policy_from_columns(
    version: i64,
    policy: &str,
) -> Result<hezhi_domain::deadline::DeadlinePolicy, StoreError> {
    let mut policy: hezhi_domain::deadline::DeadlinePolicy = from_json(policy)?;
    policy.version = u32::try_from(version).map_err(corrupt)?;
    Ok(policy)
}

/// The columns of an attachment file but its content, as both backends store them.
#[derive(Debug)]
pub struct AttachmentFileColumns {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub taken_at: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub has_thumbnail: bool,
    pub stored_at: DateTime<Utc>,
}

/// The form in which a camera's capture time is stored.
const TAKEN_AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

impl AttachmentFileColumns {
    pub fn of(file: &crate::AttachmentFile) -> Self {
        Self {
            digest: file.digest.to_string(),
            media_type: file.media_type.clone(),
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
            width: file.width.map(i64::from),
            height: file.height.map(i64::from),
            taken_at: file.taken_at.map(|t| t.format(TAKEN_AT_FORMAT).to_string()),
            latitude: file.position.map(|p| p.lat),
            longitude: file.position.map(|p| p.lon),
            has_thumbnail: file.has_thumbnail,
            stored_at: file.stored_at,
        }
    }

    pub fn decode(self) -> Result<crate::AttachmentFile, StoreError> {
        let dimension = |v: Option<i64>| v.map(u32::try_from).transpose().map_err(corrupt);
        Ok(crate::AttachmentFile {
            digest: hezhi_domain::ContentDigest::parse(&self.digest).map_err(corrupt)?,
            media_type: self.media_type,
            size: u64::try_from(self.size).map_err(corrupt)?,
            width: dimension(self.width)?,
            height: dimension(self.height)?,
            taken_at: self
                .taken_at
                .map(|t| chrono::NaiveDateTime::parse_from_str(&t, TAKEN_AT_FORMAT))
                .transpose()
                .map_err(corrupt)?,
            position: match (self.latitude, self.longitude) {
                (Some(lat), Some(lon)) => {
                    Some(hezhi_domain::Position::new(lat, lon).map_err(corrupt)?)
                }
                _ => None,
            },
            has_thumbnail: self.has_thumbnail,
            stored_at: self.stored_at,
        })
    }
}

/// The columns of a grid shape: its GeoJSON geometry as text, and its bounding box.
#[derive(Debug)]
pub struct GridShapeColumns {
    pub grid: String,
    pub village: String,
    pub geometry: String,
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl GridShapeColumns {
    pub fn of(shape: &crate::GridShape) -> Result<Self, StoreError> {
        let bbox = shape.shape.bbox();
        Ok(Self {
            grid: shape.grid.to_string(),
            village: shape.village.to_string(),
            geometry: to_json(&shape.shape.to_geojson())?,
            min_lat: bbox.min_lat,
            min_lon: bbox.min_lon,
            max_lat: bbox.max_lat,
            max_lon: bbox.max_lon,
        })
    }
}

/// A grid shape from its stored columns (the geometry is read again, and checked again).
pub fn grid_shape_from_columns(
    grid: &str,
    village: &str,
    geometry: &str,
) -> Result<crate::GridShape, StoreError> {
    let geometry: serde_json::Value = from_json(geometry)?;
    Ok(crate::GridShape {
        grid: hezhi_domain::RegionCode::parse(grid).map_err(corrupt)?,
        village: hezhi_domain::RegionCode::parse(village).map_err(corrupt)?,
        shape: hezhi_domain::Shape::from_geojson(&geometry)
            .map_err(|e| corrupt(format!("shape of grid {grid}: {e}")))?,
    })
}

/// The ORDER BY of a case list, the same in both backends.
pub fn case_list_order(order: crate::CaseOrder) -> &'static str {
    match order {
        crate::CaseOrder::Newest => " ORDER BY id DESC",
        crate::CaseOrder::Queue => {
            " ORDER BY CASE urgency WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 \
             WHEN 'green' THEN 3 ELSE 4 END, due_at IS NULL, due_at, id DESC"
        }
    }
}
