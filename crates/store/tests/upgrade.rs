//! Upgrading a database that already has paid payments: the receipts consumer's migration
//! marks them handled, so the first run after an upgrade sends no receipt for any of them, and
//! a payment paid afterwards still gets its own. And the notifications written before channels
//! existed survive the table's rebuild.

use std::borrow::Cow;

use chrono::Utc;
use nestcms_domain::identity::{Language, UserId};
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::{Kind, Notification};
use nestcms_store::pool::Pool;
use nestcms_store::time::Ts;
use nestcms_store::{DbSettings, Store};
use nestcms_testkit::TestDatabase;
use secrecy::SecretString;
use sqlx::migrate::Migrator;
use uuid::Uuid;

/// The migrations before `version`. sqlx's `Migrator` fields are public for its own macro;
/// building a partial one is how a test stands at an older version.
fn before(full: &Migrator, version: i64) -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            full.migrations
                .iter()
                .filter(|m| m.version < version)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    }
}

/// A user, an organization, a payment and its move to `paid`, written as version 17 had them.
/// Returns the event's id.
async fn paid_payment(pool: &Pool, n: u32) -> anyhow::Result<Uuid> {
    let (user, org, payment, event) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let now = Ts(Utc::now());
    let email = format!("old{n}@upgrade.example");
    let users = "INSERT INTO users (id, email, full_name, password_hash, password_changed_at, mfa_enabled, created_at) \
                 VALUES ($1, $2, 'Old client', 'x', $3, FALSE, $3)";
    let orgs = "INSERT INTO orgs (id, title, description, status, profit_bp, require_mfa, created_at) \
                VALUES ($1, 'Old firm', '', 'open', 0, FALSE, $2)";
    let payments = "INSERT INTO payments (id, org_id, client_id, amount_minor, currency, description, state, created_by, created_at, updated_at) \
                    VALUES ($1, $2, $3, 1000, 'SAR', 'Old survey', 'paid', $3, $4, $4)";
    let events = "INSERT INTO payment_events (id, payment_id, kind, source, detail, created_at) \
                  VALUES ($1, $2, 'state_changed', 'ipn', '{\"from\":\"pending\",\"to\":\"paid\"}', $3)";
    nestcms_store::with_pool!(pool, |p| async {
        let mut tx = p.begin().await?;
        sqlx::query(users)
            .bind(user)
            .bind(&email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(orgs)
            .bind(org)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(payments)
            .bind(payment)
            .bind(org)
            .bind(user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(events)
            .bind(event)
            .bind(payment)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }
    .await)?;
    Ok(event)
}

async fn at_version(store: &Store, version: i64) -> anyhow::Result<()> {
    let old = before(nestcms_store::migrate::migrator(store.backend()), version);
    match store.primary() {
        Pool::Sqlite(p) => old.run(p).await?,
        Pool::Postgres(p) => old.run(p).await?,
    }
    Ok(())
}

async fn connect(db: &TestDatabase) -> anyhow::Result<Store> {
    Ok(Store::connect(
        &SecretString::from(db.url().to_owned()),
        &DbSettings::default(),
        &nestcms_resilience::Registry::default(),
    )
    .await?)
}

#[tokio::test]
async fn notifications_written_before_channels_existed_survive_the_upgrade() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = connect(&db).await?;
    at_version(&store, 21).await?;
    let event = paid_payment(store.primary(), 0).await?;
    let e = store
        .paid_unhandled("receipts", nestcms_domain::events::Scan::Oldest(10))
        .await?;
    let e = e
        .iter()
        .find(|e| e.id.0 == event)
        .ok_or_else(|| anyhow::anyhow!("no event"))?;
    let user: Uuid = nestcms_store::with_pool!(store.primary(), |p| sqlx::query_scalar(
        "SELECT id FROM users WHERE email = 'old0@upgrade.example'"
    )
    .fetch_one(p)
    .await)?;
    let note = |channel: &'static str| Notification {
        id: Uuid::now_v7(),
        user: UserId(user),
        org: None,
        kind: Kind::PaymentReceipt,
        channel,
        language: Language::Ar,
        subject: "s".into(),
        body: "b".into(),
        status: "recorded",
        source_event: event,
        at: Utc::now(),
    };
    store.handled("receipts", e, &[note("log")]).await?;
    store.migrate().await?;
    let kept = store.notifications_of(UserId(user), 10).await?;
    assert_eq!(kept.len(), 1, "{kept:?}");
    // The same receipt may now go out on a second channel, once.
    store
        .handled("receipts", e, &[note("email"), note("email")])
        .await?;
    let now = store.notifications_of(UserId(user), 10).await?;
    assert_eq!(now.len(), 2, "{now:?}");
    Ok(())
}

#[tokio::test]
async fn payments_paid_before_the_upgrade_get_no_receipt_and_later_ones_do() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = connect(&db).await?;
    at_version(&store, 18).await?;
    for n in 0..3 {
        paid_payment(store.primary(), n).await?;
    }
    store.migrate().await?;
    let waiting = store
        .paid_unhandled("receipts", nestcms_domain::events::Scan::Oldest(100))
        .await?;
    assert!(waiting.is_empty(), "paid before the upgrade: {waiting:?}");
    let new = paid_payment(store.primary(), 3).await?;
    let waiting = store
        .paid_unhandled("receipts", nestcms_domain::events::Scan::Oldest(100))
        .await?;
    assert_eq!(
        waiting.iter().map(|e| e.id.0).collect::<Vec<_>>(),
        [new],
        "paid after the upgrade"
    );
    Ok(())
}
