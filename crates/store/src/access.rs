//! Who may do what, served from memory: open sessions, memberships and per-object grants;
//! and, through the same invalidation, each organization's dashboard figures ([`figures`]).
//!
//! Every authenticated request asks whether its session is open and most ask for the caller's
//! membership; both change rarely, so they are kept here (moka, bounded, with a TTL) instead of
//! costing a round trip each. Correctness comes from invalidation, not from the TTL:
//! - on this instance, each write that changes them forgets the entry when it ends, after its
//!   commit, even when the request is abandoned meanwhile ([`AccessCache::forgets`]);
//! - on other instances, PostgreSQL triggers `NOTIFY nestcms_access` in the writing transaction
//!   (delivered at commit, never for a rollback) and [`listen`] forgets what it names;
//! - a writer returns only once every other listening instance has confirmed it applied the
//!   change, or after 1 s ([`fanout`]), so the next request anywhere sees it;
//! - while that channel is down (or not yet up, or silent for 10 s although pinged) the cache
//!   is bypassed, and after it reconnects it starts empty, because notifications sent
//!   meanwhile are lost. The TTL bounds what a silently failing connection could hide.
//!
//! A read that raced a write must not put the old value back after the write forgot it: every
//! access invalidation bumps an epoch, and a value read from the database is kept only if no
//! invalidation happened while it was being read (figures use their organization's entry
//! instead, see [`figures`]).

pub mod fanout;
pub mod figures;
pub mod listen;

use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use nestcms_domain::identity::{Grant, Membership, UserId};
use uuid::Uuid;

/// Gauge: 1 while this instance hears other instances' invalidations (or needs none).
pub const CHANNEL_UP: &str = "nestcms_access_cache_channel_up";
/// Counter: lookups by `kind` (session, membership, grants, figures) and `result` (hit, miss,
/// bypass).
pub const LOOKUPS: &str = "nestcms_access_cache_lookups_total";

/// What changed, as named by a write or by another instance's notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessChange {
    /// One session was revoked or deleted.
    Session(Uuid),
    /// Some sessions of this user were revoked.
    SessionsOf(Uuid),
    /// A membership (org, user) was added, changed or removed.
    Member(Uuid, Uuid),
    /// Grants in this organization changed.
    Grants(Uuid),
    /// Projects, contracts or payouts of this organization changed: its figures.
    Org(Uuid),
    /// Unknown: forget everything.
    Everything,
}

impl AccessChange {
    /// Parses a notification payload (`s:<session>`, `m:<org>:<user>`, `g:<org>:<user>`,
    /// `o:<org>`); an unreadable one means [`AccessChange::Everything`].
    pub fn parse(payload: &str) -> Self {
        let mut parts = payload.split(':');
        let tag = parts.next();
        let ids: Vec<Option<Uuid>> = parts.map(|p| p.parse().ok()).collect();
        match (tag, ids.as_slice()) {
            (Some("s"), [Some(s)]) => Self::Session(*s),
            (Some("m"), [Some(o), Some(u)]) => Self::Member(*o, *u),
            (Some("g"), [Some(o), Some(_)]) => Self::Grants(*o),
            (Some("o"), [Some(o)]) => Self::Org(*o),
            _ => Self::Everything,
        }
    }
}

type GrantKey = (Uuid, Uuid, &'static str, Uuid);

/// The caches and the state that says whether they may be trusted.
pub struct AccessCache {
    sessions: Cache<Uuid, Option<UserId>>,
    members: Cache<(Uuid, Uuid), Option<Membership>>,
    grants: Cache<GrantKey, Vec<Grant>>,
    figures: Cache<Uuid, figures::OrgFigures>,
    epoch: AtomicU64,
    /// False while cross-instance invalidations may be missed.
    live: AtomicBool,
    enabled: bool,
}

impl AccessCache {
    /// A cache whose entries live at most `ttl` (zero disables it). `live` says whether it may
    /// serve before [`listen`] has connected: true where no other instance can write (SQLite).
    pub fn new(ttl: Duration, live: bool) -> Self {
        fn build<K, V>(ttl: Duration) -> Cache<K, V>
        where
            K: Hash + Eq + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build()
        }
        metrics::gauge!(CHANNEL_UP).set(f64::from(u8::from(live)));
        Self {
            sessions: build(ttl),
            members: build(ttl),
            grants: build(ttl),
            figures: build(ttl),
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(live),
            enabled: !ttl.is_zero(),
        }
    }

    /// The open session's user.
    pub(crate) async fn session<E, F>(&self, id: Uuid, load: F) -> Result<Option<UserId>, E>
    where
        F: Future<Output = Result<Option<UserId>, E>>,
    {
        self.through(&self.sessions, "session", id, load, Option::is_some)
            .await
    }

    /// A membership.
    pub(crate) async fn member<E, F>(
        &self,
        org: Uuid,
        user: Uuid,
        load: F,
    ) -> Result<Option<Membership>, E>
    where
        F: Future<Output = Result<Option<Membership>, E>>,
    {
        self.through(
            &self.members,
            "membership",
            (org, user),
            load,
            Option::is_some,
        )
        .await
    }

    /// Grants in force for a user on one object.
    pub(crate) async fn grants<E, F>(&self, key: GrantKey, load: F) -> Result<Vec<Grant>, E>
    where
        F: Future<Output = Result<Vec<Grant>, E>>,
    {
        self.through(&self.grants, "grants", key, load, |_| true)
            .await
    }

    /// Serves `key` from `cache`, or loads it and keeps it when `keep` says so and nothing
    /// was invalidated meanwhile.
    async fn through<K, V, E, F>(
        &self,
        cache: &Cache<K, V>,
        kind: &'static str,
        key: K,
        load: F,
        keep: impl Fn(&V) -> bool,
    ) -> Result<V, E>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
        F: Future<Output = Result<V, E>>,
    {
        if !self.usable() {
            metrics::counter!(LOOKUPS, "kind" => kind, "result" => "bypass").increment(1);
            return load.await;
        }
        if let Some(v) = cache.get(&key) {
            metrics::counter!(LOOKUPS, "kind" => kind, "result" => "hit").increment(1);
            return Ok(v);
        }
        metrics::counter!(LOOKUPS, "kind" => kind, "result" => "miss").increment(1);
        let epoch = self.epoch.load(Ordering::SeqCst);
        let value = load.await?;
        if keep(&value) && self.usable() && self.epoch.load(Ordering::SeqCst) == epoch {
            cache.insert(key.clone(), value.clone());
            // A forget may have run between the check and the insert, finding nothing to
            // remove: then this entry goes too. (A forget that runs after this load sees the
            // entry and removes it itself.)
            if self.epoch.load(Ordering::SeqCst) != epoch {
                cache.invalidate(&key);
            }
        }
        Ok(value)
    }

    /// Whether other instances' invalidations are being heard.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    fn usable(&self) -> bool {
        self.enabled && self.is_live()
    }

    /// Forgets what `change` names when the returned guard is dropped: at the end of the write
    /// that makes the change, including a write abandoned (a request deadline, a client gone)
    /// after its commit was sent.
    pub(crate) fn forgets(&self, change: AccessChange) -> Forgets<'_> {
        Forgets(self, change)
    }

    /// Forgets what `change` names, before anything else can read it again.
    pub fn forget(&self, change: AccessChange) {
        // Figures have their own generation (their organization's entry, see `figures`): a
        // project written must not stop session and membership reads from being kept.
        if !matches!(change, AccessChange::Org(_)) {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        match change {
            AccessChange::Session(id) => self.sessions.invalidate(&id),
            // Rare (a password change): dropping every session entry is simpler than an index.
            AccessChange::SessionsOf(_) => self.sessions.invalidate_all(),
            AccessChange::Member(org, user) => self.members.invalidate(&(org, user)),
            // Rare too; grants are keyed by object, not by organization.
            AccessChange::Grants(_) => self.grants.invalidate_all(),
            AccessChange::Org(org) => self.figures.invalidate(&org),
            AccessChange::Everything => {
                self.sessions.invalidate_all();
                self.members.invalidate_all();
                self.grants.invalidate_all();
                self.figures.invalidate_all();
            }
        }
    }

    /// Marks the invalidation channel up (after emptying the cache: whatever was sent while
    /// it was down is lost) or down (the cache is bypassed until it is up again).
    pub fn set_live(&self, live: bool) {
        if live {
            self.forget(AccessChange::Everything);
        }
        self.live.store(live, Ordering::SeqCst);
        if !live {
            self.forget(AccessChange::Everything);
        }
        metrics::gauge!(CHANNEL_UP).set(f64::from(u8::from(live)));
    }
}

/// See [`AccessCache::forgets`].
pub(crate) struct Forgets<'a>(&'a AccessCache, AccessChange);

impl Drop for Forgets<'_> {
    fn drop(&mut self) {
        self.0.forget(self.1);
    }
}

#[cfg(test)]
mod tests;
