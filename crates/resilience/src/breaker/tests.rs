use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::clock::ManualClock;

fn config() -> BreakerConfig {
    BreakerConfig {
        window: Duration::from_secs(30),
        window_calls: 10,
        min_calls: 4,
        failure_percent: 50,
        slow_call: Duration::from_secs(2),
        slow_percent: 75,
        open_for: Duration::from_secs(10),
        probes: 2,
        timeout: Duration::from_secs(5),
    }
}

fn breaker() -> (Arc<ManualClock>, Breaker, Arc<AtomicUsize>) {
    let clock = Arc::new(ManualClock::default());
    let changes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&changes);
    let b = Breaker::new(
        "gateway.pages",
        config(),
        clock.clone(),
        Box::new(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        }),
    );
    (clock, b, changes)
}

async fn fail(b: &Breaker) -> Result<(), CallError<&'static str>> {
    b.call(|| async { Err::<(), _>("502") }, |_| true).await
}

async fn succeed(b: &Breaker) -> Result<(), CallError<&'static str>> {
    b.call(|| async { Ok::<(), &str>(()) }, |_| true).await
}

async fn open_it(b: &Breaker) {
    for _ in 0..4 {
        let _ = fail(b).await;
    }
    assert_eq!(b.state(), BreakerState::Open);
}

#[tokio::test]
async fn it_opens_once_the_window_has_enough_failures_and_not_before() {
    let (_, b, changes) = breaker();
    for _ in 0..3 {
        let _ = fail(&b).await;
    }
    assert_eq!(
        b.state(),
        BreakerState::Closed,
        "three calls are below the minimum volume"
    );
    let _ = fail(&b).await;
    assert_eq!(b.state(), BreakerState::Open);
    assert_eq!(changes.load(Ordering::SeqCst), 1);
    assert!(
        matches!(succeed(&b).await, Err(CallError::Open { .. })),
        "open refuses at once"
    );
    assert_eq!(b.snapshot().refused, 1);
}

#[tokio::test]
async fn a_mixed_window_under_the_failure_rate_stays_closed() {
    let (_, b, _) = breaker();
    for _ in 0..10 {
        let _ = succeed(&b).await;
        let _ = succeed(&b).await;
        let _ = fail(&b).await;
    }
    assert_eq!(
        b.state(),
        BreakerState::Closed,
        "a third failing is under 50 %"
    );
}

#[tokio::test]
async fn old_outcomes_leave_the_window() {
    let (clock, b, _) = breaker();
    for _ in 0..3 {
        let _ = fail(&b).await;
    }
    clock.advance(Duration::from_secs(31));
    let _ = fail(&b).await;
    assert_eq!(
        b.state(),
        BreakerState::Closed,
        "the first three are older than the window"
    );
}

#[tokio::test]
async fn refused_calls_do_not_push_back_the_time_it_reopens() {
    let (clock, b, _) = breaker();
    open_it(&b).await;
    for _ in 0..9 {
        clock.advance(Duration::from_secs(1));
        assert!(matches!(succeed(&b).await, Err(CallError::Open { .. })));
    }
    clock.advance(Duration::from_secs(1));
    assert!(
        succeed(&b).await.is_ok(),
        "ten seconds after opening, a probe goes through"
    );
    assert_eq!(b.state(), BreakerState::HalfOpen);
}

#[tokio::test]
async fn enough_good_probes_close_it_and_one_bad_probe_reopens_it() {
    let (clock, b, _) = breaker();
    open_it(&b).await;
    clock.advance(Duration::from_secs(10));
    assert!(fail(&b).await.is_err());
    assert_eq!(b.state(), BreakerState::Open, "a failed probe reopens");
    clock.advance(Duration::from_secs(10));
    assert!(succeed(&b).await.is_ok());
    assert!(succeed(&b).await.is_ok());
    assert_eq!(b.state(), BreakerState::Closed, "two good probes close it");
    assert_eq!(b.snapshot().window_calls, 0, "the old window is forgotten");
}

#[tokio::test]
async fn a_probe_whose_caller_gives_up_frees_its_slot() {
    let (clock, b, _) = breaker();
    open_it(&b).await;
    clock.advance(Duration::from_secs(10));
    for _ in 0..3 {
        // Each caller gives up mid-call (its future is dropped after a short wait).
        let hung = b.call(std::future::pending::<Result<(), &str>>, |_| true);
        assert!(
            tokio::time::timeout(Duration::from_millis(5), hung)
                .await
                .is_err()
        );
    }
    assert!(
        succeed(&b).await.is_ok(),
        "the slots came back: not stuck half-open"
    );
    assert!(succeed(&b).await.is_ok());
    assert_eq!(b.state(), BreakerState::Closed);
}

#[tokio::test]
async fn slow_calls_open_it_and_errors_that_are_not_failures_do_not() {
    let (clock, b, _) = breaker();
    for _ in 0..4 {
        let c = clock.clone();
        let _ = b
            .call(
                || async move {
                    c.advance(Duration::from_secs(3));
                    Ok::<(), &str>(())
                },
                |_| true,
            )
            .await;
    }
    assert_eq!(
        b.state(),
        BreakerState::Open,
        "all slow: the dependency is in trouble"
    );
    b.reset();
    assert_eq!(b.state(), BreakerState::Closed);
    for _ in 0..8 {
        let _ = b
            .call(|| async { Err::<(), _>("invalid card") }, |_| false)
            .await;
    }
    assert_eq!(
        b.state(),
        BreakerState::Closed,
        "a refusal of bad input is not an outage"
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_past_the_timeout_is_abandoned_and_counted() {
    let (_, b, _) = breaker();
    let out = b
        .call(std::future::pending::<Result<(), &str>>, |_| true)
        .await;
    assert!(matches!(out, Err(CallError::Timeout)));
    assert_eq!(b.snapshot().failures, 1);
}

#[tokio::test]
async fn a_slow_probe_from_an_earlier_round_counts_for_nothing_in_the_next() {
    let (clock, b, _) = breaker();
    open_it(&b).await;
    clock.advance(Duration::from_secs(10));
    // Round 1: one probe hangs (held, not dropped), the other fails and reopens the breaker.
    let (release, hold) = tokio::sync::oneshot::channel::<()>();
    let slow = b.call(
        || async move {
            let _ = hold.await;
            Ok::<(), &str>(())
        },
        |_| true,
    );
    tokio::pin!(slow);
    assert!(
        tokio::time::timeout(Duration::from_millis(5), &mut slow)
            .await
            .is_err()
    );
    assert!(fail(&b).await.is_err());
    assert_eq!(b.state(), BreakerState::Open);
    // Round 2: one good probe, then the round-1 probe finally succeeds.
    clock.advance(Duration::from_secs(10));
    assert!(succeed(&b).await.is_ok());
    let _ = release.send(());
    assert!(slow.await.is_ok());
    assert_eq!(
        b.state(),
        BreakerState::HalfOpen,
        "the late success of round 1 does not close round 2"
    );
    assert!(succeed(&b).await.is_ok());
    assert_eq!(b.state(), BreakerState::Closed);
}
