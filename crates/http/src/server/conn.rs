//! One client connection with its deadlines.
//!
//! hyper's own header timer also runs while a kept-alive connection waits for its next
//! request, so it cannot express "a complete head within 10 s, but an idle connection may wait
//! a minute". We keep the two apart with a small watchdog per connection:
//! - [`Activity`] counts the requests in flight (a guard lives in each response body until
//!   hyper has taken its last frame) and notes when the connection last became idle;
//! - the socket wrapper [`TrackedIo`] notes when the first bytes of the next request arrive and
//!   when bytes were last written;
//! - the watchdog closes the connection when its head is late (`header_read_timeout`, counted
//!   from the accept or from those first bytes), when it has been idle for `idle_timeout`, or
//!   when a response being sent has made no progress for `idle_timeout` (a client that stopped
//!   reading must not hold a connection slot forever).
//!
//! A handler still working is never cut by the watchdog (the request deadline bounds it), and
//! neither is a response that is still being written, however slowly the client reads.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::settings::HttpSettings;

/// How long connections may stay open, and how many may be.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A complete request head must arrive within this.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight is closed after this.
    pub idle_timeout: Duration,
    /// Connections open at once; more are closed on accept.
    pub max_connections: usize,
}

impl From<&HttpSettings> for ConnectionLimits {
    fn from(s: &HttpSettings) -> Self {
        Self {
            header_read_timeout: s.header_read_timeout,
            idle_timeout: s.idle_timeout,
            max_connections: s.max_connections,
        }
    }
}

/// Milliseconds since the connection was accepted; `u64::MAX` means "not set".
const UNSET: u64 = u64::MAX;

struct Activity {
    start: Instant,
    /// Requests in flight (their response bodies not yet finished).
    in_flight: AtomicU64,
    /// When the connection last became idle.
    idle_since: AtomicU64,
    /// When the first bytes of the next head arrived while idle (UNSET: none yet).
    head_started: AtomicU64,
    /// When the latest request started.
    request_started_at: AtomicU64,
    /// When bytes were last written (UNSET: never).
    last_write: AtomicU64,
}

impl Activity {
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(UNSET - 1)
    }

    fn request_started(&self) {
        self.request_started_at.store(self.now(), Ordering::Release);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(UNSET, Ordering::Release);
    }

    fn wrote(&self) {
        self.last_write.store(self.now(), Ordering::Release);
    }

    fn request_finished(&self) {
        self.idle_since.store(self.now(), Ordering::Release);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_started.load(Ordering::Acquire) == UNSET
        {
            self.head_started.store(self.now(), Ordering::Release);
        }
    }

    /// When the connection is due to be closed, in milliseconds since accept; `None` while a
    /// handler is still working on a request (no byte of its answer written yet).
    fn due(&self, limits: &ConnectionLimits) -> Option<u64> {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(UNSET - 1);
        let idle = ms(limits.idle_timeout);
        let last_write = match self.last_write.load(Ordering::Acquire) {
            UNSET => None,
            at => Some(at),
        };
        if self.in_flight.load(Ordering::Acquire) > 0 {
            let started = self.request_started_at.load(Ordering::Acquire);
            return last_write
                .filter(|&w| w > started)
                .map(|w| w.saturating_add(idle));
        }
        let head = self.head_started.load(Ordering::Acquire);
        if head != UNSET {
            return Some(head.saturating_add(ms(limits.header_read_timeout)));
        }
        // Idle, or flushing the tail of a response hyper already took: from the later of the two.
        let since = self
            .idle_since
            .load(Ordering::Acquire)
            .max(last_write.unwrap_or(0));
        Some(since.saturating_add(idle))
    }
}

/// Serves one accepted connection on its own task.
pub(super) fn spawn(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: &ConnectionLimits,
    graceful: &GracefulShutdown,
    slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity {
        start: Instant::now(),
        in_flight: AtomicU64::new(0),
        idle_since: AtomicU64::new(0),
        // A new connection owes its first head from the moment it is accepted.
        head_started: AtomicU64::new(0),
        request_started_at: AtomicU64::new(0),
        last_write: AtomicU64::new(UNSET),
    });
    let io = TokioIo::new(TrackedIo {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let on_request = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let activity = Arc::clone(&on_request);
        activity.request_started();
        let guard = InFlight(Some(activity));
        guarded(router.clone().oneshot(req.map(Body::new)), guard)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Our watchdog owns the head deadline; hyper's would also cut idle kept-alive connections.
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    let conn = graceful.watch(builder.serve_connection(io, service));
    let limits = *limits;
    tokio::spawn(async move {
        tokio::select! {
            result = conn => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
            }
            () = watchdog(&activity, &limits) => {
                tracing::debug!(%peer, "closing a connection past its head or idle deadline");
            }
        }
        drop(slot);
    });
}

/// Completes when the connection is past its deadline with no request in flight.
async fn watchdog(activity: &Activity, limits: &ConnectionLimits) {
    loop {
        let wake = match activity.due(limits) {
            Some(due) if activity.now() >= due => return,
            Some(due) => activity.start + Duration::from_millis(due),
            // In flight: look again later; the request timeout bounds the handler.
            None => Instant::now() + limits.header_read_timeout.min(limits.idle_timeout),
        };
        tokio::time::sleep_until(wake).await;
    }
}

/// Marks the request finished when its response body is done or dropped.
struct InFlight(Option<Arc<Activity>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(a) = self.0.take() {
            a.request_finished();
        }
    }
}

/// A response body that holds the request's [`InFlight`] guard until it ends.
struct GuardedBody {
    inner: Body,
    _guard: InFlight,
}

impl hyper::body::Body for GuardedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Awaits the router's answer and hands it the request's guard.
async fn guarded(
    response: impl Future<Output = Result<axum::response::Response, std::convert::Infallible>>,
    guard: InFlight,
) -> Result<hyper::Response<GuardedBody>, std::convert::Infallible> {
    let res = response.await?;
    Ok(res.map(|inner| GuardedBody {
        inner,
        _guard: guard,
    }))
}

/// The socket, noting when bytes arrive.
struct TrackedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
