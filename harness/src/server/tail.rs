//! The end of what a server printed: enough to explain a failure, bounded
//! however much it prints, and always drained so that it never blocks.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use tokio::io::{AsyncRead, AsyncReadExt};

const MAX_LINES: usize = 30;
const MAX_LINE: usize = 300;

#[derive(Default)]
pub struct Tail {
    lines: VecDeque<String>,
    partial: Vec<u8>,
    total_bytes: u64,
}

impl Tail {
    pub fn push(&mut self, bytes: &[u8]) {
        self.total_bytes += bytes.len() as u64;
        for &byte in bytes {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.partial);
                self.push_line(line);
            } else if self.partial.len() < MAX_LINE + 1 {
                self.partial.push(byte);
            }
        }
    }

    fn push_line(&mut self, bytes: Vec<u8>) {
        let text = String::from_utf8_lossy(&bytes);
        let mut line: String = crate::text::strip_ansi(&text).chars().take(MAX_LINE).collect();
        if bytes.len() > MAX_LINE {
            line.push_str(" [...]");
        }
        if self.lines.len() == MAX_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        if !self.partial.is_empty() {
            text.push_str(&String::from_utf8_lossy(&self.partial));
            text.push('\n');
        }
        if self.total_bytes > 64 * 1024 {
            text.push_str(&format!(
                "[{} bytes printed in all; only the end is shown]\n",
                self.total_bytes
            ));
        }
        text
    }
}

/// Reads `stream` to its end into `tail`, in a task of its own.
pub fn drain(stream: Option<impl AsyncRead + Unpin + Send + 'static>, tail: Arc<Mutex<Tail>>) {
    let Some(mut stream) = stream else { return };
    tokio::spawn(async move {
        let mut buffer = vec![0; 16 * 1024];
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            tail.lock().expect("tail lock").push(&buffer[..n]);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::Tail;

    #[test]
    fn keeps_only_the_last_lines_and_says_how_much_there_was() {
        let mut tail = Tail::default();
        for i in 0..10_000 {
            tail.push(format!("line {i}\n").as_bytes());
        }
        let text = tail.render();
        assert!(text.starts_with("line 9970\n"), "{text}");
        assert!(text.contains("line 9999\n"));
        assert!(text.contains("bytes printed in all"));
    }

    #[test]
    fn cuts_endless_lines_and_colours() {
        let mut tail = Tail::default();
        tail.push(&vec![b'x'; 1_000_000]);
        tail.push(b"\n\x1b[32mINFO\x1b[0m ready\n");
        let text = tail.render();
        assert!(text.lines().next().unwrap().ends_with("x [...]"));
        assert!(text.contains("\nINFO ready\n"));
    }
}
