//! Every metric NestCMS records, with its help text: Prometheus (and `promtool check metrics`,
//! run by CI) wants one per metric, and the facade's call sites are spread over the crates, so
//! the descriptions live together here. A metric recorded but missing here shows in CI as "no
//! help text".

use metrics::{describe_counter, describe_gauge, describe_histogram};

/// Describes every metric to the installed recorder.
pub fn describe() {
    use nestcms_http::observe::{DURATION, IN_FLIGHT, REQUESTS};
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by method, route template and status."
    );
    describe_gauge!(
        IN_FLIGHT,
        "HTTP requests being handled, by method and route template."
    );
    describe_counter!(
        "nestcms_http_connections_refused_total",
        "Connections closed at accept because the connection cap was reached."
    );
    describe_counter!(
        "nestcms_rate_limited_total",
        "Requests refused with 429, by rate-limit policy."
    );
    describe_counter!(
        "nestcms_rate_limit_fallbacks_total",
        "Rate-limit checks counted in memory because Redis could not answer."
    );
    describe_counter!(
        "nestcms_logins_total",
        "Login attempts by outcome (succeeded, failed, throttled, second_factor_refused)."
    );
    describe_counter!(
        "nestcms_cache_reads_total",
        "Cached reads by namespace and outcome (hit, miss, error)."
    );
    describe_counter!(
        "nestcms_payments_total",
        "Payments reaching an outcome (created, paid, declined, refunded, ...), by currency."
    );
    describe_counter!(
        "nestcms_payment_amount_minor_total",
        "Amounts of payments reaching an outcome, in minor units of their currency."
    );
    describe_counter!(
        "nestcms_payment_events_total",
        "Payment events recorded and published, by kind."
    );
    describe_counter!(
        "nestcms_paytabs_callbacks_accepted_total",
        "PayTabs callbacks whose signature verified."
    );
    describe_counter!(
        "nestcms_paytabs_callbacks_rejected_total",
        "PayTabs callbacks refused for a bad signature."
    );
    describe_counter!(
        "nestcms_paytabs_callbacks_refused_total",
        "PayTabs callbacks refused by the perimeter, by reason."
    );
    describe_counter!(
        "nestcms_paytabs_callbacks_deferred_total",
        "Verified callbacks accepted while PayTabs could not confirm them (the reconciler settles them)."
    );
    describe_gauge!(
        "nestcms_breaker_state",
        "Circuit breaker state by breaker: 0 closed, 1 half-open, 2 open."
    );
    describe_counter!(
        "nestcms_breaker_transitions_total",
        "Circuit breaker state changes, by breaker and new state."
    );
    describe_counter!(
        "nestcms_background_failures_total",
        "Failed rounds of background tasks, by task."
    );
    describe_gauge!(
        "nestcms_db_pool_connections",
        "Connections of the primary database pool, by state (in_use, idle, max), read at scrape time."
    );
    describe_gauge!(
        "nestcms_replica_lag_seconds",
        "Replication lag of each read replica at its last check."
    );
    describe_gauge!(
        "nestcms_replica_in_rotation",
        "1 when reads go to the replica, 0 when it is skipped."
    );
    describe_gauge!(
        "nestcms_outbox_backlog",
        "Payment events not yet delivered to the message broker, read at scrape time."
    );
    describe_gauge!(
        "nestcms_outbox_oldest_age_seconds",
        "Age of the oldest undelivered payment event (0 when none)."
    );
    describe_gauge!(
        "nestcms_db_acquire_wait_seconds",
        "Time to take a connection from the primary pool, measured at scrape time."
    );
    describe_histogram!(
        nestcms_store::observe::DURATION,
        metrics::Unit::Seconds,
        "Time of each named database statement (module.function), by statement."
    );
    describe_counter!(
        nestcms_store::observe::SLOW,
        "Statements slower than database.slow_query_threshold, by statement."
    );
    describe_counter!(
        nestcms_store::replicas::SKIPS,
        "Times a replica was taken out of rotation by its health check, by replica."
    );
    describe_counter!(
        nestcms_store::replicas::FALLBACKS,
        "Replica reads that failed, timed out or were refused and were repeated on the primary."
    );
    describe_histogram!(
        nestcms_bus::RELAY_LAG,
        metrics::Unit::Seconds,
        "Time from a payment event being recorded to the broker confirming it."
    );
    describe_counter!(
        nestcms_app::payments::RECONCILER_ACTIONS,
        "Payments the reconciler looked at, by action (settled, confirmed, expired, still_open, lookup_failed)."
    );
    describe_gauge!(
        super::process::RESIDENT,
        "Resident memory of the process, bytes."
    );
    describe_gauge!(
        super::process::CPU,
        "CPU time (user and system) used since the process started, seconds; use rate()."
    );
    describe_gauge!(
        super::process::OPEN_FDS,
        "Open file descriptors, sockets included."
    );
    describe_gauge!(
        super::process::MAX_FDS,
        "The process's file descriptor limit."
    );
    describe_gauge!(super::process::WORKERS, "Tokio worker threads.");
    describe_gauge!(super::process::TASKS, "Tasks alive in the Tokio runtime.");
    describe_gauge!(
        super::process::QUEUE,
        "Tasks waiting in the Tokio runtime's global queue."
    );
    describe_gauge!(
        super::process::BUSY,
        "Time the Tokio workers spent busy since start, summed over workers, seconds; rate() over the worker count is the busy share."
    );
}
