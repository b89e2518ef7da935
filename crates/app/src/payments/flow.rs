//! Creating, listing and checking out payments.

use chrono::Utc;
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::{ContractId, ContractStatus};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::identity::{Role, UserId};
use nestcms_domain::payments::ports::{GatewayError, IdempotencyBinding};
use nestcms_domain::payments::{Payment, PaymentEvent, PaymentId, PaymentState, Refund};
use nestcms_domain::{DomainError, Money};
use serde_json::json;

use super::Payments;
use crate::construction::{Caller, Data, member_with, text};
use crate::paging::{Paged, paged};
use crate::{Store, conflict_if_duplicate, port};

/// A payment to create: a contract instalment, or an ad-hoc charge to a client.
pub struct NewPayment {
    /// The client (ad-hoc charges; taken from the contract for instalments).
    pub client_id: Option<UserId>,
    /// The contract, for an instalment.
    pub contract_id: Option<ContractId>,
    /// The instalment's position (1-based).
    pub instalment: Option<u32>,
    /// Amount (must equal the instalment's when given for one).
    pub amount: Option<Money>,
    /// Shown on the page.
    pub description: String,
}

fn gateway_down(e: &GatewayError) -> DomainError {
    tracing::warn!(error = %e, "payment gateway call failed");
    match e {
        GatewayError::Unavailable(_)
        | GatewayError::Busy { .. }
        | GatewayError::CircuitOpen { .. } => DomainError::GatewayUnavailable {
            retry_after_secs: e.retry_after_secs(),
        },
        GatewayError::Refused { code, message } => DomainError::Conflict {
            code: "gateway_refused",
            message: format!("the gateway refused ({code}): {message}"),
        },
    }
}

impl Payments {
    /// Creates a payment (owners, admins, managers).
    #[tracing::instrument(name = "payments.create", skip_all)]
    pub async fn create(
        &self,
        identity: &Store,
        data: &Data,
        c: &Caller,
        n: NewPayment,
        key: Option<&IdempotencyBinding>,
    ) -> Result<Payment, DomainError> {
        c.require(Action::ManageContracts)?;
        let (client, amount, contract, seq) = match (n.contract_id, n.instalment) {
            (Some(cid), Some(seq)) => {
                let k = data
                    .contract(c.org(), cid)
                    .await
                    .map_err(port)?
                    .ok_or_else(|| {
                        DomainError::invalid("/contract_id", "not_found", "no such contract")
                    })?;
                if !matches!(
                    k.status,
                    ContractStatus::ApprovedByClient | ContractStatus::Active
                ) {
                    return Err(DomainError::Conflict {
                        code: "contract_not_approved",
                        message: "instalments are paid once the client approved the contract"
                            .into(),
                    });
                }
                let i = k.instalments.iter().find(|i| i.seq == seq).ok_or_else(|| {
                    DomainError::invalid("/instalment", "not_found", "no such instalment")
                })?;
                if n.amount.is_some_and(|a| a != i.amount) {
                    return Err(DomainError::invalid(
                        "/amount",
                        "not_the_instalment",
                        format!("instalment {seq} is {}", i.amount),
                    ));
                }
                (k.client_id, i.amount, Some(cid), Some(seq))
            }
            (None, None) => {
                let client = n.client_id.ok_or_else(|| {
                    DomainError::invalid(
                        "/client_id",
                        "required",
                        "an ad-hoc charge needs a client_id",
                    )
                })?;
                member_with(
                    identity,
                    c.org(),
                    client,
                    &[Role::Client],
                    "/client_id",
                    "a client",
                )
                .await?;
                let amount = n.amount.ok_or_else(|| {
                    DomainError::invalid("/amount", "required", "an ad-hoc charge needs an amount")
                })?;
                (client, amount, None, None)
            }
            _ => {
                return Err(DomainError::invalid(
                    "/instalment",
                    "required",
                    "give both contract_id and instalment, or neither",
                ));
            }
        };
        self.insert_new(c, client, amount, contract.zip(seq), &n.description, key)
            .await
    }

    /// Records a new payment of `amount` from `client` (for instalment `seq` of a contract when
    /// given), with its `created` event, once: a second live payment of an instalment is a 409.
    pub(super) async fn insert_new(
        &self,
        c: &Caller,
        client: UserId,
        amount: Money,
        instalment: Option<(ContractId, u32)>,
        description: &str,
        key: Option<&IdempotencyBinding>,
    ) -> Result<Payment, DomainError> {
        let (contract, seq) = (instalment.map(|i| i.0), instalment.map(|i| i.1));
        let now = Utc::now();
        let p = Payment {
            id: PaymentId::new(),
            org_id: c.org(),
            client_id: client,
            contract_id: contract,
            instalment_seq: seq,
            amount,
            description: text(description, "/description", 128)?,
            state: PaymentState::Created,
            tran_ref: None,
            redirect_url: None,
            page_issued_at: None,
            refunded: Money::zero(amount.currency()),
            created_by: c.user(),
            created_at: now,
            updated_at: now,
        };
        let detail = json!({ "amount": amount.amount_string(), "currency": amount.currency().code(), "contract_id": contract.map(|k| k.0), "instalment": seq });
        let created = PaymentEvent::new(p.id, "created", "api", Some(c.user()), detail);
        self.store
            .insert_payment(&p, &created, key)
            .await
            .map_err(conflict_if_duplicate(
                "instalment_has_payment",
                "this instalment already has a live payment",
            ))?;
        self.publish(std::slice::from_ref(&created));
        super::count("created", p.amount);
        Ok(p)
    }

    /// A payment the caller may see (staff, or its client).
    #[tracing::instrument(name = "payments.get", skip_all)]
    pub async fn get(&self, c: &Caller, id: PaymentId) -> Result<Payment, DomainError> {
        match self.store.payment(c.org(), id).await.map_err(port)? {
            Some(p) if c.sees(Some(p.client_id)) => Ok(p),
            _ => Err(DomainError::NotFound("payment")),
        }
    }

    /// A payment with its refunds and history.
    #[tracing::instrument(name = "payments.details", skip_all)]
    pub async fn details(
        &self,
        c: &Caller,
        id: PaymentId,
    ) -> Result<(Payment, Vec<Refund>, Vec<PaymentEvent>), DomainError> {
        let p = self.get(c, id).await?;
        let refunds = self.store.refunds(p.id).await.map_err(port)?;
        let events = self.store.payment_events(p.id).await.map_err(port)?;
        Ok((p, refunds, events))
    }

    /// One page of the payments the caller may see (clients: their own), optionally only
    /// those in `state`.
    #[tracing::instrument(name = "payments.list", skip_all)]
    pub async fn list(
        &self,
        c: &Caller,
        state: Option<PaymentState>,
        page: Page,
    ) -> Result<Paged<Payment>, DomainError> {
        let (org, client) = (c.org(), c.scope().client);
        paged(page, |p| self.store.payments(org, client, state, p)).await
    }

    /// Issues the hosted page (the client, or managers). Calling again returns the same live
    /// page; it never opens a second charge.
    #[tracing::instrument(name = "payments.checkout", skip_all)]
    pub async fn checkout(&self, c: &Caller, id: PaymentId) -> Result<Payment, DomainError> {
        let p = self.get(c, id).await?;
        if p.client_id != c.user() {
            c.require(Action::ManageContracts)?;
        }
        self.open(p, c.user()).await
    }

    /// As [`Payments::checkout`] for the payment a signed payment link names (the link was
    /// checked by the caller): the page is opened on the client's behalf.
    #[tracing::instrument(name = "payments.checkout_by_link", skip_all)]
    pub async fn checkout_by_link(&self, id: PaymentId) -> Result<Payment, DomainError> {
        let p = self
            .store
            .payment_by_id(id)
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("payment"))?;
        let client = p.client_id;
        self.open(p, client).await
    }

    /// Opens the gateway's page for `p`, or returns the live one, as `actor`.
    pub(super) async fn open(&self, p: Payment, actor: UserId) -> Result<Payment, DomainError> {
        match p.state {
            PaymentState::Created => {}
            PaymentState::Pending if p.redirect_url.is_some() => return Ok(p),
            other => {
                return Err(DomainError::Conflict {
                    code: "not_payable",
                    message: format!("this payment is {}", other.as_str()),
                });
            }
        }
        let page = match self.gateway.open_page(&p).await {
            Ok(page) => page,
            // PayTabs' duplicate rule: a concurrent checkout already opened the page.
            Err(GatewayError::Refused { code: 4, .. }) => return self.reload_pending(p.id).await,
            Err(e) => return Err(gateway_down(&e)),
        };
        let now = Utc::now();
        let events = [
            PaymentEvent::new(
                p.id,
                "page_issued",
                "api",
                Some(actor),
                json!({ "tran_ref": page.tran_ref }),
            )
            .traced(page.trace.clone()),
            PaymentEvent::new(
                p.id,
                "state_changed",
                "api",
                Some(actor),
                json!({ "from": "created", "to": "pending" }),
            ),
        ];
        if !self
            .store
            .issue_page(p.id, &page.tran_ref, &page.redirect_url, now, &events)
            .await
            .map_err(port)?
        {
            return self.reload_pending(p.id).await;
        }
        self.publish(&events);
        Ok(Payment {
            state: PaymentState::Pending,
            tran_ref: Some(page.tran_ref),
            redirect_url: Some(page.redirect_url),
            page_issued_at: Some(now),
            ..p
        })
    }

    async fn reload_pending(&self, id: PaymentId) -> Result<Payment, DomainError> {
        let p = self.store.payment_by_id(id).await.map_err(port)?;
        match p {
            Some(p) if p.state == PaymentState::Pending && p.redirect_url.is_some() => Ok(p),
            _ => Err(DomainError::Conflict {
                code: "checkout_in_progress",
                message: "a checkout for this payment is already under way; retry in a moment"
                    .into(),
            }),
        }
    }
}
