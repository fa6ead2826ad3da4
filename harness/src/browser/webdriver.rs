//! The few WebDriver commands (W3C, as chromedriver speaks them) that the
//! screenshots and the end-to-end tests need.

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use base64::Engine;
use serde_json::{Value, json};

use super::{Chromium, WINDOW, driver::Driver};

/// How W3C WebDriver names an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one command may take: a page load included.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a page may take to replace the one whose form was submitted.
const NAVIGATION_WITHIN: Duration = Duration::from_secs(15);

/// One headless chromium, with its own fresh profile, for as long as this
/// lives.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`: every command goes under it.
    session: String,
    driver: Driver,
}

/// An element of the current page.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    pub(super) async fn start(chromium: &Chromium) -> anyhow::Result<Browser> {
        let driver = Driver::start(&chromium.driver).await?;
        let http = reqwest::Client::builder().timeout(COMMAND_TIMEOUT).build()?;
        let mut args = vec![
            "--headless=new".to_owned(),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            "--force-device-scale-factor=1".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-extensions".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            // The step server listens on 127.0.0.1, where `localhost` must
            // lead without trying ::1 first.
            "--host-resolver-rules=MAP localhost 127.0.0.1".to_owned(),
        ];
        // Chromium refuses to start as root inside its sandbox (a container,
        // CI); everything it opens here is the kit's own loopback servers.
        // SAFETY: geteuid has no preconditions and touches no memory.
        if unsafe { libc::geteuid() } == 0 {
            args.push("--no-sandbox".to_owned());
        }
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.browser,
                        "args": args,
                    },
                },
            },
        });
        let answer = command(&http, "POST", &format!("{}/session", driver.url), Some(capabilities))
            .await
            .context("chromedriver could not start chromium")?;
        let id = answer["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("chromedriver answered no sessionId: {answer}"))?;
        let session = format!("{}/session/{id}", driver.url);
        let browser = Browser { http, session, driver };
        browser.fit_viewport().await?;
        Ok(browser)
    }

    /// Grows the window until the page itself, what a screenshot shows, is
    /// [`WINDOW`] big: `--window-size` counts the browser's own frame too.
    async fn fit_viewport(&self) -> anyhow::Result<()> {
        let inner = self.script("return [window.innerWidth, window.innerHeight];").await?;
        let side = |i: usize| inner[i].as_i64().unwrap_or_default();
        let (width, height) = (i64::from(WINDOW.0), i64::from(WINDOW.1));
        let rect = json!({
            "width": 2 * width - side(0),
            "height": 2 * height - side(1),
        });
        self.call("POST", "/window/rect", Some(rect)).await.map(drop)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        command(&self.http, method, &format!("{}{path}", self.session), body).await
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn open(&self, url: &str) -> anyhow::Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url }))).await.map(drop)
    }

    /// The address bar.
    pub async fn url(&self) -> anyhow::Result<String> {
        let url = self.call("GET", "/url", None).await?;
        url.as_str().map(str::to_owned).ok_or_else(|| anyhow!("the URL is not text: {url}"))
    }

    /// The page's text as a person sees it.
    pub async fn text(&self) -> anyhow::Result<String> {
        let text = self.script("return document.body ? document.body.innerText : '';").await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `body` (a JavaScript function body) in the page; its `return`.
    pub async fn script(&self, body: &str) -> anyhow::Result<Value> {
        self.call("POST", "/execute/sync", Some(json!({ "script": body, "args": [] }))).await
    }

    /// The first element `css` matches; `None` when there is none.
    pub async fn find(&self, css: &str) -> anyhow::Result<Option<Element<'_>>> {
        let found = self
            .call("POST", "/elements", Some(json!({ "using": "css selector", "value": css })))
            .await?;
        Ok(found
            .as_array()
            .and_then(|all| all.first())
            .and_then(|element| element[ELEMENT_KEY].as_str())
            .map(|id| Element { browser: self, id: id.to_owned() }))
    }

    /// The first element `css` matches, which must be there.
    pub async fn get(&self, css: &str) -> anyhow::Result<Element<'_>> {
        self.find(css).await?.ok_or_else(|| anyhow!("the page has no {css}"))
    }

    /// Clears the field `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let field = self.get(css).await?;
        field.call("/clear", json!({})).await?;
        field.call("/value", json!({ "text": text })).await.map(drop)
    }

    /// Clicks `css`, which leaves the page (a submit button, a link), and
    /// waits until the next page has loaded, even if it has the same URL.
    pub async fn click_away(&self, css: &str) -> anyhow::Result<()> {
        let element = self.get(css).await?;
        self.script("window.__authlings_left = false;").await?;
        element.click().await?;
        let deadline = Instant::now() + NAVIGATION_WITHIN;
        loop {
            let state = self
                .script(
                    "return window.__authlings_left === undefined \
                     && document.readyState === 'complete';",
                )
                .await;
            // While the old page goes away a script can fail: try again.
            if matches!(state, Ok(Value::Bool(true))) {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!("clicking {css} led to no new page within {NAVIGATION_WITHIN:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The viewport as a PNG.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        let encoded = self.call("GET", "/screenshot", None).await?;
        let encoded = encoded.as_str().ok_or_else(|| anyhow!("no screenshot in {encoded}"))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(encoded)?)
    }

    /// Ends the session, which closes chromium; chromedriver goes when
    /// this is dropped.
    pub async fn quit(mut self) {
        if self.driver.running() {
            let _ = self.call("DELETE", "", None).await;
        }
    }
}

impl Element<'_> {
    async fn call(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.browser.call("POST", &format!("/element/{}{path}", self.id), Some(body)).await
    }

    pub async fn click(&self) -> anyhow::Result<()> {
        self.call("/click", json!({})).await.map(drop)
    }
}

/// One WebDriver command; its `value`, or the error chromedriver gave.
async fn command(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    let mut request = http.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.with_context(|| format!("WebDriver {method} {url}"))?;
    let status = reply.status();
    let mut answer: Value =
        reply.json().await.with_context(|| format!("WebDriver {method} {url}: not JSON"))?;
    let value = answer["value"].take();
    if status.is_success() {
        Ok(value)
    } else {
        Err(anyhow!(
            "WebDriver {method} {url}: {} ({})",
            value["error"].as_str().unwrap_or("error"),
            value["message"].as_str().unwrap_or_default().lines().next().unwrap_or_default()
        ))
    }
}
