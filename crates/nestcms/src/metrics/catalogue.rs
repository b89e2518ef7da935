//! Every metric NestCMS records, with its help text: Prometheus (and `promtool check metrics`,
//! run by CI) wants one per metric, and the facade's call sites are spread over the crates, so
//! the descriptions live together here. A metric recorded but missing here shows in CI as "no
//! help text".

use metrics::{describe_counter, describe_gauge, describe_histogram};
use nestcms_http::observe;

use super::process;

/// Describes every metric to the installed recorder.
pub fn describe() {
    for (name, help) in COUNTERS {
        describe_counter!(*name, *help);
    }
    for (name, help) in GAUGES {
        describe_gauge!(*name, *help);
    }
    for (name, help) in HISTOGRAMS {
        describe_histogram!(*name, metrics::Unit::Seconds, *help);
    }
}

/// Counters: name and help text.
const COUNTERS: &[(&str, &str)] = &[
    (
        nestcms_bus::CONSUMED,
        "Events consumers took from their queues on the broker, by consumer and outcome (handled, retried, dead_lettered, malformed).",
    ),
    (
        observe::REQUESTS,
        "HTTP requests answered, by method, route template and status.",
    ),
    (
        "nestcms_http_connections_refused_total",
        "Connections closed at accept because the connection cap was reached.",
    ),
    (
        "nestcms_webhook_attempts_total",
        "Webhook delivery attempts, by outcome (delivered, retry, failed).",
    ),
    (
        "nestcms_rate_limited_total",
        "Requests refused with 429, by rate-limit policy.",
    ),
    (
        "nestcms_rate_limit_fallbacks_total",
        "Rate-limit checks counted in memory because Redis could not answer.",
    ),
    (
        "nestcms_logins_total",
        "Login attempts by outcome (succeeded, failed, throttled, second_factor_refused).",
    ),
    (
        "nestcms_cache_reads_total",
        "Cached reads by namespace and outcome (hit, miss, error).",
    ),
    (
        "nestcms_payments_total",
        "Payments reaching an outcome (created, paid, declined, refunded, ...), by currency.",
    ),
    (
        "nestcms_payment_amount_minor_total",
        "Amounts of payments reaching an outcome, in minor units of their currency.",
    ),
    (
        "nestcms_payment_events_total",
        "Payment events recorded and published, by kind.",
    ),
    (
        "nestcms_paytabs_callbacks_accepted_total",
        "PayTabs callbacks whose signature verified.",
    ),
    (
        "nestcms_paytabs_callbacks_rejected_total",
        "PayTabs callbacks refused for a bad signature.",
    ),
    (
        "nestcms_paytabs_callbacks_refused_total",
        "PayTabs callbacks refused by the perimeter, by reason.",
    ),
    (
        "nestcms_paytabs_callbacks_deferred_total",
        "Verified callbacks accepted while PayTabs could not confirm them (the reconciler settles them).",
    ),
    (
        "nestcms_breaker_transitions_total",
        "Circuit breaker state changes, by breaker and new state.",
    ),
    (
        "nestcms_background_failures_total",
        "Failed rounds of background tasks, by task.",
    ),
    (
        nestcms_store::observe::SLOW,
        "Statements slower than database.slow_query_threshold, by statement.",
    ),
    (
        nestcms_store::replicas::SKIPS,
        "Times a replica was taken out of rotation by its health check, by replica.",
    ),
    (
        nestcms_store::access::LOOKUPS,
        "Session, membership, grant and dashboard figure lookups, by kind and result (hit, miss, bypass while the invalidation channel is down).",
    ),
    (
        nestcms_store::replicas::FALLBACKS,
        "Replica reads that failed, timed out or were refused and were repeated on the primary.",
    ),
    (
        nestcms_app::payments::RECONCILER_ACTIONS,
        "Payments the reconciler looked at, by action (settled, confirmed, expired, still_open, lookup_failed).",
    ),
];

/// Gauges: name and help text.
const GAUGES: &[(&str, &str)] = &[
    (
        nestcms_store::access::CHANNEL_UP,
        "1 while this instance hears other instances' access changes (always on SQLite); 0 while sessions and memberships are read from the database.",
    ),
    (
        observe::IN_FLIGHT,
        "HTTP requests being handled, by method and route template.",
    ),
    (
        "nestcms_breaker_state",
        "Circuit breaker state by breaker: 0 closed, 1 half-open, 2 open.",
    ),
    (
        "nestcms_db_pool_connections",
        "Connections of the primary database pool, by state (in_use, idle, max), read at scrape time.",
    ),
    (
        "nestcms_replica_lag_seconds",
        "Replication lag of each read replica at its last check.",
    ),
    (
        "nestcms_replica_in_rotation",
        "1 when reads go to the replica, 0 when it is skipped.",
    ),
    (
        "nestcms_outbox_backlog",
        "Payment events not yet delivered to the message broker, read at scrape time.",
    ),
    (
        "nestcms_outbox_oldest_age_seconds",
        "Age of the oldest undelivered payment event (0 when none).",
    ),
    (
        "nestcms_db_acquire_wait_seconds",
        "Time to take a connection from the primary pool, measured at scrape time.",
    ),
    (process::RESIDENT, "Resident memory of the process, bytes."),
    (
        process::CPU,
        "CPU time (user and system) used since the process started, seconds; use rate().",
    ),
    (
        process::OPEN_FDS,
        "Open file descriptors, sockets included.",
    ),
    (process::MAX_FDS, "The process's file descriptor limit."),
    (process::WORKERS, "Tokio worker threads."),
    (process::TASKS, "Tasks alive in the Tokio runtime."),
    (
        process::QUEUE,
        "Tasks waiting in the Tokio runtime's global queue.",
    ),
    (
        process::BUSY,
        "Time the Tokio workers spent busy since start, summed over workers, seconds; rate() over the worker count is the busy share.",
    ),
];

/// Histograms, all in seconds: name and help text.
const HISTOGRAMS: &[(&str, &str)] = &[
    (
        observe::DURATION,
        "Time to answer an HTTP request, by method, route template and status.",
    ),
    (
        nestcms_store::observe::DURATION,
        "Time of each named database statement (module.function), by statement.",
    ),
    (
        nestcms_bus::RELAY_LAG,
        "Time from an event being recorded to the broker confirming it.",
    ),
];
