//! Building a step crate with cargo, showing its progress and errors as
//! cargo shows them, and finding the binary it made.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::Stdio,
};

use serde::Deserialize;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    process::Command,
};

/// A build that did not give a binary.
#[derive(Debug)]
pub struct BuildFailure {
    /// One line: what did not build.
    pub summary: String,
    /// The compiler's errors, rendered as cargo renders them.
    pub diagnostics: String,
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    manifest_path: Option<PathBuf>,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    fresh: bool,
    #[serde(default)]
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

/// What one `cargo build` made.
pub struct Built {
    pub executable: PathBuf,
    /// cargo did not compile it: it took the output as up to date.
    pub fresh: bool,
}

/// How much of the compiler's errors a report keeps; a build that prints
/// more (a runaway build script) cannot fill the grader's memory.
const MAX_DIAGNOSTICS: usize = 32 * 1024;

/// Runs `cargo build` for the package whose manifest is `manifest` and
/// returns its binary. With `echo`, cargo's progress and every diagnostic
/// reach our stderr as they happen.
pub async fn build(manifest: &Path, echo: bool) -> Result<PathBuf, BuildFailure> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let colour = echo && std::io::stderr().is_terminal();
    let format = if colour { "json-diagnostic-rendered-ansi" } else { "json" };
    let mut command = Command::new(cargo);
    command
        .args(["build", "--message-format", format, "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TERM_COLOR", if colour { "always" } else { "never" });
    let what = manifest.display().to_string();
    run(command, manifest, &what, echo).await.map(|built| built.executable)
}

/// Runs a `cargo build --message-format json... --manifest-path <manifest>`
/// that the caller set up (program, arguments, environment), in a process
/// group of its own, and reads cargo's messages for the binary and the
/// errors. `what` names the crate in a failure's summary; with `echo`,
/// cargo's stderr and every diagnostic reach ours as they happen.
pub async fn run(
    mut command: Command,
    manifest: &Path,
    what: &str,
    echo: bool,
) -> Result<Built, BuildFailure> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if echo { Stdio::inherit() } else { Stdio::piped() })
        .kill_on_drop(true)
        // Its own group, so that a cancelled build (a new save in the
        // loop, Ctrl-C, a class's time limit) stops the compilers too.
        .process_group(0)
        .spawn()
        .map_err(|e| BuildFailure {
            summary: format!("cannot run cargo: {e}"),
            diagnostics: String::new(),
        })?;
    let _group = BuildGroup::new(child.id());

    // Cargo's own errors (a broken Cargo.toml) only reach stderr. Read it to
    // the end (a full pipe would stop cargo) and keep the start.
    let stderr_text = child.stderr.take().map(|mut stderr| {
        tokio::spawn(async move {
            let (mut kept, mut buffer) = (Vec::new(), vec![0; 8192]);
            while let Ok(n @ 1..) = stderr.read(&mut buffer).await {
                let room = MAX_DIAGNOSTICS.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buffer[..room]);
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    });
    let mut built = None;
    let mut diagnostics = String::new();
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(message) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        match message.reason.as_str() {
            "compiler-artifact" if message.manifest_path.as_deref() == Some(manifest) => {
                if let Some(executable) = message.executable {
                    built = Some(Built { executable, fresh: message.fresh });
                }
            }
            "compiler-message" => {
                let Some(diagnostic) = message.message else {
                    continue;
                };
                let rendered = diagnostic.rendered.unwrap_or_default();
                if echo {
                    eprint!("{rendered}");
                }
                if diagnostic.level == "error" && diagnostics.len() < MAX_DIAGNOSTICS {
                    diagnostics.push_str(&crate::text::strip_ansi(&rendered));
                }
            }
            _ => {}
        }
    }
    let status = child.wait().await;
    let cargo_stderr = match stderr_text {
        Some(task) => task.await.unwrap_or_default(),
        None => String::new(),
    };
    if diagnostics.len() > MAX_DIAGNOSTICS {
        let mut end = MAX_DIAGNOSTICS;
        while !diagnostics.is_char_boundary(end) {
            end -= 1;
        }
        diagnostics.truncate(end);
        diagnostics.push_str("\n[... more errors left out]\n");
    }
    match (status, built) {
        (Ok(status), Some(built)) if status.success() => Ok(built),
        (Ok(status), None) if status.success() => {
            Err(BuildFailure { summary: format!("{what} has no binary to run"), diagnostics })
        }
        _ => Err(BuildFailure {
            summary: format!("{what} does not compile"),
            diagnostics: if diagnostics.is_empty() { cargo_stderr } else { diagnostics },
        }),
    }
}

/// Cargo's process group while it builds: killed with everything in it if
/// the build is dropped before it ends, and by the Ctrl-C handler.
struct BuildGroup(i32);

impl BuildGroup {
    fn new(pid: Option<u32>) -> Self {
        let pgid = pid.map_or(0, |pid| pid as i32);
        crate::server::process_group::register(pgid);
        Self(pgid)
    }
}

impl Drop for BuildGroup {
    fn drop(&mut self) {
        crate::server::process_group::signal(self.0, libc::SIGKILL);
        crate::server::process_group::unregister(self.0);
    }
}
