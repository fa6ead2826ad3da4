//! What the provider says about a user in Microsoft's shape (Entra ID v2.0
//! tokens): the user's tenant (`tid`) and object id in it (`oid`), a `sub`
//! that differs for every application, and no verified email at all.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{
    TestUser,
    grants::Code,
    shape::{HOME_TENANT, guid_from, tenant_url},
};

/// The user's tenant: their own, or [`HOME_TENANT`] for a user configured
/// without one.
pub(super) fn tid(user: &TestUser) -> String {
    user.tid.clone().unwrap_or_else(|| HOME_TENANT.to_owned())
}

/// The user's object id: their own, or one derived from their tenant and
/// `sub` (unique in a configuration), stable from run to run.
pub(super) fn oid(user: &TestUser) -> String {
    user.oid.clone().unwrap_or_else(|| oid_for(&tid(user), &user.sub))
}

/// A GUID-shaped object id for `who` in tenant `tid`.
pub(super) fn oid_for(tid: &str, who: &str) -> String {
    guid_from(&Sha256::digest(format!("{tid}\n{who}").as_bytes()))
}

/// Pairwise, as Microsoft's `sub` is: the same person gets another one in
/// another application, so only (`tid`, `oid`) links an account across
/// applications. 43 base64url characters, like Microsoft's.
pub(super) fn sub(user: &TestUser, client_id: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{client_id}", oid(user)).as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// `preferred_username`: what the person typed to sign in, usually their
/// email. Only a hint for display: the tenant's admin can change it.
fn preferred_username(user: &TestUser) -> String {
    user.preferred_username.clone().unwrap_or_else(|| user.email.clone())
}

/// The claims about the user: `sub`, `tid`, `oid`, `preferred_username`
/// always; `email` with scope `email` (never `email_verified`: Microsoft
/// does not say); `name` with scope `profile`. No picture.
pub(super) fn about(user: &TestUser, scope: &[String], client_id: &str) -> Map<String, Value> {
    let granted = |name: &str| scope.iter().any(|s| s == name);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(sub(user, client_id)));
    claims.insert("tid".into(), json!(tid(user)));
    claims.insert("oid".into(), json!(oid(user)));
    claims.insert("preferred_username".into(), json!(preferred_username(user)));
    if granted("email") {
        claims.insert("email".into(), json!(user.email));
    }
    if granted("profile") {
        claims.insert("name".into(), json!(user.name));
    }
    claims
}

/// The honest claims of a v2.0 ID token for `code`, issued `now` (Unix
/// seconds): `iss` names the user's own tenant, whichever tenant's
/// endpoint the sign-in went through.
pub(super) fn id_token(base: &str, code: &Code, lifetime: u64, now: u64) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("ver".into(), json!("2.0"));
    claims.insert("iss".into(), json!(tenant_url(base, &tid(&code.user))));
    claims.insert("aud".into(), json!(code.client_id));
    claims.extend(about(&code.user, &code.scope, &code.client_id));
    if let Some(nonce) = &code.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    claims.insert("iat".into(), json!(now));
    claims.insert("nbf".into(), json!(now));
    claims.insert("exp".into(), json!(now + lifetime));
    claims
}

/// Microsoft's words when a tenant's sign-in refuses a guest it does not
/// know.
pub(super) fn not_in_tenant(user: &TestUser, tenant: &str, client_id: &str) -> String {
    format!(
        "AADSTS50020: User account '{}' from identity provider 'https://sts.windows.net/{}/' \
         does not exist in tenant '{tenant}' and cannot access the application '{client_id}' \
         in that tenant. The account needs to be added as an external user in the tenant first.",
        preferred_username(user),
        tid(user),
    )
}
