//! The fault-injection suite: a bounded load runs while Redis and RabbitMQ (the test's own, on
//! spare ports) are killed and restarted and the PayTabs simulator answers nothing but 5xx for ten
//! seconds and then leaves calls hanging. It shows that breakers open within their window and close after
//! recovery, that calls are shed fast while open, that no request waits past its timeout or
//! gets a 5xx other than the documented 503, and that no payment, refund or event is lost or
//! applied twice.
//!
//! It needs PostgreSQL (`NESTCMS_TEST_DATABASE_URL`) and the Redis and RabbitMQ servers
//! installed, and takes about two minutes, so it runs in its own step of `.ci/run`
//! (`NESTCMS_TEST_FAULTS=1`); elsewhere it says it was not run.

mod ledger;
mod load;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nestcms_paytabs_sim::Faults;
use nestcms_resilience::{BreakerState, Transition};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{spawn_app_with_sim_and, start_sim};
use crate::own_services::{OwnRabbit, OwnRedis};
use crate::payments::shop;
use load::{Load, Sample};

/// The gateway timeout the instance under test is given.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(2);
/// When the simulator's burst of errors begins, since the load began.
const GATEWAY_FAULTS_AT: Duration = Duration::from_secs(36);
/// Its request deadline: no answer may take longer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(6);

fn enabled() -> bool {
    if std::env::var("NESTCMS_TEST_FAULTS").is_ok_and(|v| v == "1") {
        return true;
    }
    // Not a skip of a missing service: the suite has its own CI step, which sets the variable.
    eprintln!("not run: the fault-injection suite runs in its own step (NESTCMS_TEST_FAULTS=1)");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_outages_of_redis_rabbitmq_and_paytabs_lose_nothing() -> anyhow::Result<()> {
    if !enabled() {
        return Ok(());
    }
    anyhow::ensure!(
        std::env::var("NESTCMS_TEST_DATABASE_URL").is_ok(),
        "the fault-injection suite runs on PostgreSQL: set NESTCMS_TEST_DATABASE_URL"
    );
    let mut redis = OwnRedis::start()?;
    let mut rabbit = OwnRabbit::start().await?;
    ledger::bind_queue(&rabbit.url()).await?;
    let sim = start_sim(Faults::default()).await?;
    let (redis_url, rabbit_url) = (redis.url(), rabbit.url());
    let app = spawn_app_with_sim_and(&sim, |c| {
        c.cache.url = Some(SecretString::from(redis_url));
        c.bus.url = Some(SecretString::from(rabbit_url.clone()));
        // The suite's own broker: the ledger's queue binds the default exchange.
        c.bus.namespace = nestcms_bus::DEFAULT_NAMESPACE.to_owned();
        c.bus.queue_expiry = None;
        c.paytabs.timeout = GATEWAY_TIMEOUT;
        c.paytabs.reconcile_after = Duration::from_secs(3);
        c.paytabs.reconcile_interval = Duration::from_secs(1);
        c.server.request_timeout = REQUEST_TIMEOUT;
        c.database.max_connections = 10;
        c.server.rate_limits.enabled = true;
        for b in [
            &mut c.server.rate_limits.money,
            &mut c.server.rate_limits.api,
        ] {
            (b.per_address, b.per_user, b.per_org, b.global) = (100_000, 100_000, 100_000, 100_000);
        }
    })
    .await?;
    let seen = watch(app.breakers.subscribe());
    let s = Arc::new(shop(&app).await?);
    let article = published_article(&app, &s).await?;
    // The broker is killed only once the service has made its queues (see `until_consumed`).
    let queues: Vec<String> = nestcms_app::background::subscriptions()
        .into_iter()
        .map(|(name, _)| format!("{}.{name}", app.config.bus.namespace))
        .collect();
    rabbit.until_consumed(&queues).await?;
    let app = Arc::new(app);

    let load = Load::new();
    let mut workers = Vec::new();
    for n in 0..3 {
        workers.push(tokio::spawn(load::payer(
            load.clone(),
            app.clone(),
            s.clone(),
            n,
        )));
    }
    workers.push(tokio::spawn(load::reader(
        load.clone(),
        app.clone(),
        s.client.clone(),
        article,
    )));

    let at = |secs: u64| load.started + Duration::from_secs(secs);
    let mut faults = Vec::new();
    tokio::time::sleep_until(at(4).into()).await;
    faults.push(("redis", Instant::now(), Duration::from_secs(3)));
    redis.stop();
    tokio::time::sleep_until(at(12).into()).await;
    redis.restart()?;
    faults.push(("rabbitmq", Instant::now(), Duration::from_secs(12)));
    rabbit.stop();
    tokio::time::sleep_until(at(26).into()).await;
    rabbit.restart().await?;
    tokio::time::sleep_until((load.started + GATEWAY_FAULTS_AT).into()).await;
    faults.push(("paytabs.pages", Instant::now(), Duration::from_secs(8)));
    sim.sim.fail_for(Duration::from_secs(10));
    tokio::time::sleep_until(at(58).into()).await;
    sim.sim.hang_next(4);
    tokio::time::sleep_until(at(70).into()).await;
    load.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.await??;
    }

    let samples = load.samples();
    answers_were_documented_and_in_time(&samples);
    let seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    for (name, injected, within) in &faults {
        opened_then_closed(&seen, name, *injected, *within);
    }
    for b in app.breakers.snapshot() {
        assert_eq!(
            b.state,
            BreakerState::Closed,
            "{} still {:?} after recovery",
            b.name,
            b.state
        );
    }
    let sales = ledger::agree(&app, &s.org, &sim, Duration::from_secs(60)).await?;
    assert!(sales >= 20, "the load paid only {sales} payments");
    ledger::outbox_drained(&app, Duration::from_secs(30)).await?;
    let recorded = ledger::recorded_events(&app).await?;
    let (delivered, changes) = ledger::delivered(&rabbit.url()).await?;
    // Its own opening happened while the broker was down: kept, and published once it was back.
    for to in ["open", "closed"] {
        assert!(
            changes.contains(&("rabbitmq".to_owned(), to.to_owned())),
            "rabbitmq {to} never reached the broker: {changes:?}"
        );
    }
    let lost: Vec<_> = recorded.difference(&delivered).collect();
    assert!(
        lost.is_empty(),
        "{} of {} events never reached the broker: {lost:?}",
        lost.len(),
        recorded.len()
    );
    eprintln!(
        "fault suite: {} answers, {sales} gateway transactions, {} events relayed, breaker changes: {:?}",
        samples.len(),
        recorded.len(),
        seen.iter()
            .map(|(_, t)| format!("{} {:?}", t.breaker, t.to))
            .collect::<Vec<_>>()
    );
    Ok(())
}

async fn published_article(
    app: &crate::helpers::TestApp,
    s: &crate::payments::Shop,
) -> anyhow::Result<String> {
    let res = app
        .post(
            Some(&s.owner),
            &format!("/api/v1/orgs/{}/articles", s.org),
            &json!({ "title": "Pouring in the heat", "body": "Start before dawn.", "status": "published" }),
        )
        .await?;
    anyhow::ensure!(res.status() == 201, "article: {}", res.status());
    Ok("/api/v1/articles/pouring-in-the-heat".to_owned())
}

/// Only 2xx and the documented 503 `gateway_unavailable`; nothing past the request deadline,
/// reads never held up by a dead cache, and refusals by an open breaker answered at once.
fn answers_were_documented_and_in_time(samples: &[Sample]) {
    let odd: Vec<_> = samples
        .iter()
        .filter(|s| {
            !((200..300).contains(&s.status)
                || (s.status == 503 && s.code == "gateway_unavailable"))
        })
        .collect();
    assert!(odd.is_empty(), "undocumented answers: {odd:#?}");
    let slowest = samples.iter().map(|s| s.took).max().unwrap_or_default();
    assert!(slowest < REQUEST_TIMEOUT, "an answer took {slowest:?}");
    let slow_reads: Vec<_> = samples
        .iter()
        .filter(|s| s.what == "read" && s.took > Duration::from_millis(1500))
        .collect();
    assert!(slow_reads.is_empty(), "reads held up: {slow_reads:#?}");
    let shed: Vec<_> = samples.iter().filter(|s| s.status == 503).collect();
    // A request that began a moment before the burst may reach the gateway inside it: only
    // answers that also ended before the burst count as early.
    let early: Vec<_> = shed
        .iter()
        .filter(|s| s.at + s.took < GATEWAY_FAULTS_AT)
        .collect();
    assert!(
        early.is_empty(),
        "503s while only Redis or RabbitMQ was down: {early:#?}"
    );
    let fast = shed
        .iter()
        .filter(|s| s.took < Duration::from_millis(250))
        .count();
    assert!(
        fast >= 3,
        "an open breaker sheds calls at once; 503s: {shed:#?}"
    );
    let ok = samples.iter().filter(|s| s.status < 300).count();
    assert!(
        ok > samples.len() / 2,
        "{ok} of {} answers succeeded",
        samples.len()
    );
}

/// Every breaker change, stamped as it arrives.
fn watch(
    mut rx: tokio::sync::broadcast::Receiver<Transition>,
) -> Arc<std::sync::Mutex<Vec<(Instant, Transition)>>> {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = seen.clone();
    tokio::spawn(async move {
        while let Ok(t) = rx.recv().await {
            out.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((Instant::now(), t));
        }
    });
    seen
}

/// The breaker opened within `within` of the fault, then went half-open and closed again.
fn opened_then_closed(
    seen: &[(Instant, Transition)],
    name: &str,
    injected: Instant,
    within: Duration,
) {
    let mine: Vec<_> = seen.iter().filter(|(_, t)| t.breaker == name).collect();
    let states: Vec<BreakerState> = mine.iter().map(|(_, t)| t.to).collect();
    let Some(open) = mine
        .iter()
        .position(|(at, t)| t.to == BreakerState::Open && *at >= injected)
    else {
        panic!("{name} never opened after its fault: {states:?}");
    };
    let took = mine[open].0.duration_since(injected);
    assert!(
        took <= within,
        "{name} opened {took:?} after its fault (bound {within:?})"
    );
    assert!(
        states[open..].contains(&BreakerState::HalfOpen),
        "{name} never tried again: {states:?}"
    );
    assert_eq!(
        states.last(),
        Some(&BreakerState::Closed),
        "{name} did not close: {states:?}"
    );
}
