//! A small class graded as `authlings grade` grades one: a correct
//! submission, a broken one, one that does not compile, one that hangs and
//! one that exits at once. Each gets its verdict, every output file is
//! written and reads back in its format, and nothing a server started is
//! left running.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use harness::{
    class::{
        ClassResults, Verdict,
        build_cache::BuildCache,
        command::grade_into,
        progress::Progress,
        roster::{self, split_csv_line},
        samples::{self, Kind},
        schedule::Plan,
    },
    kit_root::kit_root,
    steps,
};
use serde_json::Value;

const KINDS: [Kind; 5] =
    [Kind::Correct, Kind::Broken, Kind::DoesNotCompile, Kind::Hangs, Kind::ExitsAtOnce];

/// Processes whose command line is `sleep <marker>`.
fn running(marker: &str) -> Vec<String> {
    let needle = format!("sleep\0{marker}");
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
            cmdline.starts_with(&needle).then(|| format!("{:?}: {cmdline}", entry.file_name()))
        })
        .collect()
}

fn marker(i: usize) -> String {
    format!("{}.{}", 200_000 + i, std::process::id())
}

/// Writes the five submissions and a CSV roster naming them, one of them
/// with a name made of markup.
fn class(dir: &Path) -> PathBuf {
    let step = steps::find("01").unwrap();
    let mut roster = String::from("name,folder\n");
    for (i, kind) in KINDS.iter().enumerate() {
        let folder = dir.join(kind.name());
        samples::write(*kind, step, &kit_root(), &folder, i + 1, &marker(i)).unwrap();
        let name = match kind {
            Kind::Broken => "\"<img src=x onerror=alert(1)> & Co, \"\"Ltd\"\"\"".to_owned(),
            kind => kind.name().to_owned(),
        };
        roster.push_str(&format!("{name},{}\n", kind.name()));
    }
    let path = dir.join("roster.csv");
    std::fs::write(&path, roster).unwrap();
    path
}

#[tokio::test]
async fn a_class_gets_its_verdicts_and_every_file() {
    let work = tempfile::tempdir().unwrap();
    let work = {
        let p = work.keep();
        println!("KEPT {}", p.display());
        tempfile::TempDir::new_in(&p).map(|_| ()).ok();
        p
    };
    let work = &work;
    struct W<'a>(&'a std::path::Path);
    impl W<'_> {
        fn path(&self) -> &std::path::Path {
            self.0
        }
    }
    let work = W(work);
    let roster_path = class(work.path());
    let submissions = roster::from_file(&roster_path).unwrap();
    let plan = Plan {
        steps: vec![steps::find("01").unwrap()],
        submissions,
        jobs: 2,
        timeout: Duration::from_secs(20),
        kit_root: kit_root(),
    };
    let cache = BuildCache::open(&BuildCache::default_dir(&kit_root()), &kit_root()).await.unwrap();
    let out = work.path().join("grades");
    let started = Instant::now();
    let class = grade_into(&plan, &cache, &out, Progress::hidden()).await.unwrap();
    println!("graded in {:?}", started.elapsed());

    check_verdicts(&class);
    for i in 0..KINDS.len() {
        let left = running(&marker(i));
        assert!(left.is_empty(), "left running: {left:?}");
    }
    check_gradebook(&out.join("gradebook.csv"), &class);
    for student in &class.students {
        let name = &student.submission.file_name;
        let json = read_json(&out.join(format!("results/{name}.json")));
        assert_eq!(json["student"], student.submission.name.as_str());
        assert_eq!(json["steps"][0]["step"], "01");
        assert_eq!(json["steps"][0]["score"], student.score());
        assert!(json["steps"][0]["checks"].as_array().is_some_and(|c| !c.is_empty()));
        let gradescope = read_json(&out.join(format!("gradescope/{name}/results.json")));
        if let Err(problem) = gradescope_shape(&gradescope) {
            panic!("{name}: {problem}\n{gradescope:#}");
        }
        assert_eq!(gradescope["score"], student.score());
    }
    check_junit(&out.join("junit.xml"), &class);
    check_html(&out.join("report.html"), &class);
}

fn check_verdicts(class: &ClassResults) {
    let verdict = |kind: Kind| {
        let i = KINDS.iter().position(|k| *k == kind).unwrap();
        let student = &class.students[i];
        let outcome = &student.outcomes[0];
        (outcome.verdict, outcome, student)
    };
    let explain = |kind: Kind| {
        let (_, outcome, _) = verdict(kind);
        let style = harness::report::human::Style { colour: false };
        format!("{}\n{}", outcome.detail, harness::report::human::render(&outcome.report, &style))
    };
    let (v, outcome, _) = verdict(Kind::Correct);
    assert_eq!(v, Verdict::FullMarks, "{}", explain(Kind::Correct));
    assert_eq!(outcome.report.score(), outcome.report.max_score());

    let (v, outcome, _) = verdict(Kind::Broken);
    assert_eq!(v, Verdict::ChecksFailed, "{}", explain(Kind::Broken));
    assert!(outcome.report.score() > 0 && outcome.report.score() < outcome.report.max_score());

    let (v, outcome, _) = verdict(Kind::DoesNotCompile);
    assert_eq!(v, Verdict::DoesNotCompile, "{}", explain(Kind::DoesNotCompile));
    assert!(outcome.detail.contains("mismatched types"), "{}", outcome.detail);
    assert!(outcome.report.results[0].message().contains("src/lib.rs"));
    assert_eq!(outcome.report.score(), 0);

    let (v, outcome, _) = verdict(Kind::Hangs);
    assert_eq!(v, Verdict::DidNotStart, "{}", explain(Kind::Hangs));
    assert!(outcome.detail.contains("did not answer GET / within 10 s"), "{}", outcome.detail);

    let (v, outcome, _) = verdict(Kind::ExitsAtOnce);
    assert_eq!(v, Verdict::DidNotStart, "{}", explain(Kind::ExitsAtOnce));
    assert!(outcome.detail.contains("exit status 3"), "{}", outcome.detail);
    assert!(
        outcome.report.notes.iter().any(|n| n.contains("outside its process group")),
        "the process that left its group was not noticed: {:?}",
        outcome.report.notes
    );
}

fn check_gradebook(path: &Path, class: &ClassResults) {
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<String>> =
        text.split("\r\n").filter(|l| !l.is_empty()).map(|l| split_csv_line(l).unwrap()).collect();
    let header = &rows[0];
    let checks = (steps::find("01").unwrap().checks)();
    assert_eq!(header.len(), 2 + checks.len() + 2, "{header:?}");
    assert_eq!(rows[1][0], "(points possible)");
    assert_eq!(rows.len(), 2 + class.students.len());
    for (row, student) in rows[2..].iter().zip(&class.students) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[0], student.submission.name);
        assert_eq!(row.last().unwrap(), &student.score().to_string());
        let points: u32 = row[2..2 + checks.len()].iter().map(|p| p.parse::<u32>().unwrap()).sum();
        assert_eq!(points, student.score());
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shape Gradescope's autograder specification documents for
/// `results.json` (gradescope-autograders.readthedocs.io, "Autograder
/// Specifications"): only its fields, with their types and values.
fn gradescope_shape(results: &Value) -> Result<(), String> {
    const VISIBILITY: [&str; 4] = ["hidden", "after_due_date", "after_published", "visible"];
    const FORMATS: [&str; 5] = ["text", "html", "simple_format", "md", "ansi"];
    let top = results.as_object().ok_or("not an object")?;
    for (key, value) in top {
        let fits = match key.as_str() {
            "score" | "execution_time" => value.is_number(),
            "output" => value.is_string(),
            "output_format" | "test_output_format" | "test_name_format" => {
                value.as_str().is_some_and(|f| FORMATS.contains(&f))
            }
            "visibility" | "stdout_visibility" => {
                value.as_str().is_some_and(|v| VISIBILITY.contains(&v))
            }
            "extra_data" => value.is_object(),
            "tests" => value.is_array(),
            "leaderboard" => value.is_array(),
            _ => return Err(format!("{key} is not in Gradescope's format")),
        };
        if !fits {
            return Err(format!("{key} = {value} does not fit Gradescope's format"));
        }
    }
    let tests = top.get("tests").and_then(Value::as_array).ok_or("no tests")?;
    if !top.contains_key("score") && tests.iter().any(|t| t.get("score").is_none()) {
        return Err("a score is needed at the top or on every test".into());
    }
    let mut sum = 0.0;
    for test in tests {
        let test = test.as_object().ok_or("a test is not an object")?;
        for (key, value) in test {
            let fits = match key.as_str() {
                "score" | "max_score" => value.as_f64().is_some_and(|n| n >= 0.0),
                "status" => value.as_str().is_some_and(|s| ["passed", "failed"].contains(&s)),
                "name" | "number" | "output" => value.is_string(),
                "name_format" | "output_format" => {
                    value.as_str().is_some_and(|f| FORMATS.contains(&f))
                }
                "tags" => value.as_array().is_some_and(|t| t.iter().all(Value::is_string)),
                "visibility" => value.as_str().is_some_and(|v| VISIBILITY.contains(&v)),
                "extra_data" => value.is_object(),
                _ => return Err(format!("tests[].{key} is not in Gradescope's format")),
            };
            if !fits {
                return Err(format!("tests[].{key} = {value} does not fit Gradescope's format"));
            }
        }
        let score = test["score"].as_f64().unwrap();
        if score > test["max_score"].as_f64().unwrap() {
            return Err(format!("{} scores more than its max_score", test["name"]));
        }
        let passed = test["status"] == "passed";
        if passed != (score == test["max_score"].as_f64().unwrap()) {
            return Err(format!("{}: status and score disagree", test["name"]));
        }
        sum += score;
    }
    if top["score"].as_f64() != Some(sum) {
        return Err(format!("score {} is not the tests' sum {sum}", top["score"]));
    }
    Ok(())
}

fn check_junit(path: &Path, class: &ClassResults) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    assert_eq!(text.matches("<testsuite ").count(), class.students.len());
    assert!(!text.chars().any(|c| (c as u32) < 0x20 && !"\n\t\r".contains(c)));
    // A real XML parser, when there is one at hand.
    let parsed = Command::new("python3")
        .args(["-c", "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
                print(len(r.findall('testsuite')), len(r.findall('testsuite/testcase')), len(r.findall('.//failure')))"])
        .arg(path)
        .stderr(Stdio::piped())
        .output();
    match parsed {
        Ok(output) if output.status.success() => {
            let counts = String::from_utf8_lossy(&output.stdout);
            let checks = (steps::find("01").unwrap().checks)().len();
            let failures: usize = class
                .students
                .iter()
                .map(|s| s.outcomes[0].report.count(harness::report::Status::Fail))
                .sum();
            let expected =
                format!("{} {} {failures}", class.students.len(), class.students.len() * checks);
            assert_eq!(counts.trim(), expected);
        }
        Ok(output) => {
            panic!("junit.xml is not well-formed XML: {}", String::from_utf8_lossy(&output.stderr))
        }
        Err(_) => println!("no python3: junit.xml checked without an XML parser"),
    }
}

fn check_html(path: &Path, class: &ClassResults) {
    let html = std::fs::read_to_string(path).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    for student in &class.students {
        let escaped = student
            .submission
            .name
            .replace('&', "&#38;")
            .replace('<', "&#60;")
            .replace('>', "&#62;")
            .replace('"', "&#34;");
        assert!(html.contains(&escaped), "{} is not in the report", student.submission.name);
    }
    // Markup from a student (a name, a server's output) is shown, not run.
    assert!(!html.contains("<img src=x"), "a student's name reached the page as markup");
    assert!(!html.contains("<script>alert"), "a server's output reached the page as markup");
    assert!(html.contains("&#60;script&#62;alert"), "the server's output is not in the report");
    assert!(html.contains("Checks most failed"));
    assert_eq!(html.matches("class=\"student\"").count(), class.students.len());
}
