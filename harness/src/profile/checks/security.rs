//! The security checks, graded once any sign-in works: cookie flags,
//! logout replay, signed cookies, passwords at rest, session renewal and
//! open redirects.

use super::*;

pub(super) async fn logout_replay(cx: &mut Cx) -> Outcome {
    let mut session = session(cx).await?;
    let old = session.browser.jar.clone();
    let out = sign_out(cx, &mut session).await?;
    let mut thief = session.browser.with_cookies(&old);
    let (open, page) = opens(cx, &mut thief).await?;
    if open {
        return Err(Failure::new(format!(
            "{} refused to the cookie from before signing out",
            opened_what(cx)
        ))
        .sent("signed in, kept a copy of the cookies, signed out, then sent the copy")
        .got(format!(
            "the old cookie still signs in: {}, so anyone who copied the cookie stays signed \
             in.\nsigning out:\n{}\nthen:\n{}",
            if session.browser.jar.is_empty() {
                "signing out only asked the browser to forget it"
            } else {
                "signing out left the session alive on the server"
            },
            out.story(),
            page.story()
        )));
    }
    Ok(None)
}

/// The cookies a session stands on: those without which the protected
/// page no longer opens (all of them when no single one is needed).
pub(super) async fn auth_cookies(cx: &Cx, session: &Session) -> Result<Vec<SetCookie>, Failure> {
    let jar = &session.browser.jar;
    let mut needed = Vec::new();
    for name in jar.keys() {
        let mut without = jar.clone();
        without.remove(name);
        let mut browser = session.browser.with_cookies(&without);
        if !opens(cx, &mut browser).await?.0 {
            needed.push(name.clone());
        }
    }
    if needed.is_empty() {
        needed = jar.keys().cloned().collect();
    }
    Ok(needed
        .iter()
        .filter_map(|name| session.browser.set.iter().rfind(|c| &c.name == name).cloned())
        .collect())
}

pub(super) async fn cookie_flag(cx: &mut Cx, http_only: bool) -> Outcome {
    let session = session(cx).await?;
    let cookies = auth_cookies(cx, &session).await?;
    if cookies.is_empty() {
        return Ok(Some("the session is kept without a cookie the app set".into()));
    }
    for cookie in cookies {
        if http_only && !cookie.has("httponly") {
            return Err(Failure::new(format!("the session cookie {} with HttpOnly", cookie.name))
                .got(format!(
                    "Set-Cookie: {}\nwithout HttpOnly, any script on the page (an XSS) can read \
                     the session and send it away",
                    cookie.raw
                )));
        }
        let same_site = cookie.get("samesite").map(str::to_ascii_lowercase);
        if !http_only && !matches!(same_site.as_deref(), Some("lax" | "strict")) {
            return Err(Failure::new(format!(
                "the session cookie {} with SameSite=Lax or Strict",
                cookie.name
            ))
            .got(format!(
                "Set-Cookie: {}\nwithout SameSite, older browsers send it with requests other \
                     sites make (cross-site request forgery)",
                cookie.raw
            )));
        }
    }
    Ok(None)
}

/// `text` with a character in its middle changed.
pub(super) fn tampered(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return "x".into();
    }
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

pub(super) async fn signed_cookie(cx: &mut Cx) -> Outcome {
    let session = session(cx).await?;
    let cookies = auth_cookies(cx, &session).await?;
    let login = session.user.login();
    let other = cx
        .given
        .iter()
        .map(User::login)
        .find(|l| *l != login)
        .unwrap_or_else(|| "authlings-forged".into());
    for cookie in &cookies {
        if !login.is_empty() && cookie.value.contains(&login) {
            let mut jar = session.browser.jar.clone();
            let forged = cookie.value.replace(&login, &other);
            jar.insert(cookie.name.clone(), forged.clone());
            let mut forger = session.browser.with_cookies(&jar);
            let (open, page) = opens(cx, &mut forger).await?;
            if open {
                return Err(Failure::new("a cookie changed in the browser to be refused")
                    .sent(format!("Cookie: {}={forged} (the name changed to {other})", cookie.name))
                    .got(format!(
                        "the cookie {}={} holds the name in the clear, unsigned: changing it to \
                         {other} signed the browser in as {other}\n{}",
                        cookie.name,
                        cookie.value,
                        page.story()
                    )));
            }
        }
    }
    let mut jar = session.browser.jar.clone();
    for cookie in &cookies {
        jar.insert(cookie.name.clone(), tampered(&cookie.value));
    }
    let mut forger = session.browser.with_cookies(&jar);
    let (open, page) = opens(cx, &mut forger).await?;
    if open {
        let sent: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        return Err(Failure::new("a cookie changed in the browser to be refused")
            .sent(format!("Cookie: {}", sent.join("; ")))
            .got(format!(
                "a changed session cookie still signs in: the app does not check it\n{}",
                page.story()
            )));
    }
    Ok(None)
}

pub(super) async fn password_at_rest(cx: &mut Cx) -> Outcome {
    if cx.made.is_empty() {
        if cx.profile.kind == Kind::Form && cx.routes.register.is_some() {
            registered(cx).await?;
        } else {
            return Ok(Some(
                "no user was made by the grader (no registration, no seed): the only \
                 passwords are the hard-coded ones the assignment asks for"
                    .into(),
            ));
        }
    }
    for user in &cx.made {
        if let Some(found) = at_rest::find(&cx.app_dir, &user.password) {
            return Err(Failure::new(
                "passwords kept as a slow salted hash (or not kept by the app at all)",
            )
            .sent(format!(
                "made up the user {} with the password {:?}",
                user.login(),
                user.password
            ))
            .got(format!(
                "the password is kept {} in {}: anyone who reads that file has it (a fast \
                 hash is reversed by trying common passwords)",
                found.how,
                found.file.display()
            )));
        }
    }
    Ok(None)
}

pub(super) async fn session_renewed(cx: &mut Cx) -> Outcome {
    // Learn which cookies a session stands on, to plant them beforehand.
    let reference = session(cx).await?;
    let names: Vec<String> =
        auth_cookies(cx, &reference).await?.into_iter().map(|c| c.name).collect();
    let user = reference.user.clone();
    let planted: Vec<(String, String)> =
        names.iter().map(|n| (n.clone(), crate::sandbox::random_token())).collect();
    let mut session = match cx.profile.kind {
        Kind::Api => {
            let (name, value) = planted.first().cloned().unwrap_or_default();
            api_sign_in(cx, &user, Some((&name, &value))).await?
        }
        _ => sign_in_as(cx, &user, None).await?,
    };
    let (open, _) = opens(cx, &mut session.browser).await?;
    if !open {
        return Ok(Some("the second sign-in did not work".into()));
    }
    let mut before = session.before.clone();
    for (name, value) in &planted {
        before.entry(name.clone()).or_insert_with(|| value.clone());
    }
    if before.is_empty() {
        return Ok(None);
    }
    let mut attacker = session.browser.with_cookies(&before);
    let (open, page) = opens(cx, &mut attacker).await?;
    if open {
        let shown: Vec<String> = before.iter().map(|(k, v)| format!("{k}={v}")).collect();
        return Err(Failure::new("a new session id at sign-in")
            .sent(format!("Cookie: {} before signing in, then signed in", shown.join("; ")))
            .got(format!(
                "the cookies from before signing in now open the session: an attacker who \
                 plants them knows the session (session fixation)\n{}",
                page.story()
            )));
    }
    Ok(None)
}

pub(super) async fn open_redirect(cx: &mut Cx) -> Outcome {
    let user = session(cx).await?.user;
    let evil = "https://evil.example/stolen";
    let mut tries = Vec::new();
    for next in [evil, "//evil.example/stolen"] {
        let session = sign_in_as(cx, &user, Some(next)).await?;
        let led_away = session
            .hops
            .off_site
            .as_ref()
            .is_some_and(|url| url.host_str() == Some("evil.example"));
        if led_away {
            return Err(Failure::new("a redirect to a page of this site after signing in")
                .sent(format!("signed in from the sign-in page with next={next}"))
                .got(format!(
                    "a redirect to evil.example: anyone can send a link that signs people in \
                     here and then leads them to a look-alike site\n{}",
                    session.hops.story()
                )));
        }
        tries.push(session);
    }
    Ok(None)
}
