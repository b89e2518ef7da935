//! Access tokens: HS256 JWTs that live minutes and name the user and the session.
//!
//! The session id (`sid`) lets the server refuse a token the moment its session is revoked
//! (logout, refresh-token reuse, password change) instead of waiting for it to expire.

use std::time::Duration;

use chrono_free::now_secs;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::AuthError;

const ISSUER: &str = "nestcms";
const AUDIENCE: &str = "nestcms-api";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: uuid::Uuid,
    /// Session (refresh-token family) id.
    pub sid: uuid::Uuid,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// Always `nestcms`.
    pub iss: String,
    /// Always `nestcms-api`.
    pub aud: String,
}

/// Signs and verifies access tokens with one symmetric key.
#[derive(Clone)]
pub struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl Signer {
    /// A signer with the configured key and token lifetime.
    pub fn new(key: &SecretString, ttl: Duration) -> Self {
        let bytes = key.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    /// Lifetime of the tokens this signer issues.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for a user's session.
    pub fn issue(&self, user: uuid::Uuid, session: uuid::Uuid) -> Result<String, AuthError> {
        let iat = now_secs();
        let claims = Claims {
            sub: user,
            sid: session,
            iat,
            exp: iat + self.ttl.as_secs(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::Internal(e.to_string()))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|_| AuthError::Invalid)
    }
}

mod chrono_free {
    /// Seconds since the Unix epoch.
    pub fn now_secs() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(key: &str, ttl: u64) -> Signer {
        Signer::new(
            &SecretString::from(key.to_owned()),
            Duration::from_secs(ttl),
        )
    }

    #[test]
    fn a_token_verifies_only_with_its_key_and_unaltered() -> Result<(), AuthError> {
        let s = signer("k".repeat(32).as_str(), 900);
        let (u, sid) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let token = s.issue(u, sid)?;
        let claims = s.verify(&token)?;
        assert_eq!((claims.sub, claims.sid), (u, sid));
        assert_eq!(claims.exp - claims.iat, 900);
        assert!(
            signer("x".repeat(32).as_str(), 900).verify(&token).is_err(),
            "other key"
        );
        let mut tampered = token.clone();
        tampered.insert(tampered.len() / 2, 'A');
        assert!(s.verify(&tampered).is_err());
        Ok(())
    }

    #[test]
    fn expired_and_unsigned_tokens_are_refused() -> Result<(), AuthError> {
        let s = signer("k".repeat(32).as_str(), 900);
        let now = now_secs();
        let old = Claims {
            sub: uuid::Uuid::nil(),
            sid: uuid::Uuid::nil(),
            iat: now - 1000,
            exp: now - 100,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &old,
            &EncodingKey::from_secret("k".repeat(32).as_bytes()),
        )
        .map_err(|e| AuthError::Internal(e.to_string()))?;
        assert!(s.verify(&expired).is_err());
        // alg=none: header {"alg":"none"} with the same claims and no signature.
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let fresh = Claims {
            exp: now + 100,
            iat: now,
            ..old
        };
        let body = serde_json::to_vec(&fresh).map_err(|e| AuthError::Internal(e.to_string()))?;
        let none = format!(
            "{}.{}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(body)
        );
        assert!(s.verify(&none).is_err());
        Ok(())
    }
}
