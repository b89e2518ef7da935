//! Every statement the store runs is named, timed and traced, without naming each call site by
//! hand: [`crate::with_pool!`] derives the name from the function it is written in
//! (`payments.find`, `sessions.open`), records the time in
//! `nestcms_db_query_duration_seconds{statement}`, counts and logs a statement slower than
//! `database.slow_query_threshold` in `nestcms_db_slow_queries_total{statement}`, and opens an
//! `sql` span (a child of the request's) that lasts as long as the statement. A name covers
//! what the function sends: one statement, or the few of one transaction.
//!
//! sqlx's own slow-statement log, which quotes the SQL text, is turned on with the same
//! threshold in [`crate::pool`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Statement time histogram.
pub const DURATION: &str = "nestcms_db_query_duration_seconds";
/// Slow statements counter.
pub const SLOW: &str = "nestcms_db_slow_queries_total";

static SLOW_MS: AtomicU64 = AtomicU64::new(500);

/// Sets the slow-statement threshold (process-wide, like the metrics it feeds).
pub fn set_slow_threshold(threshold: Duration) {
    SLOW_MS.store(
        u64::try_from(threshold.as_millis()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// The slow-statement threshold now in force.
pub fn slow_threshold() -> Duration {
    Duration::from_millis(SLOW_MS.load(Ordering::Relaxed))
}

/// One named statement in flight; measured and closed when dropped, so a statement abandoned
/// by a cancelled request is measured too.
pub struct Statement {
    name: &'static str,
    started: Instant,
    span: tracing::Span,
}

impl Statement {
    /// Starts the clock and the span.
    pub fn start(name: &'static str) -> Self {
        let span = tracing::info_span!(
            "sql",
            otel.name = name,
            otel.kind = "client",
            db.operation.name = name,
        );
        Self {
            name,
            started: Instant::now(),
            span,
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        let elapsed = self.started.elapsed();
        metrics::histogram!(DURATION, "statement" => self.name).record(elapsed.as_secs_f64());
        if elapsed >= slow_threshold() {
            metrics::counter!(SLOW, "statement" => self.name).increment(1);
            tracing::warn!(
                parent: &self.span,
                statement = self.name,
                elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                threshold_ms = SLOW_MS.load(Ordering::Relaxed),
                "slow statement {}",
                self.name
            );
        }
    }
}

/// `module.function` from the type name of an item declared inside that function, e.g.
/// `nestcms_store::payments::<impl Repo for Store>::find::{{closure}}::here` → `payments.find`.
pub fn name_of(type_name: &str) -> String {
    let mut plain = String::with_capacity(type_name.len());
    let mut depth = 0_u32;
    for c in type_name.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let parts: Vec<&str> = plain
        .split("::")
        .filter(|s| !s.is_empty() && *s != "{{closure}}" && *s != "here")
        .collect();
    match parts.as_slice() {
        [.., module, function] => format!("{module}.{function}"),
        [only] => (*only).to_owned(),
        [] => "unnamed".to_owned(),
    }
}

/// The name of the function this is expanded in, computed once per call site.
#[macro_export]
macro_rules! statement_name {
    () => {{
        fn here() {}
        static NAME: ::std::sync::OnceLock<::std::string::String> = ::std::sync::OnceLock::new();
        NAME.get_or_init(|| $crate::observe::name_of(::std::any::type_name_of_val(&here)))
            .as_str()
    }};
}

#[cfg(test)]
mod tests {
    use super::name_of;

    #[test]
    fn names_come_from_module_and_function() {
        assert_eq!(
            name_of(
                "nestcms_store::payments::<impl nestcms_domain::payments::ports::PaymentRepository for nestcms_store::store::Store>::find::{{closure}}::here"
            ),
            "payments.find"
        );
        assert_eq!(
            name_of("nestcms_store::identity::sessions::<impl Store>::open::here"),
            "sessions.open"
        );
    }

    #[test]
    fn the_macro_names_its_own_function() {
        fn lookup_user() -> &'static str {
            crate::statement_name!()
        }
        // The enclosing item and the function: here a function nested in this test.
        assert_eq!(
            lookup_user(),
            "the_macro_names_its_own_function.lookup_user"
        );
    }
}
