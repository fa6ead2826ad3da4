//! The screenshots on disk: numbered PNGs, and a Markdown page that shows
//! them in order, for a student's README or a chapter of the book.

use std::{fmt::Write as _, io, path::Path};

use super::Shot;

/// Writes every shot as `DIR/<name>.png`, after removing the PNGs an
/// earlier run left there (a walk may have become shorter).
pub fn write_pngs(shots: &[Shot], dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "png") {
            std::fs::remove_file(path)?;
        }
    }
    for shot in shots {
        std::fs::write(dir.join(format!("{}.png", shot.name)), &shot.png)?;
    }
    Ok(())
}

/// The shots as Markdown, each a numbered heading-less item: title,
/// caption, picture. `prefix` goes before every file name (`""` beside the
/// page, `screenshots/01/` from a chapter).
pub fn markdown(shots: &[Shot], prefix: &str) -> String {
    let mut page = String::new();
    for (i, shot) in shots.iter().enumerate() {
        writeln!(
            page,
            "{}. **{}.** {}\n\n   ![{}]({prefix}{}.png)\n",
            i + 1,
            shot.title,
            shot.caption,
            shot.title,
            shot.name
        )
        .unwrap();
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_numbered_and_link_their_png() {
        let shot = |name: &str| Shot {
            name: name.into(),
            title: "The cabinet",
            caption: "Signed in.",
            png: Vec::new(),
        };
        let page = markdown(&[shot("01-a"), shot("02-b")], "screenshots/01/");
        assert_eq!(
            page,
            "1. **The cabinet.** Signed in.\n\n   ![The cabinet](screenshots/01/01-a.png)\n\n\
             2. **The cabinet.** Signed in.\n\n   ![The cabinet](screenshots/01/02-b.png)\n\n"
        );
    }
}
