//! Opaque secrets handed to clients and stored only as hashes: refresh tokens, recovery codes.

use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix that lets secret scanners recognise a leaked NestCMS refresh token.
const REFRESH_PREFIX: &str = "nrt_";

/// A fresh refresh token: 256 random bits, base64url, prefixed.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{REFRESH_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form of a token or code: hex SHA-256. High-entropy secrets need no slow hash.
/// A new invitation token (`inv_…`, 256 random bits): the inviter passes it to the invitee, who
/// needs it, signed in with the invited e-mail, to accept or decline. Stored only as its digest.
pub fn new_invitation_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "inv_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// SHA-256 of a secret, as stored.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Ten recovery codes like `k7pq2-xm4ta` (50 bits each), shown once at MFA enrolment.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// Normalises a typed recovery code (case, spaces, dash) before hashing.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_unique_prefixed_and_hash_stably() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert!(a.starts_with("nrt_") && a.len() == 4 + 43, "{a}");
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn recovery_codes_normalise_whatever_the_user_types() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let typed = format!(" {} ", codes[0].to_uppercase().replace('-', " "));
        assert_eq!(
            normalise_recovery_code(&typed),
            normalise_recovery_code(&codes[0])
        );
    }
}
