//! Every step's flows in a real browser, headless chromium: sign-in, a
//! failed sign-in, registration and sign-out (02 on), Sign in with Google
//! through the mock provider's page and a declined one (05 on). They pass,
//! saying SKIPPED, where no chromium is installed (`scripts/test.sh`
//! installs it where it can).
//!
//! A real browser keeps rules the grader's own HTTP client only imitates
//! (SameSite, redirects, forms), so a flaw that only a browser notices is
//! proven here.

mod common;

use harness::{
    browser::Chromium,
    steps,
    target::Target,
    tour::{Broken, Shot, command::shoot},
};

/// One browser at a time: each test starts a server and a chromium, and
/// the machine may have two cores.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The walk of `step` on `target`, or `None` (said on stderr) without chromium.
async fn walk(test: &str, step: &str, target: Target) -> Option<anyhow::Result<Vec<Shot>>> {
    let chromium = match Chromium::find() {
        Ok(chromium) => chromium,
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            return None;
        }
    };
    let _turn = TURN.lock().await;
    let step = steps::find(step).expect("a known step");
    Some(shoot(step, &target, &chromium, false).await)
}

async fn solution_walks(test: &str, step: &str, shots: &[&str]) {
    let Some(walked) = walk(test, step, Target::Solution).await else {
        return;
    };
    let shots_taken: Vec<String> = match walked {
        Ok(shots) => shots.into_iter().map(|shot| shot.name).collect(),
        Err(error) => panic!("solution {step} in a real browser: {error:#}"),
    };
    assert_eq!(shots_taken, shots, "the screenshots of step {step}");
}

#[tokio::test]
async fn step_01_signs_in_in_a_real_browser() {
    let shots = ["01-sign-in-form", "02-failed-sign-in", "03-cabinet", "04-home-signed-in"];
    solution_walks("step_01_signs_in_in_a_real_browser", "01", &shots).await;
}

const WITH_ACCOUNTS: [&str; 6] = [
    "01-sign-in-form",
    "02-registration-refused",
    "03-cabinet",
    "04-sign-out",
    "05-failed-sign-in",
    "06-home-signed-in",
];

#[tokio::test]
async fn step_02_registers_and_signs_out_in_a_real_browser() {
    let test = "step_02_registers_and_signs_out_in_a_real_browser";
    solution_walks(test, "02", &WITH_ACCOUNTS).await;
}

#[tokio::test]
async fn step_03_registers_and_signs_out_in_a_real_browser() {
    let test = "step_03_registers_and_signs_out_in_a_real_browser";
    solution_walks(test, "03", &WITH_ACCOUNTS).await;
}

#[tokio::test]
async fn step_04_remembers_and_signs_out_in_a_real_browser() {
    let test = "step_04_remembers_and_signs_out_in_a_real_browser";
    solution_walks(test, "04", &WITH_ACCOUNTS).await;
}

#[tokio::test]
async fn step_05_signs_in_with_the_provider_in_a_real_browser() {
    let test = "step_05_signs_in_with_the_provider_in_a_real_browser";
    let mut shots = WITH_ACCOUNTS.to_vec();
    shots.extend(["07-provider-sign-in", "08-cabinet-google", "09-sign-in-declined"]);
    solution_walks(test, "05", &shots).await;
}

/// The flaw `session-strict`'s cookie survives the grader's imitation of a
/// browser, but a real one does not send it on the way back from the
/// provider: the person lands on the sign-in form instead of the cabinet.
/// The flawless mutant walks, so the flaw is what the browser caught.
#[tokio::test]
async fn a_strict_session_cookie_is_lost_on_the_way_back_from_the_provider() {
    let test = "a_strict_session_cookie_is_lost_on_the_way_back_from_the_provider";
    let Some(flawless) = walk(test, "05", common::mutant_cmd("05", mutants::NONE).await).await
    else {
        return;
    };
    if let Err(error) = flawless {
        panic!("the flawless step 05 mutant in a real browser: {error:#}");
    }
    let flawed = walk(test, "05", common::mutant_cmd("05", "session-strict").await).await;
    let error = match flawed.expect("chromium was there a moment ago") {
        Ok(_) => panic!("the walk went through with a SameSite=Strict session cookie"),
        Err(error) => error,
    };
    let broken = error
        .downcast_ref::<Broken>()
        .unwrap_or_else(|| panic!("a page that was not what it should be, not: {error:#}"));
    assert_eq!(broken.stage, "back from the provider", "{broken}");
    assert!(broken.url.contains("/?next=%2Fcabinet"), "{broken}");
}

/// What a student runs: the PNGs, each the window's size, and a README.md
/// that shows every one of them in order.
#[tokio::test]
async fn the_screenshots_command_writes_pngs_and_a_page_listing_them() {
    let test = "the_screenshots_command_writes_pngs_and_a_page_listing_them";
    if let Err(why) = Chromium::find() {
        eprintln!("SKIPPED {test}: {why}");
        return;
    }
    let _turn = TURN.lock().await;
    let out = tempfile::tempdir().expect("a temporary folder");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_authlings"))
        .args(["screenshots", "01", "--solution", "--out"])
        .arg(out.path())
        .output()
        .await
        .expect("authlings runs");
    assert!(
        run.status.success(),
        "authlings screenshots 01 --solution: {}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let page = std::fs::read_to_string(out.path().join("README.md")).expect("README.md");
    let mut pngs: Vec<String> = std::fs::read_dir(out.path())
        .expect("the folder")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".png"))
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), 4, "{pngs:?}");
    let mut from = 0;
    for png in &pngs {
        let link = format!("]({png})");
        let at = page[from..].find(&link).unwrap_or_else(|| panic!("{link} in order in:\n{page}"));
        from += at + link.len();
        let bytes = std::fs::read(out.path().join(png)).expect("the PNG");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png} is a PNG");
        let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!((size(16), size(20)), harness::browser::WINDOW, "{png}'s size");
    }
}
