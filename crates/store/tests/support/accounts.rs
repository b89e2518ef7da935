//! A migrated store, accounts and audit rows for storage tests that need a
//! user to exist.

use chrono::Utc;
use nestcms_domain::identity::ports::UserRepository;
use nestcms_domain::identity::{Email, EventId, SecurityEvent, User, UserId};
use nestcms_store::{DbSettings, Store};
use nestcms_testkit::TestDatabase;
use secrecy::SecretString;

/// A store on `db` with every migration applied.
pub async fn migrated(db: &TestDatabase) -> anyhow::Result<Store> {
    let store = Store::connect(
        &SecretString::from(db.url().to_owned()),
        &DbSettings::default(),
        &nestcms_resilience::Registry::default(),
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}

/// An audit row about `user`'s own account.
pub fn audit(kind: &str, user: UserId) -> SecurityEvent {
    SecurityEvent {
        id: EventId::new(),
        org_id: None,
        actor: Some(user),
        subject: Some(user),
        session: None,
        kind: kind.into(),
        ip: None,
        detail: serde_json::json!({}),
        at: Utc::now(),
    }
}

/// Stores a user with `email` (and its registration row).
pub async fn user(store: &Store, email: &str) -> anyhow::Result<UserId> {
    let u = User {
        id: UserId::new(),
        email: Email::from_trusted(email.into()),
        full_name: email.into(),
        phone: None,
        address: None,
        password_hash: "$argon2id$placeholder".into(),
        totp_secret: None,
        mfa_enabled: false,
        language: nestcms_domain::identity::Language::En,
        created_at: Utc::now(),
    };
    store
        .insert_user(&u, &audit("user_registered", u.id))
        .await?;
    Ok(u.id)
}

/// Stores an open organization `title` owned by `owner` (and its creation row).
#[allow(dead_code)] // Not every test file that includes this module needs an organization.
pub async fn org(
    store: &Store,
    title: &str,
    owner: UserId,
) -> anyhow::Result<nestcms_domain::identity::OrgId> {
    use nestcms_domain::identity::ports::OrgRepository;
    use nestcms_domain::identity::{Membership, Org, OrgId, OrgStatus, Role};
    let now = Utc::now();
    let org = Org {
        id: OrgId::new(),
        title: title.into(),
        description: String::new(),
        status: OrgStatus::Open,
        address: None,
        profit_bp: 0,
        require_mfa: false,
        created_at: now,
    };
    let membership = Membership {
        org_id: org.id,
        user_id: owner,
        role: Role::Owner,
        employee_type: None,
        created_at: now,
    };
    store
        .insert_org(&org, &membership, &audit("org_created", owner))
        .await?;
    Ok(org.id)
}
