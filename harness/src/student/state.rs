//! Where the student's state lives: `.authlings/` at the kit's root
//! (git-ignored, never inside a step crate), or `$AUTHLINGS_STATE_DIR`.
//!
//! ```text
//! .authlings/progress.toml        each step's best score (see `progress`)
//! .authlings/last/01.json         step 01's last graded report
//! .authlings/backups/01-<time>/   the work `reset 01` put aside
//! ```

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use super::{
    clock,
    progress::{LastResult, Progress},
};
use crate::report::Report;

/// The environment variable that moves the state folder elsewhere.
pub const STATE_DIR_VAR: &str = "AUTHLINGS_STATE_DIR";

#[derive(Clone, Debug)]
pub struct State {
    pub dir: PathBuf,
    /// How to name the folder to the student: `.authlings` or a full path.
    shown: String,
}

impl State {
    /// The kit's state folder, or the one `$AUTHLINGS_STATE_DIR` names.
    pub fn of_kit(kit_root: &Path) -> Self {
        match std::env::var_os(STATE_DIR_VAR) {
            Some(dir) if !dir.is_empty() => Self::at(PathBuf::from(dir)),
            _ => Self { dir: kit_root.join(".authlings"), shown: ".authlings".into() },
        }
    }

    pub fn at(dir: PathBuf) -> Self {
        let shown = dir.display().to_string();
        Self { dir, shown }
    }

    pub fn progress_file(&self) -> PathBuf {
        self.dir.join("progress.toml")
    }

    pub fn last_file(&self, step: &str) -> PathBuf {
        self.dir.join("last").join(format!("{step}.json"))
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.dir.join("backups")
    }

    /// `path` (inside the state folder) as the student should read it.
    pub fn show(&self, path: &Path) -> String {
        match path.strip_prefix(&self.dir) {
            Ok(rest) => format!("{}/{}", self.shown, rest.display()),
            Err(_) => path.display().to_string(),
        }
    }

    /// The progress so far. A missing file is no progress; a file that
    /// does not parse is reported on stderr and read as no progress (the
    /// next grading writes it anew).
    pub fn progress(&self) -> Progress {
        let path = self.progress_file();
        let Ok(text) = fs::read_to_string(&path) else {
            return Progress::default();
        };
        Progress::parse(&text).unwrap_or_else(|error| {
            eprintln!(
                "warning: {} does not read as progress ({error}); ignoring it",
                self.show(&path)
            );
            Progress::default()
        })
    }

    /// Records a grading of the student's exercise: the progress file and
    /// the step's last report. Returns the progress as it now stands.
    pub fn record(&self, report: &Report) -> io::Result<Progress> {
        let graded = clock::rfc3339(clock::now());
        let mut progress = self.progress();
        progress.record(report, &graded);
        write_atomically(&self.progress_file(), progress.render().as_bytes())?;
        let last = serde_json::to_string_pretty(&LastResult::json(report, &graded))
            .expect("a JSON value serialises");
        write_atomically(&self.last_file(report.step), last.as_bytes())?;
        Ok(progress)
    }

    /// The step's last graded report, if there is one that reads.
    pub fn last(&self, step: &str) -> Option<LastResult> {
        let text = fs::read_to_string(self.last_file(step)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Forgets the step's last report (its code changed under it).
    pub fn forget_last(&self, step: &str) {
        let _ = fs::remove_file(self.last_file(step));
    }
}

/// Writes `path` through a temporary file and a rename, so a reader never
/// sees half a file.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    io::Write::write_all(&mut temporary, contents)?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}
