//! The storage invariants money and schedules rest on, checked against the ports directly and
//! under concurrency, on SQLite (always) and PostgreSQL (when `NESTCMS_TEST_DATABASE_URL` is
//! set; CI runs both): refund reservations never exceed what was paid, a callback delivery is
//! claimed once, a refund lease has one holder, schedule clashes are refused, an earning is
//! distributed once, and a project's commissions stay within 100 %.

// In tests a panic with its location is the clearest failure.
#![allow(clippy::unwrap_used)]

#[path = "support/projects.rs"]
mod projects;
#[path = "support/accounts.rs"]
mod support;

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use futures::future::join_all;
use nestcms_domain::construction::ports::{EarningRepository, ScheduleRepository};
use nestcms_domain::construction::{
    COMMISSION_CAP_BP, Commission, CommissionId, Earning, EarningId, EarningKind, EarningPeriod,
    ProjectId, ProjectStatus, Schedule, ScheduleId, ScheduleKind, ScheduleStatus,
};
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::payments::ports::{PaymentRepository, Reservation};
use nestcms_domain::payments::{
    Payment, PaymentEvent, PaymentId, PaymentState, Refund, RefundId, RefundState,
};
use nestcms_domain::{Currency, Money};
use nestcms_store::Store;
use nestcms_testkit::TestDatabase;

/// A migrated store with an organization, its owner and a project.
struct World {
    store: Arc<Store>,
    org: OrgId,
    owner: UserId,
    project: ProjectId,
    _db: TestDatabase,
}

async fn world() -> anyhow::Result<World> {
    let db = TestDatabase::create().await?;
    let store = support::migrated(&db).await?;
    let owner = support::user(&store, "owner@invariants.example").await?;
    let org = support::org(&store, "Invariants", owner).await?;
    let project = projects::project(&store, org, owner, None, ProjectStatus::Planned).await?;
    Ok(World {
        store: Arc::new(store),
        org,
        owner,
        project,
        _db: db,
    })
}

/// A paid payment of 100.00 SAR.
async fn paid_payment(w: &World) -> anyhow::Result<PaymentId> {
    let now = Utc::now();
    let p = Payment {
        id: PaymentId::new(),
        org_id: w.org,
        client_id: w.owner,
        contract_id: None,
        instalment_seq: None,
        amount: Money::from_minor(10_000, Currency::Sar),
        description: "Deposit".into(),
        state: PaymentState::Created,
        tran_ref: None,
        redirect_url: None,
        page_issued_at: None,
        refunded: Money::zero(Currency::Sar),
        created_by: w.owner,
        created_at: now,
        updated_at: now,
    };
    let created = PaymentEvent::new(p.id, "created", "test", None, serde_json::json!({}));
    w.store.insert_payment(&p, &created, None).await?;
    assert!(
        w.store
            .issue_page(p.id, "TST1", "https://pay.example/1", now, &[])
            .await?
    );
    assert!(
        w.store
            .move_payment(p.id, PaymentState::Pending, PaymentState::Paid, now, &[])
            .await?
    );
    Ok(p.id)
}

fn refund_of(payment: PaymentId, minor: i64, by: UserId) -> Refund {
    Refund {
        id: RefundId::new(),
        payment_id: payment,
        amount: Money::from_minor(minor, Currency::Sar),
        reason: "Snag".into(),
        state: RefundState::Pending,
        tran_ref: None,
        created_by: by,
        created_at: Utc::now(),
        settled_at: None,
    }
}

#[tokio::test]
async fn ten_concurrent_refunds_of_30_percent_reserve_at_most_what_was_paid() -> anyhow::Result<()>
{
    let w = world().await?;
    let payment = paid_payment(&w).await?;
    let tries = (0..10).map(|_| {
        let (store, r) = (w.store.clone(), refund_of(payment, 3_000, w.owner));
        async move {
            let e = PaymentEvent::new(
                payment,
                "refund_requested",
                "test",
                None,
                serde_json::json!({}),
            );
            store.reserve_refund(&r, &e, None).await
        }
    });
    let outcomes = join_all(tries).await;
    let reserved = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Reservation::Reserved)))
        .count();
    assert_eq!(
        reserved, 3,
        "3 × 30 % fit in 100 %, a fourth does not: {outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(Reservation::Reserved | Reservation::Exceeds { .. })))
    );
    Ok(())
}

#[tokio::test]
async fn a_callback_delivery_is_claimed_once_and_a_refund_lease_has_one_holder()
-> anyhow::Result<()> {
    let w = world().await?;
    let now = Utc::now();
    let claims = join_all((0..8).map(|_| {
        let store = w.store.clone();
        async move { store.claim_ipn("TST9", "IPN.1", now).await }
    }))
    .await;
    let won = claims.iter().filter(|c| matches!(c, Ok(true))).count();
    assert_eq!(won, 1, "{claims:?}");
    assert!(
        w.store.claim_ipn("TST9", "IPN.2", now).await?,
        "another delivery is its own claim"
    );

    let payment = paid_payment(&w).await?;
    let r = refund_of(payment, 1_000, w.owner);
    let e = PaymentEvent::new(
        payment,
        "refund_requested",
        "test",
        None,
        serde_json::json!({}),
    );
    assert!(matches!(
        w.store.reserve_refund(&r, &e, None).await?,
        Reservation::Reserved
    ));
    let five_minutes_ago = now - Duration::minutes(5);
    let leases = join_all((0..8).map(|_| {
        let store = w.store.clone();
        async move { store.lease_refund(r.id, now, five_minutes_ago).await }
    }))
    .await;
    assert_eq!(
        leases.iter().filter(|l| matches!(l, Ok(true))).count(),
        1,
        "{leases:?}"
    );
    let later = now + Duration::minutes(6);
    assert!(
        w.store
            .lease_refund(r.id, later, later - Duration::minutes(5))
            .await?,
        "a lease older than its window can be taken over"
    );
    Ok(())
}

#[tokio::test]
async fn concurrent_overlapping_appointments_for_one_employee_keep_exactly_one()
-> anyhow::Result<()> {
    let w = world().await?;
    let employee = support::user(&w.store, "mason@invariants.example").await?;
    let start = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
    let items: Vec<Schedule> = (0..6)
        .map(|i| Schedule {
            id: ScheduleId::new(),
            org_id: w.org,
            kind: ScheduleKind::Appointment,
            title: format!("Visit {i}"),
            project_id: None,
            client_id: None,
            employee_id: Some(employee),
            starts_at: start + Duration::minutes(10 * i),
            ends_at: start + Duration::minutes(10 * i + 60),
            status: ScheduleStatus::Scheduled,
            created_at: Utc::now(),
        })
        .collect();
    let outcomes = join_all(items.iter().map(|s| {
        let store = w.store.clone();
        async move { store.insert_schedule_unless_clash(s).await }
    }))
    .await;
    let inserted = outcomes.iter().filter(|o| matches!(o, Ok(None))).count();
    assert_eq!(inserted, 1, "{outcomes:?}");
    // Touching ends do not clash.
    let after = Schedule {
        id: ScheduleId::new(),
        starts_at: start + Duration::minutes(200),
        ends_at: start + Duration::minutes(260),
        ..items[0].clone()
    };
    assert!(
        w.store
            .insert_schedule_unless_clash(&after)
            .await?
            .is_none()
    );
    Ok(())
}

#[tokio::test]
async fn an_earning_is_distributed_once_and_commissions_stay_within_100_percent()
-> anyhow::Result<()> {
    let w = world().await?;
    let mut employees = Vec::new();
    for i in 0..10 {
        employees.push(support::user(&w.store, &format!("e{i}@invariants.example")).await?);
    }
    let outcomes = join_all(employees.iter().map(|e| {
        let store = w.store.clone();
        let k = Commission {
            id: CommissionId::new(),
            org_id: w.org,
            project_id: w.project,
            employee_id: *e,
            rate_bp: 6_000,
            created_at: Utc::now(),
        };
        async move { store.insert_commission(&k, COMMISSION_CAP_BP).await }
    }))
    .await;
    assert_eq!(
        outcomes.iter().filter(|o| matches!(o, Ok(None))).count(),
        1,
        "one 60 % commission fits, no second: {outcomes:?}"
    );
    let total: u32 = w
        .store
        .commissions(w.project)
        .await?
        .iter()
        .map(|k| k.rate_bp)
        .sum();
    assert!(total <= COMMISSION_CAP_BP);

    let earning = Earning {
        id: EarningId::new(),
        org_id: w.org,
        project_id: Some(w.project),
        kind: EarningKind::Profit,
        period: EarningPeriod::Monthly,
        period_start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        amount: Money::from_minor(10_000, Currency::Sar),
        title: "January".into(),
        distributed_at: None,
        created_at: Utc::now(),
    };
    w.store.insert_earning(&earning).await?;
    let runs = join_all((0..5).map(|_| {
        let store = w.store.clone();
        async move { store.distribute(w.org, earning.id, &[], Utc::now()).await }
    }))
    .await;
    assert_eq!(
        runs.iter().filter(|r| matches!(r, Ok(true))).count(),
        1,
        "{runs:?}"
    );
    Ok(())
}
