//! `hezhi stats` and `hezhi export` on the demo: the figures of a county, the same after a
//! rebuild from the event log, and the ledger written masked and audited.

use crate::cli::{hezhi_with, stdout};

fn hezhi(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    hezhi_with(dir, args, &[])
}

#[test]
fn stats_answer_from_the_rollups_and_a_rebuild_gives_the_same_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    stdout(&hezhi(dir.path(), &["seed", "demo"]));
    let ask = [
        "stats",
        "--region",
        "330503",
        "--from",
        "2024-01-01",
        "--to",
        "2026-12-31",
        "--json",
    ];
    let before: serde_json::Value =
        serde_json::from_str(&stdout(&hezhi(dir.path(), &ask))).expect("json");
    let reported = before["counts"]["reported"].as_u64().expect("reported");
    assert!(reported > 0, "{before}");
    assert!(before["counts"]["closed"].as_u64().expect("closed") > 0);
    assert_eq!(before["region"]["code"], "330503");
    let rebuilt = stdout(&hezhi(dir.path(), &["stats", "rebuild"]));
    assert!(
        rebuilt.contains("rebuilt the rollups from 60 cases"),
        "{rebuilt}"
    );
    let after: serde_json::Value =
        serde_json::from_str(&stdout(&hezhi(dir.path(), &ask))).expect("json");
    assert_eq!(before, after, "live figures = rebuilt figures");

    // A readable table too, and a clear refusal of a bad period.
    let table = stdout(&hezhi(
        dir.path(),
        &[
            "stats",
            "--region",
            "330503",
            "--from",
            "2024-01-01",
            "--to",
            "2026-12-31",
        ],
    ));
    assert!(table.contains("受理 reported"), "{table}");
    assert!(table.contains("closure_rate"), "{table}");
    let reversed = hezhi(
        dir.path(),
        &[
            "stats",
            "--region",
            "330503",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
        ],
    );
    assert!(!reversed.status.success());
    assert!(
        String::from_utf8_lossy(&reversed.stderr).contains("starts after it ends"),
        "{reversed:?}"
    );
}

#[test]
fn the_ledger_is_exported_masked_and_the_export_is_audited() {
    let dir = tempfile::tempdir().expect("temp dir");
    stdout(&hezhi(dir.path(), &["seed", "demo"]));
    let csv = dir.path().join("台账.csv");
    let out = stdout(&hezhi(
        dir.path(),
        &[
            "export",
            "ledger",
            "--region",
            "330503",
            "--from",
            "2024-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "csv",
            "--output",
            csv.to_str().expect("utf-8 path"),
        ],
    ));
    assert!(out.contains("recorded in the audit log"), "{out}");
    let bytes = std::fs::read(&csv).expect("written");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.starts_with("\u{FEFF}序号,案件编号,登记时间"), "{text}");
    assert!(text.contains("**"), "names masked: {text}");
    // No 11-digit phone number in the clear.
    assert!(
        !text
            .split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() == 11 && run.starts_with('1')),
        "{text}"
    );
    let xlsx = dir.path().join("报表.xlsx");
    stdout(&hezhi(
        dir.path(),
        &[
            "export",
            "report",
            "--region",
            "330503",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--output",
            xlsx.to_str().expect("utf-8 path"),
        ],
    ));
    assert!(std::fs::read(&xlsx).expect("written").starts_with(b"PK"));
    let audit = stdout(&hezhi(
        dir.path(),
        &["audit", "search", "--action", "export"],
    ));
    assert_eq!(
        audit.lines().filter(|l| l.contains("export")).count(),
        2,
        "{audit}"
    );

    let unknown = hezhi(
        dir.path(),
        &[
            "export",
            "minutes",
            "--region",
            "330503",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--output",
            "x",
        ],
    );
    assert!(!unknown.status.success());
}
