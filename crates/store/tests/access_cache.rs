//! The access cache at the storage adapter: what it serves from memory, and what makes it
//! forget, on both backends.

use std::time::Duration;

use chrono::Utc;
use nestcms_domain::identity::ports::{NewSession, SessionRepository};
use nestcms_domain::identity::{SessionId, UserId};
use nestcms_store::{Pool, Store};
use nestcms_testkit::TestDatabase;

#[path = "support/accounts.rs"]
mod support;

async fn open_session(store: &Store) -> anyhow::Result<(SessionId, UserId)> {
    let user = support::user(store, "cache@example.com").await?;
    let session = SessionId::new();
    let now = Utc::now();
    let new = NewSession {
        id: session,
        user,
        refresh_hash: "h0".into(),
        refresh_expires_at: now + chrono::Duration::days(1),
        ip: None,
        user_agent: None,
        at: now,
    };
    store
        .insert_session(&new, &support::audit("login_succeeded", user))
        .await?;
    Ok((session, user))
}

/// Revokes a session with plain SQL, behind the store's back (as an operator in a SQL shell).
async fn revoke_by_hand(store: &Store, session: SessionId) -> anyhow::Result<()> {
    let sql = "UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP WHERE id = $1";
    match store.primary() {
        Pool::Sqlite(p) => sqlx::query(sql)
            .bind(session.0)
            .execute(p)
            .await?
            .rows_affected(),
        Pool::Postgres(p) => sqlx::query(sql)
            .bind(session.0)
            .execute(p)
            .await?
            .rows_affected(),
    };
    Ok(())
}

/// The server processes of this database's listening connections.
async fn listener_pids(store: &Store) -> anyhow::Result<Vec<i32>> {
    let sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
               AND query LIKE 'LISTEN%' ORDER BY pid";
    match store.primary() {
        Pool::Postgres(p) => Ok(sqlx::query_scalar(sql).fetch_all(p).await?),
        Pool::Sqlite(_) => Ok(Vec::new()),
    }
}

async fn live_store(db: &TestDatabase) -> anyhow::Result<Store> {
    let store = support::migrated(db).await?;
    store.listen_for_access_changes();
    for _ in 0..100 {
        if store.access_cache_live() {
            return Ok(store);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("the access cache never went live")
}

/// SQLite: one instance owns the file, so a change behind the store's back stays unseen until
/// the store itself revokes (which is how every change is made). PostgreSQL: the triggers tell
/// the cache about any change, even one made by hand.
#[tokio::test]
async fn a_cached_session_is_forgotten_by_the_changes_each_backend_hears() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = live_store(&db).await?;
    let (session, user) = open_session(&store).await?;
    assert_eq!(store.active_session(session).await?, Some(user));
    revoke_by_hand(&store, session).await?;
    if db.is_postgres() {
        let mut seen = Some(user);
        for _ in 0..100 {
            seen = store.active_session(session).await?;
            if seen.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            seen, None,
            "the trigger's notification made the cache forget"
        );
        // Quiet for longer than an instance trusts a silent channel (10 s): the heartbeat's
        // pings keep it trusted, on the same connection.
        let listening = listener_pids(&store).await?;
        tokio::time::sleep(Duration::from_secs(14)).await;
        assert!(store.access_cache_live());
        assert_eq!(
            listener_pids(&store).await?,
            listening,
            "the pings kept the channel trusted: no reconnection"
        );
    } else {
        assert_eq!(
            store.active_session(session).await?,
            Some(user),
            "served from memory: the database was not asked"
        );
        let at = Utc::now();
        store
            .revoke_session(session, at, &support::audit("logged_out", user))
            .await?;
        assert_eq!(store.active_session(session).await?, None);
    }
    store.close().await;
    Ok(())
}
