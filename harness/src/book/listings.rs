//! The code the book quotes. A chapter never includes a kit file itself:
//! a solution file carries exercise markers (`exercise:cut`, `//~` lines,
//! the exercise's TODOs) that are not part of the code a reader should
//! see. `cargo authlings dev book` writes the solution view of each file
//! the chapters include (see [`cutout::solution_view`]) to
//! `book/src/listings/`, at the file's path in the kit, and the chapters
//! include those copies, by anchor or whole:
//!
//! ```text
//! {{#include listings/solutions/04-db-sessions/src/store.rs:load}}
//! ```
//!
//! is `solutions/04-db-sessions/src/store.rs`, anchor `load`, cleaned. A
//! line range (`:5:29`) is refused: it silently shows other code when the
//! file changes. The copies are checked in so the Markdown reads on its
//! own, and a test fails when one is stale.

use std::{
    fs, io,
    path::{Component, Path, PathBuf},
};

use crate::cutout::{self, Comment};

/// Where the copies live, under `book/src/`.
pub const DIR: &str = "listings";

/// One `{{#include ...}}` (or `rustdoc_include`, `playground`) of a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The chapter, relative to `book/src/`.
    pub chapter: PathBuf,
    pub line: usize,
    /// The included file as written, relative to the chapter.
    pub target: String,
    /// What follows the path's first `:`: an anchor, or a line range.
    pub selector: Option<String>,
}

impl Include {
    /// The included file, relative to `book/src/`.
    pub fn file(&self) -> PathBuf {
        normalize(&self.chapter.parent().unwrap_or(Path::new("")).join(&self.target))
    }

    /// The kit file this include quotes, if it goes through the listings:
    /// `listings/solutions/x.rs` quotes `solutions/x.rs`.
    pub fn source(&self) -> Option<PathBuf> {
        self.file().strip_prefix(DIR).ok().map(Path::to_owned)
    }

    /// The anchor, if the selector is one: mdBook reads a selector that
    /// starts with a digit or is empty as line numbers.
    pub fn anchor(&self) -> Option<&str> {
        let selector = self.selector.as_deref()?;
        let mut chars = selector.chars();
        let first = chars.next()?;
        let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
        (!first.is_ascii_digit() && word(first) && chars.all(word)).then_some(selector)
    }

    pub fn describe(&self) -> String {
        let selector = self.selector.as_deref().map_or(String::new(), |s| format!(":{s}"));
        format!(
            "{}:{}: {{{{#include {}{selector}}}}}",
            self.chapter.display(),
            self.line,
            self.target
        )
    }
}

/// The include directives of one chapter. Escaped ones (`\{{#include`)
/// are text, as in mdBook.
pub fn includes(chapter: &Path, markdown: &str) -> Vec<Include> {
    let mut found = Vec::new();
    for (index, line) in markdown.lines().enumerate() {
        let mut rest = line;
        let mut offset = 0;
        while let Some(start) = rest.find("{{#") {
            let escaped = line[..offset + start].ends_with('\\');
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else { break };
            let body = after[..end].trim();
            let mut words = body.split_whitespace();
            let command = words.next().unwrap_or("");
            if !escaped && matches!(command, "include" | "rustdoc_include" | "playground") {
                let argument = words.next().unwrap_or("");
                let (target, selector) = match argument.split_once(':') {
                    Some((target, selector)) => (target, Some(selector.to_owned())),
                    None => (argument, None),
                };
                found.push(Include {
                    chapter: chapter.to_owned(),
                    line: index + 1,
                    target: target.to_owned(),
                    selector,
                });
            }
            offset += start + 3 + end + 2;
            rest = &after[end + 2..];
        }
    }
    found
}

/// Every include of every Markdown page under `book/src/` (the listings
/// themselves aside), in page order.
pub fn book_includes(book_src: &Path) -> io::Result<Vec<Include>> {
    let mut all = Vec::new();
    for relative in crate::files::files_under(book_src)? {
        if relative.starts_with(DIR) || relative.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let markdown = fs::read_to_string(book_src.join(&relative))?;
        all.extend(includes(&relative, &markdown));
    }
    Ok(all)
}

/// The copy the book shows of the kit file `source` (relative to the kit).
pub fn listing(kit: &Path, source: &Path) -> io::Result<String> {
    let path = kit.join(source);
    let text = fs::read_to_string(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let comment = source.extension().and_then(|e| e.to_str()).and_then(Comment::of_extension);
    match comment {
        Some(comment) => cutout::solution_view(&text, comment)
            .map_err(|e| io::Error::other(format!("{}: {e}", path.display()))),
        None => Ok(text),
    }
}

/// Every listing the chapters include: its path under `book/src/` and its
/// contents.
pub fn listings(kit: &Path) -> io::Result<Vec<(PathBuf, String)>> {
    let book_src = kit.join("book/src");
    let mut sources: Vec<PathBuf> =
        book_includes(&book_src)?.iter().filter_map(Include::source).collect();
    sources.sort();
    sources.dedup();
    sources
        .into_iter()
        .map(|source| Ok((Path::new(DIR).join(&source), listing(kit, &source)?)))
        .collect()
}

/// Writes the listings afresh: copies no chapter includes any more go.
pub fn write(kit: &Path) -> io::Result<usize> {
    let listings = listings(kit)?;
    let dir = kit.join("book/src").join(DIR);
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    for (path, contents) in &listings {
        let path = kit.join("book/src").join(path);
        fs::create_dir_all(path.parent().expect("a listing is under listings/"))?;
        fs::write(&path, contents)?;
    }
    Ok(listings.len())
}

/// The listings that are missing, stale, or no longer included: empty when
/// `book/src/listings/` is what [`write`] would make.
pub fn stale(kit: &Path) -> io::Result<Vec<PathBuf>> {
    let book_src = kit.join("book/src");
    let listings = listings(kit)?;
    let mut stale: Vec<PathBuf> = listings
        .iter()
        .filter(|(path, contents)| {
            fs::read_to_string(book_src.join(path)).ok().as_ref() != Some(contents)
        })
        .map(|(path, _)| path.clone())
        .collect();
    let dir = book_src.join(DIR);
    if dir.exists() {
        for relative in crate::files::files_under(&dir)? {
            let path = Path::new(DIR).join(relative);
            if !listings.iter().any(|(listed, _)| *listed == path) {
                stale.push(path);
            }
        }
    }
    Ok(stale)
}

/// What mdBook puts in the page for this include of `text`: the whole
/// file, or the lines between the anchor's `ANCHOR:` and `ANCHOR_END:`
/// lines without any anchor line. `None` when the anchor is not there.
pub fn included_text(text: &str, anchor: Option<&str>) -> Option<String> {
    let Some(anchor) = anchor else { return Some(text.to_owned()) };
    let mut inside = false;
    let mut out = String::new();
    for line in text.lines() {
        let names = |keyword: &str| anchor_name(line, keyword) == Some(anchor);
        if !inside {
            inside = names("ANCHOR:");
            continue;
        }
        if names("ANCHOR_END:") {
            return Some(out);
        }
        if anchor_name(line, "ANCHOR:").is_none() && anchor_name(line, "ANCHOR_END:").is_none() {
            out.push_str(line);
            out.push('\n');
        }
    }
    None
}

fn anchor_name<'a>(line: &'a str, keyword: &str) -> Option<&'a str> {
    let at = line.find(keyword)?;
    if keyword == "ANCHOR:" && line[..at].ends_with("ANCHOR_END") {
        return None;
    }
    let rest = line[at + keyword.len()..].trim_start();
    let end =
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// What in a listing's included text is a marker the reader must not
/// see: the first such line.
pub fn marker_line(text: &str) -> Option<&str> {
    const MARKERS: &[&str] = &["exercise:", "//~", "--~", "ANCHOR"];
    text.lines().find(|line| MARKERS.iter().any(|marker| line.contains(marker)))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                let climbed =
                    out.components().next_back().is_none_or(|c| c == Component::ParentDir);
                if climbed || !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_are_found_with_their_selectors() {
        let page = "a\n```rust\n{{#include listings/x.rs:load}}\n```\n\\{{#include not.rs}}\n{{#include ../../y.sql:5:29}}\n";
        let found = includes(Path::new("c.md"), page);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].source(), Some(PathBuf::from("x.rs")));
        assert_eq!(found[0].anchor(), Some("load"));
        assert_eq!((found[1].line, found[1].anchor()), (6, None));
        assert_eq!(found[1].file(), PathBuf::from("../../y.sql"));
    }

    #[test]
    fn an_anchor_is_taken_as_mdbook_takes_it() {
        let text = "a\n// ANCHOR: f\nb\n  // ANCHOR: g\nc\n  // ANCHOR_END: g\n// ANCHOR_END: f\n";
        assert_eq!(included_text(text, Some("f")).unwrap(), "b\nc\n");
        assert_eq!(included_text(text, Some("g")).unwrap(), "c\n");
        assert_eq!(included_text(text, Some("h")), None);
        assert_eq!(marker_line(&included_text(text, None).unwrap()), Some("// ANCHOR: f"));
    }
}
