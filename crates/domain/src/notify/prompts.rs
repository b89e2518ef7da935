//! Messages that ask a client to act: an offer to review, a contract to approve. Made from the
//! domain event that put the offer or contract before them.

use chrono::{DateTime, Utc};

use super::{Channel, Kind, Language, Notification};
use crate::events::DomainEvent;
use crate::identity::UserId;
use crate::{Currency, Money};

/// The client an event asks to act, when it asks one.
pub fn client_of(e: &DomainEvent) -> Option<UserId> {
    if !matches!(e.kind.as_str(), "offer.sent" | "contract.awaiting_client") {
        return None;
    }
    let id = e.data.get("client_id")?.as_str()?.parse().ok()?;
    Some(UserId(id))
}

/// The amount in `data[field]` (`{minor, currency}`), written with its currency.
fn amount(e: &DomainEvent, field: &str) -> String {
    let v = &e.data[field];
    let currency: Option<Currency> = v["currency"].as_str().and_then(|c| c.parse().ok());
    match (v["minor"].as_i64(), currency) {
        (Some(minor), Some(c)) => format!(
            "{} {}",
            Money::from_minor(minor, c).amount_string(),
            c.code()
        ),
        _ => String::new(),
    }
}

/// The message asking the client to act on `e`, in `language`, on `channel`.
pub fn prompt(
    e: &DomainEvent,
    client: UserId,
    (language, channel): (Language, Channel),
    at: DateTime<Utc>,
) -> Option<Notification> {
    let title = e.data["title"].as_str().unwrap_or_default();
    let (kind, text) = match (e.kind.as_str(), language) {
        ("offer.sent", Language::En) => (
            Kind::OfferToReview,
            (
                format!("An offer to review: {title}"),
                format!(
                    "\u{201c}{title}\u{201d}: {}, valid until {}. Open NestCMS to approve or decline it.",
                    amount(e, "price"),
                    e.data["valid_until"].as_str().unwrap_or_default()
                ),
            ),
        ),
        ("offer.sent", Language::Ar) => (
            Kind::OfferToReview,
            (
                format!("عرض سعر للمراجعة: {title}"),
                format!(
                    "«{title}»: {}، صالح حتى {}. افتح NestCMS للموافقة عليه أو رفضه.",
                    amount(e, "price"),
                    e.data["valid_until"].as_str().unwrap_or_default()
                ),
            ),
        ),
        ("contract.awaiting_client", Language::En) => (
            Kind::ContractToApprove,
            (
                format!("A contract to approve: {title}"),
                format!(
                    "\u{201c}{title}\u{201d}, {}. Open NestCMS to review and approve it.",
                    amount(e, "total")
                ),
            ),
        ),
        ("contract.awaiting_client", Language::Ar) => (
            Kind::ContractToApprove,
            (
                format!("عقد بانتظار موافقتك: {title}"),
                format!(
                    "«{title}»، {}. افتح NestCMS لمراجعته والموافقة عليه.",
                    amount(e, "total")
                ),
            ),
        ),
        _ => return None,
    };
    let who = (client, Some(e.org));
    Some(Notification::compose(
        who,
        kind,
        text,
        (language, channel),
        (e.id, at),
    ))
}
