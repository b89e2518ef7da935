//! Notifications: what NestCMS tells people about what happened to them (a payment received,
//! later an offer to review, a refund, an instalment falling due), in their language, through a
//! channel, with a record per recipient.
//!
//! A notification is produced by a consumer of events and recorded in the same transaction as
//! the consumer's mark on that event, so each event gives each message once however often it
//! is read. Until e-mail and SMS adapters are configured every message goes to the `log`
//! channel: recorded, and readable by its recipient through the API.

pub mod links;
pub mod ports;
pub mod prompts;
pub mod refunds;
pub mod reminders;
pub mod security;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use crate::identity::Language;
use crate::identity::{OrgId, UserId};
use crate::payments::Payment;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A payment was received.
    PaymentReceipt,
    /// An instalment falls due soon.
    InstalmentDueSoon,
    /// An instalment is overdue.
    InstalmentOverdue,
    /// A refund was issued.
    RefundIssued,
    /// The gateway refused a refund (to the firm's staff).
    RefundFailed,
    /// An offer waits for the client's answer.
    OfferToReview,
    /// A contract waits for the client's approval.
    ContractToApprove,
    /// The password or second factor of the account changed.
    SecurityNotice,
    /// A payment of an instalment waits for the client, with the link that pays it.
    PaymentLink,
}

impl Kind {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PaymentReceipt => "payment_receipt",
            Self::InstalmentDueSoon => "instalment_due_soon",
            Self::InstalmentOverdue => "instalment_overdue",
            Self::RefundIssued => "refund_issued",
            Self::RefundFailed => "refund_failed",
            Self::OfferToReview => "offer_to_review",
            Self::ContractToApprove => "contract_to_approve",
            Self::SecurityNotice => "security_notice",
            Self::PaymentLink => "payment_link",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "payment_receipt" => Some(Self::PaymentReceipt),
            "instalment_due_soon" => Some(Self::InstalmentDueSoon),
            "instalment_overdue" => Some(Self::InstalmentOverdue),
            "refund_issued" => Some(Self::RefundIssued),
            "refund_failed" => Some(Self::RefundFailed),
            "offer_to_review" => Some(Self::OfferToReview),
            "contract_to_approve" => Some(Self::ContractToApprove),
            "security_notice" => Some(Self::SecurityNotice),
            "payment_link" => Some(Self::PaymentLink),
            _ => None,
        }
    }
}

/// How a message reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Recorded, and read through the API only.
    Log,
    /// E-mail.
    Email,
    /// A text message to their phone.
    Sms,
}

impl Channel {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// The channel a stored name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "log" => Some(Self::Log),
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// How one person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    /// Their language.
    pub language: Language,
    /// They asked for e-mail.
    pub email: bool,
    /// They asked for SMS and have a phone number.
    pub sms: bool,
    /// They have a phone number.
    pub has_phone: bool,
}

/// Which channels are set up on this installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Available {
    /// A mailer.
    pub email: bool,
    /// An SMS provider.
    pub sms: bool,
}

impl Available {
    /// The channels a message to `r` goes out on: each they asked for that is set up here,
    /// else the log (so nothing said is ever lost).
    pub fn channels_for(self, r: &Recipient) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.email && r.email {
            out.push(Channel::Email);
        }
        if self.sms && r.sms {
            out.push(Channel::Sms);
        }
        if out.is_empty() {
            out.push(Channel::Log);
        }
        out
    }
}

/// One message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Id (time-ordered).
    pub id: Uuid,
    /// The recipient.
    pub user: UserId,
    /// The organization it concerns.
    pub org: Option<OrgId>,
    /// What it is about.
    pub kind: Kind,
    /// `email`, `sms`, or `log` (recorded and read through the API).
    pub channel: &'static str,
    /// Its language.
    pub language: Language,
    /// One line.
    pub subject: String,
    /// The text.
    pub body: String,
    /// `recorded` (the log channel: nothing more to do); for e-mail `queued`, then `sent`, or
    /// `failed` once it is given up.
    pub status: &'static str,
    /// The event it came from.
    pub source_event: Uuid,
    /// When it was made.
    pub at: DateTime<Utc>,
}

impl Notification {
    /// A message to `(user, org)`, queued on `channel` (recorded at once on the log), made
    /// from `source` (an event, or a reminder's key) at its time.
    pub fn compose(
        (user, org): (UserId, Option<OrgId>),
        kind: Kind,
        (subject, body): (String, String),
        (language, channel): (Language, Channel),
        (source_event, at): (Uuid, DateTime<Utc>),
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            user,
            org,
            kind,
            channel: channel.as_str(),
            language,
            subject,
            body,
            status: if channel == Channel::Log {
                "recorded"
            } else {
                "queued"
            },
            source_event,
            at,
        }
    }
}

/// The receipt for a payment received, to its client, on `channel`.
pub fn payment_receipt(
    p: &Payment,
    language: Language,
    channel: Channel,
    source_event: Uuid,
    at: DateTime<Utc>,
) -> Notification {
    let amount = format!(
        "{} {}",
        p.amount.amount_string(),
        p.amount.currency().code()
    );
    let (subject, body) = match language {
        Language::En => (
            format!("Payment received: {amount}"),
            format!(
                "We received your payment of {amount} for \u{201c}{}\u{201d}. Reference: {}.",
                p.description, p.id.0
            ),
        ),
        Language::Ar => (
            format!("تم استلام دفعة: {amount}"),
            format!(
                "استلمنا دفعتك بمبلغ {amount} مقابل «{}». المرجع: {}.",
                p.description, p.id.0
            ),
        ),
    };
    let to = (p.client_id, Some(p.org_id));
    Notification::compose(
        to,
        Kind::PaymentReceipt,
        (subject, body),
        (language, channel),
        (source_event, at),
    )
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::Money;
    use crate::payments::{PaymentId, PaymentState};

    fn payment() -> Payment {
        let kwd = "KWD".parse().unwrap_or_else(|_| unreachable!());
        let now = Utc::now();
        Payment {
            id: PaymentId(Uuid::now_v7()),
            org_id: OrgId(Uuid::now_v7()),
            client_id: UserId(Uuid::now_v7()),
            contract_id: None,
            instalment_seq: None,
            amount: Money::from_minor(12_500, kwd),
            description: "Villa, instalment 1".into(),
            state: PaymentState::Paid,
            tran_ref: None,
            redirect_url: None,
            page_issued_at: None,
            refunded: Money::from_minor(0, kwd),
            created_by: UserId(Uuid::now_v7()),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_message_goes_on_each_channel_asked_for_and_set_up_else_to_the_log() {
        let both = Recipient {
            language: Language::Ar,
            email: true,
            sms: true,
            has_phone: true,
        };
        let email_only = Available {
            email: true,
            sms: false,
        };
        assert_eq!(email_only.channels_for(&both), vec![Channel::Email]);
        let all = Available {
            email: true,
            sms: true,
        };
        assert_eq!(all.channels_for(&both), vec![Channel::Email, Channel::Sms]);
        let none = Recipient {
            language: Language::En,
            email: false,
            sms: false,
            has_phone: true,
        };
        assert_eq!(all.channels_for(&none), vec![Channel::Log]);
        assert_eq!(Available::default().channels_for(&both), vec![Channel::Log]);
    }

    #[test]
    fn a_language_is_read_from_its_primary_subtag_in_any_case() {
        for (tag, want) in [
            ("en", Some(Language::En)),
            ("AR", Some(Language::Ar)),
            ("ar-KW", Some(Language::Ar)),
            ("en_GB", Some(Language::En)),
            ("fr", None),
            ("", None),
            ("arabic", None),
        ] {
            assert_eq!(Language::parse(tag), want, "{tag}");
        }
    }

    #[test]
    fn a_receipt_names_the_amount_with_its_decimals_in_either_language() {
        let p = payment();
        let event = Uuid::now_v7();
        for (language, word) in [(Language::En, "received"), (Language::Ar, "استلمنا")] {
            let n = payment_receipt(&p, language, Channel::Log, event, Utc::now());
            assert_eq!(
                (n.user, n.org, n.source_event),
                (p.client_id, Some(p.org_id), event)
            );
            assert_eq!(n.language, language);
            assert!(n.subject.contains("12.500 KWD"), "{}", n.subject);
            assert!(
                n.body.contains(word) && n.body.contains("Villa, instalment 1"),
                "{}",
                n.body
            );
            assert!(n.body.contains(&p.id.0.to_string()));
        }
    }
}
