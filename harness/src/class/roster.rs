//! Who is in the class and where their work is: folders named on the
//! command line, or a roster file.
//!
//! A roster is CSV or TOML (by its extension: `.toml` is TOML, anything
//! else CSV). CSV: one student a line, `name,folder`, an optional header
//! line (`name,folder`), blank lines and lines starting with `#` ignored,
//! fields quoted with `"` when they hold a comma. TOML:
//!
//! ```toml
//! [[students]]
//! name = "Ada Lovelace"
//! folder = "submissions/ada"
//! ```
//!
//! Relative folders are taken from the roster's own folder. A student whose
//! folder is missing still gets a row (with the verdict `no-exercise`).

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use serde::Deserialize;

use super::Submission;

/// The submissions named on the command line, each under its folder's name.
pub fn from_folders(folders: &[PathBuf]) -> Vec<Submission> {
    let entries = folders
        .iter()
        .map(|dir| {
            let absolute = dir.canonicalize().unwrap_or_else(|_| dir.clone());
            let name = absolute
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| dir.display().to_string());
            (name, dir.clone())
        })
        .collect();
    name_files(entries)
}

/// The submissions a roster file lists.
pub fn from_file(path: &Path) -> Result<Vec<Submission>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the roster {}: {e}", path.display()))?;
    let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let entries = if is_toml { parse_toml(&text) } else { parse_csv(&text) }
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if entries.is_empty() {
        return Err(format!("{} lists no students", path.display()));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut seen = HashSet::new();
    for (name, _) in &entries {
        if !seen.insert(name.as_str()) {
            return Err(format!("{}: the name {name:?} is there twice", path.display()));
        }
    }
    Ok(name_files(entries.into_iter().map(|(name, dir)| (name, base.join(dir))).collect()))
}

#[derive(Deserialize)]
struct TomlRoster {
    #[serde(alias = "student")]
    students: Vec<TomlEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlEntry {
    name: String,
    #[serde(alias = "path")]
    folder: PathBuf,
}

fn parse_toml(text: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let roster: TomlRoster = toml::from_str(text).map_err(|e| e.to_string())?;
    roster
        .students
        .into_iter()
        .map(|entry| match entry.name.trim() {
            "" => Err("a student has an empty name".to_owned()),
            name => Ok((name.to_owned(), entry.folder)),
        })
        .collect()
}

fn parse_csv(text: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let mut entries = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = split_csv_line(trimmed).map_err(|e| format!("line {number}: {e}"))?;
        let [name, folder] = fields.as_slice() else {
            return Err(format!(
                "line {number}: expected two fields, a name and a folder, got {}",
                fields.len()
            ));
        };
        let (name, folder) = (name.trim(), folder.trim());
        if entries.is_empty() && is_header(name, folder) {
            continue;
        }
        if name.is_empty() || folder.is_empty() {
            return Err(format!("line {number}: the name and the folder must not be empty"));
        }
        entries.push((name.to_owned(), PathBuf::from(folder)));
    }
    Ok(entries)
}

fn is_header(name: &str, folder: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "name" | "student")
        && matches!(folder.to_ascii_lowercase().as_str(), "folder" | "path" | "dir" | "submission")
}

/// The fields of one CSV line (RFC 4180 quoting, no line breaks in fields).
pub fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => return Err(format!("{c:?} after a closing quote")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// Gives each student a file name: their name with anything but
/// `A-Z a-z 0-9 . _ -` made `_`, unique without regard to case.
fn name_files(entries: Vec<(String, PathBuf)>) -> Vec<Submission> {
    let mut taken = HashSet::new();
    entries
        .into_iter()
        .map(|(name, dir)| {
            let mut base: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
                .collect();
            if base.is_empty() || base.starts_with('.') {
                base.insert(0, '_');
            }
            let mut file_name = base.clone();
            let mut n = 1;
            while !taken.insert(file_name.to_ascii_lowercase()) {
                n += 1;
                file_name = format!("{base}-{n}");
            }
            Submission { name, dir, file_name }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rosters_take_a_header_comments_and_quotes() {
        let text = "name,folder\n# a comment\n\n\"Doe, Jane\",subs/jane\nbob , subs/bob \n\"say \"\"hi\"\"\",x\n";
        let entries = parse_csv(text).unwrap();
        assert_eq!(
            entries,
            vec![
                ("Doe, Jane".to_owned(), PathBuf::from("subs/jane")),
                ("bob".to_owned(), PathBuf::from("subs/bob")),
                ("say \"hi\"".to_owned(), PathBuf::from("x")),
            ]
        );
        assert!(parse_csv("a,b,c\n").unwrap_err().contains("line 1"));
        assert!(parse_csv("\"open,b\n").is_err());
    }

    #[test]
    fn toml_rosters_name_students_and_folders() {
        let text = "[[students]]\nname = \"Ada\"\nfolder = \"a\"\n[[students]]\nname = \"Bo\"\npath = \"b\"\n";
        assert_eq!(
            parse_toml(text).unwrap(),
            vec![("Ada".to_owned(), PathBuf::from("a")), ("Bo".to_owned(), PathBuf::from("b"))]
        );
        assert!(parse_toml("[[students]]\nname = \"\"\nfolder = \"a\"\n").is_err());
    }

    #[test]
    fn file_names_are_safe_and_unique() {
        let subs = name_files(vec![
            ("Jane Doe".into(), "a".into()),
            ("jane_doe".into(), "b".into()),
            ("../etc".into(), "c".into()),
            ("".into(), "d".into()),
        ]);
        let names: Vec<&str> = subs.iter().map(|s| s.file_name.as_str()).collect();
        assert_eq!(names, ["Jane_Doe", "jane_doe-2", "_.._etc", "_"]);
    }
}
