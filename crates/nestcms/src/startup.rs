//! Building the running service from a configuration: storage, state, router, listener.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use nestcms_app::auth::{Auth, AuthConfig};
use nestcms_app::payments::Payments;
use nestcms_auth::jwt::Signer;
use nestcms_auth::password::Hasher;
use nestcms_domain::payments::ports::EventOutbox;
use nestcms_http::{App, AppState, Application};
use nestcms_store::{Store, redact_url};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::secrets::{self, Secrets};

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
pub async fn connect_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("data_dir: cannot create {}", config.data_dir.display()))?;
    let url = database_url(config);
    let store = Store::connect(&url, &config.database)
        .await
        .with_context(|| format!("database {}", redact_url(url.expose_secret())))?;
    tracing::info!(db.backend = store.backend().name(), db.url = %redact_url(url.expose_secret()), "database connected");
    Ok(store)
}

/// Connects, migrates (unless disabled), and binds the listener.
pub async fn build(config: &Config) -> anyhow::Result<Service> {
    let secrets = secrets::resolve(config)?;
    let store = Arc::new(connect_store(config).await?);
    if config.database.auto_migrate {
        store.migrate().await.context("applying migrations")?;
    }
    let parallelism = match config.auth.hash_parallelism {
        0 => Hasher::default_parallelism(),
        n => n,
    };
    let hasher = Hasher::new(parallelism).context("preparing the password hasher")?;
    let signer = Signer::new(&secrets.jwt, config.auth.access_token_ttl);
    let auth_config = AuthConfig {
        access_ttl: config.auth.access_token_ttl,
        refresh_ttl: config.auth.refresh_token_ttl,
    };
    let identity: nestcms_app::Store = store.clone();
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("server.listen: cannot listen on {}", config.server.listen))?;
    let public_base_url = match &config.paytabs.public_base_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let (gateway, simulator) = crate::gateway::build(config, &public_base_url)?;
    let payments = Payments::new(store.clone(), Arc::new(gateway));
    let cache: Arc<dyn nestcms_domain::ports::Cache> = match &config.cache.url {
        Some(url) => Arc::new(
            nestcms_cache::RedisCache::connect(url, &config.cache.prefix)
                .await
                .context("cache.url: cannot reach Redis")?,
        ),
        None => Arc::new(nestcms_cache::MemoryCache::new(10_000)),
    };
    let state = AppState(Arc::new(App {
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
        payment_result_url: config.paytabs.result_page_url.clone(),
        metrics: crate::metrics::endpoint(config.metrics.token.as_ref()),
        cache,
    }));
    let mut router = nestcms_http::router(state);
    if let Some(sim) = simulator {
        router = router.nest_service(crate::gateway::SIM_PREFIX, nestcms_paytabs_sim::router(sim));
    }
    let app = Application::from_listener(listener, router);
    Ok(Service {
        app,
        store,
        secrets,
        payments,
    })
}

/// Runs a built service until `shutdown`, then drains and closes the pools.
pub async fn run(
    service: Service,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = service.app.local_addr()?;
    tracing::info!(listen = %addr, "serving on http://{addr}");
    let background = spawn_background(&service.payments, &service.store, config);
    service
        .app
        .run_until_stopped(shutdown, config.server.shutdown_grace)
        .await?;
    for task in background {
        task.abort();
    }
    service.store.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// `nestcms worker`: the background work of `serve` without the HTTP server (the reconciler,
/// and the broker relay when `bus.url` is set), until `shutdown`.
pub async fn worker(
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.paytabs.server_key.is_some(),
        "worker: paytabs.server_key is required (the built-in PayTabs simulator lives inside `serve`)"
    );
    let store = Arc::new(connect_store(config).await?);
    if config.database.auto_migrate {
        store.migrate().await.context("applying migrations")?;
    }
    let public_base_url = match &config.paytabs.public_base_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", config.server.listen),
    };
    let (gateway, _) = crate::gateway::build(config, &public_base_url)?;
    let payments = Payments::new(store.clone(), Arc::new(gateway));
    tracing::info!("worker running");
    let background = spawn_background(&payments, &store, config);
    shutdown.await;
    for task in background {
        task.abort();
    }
    store.close().await;
    tracing::info!("worker stopped cleanly");
    Ok(())
}

/// The reconciler, and the broker relay when `bus.url` is set.
fn spawn_background(
    payments: &Payments,
    store: &Arc<Store>,
    config: &Config,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = vec![spawn_reconciler(payments.clone(), store.clone(), config)];
    if let Some(url) = config.bus.url.clone() {
        tracing::info!("relaying payment events to the message broker");
        let outbox: Arc<dyn EventOutbox> = store.clone();
        tasks.push(tokio::spawn(nestcms_bus::relay(
            url,
            outbox,
            payments.subscribe(),
            std::future::pending(),
        )));
    }
    tasks
}

/// Settles payments whose callback never came, on `paytabs.reconcile_interval`.
fn spawn_reconciler(
    payments: Payments,
    store: Arc<Store>,
    config: &Config,
) -> tokio::task::JoinHandle<()> {
    let p = config.paytabs.clone();
    tokio::spawn(async move {
        let after =
            chrono::Duration::from_std(p.reconcile_after).unwrap_or(chrono::Duration::minutes(10));
        let ttl = chrono::Duration::from_std(p.page_ttl).unwrap_or(chrono::Duration::minutes(30));
        let mut tick = tokio::time::interval(p.reconcile_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match payments.reconcile(after, ttl).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(payments.settled = n, "reconciler settled {n} payments"),
                Err(e) => tracing::warn!(error = %e, "reconciliation failed; will retry"),
            }
            match payments.reconcile_refunds(after).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(refunds.settled = n, "reconciler settled {n} refunds"),
                Err(e) => tracing::warn!(error = %e, "refund reconciliation failed; will retry"),
            }
            // Idempotency keys live at least 24 hours.
            let expired = chrono::Utc::now() - chrono::Duration::hours(25);
            if let Err(e) = nestcms_domain::payments::ports::IdempotencyRepository::purge(
                store.as_ref(),
                expired,
            )
            .await
            {
                tracing::warn!(error = %e, "could not purge idempotency keys");
            }
        }
    })
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
