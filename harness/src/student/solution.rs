//! `authlings solution`: the reference solution of a step, once the
//! student's exercise has passed every check (or with `--force`): the files
//! the step teaches, or with `--diff` how the student's code differs.
//!
//! The solution is shown as a student would have written it: the
//! `exercise:` markers, the exercise's TODO text and the book's `ANCHOR`
//! lines are left out, and its crate is named as the exercise's.

use std::{
    fmt::Write as _,
    fs, io,
    path::{Path, PathBuf},
    process::ExitCode,
};

use similar::TextDiff;

use super::{State, files_under, paint, progress::Progress};
use crate::{cutout, steps::Step};

/// `authlings solution STEP [--diff] [--force]`.
pub fn command(
    step: &Step,
    kit_root: &Path,
    state: &State,
    show_diff: bool,
    force: bool,
) -> ExitCode {
    if !force && let Err(refusal) = gate(&state.progress(), step) {
        eprintln!("{refusal}");
        return ExitCode::FAILURE;
    }
    let shown = reference(step, kit_root).and_then(|files| {
        if show_diff {
            diff(step, kit_root, &files, super::colour())
        } else {
            let taught = taught(step, kit_root, &files)?;
            Ok(render(step, &files, &taught))
        }
    });
    match shown {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: cannot read solutions/{}: {error}", step.folder);
            ExitCode::FAILURE
        }
    }
}

/// Refuses, with the reason, until the step has passed every check.
pub fn gate(progress: &Progress, step: &Step) -> Result<(), String> {
    if progress.passed(step.id) {
        return Ok(());
    }
    let score = match progress.get(step.id) {
        Some(record) => format!("your best on step {} is {}/{}", step.id, record.best, record.max),
        None => format!("step {} has not been graded yet", step.id),
    };
    Err(format!(
        "The solution of step {} opens once your exercise passes every check, and {score}.\n\
         Try `cargo authlings hint {}` first; `--force` shows it anyway.",
        step.id, step.id
    ))
}

/// Every file of the reference solution, relative to its crate, as text.
pub fn reference(step: &Step, kit_root: &Path) -> io::Result<Vec<(PathBuf, String)>> {
    let dir = step.solution_dir(kit_root);
    let solution_lib = step.solution_package().replace('-', "_");
    let exercise_lib = step.exercise_package().replace('-', "_");
    let mut files = Vec::new();
    for relative in files_under(&dir)? {
        let text = String::from_utf8_lossy(&fs::read(dir.join(&relative))?).into_owned();
        let extension = relative.extension().and_then(|e| e.to_str()).unwrap_or("");
        let text = match cutout::Comment::of_extension(extension) {
            Some(comment) => cutout::answer_view(&text, comment)
                .map_err(|e| io::Error::other(format!("{}: {e}", relative.display())))?
                .replace(&solution_lib, &exercise_lib),
            _ if relative == Path::new("Cargo.toml") => text.replacen(
                &format!("name = \"{}\"", step.solution_package()),
                &format!("name = \"{}\"", step.exercise_package()),
                1,
            ),
            _ => text,
        };
        files.push((relative, text));
    }
    Ok(files)
}

/// The files whose solution differs from the exercise as shipped: the
/// ones the step teaches.
pub fn taught(
    step: &Step,
    kit_root: &Path,
    reference: &[(PathBuf, String)],
) -> io::Result<Vec<PathBuf>> {
    let shipped = cutout::exercise_files(
        &step.solution_dir(kit_root),
        &step.solution_package(),
        &step.exercise_package(),
    )?;
    Ok(reference
        .iter()
        .filter(|(relative, text)| {
            shipped.iter().find(|(path, _)| path == relative).map(|(_, bytes)| bytes.as_slice())
                != Some(text.as_bytes())
        })
        .map(|(relative, _)| relative.clone())
        .collect())
}

/// The taught files in full, then the names of the others.
pub fn render(step: &Step, reference: &[(PathBuf, String)], taught: &[PathBuf]) -> String {
    let mut out = format!(
        "The reference solution of step {} (solutions/{}): the files this step teaches.\n",
        step.id, step.folder
    );
    for (relative, text) in reference.iter().filter(|(path, _)| taught.contains(path)) {
        writeln!(out, "\n==> {} <==\n{}", relative.display(), text.trim_end()).unwrap();
    }
    let others: Vec<String> = reference
        .iter()
        .filter(|(path, _)| !taught.contains(path))
        .map(|(path, _)| path.display().to_string())
        .collect();
    if !others.is_empty() {
        writeln!(
            out,
            "\nThe other files are as your exercise shipped them: {}.",
            others.join(", ")
        )
        .unwrap();
    }
    writeln!(out, "`cargo authlings solution {} --diff` compares it with your code.", step.id)
        .unwrap();
    out
}

/// A unified diff from the student's exercise to the reference, file by
/// file; files that are the same are left out.
pub fn diff(
    step: &Step,
    kit_root: &Path,
    reference: &[(PathBuf, String)],
    colour: bool,
) -> io::Result<String> {
    let dir = step.exercise_dir(kit_root);
    let mine = files_under(&dir)?;
    let mut out = String::new();
    for (relative, theirs) in reference {
        let yours = if mine.contains(relative) {
            String::from_utf8_lossy(&fs::read(dir.join(relative))?).into_owned()
        } else {
            String::new()
        };
        if yours == *theirs {
            continue;
        }
        let name = relative.display();
        let diff = TextDiff::from_lines(&yours, theirs);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("yours: exercises/{}/{name}", step.folder),
                &format!("reference: solutions/{}/{name}", step.folder),
            )
            .to_string();
        for line in text.lines() {
            let code = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => "32",
                Some(b'-') if !line.starts_with("---") => "31",
                Some(b'@') => "36",
                Some(b'+' | b'-') => "1",
                _ => "",
            };
            let line = if code.is_empty() { line.to_owned() } else { paint(colour, code, line) };
            writeln!(out, "{line}").unwrap();
        }
    }
    let extra: Vec<String> = mine
        .iter()
        .filter(|path| !reference.iter().any(|(r, _)| r == *path))
        .map(|path| path.display().to_string())
        .collect();
    if !extra.is_empty() {
        writeln!(out, "Only in yours: {}", extra.join(", ")).unwrap();
    }
    if out.is_empty() {
        out.push_str("Your code is the reference solution, line for line.\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::cutout::{Comment, answer_view};

    #[test]
    fn the_answer_is_kept_and_the_exercise_text_dropped() {
        let source = "fn f() {\n    // ANCHOR: f\n    // exercise:cut\n    real();\n    // exercise:as\n    // TODO: write it\n    //~ todo!()\n    // exercise:end\n    // ANCHOR_END: f\n}\n";
        assert_eq!(answer_view(source, Comment::RUST).unwrap(), "fn f() {\n    real();\n}\n");
    }

    #[test]
    fn named_holes_and_template_anchors_are_dropped_too() {
        let source = "<p>\n{#- ANCHOR: form #}\n{# exercise:cut form #}\n<form>\n{# exercise:end #}\n{#- ANCHOR_END: form #}\n";
        assert_eq!(answer_view(source, Comment::TEMPLATE).unwrap(), "<p>\n<form>\n");
    }
}
