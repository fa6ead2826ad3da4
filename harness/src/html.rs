//! Just enough HTML reading to find the forms the contract names: tags and
//! their attributes, nothing about layout or wording.

/// A `<form>` and the named controls inside it.
#[derive(Debug, Default)]
pub struct Form {
    pub method: String,
    pub action: String,
    /// `(name, type)` of every `input`, `button`, `select` and `textarea`.
    pub controls: Vec<(String, String)>,
    /// `(name, value)` of the controls that have a `value` attribute: what a
    /// browser sends for a checked checkbox (`on` when it has none).
    pub values: Vec<(String, String)>,
}

impl Form {
    pub fn has_control(&self, name: &str) -> bool {
        self.controls.iter().any(|(n, _)| n == name)
    }

    pub fn posts_to(&self, action: &str) -> bool {
        self.method.eq_ignore_ascii_case("post") && self.action == action
    }
}

/// Every form in `html`, in order.
pub fn forms(html: &str) -> Vec<Form> {
    let mut forms: Vec<Form> = Vec::new();
    let mut open = false;
    for (name, attributes) in tags(html) {
        match name.as_str() {
            "form" => {
                let get = |key: &str| attribute(&attributes, key).unwrap_or_default();
                forms.push(Form {
                    method: get("method"),
                    action: get("action"),
                    controls: Vec::new(),
                    values: Vec::new(),
                });
                open = true;
            }
            "/form" => open = false,
            "input" | "button" | "select" | "textarea" if open => {
                if let (Some(form), Some(control)) =
                    (forms.last_mut(), attribute(&attributes, "name"))
                {
                    let kind = attribute(&attributes, "type").unwrap_or_else(|| name.clone());
                    if let Some(value) = attribute(&attributes, "value") {
                        form.values.push((control.clone(), value));
                    }
                    form.controls.push((control, kind.to_ascii_lowercase()));
                }
            }
            _ => {}
        }
    }
    forms
}

/// The `href` of every `<a>` in `html`, in order.
pub fn links(html: &str) -> Vec<String> {
    tags(html)
        .into_iter()
        .filter(|(name, _)| name == "a")
        .filter_map(|(_, attributes)| attribute(&attributes, "href"))
        .collect()
}

/// The words a person would see: tags, scripts and styles removed,
/// white space collapsed. For failure messages, where raw markup is noise.
pub fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        rest = &rest[start..];
        let lower = rest.get(..7).unwrap_or(rest).to_ascii_lowercase();
        let closing = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else if lower.starts_with("<!--") {
            "-->"
        } else {
            ">"
        };
        rest = match rest.to_ascii_lowercase().find(closing) {
            Some(end) => &rest[end + closing.len()..],
            None => "",
        };
    }
    text.push_str(rest);
    decode_entities(&text).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn attribute(attributes: &[(String, String)], key: &str) -> Option<String> {
    attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// Start and end tags with lower-cased names and decoded attribute values.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with("!--") {
            rest = rest.find("-->").map_or("", |end| &rest[end + 3..]);
            continue;
        }
        let end = tag_end(rest);
        let inside = &rest[..end];
        rest = &rest[(end + 1).min(rest.len())..];
        // The name runs to the first space or `/` after its first character
        // (which is `/` in an end tag).
        let name_len = inside
            .char_indices()
            .skip(1)
            .find(|(_, c)| c.is_whitespace() || *c == '/')
            .map_or(inside.len(), |(i, _)| i);
        let name = inside[..name_len].to_ascii_lowercase();
        if name.is_empty() || name.starts_with('!') {
            continue;
        }
        found.push((name, parse_attributes(&inside[name_len..])));
    }
    found
}

/// Where the tag ends: the first `>` outside quotes.
fn tag_end(text: &str) -> usize {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return i,
            _ => {}
        }
    }
    text.len()
}

fn parse_attributes(text: &str) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    let mut chars = text.trim_end_matches('/').chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == '/').is_some() {}
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=')).collect();
        if key.is_empty() {
            break;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            match chars.next_if(|c| *c == '"' || *c == '\'') {
                Some(quote) => value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != quote))),
                None => value.extend(std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace()))),
            }
            chars.next_if(|c| *c == '"' || *c == '\'');
        }
        attributes.push((key.to_ascii_lowercase(), decode_entities(&value)));
    }
    attributes
}

/// The character references a URL or a name in an attribute may hold.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(end) = rest.find(';').filter(|&end| end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{forms, visible_text};

    #[test]
    fn visible_text_is_what_a_person_reads() {
        let html = "<html><head><title>Sign in</title><style>p{}</style></head>\n<body><p class=x>Wrong &amp; <b>bad</b></p><script>alert(1)</script></body>";
        assert_eq!(visible_text(html), "Sign in Wrong & bad");
    }

    #[test]
    fn finds_forms_in_any_reasonable_markup() {
        let html = r#"<!-- <form action="/fake"> --><FORM Method=POST action='&#47;login'>
            <input type="hidden" name="next" value="/x">
            <label>Name <input name=username autocomplete="username"></label>
            <input type="password" name="password" required/>
            <button type="submit">Go</button></FORM>
            <form method="post" action="/logout"><button>Out</button></form>"#;
        let found = forms(html);
        assert_eq!(found.len(), 2);
        assert!(found[0].posts_to("/login"));
        assert!(found[0].has_control("username") && found[0].has_control("password"));
        assert_eq!(found[0].controls[2], ("password".into(), "password".into()));
        assert!(found[1].posts_to("/logout"));
        assert!(!found[1].has_control("username"));
    }
}
