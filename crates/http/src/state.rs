//! The one shared application state handlers receive.

use std::sync::Arc;

use nestcms_app::identity::auth::Auth;
use nestcms_domain::ports::SystemRepository;

use crate::settings::HttpSettings;

/// Everything a handler may need, built once at start.
pub struct App {
    /// Database liveness and schema state.
    pub system: Arc<dyn SystemRepository>,
    /// The server settings in force.
    pub http: HttpSettings,
    /// Name of the primary database engine, reported by readiness.
    pub backend: &'static str,
    /// Authentication: login, tokens, sessions.
    pub auth: Auth,
    /// Identity storage, for the organization, member, grant and audit services.
    pub identity: nestcms_app::Store,
    /// Construction storage: offers, contracts, projects, earnings, analytics.
    pub construction: nestcms_app::construction::Data,
    /// Articles.
    pub articles: nestcms_app::content::Articles,
    /// Uploaded design files.
    pub files: nestcms_app::construction::Files,
    /// Payments through the gateway.
    pub payments: nestcms_app::payments::Payments,
    /// Idempotency keys of money-moving requests.
    pub idempotency: Arc<dyn nestcms_domain::payments::ports::IdempotencyRepository>,
    /// Where the browser goes after paying (`?payment_id=…&state=…` is appended); the built-in
    /// result page when absent.
    pub payment_result_url: Option<String>,
    /// Cache of public answers (memory for one instance, Redis for several).
    pub cache: Arc<dyn nestcms_domain::ports::Cache>,
    /// Counts requests against the rate limits (memory, or Redis for every instance).
    pub limiter: Arc<dyn nestcms_domain::limits::RateLimiter>,
    /// Who may send PayTabs callbacks, and failed verifications per address.
    pub callbacks: crate::perimeter::CallbackPerimeter,
    /// The payment event outbox, for the bus's health probe.
    pub outbox: Arc<dyn nestcms_domain::payments::ports::EventOutbox>,
    /// Whether a message broker is configured (`bus.url`).
    pub bus_configured: bool,
    /// `memory` or `redis`, for the cache's health probe.
    pub cache_backend: &'static str,
    /// Hits and misses of [`crate::cached`].
    pub cache_stats: crate::cached::CacheStats,
    /// When this process started serving.
    pub started: std::time::Instant,
    /// The primary database's breaker (see [`crate::dbgate`]).
    pub database: Arc<nestcms_resilience::Breaker>,
    /// Every circuit breaker of this process (for operators).
    pub breakers: Arc<nestcms_resilience::Registry>,
    /// Health of the background tasks (readiness reports one that keeps failing).
    pub tasks: Arc<nestcms_app::background::TaskHealth>,
    /// Notifications, for each recipient's list.
    pub notifications: Arc<dyn nestcms_domain::notify::ports::NotificationStore>,
    /// Saga state, for the payment's saga list.
    pub sagas: Arc<dyn nestcms_domain::sagas::ports::SagaStore>,
    /// Outgoing webhooks.
    pub webhooks: nestcms_app::webhooks::Webhooks,
    /// Invoices, notes and the tax profile.
    pub invoices: nestcms_app::invoices::Invoicing,
    /// Origin of the payment gateway's hosted pages (`https://secure.paytabs.sa`), which the
    /// pages' `form-action` must allow: the Pay button's answer redirects there.
    pub gateway_origin: String,
    /// Checks the payment links clients receive.
    pub pay_links: nestcms_auth::paylink::PayLinks,
    /// `GET /metrics`, when the operator configured a token for it.
    pub metrics: Option<Metrics>,
}

/// The metrics endpoint: who may read it and how the text is rendered. The recorder lives in
/// the binary; this layer only serves what it renders.
pub struct Metrics {
    /// Bearer token a scraper must present.
    pub token: secrecy::SecretString,
    /// Renders the Prometheus text exposition.
    pub render: Arc<dyn Fn() -> String + Send + Sync>,
}

/// Cheap-to-clone handle on [`App`], passed to every handler by axum.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
