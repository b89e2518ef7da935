//! PayTabs signatures (§6.1, §6.2): HMAC-SHA256 keyed with the profile's server key, lowercase
//! hex, compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &str, message: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail; an empty MAC is the safe fallback.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
    m.update(message);
    m
}

fn sign(key: &str, message: &[u8]) -> String {
    hex::encode(mac(key, message).finalize().into_bytes())
}

fn verify(key: &str, message: &[u8], signature_hex: &str) -> bool {
    // Case-sensitive like PHP's hash_equals: PayTabs sends lowercase hex.
    let Ok(expected) = hex::decode(signature_hex) else {
        return false;
    };
    signature_hex.bytes().all(|b| !b.is_ascii_uppercase())
        && mac(key, message).verify_slice(&expected).is_ok()
}

/// The `signature` header of an IPN: HMAC over the raw body bytes exactly as sent.
pub fn ipn_signature(server_key: &str, raw_body: &[u8]) -> String {
    sign(server_key, raw_body)
}

/// Checks an IPN's `signature` header against the raw body bytes (never re-serialised).
pub fn verify_ipn(server_key: &str, raw_body: &[u8], signature_hex: &str) -> bool {
    verify(server_key, raw_body, signature_hex)
}

/// The string a browser-return signature covers: fields without `signature`, without the
/// merchant's own `local_params`, without empty values, sorted by key byte-wise, encoded like
/// PHP's `http_build_query` (RFC 1738: `[A-Za-z0-9._-]` literal, space as `+`, the rest `%XX`).
pub fn return_payload(fields: &[(String, String)], local_params: &[&str]) -> String {
    let mut kept: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, v)| k != "signature" && !v.is_empty() && !local_params.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    kept.iter()
        .map(|(k, v)| format!("{}={}", php_urlencode(k), php_urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `signature` field of a browser return.
pub fn return_signature(server_key: &str, fields: &[(String, String)]) -> String {
    sign(server_key, return_payload(fields, &[]).as_bytes())
}

/// Checks a browser return's `signature` field.
pub fn verify_return(server_key: &str, fields: &[(String, String)], local_params: &[&str]) -> bool {
    let Some((_, sig)) = fields.iter().find(|(k, _)| k == "signature") else {
        return false;
    };
    verify(
        server_key,
        return_payload(fields, local_params).as_bytes(),
        sig,
    )
}

/// PHP `urlencode`: written by hand because no maintained crate reproduces exactly this rule
/// set (RFC 3986 encoders keep `~` and encode space as `%20`; PayTabs signs PHP's output).
fn php_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "SGJNZ96JLG-JDMKHGRWT9-RWRK2KJNRJ";

    fn form(raw: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect()
    }

    /// §6.3: the documented return body and its signature, verified independently.
    #[test]
    fn the_published_return_vector_verifies() {
        let raw = "acquirerMessage=&acquirerRRN=&cartId=cart_11111&customerEmail=email%40domain.com&respCode=G84718&respMessage=Authorised&respStatus=A&signature=7a181a32c768621eb6966107752ee70205a01f1c4403a3d13c0ff604f591f988&token=&tranRef=TST2215201242166";
        let fields = form(raw);
        assert_eq!(
            return_payload(&fields, &[]),
            "cartId=cart_11111&customerEmail=email%40domain.com&respCode=G84718&respMessage=Authorised&respStatus=A&tranRef=TST2215201242166"
        );
        assert_eq!(
            return_signature(KEY, &fields),
            "7a181a32c768621eb6966107752ee70205a01f1c4403a3d13c0ff604f591f988"
        );
        assert!(verify_return(KEY, &fields, &[]));
        let mut tampered = fields.clone();
        if let Some(f) = tampered.iter_mut().find(|(k, _)| k == "respStatus") {
            f.1 = "D".into();
        }
        assert!(!verify_return(KEY, &tampered, &[]));
        assert!(!verify_return("another-key", &fields, &[]));
        let mut with_local = fields.clone();
        with_local.push(("g".into(), "1".into()));
        assert!(
            !verify_return(KEY, &with_local, &[]),
            "merchant params break the signature…"
        );
        assert!(
            verify_return(KEY, &with_local, &["g"]),
            "…unless declared local"
        );
    }

    #[test]
    fn ipn_signatures_cover_the_exact_bytes() {
        let body = br#"{"tran_ref":"TST2617402946403","cart_id":"ca-03","cart_amount":"700.00"}"#;
        let sig = ipn_signature(KEY, body);
        assert_eq!(sig.len(), 64);
        assert!(verify_ipn(KEY, body, &sig));
        let spaced =
            br#"{"tran_ref": "TST2617402946403","cart_id":"ca-03","cart_amount":"700.00"}"#;
        assert!(
            !verify_ipn(KEY, spaced, &sig),
            "re-serialised JSON does not verify"
        );
        let mut one_byte = body.to_vec();
        one_byte[30] ^= 1;
        assert!(!verify_ipn(KEY, &one_byte, &sig));
        assert!(
            !verify_ipn(KEY, body, &sig.to_uppercase()),
            "case-sensitive like hash_equals"
        );
        assert!(!verify_ipn(KEY, body, "not hex"));
    }

    #[test]
    fn php_encoding_rules() {
        assert_eq!(php_urlencode("a b~c@d.e_f-g"), "a+b%7Ec%40d.e_f-g");
        assert_eq!(php_urlencode("é"), "%C3%A9");
    }
}
