//! How long something sent to another system (a webhook, an e-mail, a text) is retried: the
//! waits between attempts, with jitter, so a receiver that is down for a weekend still gets
//! every message, and thousands of messages failed at once do not all come back in the same
//! second.

use std::time::Duration;

/// The waits after each failed attempt; once they are used up the message is given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    /// For webhooks, Standard Webhooks' example schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
    /// 14 h, 20 h, 24 h — ten attempts over about 75 hours, more than three days even before
    /// jitter.
    pub fn webhooks() -> Self {
        let m = |n: u64| Duration::from_secs(n * 60);
        Self(vec![
            Duration::from_secs(5),
            m(5),
            m(30),
            m(120),
            m(300),
            m(600),
            m(840),
            m(1200),
            m(1440),
        ])
    }

    /// For e-mail and SMS: 1 min, 5 min, 30 min, 2 h, 12 h — six tries over about 15 hours
    /// (a message a day late is worth less than one that says it failed).
    pub fn notifications() -> Self {
        let m = |n: u64| Duration::from_secs(n * 60);
        Self(vec![m(1), m(5), m(30), m(120), m(720)])
    }

    /// A schedule of these waits (at least one).
    pub fn new(waits: Vec<Duration>) -> Option<Self> {
        (!waits.is_empty()).then_some(Self(waits))
    }

    /// How many attempts a message gets in all.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len()).map_or(u32::MAX, |n| n.saturating_add(1))
    }

    /// The wait after failed attempt `attempt` (1 for the first), stretched by `jitter`
    /// (0.0–1.0) by up to a tenth — only ever longer, so the whole schedule never shrinks
    /// below its stated length; `None` when it was the last.
    pub fn after(&self, attempt: u32, jitter: f64) -> Option<Duration> {
        let base = *self.0.get(usize::try_from(attempt.checked_sub(1)?).ok()?)?;
        let extra = base.mul_f64(jitter.clamp(0.0, 1.0) / 10.0);
        Some(base + extra)
    }

    /// The sum of the waits (without jitter).
    pub fn span(&self) -> Duration {
        self.0.iter().sum()
    }
}
