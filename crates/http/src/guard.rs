//! The checks every matched route makes before its handler, as one route layer: conditional
//! GETs ([`crate::conditional`], outermost, so a 304 is computed from the answer the checks
//! let through), rate limits ([`crate::ratelimit`]) and the database breaker
//! ([`crate::dbgate`]).
//!
//! They were three `from_fn` middlewares, each cloning the route's boxed service and boxing
//! its future on every request; here the route is cloned once and the three checks, written
//! as functions that take what comes next, compile into one future.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use futures::future::BoxFuture;
use tower::{Layer, Service};

use crate::state::AppState;

/// The layer, for `Router::route_layer`.
#[derive(Clone)]
pub struct GuardLayer {
    state: AppState,
}

impl GuardLayer {
    /// Guards with the application's limits and breaker.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guard {
            inner,
            state: self.state.clone(),
        }
    }
}

/// A route behind its checks.
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    state: AppState,
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let mut inner = crate::edge::take_ready(&mut self.inner);
        let state = self.state.clone();
        Box::pin(async move {
            let handler = |req| async move {
                match inner.call(req).await {
                    Ok(res) => res,
                    Err(never) => match never {},
                }
            };
            let res = crate::conditional::etag(req, |req| {
                crate::ratelimit::limit(&state, req, |req| {
                    crate::dbgate::gate(&state, req, handler)
                })
            })
            .await;
            Ok(res)
        })
    }
}
