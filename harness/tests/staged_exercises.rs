//! Steps 05's and 06's exercises turn green hole by hole. Its holes are named in the
//! solution (`// exercise:cut NAME`); filled one at a time, in the order
//! the book's "Your task" gives, each one must turn some checks green and
//! none red, and the last must reach full marks. The snapshot says which
//! checks each hole turned green: a change to what a hole teaches is a
//! reviewed change.
//!
//! Every stage is a build of its own, in the class build cache
//! (`target/authlings-class`, shared with `class_grade`), so that only the
//! exercise crate is compiled again from one stage to the next.

mod common;

use std::{fmt::Write as _, fs, time::Duration};

use harness::{
    class::{build_cache::BuildCache, submission::Snapshot},
    cutout,
    kit_root::kit_root,
    report::Status,
    steps,
    target::Target,
};

/// Step 05's holes, in the order the book fills them.
const STEP_05: &[&str] = &[
    "authorization-request",
    "code-exchange",
    "accounts",
    "alg-kid",
    "signature",
    "audience",
    "expiry",
    "nonce",
];

/// Step 06's holes, in the order the book fills them.
const STEP_06: &[&str] = &["issuer", "subject", "linking", "token-cache"];

/// How long one stage's build may take: the first builds every dependency.
const BUILD_WITHIN: Duration = Duration::from_secs(30 * 60);

/// Grades the exercise of `step` with the first 0, 1, ... all of `holes`
/// filled, and says what each hole turned green.
async fn stages(step: &str, holes: &[&str]) -> String {
    let step = steps::find(step).expect("a known step");
    let kit = kit_root();
    let cache = BuildCache::open(&BuildCache::default_dir(&kit), &kit).await.unwrap();
    let run = cache.run_dir().unwrap();
    let mut shown = String::new();
    let mut passing: Vec<String> = Vec::new();
    for filled in 0..=holes.len() {
        let files = cutout::exercise_files_filling(
            &step.solution_dir(&kit),
            &step.solution_package(),
            &step.exercise_package(),
            &holes[..filled],
        )
        .unwrap();
        let crate_dir = tempfile::tempdir().unwrap();
        for (relative, contents) in files {
            let path = crate_dir.path().join(relative);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        let exercise = Snapshot::take(crate_dir.path()).unwrap();
        let binary = run.path().join(format!("stage-{filled}"));
        if let Err(error) = cache.build(step, &exercise, BUILD_WITHIN, &binary).await {
            panic!("the exercise with {:?} filled does not build: {error:?}", &holes[..filled]);
        }
        let target = Target::Cmd(format!("'{}'", binary.display()));
        let report = common::grade(step.id, target, &common::quiet()).await;
        eprintln!("filled {:?}: {}/{}", &holes[..filled], report.score(), report.max_score());
        let now: Vec<String> = common::statuses(&report)
            .into_iter()
            .filter(|(_, status)| *status == Status::Pass)
            .map(|(id, _)| id)
            .collect();
        let lost: Vec<&String> = passing.iter().filter(|id| !now.contains(id)).collect();
        assert!(lost.is_empty(), "filling {:?} turned {lost:?} red", &holes[..filled]);
        let gained: Vec<&String> = now.iter().filter(|id| !passing.contains(id)).collect();
        match filled {
            0 => {
                let failing: Vec<String> = common::statuses(&report)
                    .into_iter()
                    .filter(|(_, status)| *status != Status::Pass)
                    .map(|(id, status)| format!("{id} ({status:?})"))
                    .collect();
                writeln!(shown, "as shipped, not passing:").unwrap();
                for id in failing {
                    writeln!(shown, "  {id}").unwrap();
                }
            }
            _ => {
                let hole = holes[filled - 1];
                assert!(!gained.is_empty(), "filling {hole:?} turned no check green");
                writeln!(shown, "{hole}:").unwrap();
                for id in gained {
                    writeln!(shown, "  {id}").unwrap();
                }
            }
        }
        passing = now;
        if filled == holes.len() {
            assert_eq!(report.score(), report.max_score(), "{}", common::explain(&report));
        }
    }
    shown
}

#[tokio::test]
async fn the_step_05_exercise_turns_green_hole_by_hole() {
    insta::assert_snapshot!("stages-05", stages("05", STEP_05).await);
}

#[tokio::test]
async fn the_step_06_exercise_turns_green_hole_by_hole() {
    insta::assert_snapshot!("stages-06", stages("06", STEP_06).await);
}
