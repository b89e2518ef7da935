//! Request and response bodies of the PT2 API (§3–§6), typed. Responses keep amounts as the
//! decimal strings PayTabs sends; the caller parses them with [`crate::Amount::parse`] knowing
//! the currency's decimals.

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, deserialize_text, serialize_number};

/// `tran_type` of a request (PayTabs answers capitalised: compare case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranType {
    /// Charge now.
    Sale,
    /// Authorise only.
    Auth,
    /// Capture an auth.
    Capture,
    /// Void an auth.
    Void,
    /// Release an auth.
    Release,
    /// Refund a sale or capture.
    Refund,
}

/// A hosted payment page request (§3.1). `profile_id` is filled in by the client.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentRequest {
    /// Set by [`crate::Client`].
    pub profile_id: u64,
    /// `sale` or `auth`.
    pub tran_type: TranType,
    /// Always `ecom` for the hosted page.
    pub tran_class: &'static str,
    /// Our payment reference, 1–64 characters.
    pub cart_id: String,
    /// 1–128 characters.
    pub cart_description: String,
    /// ISO 4217.
    pub cart_currency: String,
    /// Exact amount, sent as a JSON number.
    #[serde(serialize_with = "serialize_number")]
    pub cart_amount: Amount,
    /// Absolute IPN URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// Absolute browser return URL.
    #[serde(rename = "return", skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Page language (`en`, `ar`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paypage_lang: Option<String>,
    /// Customer, to prefill the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_details: Option<CustomerDetails>,
    /// Hide the shipping section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hide_shipping: Option<bool>,
}

/// Customer fields (§3.1).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CustomerDetails {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Street.
    #[serde(default)]
    pub street1: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// State.
    #[serde(default)]
    pub state: String,
    /// Country (alpha-2).
    #[serde(default)]
    pub country: String,
    /// Postal code.
    #[serde(default)]
    pub zip: String,
}

/// The hosted page answer (§3.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Redirect {
    /// Transaction reference.
    pub tran_ref: String,
    /// `Sale`, `Auth`.
    pub tran_type: String,
    /// Echoed.
    pub cart_id: String,
    /// Echoed.
    pub cart_description: String,
    /// Echoed.
    pub cart_currency: String,
    /// Echoed amount, decimal text.
    #[serde(deserialize_with = "deserialize_text")]
    pub cart_amount: String,
    /// Where to send the customer.
    pub redirect_url: String,
    /// Echoed return URL, or `none`.
    #[serde(rename = "return", default)]
    pub return_url: Option<String>,
    /// Profile.
    #[serde(rename = "profileId", default)]
    pub profile_id: Option<u64>,
    /// PayTabs trace id (quote it to support).
    #[serde(default)]
    pub trace: Option<String>,
}

/// Outcome of a transaction (§4, §4.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentResult {
    /// `A`, `H`, `P`, `V`, `E`, `D`, `X`, `C`.
    pub response_status: String,
    /// Issuer code or error number (a string).
    #[serde(default)]
    pub response_code: String,
    /// Text.
    #[serde(default)]
    pub response_message: String,
    /// RFC 3339.
    #[serde(default)]
    pub transaction_time: Option<String>,
}

/// `response_status`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `A`: authorised.
    Authorised,
    /// `H`: authorised but held for review.
    OnHold,
    /// `P`: pending.
    Pending,
    /// `V`: voided.
    Voided,
    /// `E`: error.
    Error,
    /// `D`: declined.
    Declined,
    /// `X`: expired.
    Expired,
    /// `C`: cancelled by the customer.
    Cancelled,
    /// Anything else (kept for the record).
    Unknown(String),
}

impl Status {
    /// Decodes a status letter, case-insensitively.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Self::Authorised,
            "H" => Self::OnHold,
            "P" => Self::Pending,
            "V" => Self::Voided,
            "E" => Self::Error,
            "D" => Self::Declined,
            "X" => Self::Expired,
            "C" => Self::Cancelled,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The letter.
    pub fn letter(&self) -> &str {
        match self {
            Self::Authorised => "A",
            Self::OnHold => "H",
            Self::Pending => "P",
            Self::Voided => "V",
            Self::Error => "E",
            Self::Declined => "D",
            Self::Expired => "X",
            Self::Cancelled => "C",
            Self::Unknown(s) => s,
        }
    }
}

/// A transaction as returned by `payment/query`, follow-ups, and IPNs (§4, §6.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    /// Reference.
    pub tran_ref: String,
    /// The parent for follow-ups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_tran_ref: Option<String>,
    /// Profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<u64>,
    /// Our reference.
    pub cart_id: String,
    /// Description.
    #[serde(default)]
    pub cart_description: String,
    /// Currency requested.
    pub cart_currency: String,
    /// Amount requested, decimal text.
    #[serde(deserialize_with = "deserialize_text")]
    pub cart_amount: String,
    /// Currency charged.
    #[serde(default)]
    pub tran_currency: String,
    /// Amount charged, decimal text.
    #[serde(default, deserialize_with = "deserialize_text")]
    pub tran_total: String,
    /// `Sale`, `Refund`, …
    pub tran_type: String,
    /// `ECom`, …
    #[serde(default)]
    pub tran_class: String,
    /// Outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_result: Option<PaymentResult>,
    /// Trace of this IPN delivery (dedupe key with `tran_ref`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipn_trace: Option<String>,
    /// Trace of the API call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

impl Transaction {
    /// The decoded status (`Unknown("")` when there is no result yet).
    pub fn status(&self) -> Status {
        Status::parse(
            self.payment_result
                .as_ref()
                .map_or("", |r| r.response_status.as_str()),
        )
    }
}

/// A follow-up on a transaction: capture, void, release, refund (§5).
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    /// Set by [`crate::Client`].
    pub profile_id: u64,
    /// `capture`, `void`, `release`, `refund`.
    pub tran_type: TranType,
    /// `ecom`.
    pub tran_class: &'static str,
    /// A unique reference for this follow-up (PayTabs rejects duplicates).
    pub cart_id: String,
    /// The original's currency.
    pub cart_currency: String,
    /// Exact amount.
    #[serde(serialize_with = "serialize_number")]
    pub cart_amount: Amount,
    /// Reason.
    pub cart_description: String,
    /// The original transaction.
    pub tran_ref: String,
    /// Absolute IPN URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
}

/// An error body (§3.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    /// PayTabs error code (1 auth, 4 duplicate, 206 currency, …).
    pub code: i64,
    /// Text.
    #[serde(default)]
    pub message: String,
    /// Trace.
    #[serde(default)]
    pub trace: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_query_sample_decodes() -> Result<(), serde_json::Error> {
        let body = r#"{"tran_ref":"TST2016700000692","merchant_id":31000,"profile_id":81000,"cart_id":"cart_11111",
            "cart_description":"Description","cart_currency":"SAR","cart_amount":"500.00","tran_currency":"SAR","tran_total":"500.00",
            "tran_type":"Sale","tran_class":"ECom","payment_result":{"response_status":"A","response_code":"G29717",
            "response_message":"Authorised","transaction_time":"2022-12-14T14:55:17Z"},"payment_info":{"payment_method":"Visa"}}"#;
        let t: Transaction = serde_json::from_str(body)?;
        assert_eq!(
            (t.cart_amount.as_str(), t.status()),
            ("500.00", Status::Authorised)
        );
        assert_eq!(
            Amount::parse(&t.tran_total, 2),
            Some(Amount::new(50_000, 2))
        );
        Ok(())
    }

    #[test]
    fn statuses_decode_case_insensitively() {
        for (s, want) in [
            ("a", Status::Authorised),
            ("H", Status::OnHold),
            ("x", Status::Expired),
            ("C", Status::Cancelled),
        ] {
            assert_eq!(Status::parse(s), want);
        }
        assert_eq!(Status::parse("Z"), Status::Unknown("Z".into()));
    }

    #[test]
    fn a_request_serialises_like_the_sdks() -> Result<(), serde_json::Error> {
        let r = PaymentRequest {
            profile_id: 59313,
            tran_type: TranType::Sale,
            tran_class: "ecom",
            cart_id: "cart_1".into(),
            cart_description: "Instalment 1".into(),
            cart_currency: "KWD".into(),
            cart_amount: Amount::new(150_000, 3),
            callback: Some("https://nest.example/api/v1/webhooks/paytabs".into()),
            return_url: None,
            paypage_lang: None,
            customer_details: None,
            hide_shipping: None,
        };
        let v: serde_json::Value = serde_json::from_str(&serde_json::to_string(&r)?)?;
        assert_eq!(v["tran_type"], "sale");
        assert_eq!(
            v["cart_id"], "cart_1",
            "cart_id is a JSON string (error 101 otherwise)"
        );
        assert!(v["cart_amount"].is_number());
        assert!(v.get("return").is_none());
        Ok(())
    }
}
