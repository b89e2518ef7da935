//! Applying the gateway's outcome: callbacks, browser returns, reconciliation.

use chrono::{Duration, Utc};
use nestcms_domain::DomainError;
use nestcms_domain::payments::ports::{GatewayOutcome, GatewayTransaction};
use nestcms_domain::payments::{Payment, PaymentEvent, PaymentId, PaymentState};
use serde_json::json;

use super::Payments;
use crate::port;

/// Payments the reconciler looked at, by what it did: `settled` (the gateway's outcome applied),
/// `confirmed` (the gateway agreed with us), `expired`, `still_open`, `lookup_failed`.
pub const RECONCILER_ACTIONS: &str = "nestcms_reconciler_actions_total";

/// Why a callback was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The signature does not match the body: nothing changes.
    #[error("the callback signature does not verify")]
    Unverified,
    /// The gateway or storage is unavailable: the gateway should retry.
    #[error(transparent)]
    Retry(#[from] DomainError),
}

/// Whether the gateway's record matches the payment: same cart, transaction, amount and currency.
fn matches(p: &Payment, g: &GatewayTransaction) -> Result<(), String> {
    if g.cart_id != p.id.0.to_string() {
        return Err(format!("cart_id {} is not this payment", g.cart_id));
    }
    if p.tran_ref.as_deref() != Some(g.tran_ref.as_str()) {
        return Err(format!(
            "transaction {} is not the page issued for this payment",
            g.tran_ref
        ));
    }
    match g.amount {
        Some(charged) if charged == p.amount => Ok(()),
        Some(charged) => Err(format!("charged {charged} instead of {}", p.amount)),
        None => Err(format!(
            "charged an amount or currency that cannot be read instead of {}",
            p.amount
        )),
    }
}

impl Payments {
    /// Moves a payment according to the gateway's (confirmed) record, at most once.
    pub(crate) async fn apply(
        &self,
        p: &Payment,
        g: &GatewayTransaction,
        source: &str,
    ) -> Result<PaymentState, DomainError> {
        let now = Utc::now();
        if let Err(why) = matches(p, g) {
            tracing::warn!(payment.id = %p.id, reason = %why, "gateway record does not match the payment; holding for review");
            if p.state.can_move_to(PaymentState::OnHold) {
                let events = [
                    PaymentEvent::new(
                        p.id,
                        "held_for_review",
                        source,
                        None,
                        json!({ "reason": why, "tran_ref": g.tran_ref }),
                    )
                    .traced(g.trace.clone()),
                    PaymentEvent::new(
                        p.id,
                        "state_changed",
                        source,
                        None,
                        json!({ "from": p.state.as_str(), "to": "on_hold" }),
                    ),
                ];
                self.moved(p, PaymentState::OnHold, now, &events).await?;
                return Ok(PaymentState::OnHold);
            }
            self.recorded(&[PaymentEvent::new(
                p.id,
                "mismatch_ignored",
                source,
                None,
                json!({ "reason": why }),
            )])
            .await?;
            return Ok(p.state);
        }
        let Some(target) = PaymentState::from_outcome(g.outcome) else {
            return Ok(p.state);
        };
        if target == p.state || !p.state.can_move_to(target) {
            return Ok(p.state);
        }
        let events = [
            PaymentEvent::new(
                p.id,
                "verified",
                source,
                None,
                json!({ "tran_ref": g.tran_ref, "outcome": g.outcome.as_str(), "message": g.message }),
            )
            .traced(g.trace.clone()),
            PaymentEvent::new(
                p.id,
                "state_changed",
                source,
                None,
                json!({ "from": p.state.as_str(), "to": target.as_str() }),
            ),
        ];
        // Conditional: if another delivery or the reconciler moved it first, nothing happens.
        self.moved(p, target, now, &events).await?;
        Ok(target)
    }

    /// Handles a gateway callback: verify the signature over the exact bytes, confirm with a
    /// lookup, apply once per (transaction, delivery).
    #[tracing::instrument(name = "payments.callback", skip_all)]
    pub async fn callback(&self, raw_body: &[u8], signature: &str) -> Result<(), CallbackError> {
        let Some((hint, ipn_trace)) = self.gateway.verify_callback(raw_body, signature) else {
            metrics::counter!("nestcms_paytabs_callbacks_rejected_total").increment(1);
            tracing::warn!("payment callback with a bad signature rejected");
            return Err(CallbackError::Unverified);
        };
        metrics::counter!("nestcms_paytabs_callbacks_accepted_total").increment(1);
        // The callback only names a transaction; which payment it concerns comes from the
        // gateway's own record of that transaction, never from the callback's cart_id.
        let confirmed = match self.gateway.lookup(&hint.tran_ref).await {
            Ok(confirmed) => confirmed,
            Err(e) if e.is_outage() => {
                // Accepted all the same: the reconciler confirms pending payments once the
                // gateway answers again, so nothing waits on PayTabs' own retries.
                metrics::counter!("nestcms_paytabs_callbacks_deferred_total").increment(1);
                tracing::warn!(error = %e, tran_ref = %hint.tran_ref, "callback accepted unconfirmed; the reconciler will settle it");
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(error = %e, "the gateway refused to confirm a callback");
                return Ok(());
            }
        };
        if confirmed.cart_id != hint.cart_id {
            tracing::warn!(tran_ref = %hint.tran_ref, "callback cart_id differs from the gateway's record; using the gateway's");
        }
        let Ok(id) = confirmed.cart_id.parse::<uuid::Uuid>() else {
            return Ok(());
        };
        let Some(p) = self
            .store
            .payment_by_id(PaymentId(id))
            .await
            .map_err(port)?
        else {
            // Refund notifications carry the refund's id; refunds settle synchronously.
            return Ok(());
        };
        if !self
            .store
            .claim_ipn(&hint.tran_ref, &ipn_trace, Utc::now())
            .await
            .map_err(port)?
        {
            return Ok(()); // A redelivery: already handled.
        }
        let received = PaymentEvent::new(
            p.id,
            "ipn_received",
            "ipn",
            None,
            json!({ "tran_ref": hint.tran_ref, "outcome": hint.outcome.as_str() }),
        )
        .traced(Some(ipn_trace));
        self.recorded(&[received]).await?;
        self.apply(&p, &confirmed, "ipn").await?;
        Ok(())
    }

    /// Handles the browser's return: verified, never trusted for the outcome (that comes from a
    /// lookup); returns the payment to show.
    #[tracing::instrument(name = "payments.browser_return", skip_all)]
    pub async fn browser_return(
        &self,
        fields: &[(String, String)],
    ) -> Result<Payment, DomainError> {
        let Some(tran_ref) = self.gateway.verify_return(fields) else {
            return Err(DomainError::Unauthenticated {
                code: "bad_signature",
                message: "the return could not be verified".into(),
            });
        };
        let cart = fields
            .iter()
            .find(|(k, _)| k == "cartId")
            .and_then(|(_, v)| v.parse::<uuid::Uuid>().ok())
            .ok_or(DomainError::NotFound("payment"))?;
        let p = self
            .store
            .payment_by_id(PaymentId(cart))
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("payment"))?;
        if let Ok(g) = self.gateway.lookup(&tran_ref).await {
            self.apply(&p, &g, "return").await?;
        }
        self.store
            .payment_by_id(p.id)
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("payment"))
    }

    /// Settles payments left pending longer than `after`: asks the gateway, applies its
    /// outcome, and expires pages older than `page_ttl` that never got one. Returns how many
    /// payments changed.
    #[tracing::instrument(name = "payments.reconcile", skip_all)]
    pub async fn reconcile(
        &self,
        after: Duration,
        page_ttl: Duration,
    ) -> Result<usize, DomainError> {
        let now = Utc::now();
        let mut changed = 0;
        for p in self.store.unsettled(now - after, 100).await.map_err(port)? {
            let Some(tran_ref) = p.tran_ref.clone() else {
                continue;
            };
            let (outcome, action) = match self.gateway.lookup(&tran_ref).await {
                Ok(g) if g.outcome != GatewayOutcome::Open => {
                    (self.apply(&p, &g, "reconciler").await?, "settled")
                }
                Ok(_)
                    if p.page_issued_at.is_some_and(|t| t < now - page_ttl)
                        && p.state.can_move_to(PaymentState::Expired) =>
                {
                    let events = [PaymentEvent::new(
                        p.id,
                        "state_changed",
                        "reconciler",
                        None,
                        json!({ "from": p.state.as_str(), "to": "expired", "reason": "page validity over" }),
                    )];
                    self.moved(&p, PaymentState::Expired, now, &events).await?;
                    (PaymentState::Expired, "expired")
                }
                Ok(_) => (p.state, "still_open"),
                Err(e) => {
                    tracing::warn!(payment.id = %p.id, error = %e, "reconciliation lookup failed; will retry");
                    (p.state, "lookup_failed")
                }
            };
            // `settled` with no change means the gateway agreed with what we already had.
            let action = if action == "settled" && outcome == p.state {
                "confirmed"
            } else {
                action
            };
            metrics::counter!(RECONCILER_ACTIONS, "action" => action).increment(1);
            if outcome != p.state {
                changed += 1;
            }
        }
        Ok(changed)
    }
}
