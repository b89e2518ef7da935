//! Queued e-mail is claimed one instance at a time: a claimed message is invisible until its
//! lease ends, a claim that lost its lease can no longer settle it, and the current one can.

use chrono::{Duration, Utc};
use nestcms_domain::identity::Language;
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::{Channel, Kind, Notification};
use nestcms_domain::payments::{PaymentEvent, PaymentId};
use nestcms_testkit::TestDatabase;
use uuid::Uuid;

#[path = "support/accounts.rs"]
mod support;

#[tokio::test]
async fn a_claim_that_lost_its_lease_cannot_settle_the_message() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = support::migrated(&db).await?;
    let user = support::user(&store, "payer@claims.example").await?;
    let event = PaymentEvent::new(
        PaymentId(Uuid::now_v7()),
        "state_changed",
        "ipn",
        None,
        serde_json::json!({}),
    );
    let now = Utc::now();
    let mail = Notification {
        id: Uuid::now_v7(),
        user,
        org: None,
        kind: Kind::PaymentReceipt,
        channel: "email",
        language: Language::En,
        subject: "Payment received".into(),
        body: "Thank you.".into(),
        status: "queued",
        source_event: event.id.0,
        at: now,
    };
    store
        .handled("test", &event, std::slice::from_ref(&mail))
        .await?;

    let lease = Duration::seconds(60);
    let first = store
        .claim_due(Channel::Email, now, now + lease, 10)
        .await?;
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].0.id, first[0].1), (mail.id, 1));
    assert_eq!(first[0].0.to, "payer@claims.example");
    assert!(
        store
            .claim_due(Channel::Email, now, now + lease, 10)
            .await?
            .is_empty(),
        "claimed: invisible"
    );

    // The first sender stalls past its lease; another takes the message over.
    let later = now + Duration::seconds(61);
    let second = store
        .claim_due(Channel::Email, later, later + lease, 10)
        .await?;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].1, 2);
    store.not_sent(mail.id, 1, None, "late failure").await?;
    store.sent(mail.id, 1, later).await?;
    let status = |list: Vec<Notification>| list.first().map(|n| n.status);
    assert_eq!(
        status(store.notifications_of(user, 10).await?),
        Some("queued"),
        "the stale claim changed nothing"
    );
    store.sent(mail.id, 2, later).await?;
    assert_eq!(
        status(store.notifications_of(user, 10).await?),
        Some("sent")
    );
    let much_later = later + Duration::hours(1);
    assert!(
        store
            .claim_due(Channel::Email, much_later, much_later + lease, 10)
            .await?
            .is_empty(),
        "sent: never again"
    );
    Ok(())
}
