//! The checks profiles choose from, shared by every profile. Each finds
//! what the assignment leaves open (the sign-in form's fields, where a
//! redirect leads, which cookie holds the session) instead of expecting
//! the kit's wording, and says what it found in plain words.

use std::collections::BTreeMap;

use reqwest::{Method, Url};

use super::{
    Entry, Kind, User, at_rest,
    browser::{Body, Browser, Hops, trim_slash},
    run::Cx,
};
use crate::{check::Failure, html, http::SetCookie, idp::TestUser};

/// What a check's run says: `Ok(None)` passed, `Ok(Some(why))` does not
/// apply to this submission (skipped), `Err` failed.
pub type Outcome = Result<Option<String>, Failure>;

/// A shared check: its name (what a profile's `check` says), its title
/// and its hint.
pub struct Meta {
    pub name: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
}

pub const CHECKS: &[Meta] = &[
    Meta {
        name: "sign-in-form",
        title: "The sign-in page has a form with a name and a password field",
        hint: "a <form> with a text (or email) input and a password input on the sign-in page",
    },
    Meta {
        name: "sign-in",
        title: "The users sign in: the protected page opens",
        hint: "sign-in must lead to the protected page opening; for hard-coded users, list them in users.toml beside the submission",
    },
    Meta {
        name: "wrong-password",
        title: "A wrong password signs no one in",
        hint: "compare the password, and refuse when it differs",
    },
    Meta {
        name: "guarded",
        title: "The protected page is refused to someone not signed in",
        hint: "answer 401, or redirect to the sign-in page, when there is no valid session",
    },
    Meta {
        name: "static-files",
        title: "Files in the static folder are served",
        hint: "serve the app's static/ folder under /static/<name>",
    },
    Meta {
        name: "register",
        title: "A new user registers, then signs in",
        hint: "the registration form must add the user so that the sign-in form accepts them",
    },
    Meta {
        name: "logout",
        title: "Signing out signs the browser out",
        hint: "signing out must end the session: the protected page is refused afterwards",
    },
    Meta {
        name: "sessions-folder",
        title: "Sessions are kept as JSON files in a sessions folder",
        hint: "at sign-in, write the session to sessions/<id>.json",
    },
    Meta {
        name: "signed-cookie",
        title: "A cookie changed in the browser signs no one in",
        hint: "never trust a name in a cookie: sign it (Flask's session does) or keep only a random session id",
    },
    Meta {
        name: "cookie-httponly",
        title: "The session cookie is HttpOnly",
        hint: "set HttpOnly on the session cookie (set_cookie(..., httponly=True)), so that scripts cannot read it",
    },
    Meta {
        name: "cookie-samesite",
        title: "The session cookie has SameSite=Lax or Strict",
        hint: "set SameSite=Lax on the session cookie (SESSION_COOKIE_SAMESITE='Lax', or samesite='Lax')",
    },
    Meta {
        name: "logout-replay",
        title: "After signing out, the old session cookie opens nothing",
        hint: "sign-out must destroy the session on the server, not only ask the browser to forget the cookie",
    },
    Meta {
        name: "password-at-rest",
        title: "Passwords are not kept in plain text or as a fast hash",
        hint: "keep a slow salted hash (werkzeug's generate_password_hash, bcrypt, argon2), never the password or its MD5/SHA",
    },
    Meta {
        name: "session-renewed",
        title: "The session id changes at sign-in",
        hint: "give a new session id at sign-in; never keep one the browser brought (session fixation)",
    },
    Meta {
        name: "open-redirect",
        title: "Sign-in never redirects to another site",
        hint: "redirect only to paths on this site after sign-in (check that `next` starts with one /)",
    },
    Meta {
        name: "api-login",
        title: "The login API answers the user's JSON and sets the session cookie",
        hint: "answer 200 with the user's JSON and Set-Cookie: <SESSION_NAME>=<session id>",
    },
    Meta {
        name: "api-login-errors",
        title: "The login API answers each mistake as the assignment says",
        hint: "400 email missing, 400 password missing, 404 no user found for this email, 401 wrong password",
    },
    Meta {
        name: "api-me",
        title: "/users/me answers the signed-in user",
        hint: "with a valid session cookie, answer 200 with the user's JSON",
    },
    Meta {
        name: "api-guarded",
        title: "/users/me is refused without a valid session cookie",
        hint: "answer 401 without a cookie and 403 with one that names no session",
    },
    Meta {
        name: "session-expiry",
        title: "A session expires after SESSION_DURATION seconds",
        hint: "keep when the session was made, and refuse it SESSION_DURATION seconds later",
    },
    Meta {
        name: "provider-configurable",
        title: "The provider's address comes from the settings, not the code",
        hint: "read the discovery URL from the environment (GOOGLE_DISCOVERY_URL), so that the app can be pointed at another provider",
    },
    Meta {
        name: "auto-register",
        title: "A first sign-in keeps an account for the person",
        hint: "at the first sign-in, store the person (their sub and email) in the app's database",
    },
];

pub fn find(name: &str) -> Option<&'static Meta> {
    CHECKS.iter().find(|c| c.name == name)
}

pub async fn run(cx: &mut Cx, entry: &Entry) -> Outcome {
    let name = entry.check_name();
    match dispatch(cx, entry).await {
        // A check that only needs someone signed in is not graded when no
        // one can sign in (the sign-in checks say why).
        Err(failure)
            if failure.expected.starts_with(NO_SIGN_IN)
                && !matches!(name, "sign-in" | "register" | "api-login") =>
        {
            Ok(Some(format!(
                "not graded: no sign-in worked ({})",
                failure.got.as_deref().map_or("", |got| got.lines().next().unwrap_or(""))
            )))
        }
        other => other,
    }
}

/// How a failure to sign in at all begins.
const NO_SIGN_IN: &str = "any sign-in to work";

async fn dispatch(cx: &mut Cx, entry: &Entry) -> Outcome {
    match entry.check_name() {
        "sign-in-form" => sign_in_form(cx).await,
        "sign-in" => sign_in(cx).await,
        "wrong-password" => wrong_password(cx).await,
        "guarded" => guarded(cx).await,
        "static-files" => static_files(cx).await,
        "register" => register_check(cx).await,
        "logout" => logout_check(cx).await,
        "sessions-folder" => sessions_folder(cx).await,
        "signed-cookie" => signed_cookie(cx).await,
        "cookie-httponly" => cookie_flag(cx, true).await,
        "cookie-samesite" => cookie_flag(cx, false).await,
        "logout-replay" => logout_replay(cx).await,
        "password-at-rest" => password_at_rest(cx).await,
        "session-renewed" => session_renewed(cx).await,
        "open-redirect" => open_redirect(cx).await,
        "api-login" => api_login(cx).await,
        "api-login-errors" => api_login_errors(cx).await,
        "api-me" => api_me(cx).await,
        "api-guarded" => api_guarded(cx).await,
        "session-expiry" => session_expiry(cx, entry).await,
        "provider-configurable" => provider_configurable(cx).await,
        "auto-register" => auto_register(cx).await,
        other => Err(Failure::new(format!("a check named {other:?}"))),
    }
}

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

fn sign_in_path(cx: &Cx) -> String {
    cx.routes.sign_in.clone().unwrap_or_else(|| "/".into())
}

fn protected_path(cx: &Cx) -> String {
    cx.routes.protected.clone().unwrap_or_else(|| "/".into())
}

fn is_password_form(form: &html::Form) -> bool {
    form.controls.iter().any(|(_, kind)| kind == "password")
}

fn has_password_form(hops: &Hops) -> bool {
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
async fn find_form(
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
async fn find_form_near(
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

const SIGN_IN_WORDS: &[&str] = &["login", "log-in", "log_in", "signin", "sign-in", "sign_in"];
const REGISTER_WORDS: &[&str] = &["regist", "signup", "sign-up", "sign_up"];
const SIGN_OUT_WORDS: &[&str] =
    &["logout", "log-out", "log_out", "signout", "sign-out", "sign_out"];

/// What a browser would send from `form`, filled in as `user`.
fn fill(form: &html::Form, user: &User) -> Vec<(String, String)> {
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
async fn submit(
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
async fn form_sign_in(cx: &Cx, user: &User, next: Option<&str>) -> Result<Session, Failure> {
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
async fn api_sign_in(
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
fn hard_coded(url: &Url) -> Failure {
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
fn no_redirect_to_provider(cx: &Cx, hops: &Hops) -> Failure {
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
async fn google_sign_in(cx: &Cx, user: &User, next: Option<&str>) -> Result<Session, Failure> {
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
async fn sign_in_as(cx: &Cx, user: &User, next: Option<&str>) -> Result<Session, Failure> {
    match cx.profile.kind {
        Kind::Form => form_sign_in(cx, user, next).await,
        Kind::Api => api_sign_in(cx, user, None).await,
        Kind::Google => google_sign_in(cx, user, next).await,
    }
}

/// Signs in as `user` and fails unless the protected page then opens.
async fn signed_in_as(cx: &Cx, user: &User) -> Result<Session, Failure> {
    let mut session = sign_in_as(cx, user, None).await?;
    let (open, page) = opens(cx, &mut session.browser).await?;
    if open {
        return Ok(session);
    }
    Err(Failure::new(format!("{} to open once signed in as {}", opened_what(cx), user.login()))
        .sent(format!("signed in as {} with password {:?}", user.login(), user.password))
        .got(format!("{}\nthen:\n{}", session.hops.story(), page.story())))
}

fn opened_what(cx: &Cx) -> String {
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
async fn registered(cx: &mut Cx) -> Result<User, Failure> {
    if let Some(user) = cx.made.first() {
        return Ok(user.clone());
    }
    let user = User::made_up();
    register(cx, &user).await?;
    cx.made.push(user.clone());
    Ok(user)
}

async fn register(cx: &Cx, user: &User) -> Result<Hops, Failure> {
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

async fn sign_in_form(cx: &mut Cx) -> Outcome {
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

async fn sign_in(cx: &mut Cx) -> Outcome {
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

async fn wrong_password(cx: &mut Cx) -> Outcome {
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

async fn guarded(cx: &mut Cx) -> Outcome {
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

async fn static_files(cx: &mut Cx) -> Outcome {
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
fn static_folder(app_dir: &std::path::Path) -> Option<String> {
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

async fn register_check(cx: &mut Cx) -> Outcome {
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
async fn sign_out(cx: &Cx, session: &mut Session) -> Result<Hops, Failure> {
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

async fn logout_check(cx: &mut Cx) -> Outcome {
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

async fn logout_replay(cx: &mut Cx) -> Outcome {
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
async fn auth_cookies(cx: &Cx, session: &Session) -> Result<Vec<SetCookie>, Failure> {
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

async fn cookie_flag(cx: &mut Cx, http_only: bool) -> Outcome {
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
fn tampered(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return "x".into();
    }
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

async fn signed_cookie(cx: &mut Cx) -> Outcome {
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

async fn password_at_rest(cx: &mut Cx) -> Outcome {
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

async fn session_renewed(cx: &mut Cx) -> Outcome {
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

async fn open_redirect(cx: &mut Cx) -> Outcome {
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

/// Form fields, in order.
type Fields = Vec<(String, String)>;

fn json_of(hops: &Hops) -> Option<serde_json::Value> {
    serde_json::from_slice(&hops.last().body).ok()
}

async fn api_login(cx: &mut Cx) -> Outcome {
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

async fn api_login_errors(cx: &mut Cx) -> Outcome {
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

async fn api_me(cx: &mut Cx) -> Outcome {
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

async fn api_guarded(cx: &mut Cx) -> Outcome {
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

async fn session_expiry(cx: &mut Cx, entry: &Entry) -> Outcome {
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

/// Where a Google sign-in starts and lands, when the profile's routes are
/// not the app's: a link on the home page that leads to a provider, and
/// the page the sign-in ends on when the protected page is not there.
async fn settle_google_routes(cx: &mut Cx) {
    if cx.settled {
        return;
    }
    cx.settled = true;
    let mut browser = cx.browser();
    let leaves = match browser.get(&sign_in_path(cx)).await {
        Ok(hops) => hops.off_site.is_some(),
        Err(_) => false,
    };
    if !leaves && let Ok(home) = browser.get("/").await {
        let words = ["google", "login", "signin", "sign-in", "sign_in", "auth"];
        let links: Vec<String> = html::links(&home.last().text())
            .into_iter()
            .filter(|l| words.iter().any(|w| l.to_ascii_lowercase().contains(w)))
            .take(4)
            .collect();
        for link in links {
            if browser.get(&link).await.is_ok_and(|hops| hops.off_site.is_some()) {
                cx.routes.sign_in = Some(link);
                break;
            }
        }
    }
    let protected = browser.get(&protected_path(cx)).await;
    if protected.is_ok_and(|hops| hops.last().status == 404)
        && let Ok(session) = google_sign_in(cx, &User::made_up(), None).await
        && session.hops.last().status == 200
        && session.hops.off_site.is_none()
    {
        cx.routes.protected = Some(session.hops.path());
        cx.landing = true;
    }
}

async fn provider_configurable(cx: &mut Cx) -> Outcome {
    settle_google_routes(cx).await;
    let provider = cx.provider.as_ref().expect("a google profile has a provider");
    let mut browser = cx.browser();
    let hops = browser.get(&sign_in_path(cx)).await?;
    let Some(url) = hops.off_site.clone() else {
        return Err(no_redirect_to_provider(cx, &hops));
    };
    let mock = Url::parse(provider.idp.issuer()).expect("the issuer is a URL");
    if url.origin() != mock.origin() {
        return Err(hard_coded(&url));
    }
    Ok(None)
}

async fn auto_register(cx: &mut Cx) -> Outcome {
    let user = User::made_up();
    let email = user.email.clone().unwrap_or_default();
    signed_in_as(cx, &user).await?;
    let Some(_file) = at_rest::mentions(&cx.app_dir, &email) else {
        return Err(Failure::new(format!(
            "the person ({email}) kept in the app's files or database after the first sign-in"
        ))
        .sent(format!("signed in for the first time as {email}"))
        .got("no file of the app (its database included) holds the email: it keeps no account"));
    };
    signed_in_as(cx, &user).await.map_err(|mut failure| {
        failure.expected = format!("a second sign-in to work: {}", failure.expected);
        failure
    })?;
    Ok(None)
}

async fn sessions_folder(cx: &mut Cx) -> Outcome {
    session(cx).await?;
    let mut stack = vec![cx.app_dir.clone()];
    let mut seen = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let in_sessions = path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().contains("session"));
            let new = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= cx.started);
            if in_sessions && new {
                if path.extension().is_some_and(|e| e == "json") {
                    return Ok(None);
                }
                seen.push(path.strip_prefix(&cx.app_dir).unwrap_or(&path).display().to_string());
            }
        }
    }
    Err(Failure::new("a new .json file in a sessions folder after signing in").got(
        if seen.is_empty() {
            "no new file in any folder named sessions".to_owned()
        } else {
            format!("new files, none of them JSON: {}", seen.join(", "))
        },
    ))
}
