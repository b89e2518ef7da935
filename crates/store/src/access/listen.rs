//! Hearing other instances' writes: `LISTEN nestcms_access` on PostgreSQL.
//!
//! The triggers of migration 0015 send one notification per changed session, membership or
//! grant row; this task applies them to the [`AccessCache`] and confirms writers' barriers
//! (see [`super::fanout`]). When the connection is lost the cache is bypassed, and when it is
//! back the cache starts empty (what was sent meanwhile is lost). A heartbeat keeps this
//! instance's row in `access_listeners` while it hears.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use uuid::Uuid;

use super::fanout::{FRESH_FOR_SECS, Fanout};
use super::{AccessCache, AccessChange};

/// The channel the triggers and the writers' barriers notify.
pub const CHANNEL: &str = "nestcms_access";
/// The channel listeners confirm barriers on.
pub const ACK_CHANNEL: &str = "nestcms_access_ack";
/// How often a listening instance refreshes its row.
const HEARTBEAT: Duration = Duration::from_secs(3);

/// What the listening task needs.
pub struct Hearing {
    /// The primary.
    pub pool: PgPool,
    /// The cache to invalidate.
    pub cache: Arc<AccessCache>,
    /// Writers waiting for confirmations.
    pub fanout: Arc<Fanout>,
    /// This instance.
    pub instance: Uuid,
}

/// Runs until aborted: listens, applies, confirms, and keeps the heartbeat.
pub async fn listen(h: Hearing) {
    tokio::select! {
        () = hear(&h) => {}
        () = heartbeat(&h) => {}
    }
}

async fn hear(h: &Hearing) {
    let mut pause = Duration::from_millis(100);
    loop {
        match subscribe(h).await {
            Ok(mut listener) => {
                h.cache.set_live(true);
                tracing::info!(channel = CHANNEL, "hearing other instances' access changes");
                pause = Duration::from_millis(100);
                if let Err(e) = apply(h, &mut listener).await {
                    tracing::warn!(channel = CHANNEL, error = %e, "access change channel lost; reading from the database");
                }
                h.cache.set_live(false);
            }
            Err(e) => {
                h.cache.set_live(false);
                tracing::warn!(channel = CHANNEL, error = %e, "cannot listen for access changes; reading from the database");
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// Listens on both channels and registers this instance (only then may the cache serve:
/// writers wait for registered instances).
async fn subscribe(h: &Hearing) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(&h.pool).await?;
    listener.listen_all([CHANNEL, ACK_CHANNEL]).await?;
    register(h).await?;
    Ok(listener)
}

async fn apply(h: &Hearing, listener: &mut PgListener) -> Result<(), sqlx::Error> {
    loop {
        let Some(n) = listener.try_recv().await? else {
            // Reconnected already (eager reconnect): anything sent in between is lost.
            tracing::warn!(
                channel = CHANNEL,
                "access change channel reconnected; cache emptied"
            );
            h.cache.set_live(false);
            register(h).await?;
            h.cache.set_live(true);
            continue;
        };
        if n.channel() == ACK_CHANNEL {
            h.fanout.acknowledged(n.payload());
        } else if let Some(token) = n.payload().strip_prefix("b:") {
            // Everything committed before the barrier has been applied above.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(ACK_CHANNEL)
                .bind(format!("{token}:{}", h.instance))
                .execute(&mut *listener)
                .await?;
        } else {
            h.cache.forget(AccessChange::parse(n.payload()));
        }
    }
}

async fn register(h: &Hearing) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO access_listeners (instance, heartbeat_at) VALUES ($1, now()) \
         ON CONFLICT (instance) DO UPDATE SET heartbeat_at = now()",
    )
    .bind(h.instance)
    .execute(&h.pool)
    .await
    .map(|_| ())
}

/// Refreshes this instance's row while it hears, and clears rows of long-gone instances.
async fn heartbeat(h: &Hearing) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        if !h.cache.is_live() {
            continue;
        }
        if let Err(e) = register(h).await {
            tracing::warn!(error = %e, "access listener heartbeat failed");
        }
        let gone =
            "DELETE FROM access_listeners WHERE heartbeat_at < now() - make_interval(secs => $1)";
        let _ = sqlx::query(gone)
            .bind(f64::from(FRESH_FOR_SECS * 60))
            .execute(&h.pool)
            .await;
    }
}

/// Removes this instance's row (at shutdown), so writers stop waiting for it at once.
pub async fn unregister(pool: &PgPool, instance: Uuid) {
    let _ = sqlx::query("DELETE FROM access_listeners WHERE instance = $1")
        .bind(instance)
        .execute(pool)
        .await;
}
