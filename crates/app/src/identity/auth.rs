//! Registration, login, token refresh with rotation, logout, password change.

use std::time::Duration;

use chrono::Utc;
use nestcms_auth::jwt::Signer;
use nestcms_auth::opaque;
use nestcms_auth::password::Hasher;
use nestcms_domain::identity::ports::{NewSession, Rotation};
use nestcms_domain::identity::{
    Address, Email, Language, Membership, Org, Phone, SessionId, User, UserId, check_new_password,
};
use nestcms_domain::{DomainError, FieldError, PortError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::identity::audit::{self, Event};
use crate::identity::{mfa, throttle};
use crate::{ClientInfo, Principal, Store, port};

/// Token lifetimes.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Access JWT lifetime.
    pub access_ttl: Duration,
    /// Refresh token lifetime.
    pub refresh_ttl: Duration,
    /// Accounts one client address may register per hour (`auth.registrations_per_hour`).
    pub registrations_per_hour: u32,
}

/// What `POST /auth/register` carries once parsed.
pub struct Registration {
    /// Login.
    pub email: String,
    /// Chosen password.
    pub password: SecretString,
    /// Display name.
    pub full_name: String,
    /// Optional phone, any common written form.
    pub phone: Option<String>,
    /// Optional address.
    pub address: Option<Address>,
    /// The language of their messages (`en` when not given).
    pub language: Option<String>,
}

/// What a successful login or refresh returns.
pub struct Tokens {
    /// Bearer access JWT.
    pub access_token: String,
    /// Opaque refresh token (shown once, stored hashed).
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
}

/// The authentication service.
#[derive(Clone)]
pub struct Auth {
    store: Store,
    hasher: Hasher,
    signer: Signer,
    config: AuthConfig,
}

fn unauthenticated(code: &'static str, message: &str) -> DomainError {
    DomainError::Unauthenticated {
        code,
        message: message.to_owned(),
    }
}

fn credential_error() -> DomainError {
    unauthenticated("invalid_credentials", "the e-mail or password is wrong")
}

impl Auth {
    /// Builds the service.
    pub fn new(store: Store, hasher: Hasher, signer: Signer, config: AuthConfig) -> Self {
        Self {
            store,
            hasher,
            signer,
            config,
        }
    }

    /// Creates a plain user: no field of the request can make anyone staff or admin.
    #[tracing::instrument(name = "auth.register", skip_all)]
    pub async fn register(
        &self,
        r: Registration,
        client: &ClientInfo,
    ) -> Result<User, DomainError> {
        let mut errors = Vec::new();
        let email = Email::parse(&r.email, "/email")
            .map_err(|e| errors.push(e))
            .ok();
        let full_name = r.full_name.trim().to_owned();
        if full_name.is_empty() || full_name.chars().count() > 200 {
            errors.push(FieldError::new(
                "/full_name",
                "invalid_name",
                "give a name of 1 to 200 characters",
            ));
        }
        let email_text = email.as_ref().map_or("", |e| e.as_str());
        if let Err(e) = check_new_password(r.password.expose_secret(), email_text, "/password") {
            errors.push(e);
        }
        let phone = match r.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(raw) => Phone::parse(raw, "/phone").map_err(|e| errors.push(e)).ok(),
            None => None,
        };
        if let Some(a) = &r.address {
            check_address(a, "/address", &mut errors);
        }
        let language = match r.language.as_deref() {
            None => Language::En,
            Some(tag) => language_of(tag, "/language").unwrap_or_else(|e| {
                errors.push(e);
                Language::En
            }),
        };
        let Some(email) = email.filter(|_| errors.is_empty()) else {
            return Err(DomainError::Validation(errors));
        };
        throttle::registration(
            &self.store,
            client.ip.as_deref(),
            self.config.registrations_per_hour,
            Utc::now(),
        )
        .await?;
        let password_hash = self
            .hasher
            .hash(&r.password)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let user = User {
            id: UserId::new(),
            email,
            full_name,
            phone,
            address: r.address,
            password_hash,
            totp_secret: None,
            mfa_enabled: false,
            language,
            created_at: Utc::now(),
        };
        let e = Event {
            client: Some(client),
            ..Event::account("user_registered", user.id)
        };
        match self.store.insert_user(&user, &audit::row(e)).await {
            Ok(()) => {}
            Err(PortError::Duplicate) => {
                return Err(DomainError::Conflict {
                    code: "email_taken",
                    message: "an account with this e-mail already exists".into(),
                });
            }
            Err(e) => return Err(port(e)),
        }
        Ok(user)
    }

    /// Checks credentials (and a second factor when the account or an organization asks for
    /// one) and opens a session.
    #[tracing::instrument(name = "auth.login", skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password: &SecretString,
        code: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Tokens, DomainError> {
        bounded(password, "/password")?;
        let now = Utc::now();
        let key = email.trim().to_lowercase();
        let ip = client.ip.as_deref();
        throttle::check(&self.store, &key, ip, now)
            .await
            .inspect_err(|_| logins("throttled"))?;
        let user = match Email::parse(&key, "/email") {
            Ok(e) => self.store.user_by_email(&e).await.map_err(port)?,
            Err(_) => None,
        };
        let Some(user) = user else {
            self.hasher
                .verify_decoy(password)
                .await
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            throttle::record_failure(&self.store, &key, ip, now).await?;
            let detail = json!({ "reason": "unknown_account" });
            audit::record(
                &self.store,
                Event {
                    kind: "login_failed",
                    org: None,
                    actor: None,
                    subject: None,
                    session: None,
                    client: Some(client),
                    detail,
                },
            )
            .await?;
            logins("failed");
            return Err(credential_error());
        };
        let ok = self
            .hasher
            .verify(password, &user.password_hash)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        if !ok {
            throttle::record_failure(&self.store, &key, ip, now).await?;
            let detail = json!({ "reason": "wrong_password" });
            audit::record(
                &self.store,
                Event {
                    client: Some(client),
                    detail,
                    ..Event::account("login_failed", user.id)
                },
            )
            .await?;
            logins("failed");
            return Err(credential_error());
        }
        if let Err(e) = mfa::second_factor(&self.store, &user, code).await {
            if matches!(
                e,
                DomainError::Unauthenticated {
                    code: "invalid_mfa_code",
                    ..
                }
            ) {
                throttle::record_failure(&self.store, &key, ip, now).await?;
                audit::record(
                    &self.store,
                    Event {
                        client: Some(client),
                        ..Event::account("mfa_failed", user.id)
                    },
                )
                .await?;
            }
            logins("second_factor_refused");
            return Err(e);
        }
        throttle::record_success(&self.store, &key, ip).await?;
        logins("succeeded");
        let session = SessionId::new();
        let refresh = opaque::new_refresh_token();
        let new = NewSession {
            id: session,
            user: user.id,
            refresh_hash: opaque::digest(&refresh),
            refresh_expires_at: now + self.refresh_ttl(),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            at: now,
        };
        let e = Event {
            session: Some(session),
            client: Some(client),
            ..Event::account("login_succeeded", user.id)
        };
        self.store
            .insert_session(&new, &audit::row(e))
            .await
            .map_err(port)?;
        self.tokens(user.id, session, refresh)
    }

    /// Rotates a refresh token. Presenting one already rotated revokes its whole family.
    #[tracing::instrument(name = "auth.refresh", skip_all)]
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientInfo,
    ) -> Result<Tokens, DomainError> {
        let now = Utc::now();
        let next = opaque::new_refresh_token();
        let on_reuse = |session, user| {
            audit::row(Event {
                session: Some(session),
                client: Some(client),
                ..Event::account("refresh_token_reused", user)
            })
        };
        let outcome = self
            .store
            .rotate_refresh(
                &opaque::digest(refresh_token),
                &opaque::digest(&next),
                now + self.refresh_ttl(),
                now,
                &on_reuse,
            )
            .await
            .map_err(port)?;
        match outcome {
            Rotation::Rotated { session, user } => self.tokens(user, session, next),
            Rotation::Reused { session, user } => {
                tracing::warn!(session.id = %session, user.id = %user, "refresh token reused; session revoked");
                Err(unauthenticated(
                    "refresh_token_reused",
                    "this refresh token was already used; the session has been ended, log in again",
                ))
            }
            Rotation::Invalid => Err(unauthenticated(
                "invalid_refresh_token",
                "the refresh token is unknown, expired or revoked",
            )),
        }
    }

    /// Ends the caller's session.
    #[tracing::instrument(name = "auth.logout", skip_all)]
    pub async fn logout(&self, who: Principal, client: &ClientInfo) -> Result<(), DomainError> {
        let e = Event {
            session: Some(who.session),
            client: Some(client),
            ..Event::account("logged_out", who.user)
        };
        self.store
            .revoke_session(who.session, Utc::now(), &audit::row(e))
            .await
            .map_err(port)
            .map(|_| ())
    }

    /// Verifies an access token and that its session is still open.
    #[tracing::instrument(name = "auth.authenticate", skip_all)]
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, DomainError> {
        let claims = self.verify(access_token).ok_or_else(|| {
            unauthenticated(
                "invalid_token",
                "the access token is missing, invalid or expired",
            )
        })?;
        self.authenticate_verified(&claims).await
    }

    /// The claims of a well-signed, unexpired access token (its session not yet checked).
    pub fn verify(&self, access_token: &str) -> Option<nestcms_auth::jwt::Claims> {
        self.signer.verify(access_token).ok()
    }

    /// Checks that the session of already verified claims is still open.
    #[tracing::instrument(name = "auth.authenticate_verified", skip_all)]
    pub async fn authenticate_verified(
        &self,
        claims: &nestcms_auth::jwt::Claims,
    ) -> Result<Principal, DomainError> {
        let session = SessionId(claims.sid);
        match self.store.active_session(session).await.map_err(port)? {
            Some(user) if user.0 == claims.sub => Ok(Principal { user, session }),
            _ => Err(unauthenticated(
                "session_revoked",
                "this session has ended; log in again",
            )),
        }
    }

    /// The caller and their memberships.
    #[tracing::instrument(name = "auth.me", skip_all)]
    pub async fn me(&self, who: Principal) -> Result<(User, Vec<(Org, Membership)>), DomainError> {
        self.store
            .profile(who.user)
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("user"))
    }

    /// Sets the language the caller's messages are written in (`en` or `ar`).
    #[tracing::instrument(name = "auth.set_language", skip_all)]
    pub async fn set_language(&self, who: Principal, tag: &str) -> Result<Language, DomainError> {
        let language =
            language_of(tag, "/language").map_err(|e| DomainError::Validation(vec![e]))?;
        if !self
            .store
            .set_language(who.user, language)
            .await
            .map_err(port)?
        {
            return Err(DomainError::NotFound("user"));
        }
        Ok(language)
    }

    /// Changes the password after checking the current one; every other session is revoked.
    #[tracing::instrument(name = "auth.change_password", skip_all)]
    pub async fn change_password(
        &self,
        who: Principal,
        current: &SecretString,
        new: &SecretString,
        client: &ClientInfo,
    ) -> Result<u64, DomainError> {
        bounded(current, "/current_password")?;
        let user = crate::user(&self.store, who.user).await?;
        if !self
            .hasher
            .verify(current, &user.password_hash)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?
        {
            return Err(DomainError::invalid(
                "/current_password",
                "wrong_password",
                "the current password is wrong",
            ));
        }
        check_new_password(new.expose_secret(), user.email.as_str(), "/new_password")
            .map_err(|e| DomainError::Validation(vec![e]))?;
        let hash = self
            .hasher
            .hash(new)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let now = Utc::now();
        let describe = |revoked: u64| {
            audit::row(Event {
                session: Some(who.session),
                client: Some(client),
                detail: json!({ "other_sessions_revoked": revoked }),
                ..Event::account("password_changed", user.id)
            })
        };
        self.store
            .update_password(user.id, &hash, now, who.session, &describe)
            .await
            .map_err(port)
    }

    fn refresh_ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.refresh_ttl).unwrap_or(chrono::Duration::days(30))
    }

    fn tokens(
        &self,
        user: UserId,
        session: SessionId,
        refresh_token: String,
    ) -> Result<Tokens, DomainError> {
        let access_token = self
            .signer
            .issue(user.0, session.0)
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(Tokens {
            access_token,
            refresh_token,
            expires_in: self.config.access_ttl.as_secs(),
        })
    }
}

/// Bounds every address part (the original stored whatever arrived).
pub fn check_address(a: &Address, at: &str, errors: &mut Vec<FieldError>) {
    let parts = [
        ("title", &a.title),
        ("street", &a.street),
        ("city", &a.city),
        ("state", &a.state),
        ("country", &a.country),
        ("zip", &a.zip),
    ];
    for (name, value) in parts {
        if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
            errors.push(FieldError::new(
                format!("{at}/{name}"),
                "too_long",
                "at most 200 characters",
            ));
        }
    }
}

/// Refuses a password longer than any that can be set, before hashing it (hashing a megabyte
/// on every attempt would be a cheap way to load the server).
fn bounded(password: &SecretString, field: &str) -> Result<(), DomainError> {
    if password.expose_secret().chars().count() > nestcms_domain::identity::MAX_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            field,
            "too_long",
            format!(
                "at most {} characters",
                nestcms_domain::identity::MAX_PASSWORD_CHARS
            ),
        ));
    }
    Ok(())
}

/// Counts a login attempt by outcome (`nestcms_logins_total{outcome}`).
fn logins(outcome: &'static str) {
    metrics::counter!("nestcms_logins_total", "outcome" => outcome).increment(1);
}

/// The language `tag` names, or the field error for `pointer`.
fn language_of(tag: &str, pointer: &str) -> Result<Language, FieldError> {
    Language::parse(tag.trim()).ok_or_else(|| {
        FieldError::new(
            pointer,
            "unknown_language",
            "give a language NestCMS writes in: en or ar",
        )
    })
}
