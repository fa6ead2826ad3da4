//! `book/src/contract.md` is the contract between a step server and the
//! grader, written for users of the kit. It must name what the code uses:
//! every setting the kit reads and the grader sets, every route the
//! reference solutions serve, the report's fields and statuses, and only
//! check ids that exist.

use std::{collections::BTreeSet, fs};

use harness::{kit_root::kit_root, report::Status, steps::STEPS};

fn contract() -> String {
    fs::read_to_string(kit_root().join("book/src/contract.md")).unwrap()
}

fn read(path: &str) -> String {
    fs::read_to_string(kit_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The string literals of `source` written in capitals: setting names.
fn capitals(source: &str) -> BTreeSet<String> {
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.len() > 2
                && s.starts_with(|c: char| c.is_ascii_uppercase())
                && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_setting_is_in_the_contract() {
    let contract = contract();
    // The settings the kit reads (its own build-time `CARGO_*` aside), and
    // those the grader gives a server: the run's own, the provider's, and
    // what the server process inherits.
    let mut names: BTreeSet<String> = capitals(&read("kit/src/config.rs"))
        .into_iter()
        .filter(|name| !name.starts_with("CARGO_"))
        .collect();
    for file in [
        "harness/src/runner.rs",
        "harness/src/provider.rs",
        "harness/src/microsoft.rs",
        "harness/src/managed_identity/mod.rs",
        "harness/src/server/mod.rs",
        // Step 06 reads its own settings, beside the kit's.
        "solutions/06-microsoft-identity/src/microsoft.rs",
        "solutions/06-microsoft-identity/src/prices/settings.rs",
    ] {
        names.extend(capitals(&read(file)));
    }
    assert!(
        ["DATA_DIR", "OIDC_ISSUER", "MS_TENANT", "IDENTITY_HEADER"]
            .iter()
            .all(|n| names.contains(*n)),
        "{names:?}"
    );
    let missing: Vec<_> =
        names.iter().filter(|name| !contract.contains(&format!("`{name}`"))).collect();
    assert!(missing.is_empty(), "contract.md does not name {missing:?}");
}

#[test]
fn every_route_is_in_the_contract() {
    let contract = contract();
    let mut missing = Vec::new();
    let mut seen = 0;
    for step in STEPS {
        let lib = read(&format!("solutions/{}/src/lib.rs", step.folder));
        for line in lib.lines().filter(|l| l.contains(".route(\"")) {
            let path = line.split('"').nth(1).unwrap();
            for (method, call) in [("GET", "get("), ("POST", "post(")] {
                if line.contains(call) {
                    seen += 1;
                    if !contract.contains(&format!("`{method} {path}`")) {
                        missing.push(format!("`{method} {path}` (step {})", step.id));
                    }
                }
            }
        }
    }
    assert!(seen >= 10, "the routers are found");
    assert!(contract.contains("`GET /static/<path>`"), "the static files");
    assert!(missing.is_empty(), "contract.md does not name {}", missing.join(", "));
}

#[test]
fn the_report_is_as_the_contract_says() {
    let contract = contract();
    let json = read("harness/src/report/json.rs");
    let fields: Vec<&str> = json
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    assert!(fields.contains(&"max_score") && fields.contains(&"message"), "{fields:?}");
    for field in fields {
        assert!(contract.contains(&format!("`{field}`")), "contract.md names the field {field}");
    }
    for status in [Status::Pass, Status::Fail, Status::Skip, Status::Error] {
        let name = serde_json::to_value(status).unwrap();
        let name = name.as_str().unwrap();
        assert!(contract.contains(&format!("`{name}`")), "contract.md names the status {name}");
    }
}

#[test]
fn the_contract_names_only_real_checks_and_every_step() {
    let contract = contract();
    let ids: BTreeSet<&str> =
        STEPS.iter().flat_map(|step| (step.checks)()).map(|check| check.id).collect();
    for word in contract.split('`').skip(1).step_by(2) {
        let looks_like_id = word.len() > 4
            && word.starts_with('s')
            && word.get(1..3).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
            && word.get(3..).is_some_and(|rest| rest.starts_with('.'));
        assert!(!looks_like_id || ids.contains(word), "contract.md names {word}, no such check");
    }
    for step in STEPS {
        assert!(
            contract.contains(&format!("`{}`", step.folder))
                && contract.contains(&format!("]({}.md#checks)", step.folder)),
            "contract.md names step {} and links its checks",
            step.id
        );
    }
    // The contract says an id starts with its step.
    for id in ids {
        assert!(STEPS.iter().any(|step| id.starts_with(&format!("s{}.", step.id))), "{id}");
    }
}
