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
//! The book shows the other side, [`solution_view`]: the solution's code
//! without the markers and without what only the exercise gets.
//!
//! A region may be named, `// exercise:cut nonce`: a hole of the step that
//! the tests can fill on its own ([`exercise_view_filling`]), to show which
//! checks each hole turns green. Several regions may share a name: one hole.

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
    exercise_view(source, Comment::RUST)
}

/// How a kind of source file writes a comment the markers live in: `//`
/// for Rust, `--` for SQL, `{# ... #}` for askama templates.
#[derive(Clone, Copy)]
pub struct Comment {
    pub open: &'static str,
    pub close: &'static str,
}

impl Comment {
    pub const RUST: Self = Self { open: "//", close: "" };
    pub const SQL: Self = Self { open: "--", close: "" };
    pub const TEMPLATE: Self = Self { open: "{#", close: "#}" };

    /// The comment syntax of a file with this extension, if it can hold markers.
    pub fn of_extension(extension: &str) -> Option<Self> {
        match extension {
            "rs" => Some(Self::RUST),
            "sql" => Some(Self::SQL),
            "html" => Some(Self::TEMPLATE),
            _ => None,
        }
    }

    /// What a line says if it is nothing but one such comment.
    fn directive<'a>(&self, line: &'a str) -> Option<&'a str> {
        let inner = line.trim().strip_prefix(self.open)?.strip_suffix(self.close)?;
        // Askama's whitespace control, `{#- ... -#}`, is part of the comment.
        let inner = if self.close.is_empty() { inner } else { inner.trim_matches('-') };
        Some(inner.trim())
    }
}

/// A marker line of a solution, if `line` is one.
#[derive(Clone, Copy, PartialEq)]
enum Marker<'a> {
    /// The start of a region, and the name of its hole if it has one.
    Cut(Option<&'a str>),
    As,
    End,
    Anchor,
}

fn marker(line: &str, comment: Comment) -> Option<Marker<'_>> {
    match comment.directive(line)? {
        "exercise:cut" => Some(Marker::Cut(None)),
        d if d.starts_with("exercise:cut ") => {
            Some(Marker::Cut(Some(d["exercise:cut".len()..].trim())))
        }
        "exercise:as" => Some(Marker::As),
        "exercise:end" => Some(Marker::End),
        d if d.starts_with("ANCHOR:") || d.starts_with("ANCHOR_END:") => Some(Marker::Anchor),
        _ => None,
    }
}

/// The mode a region marker moves to, or where it is out of place.
fn step(mode: Mode, marker: Marker, line: usize) -> Result<Mode, CutError> {
    let (from, to, problem) = match marker {
        Marker::Cut(_) => (Mode::Keep, Mode::Cut, "`exercise:cut` inside a region"),
        Marker::As => (Mode::Cut, Mode::Replace, "`exercise:as` without `exercise:cut`"),
        // A region with nothing in its place may end without `exercise:as`.
        Marker::End if mode == Mode::Cut => return Ok(Mode::Keep),
        Marker::End => (Mode::Replace, Mode::Keep, "`exercise:end` without `exercise:as`"),
        Marker::Anchor => return Ok(mode),
    };
    if mode != from {
        return Err(CutError { line, problem });
    }
    Ok(to)
}

/// The exercise version of a source file: regions replaced, `//~` lines
/// uncommented, anchors dropped.
pub fn exercise_view(source: &str, comment: Comment) -> Result<String, CutError> {
    exercise_view_filling(source, comment, &[])
}

/// The exercise version with the holes named in `filled` filled: their
/// regions keep the solution's code instead of the exercise's.
pub fn exercise_view_filling(
    source: &str,
    comment: Comment,
    filled: &[&str],
) -> Result<String, CutError> {
    let mut out = String::with_capacity(source.len());
    let mut mode = Mode::Keep;
    let mut last = 0;
    // The region being read is a filled hole: its code stays, its
    // replacement goes.
    let mut keep_solution = false;
    for (index, line) in source.lines().enumerate() {
        let number = index + 1;
        if let Some(marker) = marker(line, comment) {
            if let Marker::Cut(name) = marker {
                keep_solution = name.is_some_and(|name| filled.contains(&name));
            }
            mode = step(mode, marker, number)?;
            if marker != Marker::Anchor {
                last = number;
            }
            continue;
        }
        let trimmed = line.trim_start();
        match mode {
            Mode::Keep => out.push_str(line),
            Mode::Cut if keep_solution => out.push_str(line),
            Mode::Replace if keep_solution => continue,
            Mode::Cut => continue,
            Mode::Replace => {
                match trimmed.strip_prefix(comment.open).and_then(|t| t.strip_prefix('~')) {
                    Some(code) if comment.close.is_empty() => {
                        let indent = &line[..line.len() - trimmed.len()];
                        let code = code.strip_prefix(' ').unwrap_or(code);
                        if !code.is_empty() {
                            out.push_str(indent);
                            out.push_str(code);
                        }
                    }
                    _ => out.push_str(line),
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

/// The solution as the book shows it: the code of every region, without
/// the region markers and without what only the exercise gets (its TODOs
/// and `//~` lines). Anchor lines stay, for mdBook to find; it drops them
/// from what it includes.
pub fn solution_view(source: &str, comment: Comment) -> Result<String, CutError> {
    let mut out = String::with_capacity(source.len());
    let mut mode = Mode::Keep;
    let mut last = 0;
    for (index, line) in source.lines().enumerate() {
        let number = index + 1;
        let marker = marker(line, comment);
        if let Some(marker @ (Marker::Cut(_) | Marker::As | Marker::End)) = marker {
            mode = step(mode, marker, number)?;
            last = number;
            continue;
        }
        if mode != Mode::Replace {
            out.push_str(line);
            out.push('\n');
        }
    }
    if mode != Mode::Keep {
        return Err(CutError { line: last, problem: "region not closed by `exercise:end`" });
    }
    Ok(out)
}

/// The solution as a student would have written it: [`solution_view`]
/// without the book's anchor lines either.
pub fn answer_view(source: &str, comment: Comment) -> Result<String, CutError> {
    let view = solution_view(source, comment)?;
    let mut out = String::with_capacity(view.len());
    for line in view.lines().filter(|line| marker(line, comment) != Some(Marker::Anchor)) {
        out.push_str(line);
        out.push('\n');
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
    exercise_files_filling(solution_dir, solution_package, exercise_package, &[])
}

/// [`exercise_files`] with the holes named in `filled` filled.
pub fn exercise_files_filling(
    solution_dir: &Path,
    solution_package: &str,
    exercise_package: &str,
    filled: &[&str],
) -> io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let solution_lib = solution_package.replace('-', "_");
    let exercise_lib = exercise_package.replace('-', "_");
    let mut files = Vec::new();
    for relative in crate::files::files_under(solution_dir)? {
        let path = solution_dir.join(&relative);
        let bytes = fs::read(&path)?;
        let syntax = relative.extension().and_then(|e| e.to_str()).and_then(Comment::of_extension);
        let contents = match syntax {
            Some(comment) => {
                let text = String::from_utf8_lossy(&bytes);
                exercise_view_filling(&text, comment, filled)
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
    fn template_anchors_are_dropped_too() {
        let template = "<p>\n{#- ANCHOR: form #}\n<form>\n  {# ANCHOR_END: form -#}\n";
        assert_eq!(exercise_view(template, Comment::TEMPLATE).unwrap(), "<p>\n<form>\n");
    }

    #[test]
    fn the_solution_view_keeps_the_answer_and_anchors_and_drops_the_rest() {
        let source = "// ANCHOR: f\nfn f() {\n    // exercise:cut\n    real();\n    // exercise:as\n    // TODO: write it\n    //~ todo!()\n    // exercise:end\n}\n// ANCHOR_END: f\n";
        assert_eq!(
            solution_view(source, Comment::RUST).unwrap(),
            "// ANCHOR: f\nfn f() {\n    real();\n}\n// ANCHOR_END: f\n"
        );
        assert_eq!(solution_view("// exercise:cut\nx\n", Comment::RUST).unwrap_err().line, 1);
    }

    #[test]
    fn a_filled_hole_keeps_the_solution_and_the_others_are_cut() {
        let source = "// exercise:cut a\nlet a = 1;\n// exercise:as\n//~ let a = 0;\n// exercise:end\n\
                      // exercise:cut b\nlet b = 1;\n// exercise:as\n//~ let b = 0;\n// exercise:end\n";
        let fill = |filled: &[&str]| exercise_view_filling(source, Comment::RUST, filled).unwrap();
        assert_eq!(fill(&[]), "let a = 0;\nlet b = 0;\n");
        assert_eq!(fill(&["a"]), "let a = 1;\nlet b = 0;\n");
        assert_eq!(cut(source).unwrap(), fill(&[]));
        assert_eq!(solution_view(source, Comment::RUST).unwrap(), "let a = 1;\nlet b = 1;\n");
    }

    #[test]
    fn a_region_may_have_nothing_in_its_place() {
        assert_eq!(cut("a\n// exercise:cut\nb\n// exercise:end\nc\n").unwrap(), "a\nc\n");
        assert_eq!(
            solution_view("a\n// exercise:cut\nb\n// exercise:end\n", Comment::RUST).unwrap(),
            "a\nb\n"
        );
    }

    #[test]
    fn broken_markers_are_errors_with_the_line() {
        assert_eq!(cut("// exercise:as\n").unwrap_err().line, 1);
        assert_eq!(cut("// exercise:cut\n// exercise:cut\n").unwrap_err().line, 2);
        assert_eq!(cut("a\n// exercise:cut\nb\n").unwrap_err().line, 2);
        assert_eq!(cut("// exercise:end\n").unwrap_err().line, 1);
    }
}
