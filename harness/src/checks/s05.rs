//! Step 05: Sign in with Google, graded against the harness's own OpenID
//! provider (`crate::provider`), the harness being the browser. Everything
//! of step 04 still holds.
//!
//! The checks are grouped by what they look at: the requests the server
//! makes (`requests`), who the provider's user becomes (`accounts`), the
//! callback refusing what it must (`callback`), the ID token
//! (`id_token`), and a provider that fails (`provider_errors`).

mod accounts;
pub mod browser;
mod callback;
mod db;
pub mod flow;
mod id_token;
mod provider_errors;
pub mod requests;

use crate::{
    check::{Check, Ctx, Failure},
    check_fn,
    idp::TestUser,
    provider::Provider,
    sandbox::random_token,
};

const REQUEST: &str = "05-google-oidc.md#the-authorization-request";
const CALLBACK: &str = "05-google-oidc.md#the-callback";
const ID_TOKEN: &str = "05-google-oidc.md#validating-the-id-token";
const WHO: &str = "05-google-oidc.md#who-is-this-user";
const FAILS: &str = "05-google-oidc.md#when-the-provider-fails";

/// Step 04's checks, which still hold, and step 05's own.
pub fn checks() -> Vec<Check> {
    let mut checks = super::s04::checks();
    checks.extend([
        Check {
            id: "s05.login-button",
            title: "GET / shows a \"Sign in with Google\" link to /login/google",
            points: 1,
            requires: Some("s01.starts"),
            hint: "Anonymous, / needs <a href=\"/login/google\"> (or a form going there) beside the password form.",
            book: REQUEST,
            asvs: &[],
            run: check_fn!(requests::login_button),
        },
        Check {
            id: "s05.authorization-request",
            title: "GET /login/google: 303 to the provider with client_id, redirect_uri, scope, a fresh state, nonce and S256 challenge",
            points: 3,
            requires: Some("s01.starts"),
            hint: "Read authorization_endpoint from OIDC_ISSUER's discovery document; send response_type=code, client_id, redirect_uri=$PUBLIC_URL/auth/callback, scope=openid email profile, and new random state, nonce and PKCE challenge (S256) at every request.",
            book: REQUEST,
            asvs: &["V4.2.2"],
            run: check_fn!(requests::authorization_request),
        },
        Check {
            id: "s05.sign-in",
            title: "the whole flow signs in: 303 to /cabinet, a new session id, /api/me with provider google, email and name",
            points: 4,
            requires: Some("s05.authorization-request"),
            hint: "On /auth/callback check state, redeem the code with the verifier, validate the ID token, find or create the user, start a new session (new id) and answer 303 to /cabinet.",
            book: CALLBACK,
            asvs: &["V3.2.1"],
            run: check_fn!(accounts::sign_in),
        },
        Check {
            id: "s05.token-request",
            title: "the code is redeemed with the PKCE verifier, the same redirect_uri and the client secret",
            points: 2,
            requires: Some("s05.authorization-request"),
            hint: "POST to token_endpoint: grant_type=authorization_code, the code, the same redirect_uri, the code_verifier kept from /login/google, and client_secret_basic or client_secret_post.",
            book: CALLBACK,
            asvs: &[],
            run: check_fn!(requests::token_request),
        },
        Check {
            id: "s05.auto-register",
            title: "a first sign-in creates a users row with provider google, subject = sub, email and name",
            points: 2,
            requires: Some("s05.sign-in"),
            hint: "Insert the user at the first sign-in with provider = 'google' and subject = the ID token's sub (as text), with its email and name.",
            book: WHO,
            asvs: &[],
            run: check_fn!(accounts::auto_register),
        },
        Check {
            id: "s05.same-user-again",
            title: "signing in again with the same sub is the same account",
            points: 2,
            requires: Some("s05.sign-in"),
            hint: "Look the user up by (provider, subject) before creating one.",
            book: WHO,
            asvs: &[],
            run: check_fn!(accounts::same_user_again),
        },
        Check {
            id: "s05.email-change-keeps-account",
            title: "the same sub with a new email address is still the same account",
            points: 2,
            requires: Some("s05.same-user-again"),
            hint: "The email can change at the provider; only (provider, sub) names the account.",
            book: WHO,
            asvs: &[],
            run: check_fn!(accounts::email_change_keeps_account),
        },
        Check {
            id: "s05.same-email-other-sub",
            title: "another sub with the same email address is another account",
            points: 3,
            requires: Some("s05.sign-in"),
            hint: "Never find an account by email: whoever controls an address at the provider would get the account that first used it.",
            book: WHO,
            asvs: &["V4.1.3"],
            run: check_fn!(accounts::same_email_other_sub),
        },
        Check {
            id: "s05.local-account-not-taken-over",
            title: "a Google user named like a password account does not get that account",
            points: 3,
            requires: Some("s05.sign-in"),
            hint: "A Google user is found by (provider, sub) only; when the username you make for them is taken, make another.",
            book: WHO,
            asvs: &["V4.1.3"],
            run: check_fn!(accounts::local_account_not_taken_over),
        },
        Check {
            id: "s05.state-missing",
            title: "a callback without state: 400, no session",
            points: 2,
            requires: Some("s05.sign-in"),
            hint: "Keep the state you sent with the browser's pending sign-in; refuse a callback without it, with 400, before redeeming the code.",
            book: CALLBACK,
            asvs: &["V4.2.2"],
            run: check_fn!(callback::state_missing),
        },
        Check {
            id: "s05.state-wrong",
            title: "a callback with another state: 400, no session",
            points: 2,
            requires: Some("s05.sign-in"),
            hint: "Compare the callback's state with the one kept for this browser's sign-in (in constant time); refuse any other with 400.",
            book: CALLBACK,
            asvs: &["V4.2.2"],
            run: check_fn!(callback::state_wrong),
        },
        Check {
            id: "s05.state-other-browser",
            title: "a callback in a browser that did not start that sign-in: 400, no session",
            points: 3,
            requires: Some("s05.sign-in"),
            hint: "Tie the state to the browser that started the sign-in (its session or a cookie), not to a list every browser shares: otherwise an attacker signs a victim in as the attacker.",
            book: CALLBACK,
            asvs: &["V4.2.2"],
            run: check_fn!(callback::state_other_browser),
        },
        Check {
            id: "s05.access-denied",
            title: "the provider's error=access_denied: 400, no session",
            points: 2,
            requires: Some("s05.sign-in"),
            hint: "A callback with `error` carries no code: show the person a 400 page in plain words, and sign no one in.",
            book: FAILS,
            asvs: &["V4.1.5"],
            run: check_fn!(callback::access_denied),
        },
        Check {
            id: "s05.callback-replayed",
            title: "the same callback URL a second time signs no one in",
            points: 2,
            requires: Some("s05.sign-in"),
            hint: "A pending sign-in is used once: forget its state, nonce and verifier at the first callback, whatever the outcome.",
            book: CALLBACK,
            asvs: &["V3.5.3"],
            run: check_fn!(callback::callback_replayed),
        },
    ]);
    checks.extend(id_token::checks());
    checks.extend([
        Check {
            id: "s05.provider-errors",
            title: "a token endpoint that fails (400, 500, not JSON, or silent past 10 s) gives 502 and the server goes on",
            points: 3,
            requires: Some("s05.sign-in"),
            hint: "Give the token request a timeout of at most 10 s; any error, timeout or unreadable answer is a 502 page, never a panic or a hang.",
            book: FAILS,
            asvs: &["V4.1.5", "V7.4.1"],
            run: check_fn!(provider_errors::provider_errors),
        },
        Check {
            id: "s05.password-still-works",
            title: "password accounts still sign in, with provider \"password\"",
            points: 1,
            requires: Some("s01.login-success"),
            hint: "Keep the password sign-in of step 04, and answer /api/me with \"provider\": \"password\" for those accounts.",
            book: WHO,
            asvs: &[],
            run: check_fn!(accounts::password_still_works),
        },
    ]);
    checks
}

/// The run's provider: started by the runner for every step from 05.
fn provider(cx: &Ctx) -> Result<&Provider, Failure> {
    cx.provider.as_ref().ok_or_else(|| {
        Failure::new("the grader's mock OpenID provider (started for steps 05 and later)")
            .got("no provider was started for this run")
    })
}

/// Someone who has never signed in: a new email and `sub` at every run, so
/// that a database shared between runs never knows them already.
fn new_google_user(label: &str) -> TestUser {
    let tag = &random_token()[..8];
    TestUser { sub: new_sub(), ..TestUser::made_up(&format!("{label}.{tag}@example.com")) }
}

/// A fresh subject, Google-shaped: 21 digits.
pub(super) fn new_sub() -> String {
    format!("1{:020}", rand::random::<u64>())
}
