//! Step 06: Sign in with Microsoft beside Google, linking, and a managed
//! identity calling a price service, graded against the harness's own
//! Microsoft-shaped provider and managed-identity mocks
//! (`crate::microsoft`). Everything of step 05 still holds.
//!
//! Grouped by what they look at: the Microsoft sign-in and who it makes
//! (`entra`), linking a second provider (`linking`), and `/api/prices`
//! (`prices`).

mod entra;
mod linking;
mod prices;

use crate::{
    check::{Check, Ctx, Failure},
    check_fn,
    checks::s05::flow::Leg,
    microsoft::Microsoft,
};

const ENTRA: &str = "06-microsoft-identity.md#what-entra-id-adds-over-google";
const ISSUER: &str = "06-microsoft-identity.md#the-issuer-with-tenantid";
const KEYED: &str = "06-microsoft-identity.md#who-is-this-user-tidoid";
const LINKING: &str = "06-microsoft-identity.md#linking-a-second-provider";
const IDENTITY: &str = "06-microsoft-identity.md#calling-a-service-as-the-server-managed-identity";

/// Step 05's checks, which still hold, and step 06's own.
pub fn checks() -> Vec<Check> {
    let mut checks = super::s05::checks();
    checks.extend([
        Check {
            id: "s06.login-button",
            title: "GET / shows a \"Sign in with Microsoft\" link to /login/microsoft",
            points: 1,
            requires: Some("s01.starts"),
            hint: "Anonymous, / needs <a href=\"/login/microsoft\"> (or a form going there) beside Google's.",
            book: ENTRA,
            asvs: &[],
            run: check_fn!(entra::login_button),
        },
        Check {
            id: "s06.sign-in",
            title: "GET /login/microsoft to /auth/microsoft/callback signs in: /api/me with provider microsoft",
            points: 3,
            requires: Some("s01.starts"),
            hint: "Step 05's flow with MS_ISSUER, MS_CLIENT_ID and MS_CLIENT_SECRET, redirect_uri=$PUBLIC_URL/auth/microsoft/callback; the token's iss is the discovery document's issuer with {tenantid} replaced by the token's tid.",
            book: ENTRA,
            asvs: &["V3.2.1"],
            run: check_fn!(entra::sign_in),
        },
        Check {
            id: "s06.issuer-per-tenant",
            title: "a token whose iss is not the issuer of its own tid (another tenant's, or {tenantid} literally) is refused",
            points: 3,
            requires: Some("s06.sign-in"),
            hint: "Replace {tenantid} in the document's issuer with the token's tid, then compare iss exactly: not a prefix, not any issuer of the provider.",
            book: ISSUER,
            asvs: &["V3.5.3"],
            run: check_fn!(entra::issuer_per_tenant),
        },
        Check {
            id: "s06.other-tenant-refused",
            title: "with MS_TENANT a tenant id, a user of another tenant is refused",
            points: 3,
            requires: Some("s06.sign-in"),
            hint: "MS_TENANT names the one tenant whose tokens (tid) are accepted; only organizations or common accept others.",
            book: ISSUER,
            asvs: &["V4.1.3"],
            run: check_fn!(entra::other_tenant_refused),
        },
        Check {
            id: "s06.multi-tenant",
            title: "with MS_TENANT=organizations, another tenant's user signs in, and the same oid in two tenants is two accounts",
            points: 2,
            requires: Some("s06.sign-in"),
            hint: "Read MS_TENANT at start; key accounts by tid and oid together.",
            book: KEYED,
            asvs: &[],
            run: check_fn!(entra::multi_tenant),
        },
        Check {
            id: "s06.keyed-by-oid",
            title: "the same tid and oid with a new preferred_username and email is the same account",
            points: 3,
            requires: Some("s06.sign-in"),
            hint: "Find Microsoft accounts by (microsoft, tid:oid): preferred_username and email change, and nobody checked them.",
            book: KEYED,
            asvs: &["V4.1.3"],
            run: check_fn!(entra::keyed_by_oid),
        },
        Check {
            id: "s06.same-email-other-oid",
            title: "another oid with the same email, or a Google user with it, is another account",
            points: 3,
            requires: Some("s06.sign-in"),
            hint: "Never find or link an account by email: whoever can set an address at a provider would get the account.",
            book: KEYED,
            asvs: &["V4.1.3"],
            run: check_fn!(entra::same_email_other_oid),
        },
        Check {
            id: "s06.link",
            title: "a signed-in user links Microsoft at POST /account/link/microsoft, then signs in with it to the same account",
            points: 3,
            requires: Some("s06.sign-in"),
            hint: "Signed in, POST /account/link/<provider> starts that provider's flow; its callback adds the identity to the account; /api/me lists \"providers\".",
            book: LINKING,
            asvs: &[],
            run: check_fn!(linking::link),
        },
        Check {
            id: "s06.link-needs-sign-in",
            title: "POST /account/link/microsoft without a signed-in user does not start a sign-in",
            points: 1,
            requires: Some("s06.link"),
            hint: "There is nothing to link to without an account: refuse (401 or a redirect to the sign-in page) before sending anyone to the provider.",
            book: LINKING,
            asvs: &["V4.1.3"],
            run: check_fn!(linking::needs_sign_in),
        },
        Check {
            id: "s06.sign-in-never-links",
            title: "a plain sign-in while signed in, or after a link was started and left, links nothing",
            points: 3,
            requires: Some("s06.link"),
            hint: "Link only at the callback of the very flow POST /account/link started (bind it to that flow's state), for the user who asked.",
            book: LINKING,
            asvs: &["V4.1.3"],
            run: check_fn!(linking::sign_in_never_links),
        },
        Check {
            id: "s06.link-taken-refused",
            title: "linking an identity that signs in to another account is refused, and it stays with that account",
            points: 2,
            requires: Some("s06.link"),
            hint: "An identity belongs to one account: refuse to link one that already signs in elsewhere (409), never move it.",
            book: LINKING,
            asvs: &["V4.1.3"],
            run: check_fn!(linking::taken_refused),
        },
        Check {
            id: "s06.prices",
            title: "GET /api/prices signed in: the price service's JSON, with a token from the identity endpoint; anonymous: 401",
            points: 3,
            requires: Some("s01.login-success"),
            hint: "GET $IDENTITY_ENDPOINT?resource=$PRICE_SERVICE_RESOURCE&api-version=2019-08-01 with X-IDENTITY-HEADER, then GET $PRICE_SERVICE_URL/prices with Authorization: Bearer <access_token>.",
            book: IDENTITY,
            asvs: &["V4.1.1"],
            run: check_fn!(prices::prices),
        },
        Check {
            id: "s06.token-reused",
            title: "8 concurrent /api/prices after a restart fetch one token, and later requests reuse it",
            points: 3,
            requires: Some("s06.prices"),
            hint: "Keep the token until 5 minutes before expires_on; while a fetch is under way, let other requests wait for it rather than start their own.",
            book: IDENTITY,
            asvs: &[],
            run: check_fn!(prices::token_reused),
        },
        Check {
            id: "s06.token-refreshed",
            title: "a token within 5 minutes of expires_on is fetched anew",
            points: 2,
            requires: Some("s06.prices"),
            hint: "expires_on is Unix seconds (a string, from App Service): fetch a new token once fewer than 300 s are left.",
            book: IDENTITY,
            asvs: &[],
            run: check_fn!(prices::token_refreshed),
        },
        Check {
            id: "s06.wrong-resource",
            title: "a token issued for another resource is never sent to the price service",
            points: 1,
            requires: Some("s06.prices"),
            hint: "Check the identity endpoint's answer: resource must be PRICE_SERVICE_RESOURCE; otherwise answer 502.",
            book: IDENTITY,
            asvs: &[],
            run: check_fn!(prices::wrong_resource),
        },
        Check {
            id: "s06.outage",
            title: "identity endpoint or price service down, failing or silent past 10 s: 502 JSON within 12 s, and the server goes on",
            points: 3,
            requires: Some("s06.prices"),
            hint: "Bound the whole of a /api/prices request by 10 s (token and price call together); any failure is a 502 JSON answer.",
            book: IDENTITY,
            asvs: &["V7.4.1"],
            run: check_fn!(prices::outage),
        },
        Check {
            id: "s06.token-secret",
            title: "the access token and the identity header appear in no answer and no line of the server's log",
            points: 2,
            requires: Some("s06.prices"),
            hint: "Never log or return the token or X-IDENTITY-HEADER: a log line is read by more people than the server's secrets are.",
            book: IDENTITY,
            asvs: &["V7.1.1"],
            run: check_fn!(prices::token_secret),
        },
    ]);
    checks
}

/// The run's Microsoft mocks: started by the runner for every step from 06.
fn microsoft(cx: &Ctx) -> Result<&Microsoft, Failure> {
    cx.microsoft.as_ref().ok_or_else(|| {
        Failure::new("the grader's Microsoft-shaped mock provider (started for steps 06 and later)")
            .got("none was started for this run")
    })
}

/// Microsoft's leg of a sign-in: `/login/microsoft` to
/// `/auth/microsoft/callback`, through the multi-tenant endpoints.
fn leg(microsoft: &Microsoft) -> Leg<'_> {
    Leg {
        idp: &microsoft.idp,
        authorization_endpoint: format!("{}/authorize", microsoft.idp.issuer_for("organizations")),
        start: "/login/microsoft",
        callback: "/auth/microsoft/callback",
    }
}
