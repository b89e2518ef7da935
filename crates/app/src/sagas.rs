//! Running sagas: [`Starter`] records the saga each paid payment or settled refund starts
//! (with its mark on the event, in one transaction), and [`Runner`] takes running sagas one at
//! a time and carries out their next steps, saving after each so a crash resumes at the step
//! it stopped. Every step is idempotent (a compare-and-set move, a notification unique per
//! event), so one repeated after a crash changes nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::construction::ProjectStatus;
use nestcms_domain::construction::ports::ProjectRepository;
use nestcms_domain::events::DomainEvent;
use nestcms_domain::events::Scan;
use nestcms_domain::notify::Available;
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::refunds::{refund_failed, refund_issued};
use nestcms_domain::payments::ports::PaymentRepository;
use nestcms_domain::payments::{Payment, PaymentEvent, PaymentState};
use nestcms_domain::sagas::ports::SagaStore;
use nestcms_domain::sagas::{Saga, SagaKind, start};

use crate::background::{Consumer, Tally};

/// The starter's name, as its marks record it.
pub const CONSUMER: &str = "sagas";

/// How many events or sagas one round reads.
const BATCH: u32 = 50;

/// How long the payment saga waits for the receipt before it goes on without it.
const RECEIPT_PATIENCE: chrono::Duration = chrono::Duration::hours(24);

/// The most a step waiting on another consumer (the receipt) waits between looks.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// The ports sagas use.
#[derive(Clone)]
pub struct SagaPorts {
    /// Saga state.
    pub sagas: Arc<dyn SagaStore>,
    /// Payments.
    pub payments: Arc<dyn PaymentRepository>,
    /// Projects.
    pub projects: Arc<dyn ProjectRepository>,
    /// Notifications.
    pub notify: Arc<dyn NotificationStore>,
    /// Invoices and credit notes.
    pub invoices: Arc<dyn nestcms_domain::invoices::ports::InvoiceStore>,
}

/// Records the saga each event starts.
#[derive(Clone)]
pub struct Starter(SagaPorts);

impl Starter {
    /// A starter over these ports.
    pub fn new(ports: SagaPorts) -> Self {
        Self(ports)
    }

    /// Starts the sagas of every event not handled yet; returns how many events it handled.
    pub async fn round(&self) -> Result<usize, PortError> {
        self.pass(Scan::Oldest(BATCH)).await
    }
}

#[async_trait::async_trait]
impl Consumer for Starter {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    async fn pass(&self, scan: Scan) -> Result<usize, PortError> {
        let mut tally = Tally::new(CONSUMER);
        loop {
            let events = self.0.sagas.saga_events_unhandled(CONSUMER, scan).await?;
            for e in &events {
                tally.record(e.id.0, self.begin(e).await);
            }
            if let Some(done) = tally.done(scan, events.len()) {
                return done;
            }
        }
    }
}

impl Starter {
    async fn begin(&self, e: &PaymentEvent) -> Result<(), PortError> {
        let p = &self.0;
        let Some(pay) = p.payments.payment_by_id(e.payment_id).await? else {
            return p.sagas.begin(CONSUMER, e, None, None).await;
        };
        let saga = start(e, pay.org_id, Utc::now());
        // A contract's instalment paid: the event endpoints and other systems hear of.
        let paid =
            match (
                saga.as_ref().map(|s| s.kind),
                pay.contract_id,
                pay.instalment_seq,
            ) {
                (Some(SagaKind::Payment), Some(k), Some(seq)) => Some(
                    DomainEvent::instalment_paid(pay.org_id, k.0, seq, pay.id.0, &pay.amount),
                ),
                _ => None,
            };
        p.sagas
            .begin(CONSUMER, e, saga.as_ref(), paid.as_ref())
            .await
    }
}

/// Carries out running sagas.
#[derive(Clone)]
pub struct Runner {
    ports: SagaPorts,
    /// Whether paying a contract's first instalment activates its planned project.
    activate_projects: bool,
    available: Available,
}

/// How long one run of a saga holds it (its steps are a few storage calls).
const LEASE: Duration = Duration::from_secs(60);

impl Runner {
    /// A runner over these ports; notifications go out on the channels `available`.
    pub fn new(ports: SagaPorts, activate_projects: bool, available: Available) -> Self {
        Self {
            ports,
            activate_projects,
            available,
        }
    }

    /// Runs every saga due; returns how many it ran.
    pub async fn round(&self) -> Result<usize, PortError> {
        let lease = chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::minutes(1));
        let mut ran = 0;
        for _ in 0..BATCH {
            let now = Utc::now();
            let Some(mut s) = self
                .ports
                .sagas
                .claim_sagas(now, now + lease, 1)
                .await?
                .pop()
            else {
                break;
            };
            let attempt = s.attempts;
            // Each finished step is saved as it finishes; what is left to save is a wait.
            let pending = match self.advance(&mut s).await {
                Ok(waiting) => waiting,
                Err(e) => {
                    tracing::warn!(saga.id = %s.id, error = %e, "saga step failed; will retry");
                    s.last_error = Some(e.to_string());
                    s.next_attempt_at = Some(Utc::now() + backoff(attempt));
                    true
                }
            };
            if pending && !self.ports.sagas.save_saga(&s, attempt).await? {
                tracing::warn!(saga.id = %s.id, "saga run outlived its claim; another instance carries on");
            }
            ran += 1;
        }
        Ok(ran)
    }

    /// Carries out steps until one must wait or none is left, saving after each; true when
    /// it stopped to wait (the wait is not saved yet).
    async fn advance(&self, s: &mut Saga) -> Result<bool, PortError> {
        let pay = self
            .ports
            .payments
            .payment_by_id(s.payment)
            .await?
            .ok_or(PortError::NotFound)?;
        while let Some(step) = s.next_step() {
            let now = Utc::now();
            match self.step(s, &step, &pay).await? {
                Some((status, note)) => s.finish(&step, status, note, now),
                None => {
                    // Waiting on another consumer: look again shortly.
                    s.next_attempt_at = Some(now + backoff(s.attempts));
                    s.updated_at = now;
                    return Ok(true);
                }
            }
            if !self.ports.sagas.save_saga(s, s.attempts).await? {
                tracing::warn!(saga.id = %s.id, "saga run outlived its claim; another instance carries on");
                return Ok(false);
            }
        }
        Ok(false)
    }

    /// Carries out one step: its status and note, or `None` when it must wait.
    async fn step(
        &self,
        s: &Saga,
        step: &str,
        pay: &Payment,
    ) -> Result<Option<(&'static str, String)>, PortError> {
        let p = &self.ports;
        Ok(Some(match step {
            "instalment_paid" => match (pay.contract_id, pay.instalment_seq) {
                (Some(_), Some(seq)) => ("done", format!("instalment {seq} shows paid")),
                _ => ("skipped", "not a contract instalment".to_owned()),
            },
            "invoice_issued" => {
                crate::invoices::auto::invoice_payment(p.invoices.as_ref(), pay, s.event_id).await?
            }
            "credit_note_issued" => {
                crate::invoices::auto::credit_refund(
                    p.invoices.as_ref(),
                    p.payments.as_ref(),
                    pay,
                    s.event_id,
                )
                .await?
            }
            "receipt_sent" => {
                if p.sagas.receipt_recorded(s.event_id).await? {
                    ("done", "the receipts consumer recorded it".to_owned())
                } else if Utc::now() - s.created_at < RECEIPT_PATIENCE {
                    return Ok(None);
                } else {
                    // The receipts consumer gave up on this payment (its dead letters, or
                    // its log, say why): the saga goes on without it rather than hold the
                    // project back for ever.
                    tracing::error!(saga.id = %s.id, payment.id = %pay.id.0, "no receipt recorded within a day; the saga goes on without it");
                    (
                        "failed",
                        "no receipt recorded within 24 hours; see the receipts consumer's failures"
                            .to_owned(),
                    )
                }
            }
            "project_activated" => self.activate(pay).await?,
            "instalment_reopened" => match (pay.contract_id, pay.state) {
                (None, _) => ("skipped", "not a contract instalment".to_owned()),
                (Some(_), PaymentState::Refunded) => (
                    "done",
                    "fully refunded: the instalment is owed again".to_owned(),
                ),
                (Some(_), _) => (
                    "skipped",
                    "partly refunded: the instalment stays paid".to_owned(),
                ),
            },
            "client_notified" => {
                let to = p.notify.recipient(pay.client_id).await?;
                let now = Utc::now();
                let out: Vec<_> = self
                    .available
                    .channels_for(&to)
                    .into_iter()
                    .map(|c| refund_issued(pay, (to.language, c), s.event_id, now))
                    .collect();
                p.notify.record(&out, None).await?;
                ("done", "the client was told".to_owned())
            }
            "amount_released" => (
                "done",
                "the refused refund's amount is free again".to_owned(),
            ),
            "staff_alerted" => {
                let staff = p.sagas.staff_to_alert(s.org).await?;
                let now = Utc::now();
                let mut out = Vec::new();
                for u in &staff {
                    let to = p.notify.recipient(*u).await?;
                    for c in self.available.channels_for(&to) {
                        out.push(refund_failed(pay, *u, (to.language, c), s.event_id, now));
                    }
                }
                p.notify.record(&out, None).await?;
                ("done", format!("{} owners and admins alerted", staff.len()))
            }
            other => ("skipped", format!("unknown step {other}")),
        }))
    }

    /// Activates the contract's planned projects when its first instalment is paid.
    async fn activate(&self, pay: &Payment) -> Result<(&'static str, String), PortError> {
        let Some(contract) = pay.contract_id else {
            return Ok(("skipped", "not a contract instalment".to_owned()));
        };
        if !self.activate_projects {
            return Ok((
                "skipped",
                "turned off (sagas.activate_project_on_first_payment)".to_owned(),
            ));
        }
        if pay.instalment_seq != Some(1) {
            return Ok(("skipped", "not the first instalment".to_owned()));
        }
        let planned = self.ports.sagas.planned_projects(contract).await?;
        let mut moved = 0;
        for id in &planned {
            if self
                .ports
                .projects
                .move_project(
                    pay.org_id,
                    *id,
                    ProjectStatus::Planned,
                    ProjectStatus::Active,
                )
                .await?
            {
                moved += 1;
            }
        }
        Ok(match moved {
            0 => ("skipped", "no planned project on the contract".to_owned()),
            n => ("done", format!("{n} project(s) activated")),
        })
    }
}

/// The pause before run `attempt + 1`: 2 s, doubling, at most five minutes.
fn backoff(attempt: u32) -> chrono::Duration {
    let wait = Duration::from_secs(2u64.saturating_pow(attempt.clamp(1, 9))).min(MAX_WAIT);
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::minutes(5))
}

/// A payment's sagas.
pub async fn sagas_of(store: &dyn SagaStore, pay: &Payment) -> Result<Vec<Saga>, PortError> {
    store.sagas_of(pay.org_id, pay.id).await
}
