//! A grading run on PostgreSQL gets a database of its own, and it is
//! dropped afterwards however the run ends. Without a PostgreSQL server
//! these tests say so and pass.

mod common;

use harness::database::scratch::Scratch;

#[tokio::test]
async fn a_run_s_database_is_made_empty_and_dropped() {
    let Some((server, mut admin)) = common::postgres("the scratch database test").await else {
        return;
    };
    let scratch = Scratch::create(&server).await.unwrap();
    let name = scratch.name().to_owned();
    assert!(scratch.url().ends_with(&format!("/{name}")), "{}", scratch.url());
    assert!(common::database_exists(&mut admin, &name).await);
    scratch.remove().await.unwrap();
    assert!(!common::database_exists(&mut admin, &name).await, "{name} is still there");
}

#[tokio::test]
async fn a_run_cut_short_still_drops_its_database() {
    let Some((server, mut admin)) = common::postgres("the scratch database test").await else {
        return;
    };
    let (made, told) = tokio::sync::oneshot::channel();
    let mut run = Box::pin(async {
        let scratch = Scratch::create(&server).await.unwrap();
        made.send(scratch.name().to_owned()).unwrap();
        std::future::pending::<()>().await;
        drop(scratch);
    });
    let name = tokio::select! {
        () = &mut run => unreachable!("the run never ends by itself"),
        name = told => name.expect("the database was made"),
    };
    // Dropped while it holds the database, as `authlings grade` drops a run
    // past its time limit.
    drop(run);
    assert!(!common::database_exists(&mut admin, &name).await, "{name} is still there");
}

#[tokio::test]
async fn a_run_that_panics_still_drops_its_database() {
    let Some((server, mut admin)) = common::postgres("the scratch database test").await else {
        return;
    };
    let (made, mut told) = tokio::sync::oneshot::channel();
    // A task of its own catches the panic; a local one, as grading runs on
    // one thread.
    let tasks = tokio::task::LocalSet::new();
    let run = tasks.run_until(async move {
        tokio::task::spawn_local(async move {
            let scratch = Scratch::create(&server).await.unwrap();
            made.send(scratch.name().to_owned()).unwrap();
            panic!("a check panicked while {} was in use", scratch.name());
        })
        .await
    });
    assert!(run.await.is_err(), "the run panicked");
    let name = told.try_recv().expect("the database was made");
    assert!(!common::database_exists(&mut admin, &name).await, "{name} is still there");
}
