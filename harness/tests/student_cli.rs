//! The commands as a new student types them, against this kit's exercises
//! as shipped, with the progress kept in a temporary folder
//! (`AUTHLINGS_STATE_DIR`) so that the kit's own is never touched.

use std::{
    fs,
    path::Path,
    process::{Command, Output, Stdio},
};

use harness::{
    runner, steps,
    student::{grade, state::STATE_DIR_VAR},
    target::Target,
};

fn authlings(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authlings"))
        .args(args)
        .env(STATE_DIR_VAR, state)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("authlings runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn watch_once_grades_the_first_step_and_records_it() {
    let state = tempfile::tempdir().unwrap();
    let output = authlings(state.path(), &["watch", "--once"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "the shipped exercise does not pass:\n{shown}");
    assert!(shown.contains("Step 01: "), "{shown}");
    assert!(
        shown.contains("got:      this part is not written yet: exercises/01-hardcoded/src/"),
        "a todo!() is said plainly:\n{shown}"
    );
    assert!(shown.contains("Next to fix: s01."), "{shown}");
    let progress = fs::read_to_string(state.path().join("progress.toml")).unwrap();
    assert!(
        progress.contains("[steps.\"01\"]") && progress.contains("passed = false"),
        "{progress}"
    );
    assert!(state.path().join("last/01.json").is_file());

    // The list now shows that score, and the hint reads that grading.
    let list = text(&authlings(state.path(), &["list"]));
    assert!(list.lines().any(|l| l.starts_with("01 ") && l.contains("next")), "{list}");
    let hint = authlings(state.path(), &["hint"]);
    let hint_text = text(&hint);
    assert!(hint.status.success(), "{hint_text}");
    assert!(hint_text.starts_with("s01.") && hint_text.contains("read: book/src/"), "{hint_text}");
}

#[test]
fn check_records_the_exercise_only() {
    let state = tempfile::tempdir().unwrap();
    let output =
        authlings(state.path(), &["check", "01", "--cmd", "exit 3", "--start-timeout", "5"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(!state.path().join("progress.toml").exists(), "--cmd is not the student's exercise");

    let output = authlings(state.path(), &["check", "1"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let progress = fs::read_to_string(state.path().join("progress.toml")).unwrap();
    assert!(progress.contains("[steps.\"01\"]"), "{progress}");
}

#[test]
fn the_solution_is_refused_then_shown_after_full_marks() {
    let state = tempfile::tempdir().unwrap();
    let refused = authlings(state.path(), &["solution", "01"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused).contains("opens once your exercise passes every check"),
        "{}",
        text(&refused)
    );

    let max = steps::find("01").unwrap().max_score();
    fs::write(
        state.path().join("progress.toml"),
        format!("[steps.\"01\"]\nbest = {max}\nmax = {max}\npassed = true\n"),
    )
    .unwrap();
    let shown = authlings(state.path(), &["solution", "01"]);
    assert!(shown.status.success(), "{}", text(&shown));
    assert!(text(&shown).contains("==> src/users.rs <=="), "{}", text(&shown));
    let diff = authlings(state.path(), &["solution", "01", "--diff"]);
    assert!(
        text(&diff).contains("+++ reference: solutions/01-hardcoded/src/users.rs"),
        "{}",
        text(&diff)
    );

    let forced = authlings(tempfile::tempdir().unwrap().path(), &["solution", "01", "--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
}

#[test]
fn a_named_hint_needs_no_grading() {
    let state = tempfile::tempdir().unwrap();
    let output = authlings(state.path(), &["hint", "s01.cookie-flags"]);
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains("HttpOnly") && shown.contains("01-hardcoded.md#the-session-cookie"),
        "{shown}"
    );
    assert!(!state.path().join("last/01.json").exists(), "nothing was graded");
    let unknown = authlings(state.path(), &["hint", "01", "no-such-check"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[tokio::test]
async fn a_crate_that_does_not_compile_is_named_with_its_first_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("src")).unwrap();
    fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .unwrap();
    fs::write(dir.path().join("src/main.rs"), "fn main() {\n    let x: u32 = \"text\";\n}\n")
        .unwrap();
    let step = steps::find("01").unwrap();
    let options = runner::Options { echo_build: false, ..runner::Options::default() };
    let report = runner::grade(step, &Target::Path(dir.path().to_path_buf()), &options).await;
    let headline = grade::headline_of(step, &report).expect("the build failed");
    assert!(headline.starts_with("Step 01 (01-hardcoded) does not compile."), "{headline}");
    assert!(headline.contains("The first error is at src/main.rs:2:18"), "{headline}");
}
