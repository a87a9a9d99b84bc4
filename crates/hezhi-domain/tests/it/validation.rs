//! Free text and report data checked on the way in, each error naming its field.

use crate::fixture::{LEAD, Story, clerk, dispatcher, handler_of, new_case, region, resident};
use hezhi_domain::{CaseState, Command, DomainError, ReferralChannel, check_report};

const NOTE_MAX_CHARS: usize = 2000;

#[test]
fn a_decline_without_a_reason_is_refused() {
    let story = Story::reported();
    for reason in ["", "   "] {
        let command = Command::Decline {
            reason: reason.to_owned(),
            suggested_channel: ReferralChannel::Litigation,
        };
        let err = story.decide(&command, &clerk()).expect_err("no reason");
        assert_eq!((err.code(), err.field()), ("required", Some("reason")));
        assert!(matches!(err, DomainError::Invalid(_)));
    }
}

#[test]
fn a_return_supervision_or_rework_without_text_is_refused() {
    let story = Story::in_state(CaseState::Dispatched);
    let err = story
        .decide(
            &Command::Return {
                reason: " ".to_owned(),
            },
            &handler_of(LEAD),
        )
        .expect_err("no reason");
    assert_eq!((err.code(), err.field()), ("required", Some("reason")));
    let err = story
        .decide(
            &Command::Supervise {
                note: String::new(),
            },
            &dispatcher(),
        )
        .expect_err("no note");
    assert_eq!((err.code(), err.field()), ("required", Some("note")));
}

#[test]
fn a_note_over_two_thousand_characters_is_refused() {
    let story = Story::reported();
    let note = "调".repeat(NOTE_MAX_CHARS + 1);
    let err = story
        .decide(&Command::Accept { note: Some(note) }, &clerk())
        .expect_err("long");
    assert_eq!((err.code(), err.field()), ("too_long", Some("note")));
}

#[test]
fn a_note_of_exactly_two_thousand_characters_is_kept_whole() {
    let mut story = Story::reported();
    let note = "调".repeat(NOTE_MAX_CHARS);
    story.step(
        &Command::Accept {
            note: Some(note.clone()),
        },
        &clerk(),
    );
    let json = serde_json::to_value(story.events.last().expect("event")).expect("json");
    assert_eq!(json["note"].as_str(), Some(note.as_str()));
}

#[test]
fn notes_are_trimmed_and_a_blank_optional_note_is_dropped() {
    let mut story = Story::reported();
    story.step(
        &Command::Accept {
            note: Some("   ".to_owned()),
        },
        &clerk(),
    );
    let json = serde_json::to_value(story.events.last().expect("event")).expect("json");
    assert!(json.get("note").is_none(), "{json}");

    story.step(
        &Command::Supervise {
            note: "  请尽快  ".to_owned(),
        },
        &dispatcher(),
    );
    let json = serde_json::to_value(story.events.last().expect("event")).expect("json");
    assert_eq!(json["note"], "请尽快");
}

#[test]
fn a_case_reported_in_a_town_rather_than_a_village_is_refused() {
    let case = hezhi_domain::NewCase {
        region: region("370811002"),
        ..new_case()
    };
    let err = check_report(&case, &resident(crate::fixture::REPORTER)).expect_err("town");
    assert_eq!(
        (err.code(), err.field()),
        ("region_not_village_or_grid", Some("region"))
    );
}

#[test]
fn a_case_without_a_title_is_refused() {
    let case = hezhi_domain::NewCase {
        title: " ".to_owned(),
        ..new_case()
    };
    let err = check_report(&case, &resident(crate::fixture::REPORTER)).expect_err("no title");
    assert_eq!((err.code(), err.field()), ("required", Some("title")));
}
