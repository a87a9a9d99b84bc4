//! `hezhi crash-test`, small: a few SIGKILLs under write load lose nothing.

use crate::cli::{hezhi_with, stdout};

/// Both engines when `HEZHI_TEST_PG_URL` names a server, else SQLite alone.
fn engines_under_test() -> &'static str {
    if std::env::var("HEZHI_TEST_PG_URL").is_ok_and(|u| !u.is_empty()) {
        "sqlite,postgres"
    } else {
        eprintln!("HEZHI_TEST_PG_URL is not set: these tests run on SQLite only");
        "sqlite"
    }
}

#[test]
fn killed_servers_lose_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engines = engines_under_test();
    let out = stdout(&hezhi_with(
        dir.path(),
        &[
            "crash-test",
            "--kills",
            "3",
            "--clients",
            "4",
            "--engines",
            engines,
        ],
        &[],
    ));
    for engine in engines.split(',') {
        let line = out
            .lines()
            .find(|line| line.starts_with(&format!("{engine}: acknowledged")))
            .unwrap_or_else(|| panic!("no line for {engine}: {out}"));
        let numbers: Vec<u64> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .take(3)
            .map(|s| s.parse().expect("number"))
            .collect();
        let (acknowledged, found, lost) = (numbers[0], numbers[1], numbers[2]);
        assert!(acknowledged > 0, "{line}");
        assert_eq!((found, lost), (acknowledged, 0), "{line}");
        assert!(line.contains("audit chains verified"), "{line}");
    }
}

#[test]
fn racing_clients_lose_no_update_and_every_refusal_is_a_412() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engines = engines_under_test();
    let out = stdout(&hezhi_with(
        dir.path(),
        &[
            "race-test",
            "--clients",
            "8",
            "--cases",
            "4",
            "--commands",
            "200",
            "--engines",
            engines,
        ],
        &[],
    ));
    for engine in engines.split(',') {
        let line = out
            .lines()
            .find(|line| line.starts_with(&format!("{engine}: ")))
            .unwrap_or_else(|| panic!("no line for {engine}: {out}"));
        assert!(line.contains("other 0; lost updates 0"), "{line}");
        assert!(
            !line.contains("refused 412 0,"),
            "some lost the race: {line}"
        );
    }
}
