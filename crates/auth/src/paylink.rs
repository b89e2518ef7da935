//! Links that let a client pay one payment from a message without signing in (the payment
//! link of an instalment, sent by e-mail or SMS to a phone that has no session). A link names
//! the payment and an expiry and carries an HMAC-SHA256 over both under a key derived from the
//! service's signing secret, so it cannot be made for another payment, changed, or used after
//! it expires. It grants one thing only: opening the gateway's page for that payment, which
//! the client could do signed in; anyone the client forwards it to can only pay their bill.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use uuid::Uuid;

use crate::AuthError;

/// What a link proves: its key, kept apart from the access tokens' by its own derivation.
#[derive(Clone)]
pub struct PayLinks {
    key: Vec<u8>,
}

impl std::fmt::Debug for PayLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayLinks { .. }")
    }
}

impl PayLinks {
    /// Links signed under a key derived from `secret` (the service's signing secret).
    pub fn new(secret: &SecretString) -> Result<Self, AuthError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        mac.update(b"nestcms payment link v1");
        Ok(Self {
            key: mac.finalize().into_bytes().to_vec(),
        })
    }

    /// The token of a link to `payment` that works until `expires` (Unix seconds).
    pub fn token(&self, payment: Uuid, expires: i64) -> String {
        format!(
            "{expires}.{}",
            URL_SAFE_NO_PAD.encode(self.mac(payment, expires))
        )
    }

    /// Whether `token` is a link to `payment` still good at `now` (Unix seconds).
    pub fn check(&self, payment: Uuid, token: &str, now: i64) -> Result<(), LinkError> {
        let (expires, tag) = token.split_once('.').ok_or(LinkError::Invalid)?;
        let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Invalid)?;
        let mut mac = self.keyed().ok_or(LinkError::Invalid)?;
        mac.update(&message(payment, expires));
        // Compared in constant time.
        mac.verify_slice(&tag).map_err(|_| LinkError::Invalid)?;
        if now >= expires {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    fn keyed(&self) -> Option<Hmac<Sha256>> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).ok()
    }

    fn mac(&self, payment: Uuid, expires: i64) -> Vec<u8> {
        self.keyed().map_or_else(Vec::new, |mut mac| {
            mac.update(&message(payment, expires));
            mac.finalize().into_bytes().to_vec()
        })
    }
}

fn message(payment: Uuid, expires: i64) -> Vec<u8> {
    let mut m = payment.as_bytes().to_vec();
    m.extend_from_slice(&expires.to_be_bytes());
    m
}

/// Why a payment link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link we made for this payment.
    #[error("not a valid payment link")]
    Invalid,
    /// A link we made, past its expiry.
    #[error("the payment link has expired")]
    Expired,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(secret: &str) -> PayLinks {
        PayLinks::new(&SecretString::from(secret.to_owned())).unwrap()
    }

    #[test]
    fn a_link_opens_its_own_payment_until_it_expires_and_nothing_else() {
        let l = links("a-signing-secret-of-enough-length-0123456789");
        let (p, other) = (Uuid::now_v7(), Uuid::now_v7());
        let t = l.token(p, 1_000);
        assert_eq!(l.check(p, &t, 999), Ok(()));
        assert_eq!(l.check(p, &t, 1_000), Err(LinkError::Expired));
        assert_eq!(l.check(other, &t, 999), Err(LinkError::Invalid));
        let later = t.replacen("1000.", "9999.", 1);
        assert_eq!(
            l.check(p, &later, 999),
            Err(LinkError::Invalid),
            "expiry is signed"
        );
        let elsewhere = links("another-signing-secret-of-enough-length-012345");
        assert_eq!(elsewhere.check(p, &t, 999), Err(LinkError::Invalid));
        for junk in ["", "1000", "x.y", "1000.!!"] {
            assert_eq!(l.check(p, junk, 999), Err(LinkError::Invalid), "{junk}");
        }
    }
}
