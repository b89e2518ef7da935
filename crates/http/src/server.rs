//! [`Application`]: bind, serve with bounded connections, and shut down gracefully.
//!
//! `bind` happens before `run` so tests can listen on port 0 and read the port back. `run` takes
//! the shutdown signal as a future: the binary passes SIGTERM/SIGINT, tests pass a channel. On
//! the signal the listener stops accepting, in-flight requests finish, and if they have not
//! within `grace` the server returns anyway so the process can exit.
//!
//! We run our own accept loop over hyper instead of `axum::serve` because `axum::serve` keeps a
//! connection open for as long as the client wishes: an idle socket, or one dribbling a header
//! line every few seconds, holds a file descriptor forever, and enough of them stop the process
//! from accepting anything (health probes included). Here every connection is bounded three
//! ways (see [`conn`]): a cap on how many are open at once (over it, a new one is closed at
//! once rather than queued), a deadline for a complete request head, and an idle timeout
//! between requests. Only HTTP/1.1 is served; a TLS proxy in front speaks HTTP/2 to browsers.

mod conn;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::settings::HttpSettings;

pub use conn::ConnectionLimits;

/// A bound, not yet running, HTTP server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
}

impl Application {
    /// Binds the listener.
    pub async fn bind(addr: SocketAddr, router: Router) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self::from_listener(listener, router))
    }

    /// Wraps an already bound listener (so the router can be built knowing the port).
    pub fn from_listener(listener: TcpListener, router: Router) -> Self {
        Self {
            listener,
            router,
            limits: ConnectionLimits::from(&HttpSettings::default()),
        }
    }

    /// Applies the connection limits of `[server]`.
    pub fn with_limits(mut self, limits: ConnectionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The address actually bound (resolves port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains for at most `grace`.
    pub async fn run_until_stopped<F>(self, shutdown: F, grace: Duration) -> io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Self {
            listener,
            router,
            limits,
        } = self;
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of descriptors or a reset before accept: log, breathe, go on.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                metrics::counter!("nestcms_http_connections_refused_total").increment(1);
                tracing::debug!(%peer, "connection cap reached; closing the new connection");
                drop(stream);
                continue;
            };
            conn::spawn(stream, peer, router.clone(), &limits, &graceful, slot);
        }
        drop(listener);
        tracing::info!("shutdown requested: no new connections, draining in-flight requests");
        tokio::select! {
            () = graceful.shutdown() => Ok(()),
            () = tokio::time::sleep(grace) => {
                tracing::warn!(grace_secs = grace.as_secs(), "shutdown grace period over; abandoning unfinished requests");
                Ok(())
            }
        }
    }
}
