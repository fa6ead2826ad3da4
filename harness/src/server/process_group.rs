//! Process groups of the servers we started, so that Ctrl-C, a panic or
//! an early exit of the harness never leaves one running.

use std::{collections::BTreeSet, sync::Mutex};

static LIVE: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

pub fn register(pgid: i32) {
    if pgid > 0 {
        LIVE.lock().expect("registry lock").insert(pgid);
    }
}

pub fn unregister(pgid: i32) {
    LIVE.lock().expect("registry lock").remove(&pgid);
}

/// Sends `signal` to every process of the group (no-op for a gone group).
pub fn signal(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid targets the group we created;
        // it touches no memory of ours.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

/// Whether any process of the group is still running (zombies, which only
/// wait for their parent to reap them, do not count).
pub fn alive(pgid: i32) -> bool {
    if pgid <= 0 {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, fields)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = fields.split_whitespace();
        let state = fields.next();
        let group = fields.nth(1).and_then(|g| g.parse::<i32>().ok());
        group == Some(pgid) && state != Some("Z")
    })
}

/// Kills every registered group: what Ctrl-C does before the harness exits.
pub fn kill_all() {
    for pgid in LIVE.lock().expect("registry lock").iter() {
        signal(*pgid, libc::SIGKILL);
    }
}

/// Should the harness itself be killed (SIGKILL cannot be caught), the
/// kernel kills the server's leader with it.
pub fn die_with_parent(command: &mut tokio::process::Command) {
    // SAFETY: prctl is async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// Waits for Ctrl-C or SIGTERM, kills every server and exits 130. Spawn it
/// once at start.
pub async fn interrupt_handler() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).expect("cannot listen for SIGTERM");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    kill_all();
    // Scratch PostgreSQL databases would outlive the exit: drop them now.
    crate::database::scratch::remove_leftovers();
    eprintln!("\ninterrupted: every server the harness started was stopped");
    std::process::exit(130);
}
