//! The mock provider does OpenID Connect as a real client expects: found by
//! discovery, a code flow with PKCE, an ID token that verifies against the
//! JWKS, userinfo, key rotation, a sign-in page for a person, sign-out, a
//! log of what the client sent, and a command to run it alone.

mod idp_common;

use std::time::{Duration, SystemTime};

use harness::idp::{Authorization, Client, ClientAuthMethod, Endpoint, TestUser};
use idp_common::{
    App, CLIENT_ID, REDIRECT_URI, SECRET, alice, claims_of, redirect, start, token_error_words,
};
use oauth2::{AuthType, TokenResponse};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn discovery_names_the_issuer_and_every_endpoint_under_it() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let doc = &app.discovery;
    assert_eq!(doc["issuer"], idp.issuer());
    assert!(idp.issuer().starts_with("http://127.0.0.1:"));
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ] {
        let url = doc[endpoint].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/", idp.issuer())), "{endpoint}: {url}");
    }
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
}

#[tokio::test]
async fn a_client_signs_in_with_client_secret_basic_and_gets_a_google_shaped_id_token() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let alice = alice(&idp);
    let (flow, tokens) = app.sign_in(&idp, &alice).await;
    let id_token = &tokens.extra_fields().id_token;

    let claims = app.verify(id_token, &flow.nonce).await.expect("a valid ID token");
    assert!(app.defects(id_token, &flow.nonce).await.is_empty());
    assert_eq!(claims["sub"], alice.sub);
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(claims["given_name"], "Alice");
    assert_eq!(claims["family_name"], "Liddell");
    assert_eq!(claims["azp"], CLIENT_ID);
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], flow.nonce.as_str());
    assert!(claims.get("hd").is_none(), "alice is no Workspace account");
    let picture = claims["picture"].as_str().unwrap();
    assert!(picture.starts_with(idp.issuer()), "{picture}");
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(lifetime, 3600);

    // at_hash binds the ID token to the access token it came with.
    let access = tokens.access_token().secret();
    let digest = Sha256::digest(access.as_bytes());
    use base64::Engine as _;
    let at_hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    assert_eq!(claims["at_hash"], at_hash);
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(3600)));

    let exchange = &idp.requests_to(Endpoint::Token)[0];
    let auth = exchange.client_auth().unwrap();
    assert_eq!(auth.method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(auth.client_id, CLIENT_ID);
}

#[tokio::test]
async fn client_secret_post_works_too() {
    let idp = start().await;
    let app = App::with(&idp, CLIENT_ID, SECRET, AuthType::RequestBody).await;
    let (flow, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    app.verify(&tokens.extra_fields().id_token, &flow.nonce).await.expect("a valid ID token");
    let exchange = &idp.requests_to(Endpoint::Token)[0];
    assert_eq!(exchange.client_auth().unwrap().method, ClientAuthMethod::ClientSecretPost);
    assert_eq!(exchange.authorization, None);
}

#[tokio::test]
async fn a_check_registers_its_step_as_a_client_at_run_time() {
    let idp = start().await;
    idp.register_client(Client::new("late-client", "first", [REDIRECT_URI])).unwrap();
    let app = App::with(&idp, "late-client", "first", AuthType::BasicAuth).await;
    app.sign_in(&idp, &alice(&idp)).await;

    // Registering the same id again replaces it.
    idp.register_client(Client::new("late-client", "second", [REDIRECT_URI])).unwrap();
    idp.approve_next_as(&alice(&idp));
    let flow = app.begin();
    let code = app.code_for(&flow).await;
    let error = app.exchange(&code, flow.verifier()).await.unwrap_err();
    assert_eq!(token_error_words(&error), "invalid_client");
    let app = App::with(&idp, "late-client", "second", AuthType::BasicAuth).await;
    app.sign_in(&idp, &alice(&idp)).await;

    let fragment = Client::new("bad", "x", ["http://localhost:1/cb#here"]);
    assert!(idp.register_client(fragment).is_err());
}

#[tokio::test]
async fn userinfo_tells_about_the_same_user() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (_, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    let answer = app.userinfo(tokens.access_token().secret()).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let info: Value = answer.json().await.unwrap();
    let claims = claims_of(&tokens.extra_fields().id_token);
    for claim in ["sub", "email", "email_verified", "name", "picture"] {
        assert_eq!(info[claim], claims[claim], "{claim}");
    }
}

#[tokio::test]
async fn scopes_decide_the_claims_and_workspace_accounts_carry_hd() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let erin = idp.user("erin").unwrap();
    idp.approve_next_as(&erin);
    let (verifier, challenge) = idp_common::pkce();
    let mut params = idp_common::good_params(&challenge);
    params[3].1 = "openid".into();
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = app.get(idp_common::authorize_url(&idp, &pairs)).await;
    let (_, query) = redirect(&answer);
    let tokens =
        app.exchange(&query["code"], oauth2::PkceCodeVerifier::new(verifier)).await.unwrap();
    let claims = claims_of(&tokens.extra_fields().id_token);
    assert_eq!(claims["sub"], erin.sub);
    assert_eq!(claims["hd"], "example.edu");
    for absent in ["email", "email_verified", "name", "picture", "given_name"] {
        assert!(claims.get(absent).is_none(), "{absent} without its scope");
    }
    let info: Value = app.userinfo(tokens.access_token().secret()).await.json().await.unwrap();
    assert!(info.get("email").is_none() && info["sub"] == erin.sub.as_str());
}

#[tokio::test]
async fn the_log_shows_what_the_client_sent() {
    let started = SystemTime::now();
    let idp = start().await;
    let app = App::new(&idp).await;
    let (flow, _) = app.sign_in(&idp, &alice(&idp)).await;

    let authorize = &idp.requests_to(Endpoint::Authorize)[0];
    assert_eq!(authorize.method, "GET");
    assert_eq!(authorize.status, Some(302));
    assert_eq!(authorize.query_param("redirect_uri"), Some(REDIRECT_URI));
    assert_eq!(authorize.query_param("code_challenge_method"), Some("S256"));
    assert_eq!(authorize.query_param("nonce"), Some(flow.nonce.as_str()));
    assert_eq!(authorize.query_param("state"), Some(flow.state.as_str()));

    let token = &idp.requests_to(Endpoint::Token)[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.status, Some(200));
    assert_eq!(token.form_field("code_verifier"), Some(flow.verifier.secret().as_str()));
    assert_eq!(token.form_field("redirect_uri"), Some(REDIRECT_URI));
    assert_eq!(token.form_field("grant_type"), Some("authorization_code"));
    assert_eq!(token.authorization, Some(Authorization::Basic { client_id: CLIENT_ID.into() }));
    assert!(started <= authorize.at && authorize.at <= token.at);
    let everything = format!("{:?}", idp.requests());
    assert!(!everything.contains(SECRET), "the secret stays out of the log");
    assert!(token.summary().starts_with("POST /token [client_secret_basic test-client]"));

    // A client_secret_post secret is hidden too.
    let app = App::with(&idp, CLIENT_ID, SECRET, AuthType::RequestBody).await;
    app.sign_in(&idp, &alice(&idp)).await;
    let token = idp.requests_to(Endpoint::Token).pop().unwrap();
    assert_eq!(token.form_field("client_secret"), Some("(hidden)"));
    idp.clear_log();
    assert!(idp.requests().is_empty());
}

#[tokio::test]
async fn rotated_keys_sign_new_tokens_and_old_ones_verify_until_retired() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let old_kid = idp.signing_key().kid().to_owned();
    let (old_flow, old_tokens) = app.sign_in(&idp, &alice(&idp)).await;

    let new_kid = idp.rotate_keys().await.unwrap();
    assert_ne!(new_kid, old_kid);
    let kids: Vec<_> =
        app.jwks().await.keys.into_iter().map(|k| k.common.key_id.unwrap()).collect();
    assert_eq!(kids, [new_kid.clone(), old_kid.clone()]);
    let (flow, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    let header = jsonwebtoken::decode_header(&tokens.extra_fields().id_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    app.verify(&tokens.extra_fields().id_token, &flow.nonce).await.unwrap();
    let old = &old_tokens.extra_fields().id_token;
    app.verify(old, &old_flow.nonce).await.unwrap();

    idp.retire_old_keys();
    assert_eq!(app.jwks().await.keys.len(), 1);
    assert_eq!(app.verify(old, &old_flow.nonce).await, Err(idp_common::Rejected::UnknownKid));
}

#[tokio::test]
async fn the_sign_in_page_lists_the_users_and_escapes_what_it_echoes() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (_, challenge) = idp_common::pkce();
    let mut params = idp_common::good_params(&challenge);
    params[4].1 = "\"><script>alert('state')</script>".into();
    params.push(("login_hint", "<img src=x onerror=alert(1)>".into()));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = app.get(idp_common::authorize_url(&idp, &pairs)).await;
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(answer.headers()["x-frame-options"], "DENY");
    let page = answer.text().await.unwrap();
    assert!(page.contains("alice@example.com") && page.contains("Bob Tables"));
    assert!(page.contains("Carol &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;script&gt;alert(&#39;state&#39;)"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.contains("<script>") && !page.contains("<img"), "{page}");
    assert!(page.contains("value=\"allow\"") && page.contains("value=\"deny\""));
}

/// The sign-in page's form, as a browser would post it back.
async fn post_page(app: &App, challenge: &str, choice: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(String, String)> =
        idp_common::good_params(challenge).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    form.extend(choice.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    app.http.post(app.endpoint("authorization_endpoint")).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn deny_on_the_page_sends_access_denied_with_the_state() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (_, challenge) = idp_common::pkce();
    let answer = post_page(&app, &challenge, &[("user", "alice"), ("decision", "deny")]).await;
    let (to, query) = redirect(&answer);
    assert_eq!(to, REDIRECT_URI);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "the-state");
    assert!(!query.contains_key("code"));
}

#[tokio::test]
async fn allow_on_the_page_signs_in_the_chosen_or_the_typed_user() {
    let idp = start().await;
    let app = App::new(&idp).await;
    for (choice, expected) in [
        (vec![("user", "bob")], idp.user("bob").unwrap()),
        (vec![("user", "bob"), ("login", "zoe@example.org")], TestUser::made_up("zoe@example.org")),
        (vec![("login", "carol@example.com")], idp.user("carol").unwrap()),
    ] {
        let (verifier, challenge) = idp_common::pkce();
        let mut choice = choice.clone();
        choice.push(("decision", "allow"));
        let answer = post_page(&app, &challenge, &choice).await;
        let (_, query) = redirect(&answer);
        assert_eq!(query["state"], "the-state");
        let tokens = app
            .exchange(&query["code"], oauth2::PkceCodeVerifier::new(verifier))
            .await
            .unwrap_or_else(|e| panic!("{}", token_error_words(&e)));
        let claims = claims_of(&tokens.extra_fields().id_token);
        assert_eq!(claims["sub"], expected.sub, "{choice:?}");
        assert_eq!(claims["email"], expected.email);
        assert_eq!(claims["nonce"], "the-nonce");
    }
    let zoe = TestUser::made_up("Zoe@Example.org");
    assert_eq!(zoe.sub, TestUser::made_up("zoe@example.org").sub, "a stable sub");
    assert_eq!(zoe.sub.len(), 21);
}

#[tokio::test]
async fn the_page_re_checks_the_request_it_carried() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let form = [
        ("client_id", CLIENT_ID),
        ("redirect_uri", "http://evil.example/steal"),
        ("decision", "allow"),
        ("user", "alice"),
    ];
    let answer =
        app.http.post(app.endpoint("authorization_endpoint")).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.headers().get("location").is_none());
}

#[tokio::test]
async fn approvals_queue_one_a_request_and_auto_approval_takes_every_request() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let bob = idp.user("bob").unwrap();
    idp.approve_next_as(&bob);
    idp.deny_next();
    let first = app.begin();
    let (_, query) = redirect(&app.get(first.url.clone()).await);
    assert!(query.contains_key("code"));
    let second = app.begin();
    let (_, query) = redirect(&app.get(second.url.clone()).await);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], second.state);
    // Nothing queued: a person gets the page.
    assert_eq!(app.get(app.begin().url).await.status(), 200);

    idp.auto_approve_as(Some(&bob));
    for _ in 0..2 {
        let flow = app.begin();
        let code = app.code_for(&flow).await;
        let tokens = app.exchange(&code, flow.verifier()).await.unwrap();
        assert_eq!(claims_of(&tokens.extra_fields().id_token)["sub"], bob.sub);
    }
    idp.auto_approve_as(None);
    assert_eq!(app.get(app.begin().url).await.status(), 200);

    // An invalid request does not use up a queued approval.
    idp.approve_next_as(&bob);
    let bad = idp_common::authorize_url(
        &idp,
        &[("client_id", CLIENT_ID), ("redirect_uri", REDIRECT_URI)],
    );
    let (_, query) = redirect(&app.get(bad).await);
    assert!(query.contains_key("error"));
    app.code_for(&app.begin()).await;
}

#[tokio::test]
async fn prompt_none_without_a_decision_answers_login_required() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (_, challenge) = idp_common::pkce();
    let mut params = idp_common::good_params(&challenge);
    params.push(("prompt", "none".into()));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, query) = redirect(&app.get(idp_common::authorize_url(&idp, &pairs)).await);
    assert_eq!(query["error"], "login_required");
    assert_eq!(query["state"], "the-state");
}

#[tokio::test]
async fn end_session_sends_back_only_to_a_registered_uri() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (_, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    let id_token = tokens.extra_fields().id_token.clone();
    let end = app.endpoint("end_session_endpoint");

    let answer = app
        .http
        .get(&end)
        .query(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "http://127.0.0.1:9/bye"),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    let (to, query) = redirect(&answer);
    assert_eq!(to, "http://127.0.0.1:9/bye");
    assert_eq!(query["state"], "s1");

    for params in [
        vec![
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "http://evil.example/"),
        ],
        vec![("post_logout_redirect_uri", "http://127.0.0.1:9/bye")],
        vec![("id_token_hint", "not.a.token")],
    ] {
        let answer = app.http.get(&end).query(&params).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{params:?}");
        assert!(answer.headers().get("location").is_none());
    }
    let plain = app.http.get(&end).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(idp.requests_to(Endpoint::EndSession).len(), 5);
}

#[tokio::test]
async fn pictures_are_drawn_by_the_provider() {
    let idp = start().await;
    let app = App::new(&idp).await;
    let (_, tokens) = app.sign_in(&idp, &alice(&idp)).await;
    let picture =
        claims_of(&tokens.extra_fields().id_token)["picture"].as_str().unwrap().to_owned();
    let answer = app.get(&picture).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "image/svg+xml");
    assert!(answer.text().await.unwrap().contains(">A</text>"));
}

#[tokio::test]
async fn the_command_prints_the_environment_and_stops_on_ctrl_c() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_authlings"))
        .args(["idp", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut env = std::collections::HashMap::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some((name, value)) =
                line.trim().strip_prefix("export ").and_then(|l| l.split_once('='))
            {
                env.insert(name.to_owned(), value.to_owned());
            }
            if line.starts_with("Test users:") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read).await.expect("the instructions");
    assert_eq!(env["OIDC_CLIENT_ID"], "authlings-step05");
    assert_eq!(env["OIDC_CLIENT_SECRET"], "authlings-step05-mock-secret");
    let issuer = &env["OIDC_ISSUER"];
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());

    let pid = child.id().unwrap() as i32;
    // SAFETY: kill(2) on the child we started; it touches no memory of ours.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("it stops within 5 s")
        .unwrap();
    assert!(matches!(status.code(), Some(0 | 130)), "{status:?}");
}

#[tokio::test]
async fn the_microsoft_command_prints_both_mocks_environment() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_authlings"))
        .args(["idp", "--microsoft", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut env = std::collections::HashMap::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some((name, value)) =
                line.trim().strip_prefix("export ").and_then(|l| l.split_once('='))
            {
                env.insert(name.to_owned(), value.to_owned());
            }
            if line.starts_with("Test users:") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read).await.expect("the instructions");
    assert_eq!(env["MS_CLIENT_ID"], "authlings-local-microsoft");
    assert_eq!(env["MS_CLIENT_SECRET"], "authlings-local-microsoft-mock-secret");
    assert_eq!(env["MS_TENANT"], harness::idp::HOME_TENANT);
    assert_eq!(env["PRICE_SERVICE_RESOURCE"], "api://authlings-prices");
    let issuer = &env["MS_ISSUER"];
    assert!(issuer.ends_with("/organizations/v2.0"), "{issuer}");
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(discovery["issuer"].as_str().unwrap().ends_with("/{tenantid}/v2.0"));
    let client = reqwest::Client::new();
    let token: Value = client
        .get(&env["IDENTITY_ENDPOINT"])
        .query(&[
            ("resource", env["PRICE_SERVICE_RESOURCE"].as_str()),
            ("api-version", "2019-08-01"),
        ])
        .header("X-IDENTITY-HEADER", &env["IDENTITY_HEADER"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let prices = client
        .get(format!("{}/prices", env["PRICE_SERVICE_URL"]))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(prices.status(), 200);

    let pid = child.id().unwrap() as i32;
    // SAFETY: kill(2) on the child we started; it touches no memory of ours.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("it stops within 5 s")
        .unwrap();
    assert!(matches!(status.code(), Some(0 | 130)), "{status:?}");
}
