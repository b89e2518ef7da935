//! The payment link of an instalment: when the firm asks a client to pay an instalment, the
//! client is sent a link that opens the gateway's page for it, in their language, on their
//! channels. Only a payment the firm's staff made for a contract's instalment gets one (a
//! client who starts a payment themselves is already paying).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Channel, Kind, Language, Notification};
use crate::payments::{Payment, PaymentEvent, PaymentState};

/// Whether the payment `e` created asks its client for a link: an instalment's payment, still
/// unpaid, made by someone other than the client.
pub fn wants_link(e: &PaymentEvent, p: &Payment) -> bool {
    e.kind == "created"
        && p.contract_id.is_some()
        && p.state == PaymentState::Created
        && e.actor != Some(p.client_id)
}

/// The message that carries `link` to the payment's client.
pub fn payment_link(
    p: &Payment,
    link: &str,
    (language, channel): (Language, Channel),
    (source_event, at): (Uuid, DateTime<Utc>),
) -> Notification {
    let amount = format!(
        "{} {}",
        p.amount.amount_string(),
        p.amount.currency().code()
    );
    let seq = p.instalment_seq.unwrap_or(1);
    let (subject, body) = match language {
        Language::En => (
            format!("Instalment {seq} to pay: {amount}"),
            format!(
                "Instalment {seq} of your contract, {amount} for \u{201c}{}\u{201d}, is ready to pay. Pay it securely here: {link}",
                p.description
            ),
        ),
        Language::Ar => (
            format!("الدفعة {seq} مستحقة: {amount}"),
            format!(
                "الدفعة {seq} من عقدك بمبلغ {amount} مقابل «{}» جاهزة للدفع. ادفعها بأمان من هنا: {link}",
                p.description
            ),
        ),
    };
    Notification::compose(
        (p.client_id, Some(p.org_id)),
        Kind::PaymentLink,
        (subject, body),
        (language, channel),
        (source_event, at),
    )
}
