//! What the server sends: the button, the authorization request (to the
//! provider, through the browser) and the token request (to the provider,
//! directly, read from the provider's log).

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::Url;
use sha2::{Digest, Sha256};

use super::{browser::Browser, flow, new_google_user, provider};
use crate::{
    check::{Ctx, Failure, Outcome},
    html,
    idp::{ClientAuthMethod, Endpoint},
};

pub async fn login_button(cx: &mut Ctx) -> Outcome {
    expect_sign_in_link(cx, "/login/google", "Google").await
}

/// Fails unless the anonymous `/` links to `path`: a provider's button.
pub async fn expect_sign_in_link(cx: &mut Ctx, path: &str, label: &str) -> Outcome {
    let reply = cx.http.get("/").send().await?;
    let page = reply.text();
    // Where a link on `/` leads, as the browser resolves it.
    let home = Url::parse(&format!("{}/", cx.http.base_url)).expect("the server's URL");
    let goes_there = |target: &str| {
        home.join(target).is_ok_and(|url| url.origin() == home.origin() && url.path() == path)
    };
    let linked = html::links(&page).iter().any(|href| goes_there(href))
        || html::forms(&page)
            .iter()
            .any(|form| goes_there(&form.action) && !form.method.eq_ignore_ascii_case("post"));
    if reply.status != 200 || !linked {
        return Err(reply.fail(format!(
            "200 with a \"Sign in with {label}\" link: <a href=\"{path}\"> (or a form going there with GET)"
        )));
    }
    Ok(())
}

/// What one authorization request holds that must be fresh each time.
struct Fresh {
    state: String,
    nonce: String,
    challenge: String,
}

pub async fn authorization_request(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let redirect_uri = format!("{}/auth/callback", cx.http.base_url);
    let mut seen: Vec<Fresh> = Vec::new();
    for _ in 0..2 {
        let mut browser = Browser::new(&cx.http.base_url);
        let authorization = flow::begin(&mut browser, provider).await?;
        let fail = |expected: String| {
            Failure::new(expected)
                .sent("GET /login/google")
                .got(format!("303 See Other to {}", authorization.url))
        };
        for (name, value) in [
            ("response_type", "code"),
            ("client_id", provider.client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_challenge_method", "S256"),
        ] {
            if authorization.param(name).as_deref() != Some(value) {
                return Err(fail(format!("{name}={value} in the authorization request")));
            }
        }
        let scope = authorization.param("scope").unwrap_or_default();
        if !["openid", "email", "profile"].iter().all(|s| scope.split(' ').any(|given| given == *s))
        {
            return Err(fail("scope holding openid, email and profile (space-separated)".into()));
        }
        let mut fresh = Vec::new();
        for name in ["state", "nonce", "code_challenge"] {
            match authorization.param(name) {
                Some(value) if !value.is_empty() => fresh.push(value),
                _ => return Err(fail(format!("a {name} in the authorization request"))),
            }
        }
        let [state, nonce, challenge] = <[String; 3]>::try_from(fresh).expect("three values");
        let is_s256 = challenge.len() == 43
            && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !is_s256 {
            return Err(fail(
                "code_challenge: the unpadded base64url SHA-256 of the verifier (43 characters)"
                    .into(),
            ));
        }
        if let Some(first) = seen.first() {
            for (name, before, now) in [
                ("state", &first.state, &state),
                ("nonce", &first.nonce, &nonce),
                ("code_challenge", &first.challenge, &challenge),
            ] {
                if before == now {
                    return Err(Failure::new(format!(
                        "a new random {name} for every sign-in: a value used before can be guessed or replayed"
                    ))
                    .sent("GET /login/google twice, in two browsers")
                    .got(format!("{name}={now} both times")));
                }
            }
        }
        seen.push(Fresh { state, nonce, challenge });
    }
    Ok(())
}

pub async fn token_request(cx: &mut Ctx) -> Outcome {
    let provider = provider(cx)?;
    let user = new_google_user("tess");
    let mut browser = Browser::new(&cx.http.base_url);
    let attempt = flow::attempt(&mut browser, provider, &user, None).await?;
    let code = attempt.callback.param("code").unwrap_or_default();
    let sent = format!("a sign-in as {}, then {}", user.email, attempt.reply.sent);
    let requests = provider.idp.requests_to(Endpoint::Token);
    let Some(request) = requests.iter().find(|r| r.form_field("code") == Some(code.as_str()))
    else {
        return Err(Failure::new(
            "a POST of the code to the provider's token_endpoint, before answering the callback",
        )
        .sent(sent)
        .got(format!(
            "no token request carried the code; the callback answered {}",
            attempt.reply.summary()
        )));
    };
    let fail = |expected: &str| {
        Failure::new(expected.to_owned())
            .sent(sent.clone())
            .got(format!("the provider received: {}", request.summary()))
    };
    if request.method != "POST" || request.form_field("grant_type") != Some("authorization_code") {
        return Err(fail("a form POST with grant_type=authorization_code"));
    }
    let redirect_uri = format!("{}/auth/callback", cx.http.base_url);
    if request.form_field("redirect_uri") != Some(redirect_uri.as_str()) {
        return Err(fail(&format!(
            "redirect_uri={redirect_uri}, the one the authorization request had"
        )));
    }
    let challenge = attempt.authorization.param("code_challenge").unwrap_or_default();
    let verifies = request.form_field("code_verifier").is_some_and(|verifier| {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
    });
    if !verifies {
        return Err(fail(&format!(
            "a code_verifier whose SHA-256 (base64url) is this sign-in's code_challenge, {challenge}"
        )));
    }
    let authenticated = request.client_auth().is_some_and(|auth| {
        auth.client_id == provider.client_id
            && matches!(
                auth.method,
                ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
            )
    });
    if !authenticated {
        return Err(fail(&format!(
            "client authentication as {} with OIDC_CLIENT_SECRET: client_secret_basic or client_secret_post",
            provider.client_id
        )));
    }
    if request.status != Some(200) {
        return Err(fail(
            "a token request the provider accepts (200); 401 means the client secret is not OIDC_CLIENT_SECRET",
        ));
    }
    Ok(())
}
