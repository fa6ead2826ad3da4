//! The chromedriver process: in a process group of its own, so the
//! chromium it starts goes with it whatever happens to us.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::process::{Child, Command};

use crate::server::{free_port, process_group};

pub(super) struct Driver {
    child: Child,
    pgid: i32,
    pub(super) url: String,
}

/// How long chromedriver may take to answer its `/status`.
const READY_WITHIN: Duration = Duration::from_secs(10);

impl Driver {
    pub(super) async fn start(path: &std::path::Path) -> anyhow::Result<Driver> {
        let port = free_port();
        let mut command = Command::new(path);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        process_group::die_with_parent(&mut command);
        let child =
            command.spawn().map_err(|e| anyhow::anyhow!("cannot start {}: {e}", path.display()))?;
        let pgid = child.id().map_or(0, |id| id as i32);
        process_group::register(pgid);
        let driver = Driver { child, pgid, url: format!("http://127.0.0.1:{port}") };
        driver.wait_ready().await?;
        Ok(driver)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Ok(reply) = client.get(format!("{}/status", self.url)).send().await
                && reply.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("chromedriver did not answer on {} within {READY_WITHIN:?}", self.url)
    }

    /// Whether chromedriver is still running.
    pub(super) fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        process_group::signal(self.pgid, libc::SIGKILL);
        process_group::unregister(self.pgid);
    }
}
