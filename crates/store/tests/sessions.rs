//! Refresh-token rotation under concurrency, on both backends.

use std::sync::Arc;

use chrono::{Duration, Utc};
use nestcms_domain::identity::ports::{NewSession, Rotation, SessionRepository};
use nestcms_domain::identity::{SecurityEvent, SessionId, UserId};
use nestcms_store::Store;
use nestcms_testkit::TestDatabase;

#[path = "support/accounts.rs"]
mod support;

fn on_reuse(_: SessionId, user: UserId) -> SecurityEvent {
    support::audit("refresh_token_reused", user)
}

async fn store_with_session(db: &TestDatabase) -> anyhow::Result<(Arc<Store>, SessionId)> {
    let store = support::migrated(db).await?;
    let user = support::user(&store, "race@example.com").await?;
    let session = SessionId::new();
    let now = Utc::now();
    store
        .insert_session(
            &NewSession {
                id: session,
                user,
                refresh_hash: "h0".into(),
                refresh_expires_at: now + Duration::days(1),
                ip: None,
                user_agent: None,
                at: now,
            },
            &support::audit("login_succeeded", user),
        )
        .await?;
    Ok((Arc::new(store), session))
}

#[tokio::test]
async fn two_concurrent_refreshes_with_one_token_rotate_once_and_the_loser_revokes_the_family()
-> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let (store, session) = store_with_session(&db).await?;
    let at = Utc::now();
    let expires = at + Duration::days(1);
    let a = tokio::spawn({
        let s = store.clone();
        async move { s.rotate_refresh("h0", "h1a", expires, at, &on_reuse).await }
    });
    let b = tokio::spawn({
        let s = store.clone();
        async move { s.rotate_refresh("h0", "h1b", expires, at, &on_reuse).await }
    });
    let outcomes = [a.await??, b.await??];
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Rotated { .. }))
        .count();
    let reused = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Reused { .. }))
        .count();
    assert_eq!((rotated, reused), (1, 1), "{outcomes:?}");
    assert_eq!(
        store.active_session(session).await?,
        None,
        "reuse revoked the family"
    );
    for newer in ["h1a", "h1b"] {
        assert_eq!(
            store
                .rotate_refresh(newer, "h2", expires, at, &on_reuse)
                .await?,
            Rotation::Invalid,
            "{newer}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let (store, session) = store_with_session(&db).await?;
    let later = Utc::now() + Duration::days(2);
    assert_eq!(
        store
            .rotate_refresh("h0", "h1", later + Duration::days(1), later, &on_reuse)
            .await?,
        Rotation::Invalid
    );
    assert!(
        store.active_session(session).await?.is_some(),
        "expiry is not theft"
    );
    Ok(())
}
