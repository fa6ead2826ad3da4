//! One build cache for a whole class, so that dependencies compile once.
//!
//! The cache folder holds a throwaway copy of the instructor's kit (`kit/`,
//! kept in step with it by [`mirror`]) and one cargo target folder
//! (`target/`). A submission is built by writing its exercise into the
//! step's folder of that copy, building that one package, and copying the
//! binary out before anything else is built there: every submission's
//! crate has the same name and path, so the next build overwrites it.
//! Because the path never changes, cargo's fingerprints and incremental
//! caches of everything else stay valid from one student to the next, and
//! a student's crate rebuilds in a second or two.
//!
//! Builds take turns (a lock file, so two `authlings grade` on one cache
//! wait for each other too). cargo runs in its own process group, known to
//! the Ctrl-C handler, with an environment cleared to what a build needs,
//! and `--locked`: a submission cannot add or change dependencies.

use std::{
    fs, io,
    os::fd::AsRawFd,
    path::{Path, PathBuf},
    time::Duration,
};

use tokio::process::Command;

use super::{mirror, submission::Snapshot};
use crate::{
    compile::{self, BuildFailure, Built},
    server::process_group,
    steps::Step,
};

/// The environment a build keeps; everything else is cleared.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

pub struct BuildCache {
    dir: PathBuf,
    /// The build kit: the instructor's kit, mirrored.
    kit: PathBuf,
    target: PathBuf,
    /// The instructor's kit.
    source: PathBuf,
}

/// Why a build gave no binary.
#[derive(Debug)]
pub enum BuildError {
    Failed(BuildFailure),
    TimedOut(Duration),
}

impl BuildCache {
    /// `target/authlings-class` in the instructor's kit: kept between runs,
    /// removed by `cargo clean`.
    pub fn default_dir(kit_root: &Path) -> PathBuf {
        kit_root.join("target/authlings-class")
    }

    /// Opens (or makes) the cache at `dir` for the kit at `source`, and
    /// brings its copy of the kit up to date.
    pub async fn open(dir: &Path, source: &Path) -> Result<BuildCache, String> {
        let say = |what: &str, e: io::Error| format!("{what} {}: {e}", dir.display());
        fs::create_dir_all(dir.join("runs")).map_err(|e| say("cannot make the build cache", e))?;
        let dir = dir.canonicalize().map_err(|e| say("cannot find", e))?;
        let cache = BuildCache {
            kit: dir.join("kit"),
            target: dir.join("target"),
            source: source.to_path_buf(),
            dir,
        };
        let _lock = cache.lock().await.map_err(|e| say("cannot lock the build cache", e))?;
        mirror::mirror_kit(&cache.source, &cache.kit)
            .map_err(|e| format!("cannot copy the kit into {}: {e}", cache.kit.display()))?;
        remove_stale_runs(&cache.dir.join("runs"));
        Ok(cache)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A folder for one run's binaries and working folders, removed when
    /// dropped (and, if the run was killed, by the next run).
    pub fn run_dir(&self) -> io::Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix(&format!("run-{}-", std::process::id()))
            .tempdir_in(self.dir.join("runs"))
    }

    /// Builds the step's exercise as the kit ships it, and with it every
    /// dependency of the step, so that no submission's time limit pays for
    /// compiling them. Quick when they are built already.
    pub async fn prepare(&self, step: &Step) -> Result<(), BuildFailure> {
        let failed = |summary: String| BuildFailure { summary, diagnostics: String::new() };
        let _lock = self.lock().await.map_err(|e| failed(format!("cannot lock the cache: {e}")))?;
        let exercises = self.kit.join("exercises");
        mirror::mirror(&self.source.join("exercises"), &exercises)
            .map_err(|e| failed(format!("cannot copy the exercises into the cache: {e}")))?;
        let manifest = exercises.join(step.folder).join("Cargo.toml");
        let manifest = manifest.canonicalize().map_err(|e| failed(format!("{e}")))?;
        self.cargo(&manifest).await.map(drop)
    }

    /// Builds `exercise` as the step's crate and copies its binary to
    /// `binary`. Waiting for the cache does not count towards `within`.
    pub async fn build(
        &self,
        step: &Step,
        exercise: &Snapshot,
        within: Duration,
        binary: &Path,
    ) -> Result<(), BuildError> {
        let failed = |summary: String| {
            BuildError::Failed(BuildFailure { summary, diagnostics: String::new() })
        };
        let _lock = self.lock().await.map_err(|e| failed(format!("cannot lock the cache: {e}")))?;
        let exercises = self.kit.join("exercises");
        let slot = exercises.join(step.folder);
        // Every other exercise as shipped, in case a run was killed midway:
        // cargo reads every member's manifest.
        mirror::mirror(&self.source.join("exercises"), &exercises)
            .and_then(|()| exercise.write_to(&slot))
            .map_err(|e| failed(format!("cannot copy the exercise into the cache: {e}")))?;
        let built = tokio::time::timeout(within, self.build_slot(&slot, exercise)).await;
        // Put the shipped exercise back, so that a broken Cargo.toml does
        // not stop the next build from reading the workspace.
        let _ = mirror::mirror(&self.source.join("exercises").join(step.folder), &slot);
        let executable = match built {
            Err(_) => return Err(BuildError::TimedOut(within)),
            Ok(result) => result.map_err(BuildError::Failed)?,
        };
        fs::copy(&executable, binary)
            .map(drop)
            .map_err(|e| failed(format!("cannot copy {}: {e}", executable.display())))
    }

    async fn build_slot(&self, slot: &Path, exercise: &Snapshot) -> Result<PathBuf, BuildFailure> {
        let manifest = slot.join("Cargo.toml").canonicalize().map_err(|e| BuildFailure {
            summary: format!("the exercise has no Cargo.toml: {e}"),
            diagnostics: String::new(),
        })?;
        let built = self.cargo(&manifest).await?;
        if !built.fresh {
            return Ok(built.executable);
        }
        // Every file was just written, so cargo should have rebuilt; if its
        // clock says otherwise, make sure rather than grade an old binary.
        exercise.touch(slot).map_err(|e| BuildFailure {
            summary: format!("cannot touch the exercise's files: {e}"),
            diagnostics: String::new(),
        })?;
        match self.cargo(&manifest).await? {
            Built { fresh: false, executable } => Ok(executable),
            Built { fresh: true, .. } => Err(BuildFailure {
                summary: "cargo took the crate as already built; not grading an old binary".into(),
                diagnostics: String::new(),
            }),
        }
    }

    /// `cargo build` of the package at `manifest`, in the build kit.
    async fn cargo(&self, manifest: &Path) -> Result<Built, BuildFailure> {
        let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(program);
        command
            .current_dir(&self.kit)
            .args(["build", "--locked", "--message-format", "json", "--manifest-path"])
            .arg(manifest)
            .env_clear()
            .envs(KEPT_ENV.iter().filter_map(|k| Some((k, std::env::var_os(k)?))))
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_TERM_COLOR", "never");
        process_group::die_with_parent(&mut command);
        compile::run(command, manifest, "the exercise", false).await
    }

    /// Waits for the cache's lock without blocking the other tasks.
    async fn lock(&self) -> io::Result<Lock> {
        let file = fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("lock"))?;
        loop {
            // SAFETY: flock(2) on a descriptor we own; no memory is shared.
            let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if locked == 0 {
                return Ok(Lock(file));
            }
            let error = io::Error::last_os_error();
            if error.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(error);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The cache's lock, released when the file is closed.
struct Lock(#[allow(dead_code)] fs::File);

/// Removes the run folders of runs whose process is gone (killed runs).
fn remove_stale_runs(runs: &Path) {
    let Ok(entries) = fs::read_dir(runs) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix("run-").and_then(|rest| rest.split('-').next());
        if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok())
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
