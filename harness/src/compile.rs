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
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

/// Runs `cargo build` for the package whose manifest is `manifest` and
/// returns its binary. With `echo`, cargo's progress and every diagnostic
/// reach our stderr as they happen.
pub async fn build(manifest: &Path, echo: bool) -> Result<PathBuf, BuildFailure> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let colour = echo && std::io::stderr().is_terminal();
    let format = if colour { "json-diagnostic-rendered-ansi" } else { "json" };
    let mut child = Command::new(cargo)
        .args(["build", "--message-format", format, "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TERM_COLOR", if colour { "always" } else { "never" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if echo { Stdio::inherit() } else { Stdio::piped() })
        .kill_on_drop(true)
        // Its own group, so that a cancelled build (a new save in the
        // loop, Ctrl-C) stops the compilers cargo started too.
        .process_group(0)
        .spawn()
        .map_err(|e| BuildFailure {
            summary: format!("cannot run cargo: {e}"),
            diagnostics: String::new(),
        })?;

    let _group = BuildGroup::new(child.id());

    // Cargo's own errors (a broken Cargo.toml) only reach stderr.
    let stderr_text = child.stderr.take().map(|mut stderr| {
        tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        })
    });
    let mut executable = None;
    let mut diagnostics = String::new();
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(message) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        match message.reason.as_str() {
            "compiler-artifact" if message.manifest_path.as_deref() == Some(manifest) => {
                executable = message.executable.or(executable);
            }
            "compiler-message" => {
                let Some(diagnostic) = message.message else {
                    continue;
                };
                let rendered = diagnostic.rendered.unwrap_or_default();
                if echo {
                    eprint!("{rendered}");
                }
                if diagnostic.level == "error" {
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
    match (status, executable) {
        (Ok(status), Some(executable)) if status.success() => Ok(executable),
        (Ok(status), None) if status.success() => Err(BuildFailure {
            summary: format!("{} has no binary to run", manifest.display()),
            diagnostics,
        }),
        _ => {
            if diagnostics.is_empty() {
                diagnostics = cargo_stderr;
            }
            Err(BuildFailure {
                summary: format!("{} does not compile", manifest.display()),
                diagnostics,
            })
        }
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
