//! What people are told about refunds: the client when one is issued, the firm's owners and
//! admins when the gateway refused one for good.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Channel, Kind, Language, Notification};
use crate::identity::UserId;
use crate::payments::Payment;

fn amount(m: crate::Money) -> String {
    format!("{} {}", m.amount_string(), m.currency().code())
}

/// To the client: money is on its way back (with the total refunded on the payment so far).
pub fn refund_issued(
    p: &Payment,
    to: (Language, Channel),
    source_event: Uuid,
    at: DateTime<Utc>,
) -> Notification {
    let total = amount(p.refunded);
    let text = match to.0 {
        Language::En => (
            format!("Refund issued: {total}"),
            format!(
                "We refunded your payment for \u{201c}{}\u{201d}; {total} refunded in all. Reference: {}.",
                p.description, p.id.0
            ),
        ),
        Language::Ar => (
            format!("تم إصدار استرداد: {total}"),
            format!(
                "رددنا مبلغاً من دفعتك مقابل «{}»؛ المسترد حتى الآن {total}. المرجع: {}.",
                p.description, p.id.0
            ),
        ),
    };
    let who = (p.client_id, Some(p.org_id));
    Notification::compose(who, Kind::RefundIssued, text, to, (source_event, at))
}

/// To an owner or admin: the gateway refused a refund; the amount is free again and the
/// client still waits for their money.
pub fn refund_failed(
    p: &Payment,
    staff: UserId,
    to: (Language, Channel),
    source_event: Uuid,
    at: DateTime<Utc>,
) -> Notification {
    let text = match to.0 {
        Language::En => (
            "A refund was refused by the payment gateway".to_owned(),
            format!(
                "The refund on payment {} (\u{201c}{}\u{201d}, {}) was refused. The amount can be refunded again; the client has not been paid back.",
                p.id.0,
                p.description,
                amount(p.amount)
            ),
        ),
        Language::Ar => (
            "رفضت بوابة الدفع عملية استرداد".to_owned(),
            format!(
                "رُفض الاسترداد على الدفعة {} («{}»، {}). يمكن طلب الاسترداد مرة أخرى؛ لم يُرد المبلغ إلى العميل.",
                p.id.0,
                p.description,
                amount(p.amount)
            ),
        ),
    };
    let who = (staff, Some(p.org_id));
    Notification::compose(who, Kind::RefundFailed, text, to, (source_event, at))
}
