//! [`Application`]: bind, serve, and shut down gracefully.
//!
//! `bind` happens before `run` so tests can listen on port 0 and read the port back. `run` takes
//! the shutdown signal as a future: the binary passes SIGTERM/SIGINT, tests pass a channel. On
//! the signal the listener stops accepting, in-flight requests finish, and if they have not
//! within `grace` the server returns anyway so the process can exit.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

/// A bound, not yet running, HTTP server.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds the listener.
    pub async fn bind(addr: SocketAddr, router: Router) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, router })
    }

    /// Wraps an already bound listener (so the router can be built knowing the port).
    pub fn from_listener(listener: TcpListener, router: Router) -> Self {
        Self { listener, router }
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
        let (draining_tx, draining_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutdown requested: no new connections, draining in-flight requests");
            let _ = draining_tx.send(());
        };
        let make_service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, make_service).with_graceful_shutdown(signal);
        let deadline = async move {
            match draining_rx.await {
                Ok(()) => tokio::time::sleep(grace).await,
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            result = server.into_future() => result,
            () = deadline => {
                tracing::warn!(grace_secs = grace.as_secs(), "shutdown grace period over; abandoning unfinished requests");
                Ok(())
            }
        }
    }
}
