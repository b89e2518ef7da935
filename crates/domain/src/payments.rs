//! Payments: the state machine every payment follows.
//!
//! The original marked declined cards as paid and had no pending, failed or refunded state.
//! Here a payment moves only along the listed edges; the gateway's outcome is mapped to a target
//! state ([`PaymentState::from_outcome`]) and the move is then checked like any other; the same
//! outcome settles a refund ([`RefundState::from_outcome`]).

pub mod model;
pub mod ports;

pub use model::{Payment, PaymentEvent, PaymentId, Refund, RefundId, RefundState};

use crate::construction::lifecycle::lifecycle;

lifecycle!(
    /// Where a payment stands.
    PaymentState {
        /// Recorded; no payment page yet.
        Created => "created",
        /// A hosted page was issued; waiting for the gateway.
        Pending => "pending",
        /// The gateway holds it (PayTabs `H` or `P`), or our checks found a mismatch.
        OnHold => "on_hold",
        /// Money received.
        Paid => "paid",
        /// The card was declined.
        Declined => "declined",
        /// The customer cancelled.
        Cancelled => "cancelled",
        /// The page expired unused.
        Expired => "expired",
        /// The gateway reported an error.
        Failed => "failed",
        /// Part of the money went back.
        PartiallyRefunded => "partially_refunded",
        /// All of the money went back.
        Refunded => "refunded",
    }
    moves {
        Created -> Pending;
        Pending -> Paid | Declined | Cancelled | Expired | Failed | OnHold;
        OnHold -> Paid | Declined | Cancelled | Expired | Failed;
        Paid -> PartiallyRefunded | Refunded;
        PartiallyRefunded -> PartiallyRefunded | Refunded;
    }
);

impl PaymentState {
    /// The state a gateway outcome leads a payment to (`None`: no outcome yet, or one that
    /// changes nothing).
    pub const fn from_outcome(o: ports::GatewayOutcome) -> Option<Self> {
        use ports::GatewayOutcome as O;
        match o {
            O::Approved => Some(Self::Paid),
            O::OnHold | O::Pending => Some(Self::OnHold),
            O::Declined => Some(Self::Declined),
            O::Cancelled => Some(Self::Cancelled),
            O::Expired => Some(Self::Expired),
            O::Error => Some(Self::Failed),
            O::Open | O::Unknown => None,
        }
    }

    /// Whether money can still go back to the client from a payment in this state.
    pub const fn is_refundable(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyRefunded)
    }

    /// The state of a paid payment of `amount` minor units once `refunded` of them went back:
    /// all of it is a full refund, less is partial.
    pub const fn after_refunds(amount: i64, refunded: i64) -> Self {
        if refunded >= amount {
            Self::Refunded
        } else {
            Self::PartiallyRefunded
        }
    }

    /// No further gateway outcome can change it (refunds aside).
    pub const fn is_final(self) -> bool {
        !matches!(self, Self::Created | Self::Pending | Self::OnHold)
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentState::{self, *};

    /// Every pair of states against the table written out by hand: 100 pairs.
    #[test]
    fn only_the_listed_moves_are_legal() {
        let legal = [
            (Created, Pending),
            (Pending, Paid),
            (Pending, Declined),
            (Pending, Cancelled),
            (Pending, Expired),
            (Pending, Failed),
            (Pending, OnHold),
            (OnHold, Paid),
            (OnHold, Declined),
            (OnHold, Cancelled),
            (OnHold, Expired),
            (OnHold, Failed),
            (Paid, PartiallyRefunded),
            (Paid, Refunded),
            (PartiallyRefunded, PartiallyRefunded),
            (PartiallyRefunded, Refunded),
        ];
        assert_eq!(PaymentState::ALL.len(), 10);
        for from in PaymentState::ALL {
            for to in PaymentState::ALL {
                let expected = legal.contains(&(*from, *to));
                assert_eq!(from.can_move_to(*to), expected, "{from:?} -> {to:?}");
                let result = from.move_to(*to);
                assert_eq!(result.is_ok(), expected, "{from:?} -> {to:?}");
                if let Err(e) = result {
                    assert!(
                        e.to_string().contains(from.as_str())
                            && e.to_string().contains(to.as_str()),
                        "the error names both states: {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_declined_card_can_never_become_paid() {
        assert!(!Declined.can_move_to(Paid));
        assert!(
            !Created.can_move_to(Paid),
            "no payment without a page and a verified outcome"
        );
        assert!(!Refunded.can_move_to(Paid));
    }

    #[test]
    fn gateway_outcomes_map_to_payment_and_refund_states() {
        use super::RefundState;
        use super::ports::GatewayOutcome as O;
        for (outcome, state) in [
            (O::Approved, Paid),
            (O::OnHold, OnHold),
            (O::Pending, OnHold),
            (O::Declined, Declined),
            (O::Cancelled, Cancelled),
            (O::Expired, Expired),
            (O::Error, Failed),
        ] {
            assert_eq!(
                PaymentState::from_outcome(outcome),
                Some(state),
                "{outcome:?}"
            );
        }
        assert_eq!(PaymentState::from_outcome(O::Unknown), None);
        assert_eq!(PaymentState::from_outcome(O::Open), None);
        assert_eq!(
            RefundState::from_outcome(O::Approved),
            RefundState::Succeeded
        );
        assert!(Paid.is_refundable() && PartiallyRefunded.is_refundable());
        assert!(!Refunded.is_refundable() && !Pending.is_refundable() && !Declined.is_refundable());
        assert_eq!(
            PaymentState::after_refunds(10_000, 2_500),
            PartiallyRefunded
        );
        assert_eq!(PaymentState::after_refunds(10_000, 10_000), Refunded);
        for waiting in [O::Pending, O::Open, O::OnHold, O::Unknown] {
            assert_eq!(
                RefundState::from_outcome(waiting),
                RefundState::Pending,
                "{waiting:?}"
            );
        }
        for refused in [O::Declined, O::Error, O::Cancelled, O::Expired] {
            assert_eq!(
                RefundState::from_outcome(refused),
                RefundState::Failed,
                "{refused:?}"
            );
        }
        assert!(
            Paid.is_final() && Declined.is_final() && !Pending.is_final() && !OnHold.is_final()
        );
    }
}
