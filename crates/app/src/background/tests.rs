use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

fn quick(health: &Arc<TaskHealth>) -> Supervisor {
    Supervisor::with_backoff(
        Arc::clone(health),
        Duration::from_millis(10),
        Duration::from_millis(40),
    )
}

#[tokio::test]
async fn a_panicking_task_is_restarted_counted_and_reported_until_it_recovers() {
    let health = Arc::new(TaskHealth::default());
    let mut sup = quick(&health);
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    sup.spawn("flaky", move |stop| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if n < 4 {
                panic!("boom {n}");
            }
            stop.ok();
            stop.stopped().await;
            Ok(())
        })
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut seen_failing = false;
    while runs.load(Ordering::SeqCst) < 5 && tokio::time::Instant::now() < deadline {
        seen_failing |= health
            .failing()
            .iter()
            .any(|(n, e)| *n == "flaky" && e == "panicked");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(seen_failing, "three panics in a row are reported");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        5,
        "restarted after every panic, then kept running"
    );
    assert!(
        health.failing().is_empty(),
        "a good round clears the report"
    );
    sup.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn shutdown_stops_tasks_in_reverse_order_and_waits_for_them() {
    let health = Arc::new(TaskHealth::default());
    let mut sup = quick(&health);
    let order = Arc::new(Mutex::new(Vec::new()));
    for name in ["first", "second"] {
        let order = Arc::clone(&order);
        sup.spawn(name, move |stop| {
            let order = Arc::clone(&order);
            Box::pin(async move {
                stop.stopped().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                order.lock().unwrap().push(name);
                Ok(())
            })
        });
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    sup.shutdown(Duration::from_secs(1)).await;
    assert_eq!(*order.lock().unwrap(), vec!["second", "first"]);
    assert!(
        health.failing().is_empty(),
        "a requested stop is not a failure"
    );
}

#[tokio::test]
async fn a_task_that_returns_an_error_is_restarted_with_backoff() {
    let health = Arc::new(TaskHealth::default());
    let mut sup = quick(&health);
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    sup.spawn("erring", move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err("database down".to_owned()) })
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = runs.load(Ordering::SeqCst);
    assert!(
        (3..=12).contains(&n),
        "backed off between restarts: {n} runs in 300 ms"
    );
    assert_eq!(
        health.status("erring").and_then(|s| s.last_error),
        Some("database down".to_owned())
    );
    sup.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_run_that_ignores_shutdown_is_aborted_within_the_grace_period() {
    let health = Arc::new(TaskHealth::default());
    let mut sup = quick(&health);
    let alive = Arc::new(AtomicU32::new(0));
    let beat = Arc::clone(&alive);
    sup.spawn("stubborn", move |_| {
        let beat = Arc::clone(&beat);
        Box::pin(async move {
            loop {
                beat.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = tokio::time::Instant::now();
    sup.shutdown(Duration::from_millis(50)).await;
    assert!(started.elapsed() < Duration::from_millis(500));
    let at_shutdown = alive.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        alive.load(Ordering::SeqCst),
        at_shutdown,
        "the run itself was aborted, not left detached"
    );
}

#[tokio::test]
async fn a_task_that_carries_on_reports_failed_and_good_rounds() {
    let health = Arc::new(TaskHealth::default());
    let mut sup = quick(&health);
    sup.spawn("looping", |stop| {
        Box::pin(async move {
            for _ in 0..3 {
                stop.failed("lookup failed");
            }
            stop.clone().stopped().await;
            Ok(())
        })
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(
        health.failing(),
        vec![("looping", "lookup failed".to_owned())]
    );
    sup.shutdown(Duration::from_secs(1)).await;
}
