//! The JSON forms of commands and events, as the API and the event store see them.

use crate::fixture::{LEAD, Story};
use chrono::{DateTime, Utc};
use hezhi_domain::{CaseState, Command, Event, UnitId, replay};
use serde_json::json;

#[test]
fn a_dispatch_command_reads_from_its_json_body() {
    let lead = "0190f3c4-5b6a-7c8d-9e0f-a1b2c3d4e5f6";
    let command: Command = serde_json::from_value(json!({
        "command": "dispatch",
        "lead_unit": lead,
        "due_at": "2026-03-01T00:00:00Z",
    }))
    .expect("dispatch");
    let due_at: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().expect("time");
    assert_eq!(
        command,
        Command::Dispatch {
            lead_unit: UnitId::parse(lead).expect("uuid"),
            supporting_units: vec![],
            due_at,
            note: None,
        }
    );
}

#[test]
fn a_command_with_an_unknown_field_is_refused() {
    let err = serde_json::from_value::<Command>(json!({
        "command": "dispatch",
        "lead_unit": "0190f3c4-5b6a-7c8d-9e0f-a1b2c3d4e5f6",
        "due_at": "2026-03-01T00:00:00Z",
        "priority": "high",
    }))
    .expect_err("unknown field");
    assert!(err.to_string().contains("priority"), "{err}");

    let err = serde_json::from_value::<Command>(json!({ "command": "archive", "force": true }));
    assert!(err.is_err(), "archive takes no fields");
}

#[test]
fn an_unknown_command_or_a_missing_field_is_refused() {
    assert!(serde_json::from_value::<Command>(json!({ "command": "delete" })).is_err());
    assert!(serde_json::from_value::<Command>(json!({ "command": "decline" })).is_err());
    assert!(serde_json::from_value::<Command>(json!({ "lead_unit": LEAD })).is_err());
}

#[test]
fn a_command_without_fields_reads_from_its_name_alone() {
    let command: Command =
        serde_json::from_value(json!({ "command": "archive" })).expect("archive");
    assert_eq!(command, Command::Archive {});
    let command: Command = serde_json::from_value(json!({ "command": "accept" })).expect("accept");
    assert_eq!(command, Command::Accept { note: None });
}

#[test]
fn every_sample_command_survives_a_json_round_trip() {
    let now = crate::fixture::start();
    for kind in hezhi_domain::CommandKind::ALL.into_iter().skip(1) {
        let command = crate::fixture::sample(kind, now);
        let json = serde_json::to_value(&command).expect("json");
        assert_eq!(json["command"], kind.as_str());
        let back: Command = serde_json::from_value(json).expect("read back");
        assert_eq!(back, command);
    }
}

#[test]
fn a_history_survives_a_json_round_trip_and_replays_to_the_same_case() {
    let story = Story::in_state(CaseState::Archived);
    let text = serde_json::to_string(&story.events).expect("json");
    let events: Vec<Event> = serde_json::from_str(&text).expect("read back");
    assert_eq!(events, story.events);
    assert_eq!(replay(&events).as_ref(), Some(&story.case));
}
