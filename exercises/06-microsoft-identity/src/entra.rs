//! What Microsoft's identity platform (Entra ID) says differently from
//! Google: one address serves every organisation, so its discovery
//! document names the issuer with a placeholder, `{tenantid}`, and a
//! person is named by their organisation (`tid`) and their id in it
//! (`oid`).

use serde_json::{Map, Value};
use step05_solution::oidc::{Dialect, Invalid};

/// The placeholder Microsoft's multi-tenant discovery documents put in
/// `issuer`: `https://login.microsoftonline.com/{tenantid}/v2.0`.
pub const PLACEHOLDER: &str = "{tenantid}";

/// The tenant of personal Microsoft accounts (outlook.com, xbox). The
/// `organizations` endpoint signs in work and school accounts only.
pub const CONSUMERS: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Whose tokens the app accepts: `MS_TENANT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tenants {
    /// `common`: any organisation, and personal accounts.
    Common,
    /// `organizations`: any organisation's work or school accounts.
    Organizations,
    /// One organisation, by its tenant id: the usual line-of-business app.
    Only(String),
}

impl Tenants {
    /// `MS_TENANT`: `common`, `organizations`, or a tenant id (a GUID).
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.trim() {
            "common" => Ok(Self::Common),
            "organizations" => Ok(Self::Organizations),
            tenant if is_guid(tenant) => Ok(Self::Only(tenant.to_ascii_lowercase())),
            other => Err(format!(
                "MS_TENANT {other:?} is neither a tenant id (a GUID) nor `organizations` or \
                 `common` (a domain name such as contoso.onmicrosoft.com is not accepted: \
                 tokens carry the GUID)"
            )),
        }
    }

    fn allows(&self, tid: &str) -> bool {
        match self {
            Self::Common => true,
            Self::Organizations => tid != CONSUMERS,
            Self::Only(tenant) => tid == tenant,
        }
    }
}

/// Entra ID, accepting the tokens of `tenants`.
pub struct Entra {
    pub tenants: Tenants,
}

impl Dialect for Entra {
    /// `MS_ISSUER` is `https://login.microsoftonline.com/organizations/v2.0`
    /// (or `common`), and its document's issuer is the same address with
    /// `{tenantid}` in place of `organizations`; for one tenant's issuer,
    /// the document names that very issuer.
    fn describes(&self, configured: &str, document: &str) -> bool {
        if configured == document {
            return true;
        }
        let Some(base) = ["/organizations/v2.0", "/common/v2.0"]
            .into_iter()
            .find_map(|segment| configured.trim_end_matches('/').strip_suffix(segment))
        else {
            return false;
        };
        document == format!("{base}/{PLACEHOLDER}/v2.0")
    }

    /// The issuer with the token's own `tid` in the placeholder, once that
    /// tenant is one `MS_TENANT` allows. Taking the placeholder literally
    /// accepts no real token; skipping the substitution (any `iss` under
    /// the provider's address) accepts a token whose `iss` names another
    /// tenant than its `tid`.
    fn issuer(&self, document: &str, claims: &Map<String, Value>) -> Result<String, Invalid> {
        // TODO(step 06): the issuer a token must carry is the document's,
        // with the token's own tenant (`tid`) in place of `{tenantid}`, and
        // only for a tenant MS_TENANT allows (`self.tenants`). For now the
        // placeholder is taken literally, and no real token matches it.
        // See book/src/06-microsoft-identity.md, "The issuer with `{tenantid}`".
        let _ = (claims, &self.tenants, PLACEHOLDER);
        Ok(document.to_owned())
    }

    /// `tid:oid`. Not `sub`, which Microsoft makes different for every
    /// app, and never `preferred_username` or `email`, which the person or
    /// their organisation's admin can change, and nobody checked.
    fn subject(&self, _sub: &str, claims: &Map<String, Value>) -> Result<String, Invalid> {
        // TODO(step 06): key the person by what never changes and is never
        // reused: their tenant and their object id there. For now they are
        // keyed by the name they sign in with, which they can change.
        // See book/src/06-microsoft-identity.md, "Who is this user: `tid:oid`".
        let name = claims.get("preferred_username").and_then(Value::as_str);
        name.map(str::to_owned).ok_or(Invalid::Malformed)
    }
}

/// The claim `name`, a GUID, lower-cased: the form Microsoft writes.
fn guid(claims: &Map<String, Value>, name: &str) -> Result<String, Invalid> {
    match claims.get(name).and_then(Value::as_str) {
        Some(value) if is_guid(value) => Ok(value.to_ascii_lowercase()),
        _ => Err(Invalid::Malformed),
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, length)| {
            group.len() == length && group.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CONTOSO: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const FABRIKAM: &str = "3c1f2a4e-0000-4a2b-9c8d-5e6f7a8b9c0d";
    const MS: &str = "https://login.microsoftonline.com";

    fn claims(tid: &str, oid: &str) -> Map<String, Value> {
        json!({ "tid": tid, "oid": oid }).as_object().unwrap().clone()
    }

    fn only(tenant: &str) -> Entra {
        Entra { tenants: Tenants::parse(tenant).unwrap() }
    }

    #[test]
    fn the_multi_tenant_document_describes_the_organizations_issuer() {
        let entra = only("organizations");
        let document = format!("{MS}/{{tenantid}}/v2.0");
        assert!(entra.describes(&format!("{MS}/organizations/v2.0"), &document));
        assert!(entra.describes(&format!("{MS}/common/v2.0"), &document));
        assert!(entra.describes(&format!("{MS}/{CONTOSO}/v2.0"), &format!("{MS}/{CONTOSO}/v2.0")));
        assert!(!entra.describes(&format!("{MS}/{CONTOSO}/v2.0"), &document));
        assert!(!entra.describes(
            &format!("{MS}/organizations/v2.0"),
            "https://evil.example/{tenantid}/v2.0"
        ));
    }

    #[test]
    fn the_issuer_is_the_tokens_own_tenant() {
        let document = format!("{MS}/{{tenantid}}/v2.0");
        let entra = only("organizations");
        let issuer = entra.issuer(&document, &claims(CONTOSO, FABRIKAM)).unwrap();
        assert_eq!(issuer, format!("{MS}/{CONTOSO}/v2.0"));
        let upper = CONTOSO.to_ascii_uppercase();
        assert_eq!(entra.issuer(&document, &claims(&upper, FABRIKAM)).unwrap(), issuer);
    }

    #[test]
    fn one_tenant_accepts_only_its_own_tokens() {
        let document = format!("{MS}/{{tenantid}}/v2.0");
        let entra = only(CONTOSO);
        assert!(entra.issuer(&document, &claims(CONTOSO, FABRIKAM)).is_ok());
        assert_eq!(entra.issuer(&document, &claims(FABRIKAM, CONTOSO)), Err(Invalid::Issuer));
        let organizations = only("organizations");
        assert_eq!(
            organizations.issuer(&document, &claims(CONSUMERS, CONTOSO)),
            Err(Invalid::Issuer)
        );
        assert!(only("common").issuer(&document, &claims(CONSUMERS, CONTOSO)).is_ok());
    }

    #[test]
    fn a_tid_that_is_not_a_guid_is_malformed_not_substituted() {
        let document = format!("{MS}/{{tenantid}}/v2.0");
        let entra = only("common");
        for tid in ["", "../evil", "72f988bf-86f1-41af-91ab-2d7cd011db4/", "{tenantid}"] {
            assert_eq!(entra.issuer(&document, &claims(tid, CONTOSO)), Err(Invalid::Malformed));
        }
        let missing = json!({ "oid": CONTOSO }).as_object().unwrap().clone();
        assert_eq!(entra.issuer(&document, &missing), Err(Invalid::Malformed));
    }

    #[test]
    fn people_are_keyed_by_tenant_and_object_id() {
        let entra = only("common");
        let key = entra.subject("pairwise-sub", &claims(CONTOSO, FABRIKAM)).unwrap();
        assert_eq!(key, format!("{CONTOSO}:{FABRIKAM}"));
        let no_oid = json!({ "tid": CONTOSO }).as_object().unwrap().clone();
        assert_eq!(entra.subject("sub", &no_oid), Err(Invalid::Malformed));
    }

    #[test]
    fn ms_tenant_is_a_guid_or_a_multi_tenant_name() {
        assert_eq!(Tenants::parse("organizations"), Ok(Tenants::Organizations));
        assert_eq!(Tenants::parse(" common "), Ok(Tenants::Common));
        assert_eq!(Tenants::parse(&CONTOSO.to_uppercase()), Ok(Tenants::Only(CONTOSO.into())));
        assert!(Tenants::parse("contoso.onmicrosoft.com").is_err());
        assert!(Tenants::parse("").is_err());
    }
}
