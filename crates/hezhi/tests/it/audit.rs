//! `hezhi audit verify` and `hezhi audit search` on a seeded data directory, and the audit
//! settings refused or honoured at start.

use crate::cli::{hezhi_with, stdout};
use std::path::Path;
use std::process::Output;

fn hezhi(data_dir: &Path, args: &[&str]) -> Output {
    hezhi_with(data_dir, args, &[])
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `sql` on the data directory's database with the append-only triggers dropped, as
/// someone who can read the directory could.
fn tamper(data_dir: &Path, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data_dir.join("hezhi.db"));
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("open");
        for statement in [
            "DROP TRIGGER IF EXISTS audit_log_is_never_updated",
            "DROP TRIGGER IF EXISTS audit_log_is_never_deleted",
            sql,
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        pool.close().await;
    });
}

#[test]
fn audit_verify_passes_on_a_seeded_directory_and_names_the_tampered_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    stdout(&hezhi(data, &["seed", "demo"]));

    let verified = stdout(&hezhi(data, &["audit", "verify"]));
    assert!(
        verified.contains("no entry was changed, removed or inserted"),
        "{verified}"
    );
    let county = verified
        .lines()
        .find(|l| l.starts_with("370811 "))
        .unwrap_or_else(|| panic!("chain 370811 listed: {verified}"));
    assert!(county.contains("sha256"), "{county}");
    assert!(verified.lines().any(|l| l.starts_with("- ")), "{verified}");

    tamper(
        data,
        "UPDATE audit_log SET action = 'case.archived' WHERE chain = '370811' AND seq = 5",
    );
    let changed = hezhi(data, &["audit", "verify"]);
    assert!(!changed.status.success(), "{}", text(&changed));
    assert!(
        text(&changed).contains("TAMPERED changed: chain 370811: entry 5 was changed"),
        "{}",
        text(&changed)
    );
    assert!(
        text(&changed).contains("tampered with"),
        "{}",
        text(&changed)
    );

    tamper(
        data,
        "DELETE FROM audit_log WHERE chain = '330503' AND seq > 40",
    );
    let both = text(&hezhi(data, &["audit", "verify"]));
    assert!(
        both.contains("TAMPERED changed: chain 370811: entry 5 was changed"),
        "{both}"
    );
    assert!(
        both.contains("TAMPERED truncated: chain 330503: entries 41 to"),
        "{both}"
    );
    assert!(both.contains("2 of 7 chains failed"), "{both}");
}

#[test]
fn audit_search_prints_one_line_per_entry_and_refuses_bad_filters() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    stdout(&hezhi(data, &["seed", "demo"]));

    let created = stdout(&hezhi(
        data,
        &[
            "audit",
            "search",
            "--action",
            "user_created",
            "--limit",
            "5",
        ],
    ));
    assert_eq!(created.lines().count(), 5, "{created}");
    let by_clerk = stdout(&hezhi(
        data,
        &[
            "audit",
            "search",
            "--user",
            "clerk-370811002",
            "--limit",
            "3",
        ],
    ));
    let lines: Vec<&str> = by_clerk.lines().collect();
    assert_eq!(lines.len(), 3, "{by_clerk}");
    let fields: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(
        fields.len(),
        6,
        "time, chain:seq, action, user, case, detail"
    );
    assert!(fields[1].starts_with("370811:") && fields[2].starts_with("case."));
    let case = fields[4].strip_prefix("case=").expect("a case");
    let of_case = stdout(&hezhi(data, &["audit", "search", "--case", case]));
    assert!(of_case.lines().all(|l| l.contains(case)));
    assert!(
        of_case
            .lines()
            .last()
            .is_some_and(|l| l.contains("case.reported"))
    );
    let nothing_yet = stdout(&hezhi(
        data,
        &["audit", "search", "--to", "2000-01-01T00:00:00Z"],
    ));
    assert_eq!(nothing_yet, "");
    let searches = stdout(&hezhi(
        data,
        &["audit", "search", "--action", "audit_searched"],
    ));
    assert_eq!(
        searches.lines().count(),
        4,
        "each search is recorded: {searches}"
    );

    for (args, field) in [
        (vec!["--from", "yesterday"], "from"),
        (vec!["--user", "nobody"], "user"),
        (vec!["--limit", "0"], "limit"),
        (vec!["--case", "42"], "case"),
    ] {
        let refused = hezhi(data, &[&["audit", "search"][..], &args].concat());
        assert!(!refused.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(&format!("{field}:")), "{args:?}: {stderr}");
    }
}

#[test]
fn an_audit_retention_under_180_days_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let short = hezhi_with(
        dir.path(),
        &["migrate"],
        &[("HEZHI_AUDIT_RETENTION_DAYS", "90")],
    );
    assert!(!short.status.success());
    assert!(
        text(&short).contains("audit log must be kept at least 180 days"),
        "{}",
        text(&short)
    );
    let config = dir.path().join("hezhi.toml");
    std::fs::write(&config, "audit_retention_days = 30\n").expect("write");
    let from_file = hezhi(
        dir.path(),
        &["--config", config.to_str().expect("path"), "migrate"],
    );
    assert!(!from_file.status.success());
    assert!(
        text(&from_file).contains("at least 180 days"),
        "{}",
        text(&from_file)
    );
    let enough = hezhi_with(
        dir.path(),
        &["migrate"],
        &[("HEZHI_AUDIT_RETENTION_DAYS", "180")],
    );
    assert!(enough.status.success(), "{}", text(&enough));
}

#[test]
fn switching_to_sm3_keeps_the_earlier_entries_verifiable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    std::fs::create_dir_all(data.join("divisions")).expect("dir");
    let divisions = data.join("divisions");
    std::fs::write(
        divisions.join("provinces.csv"),
        "code,name\n37,\"山东省\"\n",
    )
    .expect("write");
    std::fs::write(
        divisions.join("cities.csv"),
        "code,name,provinceCode\n3708,\"济宁市\",37\n",
    )
    .expect("write");
    std::fs::write(
        divisions.join("areas.csv"),
        "code,name,cityCode,provinceCode\n370811,\"任城区\",3708,37\n",
    )
    .expect("write");
    std::fs::write(
        divisions.join("streets.csv"),
        "code,name,areaCode,provinceCode,cityCode\n",
    )
    .expect("write");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        b"code,name,streetCode,provinceCode,cityCode,areaCode\n",
    )
    .expect("gzip");
    std::fs::write(
        divisions.join("villages.csv.gz"),
        gz.finish().expect("gzip"),
    )
    .expect("write");
    let db = data.join("db");
    stdout(&hezhi(
        &db,
        &["import", "divisions", divisions.to_str().expect("path")],
    ));
    let add = |name: &str, hash: &str| {
        stdout(&hezhi_with(
            &db,
            &[
                "user", "add", name, "--role", "auditor", "--region", "370811",
            ],
            &[("HEZHI_AUDIT_HASH", hash)],
        ))
    };
    add("审计员甲", "sha256");
    add("审计员乙", "sm3");
    add("审计员丙", "sm3");
    let verified = stdout(&hezhi(&db, &["audit", "verify"]));
    let system = verified
        .lines()
        .find(|l| l.starts_with("- "))
        .unwrap_or_else(|| panic!("{verified}"));
    assert!(system.contains("sha256 1, sm3 2"), "{system}");
    assert!(
        verified.contains("new entries are sealed with sha256"),
        "{verified}"
    );
    let refused = hezhi_with(&db, &["migrate"], &[("HEZHI_AUDIT_HASH", "md5")]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("sha256 or sm3"),
        "{}",
        text(&refused)
    );
}
