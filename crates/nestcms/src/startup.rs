//! Building the running service from a configuration: storage, state, router, listener.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use nestcms_app::background::{Stop, Supervisor, TaskHealth};
use nestcms_app::identity::auth::{Auth, AuthConfig};
use nestcms_app::payments::Payments;
use nestcms_auth::jwt::Signer;
use nestcms_auth::password::Hasher;
use nestcms_domain::payments::ports::EventOutbox;
use nestcms_domain::webhooks::ports::WebhookTransport;
use nestcms_http::{App, AppState, Application};
use nestcms_store::{Store, redact_url};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::notifications::Couriers;
use crate::secrets::{self, Secrets};
use nestcms_app::notify::LinkMaker;
use nestcms_auth::paylink::PayLinks;

/// A service ready to run: bound listener plus the resources to release afterwards.
pub struct Service {
    /// The bound HTTP server.
    pub app: Application,
    /// The storage adapter (closed after the server stops).
    pub store: Arc<Store>,
    /// Resolved secrets, for the features that sign things.
    pub secrets: Secrets,
    /// Payments, for the reconciler.
    pub payments: Payments,
    /// Health of the background work, shared with readiness.
    pub tasks: Arc<TaskHealth>,
    /// The circuit breakers.
    pub breakers: Arc<nestcms_resilience::Registry>,
    /// The e-mail and SMS couriers that are configured.
    pub couriers: Couriers,
    /// How webhooks are sent.
    pub hooks: Arc<dyn WebhookTransport>,
    /// Makes the payment links clients receive.
    pub links: LinkMaker,
}

/// Where background work reaches people and systems.
struct Outlets {
    couriers: Couriers,
    hooks: Arc<dyn WebhookTransport>,
    links: LinkMaker,
}

/// The primary database URL: the configured one, or the SQLite file in the data directory.
pub fn database_url(config: &Config) -> SecretString {
    match &config.database.url {
        Some(url) => url.clone(),
        None => SecretString::from(format!(
            "sqlite://{}",
            config.data_dir.join("nestcms.db").display()
        )),
    }
}

/// Creates the data directory and connects to the primary database.
/// Connects to the database of `config`; its replicas' breakers join `breakers`.
pub async fn connect_store(
    config: &Config,
    breakers: &nestcms_resilience::Registry,
) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("data_dir: cannot create {}", config.data_dir.display()))?;
    let url = database_url(config);
    let store = Store::connect(&url, &config.database, breakers)
        .await
        .with_context(|| format!("database {}", redact_url(url.expose_secret())))?;
    tracing::info!(db.backend = store.backend().name(), db.url = %redact_url(url.expose_secret()), "database connected");
    Ok(store)
}

/// Connects, migrates (unless disabled), and binds the listener.
pub async fn build(config: &Config) -> anyhow::Result<Service> {
    let secrets = secrets::resolve(config)?;
    // A mail configuration it cannot use stops the start before anything listens.
    let couriers = Couriers::from_config(config)?;
    let hooks = crate::webhooks::transport(&config.webhooks)?;
    let breakers = Arc::new(nestcms_resilience::Registry::default());
    let store = Arc::new(connect_store(config, &breakers).await?);
    if config.database.auto_migrate {
        store.migrate().await.context("applying migrations")?;
    }
    store.listen_for_access_changes();
    let parallelism = match config.auth.hash_parallelism {
        0 => Hasher::default_parallelism(),
        n => n,
    };
    let hasher = Hasher::new(parallelism).context("preparing the password hasher")?;
    let signer = Signer::new(&secrets.jwt, config.auth.access_token_ttl);
    let auth_config = AuthConfig {
        access_ttl: config.auth.access_token_ttl,
        refresh_ttl: config.auth.refresh_token_ttl,
        registrations_per_hour: config.auth.registrations_per_hour,
    };
    let identity: nestcms_app::Store = store.clone();
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("server.listen: cannot listen on {}", config.server.listen))?;
    let public_base_url = match &config.paytabs.public_base_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let (gateway, simulator, gateway_origin) = crate::gateway::build(config, &public_base_url)?;
    let pay_links = PayLinks::new(&secrets.jwt).context("payment links")?;
    let links = crate::notifications::link_maker(pay_links.clone(), &public_base_url);
    let payments = Payments::new(
        store.clone(),
        guard(gateway, &breakers, config.paytabs.timeout),
    );
    let cache: Arc<dyn nestcms_domain::ports::Cache> = match &config.cache.url {
        Some(url) => Arc::new(
            nestcms_cache::RedisCache::new(
                url,
                &config.cache.prefix,
                breakers.breaker("redis", nestcms_cache::redis_breaker_config()),
            )
            .context("cache.url")?,
        ),
        None => Arc::new(nestcms_cache::MemoryCache::new(10_000)),
    };
    let tasks = Arc::new(TaskHealth::default());
    let callbacks =
        nestcms_http::perimeter::CallbackPerimeter::new(&config.paytabs.callback_allow_cidrs)
            .map_err(|e| anyhow::anyhow!("paytabs.callback_allow_cidrs: {e}"))?;
    let limiter: Arc<dyn nestcms_domain::limits::RateLimiter> = match &config.cache.url {
        Some(url) => Arc::new(
            nestcms_cache::limits::RedisLimiter::new(
                url,
                &config.cache.prefix,
                breakers.breaker("redis", nestcms_cache::redis_breaker_config()),
            )
            .context("cache.url")?,
        ),
        None => Arc::new(nestcms_cache::limits::MemoryLimiter::default()),
    };
    let state = AppState(Arc::new(App {
        limiter,
        callbacks,
        outbox: store.clone(),
        bus_configured: config.bus.url.is_some(),
        cache_backend: if config.cache.url.is_some() {
            "redis"
        } else {
            "memory"
        },
        cache_stats: nestcms_http::cached::CacheStats::default(),
        started: std::time::Instant::now(),
        database: breakers.breaker(
            "database",
            nestcms_http::dbgate::breaker_config(config.server.request_timeout),
        ),
        breakers: breakers.clone(),
        tasks: tasks.clone(),
        notifications: store.clone(),
        sagas: store.clone(),
        webhooks: nestcms_app::webhooks::Webhooks::new(
            identity.clone(),
            store.clone(),
            hooks.clone(),
        ),
        invoices: nestcms_app::invoices::Invoicing::new(
            identity.clone(),
            store.clone(),
            store.clone(),
            Arc::new(nestcms_pdf::Typst),
        ),
        system: store.clone(),
        http: config.server.clone(),
        backend: store.backend().name(),
        auth: Auth::new(identity.clone(), hasher, signer, auth_config),
        identity,
        construction: store.clone(),
        articles: store.clone(),
        files: Arc::new(nestcms_store::files::LocalFiles::new(
            config.data_dir.join("uploads"),
        )),
        payments: payments.clone(),
        idempotency: store.clone(),
        // The web app's own result page unless the operator points elsewhere.
        payment_result_url: Some(
            config
                .paytabs
                .result_page_url
                .clone()
                .unwrap_or_else(|| "/app/paid".to_owned()),
        ),
        pay_links,
        gateway_origin,
        metrics: crate::metrics::endpoint(config.metrics.token.as_ref()),
        cache,
    }));
    let mut router = nestcms_http::router(state, nestcms_web::routes());
    if let Some(sim) = simulator {
        router = router.nest_service(crate::gateway::SIM_PREFIX, crate::gateway::sim_router(sim));
    }
    let mut limits = nestcms_http::ConnectionLimits::from(&config.server);
    limits.max_connections = crate::fds::fit_connection_cap(limits.max_connections);
    let app = Application::from_listener(listener, router).with_limits(limits);
    Ok(Service {
        app,
        store,
        secrets,
        links,
        payments,
        tasks,
        breakers,
        couriers,
        hooks,
    })
}

/// Runs a built service until `shutdown`, then stops the background work, drains and closes
/// the pools.
pub async fn run(
    service: Service,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = service.app.local_addr()?;
    tracing::info!(listen = %addr, "serving on http://{addr}");
    let background = if config.background.in_serve {
        let outlets = Outlets {
            couriers: service.couriers,
            hooks: service.hooks,
            links: service.links,
        };
        spawn_background(
            &service.payments,
            &service.store,
            config,
            service.tasks,
            &service.breakers,
            outlets,
        )
    } else {
        tracing::info!("background work left to `nestcms worker` (background.in_serve = false)");
        Supervisor::new(service.tasks)
    };
    service
        .app
        .run_until_stopped(shutdown, config.server.shutdown_grace)
        .await?;
    background.shutdown(config.server.shutdown_grace).await;
    service.store.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// `nestcms worker`: the background work of `serve` without the HTTP server (the reconciler,
/// the receipts consumer, and the broker relay when `bus.url` is set), until `shutdown`.
pub async fn worker(
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.paytabs.server_key.is_some(),
        "worker: paytabs.server_key is required (the built-in PayTabs simulator lives inside `serve`)"
    );
    let breakers = Arc::new(nestcms_resilience::Registry::default());
    let store = Arc::new(connect_store(config, &breakers).await?);
    if config.database.auto_migrate {
        store.migrate().await.context("applying migrations")?;
    }
    let public_base_url = match &config.paytabs.public_base_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", config.server.listen),
    };
    let (gateway, _, _) = crate::gateway::build(config, &public_base_url)?;
    // The payment links this worker sends are checked by `serve`: both sign with the same
    // secret.
    let secrets = secrets::resolve(config)?;
    let pay_links = PayLinks::new(&secrets.jwt).context("payment links")?;
    let links = crate::notifications::link_maker(pay_links, &public_base_url);
    let payments = Payments::new(
        store.clone(),
        guard(gateway, &breakers, config.paytabs.timeout),
    );
    tracing::info!("worker running");
    let couriers = Couriers::from_config(config)?;
    let hooks = crate::webhooks::transport(&config.webhooks)?;
    let outlets = Outlets {
        couriers,
        hooks,
        links,
    };
    let background = spawn_background(
        &payments,
        &store,
        config,
        Arc::default(),
        &breakers,
        outlets,
    );
    shutdown.await;
    background.shutdown(config.server.shutdown_grace).await;
    store.close().await;
    tracing::info!("worker stopped cleanly");
    Ok(())
}

/// The reconciler, the receipts consumer, the e-mail and SMS senders when configured, the
/// webhook fan-out and sender, and the broker relay when `bus.url` is set, each under supervision.
fn spawn_background(
    payments: &Payments,
    store: &Arc<Store>,
    config: &Config,
    health: Arc<TaskHealth>,
    breakers: &Arc<nestcms_resilience::Registry>,
    outlets: Outlets,
) -> Supervisor {
    let mut supervisor = Supervisor::new(health);
    let (p, s) = (payments.clone(), store.clone());
    let settings = config.paytabs.clone();
    supervisor.spawn("reconciler", move |stop| {
        Box::pin(reconcile_loop(p.clone(), s.clone(), settings.clone(), stop))
    });
    crate::notifications::spawn(
        &mut supervisor,
        store,
        payments,
        (outlets.couriers, outlets.links),
        config,
    );
    let feed = crate::consumers::Feed::from(&config.bus);
    crate::webhooks::spawn(
        &mut supervisor,
        store,
        payments,
        outlets.hooks,
        &config.webhooks,
        &feed,
    );
    if let Some(url) = config.bus.url.clone() {
        tracing::info!("relaying events to the message broker");
        let topology = Arc::new(crate::consumers::topology(&config.bus));
        let (p, outbox) = (payments.clone(), store.clone() as Arc<dyn EventOutbox>);
        let breaker = breakers.breaker("rabbitmq", nestcms_bus::breaker_config());
        let registry = Arc::clone(breakers);
        // Subscribed now, not when the task first runs, so no change made meanwhile is missed;
        // a restarted relay subscribes afresh.
        let first = std::sync::Mutex::new(Some(breakers.subscribe()));
        supervisor.spawn("relay", move |stop| {
            let report = stop.reporter();
            let relay = nestcms_bus::relay(
                url.clone(),
                Arc::clone(&topology),
                outbox.clone(),
                breaker.clone(),
                p.subscribe(),
                first
                    .lock()
                    .ok()
                    .and_then(|mut f| f.take())
                    .unwrap_or_else(|| registry.subscribe()),
                stop.stopped(),
                report,
            );
            Box::pin(async move {
                relay.await;
                Ok(())
            })
        });
    }
    supervisor
}

/// Settles payments whose callback never came, every `paytabs.reconcile_interval`, until
/// shutdown. A step that fails is logged and reported (`Stop::failed`), and the round goes on
/// with the next step: one payment the gateway cannot explain must not stop refunds settling.
async fn reconcile_loop(
    payments: Payments,
    store: Arc<Store>,
    p: crate::config::PaytabsSettings,
    stop: Stop,
) -> Result<(), String> {
    // The configured ranges (30 days at most) always fit chrono's durations.
    let after = chrono::Duration::from_std(p.reconcile_after).map_err(|e| e.to_string())?;
    let ttl = chrono::Duration::from_std(p.page_ttl).map_err(|e| e.to_string())?;
    let mut tick = tokio::time::interval(p.reconcile_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.clone().stopped() => return Ok(()),
            _ = tick.tick() => {}
        }
        let mut failures = Vec::new();
        match payments.reconcile(after, ttl).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(payments.settled = n, "reconciler settled {n} payments"),
            Err(e) => failures.push(format!("reconciliation failed: {e}")),
        }
        match payments.reconcile_refunds(after).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(refunds.settled = n, "reconciler settled {n} refunds"),
            Err(e) => failures.push(format!("refund reconciliation failed: {e}")),
        }
        // Idempotency keys live at least 24 hours.
        let expired = chrono::Utc::now() - chrono::Duration::hours(25);
        if let Err(e) =
            nestcms_domain::payments::ports::IdempotencyRepository::purge(store.as_ref(), expired)
                .await
        {
            failures.push(format!("could not purge idempotency keys: {e}"));
        }
        if failures.is_empty() {
            stop.ok();
        } else {
            let why = failures.join("; ");
            tracing::warn!(error = %why, "reconciler round failed; will retry next round");
            stop.failed(&why);
        }
    }
}

/// The gateway behind its circuit breakers.
fn guard(
    gateway: nestcms_paytabs_adapter::PayTabs,
    breakers: &nestcms_resilience::Registry,
    timeout: std::time::Duration,
) -> Arc<dyn nestcms_domain::payments::ports::Gateway> {
    Arc::new(nestcms_app::payments::guarded::GuardedGateway::new(
        Arc::new(gateway),
        breakers,
        timeout,
    ))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
