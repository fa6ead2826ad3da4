//! Ctrl-C during `authlings grade` stops the run at once and leaves no
//! process behind: not the server being graded, nor what it started.

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use harness::{
    class::samples::{self, Kind},
    kit_root::kit_root,
    steps,
};

/// Long enough for a first build of the class cache on two cores.
const BOUND: Duration = Duration::from_secs(400);

/// Processes whose command line starts with `prefix`.
fn running(prefix: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.starts_with(prefix).then(|| format!("{:?}: {cmdline}", entry.file_name()))
        })
        .collect()
}

#[tokio::test]
async fn ctrl_c_stops_the_run_and_every_process_it_started() {
    let work = tempfile::tempdir().unwrap();
    let marker = format!("300000.{}", std::process::id());
    let step = steps::find("01").unwrap();
    let submission = work.path().join("hangs");
    samples::write(Kind::Hangs, step, &kit_root(), &submission, 1, &marker).unwrap();
    let authlings = Path::new(env!("CARGO_BIN_EXE_authlings"));
    let mut grading = tokio::process::Command::new(authlings)
        .args(["grade", "01", "--timeout", "300", "--out"])
        .arg(work.path().join("out"))
        .arg(&submission)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = grading.id().unwrap();
    // The server is up when its child is.
    let deadline = Instant::now() + BOUND;
    while running(&format!("sleep {marker}")).is_empty() {
        assert!(Instant::now() < deadline, "the hanging server never started");
        assert!(grading.try_wait().unwrap().is_none(), "the grading ended on its own");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let binaries = format!(
        "{}/runs/run-{pid}-",
        harness::class::build_cache::BuildCache::default_dir(&kit_root()).display()
    );
    assert!(!running(&binaries).is_empty(), "the server is not run from {binaries}");
    // SAFETY: plain kill(2) of our own child.
    unsafe { libc::kill(pid as i32, libc::SIGINT) };
    let status = tokio::time::timeout(Duration::from_secs(20), grading.wait())
        .await
        .expect("the grader exits soon after Ctrl-C")
        .unwrap();
    assert_eq!(status.code(), Some(130));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left: Vec<String> =
        running(&format!("sleep {marker}")).into_iter().chain(running(&binaries)).collect();
    assert!(left.is_empty(), "left running: {left:?}");
}
