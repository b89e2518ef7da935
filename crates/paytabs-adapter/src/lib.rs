//! The domain's [`Gateway`] port implemented with the PayTabs connector.
//!
//! An adapter crate of its own so the use cases know nothing of PayTabs: here PayTabs'
//! response letters become [`GatewayOutcome`]s and its decimal amount text becomes [`Money`] in
//! the currency it names; the use cases compare domain values only.

use nestcms_domain::payments::ports::{
    Gateway, GatewayError, GatewayOutcome, GatewayPage, GatewayTransaction,
};
use nestcms_domain::payments::{Payment, Refund};
use nestcms_domain::{Currency, Money};
use nestcms_paytabs::wire::{FollowUp, PaymentRequest, TranType, Transaction};
use nestcms_paytabs::{Amount, Client, Error, signature};
use secrecy::{ExposeSecret, SecretString};

/// PayTabs (or its simulator) as the payment gateway.
pub struct PayTabs {
    /// The API client.
    pub client: Client,
    /// Verifies callbacks and returns.
    pub server_key: SecretString,
    /// Absolute IPN URL.
    pub callback_url: String,
    /// Absolute browser return URL.
    pub return_url: String,
}

fn map(e: Error) -> GatewayError {
    match e {
        Error::Gateway {
            code,
            message,
            status,
            ..
        } if status < 500 && code != 5 => GatewayError::Refused { code, message },
        Error::Busy { retry_after, .. } => GatewayError::Busy { retry_after },
        other => GatewayError::Unavailable(other.to_string()),
    }
}

fn amount(m: Money) -> Amount {
    Amount::new(m.minor(), m.currency().exponent())
}

/// PayTabs' `response_status` letter in our words.
fn outcome(letter: &str) -> GatewayOutcome {
    match letter.trim().to_ascii_uppercase().as_str() {
        "" => GatewayOutcome::Open,
        "A" => GatewayOutcome::Approved,
        "P" => GatewayOutcome::Pending,
        "H" => GatewayOutcome::OnHold,
        "D" => GatewayOutcome::Declined,
        "C" | "V" => GatewayOutcome::Cancelled,
        "X" => GatewayOutcome::Expired,
        "E" => GatewayOutcome::Error,
        _ => GatewayOutcome::Unknown,
    }
}

/// The charged amount in the currency PayTabs names; `None` if either cannot be read.
fn charged(amount_text: &str, currency: &str) -> Option<Money> {
    let currency: Currency = currency.trim().to_ascii_uppercase().parse().ok()?;
    Money::parse(amount_text.trim(), currency).ok()
}

fn from_wire(t: Transaction) -> GatewayTransaction {
    let outcome = outcome(t.status().letter());
    let message = t
        .payment_result
        .as_ref()
        .map(|r| r.response_message.clone())
        .unwrap_or_default();
    let amount_text = if t.tran_total.is_empty() {
        t.cart_amount.clone()
    } else {
        t.tran_total.clone()
    };
    let currency = if t.tran_currency.is_empty() {
        t.cart_currency.clone()
    } else {
        t.tran_currency.clone()
    };
    GatewayTransaction {
        amount: charged(&amount_text, &currency),
        tran_ref: t.tran_ref,
        cart_id: t.cart_id,
        outcome,
        message,
        trace: t.ipn_trace.or(t.trace),
    }
}

#[async_trait::async_trait]
impl Gateway for PayTabs {
    async fn open_page(&self, p: &Payment) -> Result<GatewayPage, GatewayError> {
        let req = PaymentRequest {
            profile_id: 0,
            tran_type: TranType::Sale,
            tran_class: "ecom",
            cart_id: p.id.0.to_string(),
            cart_description: p.description.chars().take(128).collect(),
            cart_currency: p.amount.currency().code().to_owned(),
            cart_amount: amount(p.amount),
            callback: Some(self.callback_url.clone()),
            return_url: Some(self.return_url.clone()),
            paypage_lang: None,
            customer_details: None,
            hide_shipping: Some(true),
        };
        let r = self.client.create_page(req).await.map_err(map)?;
        Ok(GatewayPage {
            tran_ref: r.tran_ref,
            redirect_url: r.redirect_url,
            trace: r.trace,
        })
    }

    async fn lookup(&self, tran_ref: &str) -> Result<GatewayTransaction, GatewayError> {
        self.client
            .query(tran_ref)
            .await
            .map(from_wire)
            .map_err(map)
    }

    async fn lookup_cart(&self, cart_id: &str) -> Result<Vec<GatewayTransaction>, GatewayError> {
        let found = self.client.query_cart(cart_id).await.map_err(map)?;
        Ok(found.into_iter().map(from_wire).collect())
    }

    async fn refund(&self, p: &Payment, r: &Refund) -> Result<GatewayTransaction, GatewayError> {
        let tran_ref = p.tran_ref.clone().ok_or_else(|| GatewayError::Refused {
            code: 0,
            message: "the payment has no transaction".into(),
        })?;
        let req = FollowUp {
            profile_id: 0,
            tran_type: TranType::Refund,
            tran_class: "ecom",
            cart_id: r.id.0.to_string(),
            cart_currency: r.amount.currency().code().to_owned(),
            cart_amount: amount(r.amount),
            cart_description: r.reason.chars().take(128).collect(),
            tran_ref,
            callback: None,
        };
        self.client.follow_up(req).await.map(from_wire).map_err(map)
    }

    fn verify_callback(&self, raw_body: &[u8], sig: &str) -> Option<(GatewayTransaction, String)> {
        if !signature::verify_ipn(self.server_key.expose_secret(), raw_body, sig) {
            return None;
        }
        let t: Transaction = serde_json::from_slice(raw_body).ok()?;
        let ipn_trace = t
            .ipn_trace
            .clone()
            .unwrap_or_else(|| format!("no-trace:{}", t.tran_ref));
        Some((from_wire(t), ipn_trace))
    }

    fn verify_return(&self, fields: &[(String, String)]) -> Option<String> {
        signature::verify_return(self.server_key.expose_secret(), fields, &[])
            .then(|| {
                fields
                    .iter()
                    .find(|(k, _)| k == "tranRef")
                    .map(|(_, v)| v.clone())
            })
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_become_outcomes_and_amounts_become_money() {
        for (letter, o) in [
            ("A", GatewayOutcome::Approved),
            ("p", GatewayOutcome::Pending),
            ("H", GatewayOutcome::OnHold),
            ("D", GatewayOutcome::Declined),
            ("V", GatewayOutcome::Cancelled),
            ("X", GatewayOutcome::Expired),
            ("E", GatewayOutcome::Error),
            ("", GatewayOutcome::Open),
            ("Z", GatewayOutcome::Unknown),
        ] {
            assert_eq!(outcome(letter), o, "{letter:?}");
        }
        assert_eq!(
            charged("1500.5", "sar"),
            Some(Money::from_minor(150_050, Currency::Sar))
        );
        assert_eq!(
            charged("10.125", "KWD"),
            Some(Money::from_minor(10_125, Currency::Kwd))
        );
        assert_eq!(
            charged("10.125", "SAR"),
            None,
            "more decimals than the currency has"
        );
        assert_eq!(charged("10", "XYZ"), None);
    }
}
