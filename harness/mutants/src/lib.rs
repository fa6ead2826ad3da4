//! The flaws the `mutant` binary can be started with.
//!
//! `mutant <step> --flaw <name>` is an independent implementation of a step
//! server (see `book/src/contract.md`) with exactly one thing wrong. The harness's own
//! tests start every flaw of a step and expect each check listed in
//! [`Flaw::breaks`] to fail, which proves that the check can fail at all.
//! The flaw [`NONE`] is a fully correct server: every check must pass.

/// The flaw name of a fully correct server. It is not in [`FLAWS`].
pub const NONE: &str = "none";

/// The steps `mutant` can imitate.
pub const STEPS: &[&str] = &["01", "02", "03", "04", "05", "06"];

/// One deliberate mistake in one step's server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flaw {
    /// The step, as in `book/src/contract.md`: `"01"`.
    pub step: &'static str,
    /// What `--flaw` takes: `"cookie-max-age"`.
    pub name: &'static str,
    /// The check ids that must fail against this flaw. Empty when the flaw
    /// only tests the harness itself (every check must still pass).
    pub breaks: &'static [&'static str],
    /// What is wrong, in a sentence.
    pub what: &'static str,
}

const fn flaw(
    step: &'static str,
    name: &'static str,
    breaks: &'static [&'static str],
    what: &'static str,
) -> Flaw {
    Flaw { step, name, breaks, what }
}

/// Every flaw of every step, in the order `mutant --list` prints them.
pub const FLAWS: &[Flaw] = &[
    // Step 01: starting up.
    flaw("01", "never-listen", &["s01.starts"], "sleeps forever without binding the port"),
    flaw(
        "01",
        "exit-at-once",
        &["s01.starts"],
        "prints a message to stderr and exits with status 3",
    ),
    flaw("01", "hang", &["s01.starts"], "binds and accepts connections but never answers"),
    flaw(
        "01",
        "flood-stderr",
        &[],
        "writes 20 MB to stderr before listening, then behaves correctly (the harness must drain output)",
    ),
    flaw(
        "01",
        "crash-on-cabinet",
        &["s01.cabinet-anonymous"],
        "the whole process exits (status 101) on any GET /cabinet (the harness must restart it and go on)",
    ),
    flaw(
        "01",
        "hang-after-start",
        &["s01.static-files"],
        "answers GET / but never answers anything under /static/ (the harness must stop waiting)",
    ),
    // Step 01: pages and static files.
    flaw(
        "01",
        "no-form",
        &["s01.home-form"],
        "the home page's form posts to /signin instead of /login",
    ),
    flaw(
        "01",
        "static-wrong-type",
        &["s01.static-files"],
        "every static file is served as application/octet-stream",
    ),
    flaw(
        "01",
        "static-missing-200",
        &["s01.static-missing"],
        "a missing static file answers 200 with an empty body",
    ),
    flaw(
        "01",
        "static-traversal",
        &["s01.static-traversal"],
        "the decoded path is joined to STATIC_DIR unchecked: ../ and absolute paths are read",
    ),
    flaw(
        "01",
        "traversal-after-redirect",
        &["s01.static-traversal"],
        "an absolute path gets a 308 to /static/ and the merged path (as Werkzeug does), and a file missing from STATIC_DIR is then read from the root",
    ),
    // Step 01: the headers every answer carries.
    flaw(
        "01",
        "nosniff-only-on-pages",
        &["s01.nosniff"],
        "X-Content-Type-Options: nosniff is sent on HTML pages only, not on static files, redirects or JSON",
    ),
    flaw(
        "01",
        "frameable",
        &["s01.frame-ancestors"],
        "no Content-Security-Policy frame-ancestors and no X-Frame-Options: any site may frame the pages",
    ),
    // Step 01: signing in.
    flaw(
        "01",
        "login-200",
        &["s01.login-success"],
        "a successful sign-in answers 200 (with the cookie) instead of 303",
    ),
    flaw(
        "01",
        "only-alice",
        &["s01.login-every-user"],
        "only the first user in fixtures/users.toml can sign in",
    ),
    flaw("01", "case-sensitive", &["s01.username-case"], "usernames are compared with their case"),
    flaw(
        "01",
        "prefix-password",
        &["s01.login-wrong-password"],
        "any prefix of the password signs in, the empty one included",
    ),
    flaw(
        "01",
        "user-enumeration",
        &["s01.login-unknown-user"],
        "an unknown user gets \"No such user.\", a wrong password \"Wrong password.\"",
    ),
    flaw(
        "01",
        "echo-password",
        &["s01.no-password-in-answers"],
        "after a failed sign-in the form's password field is pre-filled (HTML-escaped) with what was typed",
    ),
    // Step 01: the session cookie.
    flaw("01", "cookie-no-httponly", &["s01.cookie-flags"], "the session cookie lacks HttpOnly"),
    flaw("01", "cookie-max-age", &["s01.cookie-flags"], "the session cookie has Max-Age=1800"),
    flaw(
        "01",
        "never-secure",
        &["s01.cookie-secure-https"],
        "the session cookie never has Secure, even behind https://",
    ),
    flaw(
        "01",
        "fixation",
        &["s01.session-fixation"],
        "a session id the client already sent is signed in instead of a new one",
    ),
    // Step 01: protected pages.
    flaw(
        "01",
        "cabinet-open",
        &["s01.cabinet-anonymous"],
        "an anonymous visitor gets the cabinet page (200)",
    ),
    flaw(
        "01",
        "cabinet-cacheable",
        &["s01.cabinet-signed-in"],
        "/cabinet has no Cache-Control: no-store",
    ),
    flaw(
        "01",
        "me-wrong-field",
        &["s01.me-signed-in"],
        "/api/me names the field `user` instead of `username`",
    ),
    flaw(
        "01",
        "home-ignores-session",
        &["s01.home-signed-in"],
        "GET / always shows the sign-in form, signed in or not",
    ),
    flaw("01", "me-anon-200", &["s01.me-anonymous"], "/api/me answers an anonymous visitor 200 {}"),
    // Step 01: where sign-in leads.
    flaw(
        "01",
        "next-ignored",
        &["s01.next-local"],
        "sign-in always leads to /cabinet, whatever `next` says",
    ),
    flaw(
        "01",
        "open-redirect",
        &["s01.next-refused"],
        "sign-in follows any `next`, //evil.example and https://evil.example included",
    ),
    flaw(
        "01",
        "open-redirect-backslash",
        &["s01.next-refused"],
        "`next` refuses // and absolute URLs but follows /\\evil.example",
    ),
    // Step 02: storing passwords.
    flaw(
        "02",
        "plaintext",
        &["s02.hashed"],
        "users.json keeps the password itself as `password_hash`",
    ),
    flaw(
        "02",
        "sha256",
        &["s02.hashed"],
        "`password_hash` is the hex SHA-256 of the password: unsalted and fast",
    ),
    flaw(
        "02",
        "weak-argon2",
        &["s02.hashed"],
        "argon2id with m=4096, t=1, weaker than OWASP's minimum",
    ),
    flaw(
        "02",
        "password-in-file",
        &["s02.hashed"],
        "a correct argon2id hash, but the record also keeps a `password` field",
    ),
    flaw(
        "02",
        "same-salt",
        &["s02.hashed"],
        "one fixed salt for every account: equal passwords get equal hashes",
    ),
    flaw(
        "02",
        "truncate-72",
        &["s02.no-truncation"],
        "only the first 72 bytes of the password are hashed (and checked)",
    ),
    // Step 02: registering.
    flaw(
        "02",
        "register-slash-missing",
        &["s02.register-form"],
        "GET /register shows the form, but GET /register/ is 404",
    ),
    flaw(
        "02",
        "quotes-refused",
        &["s02.register"],
        "passwords holding a quote or a space are refused with 400",
    ),
    flaw(
        "02",
        "taken-case",
        &["s02.register-taken"],
        "the taken check keeps case: registering `ALICE` beside `alice` answers 303 and signs in as alice",
    ),
    flaw(
        "02",
        "no-username-rules",
        &["s02.username-rules"],
        "any username is taken, empty, long or odd",
    ),
    flaw("02", "short-password", &["s02.password-length"], "7-character passwords are accepted"),
    flaw(
        "02",
        "common-password",
        &["s02.password-common"],
        "fixtures/common-passwords.txt is never consulted",
    ),
    flaw(
        "02",
        "password-is-username",
        &["s02.password-not-username"],
        "the password may be the username",
    ),
    // Step 02: signing out and in.
    flaw(
        "02",
        "logout-cookie-only",
        &["s02.logout"],
        "POST /logout expires the cookie but keeps the session on the server",
    ),
    flaw(
        "02",
        "logout-get-signs-out",
        &["s02.logout-get"],
        "GET /logout signs out (a link or an image can sign anyone out)",
    ),
    flaw(
        "02",
        "no-sign-out-button",
        &["s02.sign-out-button"],
        "signed in, / and /cabinet have no form posting to /logout",
    ),
    flaw(
        "02",
        "old-id-valid",
        &["s02.session-renewed"],
        "a sign-in gets a new id, but the id the browser sent stays signed in",
    ),
    // Step 02: cross-site requests and throttling.
    flaw(
        "02",
        "cross-origin-accepted",
        &["s02.cross-origin"],
        "POSTs are never checked for Origin or Sec-Fetch-Site",
    ),
    flaw(
        "02",
        "fetch-site-ignored",
        &["s02.cross-origin"],
        "a foreign Origin is refused, but `Sec-Fetch-Site: cross-site` is not",
    ),
    flaw("02", "no-throttle", &["s02.throttle"], "failed sign-ins are never throttled"),
    flaw(
        "02",
        "throttle-reset-by-success",
        &["s02.throttle"],
        "during a lock-out the password is still checked: a right one signs in and ends the lock-out",
    ),
    flaw(
        "02",
        "throttle-everyone",
        &["s02.throttle-per-user"],
        "failures are counted per username, but the lock-out is one for the whole server: once any name has 5, every name gets 429 until someone registers or signs in",
    ),
    // Step 02: users.json.
    flaw(
        "02",
        "lost-registrations",
        &["s02.parallel-registrations"],
        "users.json is read, modified and written with no lock (and a 5-20 ms pause): parallel registrations drop each other",
    ),
    flaw(
        "02",
        "non-atomic-write",
        &["s02.users-file-survives-kill"],
        "under the lock, users.json is emptied, then rewritten in place in two halves 100 ms apart (no temporary file, no rename)",
    ),
    // Step 03: the signed cookie.
    flaw(
        "03",
        "sig-over-wrong-bytes",
        &["s03.cookie-format"],
        "the HMAC is computed over the id and a newline, not the id alone",
    ),
    flaw(
        "03",
        "padded-base64",
        &["s03.cookie-format"],
        "the signature is URL-safe base64 with its `=` padding",
    ),
    flaw(
        "03",
        "no-signature-check",
        // With no signature checked, no new secret can void a cookie either.
        &["s03.tampered-cookie-refused", "s03.new-secret-voids-sessions"],
        "the signature is made but never checked: `<id>.<anything>` and a bare id are accepted",
    ),
    flaw(
        "03",
        "signature-of-any-session",
        &["s03.tampered-cookie-refused"],
        "a signature that is valid for any existing session is accepted with any id (signatures can be swapped)",
    ),
    // Step 03: the session files.
    flaw(
        "03",
        "world-readable",
        &["s03.session-file"],
        "session files are written with mode 0644, readable by every user",
    ),
    flaw(
        "03",
        "private-format",
        &["s03.harness-signed-session"],
        "session files hold the contract's fields for show, but only private `user` and `exp` fields are read: a file the server did not write is no session",
    ),
    flaw(
        "03",
        "id-unchecked",
        &["s03.id-traversal-refused"],
        "the signed id is used as a file name unchecked: a signed `../evil` reads $DATA_DIR/evil.json",
    ),
    flaw(
        "03",
        "logout-keeps-file",
        &["s03.logout-removes-file"],
        "signing out marks the session file expired instead of removing it",
    ),
    flaw(
        "03",
        "memory-sessions",
        // Believing only memory, it cannot believe the harness's file either.
        &["s03.harness-signed-session", "s03.restart-keeps-sessions"],
        "sessions are written to files but only the copy in memory is believed: a restart signs everyone out",
    ),
    flaw(
        "03",
        "secret-in-data-dir",
        &["s03.new-secret-voids-sessions"],
        "the first start writes SESSION_SECRET to $DATA_DIR/secret, and later starts use that file, not the environment",
    ),
    // Step 03: expiry.
    flaw(
        "03",
        "expiry-only-in-cookie",
        &["s03.expiry"],
        "expires_at is written but never compared with the clock, neither on a request nor by the sweep",
    ),
    flaw(
        "03",
        "renewal-past-end",
        &["s03.absolute-lifetime"],
        "ends_at is written at sign-in, but renewals slide expires_at past it and it is never compared with the clock",
    ),
    flaw(
        "03",
        "first-session-cookie",
        &["s03.two-cookies"],
        "with two `session` cookies in one request, the first one is used (a sibling subdomain's cookie can win)",
    ),
    flaw(
        "03",
        "expired-file-kept",
        &["s03.expiry"],
        "an expired session is refused, but its file stays until the next sweep",
    ),
    // Step 03: many requests, crashes and signals.
    flaw(
        "03",
        "short-ids",
        &["s03.parallel-sign-ins"],
        "ids come from a counter (`session-000000000000001`), read and bumped with a pause between: two sign-ins at once get the same id",
    ),
    flaw(
        "03",
        "temp-files-left",
        &["s03.parallel-sign-ins"],
        "each session is written to a temporary file that is copied, not renamed, and left behind",
    ),
    flaw(
        "03",
        "non-atomic-session-write",
        &["s03.files-survive-kill"],
        "session files are rewritten in place, one at a time, in two halves 80 ms apart (no temporary file, no rename)",
    ),
    flaw("03", "ignore-sigterm", &["s03.sigterm"], "SIGTERM is caught and ignored"),
    // Step 04: the tables and what they hold.
    flaw(
        "04",
        "wrong-tables",
        &["s04.tables"],
        "the tables are called `accounts` and `logins`, not `users` and `sessions`",
    ),
    flaw(
        "04",
        "sha256-hash",
        &["s04.hashed"],
        "`password_hash` is the hex SHA-256 of the password: unsalted and fast",
    ),
    flaw(
        "04",
        "null-user-id",
        &["s04.session-row"],
        "session rows keep the username in a column of their own and leave `user_id` NULL",
    ),
    // Step 04: SQL injection.
    flaw(
        "04",
        "string-sql",
        &["s04.injection-login"],
        "sign-in pastes the username into its SQL with format!, and a 500 shows the database's error",
    ),
    flaw(
        "04",
        "cookie-sql",
        &["s04.injection-cookie"],
        "the session lookup pastes the cookie's value into its SQL, unchecked",
    ),
    flaw(
        "04",
        "stripped-backslashes",
        &["s04.quoted-password"],
        "backslashes are stripped from passwords before hashing and checking: `a\\b` and `ab` are one password",
    ),
    // Step 04: remember-me.
    flaw(
        "04",
        "no-remember-box",
        &["s04.remember-box"],
        "the sign-in form has no `remember` checkbox (though a sent one still works)",
    ),
    flaw(
        "04",
        "remember-ignored",
        &["s04.remember-me"],
        "the `remember` box is shown but ignored: no Max-Age, and the row lives SESSION_TTL_SECS",
    ),
    flaw(
        "04",
        "always-max-age",
        &["s04.plain-cookie"],
        "every session cookie has a Max-Age, remembered or not",
    ),
    // Step 04: signing out.
    flaw(
        "04",
        "logout-keeps-row",
        &["s04.logout-deletes-row"],
        "POST /logout expires the cookie but leaves the session's row",
    ),
    flaw(
        "04",
        "logout-deletes-all",
        &["s04.logout-deletes-row"],
        "POST /logout deletes every session of the account, other browsers' too",
    ),
    // Step 04: several servers, restarts, expiry.
    flaw(
        "04",
        "memory-sessions",
        &["s04.session-row", "s04.two-instances", "s04.restart-keeps-sessions"],
        "sessions live in the process's memory only: no rows, nothing shared, nothing kept",
    ),
    flaw(
        "04",
        "session-cache",
        &["s04.two-instances-sign-out"],
        "sessions are also cached in memory and the cache is believed first: a sign-out on another server goes unseen",
    ),
    flaw(
        "04",
        "forget-on-restart",
        &["s04.restart-keeps-sessions"],
        "every start deletes all session rows",
    ),
    flaw(
        "04",
        "no-expiry",
        &["s04.expiry", "s04.sweep"],
        "expires_at is written but never compared with the clock, and nothing sweeps",
    ),
    flaw(
        "04",
        "no-sweep",
        &["s04.sweep"],
        "expired sessions are refused when presented, but rows nobody presents stay for ever",
    ),
    flaw(
        "04",
        "max-plus-one",
        &["s04.parallel-registrations"],
        "a new account's id is the highest id plus one, counted before hashing: registrations at once collide and get 500",
    ),
    flaw(
        "04",
        "parallel-fail",
        &["s04.parallel-sign-ins"],
        "sign-ins take a try_lock held 100 ms after the write: one that finds it taken answers 500",
    ),
    // Step 05: the authorization request.
    flaw(
        "05",
        "no-google-button",
        &["s05.login-button"],
        "the home page has no link to /login/google",
    ),
    flaw(
        "05",
        "fixed-state",
        &["s05.authorization-request"],
        "every sign-in sends the same state, `authlings`",
    ),
    flaw(
        "05",
        "no-pkce",
        &["s05.authorization-request"],
        "no code_challenge and no code_verifier: the provider refuses the request",
    ),
    // Step 05: the callback and the token request.
    flaw(
        "05",
        "code-in-landing-url",
        &["s05.sign-in"],
        "after sign-in the browser lands on /cabinet?code=..., the code in its address bar and history",
    ),
    flaw(
        "05",
        "session-not-renewed",
        &["s05.sign-in"],
        "a browser already signed in keeps its session id, now signed in as the provider's user",
    ),
    flaw(
        "05",
        "no-client-auth",
        &["s05.token-request"],
        "the token request carries the client_id but no client secret",
    ),
    flaw(
        "05",
        "no-state-check",
        // A browser with its own sign-in under way is not asked for its state either.
        &["s05.state-missing", "s05.state-wrong", "s05.state-other-browser"],
        "the callback finds the browser's pending sign-in but never compares its state",
    ),
    flaw(
        "05",
        "state-not-bound",
        &["s05.state-other-browser"],
        "pending sign-ins are one list for every browser, found by state: any browser finishes any sign-in",
    ),
    flaw(
        "05",
        "error-param-ignored",
        &["s05.access-denied"],
        "the callback ignores `error` and redeems the code it lacks (a 502 instead of a 400)",
    ),
    flaw(
        "05",
        "replay-accepted",
        &["s05.callback-replayed"],
        "pending sign-ins are never used up, and redeemed codes are remembered: the same callback signs in again",
    ),
    // Step 05: who the provider's user is.
    flaw(
        "05",
        "subject-hashed",
        &["s05.auto-register"],
        "the users row keeps the SHA-256 of the sub, not the sub",
    ),
    flaw(
        "05",
        "always-new-account",
        &["s05.same-user-again"],
        "accounts are never looked up: every sign-in makes another one",
    ),
    flaw(
        "05",
        "email-key",
        &["s05.same-email-other-sub", "s05.email-change-keeps-account"],
        "accounts are found by email address instead of (provider, sub)",
    ),
    flaw(
        "05",
        "username-key",
        &["s05.local-account-not-taken-over"],
        "accounts are found by the username made from the email address, a password account's too",
    ),
    // Caught in a real browser only (`harness/tests/browser_flows.rs`): the
    // grader's own browser sends Strict cookies on same-site navigations,
    // and the redirect from the callback to /cabinet looks like one.
    flaw(
        "05",
        "session-strict",
        &[],
        "the session cookie set after Sign in with Google is SameSite=Strict: a browser coming back from the provider does not send it to /cabinet",
    ),
    flaw(
        "05",
        "password-provider-missing",
        &["s05.password-still-works"],
        "/api/me has \"provider\": null for password accounts",
    ),
    // Step 05: the ID token.
    flaw(
        "05",
        "no-signature-check",
        &[
            "s05.id-token-bad-signature",
            "s05.id-token-alg-none",
            "s05.id-token-hs256-public-key",
            "s05.id-token-unknown-kid",
        ],
        "the ID token's claims are read without checking its signature",
    ),
    flaw(
        "05",
        "alg-none-accepted",
        &["s05.id-token-alg-none"],
        "an ID token with alg: none is accepted unsigned",
    ),
    flaw(
        "05",
        "hs256-accepted",
        &["s05.id-token-hs256-public-key"],
        "the token's alg is believed: HS256 is verified with the provider's public key (PEM) as the HMAC secret",
    ),
    flaw(
        "05",
        "kid-ignored",
        &["s05.id-token-unknown-kid"],
        "the token's kid is ignored: it is verified with the first key of the JWKS",
    ),
    flaw(
        "05",
        "no-iss-check",
        &["s05.id-token-wrong-issuer"],
        "iss is never compared with the issuer",
    ),
    flaw(
        "05",
        "no-aud-check",
        &["s05.id-token-wrong-audience"],
        "aud is never compared with the client id",
    ),
    flaw(
        "05",
        "no-azp-check",
        &["s05.id-token-untrusted-azp"],
        "aud must name the client, but azp and further audiences are not looked at",
    ),
    flaw("05", "no-exp-check", &["s05.id-token-expired"], "exp is never compared with the clock"),
    flaw(
        "05",
        "no-nonce-check",
        &["s05.id-token-wrong-nonce", "s05.id-token-missing-nonce"],
        "the nonce is sent but never compared with the token's",
    ),
    flaw(
        "05",
        "nonce-optional",
        &["s05.id-token-missing-nonce"],
        "a nonce in the token is compared, but a token without one is accepted",
    ),
    flaw(
        "05",
        "jwks-fetched-once",
        &["s05.key-rotation"],
        "the JWKS is fetched once: after the provider rotates its key, every sign-in is refused",
    ),
    // Step 05: a provider that fails.
    flaw(
        "05",
        "no-timeout",
        &["s05.provider-errors"],
        "the token request has no timeout: a silent provider keeps the person waiting",
    ),
    flaw(
        "05",
        "500-on-provider-error",
        &["s05.provider-errors"],
        "a provider that fails gives a 500 instead of a 502",
    ),
    // Step 06: Sign in with Microsoft.
    flaw(
        "06",
        "no-microsoft-button",
        &["s06.login-button"],
        "the home page has Google's link but none to /login/microsoft",
    ),
    flaw(
        "06",
        "microsoft-wrong-redirect-uri",
        &["s06.sign-in"],
        "Microsoft's sign-in sends redirect_uri=$PUBLIC_URL/auth/callback, Google's callback",
    ),
    flaw(
        "06",
        "any-issuer",
        &["s06.issuer-per-tenant"],
        "the token's iss is never compared with the issuer of its tid: any tenant's issuer, or the template itself, passes",
    ),
    flaw(
        "06",
        "any-tenant",
        &["s06.other-tenant-refused"],
        "the token's tid is never compared with MS_TENANT: a user of any tenant signs in",
    ),
    flaw(
        "06",
        "ignores-ms-tenant",
        &["s06.multi-tenant"],
        "the first start writes MS_TENANT to $DATA_DIR/ms-tenant, and later starts accept that tenant only, whatever MS_TENANT says",
    ),
    flaw(
        "06",
        "keyed-by-oid-alone",
        &["s06.multi-tenant"],
        "Microsoft accounts are keyed by oid without tid: the same oid in two tenants is one account",
    ),
    flaw(
        "06",
        "keyed-by-preferred-username",
        &["s06.keyed-by-oid"],
        "Microsoft accounts are keyed by preferred_username: a renamed user gets a new account",
    ),
    // Step 06: linking a second provider.
    flaw(
        "06",
        "links-by-email",
        &["s06.same-email-other-oid"],
        "an identity signing in for the first time is linked to the account that has its email, if any",
    ),
    flaw(
        "06",
        "no-linking",
        &["s06.link"],
        "POST /account/link/microsoft starts the flow, but its callback links nothing",
    ),
    flaw(
        "06",
        "link-anonymous",
        &["s06.link-needs-sign-in"],
        "POST /account/link/microsoft sends anyone to Microsoft, signed in or not",
    ),
    flaw(
        "06",
        "link-on-sign-in",
        &["s06.sign-in-never-links"],
        "a plain sign-in of an unknown identity while signed in links it to the signed-in account",
    ),
    flaw(
        "06",
        "link-unbound",
        &["s06.sign-in-never-links"],
        "the link intent is kept by session, not by the flow's state: any later callback in that browser links",
    ),
    flaw(
        "06",
        "link-moves",
        &["s06.link-taken-refused"],
        "linking an identity that signs in to another account moves it to the linking account",
    ),
    // Step 06: the price service, through a managed identity.
    flaw(
        "06",
        "prices-no-header",
        &["s06.prices"],
        "the token request lacks X-IDENTITY-HEADER: the identity endpoint refuses it",
    ),
    flaw("06", "token-per-request", &["s06.token-reused"], "every /api/prices fetches a new token"),
    flaw(
        "06",
        "no-shared-fetch",
        &["s06.token-reused"],
        "the token is cached, but the cache is not held while fetching (and the fetch takes 50 ms longer): concurrent requests each fetch one",
    ),
    flaw(
        "06",
        "no-refresh-margin",
        &["s06.token-refreshed"],
        "the token is reused until expires_on itself, not until 5 minutes before",
    ),
    flaw(
        "06",
        "any-resource",
        &["s06.wrong-resource"],
        "the identity endpoint's `resource` is never compared with PRICE_SERVICE_RESOURCE",
    ),
    flaw(
        "06",
        "no-timeout",
        &["s06.outage"],
        "neither the token request nor the price request has a timeout",
    ),
    flaw("06", "token-logged", &["s06.token-secret"], "each token fetched is written to the log"),
    flaw(
        "06",
        "token-in-error",
        &["s06.token-secret"],
        "a failing price service gets a 502 whose JSON names the bearer token sent",
    ),
];

/// The flaws of one step, in table order.
pub fn flaws(step: &str) -> impl Iterator<Item = &'static Flaw> {
    let step = step.to_owned();
    FLAWS.iter().filter(move |flaw| flaw.step == step)
}

/// The flaw `name` of `step`; `None` for [`NONE`] and for unknown names.
pub fn find(step: &str, name: &str) -> Option<&'static Flaw> {
    FLAWS.iter().find(|flaw| flaw.step == step && flaw.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_a_step_and_steps_are_known() {
        for (i, a) in FLAWS.iter().enumerate() {
            assert!(STEPS.contains(&a.step), "{}: unknown step {}", a.name, a.step);
            assert_ne!(a.name, NONE);
            for b in &FLAWS[i + 1..] {
                assert!(a.step != b.step || a.name != b.name, "{} twice", a.name);
            }
        }
    }

    #[test]
    fn check_ids_belong_to_the_flaws_step() {
        for flaw in FLAWS {
            for id in flaw.breaks {
                assert!(id.starts_with(&format!("s{}.", flaw.step)), "{}: {id}", flaw.name);
            }
        }
    }

    #[test]
    fn lookup() {
        assert_eq!(find("01", "hang").map(|f| f.breaks), Some(&["s01.starts"][..]));
        assert!(find("01", NONE).is_none());
        assert!(find("02", "hang").is_none());
        assert_eq!(find("02", "plaintext").map(|f| f.breaks), Some(&["s02.hashed"][..]));
        assert_eq!(
            find("03", "id-unchecked").map(|f| f.breaks),
            Some(&["s03.id-traversal-refused"][..])
        );
        assert_eq!(find("04", "cookie-sql").map(|f| f.breaks), Some(&["s04.injection-cookie"][..]));
        assert_eq!(STEPS.iter().map(|step| flaws(step).count()).sum::<usize>(), FLAWS.len());
        assert_eq!(flaws("99").count(), 0);
    }
}
