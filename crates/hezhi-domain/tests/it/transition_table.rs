//! The transition table of DESIGN §3: a reviewed snapshot of it, and `decide` held to it
//! for every (state, command) pair.

use crate::fixture::{Story, actor_for, sample};
use hezhi_domain::{CaseState, Command, CommandKind, DomainError};

/// Every command the table is about (a report is not a transition of an existing case).
fn commands() -> impl Iterator<Item = CommandKind> {
    CommandKind::ALL
        .into_iter()
        .filter(|k| *k != CommandKind::Report)
}

#[test]
fn the_transition_table_matches_the_reviewed_snapshot() {
    let header = "from \\ command";
    let mut columns: Vec<Vec<&str>> = vec![
        std::iter::once(header)
            .chain(CaseState::ALL.map(CaseState::as_str))
            .collect(),
    ];
    for kind in commands() {
        let cells = CaseState::ALL.map(|s| kind.transition(s).map_or("-", CaseState::as_str));
        columns.push(std::iter::once(kind.as_str()).chain(cells).collect());
    }
    let widths: Vec<usize> = columns
        .iter()
        .map(|c| c.iter().map(|t| t.len()).max().unwrap_or(0))
        .collect();
    let mut table = String::new();
    for row in 0..=CaseState::ALL.len() {
        let cells: Vec<String> = columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{:<w$}", c[row]))
            .collect();
        table.push_str(cells.join(" | ").trim_end());
        table.push('\n');
    }
    insta::assert_snapshot!("transition_table", table);
}

#[test]
fn every_command_the_table_forbids_is_refused_naming_the_state_and_the_command() {
    let mut checked = 0;
    for state in CaseState::ALL {
        let story = Story::in_state(state);
        for kind in commands().filter(|k| k.transition(state).is_none()) {
            let err = story.decide(&sample(kind, story.now()), &actor_for(kind));
            assert_eq!(
                err,
                Err(DomainError::IllegalTransition {
                    state,
                    command: kind
                }),
                "{kind} in {state}"
            );
            let err = err.expect_err("refused");
            assert_eq!(err.code(), "command_not_allowed");
            let message = err.to_string();
            assert!(
                message.contains(state.as_str()) && message.contains(kind.as_str()),
                "{message}"
            );
            checked += 1;
        }
    }
    // 10 states × 19 commands, of which 42 pairs are allowed (attach in 8 states).
    assert_eq!(checked, 164);
}

#[test]
fn the_table_refuses_before_it_looks_at_who_asks() {
    let story = Story::in_state(CaseState::Archived);
    let stranger = crate::fixture::staff_in(hezhi_domain::Role::Auditor, "4401");
    let err = story.decide(&Command::Archive {}, &stranger);
    assert_eq!(
        err,
        Err(DomainError::IllegalTransition {
            state: CaseState::Archived,
            command: CommandKind::Archive
        })
    );
}

#[test]
fn triage_of_an_archived_case_is_rejected() {
    let story = Story::in_state(CaseState::Archived);
    let err = story.decide(
        &sample(CommandKind::Triage, story.now()),
        &actor_for(CommandKind::Triage),
    );
    assert_eq!(
        err,
        Err(DomainError::IllegalTransition {
            state: CaseState::Archived,
            command: CommandKind::Triage
        })
    );
}

/// Puts the case where a command of `kind` has what it needs beyond the state: a pending
/// extension to decide on, a stopped clock to start again, or every supporting part
/// confirmed before a resolve.
fn prepare(story: &mut Story, kind: CommandKind) {
    match kind {
        CommandKind::ApproveExtension | CommandKind::RefuseExtension => {
            story.step_sample(CommandKind::RequestExtension);
        }
        CommandKind::ResumeClock => {
            story.step_sample(CommandKind::PauseClock);
        }
        CommandKind::Resolve => story.confirm_all_parts(),
        _ => {}
    }
}

#[test]
fn every_command_the_table_allows_moves_the_case_to_the_state_the_table_names() {
    let mut checked = 0;
    for state in CaseState::ALL {
        for kind in commands() {
            let Some(target) = kind.transition(state) else {
                continue;
            };
            let mut story = Story::in_state(state);
            prepare(&mut story, kind);
            let version = story.case.version;
            let case = story.step_sample(kind);
            assert_eq!(case.state, target, "{kind} from {state}");
            assert_eq!(case.version, version + 1, "{kind} from {state}");
            checked += 1;
        }
    }
    assert_eq!(checked, 46);
}

#[test]
fn no_command_leaves_an_archived_case() {
    assert!(commands().all(|k| k.transition(CaseState::Archived).is_none()));
}

#[test]
fn every_command_name_parses_back_to_itself() {
    for kind in CommandKind::ALL {
        assert_eq!(CommandKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::to_value(kind).expect("json"), kind.as_str());
    }
    for state in CaseState::ALL {
        assert_eq!(CaseState::parse(state.as_str()), Some(state));
        assert_eq!(serde_json::to_value(state).expect("json"), state.as_str());
    }
}
