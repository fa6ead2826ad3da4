//! Assignment profiles (`authlings check --profile`): small Flask apps
//! written for these tests, one careful and two with the flaws real
//! submissions have for each profile, graded as their assignment asks.
//! Every check's verdict is asserted, not only the totals.
//!
//! Skipped (saying SKIPPED) where python3 or Flask is missing;
//! `scripts/test.sh` installs Flask where it can.

use std::{
    collections::BTreeMap,
    process::{Command, Stdio},
    time::Duration,
};

use harness::{
    kit_root::kit_root,
    profile::{self, ProfileOptions},
    report::{Report, Status},
};

/// Why the example apps cannot run here, if they cannot.
fn flask_missing() -> Option<&'static str> {
    let status = Command::new("python3")
        .args(["-c", "import flask"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Err(_) => Some("python3 is not on PATH"),
        Ok(status) if !status.success() => Some("Flask is not installed (pip install flask)"),
        Ok(_) => None,
    }
}

async fn grade(profile: &str, app: &str) -> Report {
    let root = kit_root();
    let profile = profile::load(&root, profile).expect("a built-in profile");
    let dir = root.join("harness/tests/python/profiles").join(app);
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let options =
        ProfileOptions { ready_within: Duration::from_secs(20), ..ProfileOptions::default() };
    let report = profile::grade(&root, &profile, &dir, &options).await;
    println!("{app}: {}/{}", report.score(), report.max_score());
    report
}

/// Every check's status, by id.
fn verdicts(report: &Report) -> BTreeMap<&str, Status> {
    report.results.iter().map(|r| (r.id, r.status)).collect()
}

/// Asserts that exactly the checks in `failed` fail, those in `skipped`
/// are skipped, and every other one passes; with the report if not.
fn assert_verdicts(report: &Report, failed: &[&str], skipped: &[&str]) {
    let explain = || {
        let style = harness::report::human::Style { colour: false };
        harness::report::human::render(report, &style)
    };
    for (id, status) in verdicts(report) {
        let expected = if failed.contains(&id) {
            Status::Fail
        } else if skipped.contains(&id) {
            Status::Skip
        } else {
            Status::Pass
        };
        assert_eq!(status, expected, "{id} of {}:\n{}", report.target, explain());
    }
    for id in failed.iter().chain(skipped) {
        assert!(verdicts(report).contains_key(id), "no check {id}:\n{}", explain());
    }
}

/// The words of a check's failure, for asserting that a flaw is named.
fn got(report: &Report, id: &str) -> String {
    let result = report.results.iter().find(|r| r.id == id).expect("the check");
    result.message()
}

macro_rules! needs_flask {
    ($name:literal) => {
        if let Some(why) = flask_missing() {
            println!("SKIPPED {}: {why}", $name);
            return;
        }
    };
}

#[tokio::test]
async fn itmo_apps_are_graded_as_their_assignment_asks() {
    needs_flask!("itmo_apps_are_graded_as_their_assignment_asks");
    let correct = grade("itmo-wad-hw3", "itmo/correct").await;
    assert_verdicts(&correct, &[], &[]);
    assert_eq!(correct.score(), correct.max_score());

    let typical = grade("itmo-wad-hw3", "itmo/typical").await;
    assert_verdicts(
        &typical,
        &[
            "sessions-folder",
            "cookie-samesite",
            "logout-replay",
            "password-at-rest",
            "open-redirect",
        ],
        &[],
    );
    assert!(got(&typical, "password-at-rest").contains("in plain text in users.json"));
    assert!(got(&typical, "open-redirect").contains("evil.example"));

    let cookie = grade("itmo-wad-hw3", "itmo/username_cookie").await;
    assert_verdicts(
        &cookie,
        &[
            "sessions-folder",
            "signed-cookie",
            "cookie-httponly",
            "cookie-samesite",
            "logout-replay",
            "password-at-rest",
            "session-renewed",
        ],
        &[],
    );
    assert!(got(&cookie, "signed-cookie").contains("holds the name in the clear"));
    assert!(got(&cookie, "password-at-rest").contains("unsalted SHA-256"));
}

#[tokio::test]
async fn holberton_apps_are_graded_as_their_assignment_asks() {
    needs_flask!("holberton_apps_are_graded_as_their_assignment_asks");
    let careful = grade("holberton-0x02", "holberton/careful").await;
    assert_verdicts(&careful, &[], &[]);
    assert_eq!(careful.score(), careful.max_score());

    let typical = grade("holberton-0x02", "holberton/typical").await;
    assert_verdicts(&typical, &["cookie-httponly", "cookie-samesite", "password-at-rest"], &[]);
    assert!(got(&typical, "password-at-rest").contains("unsalted SHA-256 in hex in .db_User.json"));

    let kept = grade("holberton-0x02", "holberton/logout_kept").await;
    assert_verdicts(&kept, &["session-db-auth", "logout-replay"], &[]);
    assert!(got(&kept, "logout-replay").contains("left the session alive on the server"));
}

#[tokio::test]
async fn hha504_apps_are_graded_as_their_assignment_asks() {
    needs_flask!("hha504_apps_are_graded_as_their_assignment_asks");
    let correct = grade("hha504-week7", "hha504/correct").await;
    assert_verdicts(&correct, &[], &[]);
    assert_eq!(correct.score(), correct.max_score());

    let client = grade("hha504-week7", "hha504/client_session").await;
    assert_verdicts(&client, &["logout-replay", "cookie-samesite"], &[]);

    let google = grade("hha504-week7", "hha504/hardcoded_google").await;
    assert_verdicts(
        &google,
        &["provider-configurable"],
        &[
            "sign-in",
            "auto-register",
            "logout",
            "logout-replay",
            "cookie-httponly",
            "cookie-samesite",
            "session-renewed",
            "open-redirect",
        ],
    );
    assert!(got(&google, "provider-configurable").contains("https://accounts.google.com"));
    assert!(got(&google, "provider-configurable").contains("hard-coded"));
}

/// Without a users.toml, the users an app hard-codes are found in its code.
#[tokio::test]
async fn hard_coded_users_are_found_without_a_users_file() {
    needs_flask!("hard_coded_users_are_found_without_a_users_file");
    let root = kit_root();
    let from = root.join("harness/tests/python/profiles/itmo/typical");
    let copy = tempfile::tempdir().unwrap();
    for name in ["app.py", "templates", "static"] {
        let status =
            Command::new("cp").arg("-r").arg(from.join(name)).arg(copy.path()).status().unwrap();
        assert!(status.success());
    }
    let profile = profile::load(&root, "itmo-wad-hw3").unwrap();
    let report = profile::grade(&root, &profile, copy.path(), &ProfileOptions::default()).await;
    let verdict = verdicts(&report);
    assert_eq!(
        verdict["sign-in"],
        Status::Pass,
        "{:?}\n{:?}",
        report.notes,
        got(&report, "sign-in")
    );
    assert_eq!(verdict["password-at-rest"], Status::Fail);
    assert!(
        report.notes.iter().any(|n| n.contains("users tried from its code: admin")),
        "{:?}",
        report.notes
    );
}

/// `grade --profile`: a gradebook line a submission, the points of each check.
#[tokio::test]
async fn a_class_is_graded_into_a_gradebook() {
    needs_flask!("a_class_is_graded_into_a_gradebook");
    let root = kit_root();
    let out = tempfile::tempdir().unwrap();
    let submissions = vec![root.join("harness/tests/python/profiles/holberton/typical")];
    let options = ProfileOptions::default();
    let code =
        profile::class::command(&root, "holberton-0x02", &submissions, out.path(), &options).await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let gradebook = std::fs::read_to_string(out.path().join("grades.csv")).unwrap();
    let lines: Vec<&str> = gradebook.lines().collect();
    assert!(lines[0].starts_with("student,score,max,api-login,"), "{gradebook}");
    assert!(lines[1].starts_with("typical,25,31,4,"), "{gradebook}");
    assert!(out.path().join("typical.txt").is_file());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(json["typical"]["score"], 25);
}
