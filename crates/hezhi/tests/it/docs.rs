//! Documents must stay true: every crate is on the codemap, every path they name exists, and
//! CI runs the test command the README gives.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_crate_folder_is_on_the_architecture_codemap() {
    let architecture = read("ARCHITECTURE.md");
    for entry in std::fs::read_dir(root().join("crates")).expect("crates/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            architecture.contains(&format!("### `crates/{name}`")),
            "crates/{name} is missing from the ARCHITECTURE.md codemap"
        );
        assert!(
            root()
                .join("crates")
                .join(&name)
                .join("README.md")
                .is_file(),
            "crates/{name} has no README.md"
        );
    }
}

#[test]
fn every_file_path_the_architecture_names_exists() {
    let architecture = read("ARCHITECTURE.md");
    let mut checked = 0;
    for quoted in architecture.split('`').skip(1).step_by(2) {
        let path = quoted.split("::").next().unwrap_or_default();
        let looks_like_a_path = path.starts_with("crates/") || path.starts_with("hezhi-");
        if !looks_like_a_path || !path.contains('/') || path.contains(' ') {
            continue;
        }
        let full = if path.starts_with("crates/") {
            path.to_owned()
        } else {
            format!("crates/{path}")
        };
        assert!(
            root().join(&full).exists(),
            "ARCHITECTURE.md names {full}, which does not exist"
        );
        checked += 1;
    }
    assert!(
        checked >= 5,
        "expected ARCHITECTURE.md to name files, found {checked}"
    );
}

#[test]
fn ci_runs_the_test_command_the_readme_gives() {
    let readme = read("README.md");
    assert!(
        readme.contains("\n./scripts/test\n"),
        "README.md must give ./scripts/test"
    );
    assert!(readme.contains("\ncargo run --release -- serve --demo\n"));
    let ci = read(".ci/run");
    assert!(ci.contains("./scripts/check"));
    let check = read("scripts/check");
    assert!(check.contains("./scripts/test"));
    assert!(check.contains("cargo clippy --workspace --all-targets -- -D warnings"));
    assert!(check.contains("-p hezhi-domain -e normal -i"));
}

#[test]
fn migrations_have_the_same_names_in_both_backends_and_say_why() {
    let names = |backend: &str| {
        let mut names: Vec<String> =
            std::fs::read_dir(root().join("crates").join(backend).join("migrations"))
                .expect("migrations dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
        names.sort();
        names
    };
    let sqlite = names("hezhi-store-sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("hezhi-store-postgres"));
    for backend in ["hezhi-store-sqlite", "hezhi-store-postgres"] {
        for name in &sqlite {
            let text = read(&format!("crates/{backend}/migrations/{name}"));
            assert!(
                text.starts_with("-- Why:"),
                "{backend}/{name} must start with a `-- Why:` comment"
            );
        }
    }
}
