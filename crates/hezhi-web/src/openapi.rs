//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. Written by hand
//! beside the handlers; a test checks that every routed path is documented and an insta
//! snapshot makes every change to it visible in review.

use hezhi_domain::CommandKind;
use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn enum_schema(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// The request body of each lifecycle command.
fn command_body(kind: CommandKind) -> Value {
    let text = json!({ "type": "string", "maxLength": 2000 });
    let time = json!({ "type": "string", "format": "date-time" });
    let uuid = json!({ "type": "string", "format": "uuid" });
    let outcome = enum_schema(&["settled", "handled", "not_settled", "withdrawn"]);
    let referral = enum_schema(&[
        "litigation",
        "arbitration",
        "administrative",
        "petition",
        "police",
        "other",
    ]);
    let (properties, required): (Value, Vec<&str>) = match kind {
        CommandKind::Accept
        | CommandKind::Acknowledge
        | CommandKind::ConfirmPart
        | CommandKind::Verify => (json!({ "note": text }), vec![]),
        CommandKind::ApproveExtension | CommandKind::ResumeClock => {
            (json!({ "note": text }), vec![])
        }
        CommandKind::PauseClock => (
            json!({
                "reason": enum_schema(&["awaiting_party", "appraisal", "awaiting_authority"]),
                "note": text
            }),
            vec!["reason", "note"],
        ),
        CommandKind::Attach => (
            json!({
                "digest": { "type": "string", "pattern": "^[0-9a-f]{64}$",
                    "description": "The digest `POST /files` answered with" },
                "name": { "type": "string", "maxLength": 120 }
            }),
            vec!["digest", "name"],
        ),
        CommandKind::Decline => (
            json!({ "reason": text, "suggested_channel": referral }),
            vec!["reason", "suggested_channel"],
        ),
        CommandKind::ResolveAtFirstContact => (
            json!({ "outcome": outcome, "note": text }),
            vec!["outcome", "note"],
        ),
        CommandKind::Triage => (
            json!({
                "kind": { "$ref": "#/components/schemas/CaseKind" },
                "category": { "type": "string" },
                "complexity": enum_schema(&["simple", "complex"]),
                "urgency": { "$ref": "#/components/schemas/Urgency" },
                "reason": text,
                "case_leader": { "type": "string", "maxLength": 50 },
                "promised_due_at": { "type": "string", "format": "date-time",
                    "description": "The handling date promised, where the policy leaves it to a promise (orange); it also stands where the policy gives none" }
            }),
            vec!["kind", "category", "complexity", "urgency"],
        ),
        CommandKind::Dispatch => (
            json!({
                "lead_unit": uuid,
                "supporting_units": { "type": "array", "items": uuid },
                "due_at": time,
                "note": text
            }),
            vec!["lead_unit", "due_at"],
        ),
        CommandKind::Return | CommandKind::Escalate | CommandKind::Rework => {
            (json!({ "reason": text }), vec!["reason"])
        }
        CommandKind::RequestExtension => (
            json!({ "until": time, "reason": text }),
            vec!["until", "reason"],
        ),
        CommandKind::RefuseExtension | CommandKind::Supervise => {
            (json!({ "note": text }), vec!["note"])
        }
        CommandKind::Resolve => (
            json!({ "outcome": outcome, "note": text, "referral": referral }),
            vec!["outcome", "note"],
        ),
        CommandKind::FollowUp => (
            json!({
                "satisfaction": enum_schema(&["satisfied", "basically_satisfied", "dissatisfied"]),
                "note": text
            }),
            vec!["satisfaction"],
        ),
        CommandKind::Archive | CommandKind::Report => (json!({}), vec![]),
    };
    json!({
        "type": "object",
        "title": kind.as_str(),
        "additionalProperties": false,
        "properties": properties,
        "required": required
    })
}

/// `POST /regions/{code}/grids/import`.
fn grid_import() -> Value {
    json!({
        "post": {
            "summary": "Create or rename a village's grids and store their shapes, from a GeoJSON FeatureCollection (system administrator over the village). All or nothing; repeatable.",
            "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{12}$" } }],
            "requestBody": { "required": true, "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/GridFile" } },
                "application/geo+json": { "schema": { "$ref": "#/components/schemas/GridFile" } } } },
            "responses": {
                "200": { "description": "The grids of the file, as stored", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["village", "items"], "properties": {
                        "village": { "type": "string" },
                        "items": { "type": "array", "items": { "$ref": "#/components/schemas/Region" } } } } } } },
                "400": error_response("Invalid JSON"),
                "401": error_response("No valid bearer token"),
                "403": error_response("Not a system administrator over the village"),
                "413": error_response("The body is over 8 MiB"),
                "415": error_response("Content type is not application/json or application/geo+json"),
                "422": error_response("Not a village, or a feature is invalid; `field` names it, e.g. `features[2].geometry.coordinates[0]`; nothing was written")
            }
        }
    })
}

/// The GeoJSON grid file of the grid import.
fn grid_file_schema() -> Value {
    let position = json!({ "type": "array", "minItems": 2, "maxItems": 3, "items": { "type": "number" },
        "description": "[longitude, latitude] in WGS-84 degrees; an altitude is dropped" });
    let ring = json!({ "type": "array", "minItems": 4, "items": position,
        "description": "Closed: the last position repeats the first" });
    let polygon = json!({ "type": "array", "minItems": 1, "items": ring,
        "description": "The exterior ring, then holes" });
    json!({
        "type": "object", "required": ["type", "features"],
        "description": "A GeoJSON FeatureCollection (RFC 7946), one feature per grid; at most 10,000 positions per grid.",
        "properties": {
            "type": { "const": "FeatureCollection" },
            "features": { "type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["type", "properties", "geometry"], "properties": {
                    "type": { "const": "Feature" },
                    "properties": { "type": "object", "required": ["number", "name"], "properties": {
                        "number": { "oneOf": [
                            { "type": "integer", "minimum": 1, "maximum": 999 },
                            { "type": "string", "pattern": "^[0-9]{1,3}$" }],
                            "description": "The grid number under the village: its code is the village code + 3 digits" },
                        "name": { "type": "string", "maxLength": 50 } } },
                    "geometry": { "oneOf": [
                        { "type": "object", "required": ["type", "coordinates"], "properties": {
                            "type": { "const": "Polygon" }, "coordinates": polygon } },
                        { "type": "object", "required": ["type", "coordinates"], "properties": {
                            "type": { "const": "MultiPolygon" },
                            "coordinates": { "type": "array", "minItems": 1, "items": polygon } } }] } } } } }
    })
}

pub fn document() -> Value {
    let commands: Vec<&str> = CommandKind::ALL
        .into_iter()
        .filter(|k| *k != CommandKind::Report)
        .map(CommandKind::as_str)
        .collect();
    let command_bodies: Vec<Value> = CommandKind::ALL
        .into_iter()
        .filter(|k| *k != CommandKind::Report)
        .map(command_body)
        .collect();
    let id_param = json!({ "name": "id", "in": "path", "required": true,
        "schema": { "type": "string", "format": "uuid" } });
    let auth_errors = json!({
        "401": error_response("No valid bearer token or session cookie"),
        "404": error_response("Not found, or not visible to the caller")
    });
    let csrf_header = json!({ "name": "X-CSRF-Token", "in": "header", "required": false,
        "description": "Required when the request is authenticated by the session cookie: the `csrf_token` of the session.",
        "schema": { "type": "string" } });
    let session_json =
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } });
    let new_session = json!({
        "description": "A new session: `Set-Cookie: hezhi_session=…; HttpOnly; SameSite=Strict; Path=/` (and `Secure` over https); any session id presented before is revoked.",
        "headers": { "Set-Cookie": { "schema": { "type": "string" } } },
        "content": session_json
    });
    let session_errors = json!({
        "401": error_response("No live session (unknown, signed out, idle or expired)"),
        "403": error_response("Missing or wrong X-CSRF-Token (`csrf_token_invalid`)")
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Hezhi 和治 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Cases of a grassroots social-governance centre: intake, triage, dispatch, handling, verification, follow-up and archive. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`; messages are Chinese unless `Accept-Language: en`. Authenticate with a bearer token, or sign in (`POST /session`) for a session cookie; a request authenticated by the cookie that changes state must send `X-CSRF-Token`, else 403 `csrf_token_invalid`."
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": {
            "/cases": {
                "post": {
                    "summary": "Report a case (受理登记)",
                    "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": false,
                        "description": "A retry with the same key and body returns the first answer; the same key with another body is refused (422); while the first is in flight, 409.",
                        "schema": { "type": "string", "maxLength": 255 } }],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/CaseInput" } } } },
                    "responses": {
                        "201": { "description": "Created", "headers": { "ETag": { "schema": { "type": "string" } } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Receipt" } } } },
                        "400": error_response("Invalid JSON"),
                        "401": error_response("No valid bearer token or session cookie"),
                        "403": error_response("The caller may not report here"),
                        "409": error_response("Same idempotency key still in flight"),
                        "413": error_response("The body is over 256 KiB"),
                        "415": error_response("Content type is not application/json"),
                        "422": error_response("A field is invalid; `field` names it")
                    }
                },
                "get": {
                    "summary": "List cases, newest first, within the caller's scope",
                    "parameters": [
                        { "name": "state", "in": "query", "schema": { "$ref": "#/components/schemas/CaseState" } },
                        { "name": "region", "in": "query", "schema": { "type": "string" }, "description": "This region and below" },
                        { "name": "category", "in": "query", "schema": { "type": "string" } },
                        { "name": "urgency", "in": "query", "schema": { "$ref": "#/components/schemas/Urgency" } },
                        { "name": "unit", "in": "query", "schema": { "type": "string", "format": "uuid" } },
                        { "name": "overdue", "in": "query", "schema": { "type": "boolean" } },
                        { "name": "party_phone", "in": "query", "schema": { "type": "string" },
                          "description": "Only cases with a party of this mobile number (exact; matched by keyed hash, the number is never stored in the clear)" },
                        { "name": "party_id_number", "in": "query", "schema": { "type": "string" },
                          "description": "Only cases with a party of this resident ID number (exact; matched by keyed hash)" },
                        { "name": "open", "in": "query", "schema": { "type": "boolean" }, "description": "Only open cases: reported, accepted, triaged, dispatched or in progress" },
                        { "name": "attention", "in": "query", "schema": enum_schema(&["returned", "extension"]), "description": "Only cases waiting on the centre: `returned` by a unit and not yet dispatched again, or with an `extension` request awaiting a decision" },
                        { "name": "order", "in": "query", "schema": enum_schema(&["newest", "queue"]), "description": "`newest` (default, paged by cursor) or `queue`: red, orange, yellow, green, ungraded, each nearest due time first (one page)" },
                        { "name": "cursor", "in": "query", "schema": { "type": "string", "format": "uuid" }, "description": "`next_cursor` of the previous page" },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 50 } }
                    ],
                    "responses": {
                        "200": { "description": "A page", "content": { "application/json": { "schema": {
                            "type": "object", "properties": {
                                "items": { "type": "array", "items": { "$ref": "#/components/schemas/CaseSummary" } },
                                "next_cursor": { "type": ["string", "null"], "format": "uuid" } } } } } },
                        "400": error_response("Malformed query"),
                        "401": error_response("No valid bearer token or session cookie"),
                        "422": error_response("A filter value is invalid")
                    }
                }
            },
            "/cases/{id}": {
                "get": {
                    "summary": "One case; personal data masked. The ETag is its version.",
                    "parameters": [id_param],
                    "responses": {
                        "200": { "description": "The case", "headers": { "ETag": { "schema": { "type": "string" } } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Case" } } } },
                        "401": auth_errors["401"], "404": auth_errors["404"]
                    }
                }
            },
            "/cases/{id}/events": {
                "get": {
                    "summary": "The case's history, oldest first",
                    "parameters": [id_param],
                    "responses": {
                        "200": { "description": "Events", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "items": { "type": "array",
                                "items": { "$ref": "#/components/schemas/Event" } } } } } } },
                        "401": auth_errors["401"], "404": auth_errors["404"]
                    }
                }
            },
            "/cases/{id}/attachments": {
                "get": {
                    "summary": "The files attached to the case (附件), oldest first",
                    "parameters": [id_param],
                    "responses": {
                        "200": { "description": "Attachments", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "items": { "type": "array",
                                "items": { "$ref": "#/components/schemas/Attachment" } } } } } } },
                        "401": auth_errors["401"], "404": auth_errors["404"]
                    }
                }
            },
            "/cases/{id}/attachments/{digest}": {
                "get": {
                    "summary": "The content of a file attached to the case, or its thumbnail",
                    "description": "Served with its stored media type, `X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy`. A file that is not attached to this case is not found.",
                    "parameters": [id_param,
                        { "name": "digest", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9a-f]{64}$" } },
                        { "name": "thumbnail", "in": "query", "required": false, "schema": { "type": "boolean" },
                          "description": "A JPEG at most 320 px on a side (images only)" }],
                    "responses": {
                        "200": { "description": "The bytes", "content": {
                            "image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {} } },
                        "400": error_response("Unknown query parameter"),
                        "401": auth_errors["401"], "404": auth_errors["404"]
                    }
                }
            },
            "/deadline-policy": {
                "get": {
                    "summary": "The deadline policy in force (限时办结)",
                    "description": "The newest version: the shipped defaults (version 1) until a system administrator saves another. Each rule matches cases by urgency, kind, category and region level (a criterion left out matches all); the most specific rule applies, and of equally specific ones the last listed.",
                    "responses": {
                        "200": { "description": "The policy", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/DeadlinePolicy" } } } },
                        "401": auth_errors["401"]
                    }
                },
                "put": {
                    "summary": "Save a new version of the deadline policy (system administrators)",
                    "description": "The new version applies to cases from now on; earlier versions stay readable. One rule must name no criteria. Written to the audit log as `deadline_policy_saved`.",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "additionalProperties": false, "required": ["rules"],
                        "properties": { "rules": { "type": "array", "items": { "$ref": "#/components/schemas/DeadlineRule" } },
                            "warning_percent": { "type": "integer", "minimum": 1, "maximum": 99,
                                "description": "When this share of the time to a deadline has passed, a warning is raised; unchanged when left out" },
                            "pausable": { "type": "array", "items": enum_schema(&["awaiting_party", "appraisal", "awaiting_authority"]),
                                "description": "The reasons a handling clock may be stopped for; unchanged when left out" } } } } } },
                    "responses": {
                        "200": { "description": "Saved as the next version", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/DeadlinePolicy" } } } },
                        "400": error_response("Invalid JSON"),
                        "401": auth_errors["401"],
                        "403": error_response("The caller does not manage settings"),
                        "415": error_response("Content type is not application/json"),
                        "422": error_response("A span out of range (`invalid_span`) or no rule for every case (`no_fallback_rule`)")
                    }
                }
            },
            "/stats": {
                "get": {
                    "summary": "The indicators of a region subtree over a period (结案率, 按期结案率, 调解成功率…)",
                    "description": "Read from rollups kept per region and China day in the same transaction as the events, so the answer is exact and as fast for a province and a year as for a village and a day. Each count and formula is documented in `hezhi_domain::indicators`. For users whose role may see the region's figures; anyone else gets 404.",
                    "parameters": [
                        { "name": "region", "in": "query", "required": true, "schema": { "type": "string" } },
                        { "name": "from", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
                        { "name": "to", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } }],
                    "responses": {
                        "200": { "description": "Counts, rates (numerator, denominator, percent) and the same for each region one level below", "content": { "application/json": {} } },
                        "400": error_response("Unknown query parameter"),
                        "401": auth_errors["401"], "404": auth_errors["404"],
                        "422": error_response("A malformed date (`invalid_date`), a reversed period (`period_reversed`) or one over ten years (`period_too_long`)")
                    }
                }
            },
            "/exports/{kind}": {
                "get": {
                    "summary": "Export the dispute ledger (`ledger`) or the monthly report (`report`)",
                    "description": "`.xlsx` (Chinese headers, frozen header row, date cells), CSV in UTF-8 with a BOM, or a print-ready A4 HTML page. Personal data is masked (names 陈**, phones 138****1234, addresses cut). Every export is written to the audit log as `export`. The ledger can be narrowed by `case_kind`, `category` and `state`.",
                    "parameters": [
                        { "name": "kind", "in": "path", "required": true, "schema": { "type": "string", "enum": ["ledger", "report"] } },
                        { "name": "region", "in": "query", "required": true, "schema": { "type": "string" } },
                        { "name": "from", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
                        { "name": "to", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
                        { "name": "format", "in": "query", "required": false, "schema": { "type": "string", "enum": ["xlsx", "csv", "html"], "default": "xlsx" } },
                        { "name": "case_kind", "in": "query", "required": false, "schema": { "type": "string" } },
                        { "name": "category", "in": "query", "required": false, "schema": { "type": "string" } },
                        { "name": "state", "in": "query", "required": false, "schema": { "type": "string" } }],
                    "responses": {
                        "200": { "description": "The file, as an attachment", "content": {
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                            "text/csv": {}, "text/html": {} } },
                        "400": error_response("Unknown query parameter"),
                        "401": auth_errors["401"], "404": auth_errors["404"],
                        "422": error_response("An unknown export, format, state or category, or a bad period")
                    }
                }
            },
            "/files": {
                "post": {
                    "summary": "Upload a file to attach to a case",
                    "description": "The body is the file itself. JPEG, PNG and WebP images and PDF documents of at most 10 MiB are accepted; the type is judged by the content, never by a name or a header. The file is stored once under the SHA-256 of its content; images get a thumbnail, and the camera's capture time and GPS position are kept. Attach it with the `attach` command, naming the digest.",
                    "requestBody": { "required": true, "content": { "application/octet-stream": {
                        "schema": { "type": "string", "format": "binary" } } } },
                    "responses": {
                        "201": { "description": "Stored (or already stored)", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/AttachmentFile" } } } },
                        "401": auth_errors["401"],
                        "403": error_response("The caller's role attaches no files"),
                        "413": error_response("Over 10 MiB (`file_too_large`, or `body_too_large` when cut off in transfer)"),
                        "422": error_response("Empty (`file_empty`), of another type (`unsupported_file_type`) or damaged (`unreadable_file`)")
                    }
                }
            },
            "/cases/{id}/reveal": {
                "post": {
                    "summary": "The parties' personal data in the clear (查看当事人完整信息); audited",
                    "description": "For intake clerks, dispatchers, unit handlers and mediators, on a case they may read. The reveal is written to the audit log (action `personal_data_revealed`, with the reason) before the answer is sent; the answer is not to be cached.",
                    "parameters": [id_param],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/RevealRequest" } } } },
                    "responses": {
                        "200": { "description": "The parties in the clear", "headers": { "Cache-Control": { "schema": { "type": "string", "const": "no-store" } } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RevealedParties" } } } },
                        "400": error_response("Invalid JSON"),
                        "401": auth_errors["401"],
                        "403": error_response("The caller's role may not see personal data (`personal_data_not_permitted`)"),
                        "404": auth_errors["404"],
                        "415": error_response("Content type is not application/json"),
                        "422": error_response("The reason is missing, empty or over 200 characters")
                    }
                }
            },
            "/cases/{id}/{command}": {
                "post": {
                    "summary": "Run a lifecycle command",
                    "parameters": [
                        id_param,
                        { "name": "command", "in": "path", "required": true, "schema": enum_schema(&commands) },
                        { "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" },
                          "description": "The version the client saw, e.g. \"3\"" },
                        { "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "maxLength": 255 } }
                    ],
                    "requestBody": { "required": false, "content": { "application/json": {
                        "schema": { "oneOf": command_bodies } } } },
                    "responses": {
                        "200": { "description": "Applied", "headers": { "ETag": { "schema": { "type": "string" } } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Receipt" } } } },
                        "400": error_response("Invalid JSON or If-Match"),
                        "401": auth_errors["401"],
                        "403": error_response("The caller may not run this command on this case"),
                        "404": error_response("No such case or command"),
                        "409": error_response("Not allowed in the case's current state"),
                        "412": error_response("The version in If-Match is stale; nothing was written"),
                        "413": error_response("The body is over 256 KiB"),
                        "415": error_response("Content type is not application/json"),
                        "422": error_response("A field is invalid"),
                        "428": error_response("If-Match is missing; nothing was written")
                    }
                }
            },
            "/regions/{code}": {
                "get": {
                    "summary": "A region with its children",
                    "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{2,15}$" } }],
                    "responses": {
                        "200": { "description": "The region", "content": { "application/json": { "schema": {
                            "allOf": [{ "$ref": "#/components/schemas/Region" }, { "type": "object", "properties": {
                                "children": { "type": "array", "items": { "$ref": "#/components/schemas/Region" } } } }] } } } },
                        "401": auth_errors["401"], "404": auth_errors["404"],
                        "422": error_response("Malformed region code")
                    }
                }
            },
            "/units": {
                "get": {
                    "summary": "Units in a region and below",
                    "parameters": [{ "name": "region", "in": "query", "required": true, "schema": { "type": "string" } }],
                    "responses": {
                        "200": { "description": "Units", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "items": { "type": "array",
                                "items": { "$ref": "#/components/schemas/Unit" } } } } } } },
                        "401": auth_errors["401"], "404": auth_errors["404"],
                        "422": error_response("Missing or malformed region")
                    }
                },
                "post": {
                    "summary": "Create a unit (system administrator over the region)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "additionalProperties": false, "required": ["name", "kind", "region"],
                        "properties": {
                            "name": { "type": "string", "maxLength": 100 },
                            "kind": enum_schema(&["department", "governance_centre", "mediation_committee", "court", "police_station", "justice_office", "village_committee", "other"]),
                            "region": { "type": "string" },
                            "categories": { "type": "array", "items": { "type": "string" } } } } } } },
                    "responses": {
                        "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Unit" } } } },
                        "401": auth_errors["401"], "403": error_response("Not a system administrator over the region"),
                        "422": error_response("A field is invalid")
                    }
                }
            },
            "/regions/{code}/grids": {
                "post": {
                    "summary": "Add or rename a grid under a village (system administrator)",
                    "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{12}$" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "additionalProperties": false, "required": ["number", "name"],
                        "properties": { "number": { "type": "integer", "minimum": 1, "maximum": 999 },
                            "name": { "type": "string", "maxLength": 50 } } } } } },
                    "responses": {
                        "201": { "description": "The grid", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Region" } } } },
                        "401": auth_errors["401"], "403": error_response("Not a system administrator over the village"),
                        "422": error_response("Not a village, or a bad number or name")
                    }
                }
            },
            "/regions/{code}/grids/import": grid_import(),
            "/grids/locate": {
                "get": {
                    "summary": "The grid whose shape contains a point (on an edge two grids share, the first by code)",
                    "parameters": [
                        { "name": "lat", "in": "query", "required": true, "schema": { "type": "number", "minimum": -90, "maximum": 90 } },
                        { "name": "lon", "in": "query", "required": true, "schema": { "type": "number", "minimum": -180, "maximum": 180 } }
                    ],
                    "responses": {
                        "200": { "description": "The grid", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Region" } } } },
                        "400": error_response("Malformed query"),
                        "401": auth_errors["401"],
                        "404": error_response("No grid's shape contains the point"),
                        "422": error_response("lat or lon missing or out of range")
                    }
                }
            },
            "/users": {
                "get": {
                    "summary": "Users and their role assignments (system or security administrator)",
                    "responses": {
                        "200": { "description": "Users", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "items": { "type": "array",
                                "items": { "$ref": "#/components/schemas/User" } } } } } } },
                        "401": auth_errors["401"], "403": error_response("Not an administrator")
                    }
                },
                "post": {
                    "summary": "Create a user with no role yet (system administrator)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "additionalProperties": false, "required": ["name"],
                        "properties": { "name": { "type": "string", "maxLength": 50 } } } } } },
                    "responses": {
                        "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } },
                        "401": auth_errors["401"], "403": error_response("Not a system administrator"),
                        "422": error_response("Name missing or taken")
                    }
                }
            },
            "/users/{id}/roles": {
                "post": {
                    "summary": "Grant a role bound to a region or a unit (security administrator over that scope)",
                    "parameters": [id_param],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "additionalProperties": false, "required": ["role"],
                        "properties": { "role": { "$ref": "#/components/schemas/Role" },
                            "region": { "type": "string" }, "unit": { "type": "string", "format": "uuid" } } } } } },
                    "responses": {
                        "201": { "description": "Granted", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RoleAssignment" } } } },
                        "401": auth_errors["401"], "403": error_response("Not a security administrator over the scope"),
                        "404": error_response("No such user"), "422": error_response("A field is invalid")
                    }
                }
            },
            "/users/{id}/roles/{assignment}": {
                "delete": {
                    "summary": "Revoke a role assignment; tokens bound to it stop working",
                    "parameters": [id_param, { "name": "assignment", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                    "responses": {
                        "204": { "description": "Revoked" },
                        "401": auth_errors["401"], "403": error_response("Not a security administrator over the scope"),
                        "404": error_response("No such live assignment")
                    }
                }
            },
            "/users/{id}/roles/{assignment}/tokens": {
                "post": {
                    "summary": "Issue an API token acting under one assignment (shown once)",
                    "parameters": [id_param, { "name": "assignment", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                    "responses": {
                        "201": { "description": "The token", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "token": { "type": "string" } } } } } },
                        "401": auth_errors["401"], "403": error_response("Not a security administrator over the scope"),
                        "404": error_response("No such live assignment")
                    }
                }
            },
            "/track": {
                "post": {
                    "summary": "Follow one case with its tracking code and a party's phone (no sign-in)",
                    "security": [],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "additionalProperties": false, "required": ["tracking_code", "phone"],
                        "properties": { "tracking_code": { "type": "string", "pattern": "^[0-9 -]{10,13}$" },
                            "phone": { "type": "string" } } } } } },
                    "responses": {
                        "200": { "description": "The public view of the case", "content": { "application/json": { "schema": {
                            "$ref": "#/components/schemas/PublicCase" } } } },
                        "404": error_response("No case with this code and phone"),
                        "422": error_response("A malformed code or phone"),
                        "429": error_response("Too many failed lookups from this address; see Retry-After")
                    }
                }
            },
            "/categories": {
                "get": {
                    "summary": "Dispute and request categories",
                    "responses": {
                        "200": { "description": "Categories", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "items": { "type": "array",
                                "items": { "$ref": "#/components/schemas/Category" } } } } } } },
                        "401": auth_errors["401"]
                    }
                }
            },
            "/audit": {
                "get": {
                    "summary": "Search the audit log, newest first (auditors only; within the auditor's region). Entries carry ids, not case contents; every search is itself recorded as `audit_searched`.",
                    "parameters": [
                        { "name": "user", "in": "query", "schema": { "type": "string" }, "description": "The acting user: an id or a user name" },
                        { "name": "case", "in": "query", "schema": { "type": "string", "format": "uuid" } },
                        { "name": "action", "in": "query", "schema": { "type": "string", "pattern": "^[a-z0-9_.]{1,64}$" }, "description": "e.g. `case.accepted`, `user_created`, `audit_searched`" },
                        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "RFC 3339, inclusive" },
                        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "RFC 3339, exclusive" },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }
                    ],
                    "responses": {
                        "200": { "description": "Entries", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "items": { "type": "array",
                                "items": { "$ref": "#/components/schemas/AuditEntry" } } } } } } },
                        "400": error_response("Unknown query parameter"),
                        "401": error_response("No valid bearer token or session cookie"),
                        "403": error_response("The caller is not an auditor"),
                        "422": error_response("A filter value is invalid; `field` names it")
                    }
                }
            },
            "/session": {
                "post": {
                    "summary": "Sign in (staff): name, password and, once enrolled, a TOTP code",
                    "security": [],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/SignIn" } } } },
                    "responses": {
                        "200": new_session,
                        "400": error_response("Invalid JSON"),
                        "401": error_response("`invalid_credentials` (name, password or code wrong; which is not said), or `totp_code_required` (the password was right; send the code)"),
                        "415": error_response("Content type is not application/json"),
                        "422": error_response("A field is missing or of the wrong type"),
                        "429": { "description": "`sign_in_locked`: too many failures for this name or client address (5 free, then 30 s doubling up to 1 h). The password is not checked.",
                            "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds" } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                    }
                },
                "get": {
                    "summary": "The current session (also while restricted to a password change or TOTP enrolment)",
                    "security": [{ "session": [] }],
                    "responses": {
                        "200": { "description": "The session", "content": session_json },
                        "401": session_errors["401"]
                    }
                },
                "delete": {
                    "summary": "Sign out",
                    "security": [{ "session": [] }],
                    "parameters": [csrf_header],
                    "responses": {
                        "204": { "description": "Signed out; the cookie is cleared" },
                        "401": session_errors["401"], "403": session_errors["403"]
                    }
                }
            },
            "/session/password": {
                "post": {
                    "summary": "Change the password; ends every session of the user and starts a new one (staff only)",
                    "security": [{ "session": [] }],
                    "parameters": [csrf_header],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/PasswordChange" } } } },
                    "responses": {
                        "200": new_session,
                        "401": session_errors["401"],
                        "403": error_response("CSRF token wrong, or `staff_only` (a resident's session)"),
                        "422": error_response("`wrong_password` (field `current`), or the new password breaks a rule (field `new`): `password_too_short` (under 10 characters), `password_contains_name`, `password_too_common`, `password_unchanged`"),
                        "429": error_response("`sign_in_locked`: too many wrong current passwords")
                    }
                }
            },
            "/session/totp": {
                "post": {
                    "summary": "Start TOTP enrolment: a new secret for an authenticator app, pending until confirmed (staff only)",
                    "security": [{ "session": [] }],
                    "parameters": [csrf_header],
                    "responses": {
                        "200": { "description": "The secret", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/TotpEnrolment" } } } },
                        "401": session_errors["401"],
                        "403": error_response("CSRF token wrong, `password_change_required`, or `staff_only` (a resident's session)"),
                        "409": error_response("`totp_already_enrolled`")
                    }
                }
            },
            "/session/totp/confirm": {
                "post": {
                    "summary": "Confirm TOTP enrolment with a code; the session is replaced by an unrestricted one (staff only)",
                    "security": [{ "session": [] }],
                    "parameters": [csrf_header],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/TotpConfirm" } } } },
                    "responses": {
                        "200": new_session,
                        "401": session_errors["401"],
                        "403": error_response("CSRF token wrong, `password_change_required`, or `staff_only` (a resident's session)"),
                        "409": error_response("`totp_not_started` or `totp_already_enrolled`"),
                        "422": error_response("`invalid_totp_code` (field `code`)")
                    }
                }
            },
            "/resident/code": {
                "post": {
                    "summary": "Residents: send a one-time sign-in code to a phone by SMS. The answer is the same whether the phone has signed in before or not. A phone gets at most one code a minute and five an hour; an address 10, then each further request waits (30 s, doubling).",
                    "security": [],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/ResidentCodeRequest" } } } },
                    "responses": {
                        "202": { "description": "A code is on its way; it is valid for `expires_in` seconds",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ResidentCodeSent" } } } },
                        "400": error_response("Invalid JSON"),
                        "415": error_response("Content type is not application/json"),
                        "422": error_response("`invalid_phone` (field `phone`), or a field missing or of the wrong type"),
                        "429": { "description": "`too_many_attempts`: a code was sent to this phone too recently, or this address asked for too many",
                            "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds" } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                        "503": error_response("`sms_unavailable`: the SMS gateway could not send")
                    }
                }
            },
            "/resident/session": {
                "post": {
                    "summary": "Residents: sign in with the phone and its code. The first sign-in of a phone creates its resident user. The session is a staff session's twin (cookie, CSRF token, timeouts); in it the resident reports (channel `online`), lists and reads his own cases and follows them up.",
                    "security": [],
                    "requestBody": { "required": true, "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/ResidentSignIn" } } } },
                    "responses": {
                        "200": new_session,
                        "400": error_response("Invalid JSON"),
                        "401": error_response("`invalid_sign_in_code`: wrong, expired (after 5 minutes), already used, or burnt (5 tries per code); which is not said"),
                        "415": error_response("Content type is not application/json"),
                        "422": error_response("`invalid_phone` (field `phone`) or `invalid_code_format` (field `code`)"),
                        "429": { "description": "`sign_in_locked`: too many failed sign-ins from this client address (5 free, then 30 s doubling up to 1 h)",
                            "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds" } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                    }
                }
            },
            "/tokens/{id}": {
                "delete": {
                    "summary": "Revoke an API token: one's own, or (security administrators) one bound to a role assignment within their scope. It stops working at once on this server, within 5 s on others.",
                    "parameters": [id_param, csrf_header],
                    "responses": {
                        "204": { "description": "Revoked (or already revoked)" },
                        "401": auth_errors["401"],
                        "403": error_response("`staff_only` (residents), or a cookie request without the CSRF token"),
                        "404": error_response("No such token, or not the caller's")
                    }
                }
            },
            "/openapi.json": {
                "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } }
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer",
                    "description": "A token printed by `hezhi user add`" },
                "session": { "type": "apiKey", "in": "cookie", "name": "hezhi_session",
                    "description": "The cookie set by `POST /session` (staff) or `POST /resident/session` (residents). Requests that change state must also send the session's `csrf_token` in `X-CSRF-Token`. A session ends 30 minutes unused or 12 hours after sign-in (configurable); until the password is changed, or TOTP enrolled where required, it may only do that." }
            },
            "schemas": {
                "Span": { "type": "object", "required": ["unit"], "properties": {
                    "unit": enum_schema(&["hours", "days", "working_days", "same_day", "promised"]),
                    "value": { "type": "integer", "minimum": 1 } } },
                "DeadlineRule": { "type": "object", "additionalProperties": false,
                    "required": ["response", "handling", "verification", "follow_up"],
                    "properties": {
                        "urgency": enum_schema(&["red", "orange", "yellow", "green"]),
                        "kind": { "$ref": "#/components/schemas/CaseKind" },
                        "category": { "type": "string" },
                        "level": enum_schema(&["province", "city", "county", "town", "village", "grid"]),
                        "response": { "$ref": "#/components/schemas/Span" },
                        "handling": { "$ref": "#/components/schemas/Span" },
                        "verification": { "$ref": "#/components/schemas/Span" },
                        "follow_up": { "$ref": "#/components/schemas/Span" } } },
                "DeadlinePolicy": { "type": "object", "properties": {
                    "version": { "type": "integer" },
                    "warning_percent": { "type": "integer" },
                    "pausable": { "type": "array", "items": enum_schema(&["awaiting_party", "appraisal", "awaiting_authority"]),
                        "description": "The reasons a case's handling clock may be stopped for (pause_clock)" },
                    "rules": { "type": "array", "items": { "$ref": "#/components/schemas/DeadlineRule" } } } },
                "AttachmentFile": { "type": "object", "properties": {
                    "digest": { "type": "string", "pattern": "^[0-9a-f]{64}$" },
                    "media_type": enum_schema(&["image/jpeg", "image/png", "image/webp", "application/pdf"]),
                    "size": { "type": "integer" },
                    "width": { "type": ["integer", "null"] },
                    "height": { "type": ["integer", "null"] },
                    "taken_at": { "type": ["string", "null"], "description": "The camera's local capture time (EXIF DateTimeOriginal), without a zone" },
                    "position": { "type": ["object", "null"], "properties": {
                        "lat": { "type": "number" }, "lon": { "type": "number" } } },
                    "has_thumbnail": { "type": "boolean" } } },
                "Attachment": { "allOf": [ { "$ref": "#/components/schemas/AttachmentFile" },
                    { "type": "object", "properties": {
                        "name": { "type": "string" },
                        "attached_at": { "type": "string", "format": "date-time" },
                        "attached_by_role": { "type": "string" } } } ] },
                "Error": { "type": "object", "required": ["error"], "properties": { "error": {
                    "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string", "description": "Stable snake_case code" },
                        "message": { "type": "string" },
                        "field": { "type": "string" },
                        "detail": { "type": "string" } } } } },
                "SignIn": { "type": "object", "additionalProperties": false, "required": ["name", "password"], "properties": {
                    "name": { "type": "string" },
                    "password": { "type": "string" },
                    "totp": { "type": "string", "description": "The 6-digit code of the authenticator, once enrolled; each code is accepted once" } } },
                "Session": { "type": "object", "required": ["csrf_token", "user", "must_change_password", "totp_required", "expires_at"], "properties": {
                    "csrf_token": { "type": "string", "description": "Send it as X-CSRF-Token with every state-changing request" },
                    "user": { "$ref": "#/components/schemas/User",
                        "description": "The user, acting in the session under every role assignment he holds" },
                    "must_change_password": { "type": "boolean", "description": "The session may only change the password" },
                    "totp_required": { "type": "boolean", "description": "The session may only enrol TOTP (required of administrators and auditors, or of all staff by configuration)" },
                    "expires_at": { "type": "string", "format": "date-time", "description": "The latest end (absolute timeout)" } } },
                "PasswordChange": { "type": "object", "additionalProperties": false, "required": ["current", "new"], "properties": {
                    "current": { "type": "string" },
                    "new": { "type": "string", "minLength": 10, "maxLength": 256,
                        "description": "Not the user name nor containing it, not a common password" } } },
                "TotpEnrolment": { "type": "object", "required": ["secret", "otpauth_uri"], "properties": {
                    "secret": { "type": "string", "description": "base32, for manual entry" },
                    "otpauth_uri": { "type": "string", "description": "otpauth://totp/… for a QR code (SHA1, 6 digits, 30 s)" } } },
                "TotpConfirm": { "type": "object", "additionalProperties": false, "required": ["code"], "properties": {
                    "code": { "type": "string", "pattern": "^[0-9]{6}$" } } },
                "ResidentCodeRequest": { "type": "object", "additionalProperties": false, "required": ["phone"], "properties": {
                    "phone": { "type": "string", "description": "11-digit mainland mobile number (`+86`, spaces and dashes allowed)" } } },
                "ResidentCodeSent": { "type": "object", "required": ["expires_in"], "properties": {
                    "expires_in": { "type": "integer", "description": "Seconds the code is valid (300)" } } },
                "ResidentSignIn": { "type": "object", "additionalProperties": false, "required": ["phone", "code"], "properties": {
                    "phone": { "type": "string" },
                    "code": { "type": "string", "pattern": "^[0-9]{6}$", "description": "The code of the SMS; each code works once" } } },
                "CaseKind": enum_schema(&["dispute", "request", "hazard", "consultation", "petition"]),
                "Channel": enum_schema(&["window", "hotline", "grid_report", "online", "open311", "referral"]),
                "Urgency": enum_schema(&["red", "orange", "yellow", "green"]),
                "CaseState": enum_schema(&["reported", "accepted", "declined", "triaged", "dispatched", "in_progress", "resolved", "verified", "followed_up", "archived"]),
                "PartyInput": { "type": "object", "additionalProperties": false, "required": ["role", "name"], "properties": {
                    "role": enum_schema(&["applicant", "respondent", "third_party"]),
                    "name": { "type": "string", "maxLength": 50 },
                    "phone": { "type": "string", "description": "11-digit mobile number" },
                    "id_number": { "type": "string", "description": "18-digit resident ID with a valid check digit" },
                    "address": { "type": "string", "maxLength": 200 } } },
                "CaseInput": { "type": "object", "additionalProperties": false,
                    "required": ["kind", "category", "channel", "region", "title", "description"],
                    "properties": {
                        "kind": { "$ref": "#/components/schemas/CaseKind" },
                        "category": { "type": "string", "description": "A category code of this kind, see /categories" },
                        "channel": { "$ref": "#/components/schemas/Channel" },
                        "region": { "type": "string", "description": "A village (12 digits) or grid (15 digits) code" },
                        "address": { "type": "string", "maxLength": 200 },
                        "position": { "type": "object", "required": ["lat", "lon"], "properties": {
                            "lat": { "type": "number", "minimum": -90, "maximum": 90 },
                            "lon": { "type": "number", "minimum": -180, "maximum": 180 } } },
                        "title": { "type": "string", "maxLength": 100 },
                        "description": { "type": "string", "maxLength": 5000 },
                        "parties": { "type": "array", "maxItems": 50, "items": { "$ref": "#/components/schemas/PartyInput" } },
                        "amount_yuan": { "type": "integer", "minimum": 0 },
                        "people_involved": { "type": "integer", "minimum": 0 },
                        "case_leader": { "type": "string", "maxLength": 50 } } },
                "Receipt": { "type": "object", "required": ["id", "number", "tracking_code", "state", "version"], "properties": {
                    "id": { "type": "string", "format": "uuid" },
                    "number": { "type": "string", "example": "370811-2026-000123" },
                    "tracking_code": { "type": "string", "example": "1234567890" },
                    "state": { "$ref": "#/components/schemas/CaseState" },
                    "version": { "type": "integer" } } },
                "CaseSummary": { "type": "object", "properties": {
                    "id": { "type": "string", "format": "uuid" }, "number": { "type": "string" },
                    "state": { "$ref": "#/components/schemas/CaseState" },
                    "kind": { "$ref": "#/components/schemas/CaseKind" }, "category": { "type": "string" },
                    "channel": { "$ref": "#/components/schemas/Channel" }, "region": { "type": "string" },
                    "title": { "type": "string" },
                    "urgency": { "anyOf": [{ "$ref": "#/components/schemas/Urgency" }, { "type": "null" }],
                        "description": "null until the case is triaged" },
                    "due_at": { "type": ["string", "null"], "format": "date-time" }, "overdue": { "type": "boolean" },
                    "reported_at": { "type": "string", "format": "date-time" },
                    "updated_at": { "type": "string", "format": "date-time" }, "version": { "type": "integer" } } },
                "Party": { "type": "object", "required": ["role", "name"], "properties": {
                    "role": enum_schema(&["applicant", "respondent", "third_party"]),
                    "name": { "type": "string" },
                    "phone": { "type": ["string", "null"] },
                    "id_number": { "type": ["string", "null"] },
                    "address": { "type": ["string", "null"] } } },
                "RevealRequest": { "type": "object", "additionalProperties": false, "required": ["reason"], "properties": {
                    "reason": { "type": "string", "minLength": 1, "maxLength": 200, "description": "Why the caller needs the data; kept in the audit log" } } },
                "RevealedParties": { "type": "object", "required": ["case", "parties"], "properties": {
                    "case": { "type": "string", "format": "uuid" },
                    "parties": { "type": "array", "items": { "$ref": "#/components/schemas/Party" } } } },
                "Case": { "type": "object", "description": "The case projection; parties' phones, ID numbers and addresses masked (`138****1234`, `370811********1234`); see /cases/{id}/reveal.",
                    "properties": {
                        "id": { "type": "string", "format": "uuid" }, "number": { "type": "string" },
                        "tracking_code": { "type": "string" }, "state": { "$ref": "#/components/schemas/CaseState" },
                        "version": { "type": "integer" }, "overdue": { "type": "boolean" },
                        "parties": { "type": "array", "items": { "$ref": "#/components/schemas/Party" } },
                        "assignment": { "type": "object" }, "due_at": { "type": "string", "format": "date-time" },
                        "response_due_at": { "type": "string", "format": "date-time",
                            "description": "When a unit must have acknowledged it, by the deadline policy" },
                        "policy_version": { "type": "integer",
                            "description": "The deadline policy version the case runs under (set at triage)" } } },
                "Event": { "type": "object", "required": ["case_id", "sequence", "at", "actor", "role", "type"], "properties": {
                    "case_id": { "type": "string", "format": "uuid" }, "sequence": { "type": "integer" },
                    "at": { "type": "string", "format": "date-time" }, "actor": { "type": "string", "format": "uuid" },
                    "role": { "type": "string" }, "type": { "type": "string" } } },
                "Region": { "type": "object", "properties": {
                    "code": { "type": "string" }, "name": { "type": "string" },
                    "level": enum_schema(&["province", "city", "county", "town", "village", "grid"]),
                    "parent": { "type": "string" } } },
                "Unit": { "type": "object", "properties": {
                    "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" },
                    "kind": { "type": "string" }, "region": { "type": "string" },
                    "categories": { "type": "array", "items": { "type": "string" } } } },
                "PublicCase": { "type": "object", "properties": {
                    "number": { "type": "string" }, "tracking_code": { "type": "string" },
                    "state": { "$ref": "#/components/schemas/CaseState" },
                    "kind": { "$ref": "#/components/schemas/CaseKind" }, "category": { "type": "string" },
                    "title": { "type": "string" },
                    "reported_at": { "type": "string", "format": "date-time" },
                    "updated_at": { "type": "string", "format": "date-time" },
                    "due_at": { "type": ["string", "null"], "format": "date-time" },
                    "timeline": { "type": "array", "items": { "type": "object", "properties": {
                        "type": { "type": "string" }, "at": { "type": "string", "format": "date-time" },
                        "suggested_channel": { "type": "string" }, "outcome": { "type": "string" },
                        "referral": { "type": "string" } } } } } },
                "Role": enum_schema(&["grid_worker", "intake_clerk", "dispatcher", "unit_handler", "mediator", "case_leader", "supervisor", "leader", "system_admin", "security_admin", "auditor", "resident"]),
                "RoleAssignment": { "type": "object", "required": ["id", "user", "role", "granted_at"], "properties": {
                    "id": { "type": "string", "format": "uuid" }, "user": { "type": "string", "format": "uuid" },
                    "role": { "$ref": "#/components/schemas/Role" }, "region": { "type": "string" },
                    "unit": { "type": "string", "format": "uuid" }, "granted_at": { "type": "string", "format": "date-time" },
                    "granted_by": { "type": "string", "format": "uuid" } } },
                "User": { "type": "object", "required": ["id", "name", "created_at", "assignments"], "properties": {
                    "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" },
                    "created_at": { "type": "string", "format": "date-time" },
                    "assignments": { "type": "array", "items": { "$ref": "#/components/schemas/RoleAssignment" } } } },
                "AuditEntry": { "type": "object", "description": "One sealed entry of a hash chain: one chain per county for its cases, `-` for the rest. `hash` is hex SHA-256, or `sm3:` and hex SM3.",
                    "required": ["chain", "seq", "at", "action", "prev_hash", "hash"], "properties": {
                        "chain": { "type": "string" }, "seq": { "type": "integer", "minimum": 1 },
                        "at": { "type": "string", "format": "date-time" },
                        "actor": { "type": ["string", "null"], "format": "uuid", "description": "null for the operator at the console" },
                        "action": { "type": "string" },
                        "case": { "type": ["string", "null"], "format": "uuid" },
                        "detail": { "type": "object", "description": "Ids and codes, never personal data" },
                        "prev_hash": { "type": "string" }, "hash": { "type": "string" } } },
                "GridFile": grid_file_schema(),
                "Category": { "type": "object", "properties": {
                    "kind": { "$ref": "#/components/schemas/CaseKind" }, "code": { "type": "string" },
                    "name_zh": { "type": "string" }, "name_en": { "type": "string" } } }
            }
        }
    })
}
