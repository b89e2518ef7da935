//! Starting notifications: the couriers `[mail]` and `[sms]` describe, and the background
//! tasks (receipts and instalment reminders into messages, messages out on each channel).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nestcms_app::background::Supervisor;
use nestcms_app::notify::{
    Deliveries, LinkMaker, PaymentLinks, Prompts, Receipts, Reminders, SecurityNotices,
};
use nestcms_app::payments::Payments;
use nestcms_app::sagas::{Runner, SagaPorts, Starter};
use nestcms_domain::notify::ports::Courier;
use nestcms_domain::notify::reminders::ReminderPolicy;
use nestcms_domain::notify::{Available, Channel};
use nestcms_store::Store;

use crate::config::Config;
use crate::consumers::{self, Feed};

/// How much longer than the longest attempt (at most twice as long) a claim of a message
/// lasts; after a crash, another instance takes the message over once it ends.
pub(crate) const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// How often the receipts consumer looks for payments paid on other instances (those paid
/// here wake it at once).
const RECEIPTS_EVERY: Duration = Duration::from_secs(2);

/// How often reminders are looked for (each is sent once whatever the round).
const REMINDERS_EVERY: Duration = Duration::from_secs(15 * 60);

/// How often queued e-mail and SMS are looked for.
const SEND_EVERY: Duration = Duration::from_secs(1);

/// The couriers this installation has.
#[derive(Clone, Default)]
pub struct Couriers {
    /// SMTP, when `mail.smtp_url` is set.
    pub mail: Option<Arc<dyn Courier>>,
    /// The SMS provider, when `sms.url` is set.
    pub sms: Option<Arc<dyn Courier>>,
}

impl Couriers {
    /// The couriers the configuration describes; a URL or sender they cannot use stops the
    /// start.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let mail: Option<Arc<dyn Courier>> = match &config.mail.smtp_url {
            Some(url) => Some(Arc::new(nestcms_mail::SmtpMailer::new(
                url,
                &config.mail.from,
                config.mail.timeout,
            )?)),
            None => None,
        };
        let s = &config.sms;
        let sms: Option<Arc<dyn Courier>> = match &s.url {
            Some(url) => Some(Arc::new(
                nestcms_sms::HttpSms::new(url, s.token.clone(), &s.from, s.timeout)
                    .map_err(anyhow::Error::msg)?,
            )),
            None => None,
        };
        Ok(Self { mail, sms })
    }

    fn available(&self) -> Available {
        Available {
            email: self.mail.is_some(),
            sms: self.sms.is_some(),
        }
    }
}

/// Spawns the receipts consumer and a sender per configured channel under `supervisor`.
pub fn spawn(
    supervisor: &mut Supervisor,
    store: &Arc<Store>,
    payments: &Payments,
    (couriers, links): (Couriers, LinkMaker),
    config: &Config,
) {
    let available = couriers.available();
    let feed = Feed::from(&config.bus);
    let receipts = Arc::new(Receipts::new(store.clone(), store.clone(), available));
    let p = payments.clone();
    let wake = move || Some(p.subscribe());
    consumers::spawn(supervisor, &feed, receipts, RECEIPTS_EVERY, wake);
    let links = PaymentLinks::new(store.clone(), store.clone(), available, links);
    consumers::spawn(supervisor, &feed, Arc::new(links), RECEIPTS_EVERY, no_wake);
    let prompts = Arc::new(Prompts::new(store.clone(), available));
    consumers::spawn(supervisor, &feed, prompts, RECEIPTS_EVERY, no_wake);
    let notices = Arc::new(SecurityNotices::new(store.clone(), available));
    consumers::spawn(supervisor, &feed, notices, RECEIPTS_EVERY, no_wake);
    let n = &config.notifications;
    let policy = ReminderPolicy {
        due_soon_days: n.due_soon_days,
        overdue_days: n.overdue_days.clone(),
    };
    let reminders = Reminders::new(store.clone(), store.clone(), policy, available);
    supervisor.spawn_rounds("reminders", REMINDERS_EVERY, no_wake, move || {
        let r = reminders.clone();
        async move { r.round(Utc::now().date_naive()).await }
    });
    spawn_sagas(supervisor, store, payments, available, config, &feed);
    let schedule = config.notifications.schedule();
    let channels = [
        (couriers.mail, Channel::Email, "mail", config.mail.timeout),
        (couriers.sms, Channel::Sms, "sms", config.sms.timeout),
    ];
    for (courier, channel, task, timeout) in channels {
        let Some(courier) = courier else {
            continue;
        };
        tracing::info!(channel = channel.as_str(), "sending notifications");
        // A claim outlives the longest send.
        let lease = timeout + LEASE_MARGIN.min(timeout);
        let deliveries = Deliveries::new(store.clone(), courier, channel, schedule.clone(), lease);
        supervisor.spawn_rounds(task, SEND_EVERY, no_wake, move || {
            let d = deliveries.clone();
            async move { d.round().await }
        });
    }
}

/// For tasks that only poll: nothing on this instance wakes them.
pub(crate) fn no_wake() -> Option<tokio::sync::broadcast::Receiver<()>> {
    None
}

/// How often sagas started elsewhere, or waiting on a step, are looked at (those started here
/// wake the starter at once).
const SAGAS_EVERY: Duration = Duration::from_secs(1);

/// The saga starter and runner.
fn spawn_sagas(
    supervisor: &mut Supervisor,
    store: &Arc<Store>,
    payments: &Payments,
    available: Available,
    config: &Config,
    feed: &Feed,
) {
    let ports = SagaPorts {
        sagas: store.clone(),
        payments: store.clone(),
        projects: store.clone(),
        notify: store.clone(),
        invoices: store.clone(),
    };
    let starter = Arc::new(Starter::new(ports.clone()));
    let p = payments.clone();
    let wake = move || Some(p.subscribe());
    consumers::spawn(supervisor, feed, starter, SAGAS_EVERY, wake);
    let activate = config.sagas.activate_project_on_first_payment;
    let runner = Runner::new(ports, activate, available);
    supervisor.spawn_rounds("saga-runner", SAGAS_EVERY, no_wake, move || {
        let r = runner.clone();
        async move { r.round().await }
    });
}

/// How long a payment link opens its payment: long enough for a client who pays at the end of
/// the month.
const LINK_LIFETIME: chrono::Duration = chrono::Duration::days(30);

/// Links to `GET /api/v1/payments/{id}/pay` under `base` (the service's public address),
/// signed with `links` and good for [`LINK_LIFETIME`].
pub(crate) fn link_maker(links: nestcms_auth::paylink::PayLinks, base: &str) -> LinkMaker {
    let base = base.trim_end_matches('/').to_owned();
    Arc::new(move |id| {
        let expires = (Utc::now() + LINK_LIFETIME).timestamp();
        format!(
            "{base}/api/v1/payments/{}/pay?token={}",
            id.0,
            links.token(id.0, expires)
        )
    })
}
