//! SMS through a provider's HTTP API: the domain's [`Courier`] port as one JSON `POST`
//! (`{"to", "from", "text", "reference"}`, bearer token) with an overall timeout.
//!
//! Providers differ in their field names; this is the shape most accept directly or through
//! a small relay, and the only one NestCMS speaks. The notification's id travels as
//! `reference`, so a provider that deduplicates on it drops a message resent after a crash.

use std::time::Duration;

use nestcms_domain::notify::ports::{Courier, CourierError, Outgoing};
use secrecy::{ExposeSecret, SecretString};

/// An SMS provider reached over HTTP.
pub struct HttpSms {
    client: reqwest::Client,
    url: reqwest::Url,
    token: Option<SecretString>,
    from: String,
}

impl HttpSms {
    /// A provider at `url` (an absolute http(s) URL), authenticated with `token` when given,
    /// sending as `from`; each message takes at most `timeout`.
    pub fn new(
        url: &str,
        token: Option<SecretString>,
        from: &str,
        timeout: Duration,
    ) -> Result<Self, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("sms.url: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("sms.url: must be an http(s) URL".to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("sms: {e}"))?;
        Ok(Self {
            client,
            url,
            token,
            from: from.to_owned(),
        })
    }
}

#[async_trait::async_trait]
impl Courier for HttpSms {
    async fn send(&self, m: &Outgoing) -> Result<(), CourierError> {
        if !m.to.starts_with('+') {
            return Err(CourierError::Refused("no phone number".to_owned()));
        }
        let body = serde_json::json!({
            "to": m.to,
            "from": self.from,
            "text": m.body,
            "reference": m.id,
        });
        let mut req = self.client.post(self.url.clone()).json(&body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose_secret());
        }
        let res = req.send().await.map_err(|e| {
            CourierError::Unavailable(if e.is_timeout() {
                "timed out".to_owned()
            } else {
                "cannot reach the provider".to_owned()
            })
        })?;
        let status = res.status();
        if status.is_success() {
            return Ok(());
        }
        // The provider's words, cut short: they name the problem, never our token.
        let text: String = res
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let why = format!("{status}: {text}");
        if status.as_u16() == 429 || status.is_server_error() {
            Err(CourierError::Unavailable(why))
        } else {
            Err(CourierError::Refused(why))
        }
    }
}

#[cfg(test)]
mod tests;
