//! Microsoft's shape of the provider: discovery for each kind of tenant,
//! Entra ID's claims, the single tenant's refusal of guests, and the
//! faults made for it. (Google's shape is tested in `harness/tests/idp_*`.)

use std::{collections::HashMap, sync::OnceLock, time::Duration};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Validation, decode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{
    Client, Config, Endpoint, Fault, HOME_TENANT, Idp, OTHER_TENANT, Options, Shape, SigningKey,
    TestUser,
};

const CLIENT_ID: &str = "ms-client";
const SECRET: &str = "ms-secret";
const OTHER_CLIENT_ID: &str = "ms-other-client";
/// Nothing listens there: the tests read the redirect, never follow it.
const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/microsoft/callback";

fn key() -> SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().expect("an RSA key")).clone()
}

async fn start(shape: Shape) -> Idp {
    let config = Config {
        users: Vec::new(),
        clients: vec![
            Client::new(CLIENT_ID, SECRET, [REDIRECT_URI]),
            Client::new(OTHER_CLIENT_ID, SECRET, [REDIRECT_URI]),
        ],
    };
    let options = Options { key: Some(key()), shape, ..Options::default() };
    Idp::start(config, options).await.expect("the provider starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn discovery(idp: &Idp, tenant: &str) -> (u16, Value) {
    let url = format!("{}/.well-known/openid-configuration", idp.issuer_for(tenant));
    let answer = http().get(url).send().await.unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap_or(Value::Null))
}

/// The query of a redirect's Location.
fn location_params(answer: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(answer.status(), 302, "a redirect");
    let location = answer.headers()["location"].to_str().unwrap();
    let (to, query) = location.split_once('?').unwrap();
    assert_eq!(to, REDIRECT_URI);
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// One sign-in at `tenant`'s endpoints as `user`: the authorization
/// redirect's parameters, and the token answer if there was a code.
async fn sign_in(
    idp: &Idp,
    tenant: &str,
    client_id: &str,
    scope: &str,
    user: &TestUser,
) -> (HashMap<String, String>, Option<Value>) {
    let (_, doc) = discovery(idp, tenant).await;
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", scope),
        ("state", "the-state"),
        ("nonce", "the-nonce"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ] {
        query.append_pair(name, value);
    }
    idp.approve_next_as(user);
    let authorize = doc["authorization_endpoint"].as_str().unwrap();
    let answer = http().get(format!("{authorize}?{}", query.finish())).send().await.unwrap();
    let params = location_params(&answer);
    let Some(code) = params.get("code") else { return (params, None) };
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &verifier),
        ("client_id", client_id),
        ("client_secret", SECRET),
    ];
    let token_endpoint = doc["token_endpoint"].as_str().unwrap();
    let answer = http().post(token_endpoint).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let tokens: Value = answer.json().await.unwrap();
    (params, Some(tokens))
}

/// The ID token's claims, its RS256 signature checked with the current key
/// (and nothing else: the tests look at the claims themselves).
fn verified_claims(idp: &Idp, tokens: &Value) -> Result<Value, jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let id_token = tokens["id_token"].as_str().unwrap();
    decode::<Value>(id_token, idp.signing_key().decoding(), &validation).map(|data| data.claims)
}

fn unverified_claims(tokens: &Value) -> Value {
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn microsoft_tokens(idp: &Idp, user: &TestUser) -> Value {
    let (_, tokens) = sign_in(idp, "organizations", CLIENT_ID, "openid email profile", user).await;
    tokens.expect("a code, then tokens")
}

#[tokio::test]
async fn multi_tenant_discovery_names_the_issuer_template() {
    let idp = start(Shape::Microsoft).await;
    let base = idp.base_url().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(idp.issuer(), format!("{base}/organizations/v2.0"));
    for tenant in ["organizations", "common"] {
        let (status, doc) = discovery(&idp, tenant).await;
        assert_eq!(status, 200, "{tenant}");
        assert_eq!(doc["issuer"], format!("{base}/{{tenantid}}/v2.0"), "{tenant}");
        for endpoint in
            ["authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"]
        {
            let url = doc[endpoint].as_str().unwrap();
            assert!(url.starts_with(&format!("{base}/{tenant}/v2.0/")), "{endpoint}: {url}");
        }
        assert_eq!(doc["subject_types_supported"], serde_json::json!(["pairwise"]));
        assert!(doc["claims_supported"].as_array().unwrap().iter().any(|c| c == "tid"));
        assert!(doc["tenant_region_scope"].is_null());
    }
}

#[tokio::test]
async fn a_tenants_discovery_names_its_own_issuer() {
    let idp = start(Shape::Microsoft).await;
    let (status, doc) = discovery(&idp, HOME_TENANT).await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], idp.issuer_for(HOME_TENANT));
    let token = doc["token_endpoint"].as_str().unwrap();
    assert_eq!(token, format!("{}/token", idp.issuer_for(HOME_TENANT)));
    // The keys are the same for every tenant.
    let jwks: Value =
        http().get(doc["jwks_uri"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"][0]["kid"], idp.signing_key().kid());
}

#[tokio::test]
async fn an_unknown_tenant_or_googles_paths_are_refused() {
    let idp = start(Shape::Microsoft).await;
    let (status, doc) = discovery(&idp, "contoso").await;
    assert_eq!(status, 400);
    assert_eq!(doc["error"], "invalid_tenant");
    assert!(doc["error_description"].as_str().unwrap().starts_with("AADSTS90002"));
    let google = format!("{}/.well-known/openid-configuration", idp.base_url());
    assert_eq!(http().get(google).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn googles_shape_keeps_one_issuer() {
    let idp = start(Shape::Google).await;
    assert_eq!(idp.issuer(), idp.base_url());
    assert_eq!(idp.issuer_for("organizations"), idp.base_url());
    let (status, doc) = discovery(&idp, "organizations").await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], idp.base_url());
    assert_eq!(doc["token_endpoint"], format!("{}/token", idp.base_url()));
}

#[tokio::test]
async fn microsoft_claims() {
    let idp = start(Shape::Microsoft).await;
    let user = TestUser::made_up_in("zoe", HOME_TENANT);
    let tokens = microsoft_tokens(&idp, &user).await;
    let claims = verified_claims(&idp, &tokens).expect("signed by the provider's key");
    assert_eq!(claims["iss"], idp.issuer_for(HOME_TENANT));
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["tid"], HOME_TENANT);
    assert_eq!(claims["oid"], user.oid.clone().unwrap());
    assert_eq!(claims["preferred_username"], "zoe@example.com");
    assert_eq!(claims["email"], "zoe@example.com");
    assert_eq!(claims["name"], "Zoe");
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["nonce"], "the-nonce");
    let sub = claims["sub"].as_str().unwrap();
    assert_eq!(sub.len(), 43, "{sub}");
    assert_ne!(sub, user.sub, "Microsoft's sub is not Google's");
    let (iat, nbf, exp) = (claims["iat"].as_u64(), claims["nbf"].as_u64(), claims["exp"].as_u64());
    assert_eq!(iat, nbf);
    assert_eq!(exp, iat.map(|iat| iat + 3600));
    for absent in ["azp", "picture", "email_verified", "hd", "given_name"] {
        assert!(claims.get(absent).is_none(), "{absent}: {claims}");
    }

    // Pairwise: stable for one client, another for the next.
    let again = verified_claims(&idp, &microsoft_tokens(&idp, &user).await).unwrap();
    assert_eq!(again["sub"], sub);
    let (_, other) = sign_in(&idp, "organizations", OTHER_CLIENT_ID, "openid", &user).await;
    let other = verified_claims(&idp, &other.unwrap()).unwrap();
    assert_ne!(other["sub"], sub);
    assert_eq!(other["oid"], claims["oid"]);
    // Without the email and profile scopes: neither email nor name.
    assert!(other.get("email").is_none() && other.get("name").is_none(), "{other}");
    assert_eq!(other["preferred_username"], "zoe@example.com");

    // Userinfo says the same about the same person.
    let (_, doc) = discovery(&idp, "organizations").await;
    let userinfo: Value = http()
        .get(doc["userinfo_endpoint"].as_str().unwrap())
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], sub);
    assert_eq!(userinfo["tid"], HOME_TENANT);
    assert_eq!(idp.requests_to(Endpoint::Token).len(), 3, "{:?}", idp.requests());
    assert_eq!(idp.requests_to(Endpoint::Userinfo).len(), 1);
}

#[test]
fn made_up_users_of_a_tenant_are_stable() {
    let zoe = TestUser::made_up_in("Zoe", HOME_TENANT);
    assert_eq!(zoe, TestUser::made_up_in("zoe@example.com", HOME_TENANT));
    assert_eq!(zoe.tid.as_deref(), Some(HOME_TENANT));
    assert_eq!(zoe.preferred_username.as_deref(), Some("zoe@example.com"));
    let oid = zoe.oid.clone().unwrap();
    assert!(super::shape::is_guid(&oid), "{oid}");
    let guest = TestUser::made_up_in("zoe", OTHER_TENANT);
    assert_ne!(guest.oid, zoe.oid, "another tenant, another person");
    assert_eq!(TestUser::made_up("zoe").tid, None, "Google's are as before");
    Config::fixtures().expect("fixtures/idp.toml still loads");
}

#[tokio::test]
async fn a_single_tenant_refuses_guests() {
    let idp = start(Shape::Microsoft).await;
    let guest = TestUser::made_up_in("gus", OTHER_TENANT);
    let (params, tokens) = sign_in(&idp, HOME_TENANT, CLIENT_ID, "openid", &guest).await;
    assert!(tokens.is_none());
    assert_eq!(params["error"], "access_denied");
    assert!(params["error_description"].starts_with("AADSTS50020"), "{params:?}");
    assert_eq!(params["state"], "the-state");

    let member = TestUser::made_up_in("mia", HOME_TENANT);
    let (_, tokens) = sign_in(&idp, HOME_TENANT, CLIENT_ID, "openid", &member).await;
    let claims = verified_claims(&idp, &tokens.expect("a member signs in")).unwrap();
    assert_eq!(claims["iss"], idp.issuer_for(HOME_TENANT));

    // At organizations the guest signs in, with their own tenant's issuer.
    let claims = verified_claims(&idp, &microsoft_tokens(&idp, &guest).await).unwrap();
    assert_eq!(claims["iss"], idp.issuer_for(OTHER_TENANT));
    assert_eq!(claims["tid"], OTHER_TENANT);
}

#[tokio::test]
async fn an_issuer_of_another_tenant() {
    let idp = start(Shape::Microsoft).await;
    idp.inject(Fault::IssuerOtherTenant);
    let user = TestUser::made_up_in("zoe", HOME_TENANT);
    let claims = verified_claims(&idp, &microsoft_tokens(&idp, &user).await).unwrap();
    assert_eq!(claims["iss"], idp.issuer_for(OTHER_TENANT));
    assert_eq!(claims["tid"], HOME_TENANT);
    let honest = verified_claims(&idp, &microsoft_tokens(&idp, &user).await).unwrap();
    assert_eq!(honest["iss"], idp.issuer_for(HOME_TENANT), "once only");
}

#[tokio::test]
async fn the_issuer_template_itself() {
    let idp = start(Shape::Microsoft).await;
    idp.inject(Fault::IssuerPlaceholder);
    let user = TestUser::made_up_in("zoe", HOME_TENANT);
    let claims = verified_claims(&idp, &microsoft_tokens(&idp, &user).await).unwrap();
    assert_eq!(claims["iss"], format!("{}/{{tenantid}}/v2.0", idp.base_url()));
    assert_eq!(claims["tid"], HOME_TENANT);
}

#[tokio::test]
async fn googles_faults_work_in_microsofts_shape() {
    let idp = start(Shape::Microsoft).await;
    let user = TestUser::made_up_in("zoe", HOME_TENANT);

    idp.inject(Fault::BadSignature);
    let tokens = microsoft_tokens(&idp, &user).await;
    assert!(verified_claims(&idp, &tokens).is_err(), "the signature must not verify");

    idp.inject(Fault::WrongAudience);
    let claims = verified_claims(&idp, &microsoft_tokens(&idp, &user).await).unwrap();
    assert_ne!(claims["aud"], CLIENT_ID);

    idp.inject(Fault::Expired);
    let claims = verified_claims(&idp, &microsoft_tokens(&idp, &user).await).unwrap();
    assert_eq!(claims["nbf"], claims["iat"]);
    assert!(claims["exp"].as_u64().unwrap() < super::claims::now());

    idp.inject(Fault::WrongNonce);
    let claims = unverified_claims(&microsoft_tokens(&idp, &user).await);
    assert_ne!(claims["nonce"], "the-nonce");

    idp.inject(Fault::WrongIssuer);
    let claims = unverified_claims(&microsoft_tokens(&idp, &user).await);
    assert_eq!(claims["iss"], format!("{}/impostor", idp.issuer_for(HOME_TENANT)));
    assert!(idp.armed_faults().is_empty());
}

/// The sign-in page of a tenant, as a person uses it: its form posts back
/// under the tenant's prefix; someone typed is of that tenant; a
/// configured user of another tenant is refused there.
#[tokio::test]
async fn the_sign_in_page_of_a_tenant() {
    let mut config = Config::fixtures().unwrap();
    config.clients.push(Client::new(CLIENT_ID, SECRET, [REDIRECT_URI]));
    let options = Options { key: Some(key()), shape: Shape::Microsoft, ..Options::default() };
    let idp = Idp::start(config, options).await.unwrap();
    let (verifier, challenge) = {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        (verifier, challenge)
    };
    let request = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "s"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let authorize = format!("{}/authorize", idp.issuer_for(OTHER_TENANT));
    let page = http().get(&authorize).query(&request).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("action=\"/{OTHER_TENANT}/v2.0/authorize\"")), "{html}");
    assert!(html.contains(&format!("(tenant {HOME_TENANT})")), "{html}");

    let decide = |extra: Vec<(&'static str, &'static str)>| {
        let mut form: Vec<(&str, &str)> = request.to_vec();
        form.extend(extra);
        http().post(&authorize).form(&form).send()
    };
    // alice is of the home tenant: refused at another's.
    let answer = decide(vec![("user", "alice"), ("decision", "allow")]).await.unwrap();
    assert_eq!(location_params(&answer)["error"], "access_denied");
    // erin is of that tenant.
    let answer = decide(vec![("user", "erin"), ("decision", "allow")]).await.unwrap();
    assert!(location_params(&answer).contains_key("code"));
    // Someone typed is of the tenant asked.
    let answer = decide(vec![("login", "newcomer"), ("decision", "allow")]).await.unwrap();
    let code = location_params(&answer)["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &verifier),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
    ];
    let token = format!("{}/token", idp.issuer_for(OTHER_TENANT));
    let tokens: Value = http().post(token).form(&form).send().await.unwrap().json().await.unwrap();
    let claims = verified_claims(&idp, &tokens).unwrap();
    assert_eq!(claims["tid"], OTHER_TENANT);
    assert_eq!(claims["oid"], TestUser::made_up_in("newcomer", OTHER_TENANT).oid.unwrap());
    assert_eq!(idp.requests_to(Endpoint::Authorize).len(), 4);
}
