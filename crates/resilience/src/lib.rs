//! Resilience for calls to NestCMS's dependencies: circuit breakers in one registry, and
//! bounded retries with jitter. Adapters and use cases wrap their calls; the HTTP layer shows
//! the registry to platform operators.

pub mod breaker;
pub mod clock;
pub mod registry;
pub mod retry;
mod window;

pub use breaker::{Breaker, BreakerConfig, BreakerState, CallError, Snapshot, Transition};
pub use clock::{Clock, ManualClock, SystemClock};
pub use registry::Registry;
pub use retry::{RetryPolicy, Verdict, full_jitter, retry};
