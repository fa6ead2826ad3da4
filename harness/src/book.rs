//! What the harness and the book must agree on: the checks tables the
//! book includes, and the headings the hints link to.

use std::fmt::Write as _;

use crate::steps::Step;

/// Where a step's checks table lives, under `book/src/`.
pub fn checks_table_path(step: &Step) -> String {
    format!("checks/{}.md", step.id)
}

/// The book's table of a step's checks, made from the registry.
pub fn checks_table(step: &Step) -> String {
    let mut table = String::from(
        "<!-- Made by `cargo authlings dev book` from the harness's checks: do not edit. -->\n\n\
         | id | points | needs | what it checks |\n|---|---|---|---|\n",
    );
    for check in (step.checks)() {
        let needs = check.requires.map_or(String::new(), |id| format!("`{id}`"));
        // The table is included into the step's chapter, so a link to a
        // section of that chapter is just its anchor.
        let link = match check.book.split_once('#') {
            Some((file, anchor)) if file == format!("{}.md", step.folder) => format!("#{anchor}"),
            _ => check.book.to_owned(),
        };
        let title = check.title.replace('|', "\\|");
        writeln!(table, "| `{}` | {} | {needs} | [{title}]({link}) |", check.id, check.points)
            .unwrap();
    }
    table
}

/// The ids mdBook gives the headings of a Markdown page.
pub fn heading_ids(markdown: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let Some(text) = line.strip_prefix('#').filter(|_| !in_code) else {
            continue;
        };
        let text = text.trim_start_matches('#').trim();
        let base = normalize_id(text);
        let mut id = base.clone();
        let mut n = 0;
        while ids.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        ids.push(id);
    }
    ids
}

/// mdBook's rule: letters, digits, `_` and `-` kept (lower case), spaces
/// become `-`, everything else is dropped.
fn normalize_id(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::heading_ids;

    #[test]
    fn ids_follow_mdbook() {
        let page = "# Step 01: a login form\n## Where to go after sign-in\n```\n# not a heading\n```\n## Checks\n## Checks\n";
        assert_eq!(
            heading_ids(page),
            ["step-01-a-login-form", "where-to-go-after-sign-in", "checks", "checks-1"]
        );
    }
}
