//! Who decides whether a trace is recorded. Anyone can send a `traceparent`, and one with the
//! sampled flag set would otherwise force us to record and export every span of the request
//! (close to half again the work per request, docs/PERFORMANCE.md): so a caller's decision is
//! not taken on trust. The caller's trace id is kept (its trace continues in ours), but whether
//! we record is `telemetry.sampling_ratio`'s call, on that trace id; spans inside a trace we
//! already decided on follow that decision.

use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};

/// Our own ratio for roots and for callers' spans; the parent's decision for our own spans.
#[derive(Debug, Clone)]
pub struct OwnDecision {
    ratio: Sampler,
}

impl OwnDecision {
    /// Records `ratio` (0.0 to 1.0) of the traces that enter this process.
    pub fn new(ratio: f64) -> Self {
        Self {
            ratio: Sampler::TraceIdRatioBased(ratio),
        }
    }
}

impl ShouldSample for OwnDecision {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        if let Some(cx) = parent {
            let span = cx.span();
            let sc = span.span_context();
            if sc.is_valid() && !sc.is_remote() {
                return SamplingResult {
                    decision: if sc.is_sampled() {
                        SamplingDecision::RecordAndSample
                    } else {
                        SamplingDecision::Drop
                    },
                    attributes: Vec::new(),
                    trace_state: sc.trace_state().clone(),
                };
            }
        }
        self.ratio
            .should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceState};

    use super::*;

    fn decide(ratio: f64, parent: &SpanContext) -> SamplingDecision {
        let cx = Context::new().with_remote_span_context(parent.clone());
        OwnDecision::new(ratio)
            .should_sample(
                Some(&cx),
                parent.trace_id(),
                "request",
                &SpanKind::Server,
                &[],
                &[],
            )
            .decision
    }

    #[test]
    fn a_callers_sampled_flag_does_not_force_recording() {
        let sampled = SpanContext::new(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
            SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        assert_eq!(decide(0.0, &sampled), SamplingDecision::Drop);
        assert_eq!(decide(1.0, &sampled), SamplingDecision::RecordAndSample);
    }
}
