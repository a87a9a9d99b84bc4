//! `hezhi` subcommands run as separate processes on a temporary data directory.

use std::process::{Command, Output};

fn hezhi(data_dir: &std::path::Path, args: &[&str]) -> Output {
    hezhi_with(data_dir, args, &[])
}

/// `hezhi` with extra environment variables.
pub fn hezhi_with(data_dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(data_dir, args, env).output().expect("run hezhi")
}

/// The `hezhi` process of a test: the data directory given, no configuration from the
/// environment of the test run but `env`.
fn command(data_dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hezhi"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("HEZHI_DATABASE_URL")
        .env_remove("HEZHI_CONFIG")
        .env_remove("HEZHI_AUDIT_HASH")
        .env_remove("HEZHI_AUDIT_RETENTION_DAYS")
        .env_remove("HEZHI_PERSONAL_DATA_KEY")
        .env_remove("HEZHI_PERSONAL_DATA_CIPHER")
        .env_remove("HEZHI_BOOTSTRAP_REGION")
        .env_remove("RUST_BACKTRACE")
        .env("HEZHI_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "hezhi should have failed");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "hezhi failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A tiny division set in the real file layout, down to village 370811002001.
fn tiny_divisions(dir: &std::path::Path) -> std::path::PathBuf {
    let divisions = dir.join("divisions");
    std::fs::create_dir_all(&divisions).expect("dir");
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
        "code,name,areaCode,provinceCode,cityCode\n370811002,\"许庄街道\",370811,37,3708\n",
    )
    .expect("write");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        "code,name,streetCode,provinceCode,cityCode,areaCode\n370811002001,\"航运新村居委会\",370811002,37,3708,370811\n".as_bytes(),
    )
    .expect("gzip");
    std::fs::write(
        divisions.join("villages.csv.gz"),
        gz.finish().expect("gzip"),
    )
    .expect("write");

    divisions
}

#[test]
fn config_example_prints_a_commented_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = stdout(&hezhi(dir.path(), &["config", "example"]));
    assert!(text.contains("data_dir = \"hezhi-data\""));
    assert!(text.lines().filter(|l| l.starts_with('#')).count() > 5);
}

#[test]
fn a_user_is_created_with_a_token_shown_once_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let divisions = tiny_divisions(dir.path());
    let data = dir.path().join("data");
    let path = divisions.to_string_lossy().into_owned();
    let imported = hezhi(&data, &["import", "divisions", &path]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(String::from_utf8_lossy(&imported.stderr).contains("5 regions stored"));
    // Importing again changes nothing.
    let again = hezhi(&data, &["import", "divisions", &path]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("5 regions stored"));

    let out = stdout(&hezhi(
        &data,
        &[
            "user",
            "add",
            "王芳",
            "--role",
            "dispatcher",
            "--region",
            "370811002",
        ],
    ));
    let token = out.lines().last().expect("token line");
    assert!(token.starts_with("hz_") && token.len() > 40, "{out}");

    for bad in [
        vec![
            "user",
            "add",
            "王芳",
            "--role",
            "dispatcher",
            "--region",
            "370811002",
        ],
        vec![
            "user",
            "add",
            "李四",
            "--role",
            "wizard",
            "--region",
            "370811002",
        ],
        vec![
            "user",
            "add",
            "李四",
            "--role",
            "dispatcher",
            "--region",
            "999999",
        ],
        vec!["user", "add", "李四", "--role", "unit_handler"],
    ] {
        let output = hezhi(&data, &bad);
        assert!(!output.status.success(), "{bad:?} should fail");
        assert!(!String::from_utf8_lossy(&output.stderr).is_empty());
    }

    let unit = stdout(&hezhi(
        &data,
        &[
            "unit",
            "add",
            "许庄街道人民调解委员会",
            "--kind",
            "mediation_committee",
            "--region",
            "370811002",
        ],
    ));
    let unit_id = unit.split('\t').next().expect("id").to_owned();
    let listed = stdout(&hezhi(&data, &["unit", "list", "--region", "370811"]));
    assert!(listed.contains(&unit_id));
    stdout(&hezhi(
        &data,
        &[
            "user",
            "add",
            "调解员老周",
            "--role",
            "mediator",
            "--unit",
            &unit_id,
        ],
    ));

    let grid = stdout(&hezhi(
        &data,
        &[
            "grid",
            "add",
            "--village",
            "370811002001",
            "--number",
            "3",
            "--name",
            "第三网格",
        ],
    ));
    assert!(grid.starts_with("370811002001003\t第三网格"), "{grid}");
    stdout(&hezhi(
        &data,
        &[
            "user",
            "add",
            "网格员小李",
            "--role",
            "grid_worker",
            "--region",
            "370811002001003",
        ],
    ));
    let not_a_village = hezhi(
        &data,
        &[
            "grid",
            "add",
            "--village",
            "370811002",
            "--number",
            "1",
            "--name",
            "x",
        ],
    );
    assert!(!not_a_village.status.success());

    // Each change of access is on the system chain: three users, one unit, one grid.
    for (action, count) in [("user_created", 3), ("unit_created", 1), ("grid_added", 1)] {
        let found = stdout(&hezhi(&data, &["audit", "search", "--action", action]));
        assert_eq!(found.lines().count(), count, "{action}: {found}");
        assert!(
            found
                .lines()
                .all(|l| l.contains("\t-:") && l.contains(action)),
            "{found}"
        );
    }
    let first = stdout(&hezhi(
        &data,
        &["audit", "search", "--action", "unit_created"],
    ));
    assert!(
        first.contains(&unit_id),
        "the entry names the unit: {first}"
    );
}

#[test]
fn the_demo_seed_fills_every_state_of_the_loop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = stdout(&hezhi(dir.path(), &["seed", "demo"]));
    assert!(out.contains("60 cases"), "{out}");
    assert!(
        out.contains("grid shapes: 2 grids of 370811002001"),
        "{out}"
    );
    for state in [
        "reported",
        "accepted",
        "declined",
        "triaged",
        "dispatched",
        "in_progress",
        "resolved",
        "verified",
        "followed_up",
        "archived",
    ] {
        assert!(out.contains(state), "no case is {state}: {out}");
    }
    let tokens = std::fs::read_to_string(dir.path().join("demo-tokens.txt")).expect("tokens");
    for role in [
        "grid_worker",
        "intake_clerk",
        "dispatcher",
        "unit_handler",
        "mediator",
        "case_leader",
        "supervisor",
        "leader",
        "system_admin",
        "auditor",
        "resident",
    ] {
        assert!(
            tokens.contains(&format!("\t{role}\t")),
            "no demo user with role {role}"
        );
    }
    let with_password: Vec<&str> = tokens
        .lines()
        .filter(|line| line.ends_with("\thezhi-demo-2026"))
        .collect();
    assert!(
        with_password.iter().any(|l| l.contains("\tdispatcher\t")),
        "a dispatcher can sign in to the web pages: {tokens}"
    );
    assert!(
        !with_password.iter().any(|l| l.contains("\tresident\t")),
        "residents sign in by phone"
    );
    let migrated = stdout(&hezhi(dir.path(), &["migrate"]));
    assert!(migrated.contains("60 cases"), "{migrated}");
}

#[test]
fn roles_are_granted_listed_and_revoked_and_a_revoked_roles_token_dies_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    stdout(&hezhi(dir.path(), &["seed", "demo"]));
    let granted = stdout(&hezhi(
        dir.path(),
        &[
            "role",
            "grant",
            "clerk-370811002",
            "--role",
            "supervisor",
            "--region",
            "370811",
            "--token",
        ],
    ));
    assert!(
        granted.starts_with("granted supervisor [370811]"),
        "{granted}"
    );
    let assignment = granted
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().last())
        .expect("id")
        .to_owned();
    let listed = stdout(&hezhi(dir.path(), &["role", "list", "clerk-370811002"]));
    assert!(listed.contains("intake_clerk [370811002]"), "{listed}");
    assert!(listed.contains(&assignment), "{listed}");
    let users = stdout(&hezhi(dir.path(), &["user", "list"]));
    assert!(
        users
            .lines()
            .any(|l| l.contains("clerk-370811002") && l.contains("supervisor"))
    );

    for bad in [
        vec![
            "role",
            "grant",
            "nobody",
            "--role",
            "supervisor",
            "--region",
            "370811",
        ],
        vec![
            "role",
            "grant",
            "clerk-370811002",
            "--role",
            "wizard",
            "--region",
            "370811",
        ],
        vec![
            "role",
            "grant",
            "clerk-370811002",
            "--role",
            "supervisor",
            "--region",
            "999999",
        ],
        vec!["role", "revoke", "clerk-370811002", "not-an-id"],
    ] {
        assert!(
            !hezhi(dir.path(), &bad).status.success(),
            "{bad:?} should fail"
        );
    }
    let revoked = stdout(&hezhi(
        dir.path(),
        &["role", "revoke", "clerk-370811002", &assignment],
    ));
    assert!(revoked.contains(&assignment));
    let listed = stdout(&hezhi(dir.path(), &["role", "list", "clerk-370811002"]));
    assert!(!listed.contains("supervisor"), "{listed}");
    let again = hezhi(
        dir.path(),
        &["role", "revoke", "clerk-370811002", &assignment],
    );
    assert!(!again.status.success(), "revoking twice fails");
}

#[test]
fn the_master_key_is_created_once_with_owner_only_access_and_a_wrong_one_stops_the_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    stdout(&hezhi(&data, &["migrate"]));
    let key_file = data.join("master.key");
    let key = std::fs::read_to_string(&key_file).expect("master.key is created");
    assert_eq!(key.trim().len(), 44, "base64 of 32 bytes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    stdout(&hezhi(&data, &["migrate"]));
    assert_eq!(std::fs::read_to_string(&key_file).expect("kept"), key);

    // A configured key wins over the file, and a wrong one is named at start.
    let other = stdout(&hezhi(&data, &["keys", "generate"]));
    let wrong = hezhi_with(
        &data,
        &["migrate"],
        &[("HEZHI_PERSONAL_DATA_KEY", other.trim())],
    );
    let message = stderr(&wrong);
    assert!(message.contains("wrong key"), "{message}");
    let malformed = hezhi_with(&data, &["migrate"], &[("HEZHI_PERSONAL_DATA_KEY", "short")]);
    assert!(stderr(&malformed).contains("personal_data_key"));
    let cipher = hezhi_with(
        &data,
        &["migrate"],
        &[("HEZHI_PERSONAL_DATA_CIPHER", "des")],
    );
    assert!(stderr(&cipher).contains("personal_data_cipher"));

    // A lost key file is not silently replaced by a new one.
    std::fs::remove_file(&key_file).expect("remove");
    let lost = hezhi(&data, &["migrate"]);
    let message = stderr(&lost);
    assert!(message.contains("master.key is missing"), "{message}");
    assert!(!key_file.exists(), "no stray key is left behind");
    std::fs::write(&key_file, &key).expect("restore");
    stdout(&hezhi(&data, &["migrate"]));
}

#[test]
fn postgres_needs_a_configured_master_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = hezhi(
        dir.path(),
        &[
            "migrate",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ],
    );
    let message = stderr(&output);
    assert!(
        message.contains("PostgreSQL needs personal_data_key"),
        "{message}"
    );
    assert!(!dir.path().join("master.key").exists());
}

#[test]
fn keys_rotate_and_rewrap_without_rewriting_cases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    stdout(&hezhi(&data, &["seed", "demo"]));
    let listed = stdout(&hezhi(&data, &["keys", "list"]));
    assert_eq!(
        listed,
        "1\tlookup\taes-256-gcm\n2\tdata\taes-256-gcm\tcurrent\n"
    );

    let rotated = stdout(&hezhi_with(
        &data,
        &["keys", "rotate-data-key"],
        &[("HEZHI_PERSONAL_DATA_CIPHER", "sm4-gcm")],
    ));
    assert!(rotated.contains("data key 3 (sm4-gcm)"), "{rotated}");
    let listed = stdout(&hezhi(&data, &["keys", "list"]));
    assert!(
        listed.ends_with("2\tdata\taes-256-gcm\n3\tdata\tsm4-gcm\tcurrent\n"),
        "{listed}"
    );

    // Re-wrap under a new key read from a file: master.key follows, every case still reads.
    let old = std::fs::read_to_string(data.join("master.key")).expect("key");
    let new_key = stdout(&hezhi(&data, &["keys", "generate"]));
    let new_file = dir.path().join("new.key");
    std::fs::write(&new_file, &new_key).expect("write");
    let path = new_file.to_string_lossy().into_owned();
    let rewrapped = stdout(&hezhi(
        &data,
        &["keys", "rewrap", "--new-master-key", &path],
    ));
    assert!(rewrapped.contains("3 keys are now wrapped"), "{rewrapped}");
    let now = std::fs::read_to_string(data.join("master.key")).expect("key");
    assert_eq!(now.trim(), new_key.trim());
    let migrated = stdout(&hezhi(&data, &["migrate"]));
    assert!(migrated.contains("60 cases"), "{migrated}");
    let with_old = hezhi_with(
        &data,
        &["migrate"],
        &[("HEZHI_PERSONAL_DATA_KEY", old.trim())],
    );
    assert!(stderr(&with_old).contains("wrong key"));

    // Re-wrap again under a key given inline, while the current one is configured.
    let newest = stdout(&hezhi(&data, &["keys", "generate"]));
    let rewrapped = stdout(&hezhi_with(
        &data,
        &["keys", "rewrap", "--new-master-key", newest.trim()],
        &[("HEZHI_PERSONAL_DATA_KEY", new_key.trim())],
    ));
    assert!(rewrapped.contains("set personal_data_key"), "{rewrapped}");
    let migrated = stdout(&hezhi_with(
        &data,
        &["migrate"],
        &[("HEZHI_PERSONAL_DATA_KEY", newest.trim())],
    ));
    assert!(migrated.contains("60 cases"), "{migrated}");
    let bad = hezhi(&data, &["keys", "rewrap", "--new-master-key", "not-a-key"]);
    assert!(stderr(&bad).contains("neither a file nor a base64 master key"));
}

#[test]
fn grids_are_imported_from_geojson_all_or_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let divisions = tiny_divisions(dir.path());
    let data = dir.path().join("data");
    stdout(&hezhi(
        &data,
        &["import", "divisions", &divisions.to_string_lossy()],
    ));
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/grids/370811002001.geojson"
    );
    let village = ["--village", "370811002001"];
    let import = |file: &str| {
        let mut args = vec!["grid", "import", file];
        args.extend(village);
        hezhi(&data, &args)
    };
    let list = || {
        stdout(&hezhi(
            &data,
            &["grid", "list", "--village", "370811002001"],
        ))
    };
    assert_eq!(list(), "", "no grids yet");

    // A file with a bad second feature: refused, naming the feature and the fault, and
    // nothing written.
    let mut bad: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shipped).expect("shipped file"))
            .expect("JSON");
    bad["features"][1]["geometry"]["coordinates"][0]
        .as_array_mut()
        .expect("ring")
        .pop();
    let bad_file = dir.path().join("bad.geojson");
    std::fs::write(&bad_file, bad.to_string()).expect("write");
    let refused = import(&bad_file.to_string_lossy());
    assert!(!refused.status.success());
    assert_eq!(list(), "", "nothing written");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("nothing was imported")
            && stderr.contains("features[1].geometry.coordinates[0]")
            && stderr.contains("repeat the first"),
        "{stderr}"
    );
    let not_json = dir.path().join("not.geojson");
    std::fs::write(&not_json, "{\"type\": ").expect("write");
    let refused = import(&not_json.to_string_lossy());
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not JSON"));

    // The shipped file: imported, then imported again to the same effect.
    for _ in 0..2 {
        let out = stdout(&import(shipped));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "370811002001001\t航运新村第一网格",
                "370811002001002\t航运新村第二网格"
            ]
        );
    }
    assert_eq!(
        list(),
        "370811002001001\t航运新村第一网格\tshape\n370811002001002\t航运新村第二网格\tshape\n"
    );
    let not_a_village = hezhi(
        &data,
        &["grid", "import", shipped, "--village", "370811002"],
    );
    assert!(!not_a_village.status.success());
}

/// `hezhi ARGS` with `input` on standard input.
fn hezhi_with_input(data_dir: &std::path::Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command(data_dir, args, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hezhi");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for hezhi")
}

#[test]
fn an_empty_database_gets_its_administrators_once_with_passwords_shown_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = hezhi_with(
        dir.path(),
        &["migrate"],
        &[("HEZHI_BOOTSTRAP_REGION", "37")],
    );
    assert!(first.status.success());
    let told = String::from_utf8_lossy(&first.stderr).into_owned();
    assert!(told.contains("bound to 37 山东省"), "{told}");
    let mut passwords = Vec::new();
    for (name, role) in [
        ("sysadmin", "system_admin"),
        ("secadmin", "security_admin"),
        ("auditor", "auditor"),
    ] {
        let line = told
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}: {told}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], role);
        assert_eq!(fields[2].len(), 16, "{line}");
        passwords.push(fields[2].to_owned());
    }
    assert!(!String::from_utf8_lossy(&first.stdout).contains(&passwords[0]));

    let again = hezhi(dir.path(), &["migrate"]);
    assert!(again.status.success());
    assert!(
        !String::from_utf8_lossy(&again.stderr).contains("sysadmin"),
        "only an empty database is bootstrapped"
    );

    // A script sets a password on standard input; the rules hold there too.
    for (weak, why) in [
        ("woaini1314\n", "too common"),
        ("short\n", "at least 10"),
        ("sysadmin-2026!\n", "user name"),
    ] {
        let refused = hezhi_with_input(dir.path(), &["user", "set-password", "sysadmin"], weak);
        assert!(!refused.status.success(), "{weak}");
        let text = String::from_utf8_lossy(&refused.stderr);
        assert!(text.contains(why), "{weak}: {text}");
    }
    let set = hezhi_with_input(
        dir.path(),
        &["user", "set-password", "sysadmin"],
        "sorrel-kettle-41\n",
    );
    assert!(
        stdout(&set).contains("password of sysadmin set"),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let nobody = hezhi_with_input(
        dir.path(),
        &["user", "set-password", "nobody"],
        "sorrel-kettle-41\n",
    );
    assert!(!nobody.status.success());
    stdout(&hezhi(dir.path(), &["user", "reset-totp", "secadmin"]));

    // Tokens: the id is printed with the token, listed, and revoked by it.
    let added = stdout(&hezhi(
        dir.path(),
        &[
            "user",
            "add",
            "省级调度",
            "--role",
            "dispatcher",
            "--region",
            "37",
        ],
    ));
    let id = added
        .lines()
        .find_map(|l| l.strip_prefix("API token id: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token id: {added}"))
        .to_owned();
    assert!(added.lines().last().expect("token").starts_with("hz_"));
    let listed = stdout(&hezhi(dir.path(), &["token", "list", "--user", "省级调度"]));
    assert!(listed.contains(&id) && listed.contains("live"), "{listed}");
    let revoked = stdout(&hezhi(dir.path(), &["token", "revoke", &id]));
    assert!(revoked.contains("revoked"), "{revoked}");
    let listed = stdout(&hezhi(dir.path(), &["token", "list", "--user", "省级调度"]));
    assert!(listed.contains("revoked"), "{listed}");
    assert!(
        !hezhi(dir.path(), &["token", "revoke", "not-an-id"])
            .status
            .success()
    );
}
