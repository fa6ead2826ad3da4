//! A step's flows walked in a real browser: sign-in, a failed sign-in, the
//! cabinet, registration and sign-out (02 on), Sign in with Google through
//! the mock provider's page and a declined sign-in (05 on). Every stage
//! says what it expects to see, so the same walk makes the screenshots
//! (`authlings screenshots`) and is the end-to-end test of a step.

pub mod command;
mod flows;
pub mod gallery;
mod site;

use std::fmt;

pub use flows::walk;
pub use site::Site;

/// One screenshot of the walk.
pub struct Shot {
    /// `03-cabinet`: the PNG's name without `.png`, in walk order.
    pub name: String,
    pub title: &'static str,
    /// What the picture shows, in a sentence for a README.
    pub caption: &'static str,
    pub png: Vec<u8>,
}

/// A stage whose page was not what a person should see.
#[derive(Debug)]
pub struct Broken {
    pub stage: &'static str,
    pub expected: String,
    /// The address bar and the page's text.
    pub url: String,
    pub text: String,
    /// What the browser showed, if a screenshot could be taken.
    pub png: Option<Vec<u8>>,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}; the browser is at {} showing: {}",
            self.stage,
            self.expected,
            self.url,
            crate::text::excerpt(&self.text, 400)
        )
    }
}

impl std::error::Error for Broken {}
