//! Hearing other instances' writes: `LISTEN nestcms_access` on PostgreSQL.
//!
//! The triggers of migrations 0015 and 0016 send one notification per changed session,
//! membership or grant row, and per organization whose dashboard figures changed; this task applies them to the [`AccessCache`] and confirms writers' barriers
//! (see [`super::fanout`]). When the connection is lost, or delivers nothing for
//! [`DEAF_AFTER`] although a heartbeat pings it every few seconds, the cache is bypassed; when
//! a new connection listens the cache starts empty (what was sent meanwhile is lost). The
//! heartbeat also keeps this instance's row in `access_listeners` while it hears.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::Notify;
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

/// How long the channel may stay silent (every heartbeat pings it) before this instance stops
/// trusting it: a half-open connection, or a pooler on which LISTEN does nothing.
const DEAF_AFTER: Duration = Duration::from_secs(10);

/// When the listening connection last delivered anything, and the alarm when that is too old.
struct Pulse {
    start: Instant,
    heard_ms: AtomicU64,
    deaf: Notify,
}

impl Pulse {
    fn heard(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.heard_ms.store(ms, Ordering::SeqCst);
    }

    fn silent_for(&self) -> Duration {
        let now = self.start.elapsed();
        now.saturating_sub(Duration::from_millis(self.heard_ms.load(Ordering::SeqCst)))
    }
}

/// Runs until aborted: listens, applies, confirms, and keeps the heartbeat.
pub async fn listen(h: Hearing) {
    let pulse = Pulse {
        start: Instant::now(),
        heard_ms: AtomicU64::new(0),
        deaf: Notify::new(),
    };
    tokio::select! {
        () = hear(&h, &pulse) => {}
        () = heartbeat(&h, &pulse) => {}
    }
}

async fn hear(h: &Hearing, pulse: &Pulse) {
    let mut pause = Duration::from_millis(100);
    loop {
        let connected = Instant::now();
        match subscribe(h).await {
            Ok(mut listener) => {
                pulse.heard();
                h.cache.set_live(true);
                tracing::info!(channel = CHANNEL, "hearing other instances' access changes");
                let why = tokio::select! {
                    lost = apply(h, pulse, &mut listener) => match lost {
                        Ok(()) => "the connection was lost".to_owned(),
                        Err(e) => e.to_string(),
                    },
                    () = pulse.deaf.notified() => {
                        "nothing arrived on it, not even this instance's own pings".to_owned()
                    }
                };
                // Notifications may have been missed from here on: read from the database
                // until a new connection listens (the cache then starts empty).
                h.cache.set_live(false);
                tracing::warn!(channel = CHANNEL, reason = %why, "access change channel lost; reading from the database");
                if connected.elapsed() > Duration::from_secs(30) {
                    pause = Duration::from_millis(100);
                }
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
/// writers wait for registered instances). A lost connection is not re-established behind
/// our back: [`hear`] starts over with a new one.
async fn subscribe(h: &Hearing) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(&h.pool).await?;
    listener.eager_reconnect(false);
    listener.listen_all([CHANNEL, ACK_CHANNEL]).await?;
    register(h).await?;
    Ok(listener)
}

/// Applies what arrives until the connection is lost (`Ok`) or fails (`Err`).
async fn apply(h: &Hearing, pulse: &Pulse, listener: &mut PgListener) -> Result<(), sqlx::Error> {
    while let Some(n) = listener.try_recv().await? {
        pulse.heard();
        let payload = n.payload();
        if n.channel() == ACK_CHANNEL {
            h.fanout.acknowledged(payload);
        } else if payload.starts_with("p:") {
            // A heartbeat's ping: proof that the channel delivers.
        } else if let Some(token) = payload.strip_prefix("b:") {
            // Everything committed before the barrier has been applied above.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(ACK_CHANNEL)
                .bind(format!("{token}:{}", h.instance))
                .execute(&mut *listener)
                .await?;
        } else {
            h.cache.forget(AccessChange::parse(payload));
        }
    }
    Ok(())
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

/// While the channel is trusted: refreshes this instance's row, pings the channel (through
/// the pool, so the ping travels like any other notification), raises the alarm when nothing
/// has arrived for [`DEAF_AFTER`], and clears rows of long-gone instances.
async fn heartbeat(h: &Hearing, pulse: &Pulse) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        if !h.cache.is_live() {
            continue;
        }
        if pulse.silent_for() > DEAF_AFTER {
            pulse.deaf.notify_one();
            continue;
        }
        if let Err(e) = register(h).await {
            tracing::warn!(error = %e, "access listener heartbeat failed");
        }
        let _ = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("p:{}", h.instance))
            .execute(&h.pool)
            .await;
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
