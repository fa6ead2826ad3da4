//! Exercises are made from solutions: the solution is the one source, and
//! its marked regions are cut out and replaced by what the student starts
//! from. A solution marks a region like this:
//!
//! ```text
//! // exercise:cut
//! let user = self.get(username);        <- only in the solution
//! // exercise:as
//! // TODO(step 01): ...                  <- kept as is in the exercise
//! //~ todo!("check the password")       <- uncommented in the exercise
//! // exercise:end
//! ```
//!
//! `// ANCHOR:` lines (for the book's includes) are dropped from exercises.

use std::{
    fmt, fs, io,
    path::{Path, PathBuf},
};

#[derive(Debug, PartialEq, Eq)]
pub struct CutError {
    pub line: usize,
    pub problem: &'static str,
}

impl fmt::Display for CutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

impl std::error::Error for CutError {}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Keep,
    Cut,
    Replace,
}

/// The exercise version of one Rust source file.
pub fn cut(source: &str) -> Result<String, CutError> {
    cut_commented(source, "//")
}

/// The exercise version of a source file whose line comments start with
/// `comment`: `//` for Rust, `--` for SQL migrations.
pub fn cut_commented(source: &str, comment: &str) -> Result<String, CutError> {
    let mut out = String::with_capacity(source.len());
    let mut mode = Mode::Keep;
    let mut last = 0;
    for (index, line) in source.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        let directive = trimmed.trim_end().strip_prefix(comment).map(str::trim_start);
        let marker = match directive {
            Some("exercise:cut") => Some((Mode::Keep, Mode::Cut, "`exercise:cut` inside a region")),
            Some("exercise:as") => {
                Some((Mode::Cut, Mode::Replace, "`exercise:as` without `exercise:cut`"))
            }
            Some("exercise:end") => {
                Some((Mode::Replace, Mode::Keep, "`exercise:end` without `exercise:as`"))
            }
            _ => None,
        };
        if let Some((from, to, problem)) = marker {
            if mode != from {
                return Err(CutError { line: number, problem });
            }
            mode = to;
            last = number;
            continue;
        }
        if directive.is_some_and(|d| d.starts_with("ANCHOR:") || d.starts_with("ANCHOR_END:")) {
            continue;
        }
        match mode {
            Mode::Keep => out.push_str(line),
            Mode::Cut => continue,
            Mode::Replace => {
                match trimmed.strip_prefix(comment).and_then(|t| t.strip_prefix('~')) {
                    Some(code) => {
                        let indent = &line[..line.len() - trimmed.len()];
                        let code = code.strip_prefix(' ').unwrap_or(code);
                        if !code.is_empty() {
                            out.push_str(indent);
                            out.push_str(code);
                        }
                    }
                    None => out.push_str(line),
                }
            }
        }
        out.push('\n');
    }
    if mode != Mode::Keep {
        return Err(CutError { line: last, problem: "region not closed by `exercise:end`" });
    }
    Ok(out)
}

/// Every file of the exercise crate made from the solution crate in
/// `solution_dir`: relative path and contents. Package `<name>-solution`
/// becomes `<name>`, and so does its library's name in the sources.
pub fn exercise_files(
    solution_dir: &Path,
    solution_package: &str,
    exercise_package: &str,
) -> io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let solution_lib = solution_package.replace('-', "_");
    let exercise_lib = exercise_package.replace('-', "_");
    let mut files = Vec::new();
    for relative in crate::files::files_under(solution_dir)? {
        let path = solution_dir.join(&relative);
        let bytes = fs::read(&path)?;
        let contents = match relative.extension().and_then(|e| e.to_str()) {
            Some(extension @ ("rs" | "sql")) => {
                let text = String::from_utf8_lossy(&bytes);
                let comment = if extension == "rs" { "//" } else { "--" };
                cut_commented(&text, comment)
                    .map_err(|e| io::Error::other(format!("{}: {e}", path.display())))?
                    .replace(&solution_lib, &exercise_lib)
                    .into_bytes()
            }
            _ if relative == Path::new("Cargo.toml") => String::from_utf8_lossy(&bytes)
                .replacen(
                    &format!("name = \"{solution_package}\""),
                    &format!("name = \"{exercise_package}\""),
                    1,
                )
                .into_bytes(),
            _ => bytes,
        };
        files.push((relative, contents));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_replaced_and_its_code_uncommented() {
        let source = "fn f() {\n    // exercise:cut\n    real();\n    // exercise:as\n    // TODO: write it\n    //~ todo!()\n    //~\n    // exercise:end\n}\n";
        assert_eq!(cut(source).unwrap(), "fn f() {\n    // TODO: write it\n    todo!()\n\n}\n");
    }

    #[test]
    fn anchors_are_dropped_and_the_rest_kept() {
        assert_eq!(cut("// ANCHOR: a\nx();\n// ANCHOR_END: a\n").unwrap(), "x();\n");
    }

    #[test]
    fn broken_markers_are_errors_with_the_line() {
        assert_eq!(cut("// exercise:as\n").unwrap_err().line, 1);
        assert_eq!(cut("// exercise:cut\n// exercise:cut\n").unwrap_err().line, 2);
        assert_eq!(cut("a\n// exercise:cut\nb\n").unwrap_err().line, 2);
        assert_eq!(cut("// exercise:cut\n// exercise:end\n").unwrap_err().line, 2);
    }
}
