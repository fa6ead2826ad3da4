//! What Entra ID adds to step 05's OpenID Connect: the issuer names the
//! user's tenant, `MS_TENANT` says which tenants are accepted, and a user
//! is (`tid`, `oid`), never an address or a name.

use std::path::Path;

use serde_json::Value;

use crate::{
    Config,
    s05::oidc::{Identity, IssuerRule, Provider, Settings},
};

/// `MS_TENANT` values that accept work and school accounts of any tenant.
const ANY_TENANT: &[&str] = &["organizations", "common"];
/// The tenant of personal Microsoft accounts, which `consumers` means.
const CONSUMERS_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Microsoft, from `MS_ISSUER`, `MS_CLIENT_ID`, `MS_CLIENT_SECRET` and
/// `MS_TENANT`.
pub(super) fn provider(config: &Config, flaw: &'static str) -> Result<Provider, String> {
    let settings = Settings {
        issuer: var("MS_ISSUER")
            .unwrap_or_else(|| "https://login.microsoftonline.com/organizations/v2.0".into()),
        client_id: var("MS_CLIENT_ID").unwrap_or_default(),
        client_secret: var("MS_CLIENT_SECRET").unwrap_or_default(),
    };
    let mut tenant = var("MS_TENANT").unwrap_or_else(|| "organizations".into()).to_lowercase();
    if flaw == "ignores-ms-tenant" {
        tenant = first_tenant(&config.data_dir, &tenant)?;
    }
    Provider::new(settings, mutants::NONE, Some(rule(tenant, flaw)))
}

/// The `ignores-ms-tenant` flaw: the tenant of the first start, kept.
fn first_tenant(data_dir: &Path, tenant: &str) -> Result<String, String> {
    let file = data_dir.join("ms-tenant");
    match std::fs::read_to_string(&file) {
        Ok(kept) => Ok(kept.trim().to_owned()),
        Err(_) => {
            std::fs::write(&file, tenant)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            Ok(tenant.to_owned())
        }
    }
}

/// `iss` must be the document's issuer with the token's own `tid` in place
/// of `{tenantid}`, and `tid` one that `tenant` (`MS_TENANT`) accepts.
fn rule(tenant: String, flaw: &'static str) -> IssuerRule {
    Box::new(move |claims: &Value, template: &str| {
        let tid = claims["tid"].as_str().filter(|tid| !tid.is_empty()).ok_or("no tid")?;
        let expected = template.replace("{tenantid}", tid);
        if claims["iss"].as_str() != Some(expected.as_str()) && flaw != "any-issuer" {
            return Err(format!(
                "iss is {}, not {expected} (the issuer of tid {tid})",
                claims["iss"]
            ));
        }
        let accepted = match tenant.as_str() {
            any if ANY_TENANT.contains(&any) => true,
            "consumers" => tid == CONSUMERS_TENANT,
            one => tid.eq_ignore_ascii_case(one),
        };
        if !accepted && flaw != "any-tenant" {
            return Err(format!("tid {tid} is not a tenant MS_TENANT={tenant} accepts"));
        }
        Ok(())
    })
}

/// The key of a Microsoft user's account, `tid:oid` (or what the flaw
/// keys by), and the user with it as their `sub`. `None` for a token
/// without `tid` or `oid`.
pub(super) fn keyed(who: Identity, flaw: &str) -> Option<Identity> {
    let text = |name: &str| who.claims[name].as_str().filter(|v| !v.is_empty()).map(str::to_owned);
    let (tid, oid) = (text("tid")?, text("oid")?);
    let sub = match flaw {
        "keyed-by-oid-alone" => oid,
        "keyed-by-preferred-username" => text("preferred_username")?,
        _ => format!("{tid}:{oid}"),
    };
    Some(Identity { sub, ..who })
}
