//! Noticing saves in a step's folder: the file system's own events
//! (notify), debounced, with a slow poll of modification times behind them
//! that catches the saves a file system never reports (network and
//! virtual-machine shares, some containers). After one such miss the
//! watcher says so and trusts the poll alone.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use notify::{
    EventKind, RecursiveMode, Watcher as _,
    event::{AccessKind, AccessMode, ModifyKind},
};
use tokio::{
    sync::mpsc,
    time::{Instant, MissedTickBehavior, interval, sleep_until},
};

/// Quiet time after the last event before a save counts: editors write a
/// file in several steps (truncate, write, rename, touch).
pub const DEBOUNCE: Duration = Duration::from_millis(300);
/// How often modification times are compared.
pub const POLL: Duration = Duration::from_secs(1);
/// How long a change seen by the poll may go unreported before the
/// file system's events are taken to be missing.
pub const MISSED_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    /// Files saved, as reported by the file system (relative to the folder).
    Saved(Vec<PathBuf>),
    /// Files changed that no event reported: only the poll saw them.
    Missed(Vec<PathBuf>),
}

type Snapshot = BTreeMap<PathBuf, (SystemTime, u64)>;
type Events = mpsc::UnboundedReceiver<notify::Result<notify::Event>>;

enum Source {
    Notify(#[allow(dead_code)] notify::RecommendedWatcher),
    Deaf(#[allow(dead_code)] mpsc::UnboundedSender<notify::Result<notify::Event>>),
}

pub struct Watcher {
    dir: PathBuf,
    events: Events,
    // Kept alive for as long as we watch: the watcher, or when deaf the
    // channel's sender, so that the channel stays open and silent.
    _source: Source,
    /// See [`MISSED_AFTER`]; shorter in tests.
    pub missed_after: Duration,
    pending: Vec<PathBuf>,
    quiet_at: Option<Instant>,
    poll: tokio::time::Interval,
    known: Snapshot,
    unseen_since: Option<Instant>,
    /// Events were found missing once: go by the poll alone.
    polling_only: bool,
    events_open: bool,
}

impl Watcher {
    /// Watches `dir` and everything under it.
    pub fn start(dir: &Path) -> notify::Result<Self> {
        let dir = dir.canonicalize().map_err(notify::Error::io)?;
        let (sender, events) = mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(event);
        })?;
        watcher.watch(&dir, RecursiveMode::Recursive)?;
        Ok(Self::new(dir, events, Source::Notify(watcher)))
    }

    /// A watcher that hears no events, as on a file system that reports
    /// none: only the poll sees saves. For tests of that case.
    pub fn deaf(dir: &Path) -> std::io::Result<Self> {
        let (sender, events) = mpsc::unbounded_channel();
        Ok(Self::new(dir.canonicalize()?, events, Source::Deaf(sender)))
    }

    fn new(dir: PathBuf, events: Events, source: Source) -> Self {
        let mut poll = interval(POLL);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let known = snapshot(&dir);
        Self {
            dir,
            events,
            _source: source,
            missed_after: MISSED_AFTER,
            pending: Vec::new(),
            quiet_at: None,
            poll,
            known,
            unseen_since: None,
            polling_only: false,
            events_open: true,
        }
    }

    /// The next save. Cancel-safe: what was seen before a cancelled call
    /// is kept for the next one.
    pub async fn next(&mut self) -> Change {
        loop {
            let quiet_at = self.quiet_at;
            tokio::select! {
                event = self.events.recv(), if self.events_open => match event {
                    Some(Ok(event)) => self.take(event),
                    // A watcher error (an overflowed queue) may hide a
                    // save: grade again to be sure.
                    Some(Err(_)) => self.quiet_at = Some(Instant::now() + DEBOUNCE),
                    // The watcher is gone: the poll goes on alone.
                    None => {
                        self.events_open = false;
                        self.polling_only = true;
                    }
                },
                _ = sleep_until(quiet_at.unwrap_or_else(Instant::now)), if quiet_at.is_some() => {
                    self.quiet_at = None;
                    self.known = snapshot(&self.dir);
                    self.unseen_since = None;
                    let mut saved = std::mem::take(&mut self.pending);
                    saved.sort();
                    saved.dedup();
                    return Change::Saved(saved);
                }
                _ = self.poll.tick() => {
                    if let Some(missed) = self.poll_once() {
                        return missed;
                    }
                }
            }
        }
    }

    fn take(&mut self, event: notify::Event) {
        if !counts(&event.kind) || self.polling_only {
            return;
        }
        let relevant: Vec<PathBuf> = event
            .paths
            .iter()
            .filter_map(|path| path.strip_prefix(&self.dir).ok())
            .filter(|relative| is_source(relative))
            .map(Path::to_path_buf)
            .collect();
        if !relevant.is_empty() {
            self.pending.extend(relevant);
            self.quiet_at = Some(Instant::now() + DEBOUNCE);
        }
    }

    fn poll_once(&mut self) -> Option<Change> {
        let now = snapshot(&self.dir);
        if now == self.known {
            self.unseen_since = None;
            return None;
        }
        let waited = self.unseen_since.get_or_insert_with(Instant::now).elapsed();
        if self.quiet_at.is_some() || (!self.polling_only && waited < self.missed_after) {
            return None;
        }
        let changed = difference(&self.known, &now);
        self.known = now;
        self.unseen_since = None;
        let first_miss = !self.polling_only;
        self.polling_only = true;
        Some(if first_miss { Change::Missed(changed) } else { Change::Saved(changed) })
    }
}

/// Event kinds that can mean new contents: not opening or reading a file,
/// and not its access time changing (a build reads every source).
fn counts(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Any => true,
        EventKind::Access(_) | EventKind::Other => false,
    }
}

/// Whether a path under the step's folder is the student's source, not
/// build output, a hidden file or an editor's scratch file.
pub fn is_source(relative: &Path) -> bool {
    let hidden_or_built = relative.components().any(|part| {
        let part = part.as_os_str().to_string_lossy();
        part.starts_with('.') || part == "target"
    });
    let name = relative.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let scratch = name.ends_with('~')
        || name == "4913"
        || name.starts_with("#")
        || [".swp", ".swx", ".swo", ".tmp", ".bak", ".orig"].iter().any(|end| name.ends_with(end));
    !name.is_empty() && !hidden_or_built && !scratch
}

/// Modification time and length of every source file under `dir`.
fn snapshot(dir: &Path) -> Snapshot {
    let mut files = Snapshot::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(relative) = path.strip_prefix(dir) else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if !relative.components().any(|c| {
                    let c = c.as_os_str().to_string_lossy();
                    c.starts_with('.') || c == "target"
                }) {
                    pending.push(path);
                }
            } else if is_source(relative) {
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                files.insert(relative.to_path_buf(), (modified, meta.len()));
            }
        }
    }
    files
}

fn difference(before: &Snapshot, after: &Snapshot) -> Vec<PathBuf> {
    let mut changed: Vec<PathBuf> = after
        .iter()
        .filter(|(path, stamp)| before.get(*path) != Some(stamp))
        .map(|(path, _)| path.clone())
        .collect();
    changed.extend(before.keys().filter(|path| !after.contains_key(*path)).cloned());
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_told_from_scratch_and_build_files() {
        for source in ["src/lib.rs", "Cargo.toml", "templates/home.html", "src/routes/me.rs"] {
            assert!(is_source(Path::new(source)), "{source}");
        }
        for other in [
            "target/debug/x",
            ".git/index",
            "src/.lib.rs.swp",
            "src/lib.rs~",
            "4913",
            "src/#lib.rs#",
            "src/lib.rs.tmp",
        ] {
            assert!(!is_source(Path::new(other)), "{other}");
        }
    }
}
