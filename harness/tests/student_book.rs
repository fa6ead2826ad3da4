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
    for page in ["instructors.md", "asvs.md"] {
        assert!(summary.contains(&format!("]({page})")), "SUMMARY.md lists {page}");
    }
}
