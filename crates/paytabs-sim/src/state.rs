//! The simulator's configuration and in-memory ledger.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nestcms_paytabs::wire::Transaction;

/// Faults to inject, for resilience tests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Added to every API answer.
    pub latency: Duration,
    /// Share of API calls answered with HTTP 500 (0.0–1.0).
    pub error_rate: f64,
    /// Never deliver IPNs.
    pub drop_ipns: bool,
    /// Answer the first this-many API calls with HTTP 503 (a burst of errors, then recovery).
    pub burst_5xx: u64,
    /// Share of API calls never answered in time (0.0–1.0): they hang for [`HANG`], so the
    /// caller's own timeout fires.
    pub timeout_rate: f64,
    /// Decline every refund (a `D` result), as a bank that refuses one does.
    pub decline_refunds: bool,
}

/// How long a call picked by [`Faults::timeout_rate`] hangs before a late 504.
pub const HANG: Duration = Duration::from_secs(300);

/// Who the simulator pretends to be.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The merchant profile it accepts.
    pub profile_id: u64,
    /// The server key it accepts and signs with.
    pub server_key: String,
    /// Sent as the `client-key` IPN header.
    pub client_key: String,
    /// Its own public base URL (for `redirect_url`), e.g. `http://127.0.0.1:9100`.
    pub public_url: String,
    /// Identical requests within this window are refused (409, code 4).
    pub duplicate_window: Duration,
    /// Delay before the n-th IPN retry is `n ×` this.
    pub ipn_retry_step: Duration,
    /// Injected faults.
    pub faults: Faults,
}

/// One transaction the simulator knows.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub tran: Transaction,
    pub decimals: u32,
    pub callback: Option<String>,
    pub return_url: Option<String>,
    pub return_using_get: bool,
    /// Minor units refunded so far (refunds), captured so far (auths).
    pub followed_up: i64,
}

/// The simulator: configuration plus ledger.
pub struct Simulator {
    pub(crate) config: SimConfig,
    pub(crate) ledger: Mutex<HashMap<String, Entry>>,
    pub(crate) pages: Mutex<HashMap<String, String>>,
    pub(crate) recent: Mutex<HashMap<String, Instant>>,
    counter: AtomicU64,
    pub(crate) http: reqwest::Client,
    /// IPN deliveries attempted (for tests and benchmarks).
    pub ipn_attempts: AtomicU64,
    /// 5xx answers still to give in the configured burst.
    pub(crate) burst_left: AtomicU64,
    /// Calls still to leave hanging (timeouts injected at run time).
    pub(crate) hang_left: AtomicU64,
    /// Every API call before this instant is answered with HTTP 503 (an outage).
    pub(crate) outage_until: Mutex<Option<Instant>>,
}

impl Simulator {
    /// A simulator with an empty ledger.
    pub fn new(config: SimConfig) -> Self {
        let burst = config.faults.burst_5xx;
        Self {
            config,
            ledger: Mutex::new(HashMap::new()),
            pages: Mutex::new(HashMap::new()),
            recent: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(1),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            ipn_attempts: AtomicU64::new(0),
            burst_left: AtomicU64::new(burst),
            hang_left: AtomicU64::new(0),
            outage_until: Mutex::new(None),
        }
    }

    /// A fresh `TST…` transaction reference (test profile style, §3.2).
    pub(crate) fn next_ref(&self) -> String {
        format!("TST{:013}", self.counter.fetch_add(1, Ordering::Relaxed))
    }

    /// A trace id like PayTabs' (`PMNT0101.<hex secs>.<hex counter>`).
    pub(crate) fn trace(&self, prefix: &str) -> String {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!(
            "{prefix}0101.{secs:08X}.{:08X}",
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Answers the next `n` API calls with HTTP 503 (a burst injected at run time).
    pub fn fail_next(&self, n: u64) {
        self.burst_left.store(n, Ordering::Relaxed);
    }

    /// Answers every API call with HTTP 503 for `d` from now (an outage injected at run time).
    pub fn fail_for(&self, d: Duration) {
        if let Ok(mut until) = self.outage_until.lock() {
            *until = Some(Instant::now() + d);
        }
    }

    /// Whether an outage injected with [`Simulator::fail_for`] is under way.
    pub(crate) fn in_outage(&self) -> bool {
        self.outage_until
            .lock()
            .ok()
            .and_then(|u| *u)
            .is_some_and(|u| Instant::now() < u)
    }

    /// Leaves the next `n` API calls hanging for [`HANG`] (timeouts injected at run time).
    pub fn hang_next(&self, n: u64) {
        self.hang_left.store(n, Ordering::Relaxed);
    }

    /// Every sale and authorisation with the minor units refunded or captured against it, for
    /// tests that compare the gateway's ledger with the merchant's.
    pub fn sales(&self) -> Vec<(Transaction, i64)> {
        self.ledger.lock().map_or_else(
            |_| Vec::new(),
            |l| {
                l.values()
                    .filter(|e| e.tran.previous_tran_ref.is_none())
                    .map(|e| (e.tran.clone(), e.followed_up))
                    .collect()
            },
        )
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// A transaction by reference (for tests).
    pub fn transaction(&self, tran_ref: &str) -> Option<Transaction> {
        self.ledger
            .lock()
            .ok()?
            .get(tran_ref)
            .map(|e| e.tran.clone())
    }
}

/// Decimals of a currency's minor unit.
pub(crate) fn decimals(currency: &str) -> Option<u32> {
    const THREE: [&str; 5] = ["KWD", "BHD", "OMR", "JOD", "IQD"];
    const TWO: [&str; 13] = [
        "AED", "EGP", "EUR", "GBP", "HKD", "IDR", "INR", "MAD", "PKR", "QAR", "SAR", "USD", "JPY",
    ];
    let c = currency.to_ascii_uppercase();
    if THREE.contains(&c.as_str()) {
        Some(3)
    } else if c == "JPY" {
        Some(0)
    } else if TWO.contains(&c.as_str()) {
        Some(2)
    } else {
        None
    }
}
