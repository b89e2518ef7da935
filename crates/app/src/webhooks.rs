//! Outgoing webhooks: an organization's owners and admins register endpoints, see every
//! message and attempt, rotate secrets, redeliver and send a test; [`delivery`] turns payment
//! events into messages and sends them.

pub mod delivery;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use nestcms_domain::DomainError;
use nestcms_domain::identity::OrgId;
use nestcms_domain::identity::policy::Action;
use nestcms_domain::webhooks::ports::{TargetError, WebhookStore, WebhookTransport};
use nestcms_domain::webhooks::{
    Attempt, Endpoint, EndpointId, Message, SigningSecret, TEST_TYPE, check_event_types,
};
use serde_json::json;
use uuid::Uuid;

use crate::identity::audit::{self, Event};
use crate::{Caller, ClientInfo, Principal, Store, caller, port};

/// The most endpoints one organization may register.
const MAX_ENDPOINTS: usize = 20;

/// The longest a previous secret may keep signing after a rotation.
const MAX_OVERLAP_HOURS: u32 = 7 * 24;

/// The webhook use cases and what they need.
#[derive(Clone)]
pub struct Webhooks {
    identity: Store,
    store: Arc<dyn WebhookStore>,
    transport: Arc<dyn WebhookTransport>,
}

/// What an endpoint is to be: for a new one, or the changes to one.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    /// The URL.
    pub url: Option<String>,
    /// A note for people.
    pub description: Option<String>,
    /// The types it hears (empty for all).
    pub event_types: Option<Vec<String>>,
    /// Switched on or off.
    pub enabled: Option<bool>,
}

impl Webhooks {
    /// The use cases over these ports.
    pub fn new(
        identity: Store,
        store: Arc<dyn WebhookStore>,
        transport: Arc<dyn WebhookTransport>,
    ) -> Self {
        Self {
            identity,
            store,
            transport,
        }
    }

    async fn manager(&self, who: Principal, org: OrgId) -> Result<Caller, DomainError> {
        let c = caller(&self.identity, who, org).await?;
        c.require(Action::ManageWebhooks)?;
        Ok(c)
    }

    /// Refuses a URL messages may not go to: 400 for its form, 422 for where it leads.
    async fn check_url(&self, url: &str) -> Result<(), DomainError> {
        if url.len() > 2048 {
            return Err(DomainError::invalid(
                "/url",
                "too_long",
                "at most 2048 characters",
            ));
        }
        match self.transport.check_target(url).await {
            Ok(()) => Ok(()),
            Err(TargetError::Invalid(why)) => Err(DomainError::invalid("/url", "invalid_url", why)),
            Err(TargetError::Forbidden(why)) => Err(DomainError::Unprocessable {
                code: "webhook_target_forbidden",
                errors: vec![nestcms_domain::FieldError::new(
                    "/url",
                    "forbidden_target",
                    why,
                )],
            }),
            Err(TargetError::Unreachable(why)) => Err(DomainError::Unprocessable {
                code: "webhook_target_unresolvable",
                errors: vec![nestcms_domain::FieldError::new("/url", "unresolvable", why)],
            }),
        }
    }

    /// Registers an endpoint with a fresh secret (returned here, and on rotation only).
    #[tracing::instrument(name = "webhooks.create", skip_all)]
    pub async fn create(
        &self,
        who: Principal,
        org: OrgId,
        input: EndpointInput,
        client: &ClientInfo,
    ) -> Result<Endpoint, DomainError> {
        let c = self.manager(who, org).await?;
        let url = input
            .url
            .ok_or_else(|| DomainError::invalid("/url", "required", "the URL messages go to"))?;
        self.check_url(&url).await?;
        let event_types = input.event_types.unwrap_or_default();
        check_event_types(&event_types)?;
        if self.store.endpoints_of(org).await.map_err(port)?.len() >= MAX_ENDPOINTS {
            return Err(DomainError::Conflict {
                code: "too_many_endpoints",
                message: format!("an organization has at most {MAX_ENDPOINTS} webhook endpoints"),
            });
        }
        let e = Endpoint {
            id: EndpointId(Uuid::now_v7()),
            org,
            url,
            description: input.description.unwrap_or_default(),
            event_types,
            secrets: vec![SigningSecret {
                secret: self.transport.new_secret(),
                expires_at: None,
            }],
            enabled: input.enabled.unwrap_or(true),
            disabled_reason: input
                .enabled
                .is_some_and(|on| !on)
                .then(|| "manual".to_owned()),
            created_at: Utc::now(),
        };
        let row = self.audit(&c, "webhook_endpoint_created", &e, client);
        self.store.create_endpoint(&e, &row).await.map_err(port)?;
        Ok(e)
    }

    /// An organization's endpoints.
    pub async fn list(&self, who: Principal, org: OrgId) -> Result<Vec<Endpoint>, DomainError> {
        self.manager(who, org).await?;
        self.store.endpoints_of(org).await.map_err(port)
    }

    /// One endpoint.
    pub async fn get(
        &self,
        who: Principal,
        org: OrgId,
        id: EndpointId,
    ) -> Result<Endpoint, DomainError> {
        self.manager(who, org).await?;
        self.found(org, id).await
    }

    async fn found(&self, org: OrgId, id: EndpointId) -> Result<Endpoint, DomainError> {
        self.store
            .endpoint(org, id)
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("webhook endpoint"))
    }

    /// Changes an endpoint; switching it on again clears why it was off.
    #[tracing::instrument(name = "webhooks.update", skip_all)]
    pub async fn update(
        &self,
        who: Principal,
        org: OrgId,
        id: EndpointId,
        input: EndpointInput,
        client: &ClientInfo,
    ) -> Result<Endpoint, DomainError> {
        let c = self.manager(who, org).await?;
        let mut e = self.found(org, id).await?;
        if let Some(url) = input.url {
            self.check_url(&url).await?;
            e.url = url;
        }
        if let Some(d) = input.description {
            e.description = d;
        }
        if let Some(types) = input.event_types {
            check_event_types(&types)?;
            e.event_types = types;
        }
        match input.enabled {
            Some(true) => {
                e.enabled = true;
                e.disabled_reason = None;
            }
            Some(false) if e.enabled => {
                e.enabled = false;
                e.disabled_reason = Some("manual".to_owned());
            }
            _ => {}
        }
        let row = self.audit(&c, "webhook_endpoint_updated", &e, client);
        self.store.update_endpoint(&e, &row).await.map_err(port)?;
        Ok(e)
    }

    /// Removes an endpoint and its messages.
    #[tracing::instrument(name = "webhooks.delete", skip_all)]
    pub async fn delete(
        &self,
        who: Principal,
        org: OrgId,
        id: EndpointId,
        client: &ClientInfo,
    ) -> Result<(), DomainError> {
        let c = self.manager(who, org).await?;
        let e = self.found(org, id).await?;
        let row = self.audit(&c, "webhook_endpoint_deleted", &e, client);
        match self
            .store
            .delete_endpoint(org, id, &row)
            .await
            .map_err(port)?
        {
            true => Ok(()),
            false => Err(DomainError::NotFound("webhook endpoint")),
        }
    }

    /// A new signing secret; the previous one keeps signing for `overlap_hours` (0–168) so
    /// receivers can switch without losing a message.
    #[tracing::instrument(name = "webhooks.rotate", skip_all)]
    pub async fn rotate(
        &self,
        who: Principal,
        org: OrgId,
        id: EndpointId,
        overlap_hours: u32,
        client: &ClientInfo,
    ) -> Result<Endpoint, DomainError> {
        if overlap_hours > MAX_OVERLAP_HOURS {
            return Err(DomainError::invalid(
                "/overlap_hours",
                "out_of_range",
                format!("between 0 and {MAX_OVERLAP_HOURS}"),
            ));
        }
        let c = self.manager(who, org).await?;
        let mut e = self.found(org, id).await?;
        let now = Utc::now();
        let until = now + chrono::Duration::hours(i64::from(overlap_hours));
        let mut secrets = vec![SigningSecret {
            secret: self.transport.new_secret(),
            expires_at: None,
        }];
        // Only the secret current until now keeps signing; older ones end with this rotation.
        if let Some(current) = e.secrets.iter().find(|s| s.expires_at.is_none())
            && overlap_hours > 0
        {
            secrets.push(SigningSecret {
                secret: current.secret.clone(),
                expires_at: Some(until),
            });
        }
        e.secrets = secrets;
        let row = self.audit(&c, "webhook_secret_rotated", &e, client);
        self.store.update_endpoint(&e, &row).await.map_err(port)?;
        Ok(e)
    }

    /// Queues a `webhook.test` message for the endpoint, due at once.
    #[tracing::instrument(name = "webhooks.test", skip_all)]
    pub async fn send_test(
        &self,
        who: Principal,
        org: OrgId,
        id: EndpointId,
    ) -> Result<Message, DomainError> {
        self.manager(who, org).await?;
        let e = self.found(org, id).await?;
        if !e.enabled {
            return Err(disabled());
        }
        let now = Utc::now();
        let data = json!({ "endpoint_id": e.id.0, "org_id": org.0, "message": "a test message from NestCMS" });
        let mut m = Message::new(&e, Uuid::now_v7(), TEST_TYPE, &data, now);
        m.trigger = "test".to_owned();
        self.store.enqueue(&m).await.map_err(port)?;
        Ok(m)
    }

    /// An endpoint's messages, newest first.
    pub async fn messages(
        &self,
        who: Principal,
        org: OrgId,
        id: EndpointId,
        limit: u32,
    ) -> Result<Vec<Message>, DomainError> {
        self.manager(who, org).await?;
        let e = self.found(org, id).await?;
        self.store.messages_of(e.id, limit).await.map_err(port)
    }

    /// One message and its attempts.
    pub async fn message(
        &self,
        who: Principal,
        org: OrgId,
        id: Uuid,
    ) -> Result<(Message, Vec<Attempt>), DomainError> {
        self.manager(who, org).await?;
        let m = self.found_message(org, id).await?;
        let attempts = self.store.attempts_of(m.id).await.map_err(port)?;
        Ok((m, attempts))
    }

    /// Sends a message again now, whatever became of it.
    #[tracing::instrument(name = "webhooks.redeliver", skip_all)]
    pub async fn redeliver(
        &self,
        who: Principal,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Message, DomainError> {
        self.manager(who, org).await?;
        let m = self.found_message(org, id).await?;
        if !self.found(org, m.endpoint).await?.enabled {
            return Err(disabled());
        }
        if !self.store.redeliver(org, id, now).await.map_err(port)? {
            return Err(DomainError::Conflict {
                code: "already_pending",
                message: "the message is still being retried on its schedule".to_owned(),
            });
        }
        self.found_message(org, id).await
    }

    async fn found_message(&self, org: OrgId, id: Uuid) -> Result<Message, DomainError> {
        self.store
            .message(org, id)
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("webhook message"))
    }

    fn audit(
        &self,
        c: &Caller,
        kind: &'static str,
        e: &Endpoint,
        client: &ClientInfo,
    ) -> nestcms_domain::identity::SecurityEvent {
        // Where it points and what it hears; never the secret, nor the URL's path and query,
        // where receivers often put a token.
        let url = nestcms_domain::webhooks::url_origin(&e.url);
        let detail = json!({ "endpoint_id": e.id.0, "url": url, "event_types": e.event_types, "enabled": e.enabled });
        audit::row(Event {
            kind,
            org: Some(c.org()),
            actor: Some(c.user()),
            subject: None,
            session: Some(c.who.session),
            client: Some(client),
            detail,
        })
    }
}

fn disabled() -> DomainError {
    DomainError::Conflict {
        code: "endpoint_disabled",
        message: "the endpoint is switched off; enable it first".to_owned(),
    }
}
