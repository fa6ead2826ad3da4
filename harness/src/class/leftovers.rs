//! What a student's server left running after it was stopped.
//!
//! The server runs in its own process group, and stopping it kills the
//! whole group. A process that left the group (`setsid`, a daemon's double
//! fork) is not in it any more; it is still found here, by what it
//! inherited: every server of a class run starts with a variable
//! `AUTHLINGS_RUN=<token>` of its own in its environment and with a working
//! folder of its own, and a process that has either is killed. A process
//! that both cleared its environment and changed its folder escapes this
//! too: only a container or a cgroup (`systemd-run --scope`) holds
//! everything (see the instructor chapter).

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
    time::Duration,
};

/// The variable that marks a grading's processes.
pub const MARKER: &str = "AUTHLINGS_RUN";

/// Kills every process marked with `token` or working below `dir`, until
/// none is left (it may fork while we look); returns how many there were.
pub async fn sweep(token: &str, dir: &Path) -> usize {
    let needle = format!("{MARKER}={token}").into_bytes();
    let mut killed = BTreeSet::new();
    for _ in 0..20 {
        let found = find(&needle, dir);
        if found.is_empty() {
            break;
        }
        for &pid in &found {
            // SAFETY: kill(2) of a process that carries this run's marker.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
            killed.insert(pid);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    killed.len()
}

/// Live processes (not zombies) whose environment holds `needle` as a
/// whole entry, or whose working folder is `dir` or below it.
fn find(needle: &[u8], dir: &Path) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            let proc = PathBuf::from(format!("/proc/{pid}"));
            let marked = fs::read(proc.join("environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|entry| entry == needle));
            let inside = fs::read_link(proc.join("cwd")).is_ok_and(|cwd| cwd.starts_with(dir));
            (marked || inside) && !zombie(&proc)
        })
        .collect()
}

fn zombie(proc: &Path) -> bool {
    fs::read_to_string(proc.join("stat")).is_ok_and(|stat| {
        stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()) == Some("Z")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_process_that_left_its_group_is_found_by_its_marker() {
        let token = crate::sandbox::random_token();
        let dir = tempfile::tempdir().unwrap();
        // `setsid` puts the sleep in a session and group of its own.
        let Ok(mut child) =
            std::process::Command::new("setsid").args(["sleep", "300"]).env(MARKER, &token).spawn()
        else {
            return; // no setsid here: nothing to prove
        };
        let mut found = 0;
        for _ in 0..50 {
            found = sweep(&token, dir.path()).await;
            if found > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.wait();
        assert_eq!(found, 1);
        assert_eq!(sweep(&token, dir.path()).await, 0);
    }
}
