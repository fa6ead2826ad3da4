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

mod api;
mod google;
mod pages;
mod security;
mod signing_in;
mod storage;

use api::*;
use google::*;
use pages::*;
use security::*;
use signing_in::*;
pub use signing_in::{Session, opens, session};
use storage::*;

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
