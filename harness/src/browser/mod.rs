//! A real browser for the screenshots and the end-to-end tests: Debian's
//! headless `chromium`, driven over WebDriver through `chromedriver`.
//!
//! WebDriver is plain JSON over HTTP, so the client is the harness's own
//! reqwest: no crate and no browser download (the book's contributor notes
//! say what the crates that do this would cost). Nothing is fetched at run
//! time: without an installed chromium and chromedriver there is no browser,
//! and [`Chromium::find`] says why.

mod driver;
mod webdriver;

use std::path::{Path, PathBuf};

pub use webdriver::{Browser, Element};

/// The window, and so every screenshot: small enough for a book page.
pub const WINDOW: (u32, u32) = (900, 600);

/// An installed chromium and the chromedriver that drives it.
#[derive(Clone, Debug)]
pub struct Chromium {
    pub browser: PathBuf,
    pub driver: PathBuf,
}

impl Chromium {
    /// `CHROMIUM` or `CHROME` if set, else Debian's `/usr/bin/chromium`;
    /// `CHROMEDRIVER` if set, else `/usr/bin/chromedriver`. The error says
    /// what is missing and how to install it.
    pub fn find() -> Result<Chromium, String> {
        let named = |vars: &[&str], default: &str| {
            vars.iter()
                .find_map(|var| std::env::var_os(var).filter(|v| !v.is_empty()))
                .map_or_else(|| PathBuf::from(default), PathBuf::from)
        };
        let browser = named(&["CHROMIUM", "CHROME"], "/usr/bin/chromium");
        let driver = named(&["CHROMEDRIVER"], "/usr/bin/chromedriver");
        let missing: Vec<String> = [(&browser, "chromium"), (&driver, "chromedriver")]
            .into_iter()
            .filter(|(path, _)| !is_executable(path))
            .map(|(path, name)| format!("{name} ({})", path.display()))
            .collect();
        if missing.is_empty() {
            Ok(Chromium { browser, driver })
        } else {
            Err(format!(
                "no {} is installed (on Debian or Ubuntu: `apt-get install chromium \
                 chromium-driver`; elsewhere set CHROMIUM and CHROMEDRIVER to their paths)",
                missing.join(" and no ")
            ))
        }
    }

    /// Starts chromedriver and, through it, a fresh headless chromium with
    /// an empty profile and a [`WINDOW`]-sized window.
    pub async fn start(&self) -> anyhow::Result<Browser> {
        Browser::start(self).await
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
