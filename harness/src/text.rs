//! Text as the harness shows it: cut to a readable length, without colours.

/// `text` as one word for `sh -c`: in single quotes, each `'` in it
/// closed, escaped and opened again.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// At most `max` characters of `text`, marked when cut, indented to sit
/// under a `got:` label.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        out.push_str(" [...]");
    }
    out.replace('\n', "\n      ")
}

/// `text` without ANSI colour sequences.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
        } else if chars.next() == Some('[') {
            // A CSI sequence ends with a byte in `@..=~`.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// `text` in the ANSI style `code` (`"1;31"`: bold red) when `on`.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("/k/it's/step01"), r"'/k/it'\''s/step01'");
    }
}
