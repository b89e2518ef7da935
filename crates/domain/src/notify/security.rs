//! Security notices: a person is told when their password or second factor changes, so a
//! change they did not make is noticed by the one person who can tell.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Channel, Kind, Language, Notification};
use crate::identity::UserId;

/// The security events people are told about.
pub const NOTICED: &[&str] = &["password_changed", "mfa_enabled", "mfa_disabled"];

/// A change to an account, as the audit log recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// The audit row.
    pub id: Uuid,
    /// Whose account.
    pub user: UserId,
    /// `password_changed`, `mfa_enabled` or `mfa_disabled`.
    pub kind: String,
    /// From where.
    pub ip: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The notice of `c`, in `language`, on `channel`.
pub fn security_notice(
    c: &AccountChange,
    (language, channel): (Language, Channel),
    now: DateTime<Utc>,
) -> Option<Notification> {
    let when = c.at.format("%Y-%m-%d %H:%M UTC");
    let from = c.ip.as_deref().unwrap_or("?");
    let text = match (c.kind.as_str(), language) {
        ("password_changed", Language::En) => (
            "Your password was changed".to_owned(),
            format!(
                "Your NestCMS password was changed on {when} from {from}. If this was not you, reset it and tell your administrator."
            ),
        ),
        ("password_changed", Language::Ar) => (
            "تم تغيير كلمة المرور".to_owned(),
            format!(
                "تم تغيير كلمة مرور حسابك في NestCMS في {when} من {from}. إن لم تكن أنت، أعد تعيينها وأبلغ المسؤول."
            ),
        ),
        ("mfa_enabled", Language::En) => (
            "Two-factor sign-in turned on".to_owned(),
            format!(
                "Two-factor sign-in was turned on for your NestCMS account on {when} from {from}."
            ),
        ),
        ("mfa_enabled", Language::Ar) => (
            "تم تفعيل التحقق بخطوتين".to_owned(),
            format!("تم تفعيل التحقق بخطوتين لحسابك في NestCMS في {when} من {from}."),
        ),
        ("mfa_disabled", Language::En) => (
            "Two-factor sign-in turned off".to_owned(),
            format!(
                "Two-factor sign-in was turned off for your NestCMS account on {when} from {from}. If this was not you, change your password now."
            ),
        ),
        ("mfa_disabled", Language::Ar) => (
            "تم إيقاف التحقق بخطوتين".to_owned(),
            format!(
                "تم إيقاف التحقق بخطوتين لحسابك في NestCMS في {when} من {from}. إن لم تكن أنت، غيّر كلمة المرور الآن."
            ),
        ),
        _ => return None,
    };
    let who = (c.user, None);
    Some(Notification::compose(
        who,
        Kind::SecurityNotice,
        text,
        (language, channel),
        (c.id, now),
    ))
}
