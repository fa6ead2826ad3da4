//! The kit's parts that must agree: exercises with their solutions, and
//! the book with the harness's checks and hints.

use std::{fs, path::Path};

use harness::{book, cutout, kit_root::kit_root, steps::STEPS};

#[test]
fn every_exercise_is_its_solution_with_the_concept_cut_out() {
    let root = kit_root();
    for step in STEPS {
        let files = cutout::exercise_files(
            &step.solution_dir(&root),
            &step.solution_package(),
            &step.exercise_package(),
        )
        .unwrap();
        let exercise = step.exercise_dir(&root);
        for (relative, contents) in &files {
            let on_disk = fs::read(exercise.join(relative)).unwrap_or_default();
            assert!(
                on_disk == *contents,
                "{} differs from its solution: run `cargo authlings dev sync`",
                exercise.join(relative).display()
            );
        }
        let shipped = files.len();
        let on_disk = count_files(&exercise);
        assert_eq!(on_disk, shipped, "{} holds files its solution does not", exercise.display());
    }
}

fn count_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "target")
        .map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 })
        .sum()
}

#[test]
fn the_books_checks_tables_match_the_registry() {
    let dir = kit_root().join("book/src");
    for step in STEPS {
        let path = dir.join(book::checks_table_path(step));
        let written = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            written == book::checks_table(step),
            "{} is stale: run `cargo authlings dev book`",
            path.display()
        );
    }
}

#[test]
fn every_hint_links_to_a_heading_of_the_book() {
    let dir = kit_root().join("book/src");
    let mut broken = Vec::new();
    for check in STEPS.iter().flat_map(|step| (step.checks)()) {
        let (file, anchor) = check.book.split_once('#').unwrap_or((check.book, ""));
        let Ok(page) = fs::read_to_string(dir.join(file)) else {
            broken.push(format!("{}: no page {file}", check.id));
            continue;
        };
        if !anchor.is_empty() && !book::heading_ids(&page).iter().any(|id| id == anchor) {
            broken.push(format!("{}: {file} has no heading #{anchor}", check.id));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
