//! TOTP second factor: enrolment, confirmation with recovery codes, removal, and the check at
//! login.

use nestcms_auth::{opaque, totp};
use nestcms_domain::DomainError;
use nestcms_domain::identity::User;

use crate::identity::audit::{self, Event};
use crate::{ClientInfo, Principal, Store, port};

/// What enrolment shows the user once.
pub struct Enrolment {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// `otpauth://` URL for a QR code.
    pub otpauth_url: String,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn internal(e: nestcms_auth::AuthError) -> DomainError {
    DomainError::Internal(e.to_string())
}

fn invalid_code() -> DomainError {
    DomainError::Unauthenticated {
        code: "invalid_mfa_code",
        message: "the authentication code is wrong or already used".into(),
    }
}

/// Accepts a current TOTP code once (a replayed code fails) or an unused recovery code.
async fn accept_code(store: &Store, user: &User, code: &str) -> Result<bool, DomainError> {
    let Some(secret) = &user.totp_secret else {
        return Ok(false);
    };
    if let Some(step) = totp::check(secret, code, unix_now()).map_err(internal)? {
        return store
            .accept_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX))
            .await
            .map_err(port);
    }
    let recovery = opaque::normalise_recovery_code(code);
    if recovery.len() == 10 {
        return store
            .consume_recovery_code(user.id, &opaque::digest(&recovery), chrono::Utc::now())
            .await
            .map_err(port);
    }
    Ok(false)
}

/// The login-time check: demands a code when the user enrolled or an organization where they
/// are owner or admin requires one.
pub(crate) async fn second_factor(
    store: &Store,
    user: &User,
    code: Option<&str>,
) -> Result<(), DomainError> {
    let required = user.mfa_enabled || store.mfa_required_for(user.id).await.map_err(port)?;
    if !required {
        return Ok(());
    }
    if !user.mfa_enabled {
        return Err(DomainError::Unauthenticated {
            code: "mfa_enrollment_required",
            message: "an organization you administer requires two-factor authentication; an owner must change your role, or you must enrol from an existing session".into(),
        });
    }
    match code {
        None => Err(DomainError::Unauthenticated {
            code: "mfa_required",
            message: "send the 6-digit code from your authenticator app as totp_code".into(),
        }),
        Some(code) if accept_code(store, user, code).await? => Ok(()),
        Some(_) => Err(invalid_code()),
    }
}

/// Starts enrolment: a new secret, not yet demanded at login.
#[tracing::instrument(name = "mfa.begin", skip_all)]
pub async fn begin(store: &Store, who: Principal) -> Result<Enrolment, DomainError> {
    let user = crate::user(store, who.user).await?;
    if user.mfa_enabled {
        return Err(DomainError::Conflict {
            code: "mfa_already_enabled",
            message: "two-factor authentication is already on".into(),
        });
    }
    let secret = totp::new_secret();
    let otpauth_url = totp::provisioning_url(&secret, user.email.as_str()).map_err(internal)?;
    store
        .set_totp(user.id, Some(&secret), false, &[], None)
        .await
        .map_err(port)?;
    Ok(Enrolment {
        secret,
        otpauth_url,
    })
}

/// Confirms enrolment with a first code; returns ten single-use recovery codes.
#[tracing::instrument(name = "mfa.confirm", skip_all)]
pub async fn confirm(
    store: &Store,
    who: Principal,
    code: &str,
    client: &ClientInfo,
) -> Result<Vec<String>, DomainError> {
    let user = crate::user(store, who.user).await?;
    let Some(secret) = user.totp_secret.as_deref().filter(|_| !user.mfa_enabled) else {
        return Err(DomainError::Conflict {
            code: "mfa_not_pending",
            message: "start enrolment first".into(),
        });
    };
    if totp::check(secret, code, unix_now())
        .map_err(internal)?
        .is_none()
    {
        return Err(DomainError::invalid(
            "/code",
            "invalid_mfa_code",
            "the code does not match; check the device clock",
        ));
    }
    let codes = opaque::new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| opaque::digest(&opaque::normalise_recovery_code(c)))
        .collect();
    let e = Event {
        client: Some(client),
        session: Some(who.session),
        ..Event::account("mfa_enabled", user.id)
    };
    store
        .set_totp(user.id, Some(secret), true, &hashes, Some(&audit::row(e)))
        .await
        .map_err(port)?;
    Ok(codes)
}

/// Turns MFA off with a valid code, unless an organization requires it of this user.
#[tracing::instrument(name = "mfa.disable", skip_all)]
pub async fn disable(
    store: &Store,
    who: Principal,
    code: &str,
    client: &ClientInfo,
) -> Result<(), DomainError> {
    let user = crate::user(store, who.user).await?;
    if !user.mfa_enabled {
        return Err(DomainError::Conflict {
            code: "mfa_not_enabled",
            message: "two-factor authentication is off".into(),
        });
    }
    if store.mfa_required_for(user.id).await.map_err(port)? {
        return Err(DomainError::Conflict {
            code: "mfa_required_by_org",
            message: "an organization you administer requires two-factor authentication".into(),
        });
    }
    if !accept_code(store, &user, code).await? {
        return Err(invalid_code());
    }
    let e = Event {
        client: Some(client),
        session: Some(who.session),
        ..Event::account("mfa_disabled", user.id)
    };
    store
        .set_totp(user.id, None, false, &[], Some(&audit::row(e)))
        .await
        .map_err(port)
}
