//! Refunds: reserved inside the database (so concurrent refunds cannot exceed what was paid),
//! then executed at the gateway and settled.

use chrono::{Duration, Utc};
use nestcms_domain::identity::UserId;
use nestcms_domain::identity::policy::Action;
use nestcms_domain::payments::ports::{
    GatewayError, GatewayTransaction, IdempotencyBinding, Reservation,
};
use nestcms_domain::payments::{Payment, PaymentEvent, PaymentId, Refund, RefundId, RefundState};
use nestcms_domain::{DomainError, FieldError, Money};
use serde_json::json;

use super::Payments;
use crate::construction::{Caller, text};
use crate::port;

impl Payments {
    /// One refund of a payment the caller may see.
    #[tracing::instrument(name = "payments.refund_of", skip_all)]
    pub async fn refund_of(
        &self,
        c: &Caller,
        payment: PaymentId,
        id: RefundId,
    ) -> Result<Refund, DomainError> {
        let p = self.get(c, payment).await?;
        self.store
            .refunds(p.id)
            .await
            .map_err(port)?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(DomainError::NotFound("refund"))
    }

    /// Refunds part or all of a paid payment (owners, admins, managers).
    #[tracing::instrument(name = "payments.refund", skip_all)]
    pub async fn refund(
        &self,
        c: &Caller,
        id: PaymentId,
        amount: Money,
        reason: &str,
        key: Option<&IdempotencyBinding>,
    ) -> Result<Refund, DomainError> {
        c.require(Action::ManageContracts)?;
        let p = self.get(c, id).await?;
        if let Some(down) = self.gateway.follow_ups_refused() {
            return Err(DomainError::GatewayUnavailable {
                retry_after_secs: down.retry_after_secs(),
            });
        }
        if amount.currency() != p.amount.currency() {
            return Err(DomainError::invalid(
                "/currency",
                "currency_mismatch",
                format!("the payment is in {}", p.amount.currency()),
            ));
        }
        let r = Refund {
            id: RefundId::new(),
            payment_id: p.id,
            amount,
            reason: text(reason, "/reason", 128)?,
            state: RefundState::Pending,
            tran_ref: None,
            created_by: c.user(),
            created_at: Utc::now(),
            settled_at: None,
        };
        let requested = PaymentEvent::new(
            p.id,
            "refund_requested",
            "api",
            Some(c.user()),
            json!({ "refund_id": r.id, "amount": amount.amount_string() }),
        );
        match self
            .store
            .reserve_refund(&r, &requested, key)
            .await
            .map_err(port)?
        {
            Reservation::Reserved => self.publish(std::slice::from_ref(&requested)),
            Reservation::Exceeds { remaining } => {
                let left = Money::from_minor(remaining, amount.currency());
                return Err(DomainError::Unprocessable {
                    code: "refund_exceeds_remaining",
                    errors: vec![FieldError::new(
                        "/amount",
                        "exceeds_remaining",
                        format!("at most {} can still be refunded", left.amount_string()),
                    )],
                });
            }
            Reservation::NotRefundable(state) => {
                return Err(DomainError::Conflict {
                    code: "not_refundable",
                    message: format!("a {} payment cannot be refunded", state.as_str()),
                });
            }
        }
        let answer = self.gateway.refund(&p, &r).await;
        if let Err(down @ GatewayError::CircuitOpen { .. }) = &answer {
            // Never sent: free the reserved amount and ask the caller to come back.
            let released = PaymentEvent::new(
                p.id,
                "refund_settled",
                "api",
                Some(c.user()),
                json!({ "refund_id": r.id, "state": "failed", "sent": false, "message": "not sent: the payment gateway is unavailable" }),
            );
            let settled = std::slice::from_ref(&released);
            self.store
                .settle_refund(r.id, p.id, false, None, Utc::now(), settled)
                .await
                .map_err(port)?;
            self.publish(settled);
            return Err(DomainError::GatewayUnavailable {
                retry_after_secs: down.retry_after_secs(),
            });
        }
        self.finish_refund(&p, r, answer, "api", Some(c.user()))
            .await
    }

    /// Asks the gateway about refunds left pending longer than `after` (its answer was lost, or
    /// it said "pending") and settles them; one the gateway never received is sent now. Returns
    /// how many were settled.
    #[tracing::instrument(name = "payments.reconcile_refunds", skip_all)]
    pub async fn reconcile_refunds(&self, after: Duration) -> Result<usize, DomainError> {
        let mut settled = 0;
        let due = self.store.pending_refunds(Utc::now() - after, 100);
        for r in due.await.map_err(port)? {
            // Another instance's reconciler may be on it: only the lease holder asks the
            // gateway, so a refund is never executed twice.
            let now = Utc::now();
            let held = self
                .store
                .lease_refund(r.id, now, now - Duration::minutes(5));
            if !held.await.map_err(port)? {
                continue;
            }
            let Some(p) = self.store.payment_by_id(r.payment_id).await.map_err(port)? else {
                continue;
            };
            let known = match &r.tran_ref {
                Some(t) => self.gateway.lookup(t).await.map(Some),
                None => self
                    .gateway
                    .lookup_cart(&r.id.0.to_string())
                    .await
                    .map(|found| found.into_iter().next()),
            };
            let answer = match known {
                Ok(Some(g)) => Ok(g),
                Ok(None) => self.gateway.refund(&p, &r).await,
                Err(e) => Err(e),
            };
            if self
                .finish_refund(&p, r, answer, "reconciler", None)
                .await?
                .state
                != RefundState::Pending
            {
                settled += 1;
            }
        }
        Ok(settled)
    }

    /// Settles a refund from the gateway's answer; no clear answer leaves it pending for the
    /// reconciler.
    async fn finish_refund(
        &self,
        p: &Payment,
        r: Refund,
        answer: Result<GatewayTransaction, GatewayError>,
        source: &str,
        actor: Option<UserId>,
    ) -> Result<Refund, DomainError> {
        let (state, tran_ref, message) = match answer {
            Ok(g) => (
                RefundState::from_outcome(g.outcome),
                Some(g.tran_ref),
                g.message,
            ),
            Err(e) => {
                tracing::warn!(refund.id = %r.id, error = %e, "refund not confirmed by the gateway; left pending");
                (RefundState::Pending, r.tran_ref.clone(), e.to_string())
            }
        };
        if state != RefundState::Pending {
            let settled = PaymentEvent::new(
                p.id,
                "refund_settled",
                source,
                actor,
                json!({ "refund_id": r.id, "state": state.as_str(), "message": message }),
            );
            self.store
                .settle_refund(
                    r.id,
                    p.id,
                    state == RefundState::Succeeded,
                    tran_ref.as_deref(),
                    Utc::now(),
                    std::slice::from_ref(&settled),
                )
                .await
                .map_err(port)?;
            self.publish(std::slice::from_ref(&settled));
            if state == RefundState::Succeeded {
                super::count("refunded", r.amount);
            }
        }
        Ok(Refund {
            state,
            tran_ref,
            settled_at: (state != RefundState::Pending).then(Utc::now),
            ..r
        })
    }
}
