//! RFC 6238 time-based one-time codes: SHA-1, 6 digits, 30-second steps, one step of skew
//! (what authenticator apps implement).

use totp_rs::{Builder, Secret, Totp};

use crate::AuthError;

/// A new random secret, base32 (to store and to show for manual entry).
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

fn totp(secret_b32: &str, account: &str) -> Result<Totp, AuthError> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|_| AuthError::Internal("stored TOTP secret unreadable".into()))?;
    Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_account_name(account)
        .with_issuer(Some("NestCMS"))
        .build()
        .map_err(|e| AuthError::Internal(e.to_string()))
}

/// The `otpauth://` URL an authenticator app scans.
pub fn provisioning_url(secret_b32: &str, account: &str) -> Result<String, AuthError> {
    totp(secret_b32, account)?
        .to_url()
        .map_err(|e| AuthError::Internal(e.to_string()))
}

/// Checks a code at `unix_time`; returns the time step it matched (callers refuse a step they
/// have already accepted, so a code works once).
pub fn check(secret_b32: &str, code: &str, unix_time: u64) -> Result<Option<u64>, AuthError> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret_b32, "-")?.check(code, unix_time))
}

/// The code for `unix_time` (tests and the enrolment check use it).
pub fn code_at(secret_b32: &str, unix_time: u64) -> Result<String, AuthError> {
    Ok(totp(secret_b32, "-")?.generate(unix_time).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_one_step_of_skew_only() -> Result<(), AuthError> {
        let secret = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&secret, t)?;
        assert!(check(&secret, &code, t)?.is_some());
        assert!(
            check(&secret, &code, t + 30)?.is_some(),
            "one step late is accepted"
        );
        assert!(
            check(&secret, &code, t + 95)?.is_none(),
            "three steps late is not"
        );
        assert!(check(&secret, "12345", t)?.is_none());
        assert!(check(&secret, "abcdef", t)?.is_none());
        let url = provisioning_url(&secret, "owner@example.com")?;
        assert!(
            url.starts_with("otpauth://totp/NestCMS:owner%40example.com?") && url.contains(&secret),
            "{url}"
        );
        Ok(())
    }

    #[test]
    fn rfc_6238_sha1_vector() -> Result<(), AuthError> {
        // RFC 6238 appendix B: secret "12345678901234567890", T=59 → 94287082 (8 digits); the
        // 6-digit code is its last six digits.
        let secret = Secret::from(&b"12345678901234567890"[..]).to_base32();
        assert_eq!(code_at(&secret, 59)?, "287082");
        assert_eq!(code_at(&secret, 1_111_111_109)?, "081804");
        Ok(())
    }
}
