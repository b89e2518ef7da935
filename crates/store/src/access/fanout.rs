//! Making a write that changes access wait until every other instance has applied it.
//!
//! A NOTIFY arrives a little after the commit, so without this a request sent to another
//! instance right after a logout's response could still be let in. After such a write commits,
//! the writer queues a barrier notification (`b:<token>`) behind it; PostgreSQL delivers each
//! listener its notifications in commit order, so when a listener sees the barrier it has
//! already forgotten what the write changed, and answers on `nestcms_access_ack` with
//! `<token>:<instance>`. The writer returns once every registered instance (a fresh row in
//! `access_listeners`, kept by each listener's heartbeat) has answered, or after
//! [`SETTLE_LIMIT`]: an instance that cannot answer is gone, has lost its channel (it then
//! reads from the database), or has a channel failing silently, which it stops trusting once
//! nothing, not even its own pings, has arrived for 10 s (see [`super::listen`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::listen::CHANNEL;

/// How long a writer waits for the other instances.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(1);
/// A listener's row older than this is an instance that stopped (or lost its connection).
pub const FRESH_FOR_SECS: i32 = 10;

/// Barriers this instance is waiting on, by token.
#[derive(Default)]
pub struct Fanout {
    pending: Mutex<HashMap<Uuid, mpsc::UnboundedSender<Uuid>>>,
}

impl Fanout {
    /// Hands an acknowledgement (`<token>:<instance>`) to the writer waiting on the token.
    pub fn acknowledged(&self, payload: &str) {
        let Some((token, instance)) = payload.split_once(':') else {
            return;
        };
        let (Ok(token), Ok(instance)) = (token.parse::<Uuid>(), instance.parse::<Uuid>()) else {
            return;
        };
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = pending.get(&token) {
            let _ = tx.send(instance);
        }
    }

    /// After a commit that changed sessions, memberships or grants: returns once every other
    /// listening instance has applied it (or after [`SETTLE_LIMIT`]).
    pub async fn settle(self: &Arc<Self>, pool: &PgPool, me: Uuid) {
        let token = Uuid::now_v7();
        let (tx, mut acks) = mpsc::unbounded_channel();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token, tx);
        let _forget = Forget(Arc::clone(self), token);
        let sql = "WITH barrier AS (SELECT pg_notify($1, $2)) \
                   SELECT instance FROM access_listeners, barrier \
                   WHERE heartbeat_at > now() - make_interval(secs => $3) AND instance <> $4";
        let others: Result<Vec<Uuid>, _> = sqlx::query_scalar(sql)
            .bind(CHANNEL)
            .bind(format!("b:{token}"))
            .bind(f64::from(FRESH_FOR_SECS))
            .bind(me)
            .fetch_all(pool)
            .await;
        let mut waiting: HashSet<Uuid> = match others {
            Ok(others) => others.into_iter().collect(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell the other instances about an access change; they rely on their notifications");
                return;
            }
        };
        let all = async {
            while !waiting.is_empty() {
                match acks.recv().await {
                    Some(instance) => {
                        waiting.remove(&instance);
                    }
                    None => return,
                }
            }
        };
        if tokio::time::timeout(SETTLE_LIMIT, all).await.is_err() {
            tracing::warn!(
                "an instance did not confirm an access change in time; it is down or reads from the database"
            );
        }
    }
}

/// Removes a barrier's entry when its writer stops waiting.
struct Forget(Arc<Fanout>, Uuid);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.1);
    }
}
