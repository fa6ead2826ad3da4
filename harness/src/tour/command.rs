//! `authlings screenshots` (a student's pictures of their flows, for a
//! README) and `authlings dev screenshots` (the book's, from the solutions).

use std::{path::Path, process::ExitCode};

use super::{Broken, Shot, Site, gallery, walk};
use crate::{
    browser::Chromium, kit_root::kit_root, server::free_port, steps::STEPS, steps::Step,
    target::Target,
};

/// Builds and starts `target`, walks its flows in a fresh chromium, and
/// stops everything again.
pub async fn shoot(
    step: &Step,
    target: &Target,
    chromium: &Chromium,
    echo_build: bool,
) -> anyhow::Result<Vec<Shot>> {
    shoot_on(step, target, chromium, echo_build, free_port()).await
}

async fn shoot_on(
    step: &Step,
    target: &Target,
    chromium: &Chromium,
    echo_build: bool,
    port: u16,
) -> anyhow::Result<Vec<Shot>> {
    let program = target.program(step, &kit_root(), echo_build).await.map_err(|build| {
        anyhow::anyhow!("the server did not build: {}\n{}", build.summary, build.diagnostics)
    })?;
    let site = Site::start_on(step, program, port).await?;
    let walked = match chromium.start().await {
        Ok(browser) => {
            let walked = walk(step, &site, &browser).await;
            browser.quit().await;
            walked
        }
        Err(error) => Err(error),
    };
    if walked.is_err() {
        eprintln!("the server's last lines:\n{}", site.server.log());
    }
    site.stop().await;
    walked
}

/// `authlings screenshots NN`: the PNGs and a README.md listing them in `out`.
pub async fn screenshots(step: &Step, target: &Target, out: &Path) -> ExitCode {
    let chromium = match Chromium::find() {
        Ok(chromium) => chromium,
        Err(why) => {
            eprintln!("error: screenshots need a browser: {why}");
            return ExitCode::from(2);
        }
    };
    let shots = match shoot(step, target, &chromium, true).await {
        Ok(shots) => shots,
        Err(error) => return failed(&error, out),
    };
    let page = format!(
        "# Step {}: {}\n\nEvery flow of `{}` in headless Chromium, taken by \
         `cargo authlings screenshots {}`.\n\n{}",
        step.id,
        step.title,
        target.describe(step),
        step.id,
        gallery::markdown(&shots, "")
    );
    let written =
        gallery::write_pngs(&shots, out).and_then(|()| std::fs::write(out.join("README.md"), page));
    if let Err(error) = written {
        eprintln!("error: cannot write to {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    println!("{} screenshots and README.md written to {}", shots.len(), out.display());
    ExitCode::SUCCESS
}

/// `authlings dev screenshots`: every step's solution, into the book.
pub async fn book() -> ExitCode {
    let chromium = match Chromium::find() {
        Ok(chromium) => chromium,
        Err(why) => {
            eprintln!("error: the book's screenshots need a browser: {why}");
            return ExitCode::from(2);
        }
    };
    let dir = kit_root().join("book/src/screenshots");
    for step in STEPS {
        let shots = match shoot_on(step, &Target::Solution, &chromium, false, book_port()).await {
            Ok(shots) => shots,
            Err(error) => return failed(&error, &dir.join(step.id)),
        };
        let page = gallery::markdown(&shots, &format!("screenshots/{}/", step.id));
        let page_path = dir.join(format!("{}.md", step.id));
        let written = gallery::write_pngs(&shots, &dir.join(step.id))
            .and_then(|()| std::fs::write(&page_path, page));
        if let Err(error) = written {
            eprintln!("error: cannot write {}: {error}", page_path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("{}: {} screenshots", page_path.display(), shots.len());
    }
    ExitCode::SUCCESS
}

/// The port a student's server has by default, when it is free: the
/// provider's page shows the address it sends the browser back to, and the
/// book's picture of it should not change at every run.
fn book_port() -> u16 {
    const STUDENTS: u16 = 5000;
    match std::net::TcpListener::bind(("127.0.0.1", STUDENTS)) {
        Ok(_) => STUDENTS,
        Err(_) => free_port(),
    }
}

/// Says what went wrong; a broken page is kept as `broken.png` to look at.
fn failed(error: &anyhow::Error, out: &Path) -> ExitCode {
    eprintln!("error: {error:#}");
    if let Some(Broken { png: Some(png), .. }) = error.downcast_ref::<Broken>() {
        let path = out.join("broken.png");
        if std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, png)).is_ok() {
            eprintln!("what the browser showed: {}", path.display());
        }
    }
    ExitCode::FAILURE
}
