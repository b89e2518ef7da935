//! The client's Pay button: a contract's client pays one of its instalments themselves.
//!
//! Staff create payments through the API; a client on the portal only presses Pay. That opens
//! the gateway's page for the instalment's live payment, creating the payment first when the
//! instalment has none (or only failed attempts), so pressing twice never opens two charges.

use nestcms_domain::DomainError;
use nestcms_domain::construction::standing::{ScheduledInstalment, Standing};
use nestcms_domain::construction::{ContractId, ContractStatus};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::payments::{Payment, PaymentId, PaymentState};

use super::Payments;
use crate::construction::{Caller, Data, contracts};

/// The instalment's payment that can still be paid (recorded, or its page open).
fn live(line: &ScheduledInstalment) -> Option<PaymentId> {
    line.payment
        .as_ref()
        .filter(|p| matches!(p.state, PaymentState::Created | PaymentState::Pending))
        .map(|p| p.payment)
}

impl Payments {
    /// Opens the payment page for instalment `seq` of contract `id`, as its client (or staff
    /// who manage contracts, on the client's behalf).
    #[tracing::instrument(name = "payments.pay_instalment", skip_all)]
    pub async fn pay_instalment(
        &self,
        data: &Data,
        c: &Caller,
        id: ContractId,
        seq: u32,
    ) -> Result<Payment, DomainError> {
        let k = contracts::get(data, c, id).await?;
        if k.client_id != c.user() {
            c.require(Action::ManageContracts)?;
        }
        if !matches!(
            k.status,
            ContractStatus::ApprovedByClient | ContractStatus::Active
        ) {
            return Err(DomainError::Conflict {
                code: "contract_not_approved",
                message: "instalments are paid once the client approved the contract".into(),
            });
        }
        let schedule = contracts::schedule(data, &k).await?;
        let line = schedule
            .iter()
            .find(|s| s.instalment.seq == seq)
            .ok_or(DomainError::NotFound("instalment"))?;
        if line.standing == Standing::Paid {
            return Err(DomainError::Conflict {
                code: "already_paid",
                message: format!("instalment {seq} is already paid"),
            });
        }
        if let Some(p) = &line.payment
            && p.state == PaymentState::OnHold
        {
            return Err(DomainError::Conflict {
                code: "payment_on_hold",
                message: format!("a payment of instalment {seq} is being confirmed"),
            });
        }
        let payment = match live(line) {
            Some(id) => self.get(c, id).await?,
            None => {
                let what = format!("{} — instalment {seq}", k.title);
                let what: String = what.chars().take(128).collect();
                let made = self
                    .insert_new(
                        c,
                        k.client_id,
                        line.instalment.amount,
                        Some((k.id, seq)),
                        &what,
                        None,
                    )
                    .await;
                match made {
                    Ok(p) => p,
                    // Pressed twice at once: the other press made it; open that one.
                    Err(DomainError::Conflict {
                        code: "instalment_has_payment",
                        ..
                    }) => {
                        let again = contracts::schedule(data, &k).await?;
                        let id = again
                            .iter()
                            .find(|s| s.instalment.seq == seq)
                            .and_then(live)
                            .ok_or(DomainError::Conflict {
                                code: "checkout_in_progress",
                                message:
                                    "a checkout for this instalment is under way; retry in a moment"
                                        .into(),
                            })?;
                        self.get(c, id).await?
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        self.open(payment, c.user()).await
    }
}
