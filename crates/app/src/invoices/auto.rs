//! The documents the sagas issue: the invoice of a paid payment and the credit note of a
//! settled refund. Each is keyed by the payment event that caused it, so a step repeated
//! after a crash finds the document already issued and issues nothing.

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::invoices::Buyer;
use nestcms_domain::invoices::issue::{credit_note, for_payment};
use nestcms_domain::invoices::ports::InvoiceStore;
use nestcms_domain::payments::Payment;
use nestcms_domain::payments::ports::PaymentRepository;
use uuid::Uuid;

/// How a step ended: `done` or `skipped`, and what happened.
pub type StepEnd = (&'static str, String);

/// Issues the invoice of `pay`, paid by event `event`.
pub async fn invoice_payment(
    store: &dyn InvoiceStore,
    pay: &Payment,
    event: Uuid,
) -> Result<StepEnd, PortError> {
    if let Some(done) = store.invoice_for_payment(pay.id).await? {
        return Ok(("done", format!("{} issued", done.label())));
    }
    let Some(seller) = store.tax_profile(pay.org_id).await? else {
        return Ok((
            "skipped",
            "no tax profile: set the organization's to invoice its payments".to_owned(),
        ));
    };
    let buyer = store.buyer(pay.client_id).await?.unwrap_or_else(|| Buyer {
        name: "Client".to_owned(),
        client: Some(pay.client_id),
        ..Buyer::default()
    });
    let doc = for_payment(
        pay,
        &seller,
        buyer,
        pay.description.clone(),
        event,
        Utc::now(),
    )
    .map_err(|e| PortError::Other(format!("invoice of payment {}: {e:?}", pay.id.0)))?;
    let issued = store.issue(&doc).await?;
    Ok(("done", format!("{} issued", issued.label())))
}

/// Issues the credit note of the refund settled by event `event` on `pay`.
pub async fn credit_refund(
    store: &dyn InvoiceStore,
    payments: &dyn PaymentRepository,
    pay: &Payment,
    event: Uuid,
) -> Result<StepEnd, PortError> {
    let Some(invoice) = store.invoice_for_payment(pay.id).await? else {
        return Ok(("skipped", "the payment has no invoice to credit".to_owned()));
    };
    let events = payments.payment_events(pay.id).await?;
    let refund_id = events
        .iter()
        .find(|e| e.id.0 == event)
        .and_then(|e| e.detail.get("refund_id"))
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse::<Uuid>().ok());
    let refunds = payments.refunds(pay.id).await?;
    let Some(refund) = refunds.iter().find(|r| Some(r.id.0) == refund_id) else {
        return Ok(("skipped", "the refund is not recorded".to_owned()));
    };
    if let Some(done) = store.document_of_event(pay.org_id, event).await? {
        return Ok(("done", format!("{} issued", done.label())));
    }
    let amount = refund
        .amount
        .minor()
        .min(invoice.totals.gross - invoice.credited);
    if amount <= 0 {
        return Ok((
            "skipped",
            format!("{} is fully credited already", invoice.label()),
        ));
    }
    let reason = format!("Refund of payment {}", pay.id.0);
    let prior = store.credit_notes_of(pay.org_id, invoice.id).await?;
    let doc = credit_note(&invoice, &prior, amount, reason, Some(event), Utc::now())
        .map_err(|e| PortError::Other(format!("credit note of payment {}: {e:?}", pay.id.0)))?;
    let issued = store.issue(&doc).await?;
    Ok((
        "done",
        format!("{} issued against {}", issued.label(), invoice.label()),
    ))
}
