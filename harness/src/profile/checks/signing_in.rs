//! Signing in the way the submission does it: its form, its login API or
//! the provider, whichever the profile says, and any sign-in that works.

use super::*;

/// A signed-in browser and how it got there.
pub struct Session {
    pub browser: Browser,
    pub user: User,
    /// The answers to sending the credentials (or to the provider's
    /// redirect back), redirects followed.
    pub hops: Hops,
    /// The cookies the browser had just before it signed in.
    pub before: BTreeMap<String, String>,
}

pub(super) fn sign_in_path(cx: &Cx) -> String {
    cx.routes.sign_in.clone().unwrap_or_else(|| "/".into())
}

pub(super) fn protected_path(cx: &Cx) -> String {
    cx.routes.protected.clone().unwrap_or_else(|| "/".into())
}

pub(super) fn is_password_form(form: &html::Form) -> bool {
    form.controls.iter().any(|(_, kind)| kind == "password")
}

pub(super) fn has_password_form(hops: &Hops) -> bool {
    html::forms(&hops.last().text()).iter().any(is_password_form)
}

/// Whether the protected page opens in `browser` (for an API: whether
/// "who am I" answers 200).
pub async fn opens(cx: &Cx, browser: &mut Browser) -> Result<(bool, Hops), Failure> {
    if let Some(api) = &cx.profile.api {
        let hops = browser.get(&api.me).await?;
        let open = hops.last().status == 200;
        return Ok((open, hops));
    }
    let path = protected_path(cx);
    let hops = browser.get(&path).await?;
    let names_person = match (&browser.person, cx.landing) {
        (Some(person), true) => hops.last().text().to_lowercase().contains(person.as_str()),
        _ => true,
    };
    let open = hops.last().status == 200
        && hops.off_site.is_none()
        && hops.path() == trim_slash(path.split('?').next().unwrap_or("/"))
        && !has_password_form(&hops)
        && names_person;
    Ok((open, hops))
}

/// The form on `path` that `wanted` picks, and the page it is on.
pub(super) async fn find_form(
    browser: &mut Browser,
    path: &str,
    wanted: fn(&html::Form) -> bool,
    what: &str,
) -> Result<(Hops, html::Form), Failure> {
    let hops = browser.get(path).await?;
    let form = html::forms(&hops.last().text()).into_iter().find(wanted);
    match form {
        Some(form) => Ok((hops, form)),
        None => Err(Failure::new(format!("{what} on the page"))
            .sent(format!("GET {path}"))
            .got(hops.story())),
    }
}

/// The form `wanted` picks on `path`, or where the app has it instead: the
/// same path with (or without) a trailing slash, or a page a link on the
/// home or sign-in page leads to whose address holds one of `words`.
pub(super) async fn find_form_near(
    cx: &Cx,
    browser: &mut Browser,
    path: &str,
    wanted: fn(&html::Form) -> bool,
    what: &str,
    words: &[&str],
) -> Result<(Hops, html::Form), Failure> {
    let first = match find_form(browser, path, wanted, what).await {
        Ok(found) => return Ok(found),
        Err(failure) => failure,
    };
    let toggled = match path.strip_suffix('/') {
        Some(bare) if !bare.is_empty() => bare.to_owned(),
        _ => format!("{path}/"),
    };
    let mut candidates = vec![toggled];
    for page in ["/".to_owned(), sign_in_path(cx)] {
        if let Ok(hops) = browser.get(&page).await {
            for link in html::links(&hops.last().text()) {
                let lower = link.to_ascii_lowercase();
                if words.iter().any(|w| lower.contains(w)) && !candidates.contains(&link) {
                    candidates.push(link);
                }
            }
        }
    }
    for candidate in candidates.iter().take(4) {
        if let Ok(found) = find_form(browser, candidate, wanted, what).await {
            return Ok(found);
        }
    }
    Err(first)
}

pub(super) const SIGN_IN_WORDS: &[&str] =
    &["login", "log-in", "log_in", "signin", "sign-in", "sign_in"];
pub(super) const REGISTER_WORDS: &[&str] = &["regist", "signup", "sign-up", "sign_up"];
pub(super) const SIGN_OUT_WORDS: &[&str] =
    &["logout", "log-out", "log_out", "signout", "sign-out", "sign_out"];

/// What a browser would send from `form`, filled in as `user`.
pub(super) fn fill(form: &html::Form, user: &User) -> Vec<(String, String)> {
    let value = |name: &str| {
        form.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let mut fields = Vec::new();
    let mut submit_sent = false;
    for (name, kind) in &form.controls {
        match kind.as_str() {
            "password" => fields.push((name.clone(), user.password.clone())),
            "hidden" => fields.push((name.clone(), value(name))),
            "submit" | "button" | "image" => {
                if !submit_sent && form.values.iter().any(|(n, _)| n == name) {
                    fields.push((name.clone(), value(name)));
                    submit_sent = true;
                }
            }
            "checkbox" | "radio" | "reset" | "file" => {}
            _ => fields.push((name.clone(), user.login_for(name, kind))),
        }
    }
    fields
}

/// Sends `form` of the page in `page` with `fields`, redirects followed.
pub(super) async fn submit(
    browser: &mut Browser,
    page: &Hops,
    form: &html::Form,
    fields: Vec<(String, String)>,
    next: Option<&str>,
) -> Result<Hops, Failure> {
    let mut action = page.url.join(&form.action).unwrap_or_else(|_| page.url.clone());
    if let Some(next) = next
        && !action.query_pairs().any(|(k, _)| k == "next")
    {
        action.query_pairs_mut().append_pair("next", next);
    }
    if form.method.eq_ignore_ascii_case("get") {
        action.query_pairs_mut().extend_pairs(&fields);
        browser.go(Method::GET, action, Body::None).await
    } else {
        browser.go(Method::POST, action, Body::Form(fields)).await
    }
}

/// Signs in on the sign-in form as `user`, with `next` if given.
pub(super) async fn form_sign_in(
    cx: &Cx,
    user: &User,
    next: Option<&str>,
) -> Result<Session, Failure> {
    let mut browser = cx.browser();
    let mut path = sign_in_path(cx);
    if let Some(next) = next {
        let mut url = browser.url(&path);
        url.query_pairs_mut().append_pair("next", next);
        path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    }
    let (page, form) = find_form_near(
        cx,
        &mut browser,
        &path,
        is_password_form,
        "a sign-in form (with a password input)",
        SIGN_IN_WORDS,
    )
    .await?;
    let before = browser.jar.clone();
    let mut fields = fill(&form, user);
    if let Some(next) = next {
        for (name, value) in &mut fields {
            if name == "next" {
                *value = next.to_owned();
            }
        }
    }
    let hops = submit(&mut browser, &page, &form, fields, next).await?;
    Ok(Session { browser, user: user.clone(), hops, before })
}

/// Signs in through the login API as `user`.
pub(super) async fn api_sign_in(
    cx: &Cx,
    user: &User,
    plant: Option<(&str, &str)>,
) -> Result<Session, Failure> {
    let api = cx.profile.api.as_ref().expect("an api profile");
    let mut browser = cx.browser();
    if let Some((name, value)) = plant {
        browser.jar.insert(name.to_owned(), value.to_owned());
    }
    let before = browser.jar.clone();
    let fields = vec![
        (api.email_field.clone(), user.email.clone().unwrap_or_else(|| user.login())),
        (api.password_field.clone(), user.password.clone()),
    ];
    let url = browser.url(&api.login);
    let hops = browser.go(Method::POST, url, Body::Form(fields)).await?;
    Ok(Session { browser, user: user.clone(), hops, before })
}

/// The words for an app that sends people to Google itself.
pub(super) fn hard_coded(url: &Url) -> Failure {
    Failure::new(
        "a redirect to the provider the settings name (the grader's mock provider, \
         given as GOOGLE_DISCOVERY_URL and the other usual names)",
    )
    .got(format!(
        "a redirect to {}: the provider's address is hard-coded in the app, \
         so its Google sign-in cannot be graded (nor pointed at another provider)",
        url.origin().ascii_serialization()
    ))
}

/// Why the sign-in route led nowhere near the provider: Google's address
/// in the code (an app that fetches Google's discovery document fails
/// here, with no network), or whatever the app answered.
pub(super) fn no_redirect_to_provider(cx: &Cx, hops: &Hops) -> Failure {
    let expected = format!("{} to redirect to the provider's sign-in page", sign_in_path(cx));
    match at_rest::in_python(&cx.app_dir, "accounts.google.com") {
        Some(file) => Failure::new(expected).got(format!(
            "no redirect to the provider, and {} names accounts.google.com: the provider's \
             address is hard-coded in the app (read it from GOOGLE_DISCOVERY_URL), so its \
             Google sign-in cannot be graded\n{}",
            file.display(),
            hops.story()
        )),
        None => Failure::new(expected).got(hops.story()),
    }
}

/// Signs in with the mock provider as the person with `user`'s email,
/// starting at the sign-in route (with `next` if given).
pub(super) async fn google_sign_in(
    cx: &Cx,
    user: &User,
    next: Option<&str>,
) -> Result<Session, Failure> {
    let provider = cx.provider.as_ref().expect("a google profile has a provider");
    let mut browser = cx.browser();
    let mut start = browser.url(&sign_in_path(cx));
    if let Some(next) = next {
        start.query_pairs_mut().append_pair("next", next);
    }
    let first = browser.go(Method::GET, start, Body::None).await?;
    let Some(authorize) = first.off_site.clone() else {
        return Err(no_redirect_to_provider(cx, &first));
    };
    let mock = Url::parse(provider.idp.issuer()).expect("the issuer is a URL");
    if authorize.origin() != mock.origin() {
        return Err(hard_coded(&authorize));
    }
    let before = browser.jar.clone();
    if let Some(uri) = authorize.query_pairs().find(|(k, _)| k == "redirect_uri").map(|(_, v)| v) {
        provider.allow_redirect_uri(uri.into_owned()).map_err(|error| {
            Failure::new("the mock provider to accept the app's redirect URI")
                .got(error.to_string())
        })?;
    }
    let person = TestUser::made_up(user.email.as_deref().unwrap_or("someone"));
    provider.idp.approve_next_as(&person);
    let answer = browser.send(Method::GET, &authorize, &Body::None).await?;
    let Some(back) = answer
        .header("location")
        .and_then(|l| authorize.join(l).ok())
        .filter(|url| browser.is_app(url))
    else {
        return Err(
            answer.fail("the provider to send the person back to the app (it refused the request)")
        );
    };
    browser.person = Some(person.username.to_lowercase());
    let mut hops = browser.go(Method::GET, back, Body::None).await?;
    hops.replies.insert(0, answer);
    Ok(Session { browser, user: user.clone(), hops, before })
}

/// Signs in as `user` the way the profile's app signs people in.
pub(super) async fn sign_in_as(
    cx: &Cx,
    user: &User,
    next: Option<&str>,
) -> Result<Session, Failure> {
    match cx.profile.kind {
        Kind::Form => form_sign_in(cx, user, next).await,
        Kind::Api => api_sign_in(cx, user, None).await,
        Kind::Google => google_sign_in(cx, user, next).await,
    }
}

/// Signs in as `user` and fails unless the protected page then opens.
pub(super) async fn signed_in_as(cx: &Cx, user: &User) -> Result<Session, Failure> {
    let mut session = sign_in_as(cx, user, None).await?;
    let (open, page) = opens(cx, &mut session.browser).await?;
    if open {
        return Ok(session);
    }
    Err(Failure::new(format!("{} to open once signed in as {}", opened_what(cx), user.login()))
        .sent(format!("signed in as {} with password {:?}", user.login(), user.password))
        .got(format!("{}\nthen:\n{}", session.hops.story(), page.story())))
}

pub(super) fn opened_what(cx: &Cx) -> String {
    match &cx.profile.api {
        Some(api) => format!("{} (200)", api.me),
        None => format!("the protected page {}", protected_path(cx)),
    }
}

/// Any sign-in that works: the user who did before, the users given, the
/// ones the harness made, a new registration, or (Google) a made-up person.
pub async fn session(cx: &mut Cx) -> Result<Session, Failure> {
    if cx.profile.kind == Kind::Google {
        settle_google_routes(cx).await;
        let user = cx.working.clone().unwrap_or_else(User::made_up);
        let session = signed_in_as(cx, &user).await.map_err(|mut failure| {
            failure.expected = format!("{NO_SIGN_IN} ({})", failure.expected);
            failure
        })?;
        cx.working = Some(user);
        return Ok(session);
    }
    let mut tried: Vec<User> = cx.working.iter().cloned().collect();
    tried.extend(cx.given.iter().cloned());
    tried.extend(cx.discovered.iter().cloned());
    tried.extend(cx.made.iter().cloned());
    let mut failures = Vec::new();
    for user in &tried {
        match signed_in_as(cx, user).await {
            Ok(session) => {
                cx.working = Some(user.clone());
                return Ok(session);
            }
            Err(failure) => failures.push(failure),
        }
    }
    if cx.routes.register.is_some() && cx.profile.kind == Kind::Form {
        match registered(cx).await {
            Ok(user) => match signed_in_as(cx, &user).await {
                Ok(session) => {
                    cx.working = Some(user);
                    return Ok(session);
                }
                Err(failure) => failures.push(failure),
            },
            Err(failure) => failures.push(failure),
        }
    }
    if failures.is_empty() {
        return Err(Failure::new(format!(
            "{NO_SIGN_IN}: someone to sign in as, users listed in {} beside the submission",
            cx.profile.users.file
        ))
        .got("no users given and no way to register one"));
    }
    // The first attempt says most about why.
    let mut first = failures.swap_remove(0);
    first.expected = format!("{NO_SIGN_IN} ({})", first.expected);
    Err(first)
}

/// A user the harness made up and registered on the registration form.
pub(super) async fn registered(cx: &mut Cx) -> Result<User, Failure> {
    if let Some(user) = cx.made.first() {
        return Ok(user.clone());
    }
    let user = User::made_up();
    register(cx, &user).await?;
    cx.made.push(user.clone());
    Ok(user)
}

pub(super) async fn register(cx: &Cx, user: &User) -> Result<Hops, Failure> {
    let path = cx.routes.register.clone().unwrap_or_else(|| "/register".into());
    let mut browser = cx.browser();
    let (page, form) = find_form_near(
        cx,
        &mut browser,
        &path,
        is_password_form,
        "a registration form (with a password input)",
        REGISTER_WORDS,
    )
    .await?;
    let fields = fill(&form, user);
    let hops = submit(&mut browser, &page, &form, fields, None).await?;
    if hops.last().status >= 500 {
        return Err(Failure::new("the registration to be accepted").got(hops.story()));
    }
    Ok(hops)
}
