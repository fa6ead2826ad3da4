//! `authlings bundle <step>`: a Gradescope autograder for one step.
//!
//! Gradescope builds an image (Ubuntu, with network, as root) by running
//! `setup.sh` from the uploaded zip, then runs `run_autograder` in a fresh
//! container for every submission, with the student's files in
//! `/autograder/submission`, and reads `/autograder/results/results.json`.
//! The bundle carries the instructor's kit (the checks, fixtures and
//! solutions it grades with), a `setup.sh` that installs Rust, builds the
//! grader and fills the build cache once, and a `run_autograder` that
//! grades the submission with `authlings grade`, as an instructor would on
//! their own machine.

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
};

use super::mirror;
use crate::steps::Step;

/// How long Gradescope's grading of one submission may take, build included.
const TIMEOUT_SECS: u64 = 300;

pub fn command(step: &Step, kit_root: &Path, out: &Path) -> ExitCode {
    match write(step, kit_root, out) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the bundle's files into `out`, and `autograder.zip` if `zip` is
/// installed. Returns what it wrote.
pub fn write(step: &Step, kit_root: &Path, out: &Path) -> Result<Vec<PathBuf>, String> {
    let say = |what: &Path, e: std::io::Error| format!("cannot write {}: {e}", what.display());
    fs::create_dir_all(out).map_err(|e| say(out, e))?;
    let kit = out.join("kit");
    mirror::mirror_kit(kit_root, &kit).map_err(|e| say(&kit, e))?;
    let toolchain = toolchain();
    let scripts =
        [("setup.sh", setup_sh(step, &toolchain)), ("run_autograder", run_autograder(step))];
    let mut written = Vec::new();
    for (name, text) in scripts {
        let path = out.join(name);
        fs::write(&path, text).map_err(|e| say(&path, e))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(|e| say(&path, e))?;
        written.push(path);
    }
    written.push(kit);
    match zip(out) {
        Ok(path) => written.push(path),
        Err(why) => eprintln!(
            "note: no autograder.zip ({why}); zip the files, not the folder: \
             cd {} && zip -r autograder.zip setup.sh run_autograder kit",
            out.display()
        ),
    }
    Ok(written)
}

/// The version of the Rust this kit is built with here (`1.95.0`), so the
/// image compiles with the same one; `stable` if it cannot be told.
fn toolchain() -> String {
    let output = Command::new("rustc").arg("--version").stderr(Stdio::null()).output();
    let text = output.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    text.split_whitespace()
        .nth(1)
        .filter(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.contains('.'))
        .map_or_else(|| "stable".to_owned(), str::to_owned)
}

/// `setup.sh`: runs once, when Gradescope builds the image.
pub fn setup_sh(step: &Step, toolchain: &str) -> String {
    format!(
        r#"#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu, with network). It installs Rust {toolchain}, builds the grader, and
# grades the kit's own exercise of step {step} once, so that the class build
# cache holds every dependency: a submission then compiles only its own crate.
set -euo pipefail
TOOLCHAIN="{toolchain}"
KIT=/autograder/source/kit
export DEBIAN_FRONTEND=noninteractive
export PATH="$HOME/.cargo/bin:$PATH"

apt-get update -q
apt-get install -y -q --no-install-recommends build-essential ca-certificates curl

# Rust: one already there, else rustup-init if the image has it, else the
# system's rustup package (Ubuntu 24.04 and later), else rustup's installer.
if ! command -v cargo >/dev/null 2>&1; then
  if command -v rustup-init >/dev/null 2>&1; then
    rustup-init -y --profile minimal --default-toolchain "$TOOLCHAIN"
  elif apt-get install -y -q --no-install-recommends rustup >/dev/null 2>&1; then
    rustup default "$TOOLCHAIN"
  else
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
      | sh -s -- -y --profile minimal --default-toolchain "$TOOLCHAIN"
  fi
fi
cargo --version

cd "$KIT"
cargo build --locked -p harness
# Fill the build cache (target/authlings-class) with the step's dependencies.
./target/debug/authlings grade {step} "$KIT" --out /tmp/authlings-warm-up --jobs 1 \
  || echo "the warm-up grading failed; submissions will compile the dependencies themselves"
rm -rf /tmp/authlings-warm-up
"#,
        step = step.id,
    )
}

/// `run_autograder`: runs for every submission.
pub fn run_autograder(step: &Step) -> String {
    format!(
        r#"#!/usr/bin/env bash
# Gradescope runs this for every submission, in a fresh container made from
# the image setup.sh built, with the student's files in /autograder/submission:
# their copy of the kit (a repository), or only exercises/{folder}/.
# Only the step's exercise is taken from it; the checks, fixtures and
# solutions are the instructor's, in /autograder/source/kit.
set -uo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
# Gradescope's folders; both can be moved to try this script elsewhere.
AUTOGRADER="${{AUTOGRADER:-/autograder}}"
KIT="$AUTOGRADER/source/kit"
AUTHLINGS="${{AUTHLINGS:-$KIT/target/debug/authlings}}"
OUT=$(mktemp -d)
mkdir -p "$AUTOGRADER/results"

cd "$KIT"
"$AUTHLINGS" grade {step} "$AUTOGRADER/submission" --out "$OUT" --jobs 1 --timeout {timeout}

if [ -f "$OUT/gradescope/submission/results.json" ]; then
  cp "$OUT/gradescope/submission/results.json" "$AUTOGRADER/results/results.json"
else
  cat > "$AUTOGRADER/results/results.json" <<'JSON'
{{"score": 0, "output": "The grader could not run; your instructor can read why in the autograder's output.", "tests": []}}
JSON
fi
rm -rf "$OUT"
"#,
        step = step.id,
        folder = step.folder,
        timeout = TIMEOUT_SECS,
    )
}

/// `zip -r autograder.zip setup.sh run_autograder kit` in `out`, so that
/// the two scripts are at the zip's root, as Gradescope wants.
fn zip(out: &Path) -> Result<PathBuf, String> {
    let path = out.join("autograder.zip");
    let _ = fs::remove_file(&path);
    let status = Command::new("zip")
        .current_dir(out)
        .args(["-q", "-r", "-X", "autograder.zip", "setup.sh", "run_autograder", "kit"])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run zip: {e}"))?;
    if status.success() { Ok(path) } else { Err(format!("zip failed ({status})")) }
}
