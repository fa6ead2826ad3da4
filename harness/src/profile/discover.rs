//! Hard-coded users, found in the app's code when no users file names
//! them: string pairs (`{"admin": "secret"}`, `{"admin": {"password":
//! "secret"}}`, `{"login": "admin", "password": "secret"}`) and comparisons
//! (`username == "admin" and password == "secret"`) in its Python and JSON
//! files. Only candidates: the sign-in checks keep the ones that sign in.

use std::path::Path;

use super::User;

/// At most this many candidates are tried.
const MOST: usize = 12;

const PASSWORD_KEYS: &[&str] = &["password", "pass", "passwd", "pwd", "psw"];
const USER_KEYS: &[&str] = &["username", "user", "login", "name", "email", "user_name"];

struct Literal {
    start: usize,
    end: usize,
    text: String,
}

/// The one-line string literals of `code`, in order.
fn literals(code: &str) -> Vec<Literal> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let quote = bytes[i];
        if quote == b'#' {
            // A comment runs to the end of the line.
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if quote != b'"' && quote != b'\'' {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 1;
        while j < bytes.len() && bytes[j] != quote && bytes[j] != b'\n' {
            if bytes[j] == b'\\' {
                j += 1;
            }
            j += 1;
        }
        if j < bytes.len() && bytes[j] == quote {
            found.push(Literal { start, end: j + 1, text: code[start + 1..j].to_owned() });
        }
        i = j + 1;
    }
    found
}

/// A word that could be a name or a password: no spaces, paths or markup.
fn plausible(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 40
        && !text.chars().any(|c| c.is_whitespace() || "/<>{}%$\\".contains(c))
        && !text.starts_with('.')
}

fn is_in(keys: &[&str], text: &str) -> bool {
    keys.contains(&text.to_ascii_lowercase().as_str())
}

/// The identifier just before `==` ending at `before`.
fn compared_name(code: &str, before: usize) -> Option<String> {
    let head = code[..before].trim_end();
    let head = head.strip_suffix("==")?.trim_end();
    let name: String = head
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '\'' | '"'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Some(name.to_ascii_lowercase())
}

fn candidates_in(code: &str, found: &mut Vec<(String, String)>) {
    let literals = literals(code);
    let between = |a: &Literal, b: &Literal| code[a.end..b.start].trim().to_owned();
    let mut last_user: Option<String> = None;
    let mut compared_user: Option<String> = None;
    // The end of the user's own table being read (`"admin": {...}`).
    let mut table_end = 0;
    for (i, literal) in literals.iter().enumerate() {
        let after = code[literal.end..].trim_start();
        if after.starts_with(':') && after[1..].trim_start().starts_with('{') {
            if plausible(&literal.text) && !is_in(USER_KEYS, &literal.text) {
                last_user = Some(literal.text.clone());
                table_end = code[literal.end..].find('}').map_or(code.len(), |e| literal.end + e);
            }
            continue;
        }
        if let Some(next) = literals.get(i + 1)
            && between(literal, next) == ":"
        {
            if is_in(PASSWORD_KEYS, &literal.text) {
                if let Some(user) = &last_user
                    && plausible(&next.text)
                {
                    found.push((user.clone(), next.text.clone()));
                }
            } else if is_in(USER_KEYS, &literal.text) {
                if plausible(&next.text) {
                    last_user = Some(next.text.clone());
                }
            } else if literal.start > table_end
                && (i == 0 || between(&literals[i - 1], literal) != ":")
            {
                // A key, not a value: `{"admin": "secret"}`.
                if plausible(&literal.text) && plausible(&next.text) {
                    found.push((literal.text.clone(), next.text.clone()));
                }
            }
        }
        if let Some(name) = compared_name(code, literal.start) {
            if PASSWORD_KEYS.iter().any(|k| name.contains(k)) {
                if let Some(user) = compared_user.take()
                    && plausible(&literal.text)
                {
                    found.push((user, literal.text.clone()));
                }
            } else if ["user", "login", "name", "email"].iter().any(|k| name.contains(k))
                && plausible(&literal.text)
            {
                compared_user = Some(literal.text.clone());
            }
        }
    }
}

/// The users the app's Python and JSON files seem to hard-code.
pub fn users(dir: &Path) -> Vec<User> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.')
                    && !["venv", "node_modules", "static"].contains(&name.as_str())
                {
                    stack.push(path);
                }
            } else if (name.ends_with(".py") || name.ends_with(".json"))
                && let Ok(code) = std::fs::read_to_string(&path)
                && code.len() < 512 * 1024
            {
                candidates_in(&code, &mut found);
            }
        }
    }
    let mut users: Vec<User> = Vec::new();
    for (name, password) in found {
        if users.iter().any(|u| u.username.as_deref() == Some(&name) && u.password == password) {
            continue;
        }
        let email = name.contains('@').then(|| name.clone());
        users.push(User { username: Some(name), email, password, made_up: false });
        if users.len() == MOST {
            break;
        }
    }
    users
}

#[cfg(test)]
mod tests {
    fn pairs(code: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        super::candidates_in(code, &mut found);
        found
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_owned(), b.to_owned())
    }

    #[test]
    fn finds_the_usual_ways_of_hard_coding_users() {
        assert_eq!(
            pairs(r#"users = {"admin": "admin-pass-1", 'bob': 'qwerty'}"#),
            vec![pair("admin", "admin-pass-1"), pair("bob", "qwerty")]
        );
        assert_eq!(
            pairs("USERS = {\n  'admin': {'password': 's3cret', 'role': 'x'},\n}"),
            vec![pair("admin", "s3cret")]
        );
        assert_eq!(pairs(r#"[{"login": "ann", "password": "pw1"}]"#), vec![pair("ann", "pw1")]);
        let compared =
            "if request.form['username'] == 'root' and request.form['password'] == 'toor':";
        assert_eq!(pairs(compared), vec![pair("root", "toor")]);
        assert!(pairs(r#"flash("Wrong password"); x = {"error": "no user found"}"#).is_empty());
    }
}
