use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use nestcms_domain::identity::UserId;
use uuid::Uuid;

use super::figures::{Figure, FigureKey};
use super::{AccessCache, AccessChange};

/// A database read that counts how often it actually runs.
async fn counted(loads: &AtomicU32, user: Uuid) -> Result<Option<UserId>, Infallible> {
    loads.fetch_add(1, Ordering::SeqCst);
    Ok(Some(UserId(user)))
}

#[test]
fn payloads_name_what_changed_and_anything_else_forgets_everything() {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    assert_eq!(
        AccessChange::parse(&format!("s:{a}")),
        AccessChange::Session(a)
    );
    assert_eq!(
        AccessChange::parse(&format!("m:{a}:{b}")),
        AccessChange::Member(a, b)
    );
    assert_eq!(
        AccessChange::parse(&format!("g:{a}:{b}")),
        AccessChange::Grants(a)
    );
    assert_eq!(AccessChange::parse(&format!("o:{a}")), AccessChange::Org(a));
    for odd in [
        "",
        "s:",
        "s:nope",
        &format!("m:{a}"),
        "x:1",
        &format!("s:{a}:{b}"),
        &format!("o:{a}:{b}"),
    ] {
        assert_eq!(AccessChange::parse(odd), AccessChange::Everything, "{odd}");
    }
}

#[tokio::test]
async fn a_second_read_is_served_from_memory_until_forgotten() {
    let cache = AccessCache::new(Duration::from_secs(30), true);
    let loads = AtomicU32::new(0);
    let (session, user) = (Uuid::now_v7(), Uuid::now_v7());
    for _ in 0..3 {
        let got = cache.session(session, counted(&loads, user)).await;
        assert_eq!(got, Ok(Some(UserId(user))));
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    cache.forget(AccessChange::Session(session));
    let _ = cache.session(session, counted(&loads, user)).await;
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_closed_session_is_not_kept() {
    let cache = AccessCache::new(Duration::from_secs(30), true);
    let session = Uuid::now_v7();
    for _ in 0..2 {
        let got: Result<_, Infallible> = cache.session(session, async { Ok(None) }).await;
        assert_eq!(got, Ok(None));
    }
    let user = Uuid::now_v7();
    let got: Result<_, Infallible> = cache
        .session(session, async { Ok(Some(UserId(user))) })
        .await;
    assert_eq!(got, Ok(Some(UserId(user))), "a miss is not remembered");
}

#[tokio::test]
async fn a_read_that_raced_a_revocation_does_not_put_the_old_answer_back() {
    let cache = AccessCache::new(Duration::from_secs(30), true);
    let (session, user) = (Uuid::now_v7(), Uuid::now_v7());
    // The database said "open" just before the revocation committed and was forgotten.
    let stale = async {
        cache.forget(AccessChange::Session(session));
        Ok::<_, Infallible>(Some(UserId(user)))
    };
    assert_eq!(cache.session(session, stale).await, Ok(Some(UserId(user))));
    let fresh = cache
        .session(session, async { Ok::<_, Infallible>(None) })
        .await;
    assert_eq!(fresh, Ok(None), "the next request reads the database again");
}

#[tokio::test]
async fn while_the_channel_is_down_every_read_goes_to_the_database() {
    let cache = AccessCache::new(Duration::from_secs(30), false);
    let loads = AtomicU32::new(0);
    let (session, user) = (Uuid::now_v7(), Uuid::now_v7());
    for _ in 0..2 {
        let _ = cache.session(session, counted(&loads, user)).await;
    }
    assert_eq!(loads.load(Ordering::SeqCst), 2, "not live yet: bypassed");
    cache.set_live(true);
    for _ in 0..2 {
        let _ = cache.session(session, counted(&loads, user)).await;
    }
    assert_eq!(loads.load(Ordering::SeqCst), 3);
    cache.set_live(false);
    let _ = cache.session(session, counted(&loads, user)).await;
    assert_eq!(loads.load(Ordering::SeqCst), 4, "lost: bypassed again");
}

#[tokio::test]
async fn a_zero_ttl_turns_the_cache_off() {
    let cache = AccessCache::new(Duration::ZERO, true);
    let loads = AtomicU32::new(0);
    let (session, user) = (Uuid::now_v7(), Uuid::now_v7());
    for _ in 0..2 {
        let _ = cache.session(session, counted(&loads, user)).await;
    }
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

/// A figure read that counts how often it runs and says whether it was told to use the primary.
async fn figure(loads: &AtomicU32, n: i64, keep: bool) -> Result<Figure, Infallible> {
    assert!(keep, "a figure that is kept is read from the primary");
    loads.fetch_add(1, Ordering::SeqCst);
    Ok(Figure::Amounts(vec![(
        "SAR".parse().unwrap_or_else(|_| unreachable!()),
        n,
    )]))
}

fn amount(f: Result<Figure, Infallible>) -> i64 {
    match f {
        Ok(Figure::Amounts(a)) => a[0].1,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn figures_are_kept_per_organization_until_a_write_of_that_organization() {
    let cache = AccessCache::new(Duration::from_secs(30), true);
    let loads = AtomicU32::new(0);
    let (org, other, user) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let key = FigureKey::Payouts(user);
    for _ in 0..3 {
        let got = cache.figure(org, key, |k| figure(&loads, 1, k)).await;
        assert_eq!(amount(got), 1);
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    cache.forget(AccessChange::Org(other));
    let _ = cache.figure(org, key, |k| figure(&loads, 1, k)).await;
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "another organization's write"
    );
    cache.forget(AccessChange::Org(org));
    let got = cache.figure(org, key, |k| figure(&loads, 2, k)).await;
    assert_eq!(amount(got), 2);
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_figure_read_that_raced_a_write_is_not_kept() {
    let cache = AccessCache::new(Duration::from_secs(30), true);
    let (org, user) = (Uuid::now_v7(), Uuid::now_v7());
    let key = FigureKey::Contracts(user);
    let stale = |_keep| async {
        cache.forget(AccessChange::Org(org));
        Ok::<_, Infallible>(Figure::Counts(vec![]))
    };
    let _ = cache.figure(org, key, stale).await;
    let loads = AtomicU32::new(0);
    let _ = cache.figure(org, key, |k| figure(&loads, 3, k)).await;
    assert_eq!(loads.load(Ordering::SeqCst), 1, "read again after the race");
}

#[tokio::test]
async fn uncached_figures_may_come_from_a_replica() {
    let cache = AccessCache::new(Duration::from_secs(30), false);
    let kept = std::sync::atomic::AtomicBool::new(true);
    let key = FigureKey::Payouts(Uuid::now_v7());
    let _ = cache
        .figure(Uuid::now_v7(), key, |keep| {
            kept.store(keep, Ordering::SeqCst);
            async { Ok::<_, Infallible>(Figure::Counts(vec![])) }
        })
        .await;
    assert!(!kept.load(Ordering::SeqCst), "not kept: any pool will do");
}

#[tokio::test]
async fn writes_elsewhere_during_a_figure_read_do_not_stop_it_being_kept() {
    let cache = AccessCache::new(Duration::from_secs(30), true);
    let (org, other) = (Uuid::now_v7(), Uuid::now_v7());
    let key = FigureKey::Payouts(Uuid::now_v7());
    let busy = |_keep| async {
        cache.forget(AccessChange::Org(other));
        cache.forget(AccessChange::Session(Uuid::now_v7()));
        Ok::<_, Infallible>(Figure::Counts(vec![]))
    };
    let _ = cache.figure(org, key, busy).await;
    let loads = AtomicU32::new(0);
    let _ = cache.figure(org, key, |k| figure(&loads, 3, k)).await;
    assert_eq!(
        loads.load(Ordering::SeqCst),
        0,
        "kept despite the other writes"
    );
}

#[tokio::test]
async fn a_project_written_during_a_session_read_does_not_stop_it_being_kept() {
    let cache = AccessCache::new(Duration::from_secs(30), true);
    let loads = AtomicU32::new(0);
    let (session, user) = (Uuid::now_v7(), Uuid::now_v7());
    let busy = async {
        cache.forget(AccessChange::Org(Uuid::now_v7()));
        counted(&loads, user).await
    };
    let _ = cache.session(session, busy).await;
    let _ = cache.session(session, counted(&loads, user)).await;
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "kept despite the figures change"
    );
}
