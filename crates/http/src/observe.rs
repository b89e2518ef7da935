//! Request metrics: how many requests, how long they took and how many are in flight, by
//! method, route template (`/api/v1/orgs/{org_id}/…`, never a raw path, so ids never become
//! label values) and status. [`crate::edge`] starts and finishes them around everything else,
//! so the deadline's 503s and the panics' 500s are counted; only matched routes are (unmatched
//! paths are the 404 fallback's and would only add noise).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use metrics::Gauge;

/// Requests answered, by method, route and status.
pub const REQUESTS: &str = "nestcms_http_requests_total";
/// Seconds from the request reaching the route to its answer, by method, route and status.
pub const DURATION: &str = "nestcms_http_request_duration_seconds";
/// Requests being handled now, by method and route.
pub const IN_FLIGHT: &str = "nestcms_http_requests_in_flight";

/// A matched request being handled: counted in flight until finished or dropped (a client
/// gone, a deadline).
pub struct Seen {
    method: &'static str,
    route: MatchedPath,
    in_flight: Gauge,
}

impl Seen {
    /// Starts counting `req`, when it matched a route.
    pub fn start(req: &Request) -> Option<Self> {
        let route = req.extensions().get::<MatchedPath>()?.clone();
        // Methods outside the standard ones are never routed to a handler: one label for them.
        let method = match *req.method() {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            Method::OPTIONS => "OPTIONS",
            _ => "OTHER",
        };
        let in_flight =
            metrics::gauge!(IN_FLIGHT, "method" => method, "route" => route.as_str().to_owned());
        in_flight.increment(1.0);
        Some(Self {
            method,
            route,
            in_flight,
        })
    }

    /// Counts the answer.
    pub fn finish(self, status: u16, started: Instant) {
        let labels = [
            ("method", self.method.to_owned()),
            ("route", self.route.as_str().to_owned()),
            ("status", status.to_string()),
        ];
        metrics::counter!(REQUESTS, &labels).increment(1);
        metrics::histogram!(DURATION, &labels).record(started.elapsed().as_secs_f64());
    }
}

impl Drop for Seen {
    fn drop(&mut self) {
        self.in_flight.decrement(1.0);
    }
}
