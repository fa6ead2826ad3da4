//! The walk itself, stage by stage. It judges only what a person sees and
//! the contract fixes (where the browser lands, the forms' actions and
//! fields, the username on the page, `/api/me` after Sign in with Google),
//! never wording or looks.

use reqwest::Url;

use super::{Broken, Shot, Site};
use crate::{browser::Browser, steps::Step};

/// Who registers from step 02 on; the same every run, so the book's
/// pictures stay the same.
const USERNAME: &str = "ada";
const PASSWORD: &str = "analytical-engine-1843";
/// In `fixtures/common-passwords.txt`, so registration refuses it.
const COMMON_PASSWORD: &str = "password123";

/// The test user of the mock provider who presses Allow (`fixtures/idp.toml`).
const PROVIDER_NAME: &str = "Alice Liddell";

/// How long a page is left to settle before its picture is taken.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

const LOGIN_FORM: &str = r#"form[action="/login"]"#;
const LOGIN_SUBMIT: &str = r#"form[action="/login"] button, form[action="/login"] [type="submit"]"#;
const LOGOUT_SUBMIT: &str =
    r#"form[action="/logout"] button, form[action="/logout"] [type="submit"]"#;
const REGISTER_FORM: &str = r#"form[action="/register"]"#;
const REGISTER_SUBMIT: &str =
    r#"form[action="/register"] button, form[action="/register"] [type="submit"]"#;

/// Walks every flow of `step` in `browser`; the screenshots in order, or
/// the first stage that went wrong (a [`Broken`] inside the error).
pub async fn walk(step: &Step, site: &Site, browser: &Browser) -> anyhow::Result<Vec<Shot>> {
    let mut walk = Walk { site, browser, shots: Vec::new() };
    if step.has_accounts {
        walk.with_accounts(step).await?;
    } else {
        walk.compiled_in_users().await?;
    }
    if site.provider.is_some() {
        walk.with_provider().await?;
    }
    Ok(walk.shots)
}

struct Walk<'a> {
    site: &'a Site,
    browser: &'a Browser,
    shots: Vec<Shot>,
}

impl Walk<'_> {
    /// Step 01: the users are compiled in, and there is no sign-out yet.
    async fn compiled_in_users(&mut self) -> anyhow::Result<()> {
        let user = self.site.users.first().expect("fixtures/users.toml has users").clone();
        self.sign_in_form().await?;
        self.failed_sign_in(&user.username).await?;
        self.sign_in(&user.username, &user.password, false).await?;
        self.shot(
            "cabinet",
            "The cabinet",
            "After signing in: the page only a signed-in user sees.",
        )
        .await?;
        self.open("/").await?;
        self.expect("the home page, signed in", self.shows(&user.username).await?, || {
            format!("the home page to name {}", user.username)
        })
        .await?;
        self.shot(
            "home-signed-in",
            "The home page, signed in",
            "The home page names who is signed in.",
        )
        .await
    }

    /// Steps 02 on: registration, sign-out, and signing in again.
    async fn with_accounts(&mut self, step: &Step) -> anyhow::Result<()> {
        self.sign_in_form().await?;
        self.register().await?;
        self.shot(
            "cabinet",
            "The cabinet",
            "Registered and signed in at once: the page only a signed-in user sees.",
        )
        .await?;
        self.sign_out().await?;
        self.failed_sign_in(USERNAME).await?;
        // From step 04 the form has "remember me"; ticking it is part of the flow.
        self.sign_in(USERNAME, PASSWORD, step.has_database).await?;
        self.open("/").await?;
        self.expect("the home page, signed in", self.has(LOGOUT_SUBMIT).await?, || {
            "the home page to offer a sign-out button (a form posting to /logout)".into()
        })
        .await?;
        self.shot(
            "home-signed-in",
            "The home page, signed in",
            "Signed in again: the home page names the user and offers to sign out.",
        )
        .await
    }

    /// Step 05 on: Sign in with Google, through the mock provider's page.
    async fn with_provider(&mut self) -> anyhow::Result<()> {
        self.click_away(LOGOUT_SUBMIT).await?;
        self.go_to_provider().await?;
        self.shot(
            "provider-sign-in",
            "The provider's sign-in page",
            "\"Sign in with Google\" leads to the provider (here the kit's mock provider), \
             which asks who signs in.",
        )
        .await?;
        self.click_away(r#"button[value="allow"]"#).await?;
        self.expect("back from the provider", self.at("/cabinet").await?, || {
            "the cabinet, signed in: the provider sent the browser back to /auth/callback, \
             and the server signed the person in there"
                .into()
        })
        .await?;
        self.shot(
            "cabinet-google",
            "The cabinet, signed in with Google",
            "Allowed at the provider: back in the cabinet, with the name and picture it gave.",
        )
        .await?;
        // The contract fixes /api/me's fields, not the cabinet's look.
        self.open("/api/me").await?;
        let me: serde_json::Value =
            serde_json::from_str(&self.browser.text().await?).unwrap_or_default();
        let from_provider = me["provider"] == "google" && me["name"] == PROVIDER_NAME;
        self.expect("signed in with Google", from_provider, || {
            format!("/api/me to say \"provider\": \"google\", \"name\": \"{PROVIDER_NAME}\"")
        })
        .await?;
        self.open("/").await?;
        self.click_away(LOGOUT_SUBMIT).await?;
        self.go_to_provider().await?;
        self.click_away(r#"button[value="deny"]"#).await?;
        self.expect("the sign-in declined", self.at("/auth/callback").await?, || {
            "the server's own error page at /auth/callback".into()
        })
        .await?;
        self.shot(
            "sign-in-declined",
            "A sign-in declined",
            "Deny at the provider: the server says so in plain words, and nobody is signed in.",
        )
        .await?;
        self.expect_signed_out("the sign-in declined").await
    }

    async fn sign_in_form(&mut self) -> anyhow::Result<()> {
        self.open("/").await?;
        self.expect("the sign-in form", self.has(LOGIN_FORM).await?, || {
            "the home page to have a form posting to /login".into()
        })
        .await?;
        self.shot(
            "sign-in-form",
            "The sign-in form",
            "The home page of a visitor who is not signed in.",
        )
        .await
    }

    async fn failed_sign_in(&mut self, username: &str) -> anyhow::Result<()> {
        self.open("/").await?;
        self.fill_login(username, "not-the-password").await?;
        self.click_away(LOGIN_SUBMIT).await?;
        let refused = !self.at("/cabinet").await? && self.has(LOGIN_FORM).await?;
        self.expect("a failed sign-in", refused, || {
            "the sign-in form again, with a message, after a wrong password".into()
        })
        .await?;
        self.shot(
            "failed-sign-in",
            "A failed sign-in",
            "A wrong password: the form again, with one message whether or not the user exists.",
        )
        .await
    }

    async fn sign_in(
        &mut self,
        username: &str,
        password: &str,
        remember: bool,
    ) -> anyhow::Result<()> {
        self.open("/").await?;
        self.fill_login(username, password).await?;
        if remember {
            self.browser.get(r#"input[name="remember"]"#).await?.click().await?;
        }
        self.click_away(LOGIN_SUBMIT).await?;
        self.expect("signing in", self.at("/cabinet").await? && self.shows(username).await?, || {
            format!("the cabinet naming {username} after signing in with the right password")
        })
        .await
    }

    async fn register(&mut self) -> anyhow::Result<()> {
        self.open("/register").await?;
        self.expect("the registration form", self.has(REGISTER_FORM).await?, || {
            "a form posting to /register at /register".into()
        })
        .await?;
        self.fill_register(COMMON_PASSWORD).await?;
        self.click_away(REGISTER_SUBMIT).await?;
        let refused = !self.at("/cabinet").await?;
        self.expect("a refused registration", refused, || {
            format!("registration with the common password {COMMON_PASSWORD:?} refused")
        })
        .await?;
        self.shot(
            "registration-refused",
            "A refused registration",
            "Registration says why it refuses a password, here one of the most common ones.",
        )
        .await?;
        self.open("/register").await?;
        self.fill_register(PASSWORD).await?;
        self.click_away(REGISTER_SUBMIT).await?;
        self.expect(
            "registering",
            self.at("/cabinet").await? && self.shows(USERNAME).await?,
            || format!("the cabinet naming {USERNAME} after registering"),
        )
        .await
    }

    async fn sign_out(&mut self) -> anyhow::Result<()> {
        self.open("/logout").await?;
        self.expect("the sign-out page", self.has(LOGOUT_SUBMIT).await?, || {
            "GET /logout to show a sign-out button (a form posting to /logout)".into()
        })
        .await?;
        self.shot("sign-out", "Signing out", "`GET /logout` only asks; the button signs out.")
            .await?;
        self.click_away(LOGOUT_SUBMIT).await?;
        self.expect_signed_out("signing out").await
    }

    /// From the home page through "Sign in with Google" to the provider's page.
    async fn go_to_provider(&mut self) -> anyhow::Result<()> {
        self.open("/").await?;
        self.click_away(r#"a[href="/login/google"]"#).await?;
        let issuer = &self.site.provider.as_ref().expect("steps 05 on").idp.issuer().to_owned();
        let url = self.browser.url().await?;
        let at_provider = url.starts_with(&format!("{issuer}/authorize"))
            && self.has(r#"button[value="allow"]"#).await?;
        self.expect("the provider's sign-in page", at_provider, || {
            format!("the mock provider's sign-in page at {issuer}/authorize, with Allow and Deny")
        })
        .await
    }

    /// The cabinet sends an anonymous visitor to the sign-in form.
    async fn expect_signed_out(&mut self, stage: &'static str) -> anyhow::Result<()> {
        self.open("/cabinet").await?;
        let anonymous = self.at("/").await? && self.has(LOGIN_FORM).await?;
        self.expect(stage, anonymous, || {
            "nobody signed in: /cabinet sends the browser to the sign-in form".into()
        })
        .await
    }

    async fn fill_login(&self, username: &str, password: &str) -> anyhow::Result<()> {
        self.browser.fill(r#"form[action="/login"] [name="username"]"#, username).await?;
        self.browser.fill(r#"form[action="/login"] [name="password"]"#, password).await
    }

    async fn fill_register(&self, password: &str) -> anyhow::Result<()> {
        self.browser.fill(r#"form[action="/register"] [name="username"]"#, USERNAME).await?;
        self.browser.fill(r#"form[action="/register"] [name="password"]"#, password).await
    }

    async fn open(&self, path: &str) -> anyhow::Result<()> {
        self.browser.open(&self.site.url(path)).await
    }

    async fn click_away(&self, css: &str) -> anyhow::Result<()> {
        self.browser.click_away(css).await
    }

    /// Whether the browser is at `path` on the server (any query).
    async fn at(&self, path: &str) -> anyhow::Result<bool> {
        let url = Url::parse(&self.browser.url().await?)?;
        let server = Url::parse(&self.site.base_url)?;
        Ok(url.origin() == server.origin() && url.path() == path)
    }

    async fn has(&self, css: &str) -> anyhow::Result<bool> {
        Ok(self.browser.find(css).await?.is_some())
    }

    async fn shows(&self, text: &str) -> anyhow::Result<bool> {
        Ok(self.browser.text().await?.contains(text))
    }

    async fn expect(
        &self,
        stage: &'static str,
        ok: bool,
        expected: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if ok {
            return Ok(());
        }
        Err(Broken {
            stage,
            expected: expected(),
            url: self.browser.url().await.unwrap_or_default(),
            text: self.browser.text().await.unwrap_or_default(),
            png: self.browser.screenshot().await.ok(),
        }
        .into())
    }

    async fn shot(
        &mut self,
        slug: &str,
        title: &'static str,
        caption: &'static str,
    ) -> anyhow::Result<()> {
        // Links turn "visited" a moment after a page loads, as the browser's
        // history catches up: without the pause a picture changes from run
        // to run.
        tokio::time::sleep(SETTLE).await;
        let png = self.browser.screenshot().await?;
        let name = format!("{:02}-{slug}", self.shots.len() + 1);
        self.shots.push(Shot { name, title, caption, png });
        Ok(())
    }
}
