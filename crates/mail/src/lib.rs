//! The domain's [`Courier`] port over SMTP, with lettre.
//!
//! Configured with one URL (`smtp://user:password@host:587?tls=required`, `smtps://…:465`, or
//! plain `smtp://host:25` on a trusted network), a sender and a timeout. lettre's own timeout
//! covers each network operation, not the whole exchange, so the send is also wrapped in one
//! overall deadline: a server that accepts the connection and then stalls cannot hold a
//! delivery task forever. Each message carries the notification's id as its `Message-ID`, and
//! its text both plain and as HTML laid out in the reader's direction.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use nestcms_domain::notify::ports::{Courier, CourierError, Outgoing};
use secrecy::{ExposeSecret, SecretString};

mod html;

/// Sends through one SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

/// A configuration the mailer cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The URL is not an SMTP URL lettre understands (the URL itself is not repeated: it may
    /// hold a password).
    #[error("mail.smtp_url is not a valid SMTP URL (smtp:// or smtps://)")]
    Url,
    /// The sender is not a mailbox.
    #[error("mail.from is not an address such as \"NestCMS <noreply@example.com>\"")]
    From,
}

impl SmtpMailer {
    /// A mailer for `url`, sending as `from`, giving up on a message after `timeout`.
    pub fn new(url: &SecretString, from: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|_| ConfigError::Url)?
            .timeout(Some(timeout))
            .build();
        let from = from.parse().map_err(|_| ConfigError::From)?;
        Ok(Self {
            transport,
            from,
            timeout,
        })
    }
}

#[async_trait::async_trait]
impl Courier for SmtpMailer {
    async fn send(&self, mail: &Outgoing) -> Result<(), CourierError> {
        let to = Mailbox::new(
            Some(mail.to_name.clone()),
            mail.to
                .parse()
                .map_err(|_| CourierError::Refused("not an e-mail address".into()))?,
        );
        // Plain text and the same words as HTML in the reader's direction; base64 keeps
        // Arabic intact through any relay.
        let part = |kind: ContentType, body: String| {
            SinglePart::builder()
                .header(kind)
                .header(ContentTransferEncoding::Base64)
                .body(body)
        };
        let html = html::page(&mail.subject, &mail.body, mail.language);
        let body = MultiPart::alternative()
            .singlepart(part(ContentType::TEXT_PLAIN, mail.body.clone()))
            .singlepart(part(ContentType::TEXT_HTML, html));
        let message = Message::builder()
            .message_id(Some(format!("<{}@nestcms>", mail.id)))
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(body)
            .map_err(|e| CourierError::Refused(e.to_string()))?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => Err(CourierError::Unavailable(
                "the SMTP server did not finish in time".into(),
            )),
            Ok(Err(e)) if e.is_permanent() => Err(CourierError::Refused(e.to_string())),
            Ok(Err(e)) => Err(CourierError::Unavailable(e.to_string())),
            Ok(Ok(_)) => Ok(()),
        }
    }
}
