//! The student's state through the library: progress written and read
//! back, the list, hints, the solution's gate, and reset with its backup.
//! Everything here works in temporary folders; nothing is graded.

use std::{fs, path::Path};

use harness::{
    check::Failure,
    cutout,
    kit_root::kit_root,
    report::{CheckResult, Report, Status},
    steps::{self, STEPS, Step},
    student::{
        State, hint, list,
        progress::{Progress, StepProgress},
        reset, solution,
    },
    target::Target,
};

fn step(id: &str) -> &'static Step {
    steps::find(id).expect("a known step")
}

/// A report of `step` where the checks listed fail and all others pass.
fn report(step: &Step, failing: &[&str]) -> Report {
    let mut report = Report::new(step, &Target::Exercise);
    for check in (step.checks)() {
        let result = if failing.contains(&check.id) {
            CheckResult::new(&check, Status::Fail).failed(
                Failure::new("303 See Other").sent("POST /login").got("500 Internal Server Error"),
            )
        } else {
            CheckResult::new(&check, Status::Pass)
        };
        report.results.push(result);
    }
    report
}

#[test]
fn a_grading_is_recorded_and_the_best_score_kept() {
    let dir = tempfile::tempdir().unwrap();
    let state = State::at(dir.path().to_path_buf());
    let s01 = step("01");
    assert_eq!(state.progress(), Progress::default());

    let progress =
        state.record(&report(s01, &["s01.login-success", "s01.cabinet-anonymous"])).unwrap();
    let first = progress.get("01").unwrap().clone();
    assert_eq!(
        (first.best, first.max, first.passed),
        (s01.max_score() - 4, s01.max_score(), false)
    );

    // A worse grading later lowers `last`, never `best`.
    state
        .record(&report(s01, &["s01.starts", "s01.login-success", "s01.cabinet-anonymous"]))
        .unwrap();
    let text = fs::read_to_string(state.progress_file()).unwrap();
    assert!(text.starts_with("# Your progress"), "{text}");
    let read = Progress::parse(&text).unwrap();
    let second = read.get("01").unwrap();
    assert_eq!(second.best, first.best);
    assert_eq!(second.last, first.best - 1);
    assert_eq!(read.first_unpassed(STEPS).map(|s| s.id), Some("01"));

    // The last report is kept beside it, for `hint`.
    let last = state.last("01").unwrap();
    assert_eq!(last.first_failing().map(|c| c.id.as_str()), Some("s01.starts"));
    assert_eq!(last.check("s01.login-success").unwrap().status, "fail");

    state.record(&report(s01, &[])).unwrap();
    let progress = state.progress();
    assert!(progress.passed("01"));
    assert_eq!(progress.first_unpassed(STEPS).map(|s| s.id), Some("02"));
}

#[test]
fn a_broken_progress_file_is_read_as_none() {
    let dir = tempfile::tempdir().unwrap();
    let state = State::at(dir.path().to_path_buf());
    fs::write(state.progress_file(), "[steps.\"01\"\nbest = ").unwrap();
    assert_eq!(state.progress(), Progress::default());
}

#[test]
fn the_list_shows_scores_and_what_is_next() {
    let mut progress = Progress::default();
    progress.steps.insert(
        "01".into(),
        StepProgress {
            best: 32,
            max: 32,
            passed: true,
            last: 30,
            graded: "2026-11-21T10:00:00Z".into(),
        },
    );
    progress.steps.insert(
        "02".into(),
        StepProgress {
            best: 12,
            max: 63,
            passed: false,
            last: 12,
            graded: "2026-11-21T11:00:00Z".into(),
        },
    );
    // The first two steps only: later steps are added by other changes.
    // Step 02 last graded with its own checks failing, step 01's passing.
    let s02 = step("02");
    let own: Vec<&str> =
        (s02.checks)().iter().map(|c| c.id).filter(|id| id.starts_with("s02.")).collect();
    let last02 = harness::student::progress::LastResult::from_report(
        &report(s02, &own),
        "2026-11-21T11:00:00Z",
    );
    let last = |id: &str| (id == "02").then(|| last02.clone());
    let shown = list::render(&STEPS[..2], &progress, &last, false);
    insta::assert_snapshot!("list-01-done-02-next", shown);
}

#[test]
fn the_hint_is_the_first_failing_checks_or_the_one_named() {
    let s01 = step("01");
    let checks = (s01.checks)();
    let last = harness::student::progress::LastResult::from_report(
        &report(s01, &["s01.cabinet-anonymous", "s01.next-refused"]),
        "2026-11-21T12:00:00Z",
    );
    let Ok(hint::Pick::Check(check)) = hint::pick(&checks, s01, &last, None) else {
        panic!("a failing check to hint at");
    };
    assert_eq!(check.id, "s01.cabinet-anonymous");
    let shown = hint::render(check, last.check(check.id), &last.graded);
    assert!(shown.contains(check.hint), "{shown}");
    assert!(shown.contains("read: book/src/01-hardcoded.md#guarding-a-page"), "{shown}");
    assert!(shown.contains("sent:     POST /login"), "{shown}");
    assert!(!shown.contains("hint:     "), "the failure's own hint line is not repeated: {shown}");

    let Ok(hint::Pick::Check(named)) = hint::pick(&checks, s01, &last, Some("next-local")) else {
        panic!("a check by its short name");
    };
    assert_eq!(named.id, "s01.next-local");
    let error = hint::pick(&checks, s01, &last, Some("no-such-check")).err().unwrap();
    assert!(error.contains("s01.login-success"), "the error lists the ids: {error}");

    let passed = harness::student::progress::LastResult::from_report(&report(s01, &[]), "");
    assert!(matches!(hint::pick(&checks, s01, &passed, None), Ok(hint::Pick::AllPassed)));
}

#[test]
fn the_solution_opens_only_after_full_marks() {
    let s01 = step("01");
    let mut progress = Progress::default();
    let refusal = solution::gate(&progress, s01).unwrap_err();
    assert!(refusal.contains("has not been graded yet"), "{refusal}");
    progress.steps.insert("01".into(), StepProgress { best: 31, max: 32, ..Default::default() });
    let refusal = solution::gate(&progress, s01).unwrap_err();
    assert!(refusal.contains("31/32") && refusal.contains("--force"), "{refusal}");
    progress.steps.insert(
        "01".into(),
        StepProgress { best: 32, max: 32, passed: true, ..Default::default() },
    );
    assert!(solution::gate(&progress, s01).is_ok());
}

#[test]
fn the_solution_shows_the_files_the_step_teaches_without_markers() {
    let root = kit_root();
    let s01 = step("01");
    let files = solution::reference(s01, &root).unwrap();
    let taught = solution::taught(s01, &root, &files).unwrap();
    assert!(taught.iter().any(|p| p == Path::new("src/users.rs")), "{taught:?}");
    assert!(!taught.iter().any(|p| p == Path::new("templates/home.html")), "{taught:?}");
    let shown = solution::render(s01, &files, &taught);
    assert!(shown.contains("==> src/users.rs <=="), "{shown}");
    for marker in ["exercise:cut", "exercise:as", "ANCHOR", "TODO(step 01)", "step01_solution"] {
        assert!(!shown.contains(marker), "{marker} shown:\n{shown}");
    }
}

/// A kit with only step 01's solution and exercise, as shipped.
fn temporary_kit(step: &Step) -> tempfile::TempDir {
    let kit = tempfile::tempdir().unwrap();
    let solution = step.solution_dir(&kit_root());
    copy_tree(&solution, &step.solution_dir(kit.path()));
    let shipped =
        cutout::exercise_files(&solution, &step.solution_package(), &step.exercise_package())
            .unwrap();
    for (relative, contents) in shipped {
        let path = step.exercise_dir(kit.path()).join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
    kit
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            fs::create_dir_all(to).unwrap();
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn reset_puts_the_exercise_back_and_keeps_the_work() {
    let s01 = step("01");
    let kit = temporary_kit(s01);
    let exercise = s01.exercise_dir(kit.path());
    assert!(reset::plan(s01, kit.path()).unwrap().is_empty(), "as shipped, nothing to reset");

    let users = exercise.join("src/users.rs");
    let shipped_users = fs::read(&users).unwrap();
    fs::write(&users, "// my attempt\n").unwrap();
    fs::create_dir_all(exercise.join("src/extra")).unwrap();
    fs::write(exercise.join("src/extra/notes.rs"), "// notes\n").unwrap();
    fs::remove_file(exercise.join("templates/home.html")).unwrap();

    let plan = reset::plan(s01, kit.path()).unwrap();
    let paths: Vec<String> = plan.paths().iter().map(|p| p.display().to_string()).collect();
    assert_eq!(paths, ["src/extra/notes.rs", "src/users.rs", "templates/home.html"]);

    let backup = kit.path().join(".authlings/backups/01-test");
    reset::back_up(s01, kit.path(), &backup).unwrap();
    reset::apply(s01, kit.path(), &plan).unwrap();

    assert_eq!(fs::read(&users).unwrap(), shipped_users);
    assert!(exercise.join("templates/home.html").is_file());
    assert!(!exercise.join("src/extra").exists(), "the folder the extra file left empty is gone");
    assert!(reset::plan(s01, kit.path()).unwrap().is_empty());
    assert_eq!(fs::read_to_string(backup.join("src/users.rs")).unwrap(), "// my attempt\n");
    assert_eq!(fs::read_to_string(backup.join("src/extra/notes.rs")).unwrap(), "// notes\n");
}

#[test]
fn a_solution_copied_over_the_exercise_has_no_difference() {
    let s01 = step("01");
    let kit = temporary_kit(s01);
    let files = solution::reference(s01, kit.path()).unwrap();
    let before = solution::diff(s01, kit.path(), &files, false).unwrap();
    assert!(before.contains("--- yours: exercises/01-hardcoded/src/users.rs"), "{before}");
    assert!(before.contains("-        todo!(\"check the username and password\")"), "{before}");
    for (relative, text) in &files {
        fs::write(s01.exercise_dir(kit.path()).join(relative), text).unwrap();
    }
    let after = solution::diff(s01, kit.path(), &files, false).unwrap();
    assert_eq!(after, "Your code is the reference solution, line for line.\n");
}
