//! Looking for a password in everything an app keeps: its files, its JSON,
//! its SQLite database (whose text is stored as is), in plain text or as a
//! fast unsalted hash (MD5, SHA-1, SHA-256 in hex) that a list of common
//! passwords reverses in seconds.

use std::path::{Path, PathBuf};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Folders that are the app's tools, not what it keeps.
const SKIPPED: &[&str] = &[".git", "venv", ".venv", "env", "node_modules", "__pycache__"];

/// Files bigger than this are not read.
const LARGEST: u64 = 16 * 1024 * 1024;

/// How a password was found.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    pub file: PathBuf,
    /// "in plain text", "as its unsalted SHA-256 in hex".
    pub how: &'static str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The ways a password can be kept that give it away, with their words.
fn needles(password: &str) -> Vec<(Vec<u8>, &'static str)> {
    let md5 = hex(&Md5::digest(password.as_bytes()));
    let sha1 = hex(&Sha1::digest(password.as_bytes()));
    let sha256 = hex(&Sha256::digest(password.as_bytes()));
    let mut found = vec![(password.as_bytes().to_vec(), "in plain text")];
    for (digest, how) in [
        (md5, "as its unsalted MD5 in hex"),
        (sha1, "as its unsalted SHA-1 in hex"),
        (sha256, "as its unsalted SHA-256 in hex"),
    ] {
        found.push((digest.to_ascii_uppercase().into_bytes(), how));
        found.push((digest.into_bytes(), how));
    }
    found
}

/// The first place under `dir` that gives `password` away.
pub fn find(dir: &Path, password: &str) -> Option<Found> {
    let needles = needles(password);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                let name = entry.file_name();
                if !SKIPPED.iter().any(|s| name == *s) {
                    stack.push(path);
                }
                continue;
            }
            if !kind.is_file() || entry.metadata().map_or(true, |m| m.len() > LARGEST) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else { continue };
            for (needle, how) in &needles {
                if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                    let file = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                    return Some(Found { file, how });
                }
            }
        }
    }
    None
}

/// The first Python file under `dir` with a line that holds `text` and
/// reads no setting (`os.environ.get(..., "https://accounts.google.com/...")`
/// is a default, not a hard-coded address).
pub fn in_python(dir: &Path, text: &str) -> Option<PathBuf> {
    let hard_coded = |code: &str| {
        let lines: Vec<&str> = code.lines().collect();
        (0..lines.len()).any(|i| {
            // The line and the two before it: a call split over lines.
            let near = lines[i.saturating_sub(2)..=i].join(" ");
            lines[i].contains(text)
                && !lines[i].trim_start().starts_with('#')
                && !near.contains("environ")
                && !near.contains("getenv")
        })
    };
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if !SKIPPED.iter().any(|s| entry.file_name() == *s) {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "py")
                && std::fs::read_to_string(&path).is_ok_and(|code| hard_coded(&code))
            {
                return Some(path.strip_prefix(dir).unwrap_or(&path).to_path_buf());
            }
        }
    }
    None
}

/// Whether `text` appears in any file under `dir` (an email kept at the
/// first sign-in, say).
pub fn mentions(dir: &Path, text: &str) -> Option<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if !SKIPPED.iter().any(|s| entry.file_name() == *s) {
                    stack.push(path);
                }
            } else if kind.is_file()
                && entry.metadata().is_ok_and(|m| m.len() <= LARGEST)
                && std::fs::read(&path)
                    .is_ok_and(|b| b.windows(text.len()).any(|w| w == text.as_bytes()))
            {
                return Some(path.strip_prefix(dir).unwrap_or(&path).to_path_buf());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn a_default_is_not_a_hard_coded_address() {
        let dir = tempfile::tempdir().unwrap();
        let default = "URL = os.environ.get(\n    \"GOOGLE_DISCOVERY_URL\", \"https://accounts.google.com/x\"\n)\n";
        std::fs::write(dir.path().join("app.py"), default).unwrap();
        assert_eq!(super::in_python(dir.path(), "accounts.google.com"), None);
        std::fs::write(dir.path().join("app.py"), "CONF = 'https://accounts.google.com/x'\n")
            .unwrap();
        assert!(super::in_python(dir.path(), "accounts.google.com").is_some());
    }

    #[test]
    fn finds_plain_and_fast_hashes_not_salted_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        // sha256("Pw-secret")
        let digest = super::hex(&<sha2::Sha256 as sha2::Digest>::digest(b"Pw-secret"));
        std::fs::write(dir.path().join("data/users.json"), format!("{{\"pw\": \"{digest}\"}}"))
            .unwrap();
        let found = find(dir.path(), "Pw-secret").unwrap();
        assert_eq!(found.how, "as its unsalted SHA-256 in hex");
        assert_eq!(found.file, std::path::Path::new("data/users.json"));
        std::fs::write(dir.path().join("data/users.json"), "pbkdf2:sha256:600000$salt$abc")
            .unwrap();
        assert_eq!(find(dir.path(), "Pw-secret"), None);
        std::fs::write(dir.path().join("app.db"), b"\x00\x01Pw-secret\x00").unwrap();
        assert_eq!(find(dir.path(), "Pw-secret").unwrap().how, "in plain text");
    }
}
