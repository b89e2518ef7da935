//! The breaker's window of recent outcomes, with running counts so that deciding after each
//! call costs the same whatever the window's size (a breaker sits on every API request).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Recent outcomes, oldest first, and how many of them failed or were slow.
#[derive(Debug, Default)]
pub(crate) struct Window {
    outcomes: VecDeque<(Instant, bool, bool)>,
    failed: usize,
    slow: usize,
}

impl Window {
    /// Adds an outcome, then forgets what is older than `span` or beyond the last `max`.
    pub(crate) fn push(&mut self, now: Instant, ok: bool, slow: bool, span: Duration, max: usize) {
        self.outcomes.push_back((now, ok, slow));
        self.failed += usize::from(!ok);
        self.slow += usize::from(slow);
        while self.outcomes.len() > max
            || self
                .outcomes
                .front()
                .is_some_and(|(t, _, _)| now.duration_since(*t) > span)
        {
            if let Some((_, ok, slow)) = self.outcomes.pop_front() {
                self.failed -= usize::from(!ok);
                self.slow -= usize::from(slow);
            }
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Outcomes kept.
    pub(crate) fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Of which failed.
    pub(crate) fn failed(&self) -> usize {
        self.failed
    }

    /// Of which were slow.
    pub(crate) fn slow(&self) -> usize {
        self.slow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_what_is_kept_by_count_and_by_age() {
        let t0 = Instant::now();
        let mut w = Window::default();
        let span = Duration::from_secs(10);
        w.push(t0, false, true, span, 3);
        w.push(t0, true, false, span, 3);
        w.push(t0, false, false, span, 3);
        assert_eq!((w.len(), w.failed(), w.slow()), (3, 2, 1));
        // A fourth pushes the first (failed, slow) out by count.
        w.push(t0, true, false, span, 3);
        assert_eq!((w.len(), w.failed(), w.slow()), (3, 1, 0));
        // Eleven seconds later everything before is too old.
        w.push(t0 + Duration::from_secs(11), true, true, span, 3);
        assert_eq!((w.len(), w.failed(), w.slow()), (1, 0, 1));
        w.clear();
        assert_eq!((w.len(), w.failed(), w.slow()), (0, 0, 0));
    }
}
