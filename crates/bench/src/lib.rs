//! Shared pieces of the load generators: latency summaries.

use std::time::Duration;

/// Latency percentiles of a run.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

/// Summarises samples (nearest-rank percentiles).
pub fn summarise(mut samples: Vec<Duration>) -> Summary {
    samples.sort_unstable();
    let pick = |q: f64| {
        if samples.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1]
    };
    Summary {
        n: samples.len(),
        p50: pick(0.50),
        p99: pick(0.99),
        max: samples.last().copied().unwrap_or_default(),
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
            self.n,
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = summarise((1..=100).map(Duration::from_millis).collect());
        assert_eq!(
            (s.n, s.p50, s.p99, s.max),
            (
                100,
                Duration::from_millis(50),
                Duration::from_millis(99),
                Duration::from_millis(100)
            )
        );
        assert_eq!(summarise(Vec::new()).p99, Duration::ZERO);
    }
}
