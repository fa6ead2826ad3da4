//! The checks of a JSON login API (Holberton's session authentication).

use super::*;

/// Form fields, in order.
type Fields = Vec<(String, String)>;

pub(super) fn json_of(hops: &Hops) -> Option<serde_json::Value> {
    serde_json::from_slice(&hops.last().body).ok()
}

pub(super) async fn api_login(cx: &mut Cx) -> Outcome {
    let user = cx
        .made
        .first()
        .or(cx.given.first())
        .cloned()
        .ok_or_else(|| Failure::new("a user to sign in as (seeded, or in users.toml)"))?;
    let session = api_sign_in(cx, &user, None).await?;
    let api = cx.profile.api.as_ref().expect("an api profile");
    let cookie_name = cx.setting(&api.cookie_env).unwrap_or_else(|| "_my_session_id".into());
    let answer = session.hops.last();
    let email = user.email.clone().unwrap_or_default();
    let json = json_of(&session.hops);
    if answer.status != 200
        || json.as_ref().and_then(|j| j.get("email")).and_then(|e| e.as_str())
            != Some(email.as_str())
    {
        return Err(answer.fail(format!("200 with the user's JSON (\"email\": {email:?})")));
    }
    if !session.browser.jar.contains_key(&cookie_name) {
        return Err(answer.fail(format!(
            "Set-Cookie: {cookie_name}=<session id> ({cookie_name} is what {} says)",
            api.cookie_env
        )));
    }
    Ok(None)
}

pub(super) async fn api_login_errors(cx: &mut Cx) -> Outcome {
    let api = cx.profile.api.clone().expect("an api profile");
    let user = cx
        .made
        .first()
        .or(cx.given.first())
        .cloned()
        .ok_or_else(|| Failure::new("a user to sign in as (seeded, or in users.toml)"))?;
    let email = user.email.clone().unwrap_or_default();
    let cases: [(Fields, u16, &str); 4] = [
        (vec![(api.password_field.clone(), user.password.clone())], 400, "email missing"),
        (vec![(api.email_field.clone(), email.clone())], 400, "password missing"),
        (
            vec![
                (api.email_field.clone(), format!("nobody-{email}")),
                (api.password_field.clone(), user.password.clone()),
            ],
            404,
            "no user found for this email",
        ),
        (
            vec![
                (api.email_field.clone(), email.clone()),
                (api.password_field.clone(), format!("{}-wrong", user.password)),
            ],
            401,
            "wrong password",
        ),
    ];
    for (fields, status, error) in cases {
        let mut browser = cx.browser();
        let url = browser.url(&api.login);
        let hops = browser.go(Method::POST, url, Body::Form(fields)).await?;
        let expected = serde_json::json!({ "error": error });
        if hops.last().status != status || json_of(&hops) != Some(expected) {
            return Err(hops.last().fail(format!("{status} with {{\"error\": \"{error}\"}}")));
        }
    }
    Ok(None)
}

pub(super) async fn api_me(cx: &mut Cx) -> Outcome {
    let mut session = session(cx).await?;
    let (_, hops) = opens(cx, &mut session.browser).await?;
    let email = session.user.email.clone().unwrap_or_default();
    let json = json_of(&hops);
    if json.as_ref().and_then(|j| j.get("email")).and_then(|e| e.as_str()) != Some(email.as_str()) {
        return Err(hops
            .last()
            .fail(format!("200 with the signed-in user's JSON (\"email\": {email:?})")));
    }
    Ok(None)
}

pub(super) async fn api_guarded(cx: &mut Cx) -> Outcome {
    let api = cx.profile.api.clone().expect("an api profile");
    let mut stranger = cx.browser();
    let hops = stranger.get(&api.me).await?;
    if !matches!(hops.last().status, 401 | 403) {
        return Err(hops.last().fail("401 Unauthorized (or 403) without a session cookie"));
    }
    let cookie_name = cx.setting(&api.cookie_env).unwrap_or_else(|| "_my_session_id".into());
    stranger.jar.insert(cookie_name.clone(), crate::sandbox::random_token());
    let hops = stranger.get(&api.me).await?;
    if !matches!(hops.last().status, 401 | 403) {
        return Err(hops
            .last()
            .fail(format!("403 Forbidden (or 401) for a {cookie_name} that names no session")));
    }
    Ok(None)
}

pub(super) async fn session_expiry(cx: &mut Cx, entry: &Entry) -> Outcome {
    let mut session = session(cx).await?;
    let duration: u64 = cx.setting("SESSION_DURATION").and_then(|d| d.parse().ok()).unwrap_or(2);
    let wait = entry.wait_secs.unwrap_or(duration + 2);
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let (open, hops) = opens(cx, &mut session.browser).await?;
    if open {
        return Err(hops.last().fail(format!(
            "the session refused {wait} s after signing in (SESSION_DURATION={duration})"
        )));
    }
    Ok(None)
}
