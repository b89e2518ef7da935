//! Lifecycles as transition tables: every move not listed is refused.

/// Declares a state enum with its text form and its transition table (every unlisted move is
/// refused with a 409 naming both states).
macro_rules! lifecycle {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? } moves { $($from:ident -> $($to:ident)|+;)* }) => {
        $crate::text::text_enum!($(#[$meta])* $name { $($(#[$vmeta])* $variant => $text),+ });

        impl $name {
            /// Whether the move `self → to` is allowed.
            pub fn can_move_to(self, to: Self) -> bool {
                #[allow(unreachable_patterns)]
                match (self, to) {
                    $($(($name::$from, $name::$to))|+ => true,)*
                    _ => false,
                }
            }

            /// The move, or a 409 naming both states.
            pub fn move_to(self, to: Self) -> Result<Self, $crate::error::DomainError> {
                if self.can_move_to(to) {
                    Ok(to)
                } else {
                    Err($crate::error::DomainError::Conflict {
                        code: "illegal_transition",
                        message: format!("cannot go from {} to {}", self.as_str(), to.as_str()),
                    })
                }
            }
        }
    };
}

pub(crate) use lifecycle;

lifecycle!(
    /// An offer (quote) from the firm to a client.
    OfferStatus {
        /// Waiting for the client.
        Review => "review",
        /// The client accepted.
        ApprovedByClient => "approved_by_client",
        /// The client declined.
        RejectedByClient => "rejected_by_client",
        /// Turned into a contract (happens together with approval).
        ConvertedToContract => "converted_to_contract",
        /// Withdrawn or expired.
        Closed => "closed",
    }
    moves {
        Review -> ApprovedByClient | RejectedByClient | Closed;
        ApprovedByClient -> ConvertedToContract | Closed;
        RejectedByClient -> Closed;
    }
);

impl OfferStatus {
    /// The client's approval: the offer goes through `approved_by_client` to
    /// `converted_to_contract` in one step, so only an offer whose state allows both moves can
    /// be converted. Returns the stored move (from, to), or the 409 for an illegal one.
    pub fn conversion(from: Self) -> Result<(Self, Self), crate::error::DomainError> {
        from.move_to(Self::ApprovedByClient)?
            .move_to(Self::ConvertedToContract)?;
        Ok((from, Self::ConvertedToContract))
    }
}

lifecycle!(
    /// A contract between the firm and a client.
    ContractStatus {
        /// Terms editable, waiting for the client.
        Review => "review",
        /// The client accepted the terms.
        ApprovedByClient => "approved_by_client",
        /// The client declined.
        RejectedByClient => "rejected_by_client",
        /// Work and payments under way.
        Active => "active",
        /// Finished or ended.
        Closed => "closed",
    }
    moves {
        Review -> ApprovedByClient | RejectedByClient | Closed;
        ApprovedByClient -> Active | Closed;
        RejectedByClient -> Review | Closed;
        Active -> Closed;
    }
);

lifecycle!(
    /// A building project.
    ProjectStatus {
        /// Not started.
        Planned => "planned",
        /// Under way.
        Active => "active",
        /// Paused.
        OnHold => "on_hold",
        /// Done.
        Completed => "completed",
        /// Abandoned.
        Cancelled => "cancelled",
    }
    moves {
        Planned -> Active | Cancelled;
        Active -> OnHold | Completed | Cancelled;
        OnHold -> Active | Cancelled;
    }
);

lifecycle!(
    /// A milestone of a project.
    StepStatus {
        /// Not started.
        Pending => "pending",
        /// Under way.
        InProgress => "in_progress",
        /// Done.
        Completed => "completed",
    }
    moves {
        Pending -> InProgress | Completed;
        InProgress -> Completed | Pending;
        Completed -> InProgress;
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of states, checked against the table written out by hand.
    #[test]
    fn offer_moves_are_exactly_the_listed_ones() {
        use OfferStatus::*;
        let allowed = [
            (Review, ApprovedByClient),
            (Review, RejectedByClient),
            (Review, Closed),
            (ApprovedByClient, ConvertedToContract),
            (ApprovedByClient, Closed),
            (RejectedByClient, Closed),
        ];
        for from in OfferStatus::ALL {
            for to in OfferStatus::ALL {
                assert_eq!(
                    from.can_move_to(*to),
                    allowed.contains(&(*from, *to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert!(
            ConvertedToContract.move_to(ConvertedToContract).is_err(),
            "converting twice is refused"
        );
    }

    #[test]
    fn contract_moves_are_exactly_the_listed_ones() {
        use ContractStatus::*;
        let allowed = [
            (Review, ApprovedByClient),
            (Review, RejectedByClient),
            (Review, Closed),
            (ApprovedByClient, Active),
            (ApprovedByClient, Closed),
            (RejectedByClient, Review),
            (RejectedByClient, Closed),
            (Active, Closed),
        ];
        for from in ContractStatus::ALL {
            for to in ContractStatus::ALL {
                assert_eq!(
                    from.can_move_to(*to),
                    allowed.contains(&(*from, *to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn terminal_states_go_nowhere() {
        for to in ProjectStatus::ALL {
            assert!(!ProjectStatus::Completed.can_move_to(*to));
            assert!(!ProjectStatus::Cancelled.can_move_to(*to));
        }
        for to in ContractStatus::ALL {
            assert!(!ContractStatus::Closed.can_move_to(*to));
        }
        assert_eq!(StepStatus::parse("completed"), Some(StepStatus::Completed));
    }
}
