//! The checks of the assignment's pages: the form, the guarded page, the
//! static files, registration and sign-out.

use super::*;

pub(super) async fn sign_in_form(cx: &mut Cx) -> Outcome {
    let mut browser = cx.browser();
    let path = sign_in_path(cx);
    let (page, form) =
        find_form(&mut browser, &path, is_password_form, "a sign-in form (with a password input)")
            .await?;
    let texts = form
        .controls
        .iter()
        .filter(|(_, kind)| {
            !matches!(
                kind.as_str(),
                "password" | "hidden" | "submit" | "button" | "checkbox" | "radio"
            )
        })
        .count();
    if texts == 0 {
        return Err(Failure::new("a text (or email) input for the name beside the password input")
            .sent(format!("GET {path}"))
            .got(page.story()));
    }
    Ok(None)
}

pub(super) async fn sign_in(cx: &mut Cx) -> Outcome {
    if cx.given.is_empty() && !cx.discovered.is_empty() {
        // Users found in the code: the ones that sign in are the app's.
        for user in cx.discovered.clone() {
            if signed_in_as(cx, &user).await.is_ok() {
                cx.working.get_or_insert(user);
                return Ok(None);
            }
        }
    }
    if cx.profile.kind == Kind::Google || cx.given.is_empty() {
        session(cx).await?;
        return Ok(None);
    }
    for user in cx.given.clone() {
        signed_in_as(cx, &user).await?;
        cx.working.get_or_insert(user);
    }
    Ok(None)
}

pub(super) async fn wrong_password(cx: &mut Cx) -> Outcome {
    let good = session(cx).await?.user;
    let wrong = User { password: format!("{}-wrong", good.password), ..good.clone() };
    let mut attempt = sign_in_as(cx, &wrong, None).await?;
    let (open, page) = opens(cx, &mut attempt.browser).await?;
    if open {
        return Err(Failure::new(format!("{} refused after a wrong password", opened_what(cx)))
            .sent(format!(
                "signed in as {} with the wrong password {:?}",
                wrong.login(),
                wrong.password
            ))
            .got(format!("{}\nthen:\n{}", attempt.hops.story(), page.story())));
    }
    Ok(None)
}

pub(super) async fn guarded(cx: &mut Cx) -> Outcome {
    // What a signed-in person sees, to tell it from what a stranger sees.
    let signed_in_page = match session(cx).await {
        Ok(mut session) => {
            let login = session.user.login();
            let (_, page) = opens(cx, &mut session.browser).await?;
            Some(login.to_lowercase())
                .filter(|login| page.last().text().to_lowercase().contains(login.as_str()))
        }
        Err(_) => None,
    };
    let mut stranger = cx.browser();
    let (open, page) = opens(cx, &mut stranger).await?;
    let shows_secret = match &signed_in_page {
        // The page shows the signed-in person's name: a stranger's must not.
        Some(login) => open && page.last().text().to_lowercase().contains(login.as_str()),
        None => open,
    };
    if shows_secret {
        return Err(Failure::new(format!(
            "{} refused (401, 403, or a redirect to sign in) without signing in",
            opened_what(cx)
        ))
        .sent("no cookie")
        .got(page.story()));
    }
    Ok(None)
}

pub(super) async fn static_files(cx: &mut Cx) -> Outcome {
    let token = crate::sandbox::random_token();
    let dir = cx.app_dir.join(static_folder(&cx.app_dir).unwrap_or_else(|| "static".into()));
    let name = format!("authlings-{}.txt", &token[..8]);
    let contents = format!("served by the app for the grader {token}\n");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(&name), &contents))
        .map_err(|e| Failure::new("a file in the app's static folder").got(e.to_string()))?;
    let prefix = cx.routes.static_prefix.clone().unwrap_or_else(|| "/static/".into());
    let path = format!("{}/{name}", prefix.trim_end_matches('/'));
    let mut browser = cx.browser();
    let hops = browser.get(&path).await?;
    if hops.last().status != 200 || hops.last().body != contents.as_bytes() {
        return Err(Failure::new(format!(
            "200 with the file's bytes ({name}, which the grader put in static/)"
        ))
        .got(hops.story()));
    }
    Ok(None)
}

/// The folder a Flask app names with `static_folder="..."`, if it does.
pub(super) fn static_folder(app_dir: &std::path::Path) -> Option<String> {
    let entries = std::fs::read_dir(app_dir).ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "py") {
            continue;
        }
        let Ok(code) = std::fs::read_to_string(&path) else { continue };
        let Some(at) = code.find("static_folder") else { continue };
        let rest = code[at + "static_folder".len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else { continue };
        let rest = rest.trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value: String = rest[1..].chars().take_while(|c| *c != quote).collect();
        if !value.is_empty() && !value.contains("..") && !value.starts_with('/') {
            return Some(value);
        }
    }
    None
}

pub(super) async fn register_check(cx: &mut Cx) -> Outcome {
    let user = User::made_up();
    let hops = register(cx, &user).await?;
    match signed_in_as(cx, &user).await {
        Ok(_) => {
            cx.made.push(user.clone());
            cx.working.get_or_insert(user);
            Ok(None)
        }
        Err(mut failure) => {
            failure.expected = format!("the new user to sign in: {}", failure.expected);
            failure.got = Some(format!(
                "registering answered:\n{}\nsigning in:\n{}",
                hops.story(),
                failure.got.unwrap_or_default()
            ));
            Err(failure)
        }
    }
}

/// Signs `session`'s browser out as the app's sign-out does it.
pub(super) async fn sign_out(cx: &Cx, session: &mut Session) -> Result<Hops, Failure> {
    if let Some(api) = &cx.profile.api {
        let url = session.browser.url(&api.logout);
        return session.browser.go(Method::DELETE, url, Body::None).await;
    }
    // A sign-out form on the protected page, as a person would press it.
    let page = session.browser.get(&protected_path(cx)).await?;
    let says_out = |address: &str| {
        let lower = address.to_ascii_lowercase();
        SIGN_OUT_WORDS.iter().any(|w| lower.contains(w))
    };
    let text = page.last().text().into_owned();
    if let Some(form) = html::forms(&text).into_iter().find(|f| says_out(&f.action)) {
        let fields = fill(&form, &session.user);
        return submit(&mut session.browser, &page, &form, fields, None).await;
    }
    // A sign-out link on the page, or the profile's route.
    let path = html::links(&text)
        .into_iter()
        .find(|link| says_out(link))
        .or_else(|| cx.routes.logout.clone())
        .unwrap_or_else(|| "/logout".into());
    session.browser.get(&path).await
}

pub(super) async fn logout_check(cx: &mut Cx) -> Outcome {
    let mut session = session(cx).await?;
    let out = sign_out(cx, &mut session).await?;
    if let Some(api) = &cx.profile.api {
        let answer = out.last();
        let json: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
        if answer.status != 200 || json != Some(serde_json::json!({})) {
            return Err(answer.fail(format!("DELETE {} answering 200 with {{}}", api.logout)));
        }
        let mut stranger = cx.browser();
        let url = stranger.url(&api.logout);
        let hops = stranger.go(Method::DELETE, url, Body::None).await?;
        // 404 is what the logout view answers; 401 what the project's
        // before_request answers first, for a request with no cookie.
        if !matches!(hops.last().status, 401 | 403 | 404) {
            return Err(hops
                .last()
                .fail("404 Not Found (or 401, 403) for a sign-out without a session cookie"));
        }
        return Ok(None);
    }
    let (open, page) = opens(cx, &mut session.browser).await?;
    if open {
        return Err(Failure::new(format!("{} refused after signing out", opened_what(cx)))
            .sent("signed in, then signed out")
            .got(format!("signing out:\n{}\nthen:\n{}", out.story(), page.story())));
    }
    Ok(None)
}
