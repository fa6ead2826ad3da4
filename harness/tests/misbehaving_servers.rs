//! A server that never listens, exits at once, hangs, does not compile, or
//! leaves children behind gets a readable verdict in bounded time, and
//! nothing it started outlives the grading.

mod common;

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use harness::{report::Status, target::Target};

/// Generous: these tests prove the wait is bounded, not that it is fast.
const BOUND: Duration = Duration::from_secs(60);

/// Processes that are `needle` (`sleep 100000.5`), or a mutant server whose
/// arguments hold `needle` (`--flaw hang`).
fn running(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        // The harness's own command line holds the marker as an argument:
        // only the program itself counts.
        let program_matches = cmdline.starts_with(needle)
            || (cmdline.split(' ').next().is_some_and(|p| p.ends_with("/mutant"))
                && cmdline.contains(needle));
        if program_matches {
            found.push(format!("{}: {cmdline}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

/// Grades `flaw` of the mutant with a child `sleep` left in its group, and
/// returns the verdict of `s01.starts` after checking that nothing is left.
async fn grade_flaw(flaw: &str) -> (Status, String) {
    let mutant = common::mutant().await.display().to_string();
    let marker = format!("{}.{}", 100_000, std::process::id() as u64 * 10 + flaw.len() as u64);
    let target = Target::Cmd(format!("sleep {marker} & exec '{mutant}' 01 --flaw {flaw}"));
    let mut options = common::quiet();
    options.ready_within = Duration::from_secs(3);
    let started = Instant::now();
    let report = common::grade("01", target, &options).await;
    assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
    let left: Vec<String> = running(&format!("sleep {marker}"))
        .into_iter()
        .chain(running(&format!("--flaw {flaw} ")))
        .collect();
    assert!(left.is_empty(), "left running: {left:?}");
    let starts = &report.results[0];
    assert!(
        report.results[1..].iter().all(|r| r.status == Status::Skip),
        "{}",
        common::explain(&report)
    );
    (starts.status, format!("{}\n{}", starts.message(), report.log))
}

#[tokio::test]
async fn a_server_that_never_listens_is_failed_with_the_reason() {
    let (status, message) = grade_flaw("never-listen").await;
    assert_eq!(status, Status::Fail);
    assert!(message.contains("did not answer GET / within 3 s"), "{message}");
    assert!(message.contains("nothing listens"), "{message}");
}

#[tokio::test]
async fn a_server_that_exits_at_once_is_failed_with_its_last_words() {
    let (status, message) = grade_flaw("exit-at-once").await;
    assert_eq!(status, Status::Fail);
    assert!(message.contains("exited (exit status 3)"), "{message}");
}

#[tokio::test]
async fn a_server_that_hangs_is_failed_in_bounded_time() {
    let (status, message) = grade_flaw("hang").await;
    assert_eq!(status, Status::Fail);
    assert!(message.contains("no answer within 2 s"), "{message}");
}

#[tokio::test]
async fn a_crate_that_does_not_compile_shows_the_compiler_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2024\"\n[workspace]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), "fn main() { let port: u16 = \"5000\"; }\n")
        .unwrap();
    let mut options = common::quiet();
    options.ready_within = Duration::from_secs(3);
    let report = common::grade("01", Target::Path(dir.path().to_path_buf()), &options).await;
    let message = report.results[0].message();
    assert_eq!(report.results[0].status, Status::Fail);
    assert!(message.contains("does not compile"), "{message}");
    assert!(message.contains("mismatched types"), "{message}");
    assert!(message.contains("src/main.rs"), "{message}");
}

#[tokio::test]
async fn ctrl_c_stops_the_harness_and_every_server_it_started() {
    let mutant = common::mutant().await.display().to_string();
    let marker = format!("100001.{}", std::process::id());
    let authlings = Path::new(env!("CARGO_BIN_EXE_authlings"));
    let mut harness = tokio::process::Command::new(authlings)
        .args(["check", "01", "--start-timeout", "50", "--cmd"])
        .arg(format!("sleep {marker} & exec '{mutant}' 01 --flaw never-listen"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the server is up (its child sleep is there), then interrupt.
    let deadline = Instant::now() + BOUND;
    while running(&format!("sleep {marker}")).is_empty() {
        assert!(Instant::now() < deadline, "the server never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = harness.id().unwrap() as i32;
    // SAFETY: plain kill(2) of our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let status =
        tokio::time::timeout(BOUND, harness.wait()).await.expect("the harness exits").unwrap();
    assert_eq!(status.code(), Some(130));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left = running(&format!("sleep {marker}"));
    assert!(left.is_empty(), "left running: {left:?}");
}

#[tokio::test]
async fn a_server_that_crashes_is_restarted_and_grading_goes_on() {
    let target = common::mutant_cmd("01", "crash-on-cabinet").await;
    let report = common::grade("01", target, &common::quiet()).await;
    let status = |id: &str| report.results.iter().find(|r| r.id == id).map(|r| r.status);
    assert_eq!(status("s01.cabinet-anonymous"), Some(Status::Fail), "{}", common::explain(&report));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("exited (exit status 101) during s01.cabinet-anonymous")),
        "{:?}",
        report.notes
    );
    // Checks before the crash were graded normally, and so were those after
    // the restarts.
    assert_eq!(status("s01.login-success"), Some(Status::Pass));
    assert_eq!(status("s01.cabinet-signed-in"), Some(Status::Fail));
    assert_eq!(status("s01.me-signed-in"), Some(Status::Pass), "{}", common::explain(&report));
    assert_eq!(status("s01.next-refused"), Some(Status::Pass));
    assert!(running("--flaw crash-on-cabinet ").is_empty());
}

#[tokio::test]
async fn a_server_that_stops_answering_is_given_up_on_in_bounded_time() {
    let target = common::mutant_cmd("01", "hang-after-start").await;
    let started = Instant::now();
    let report = common::grade("01", target, &common::quiet()).await;
    assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
    let static_files = report.results.iter().find(|r| r.id == "s01.static-files").unwrap();
    assert_eq!(static_files.status, Status::Fail);
    assert!(static_files.message().contains("no answer within 5 s"), "{}", static_files.message());
    let gave_up = report.results.iter().filter(|r| r.status == Status::Error).count();
    assert!(gave_up > 0, "{}", common::explain(&report));
    assert!(report.results.iter().any(|r| r.message().contains("stopped answering")));
    assert!(running("--flaw hang-after-start ").is_empty());
}
