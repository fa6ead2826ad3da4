//! The relying party's side of OpenID Connect, by hand: discovery, the
//! authorization URL, the token request, and the ID token's validation
//! (RS256 against the JWKS, `iss`, `aud`, `azp`, `exp`, `nonce`). Each
//! validation flaw is one `self.has("...")` away from the correct code.

use std::{
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rsa::{
    BigUint, Pkcs1v15Sign, RsaPublicKey,
    pkcs8::{EncodePublicKey, LineEnding},
};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::s01::same_bytes;

/// The contract: a provider silent for longer than this is down.
const PATIENCE: Duration = Duration::from_secs(10);
/// Clocks differ a little; a token may be this much past `exp`.
const LEEWAY: u64 = 60;

/// What the discovery document says, of what this server uses.
#[derive(Clone, Deserialize)]
pub(crate) struct Discovery {
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: String,
    pub(crate) token_endpoint: String,
    pub(crate) jwks_uri: String,
}

/// One RSA public key of the JWKS.
#[derive(Clone, Deserialize)]
struct Jwk {
    #[serde(default)]
    kid: String,
    #[serde(default)]
    kty: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    e: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

/// Why a sign-in failed.
pub(crate) enum Failed {
    /// The provider is down, slow, refused the code or answered nonsense:
    /// the person gets a 502.
    Provider(String),
    /// The ID token is not to be believed: the sign-in is refused.
    Token(String),
}

/// Who the provider says signed in.
pub(crate) struct Identity {
    pub(crate) sub: String,
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
    /// Every claim of the ID token, for a provider that names its users
    /// otherwise (Microsoft's `tid` and `oid`).
    pub(crate) claims: Value,
}

/// What a provider is, for a client: where it is and who the client is.
pub(crate) struct Settings {
    /// Without a trailing slash; the discovery document is under it.
    pub(crate) issuer: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
}

/// A provider whose discovery document cannot name one issuer (Microsoft's
/// multi-tenant endpoints): given the token's claims and the document's
/// issuer, says whether `iss` (and whatever else it looks at) is to be
/// believed. Without one, `iss` must be the issuer itself.
pub(crate) type IssuerRule = Box<dyn Fn(&Value, &str) -> Result<(), String> + Send + Sync>;

pub(crate) struct Provider {
    flaw: &'static str,
    issuer: String,
    pub(crate) client_id: String,
    client_secret: String,
    http: reqwest::Client,
    discovery: OnceCell<Discovery>,
    /// The JWKS as last fetched.
    keys: Mutex<Vec<Jwk>>,
    rule: Option<IssuerRule>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Provider {
    /// The provider of `OIDC_ISSUER`, `OIDC_CLIENT_ID` and
    /// `OIDC_CLIENT_SECRET`; nothing is fetched until the first sign-in.
    pub(crate) fn from_env(flaw: &'static str) -> Result<Provider, String> {
        let settings = Settings {
            issuer: var("OIDC_ISSUER").unwrap_or_else(|| "https://accounts.google.com".into()),
            client_id: var("OIDC_CLIENT_ID").unwrap_or_default(),
            client_secret: var("OIDC_CLIENT_SECRET").unwrap_or_default(),
        };
        Provider::new(settings, flaw, None)
    }

    /// The provider of `settings`, with step 05's `flaw` (or
    /// [`mutants::NONE`]) and, for a multi-tenant provider, its `rule`.
    pub(crate) fn new(
        settings: Settings,
        flaw: &'static str,
        rule: Option<IssuerRule>,
    ) -> Result<Provider, String> {
        let mut http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if flaw != "no-timeout" {
            http = http.timeout(PATIENCE);
        }
        Ok(Provider {
            flaw,
            issuer: settings.issuer.trim_end_matches('/').to_owned(),
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            http: http.build().map_err(|e| format!("cannot make an HTTP client: {e}"))?,
            discovery: OnceCell::new(),
            keys: Mutex::default(),
            rule,
        })
    }

    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("05", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Failed> {
        let answer = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| Failed::Provider(format!("GET {url}: {e}")))?;
        answer.json().await.map_err(|e| Failed::Provider(format!("GET {url}: not JSON: {e}")))
    }

    /// The discovery document, fetched once.
    pub(crate) async fn discovery(&self) -> Result<&Discovery, Failed> {
        self.discovery
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.issuer);
                let discovery: Discovery = self.get_json(&url).await?;
                // A multi-tenant document names a template, not an issuer.
                if self.rule.is_none() && discovery.issuer != self.issuer {
                    return Err(Failed::Provider(format!(
                        "the discovery document's issuer {:?} is not OIDC_ISSUER",
                        discovery.issuer
                    )));
                }
                Ok(discovery)
            })
            .await
    }

    /// Trades the code for tokens; returns the ID token.
    pub(crate) async fn redeem(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<String, Failed> {
        let discovery = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", &self.client_id),
        ];
        if !self.has("no-client-auth") {
            form.push(("client_secret", &self.client_secret));
        }
        if !self.has("no-pkce") {
            form.push(("code_verifier", verifier));
        }
        let endpoint = &discovery.token_endpoint;
        let answer = self
            .http
            .post(endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| Failed::Provider(format!("POST {endpoint}: {e}")))?;
        let status = answer.status();
        let body: Value = answer
            .json()
            .await
            .map_err(|e| Failed::Provider(format!("POST {endpoint}: {status}, not JSON: {e}")))?;
        if !status.is_success() {
            return Err(Failed::Provider(format!("POST {endpoint}: {status} {body}")));
        }
        match body["id_token"].as_str() {
            Some(token) => Ok(token.to_owned()),
            None => Err(Failed::Provider(format!("POST {endpoint}: no id_token in {body}"))),
        }
    }

    /// Whether `token` is an ID token of this provider, for this client,
    /// from the sign-in that sent `nonce`; who it names if it is.
    pub(crate) async fn validate(&self, token: &str, nonce: &str) -> Result<Identity, Failed> {
        let reject = |why: &str| Failed::Token(why.to_owned());
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err(reject("not a compact JWS"));
        };
        let decode = |part: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
        };
        let (Some(header), Some(claims)) = (decode(header), decode(payload)) else {
            return Err(reject("the header or the claims are not base64url JSON"));
        };
        let signed = format!("{}.{}", parts[0], parts[1]);
        if !self.has("no-signature-check") {
            self.verify(&header, &signed, signature).await?;
        }
        self.check_claims(&claims, nonce)?;
        if let Some(rule) = &self.rule {
            let template = &self.discovery().await?.issuer;
            rule(&claims, template).map_err(Failed::Token)?;
        }
        let text = |name: &str| claims[name].as_str().map(str::to_owned);
        Ok(Identity {
            sub: text("sub").filter(|sub| !sub.is_empty()).ok_or_else(|| reject("no sub"))?,
            email: text("email"),
            name: text("name"),
            claims,
        })
    }

    async fn verify(&self, header: &Value, signed: &str, signature: &str) -> Result<(), Failed> {
        let kid = header["kid"].as_str().unwrap_or_default();
        let algorithm = header["alg"].as_str().unwrap_or_default();
        match algorithm {
            "RS256" => {}
            "none" if self.has("alg-none-accepted") => return Ok(()),
            // The key the server trusts, in the form it keeps it (PEM),
            // used as the token's header says.
            "HS256" if self.has("hs256-accepted") => {
                let key = self.key(kid).await?;
                let pem = public_key(&key)
                    .and_then(|k| k.to_public_key_pem(LineEnding::LF).ok())
                    .ok_or_else(|| Failed::Token("a key of the JWKS is not RSA".into()))?;
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(pem.as_bytes()).expect("any key length");
                mac.update(signed.as_bytes());
                let expected = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
                return match same_bytes(expected.as_bytes(), signature.as_bytes()) {
                    true => Ok(()),
                    false => Err(Failed::Token("the HS256 signature does not verify".into())),
                };
            }
            other => return Err(Failed::Token(format!("alg {other:?} is not RS256"))),
        }
        let key = self.key(kid).await?;
        let public = public_key(&key).ok_or_else(|| Failed::Token("not an RSA key".into()))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Failed::Token("the signature is not base64url".into()))?;
        let digest = Sha256::digest(signed.as_bytes());
        public
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature)
            .map_err(|_| Failed::Token("the RS256 signature does not verify".into()))
    }

    /// The JWKS key `kid`, fetching the JWKS again when it is not known
    /// (the provider may have rotated its keys).
    async fn key(&self, kid: &str) -> Result<Jwk, Failed> {
        let find = |keys: &[Jwk]| -> Option<Jwk> {
            if self.has("kid-ignored") {
                return keys.first().cloned();
            }
            keys.iter().find(|key| key.kid == kid).cloned()
        };
        let known = crate::s05::lock(&self.keys).clone();
        if let Some(key) = find(&known) {
            return Ok(key);
        }
        if known.is_empty() || !self.has("jwks-fetched-once") {
            let jwks_uri = self.discovery().await?.jwks_uri.clone();
            let jwks: Jwks = self.get_json(&jwks_uri).await?;
            *crate::s05::lock(&self.keys) = jwks.keys.clone();
            if let Some(key) = find(&jwks.keys) {
                return Ok(key);
            }
        }
        Err(Failed::Token(format!("no key {kid:?} in the provider's JWKS")))
    }

    fn check_claims(&self, claims: &Value, nonce: &str) -> Result<(), Failed> {
        let reject = |why: String| Err(Failed::Token(why));
        let exact = self.rule.is_none();
        if exact
            && claims["iss"].as_str() != Some(self.issuer.as_str())
            && !self.has("no-iss-check")
        {
            return reject(format!("iss is {}, not {}", claims["iss"], self.issuer));
        }
        let audiences: Vec<&str> = match &claims["aud"] {
            Value::String(one) => vec![one],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.contains(&self.client_id.as_str()) && !self.has("no-aud-check") {
            return reject(format!("aud {} does not name this client", claims["aud"]));
        }
        // OpenID Connect Core 3.1.3.7: several audiences need azp, and azp
        // must be this client.
        let azp = claims["azp"].as_str();
        let azp_ok = match azp {
            Some(azp) => azp == self.client_id,
            None => audiences.len() <= 1,
        };
        if !azp_ok && !self.has("no-azp-check") {
            return reject(format!("azp {} is not this client", claims["azp"]));
        }
        let expires = claims["exp"].as_u64().unwrap_or(0);
        if expires + LEEWAY <= now() && !self.has("no-exp-check") {
            return reject(format!("the token expired at {expires}"));
        }
        let nonce_ok = match claims["nonce"].as_str() {
            Some(sent) => same_bytes(sent.as_bytes(), nonce.as_bytes()),
            None => self.has("nonce-optional"),
        };
        if !nonce_ok && !self.has("no-nonce-check") {
            return reject("the nonce is not this sign-in's".into());
        }
        Ok(())
    }
}

fn public_key(key: &Jwk) -> Option<RsaPublicKey> {
    if key.kty != "RSA" {
        return None;
    }
    let number = |b64: &str| URL_SAFE_NO_PAD.decode(b64).ok().map(|b| BigUint::from_bytes_be(&b));
    RsaPublicKey::new(number(&key.n)?, number(&key.e)?).ok()
}
