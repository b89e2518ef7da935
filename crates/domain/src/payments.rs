//! Payments: the state machine every payment follows.
//!
//! The original marked declined cards as paid and had no pending, failed or refunded state.
//! Here a payment moves only along the listed edges; the gateway's outcome letter is mapped to
//! a target state ([`PaymentState::from_gateway`]) and the move is then checked like any other.

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
    /// The state a PayTabs `response_status` letter leads to (`None` for unknown letters,
    /// which are recorded but change nothing).
    pub fn from_gateway(letter: &str) -> Option<Self> {
        match letter.trim().to_ascii_uppercase().as_str() {
            "A" => Some(Self::Paid),
            "H" | "P" => Some(Self::OnHold),
            "D" => Some(Self::Declined),
            "C" | "V" => Some(Self::Cancelled),
            "X" => Some(Self::Expired),
            "E" => Some(Self::Failed),
            _ => None,
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
    fn gateway_letters_map_to_states() {
        for (letter, state) in [
            ("A", Paid),
            ("h", OnHold),
            ("P", OnHold),
            ("D", Declined),
            ("C", Cancelled),
            ("V", Cancelled),
            ("X", Expired),
            ("E", Failed),
        ] {
            assert_eq!(PaymentState::from_gateway(letter), Some(state), "{letter}");
        }
        assert_eq!(PaymentState::from_gateway("Z"), None);
        assert!(
            Paid.is_final() && Declined.is_final() && !Pending.is_final() && !OnHold.is_final()
        );
    }
}
