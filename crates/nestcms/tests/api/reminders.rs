//! Instalment reminders on a controllable clock: a reminders round is asked about any
//! calendar date, against the running app's database, while the app's own task asks about
//! today (the dates here are weeks ahead, so it has nothing to add). An instalment due in
//! three days gives one "due soon"; each overdue level fires once; paying stops them.

use chrono::{Duration, NaiveDate, Utc};
use nestcms_app::notify::Reminders;
use nestcms_domain::notify::Available;
use nestcms_domain::notify::reminders::ReminderPolicy;
use nestcms_paytabs_sim::Faults;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with_sim, start_sim};
use crate::instalments::{approved_contract_due, paid_instalment as pay};
use crate::payments::{Shop, ok, shop};

async fn reminders(app: &TestApp) -> anyhow::Result<Reminders> {
    let store = std::sync::Arc::new(
        nestcms_store::Store::connect(
            &SecretString::from(app.db.url().to_owned()),
            &nestcms_store::DbSettings::default(),
            &nestcms_resilience::Registry::default(),
        )
        .await?,
    );
    let policy = ReminderPolicy {
        due_soon_days: 3,
        overdue_days: vec![1, 7, 14],
    };
    Ok(Reminders::new(
        store.clone(),
        store,
        policy,
        Available::default(),
    ))
}

/// The client's reminders, oldest first, as `(kind, subject)`.
async fn told(app: &TestApp, s: &Shop) -> anyhow::Result<Vec<(String, String)>> {
    let list = ok(
        app.get_as(&s.client, "/api/v1/users/me/notifications")
            .await?,
        200,
    )
    .await?;
    let mut out: Vec<(String, String)> = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| {
            n["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("instalment_"))
        })
        .map(|n| {
            (
                n["kind"].as_str().unwrap_or_default().to_owned(),
                n["subject"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.reverse();
    Ok(out)
}

#[tokio::test]
async fn due_soon_once_each_overdue_level_once_and_nothing_after_paying() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    crate::notifications::speaks(&app, &s.client, "ar").await?;
    let (_, contract) = approved_contract_due(&app, &s, [30, 60, 90]).await?;
    let today = Utc::now().date_naive();
    let first: NaiveDate = today + Duration::days(30);
    let second: NaiveDate = today + Duration::days(60);
    let third: NaiveDate = today + Duration::days(90);
    let r = reminders(&app).await?;
    let on = |d: NaiveDate, n: i64| d + Duration::days(n);

    // Four days before: nothing; three days before: one "due soon", however often asked.
    assert_eq!(r.round(on(first, -4)).await?, 0);
    assert_eq!(r.round(on(first, -3)).await?, 1);
    assert_eq!(r.round(on(first, -3)).await?, 0);
    assert_eq!(r.round(on(first, -1)).await?, 0);
    let kinds = told(&app, &s).await?;
    assert_eq!(kinds.len(), 1, "{kinds:?}");
    assert_eq!(kinds[0].0, "instalment_due_soon");
    assert!(
        kinds[0].1.contains("150.000 KWD") && kinds[0].1.contains("قسط"),
        "{kinds:?}"
    );

    // Each overdue level once.
    assert_eq!(r.round(on(first, 1)).await?, 1);
    assert_eq!(r.round(on(first, 2)).await?, 0);
    assert_eq!(r.round(on(first, 7)).await?, 1);
    assert_eq!(r.round(on(first, 10)).await?, 0);
    assert_eq!(r.round(on(first, 14)).await?, 1);
    assert_eq!(r.round(on(first, 20)).await?, 0);
    let kinds: Vec<String> = told(&app, &s).await?.into_iter().map(|k| k.0).collect();
    assert_eq!(
        kinds,
        [
            "instalment_due_soon",
            "instalment_overdue",
            "instalment_overdue",
            "instalment_overdue"
        ]
    );

    // The second instalment, paid before it falls due, gets no reminder at all.
    pay(&app, &s, &contract, 2).await?;
    assert_eq!(r.round(on(second, -3)).await?, 0);
    assert_eq!(r.round(on(second, 1)).await?, 0);
    assert_eq!(r.round(on(second, 14)).await?, 0);
    // The third is told it is due, then paid: no overdue reminder follows.
    assert_eq!(r.round(on(third, -2)).await?, 1);
    pay(&app, &s, &contract, 3).await?;
    assert_eq!(r.round(on(third, 1)).await?, 0);
    assert_eq!(r.round(on(third, 7)).await?, 0);
    let all: Vec<Value> = told(&app, &s)
        .await?
        .into_iter()
        .map(|k| json!(k.0))
        .collect();
    assert_eq!(all.len(), 5, "{all:?}");
    // Each reminder and each instalment paid is also a domain event, once (webhook endpoints
    // and the broker hear of them): due soon twice, overdue three times, paid twice.
    let contract = uuid::Uuid::parse_str(&contract)?;
    let mut events: Vec<(String, Value)> = Vec::new();
    // The paid ones come from the saga starter, which may still be on the last payment.
    for _ in 0..100 {
        events = instalment_events(&app, contract).await?;
        if events
            .iter()
            .filter(|(k, _)| k == "instalment.paid")
            .count()
            >= 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
    assert_eq!(
        (
            count("instalment.due_soon"),
            count("instalment.overdue"),
            count("instalment.paid")
        ),
        (2, 3, 2),
        "{kinds:?}"
    );
    let paid: Vec<&Value> = events
        .iter()
        .filter(|(k, _)| k == "instalment.paid")
        .map(|(_, d)| &d["seq"])
        .collect();
    assert_eq!(paid, [&json!(2), &json!(3)]);
    Ok(())
}

/// The `instalment.*` domain events of a contract, oldest first, with their data.
async fn instalment_events(
    app: &TestApp,
    contract: uuid::Uuid,
) -> anyhow::Result<Vec<(String, Value)>> {
    let rows = nestcms_store::with_pool!(app.store.primary(), |p| {
        sqlx::query_as::<_, (String, sqlx::types::Json<Value>)>(
            "SELECT kind, data FROM domain_events WHERE subject_id = $1 AND kind LIKE 'instalment.%' ORDER BY created_at, id",
        )
        .bind(contract)
        .fetch_all(p)
        .await?
    });
    Ok(rows.into_iter().map(|(k, d)| (k, d.0)).collect())
}
