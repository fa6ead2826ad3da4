//! The book's security checklist is made from the registry, like the
//! checks tables: it must be current, name only requirements it can
//! explain, and be reachable from the book's contents.

use std::fs;

use harness::{book, kit_root::kit_root, steps::STEPS};

#[test]
fn the_security_checklist_matches_the_registry() {
    let path = kit_root().join("book/src").join(book::ASVS_TABLE_PATH);
    let written = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == book::asvs_table(STEPS),
        "{} is stale: run `cargo authlings dev book`",
        path.display()
    );
    let page = fs::read_to_string(kit_root().join("book/src/asvs.md")).unwrap();
    assert!(
        page.contains(&format!("{{{{#include {}}}}}", book::ASVS_TABLE_PATH)),
        "asvs.md includes the table"
    );
}

#[test]
fn every_requirement_a_check_names_is_explained() {
    let mut unknown = Vec::new();
    for check in STEPS.iter().flat_map(|step| (step.checks)()) {
        for id in check.asvs {
            if book::asvs_words(id).is_none() {
                unknown.push(format!("{}: {id} (add its words to book::ASVS)", check.id));
            }
        }
    }
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
    for (id, _) in book::ASVS {
        let parts: Vec<&str> = id.trim_start_matches('V').split('.').collect();
        assert!(
            id.starts_with('V') && parts.len() == 3,
            "{id} is not written V<chapter>.<section>.<item>"
        );
        assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()), "{id}");
    }
}

#[test]
fn the_instructor_chapter_and_the_checklist_are_in_the_contents() {
    let summary = fs::read_to_string(kit_root().join("book/src/SUMMARY.md")).unwrap();
    for page in ["instructors.md", "asvs.md", "contract.md"] {
        assert!(summary.contains(&format!("]({page})")), "SUMMARY.md lists {page}");
    }
}

/// A chapter quotes the kit through the cleaned copies in
/// `book/src/listings/`, by anchor or whole, never by line numbers: a line
/// range shows other code as soon as the file changes.
#[test]
fn every_include_is_by_anchor_from_a_listing() {
    let book_src = kit_root().join("book/src");
    let includes = book::listings::book_includes(&book_src).unwrap();
    assert!(includes.len() > 50, "the chapters' includes are found");
    let mut wrong = Vec::new();
    for include in &includes {
        if include.selector.is_some() && include.anchor().is_none() {
            wrong.push(format!("{}: a line range; put an ANCHOR in the file", include.describe()));
        }
        if include.file().starts_with("..") {
            wrong.push(format!(
                "{}: outside the book; include the cleaned copy under {}/",
                include.describe(),
                book::listings::DIR
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// What the reader sees of an included listing holds no exercise marker
/// and no stray anchor line, and every anchor exists.
#[test]
fn no_listing_shows_a_marker() {
    let book_src = kit_root().join("book/src");
    let mut wrong = Vec::new();
    for include in book::listings::book_includes(&book_src).unwrap() {
        let Ok(text) = fs::read_to_string(book_src.join(include.file())) else {
            wrong.push(format!("{}: no such file", include.describe()));
            continue;
        };
        match book::listings::included_text(&text, include.anchor()) {
            None => wrong.push(format!("{}: no such anchor", include.describe())),
            Some(shown) if shown.trim().is_empty() => {
                wrong.push(format!("{}: shows nothing", include.describe()));
            }
            Some(shown) => {
                if let Some(line) = book::listings::marker_line(&shown) {
                    wrong.push(format!("{}: shows `{}`", include.describe(), line.trim()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_listings_are_current() {
    let stale = book::listings::stale(&kit_root()).unwrap();
    assert!(
        stale.is_empty(),
        "stale in book/src (run `cargo authlings dev book`):\n{}",
        stale.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n")
    );
}

/// Every step the harness grades is in the book as a step that exists:
/// no paragraph, and no `authlings idp --help`, still calls it planned.
#[test]
fn no_step_of_the_kit_is_called_planned() {
    let book_src = kit_root().join("book/src");
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_authlings"))
        .args(["idp", "--help"])
        .output()
        .unwrap();
    let mut texts =
        vec![("authlings idp --help".to_owned(), String::from_utf8(help.stdout).unwrap())];
    for entry in fs::read_dir(&book_src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            texts.push((path.display().to_string(), fs::read_to_string(&path).unwrap()));
        }
    }
    let mut wrong = Vec::new();
    for (name, text) in &texts {
        for paragraph in text.split("\n\n") {
            let lower = paragraph.to_lowercase().replace('\n', " ");
            let names_step = STEPS.iter().any(|step| lower.contains(&format!("step {}", step.id)));
            if names_step && lower.contains("planned") {
                wrong.push(format!("{name}: {}", paragraph.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "a step of the kit called planned:\n{}", wrong.join("\n---\n"));
}

/// A check id the prose names (in backticks) is one the harness registers,
/// so a renamed or dropped check cannot leave the book pointing at nothing.
#[test]
fn every_check_the_book_names_exists() {
    let ids: Vec<&str> =
        STEPS.iter().flat_map(|step| (step.checks)()).map(|check| check.id).collect();
    let mut unknown = Vec::new();
    for entry in fs::read_dir(kit_root().join("book/src")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for word in text.split('`').skip(1).step_by(2) {
            let looks_like_id = word.len() > 4
                && word.starts_with('s')
                && word.get(1..3).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                && word.get(3..).is_some_and(|rest| rest.starts_with('.'))
                && !word.contains(' ');
            if looks_like_id && !ids.contains(&word) {
                unknown.push(format!("{}: {word}", path.display()));
            }
        }
    }
    assert!(unknown.is_empty(), "no such check:\n{}", unknown.join("\n"));
}
