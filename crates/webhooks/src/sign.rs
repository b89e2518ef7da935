//! Standard Webhooks v1 symmetric signatures, written by hand: no maintained crate signs
//! (the reference crate is for receivers and pins older hmac/base64 majors); it is a
//! few lines over `hmac` and `sha2`, and the tests check it against that reference verifier.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The prefix of a secret's printed form.
const PREFIX: &str = "whsec_";

/// A fresh secret: 32 random bytes (the spec asks for 24 to 64), printed `whsec_` + base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` entry `v1,<base64>` for one secret, over
/// `{id}.{timestamp}.{body}`; `None` for a secret that is not `whsec_` + base64.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The whole header: one entry per secret, separated by spaces (a receiver accepts any).
pub fn header(secrets: &[String], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|s| signature(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(id: &str, ts: i64, sig: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", sig.parse().unwrap());
        h
    }

    #[test]
    fn the_reference_verifier_accepts_our_signature_with_either_secret_during_rotation() {
        let (old, new) = (new_secret(), new_secret());
        let body = br#"{"type":"payment.paid","data":{"amount":12500}}"#;
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let sig = header(&[new.clone(), old.clone()], "msg_1", ts, body);
        assert_eq!(sig.split(' ').count(), 2);
        for secret in [&old, &new] {
            let v = standardwebhooks::Webhook::new(secret).unwrap();
            v.verify(body, &headers("msg_1", ts, &sig)).unwrap();
        }
        // Another secret, another body or another id does not verify.
        let stranger = standardwebhooks::Webhook::new(&new_secret()).unwrap();
        assert!(stranger.verify(body, &headers("msg_1", ts, &sig)).is_err());
        let v = standardwebhooks::Webhook::new(&new).unwrap();
        assert!(v.verify(b"{}", &headers("msg_1", ts, &sig)).is_err());
        assert!(v.verify(body, &headers("msg_2", ts, &sig)).is_err());
    }

    #[test]
    fn a_malformed_secret_signs_nothing() {
        assert_eq!(signature("not-a-secret", "msg_1", 1, b"{}"), None);
        assert_eq!(signature("whsec_%%%", "msg_1", 1, b"{}"), None);
    }
}
