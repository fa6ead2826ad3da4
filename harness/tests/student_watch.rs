//! Noticing saves: the file system's events in a temporary folder, and the
//! poll that stands in for them where a file system reports nothing. The
//! time limits are generous ceilings, not measurements.

use std::{fs, path::PathBuf, time::Duration};

use harness::student::files::{Change, Watcher};
use tokio::time::timeout;

const CEILING: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_save_is_reported_once_debounced() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("src/lib.rs"), "// before\n").unwrap();
    let mut watcher = Watcher::start(dir.path()).unwrap();

    // An editor's save: several writes, a scratch file, a build folder.
    fs::write(dir.path().join("src/.lib.rs.swp"), "scratch").unwrap();
    fs::write(dir.path().join("src/lib.rs"), "// after\n").unwrap();
    fs::write(dir.path().join("src/lib.rs"), "// after, saved twice\n").unwrap();
    fs::create_dir_all(dir.path().join("target")).unwrap();
    fs::write(dir.path().join("target/output"), "built").unwrap();

    let change = timeout(CEILING, watcher.next()).await.expect("the save is reported");
    assert_eq!(change, Change::Saved(vec![PathBuf::from("src/lib.rs")]));
}

#[tokio::test]
async fn a_save_no_event_reports_is_found_by_the_poll() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("main.rs"), "fn main() {}\n").unwrap();
    let mut watcher = Watcher::deaf(dir.path()).unwrap();
    watcher.missed_after = Duration::from_millis(200);

    fs::write(dir.path().join("main.rs"), "fn main() { println!(); }\n").unwrap();
    let change = timeout(CEILING, watcher.next()).await.expect("the poll sees the save");
    assert_eq!(change, Change::Missed(vec![PathBuf::from("main.rs")]), "the first one is a miss");

    // From then on the poll alone reports saves, as saves.
    fs::write(dir.path().join("other.rs"), "// new\n").unwrap();
    let change = timeout(CEILING, watcher.next()).await.expect("the poll sees the next save");
    assert_eq!(change, Change::Saved(vec![PathBuf::from("other.rs")]));
}
