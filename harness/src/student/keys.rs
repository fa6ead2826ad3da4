//! The watch loop's keys. On a terminal a key acts at once: the terminal
//! is put in "cbreak" mode (no line editing, no echo) and put back on the
//! way out, also on Ctrl-C. Output is left alone (newlines stay newlines,
//! Ctrl-C still interrupts), which full raw mode would not do. Anywhere
//! else (a pipe, CI, an editor's console) commands are read as lines:
//! `n`, `h`, `l`, `r` or an empty line, `q`, or their names.

use std::{
    io::{BufRead, IsTerminal, Read},
    sync::Mutex,
};

use tokio::sync::mpsc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Next,
    Hint,
    List,
    Recheck,
    Quit,
    /// Anything else; the loop shows the keys again.
    Other,
    /// Standard input ended: no more commands will come.
    Closed,
}

impl Key {
    fn from_byte(byte: u8) -> Key {
        match byte.to_ascii_lowercase() {
            b'n' => Key::Next,
            b'h' => Key::Hint,
            b'l' => Key::List,
            b'r' | b'\n' | b'\r' => Key::Recheck,
            // q, and Ctrl-D, which cbreak mode passes on as a byte.
            b'q' | 4 => Key::Quit,
            _ => Key::Other,
        }
    }

    /// A command typed as a line.
    pub fn from_line(line: &str) -> Key {
        match line.trim().to_ascii_lowercase().as_str() {
            "n" | "next" => Key::Next,
            "h" | "hint" => Key::Hint,
            "l" | "list" => Key::List,
            "" | "r" | "recheck" | "re-check" | "check" => Key::Recheck,
            "q" | "quit" | "exit" => Key::Quit,
            _ => Key::Other,
        }
    }
}

pub struct Keys {
    receiver: mpsc::UnboundedReceiver<Key>,
    /// Keys act at once (a terminal in cbreak mode), or lines are read.
    pub immediate: bool,
    _terminal: Option<Cbreak>,
}

impl Keys {
    /// Starts reading standard input on a thread of its own.
    pub fn start() -> Keys {
        let (sender, receiver) = mpsc::unbounded_channel();
        let terminal = if std::io::stdin().is_terminal() { Cbreak::enter() } else { None };
        let immediate = terminal.is_some();
        std::thread::spawn(move || {
            if immediate {
                let mut byte = [0u8; 1];
                let mut stdin = std::io::stdin().lock();
                while let Ok(1) = stdin.read(&mut byte) {
                    if sender.send(Key::from_byte(byte[0])).is_err() {
                        return;
                    }
                }
            } else {
                for line in std::io::stdin().lock().lines() {
                    let Ok(line) = line else { break };
                    if sender.send(Key::from_line(&line)).is_err() {
                        return;
                    }
                }
            }
            let _ = sender.send(Key::Closed);
        });
        Keys { receiver, immediate, _terminal: terminal }
    }

    /// The next key; `Closed` for ever once input has ended.
    pub async fn next(&mut self) -> Key {
        self.receiver.recv().await.unwrap_or(Key::Closed)
    }
}

/// The terminal's settings from before cbreak mode, to put back.
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Standard input in cbreak mode until dropped (or the process exits).
struct Cbreak;

impl Cbreak {
    fn enter() -> Option<Cbreak> {
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut settings: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut settings) } != 0 {
            return None;
        }
        let mut cbreak = settings;
        cbreak.c_lflag &= !(libc::ICANON | libc::ECHO);
        cbreak.c_cc[libc::VMIN] = 1;
        cbreak.c_cc[libc::VTIME] = 0;
        {
            let mut saved = SAVED.lock().expect("terminal lock");
            if saved.is_none() {
                // Ctrl-C ends the harness with `exit`, which runs this.
                // SAFETY: `restore` is an `extern "C" fn()` that only
                // calls tcsetattr.
                unsafe { libc::atexit(restore) };
            }
            *saved = Some(settings);
        }
        // SAFETY: sets the settings read above, changed in two flags.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &cbreak) } != 0 {
            return None;
        }
        Some(Cbreak)
    }
}

impl Drop for Cbreak {
    fn drop(&mut self) {
        restore();
    }
}

extern "C" fn restore() {
    let saved = match SAVED.lock() {
        Ok(mut saved) => saved.take(),
        Err(_) => None,
    };
    if let Some(settings) = saved {
        // SAFETY: puts back settings tcgetattr gave us.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &settings) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_lines_mean_the_same() {
        for (byte, line, key) in [
            (b'n', "next", Key::Next),
            (b'h', "hint", Key::Hint),
            (b'l', "l", Key::List),
            (b'\n', "", Key::Recheck),
            (b'q', "quit", Key::Quit),
            (b'x', "xyz", Key::Other),
        ] {
            assert_eq!(Key::from_byte(byte), key);
            assert_eq!(Key::from_line(line), key);
        }
    }
}
